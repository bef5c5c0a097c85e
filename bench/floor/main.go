// Command floor is the cheapest server the read scenario of `boxoffice
// bench` can be measured against: it runs boxoffice's own SQL for a page of
// events and a page of bookings with their users and events (the same
// statements as bench/read-*.sql, in one round trip each) through pgx, and
// writes the JSON with encoding/json. No GraphQL, no token check, no
// middleware. It is not a boxoffice server and answers nothing else: `make
// bench` runs it to show how close to raw PostgreSQL any HTTP server can get
// on the machine, beside boxoffice itself.
//
//	DATABASE_URL=postgres://... go run ./bench/floor -addr 127.0.0.1:3999
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

type event struct {
	ID               string    `json:"id"`
	Title            string    `json:"title"`
	Description      string    `json:"description"`
	Date             time.Time `json:"date"`
	Location         string    `json:"location"`
	AvailableTickets int       `json:"availableTickets"`
	TotalTickets     int       `json:"totalTickets"`
	Price            float64   `json:"price"`
}

type user struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Email    string `json:"email"`
}

type booking struct {
	ID              string    `json:"id"`
	NumberOfTickets int       `json:"numberOfTickets"`
	CreatedAt       time.Time `json:"createdAt"`
	User            user      `json:"user"`
	Event           event     `json:"event"`
}

type page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Page  int `json:"page"`
	Limit int `json:"limit"`
}

const (
	countEvents = `SELECT count(*) FROM events`
	eventsPage  = `SELECT id, title, description, date, location, total_tickets, available_tickets, price_cents FROM events
		ORDER BY date ASC, created_at DESC, id DESC LIMIT 10 OFFSET 0`
	// All the bookings, from the events' counts (migration 00008), as boxoffice counts them.
	countBookings = `SELECT CAST(COALESCE(SUM(booking_count), 0) AS bigint) FROM events`
	bookingsPage  = `SELECT b.id, b.number_of_tickets, b.created_at, u.id, u.username, u.email,
		e.id, e.title, e.description, e.date, e.location, e.total_tickets, e.available_tickets, e.price_cents
		FROM (SELECT id, user_id, event_id, number_of_tickets, created_at FROM bookings ORDER BY created_at DESC, id DESC LIMIT 10 OFFSET 0) b
		JOIN users u ON u.id = b.user_id JOIN events e ON e.id = b.event_id ORDER BY b.created_at DESC, b.id DESC`
)

func main() {
	addr := flag.String("addr", "127.0.0.1:3999", "address to listen on")
	flag.Parse()
	pool, err := pgxpool.New(context.Background(), os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		var data any
		if bytes.Contains(body, []byte("events(")) {
			var p page[event]
			p.Page, p.Limit = 1, 10
			err = readPage(r.Context(), pool, countEvents, eventsPage, &p.Total, func(rows pgx.Rows) error {
				var e event
				err := scanEvent(rows, &e)
				p.Items = append(p.Items, e)
				return err
			})
			data = map[string]any{"events": p}
		} else {
			var p page[booking]
			p.Page, p.Limit = 1, 10
			err = readPage(r.Context(), pool, countBookings, bookingsPage, &p.Total, func(rows pgx.Rows) error {
				var b booking
				err := scanEvent(rows, &b.Event, &b.ID, &b.NumberOfTickets, &b.CreatedAt, &b.User.ID, &b.User.Username, &b.User.Email)
				p.Items = append(p.Items, b)
				return err
			})
			data = map[string]any{"bookings": p}
		}
		w.Header().Set("Content-Type", "application/json")
		if err != nil {
			_ = json.NewEncoder(w).Encode(map[string]any{"errors": []any{map[string]any{
				"message": err.Error(), "extensions": map[string]string{"code": "INTERNAL"}}}})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"data": data})
	})
	log.Fatal(http.ListenAndServe(*addr, nil))
}

// readPage sends the count and the page in one round trip.
func readPage(ctx context.Context, pool *pgxpool.Pool, count, list string, total *int, row func(pgx.Rows) error) error {
	b := &pgx.Batch{}
	b.Queue(count).QueryRow(func(r pgx.Row) error { return r.Scan(total) })
	b.Queue(list).Query(func(rows pgx.Rows) error {
		for rows.Next() {
			if err := row(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return pool.SendBatch(ctx, b).Close()
}

// scanEvent scans before, then an event's columns.
func scanEvent(rows pgx.Rows, e *event, before ...any) error {
	var cents int64
	err := rows.Scan(append(before, &e.ID, &e.Title, &e.Description, &e.Date, &e.Location,
		&e.TotalTickets, &e.AvailableTickets, &cents)...)
	e.Price = float64(cents) / 100
	return err
}

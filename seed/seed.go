// Package seed loads boxoffice's demo data: 10 users, 12 upcoming events
// and a few bookings, dated relative to today. Loading is idempotent: ids
// are derived from names, and what exists already is left as it is.
//
// Every demo user signs in with DemoPassword: alice is an admin, bob
// organizes the demo events, the others are customers. Demo data only:
// never seed a production database.
package seed

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
)

// namespace makes the demo data's ids stable across runs and machines.
var namespace = uuid.MustParse("6f0d3b52-7c1e-4c8e-9a55-2b7d0f1e9c11")

// DemoPassword is the password of every demo user.
const DemoPassword = "boxoffice-demo"

// roles of the demo users; the rest are customers.
var roles = map[string]boxoffice.Role{"alice": boxoffice.RoleAdmin, "bob": boxoffice.RoleOrganizer}

func id(kind, name string) string { return uuid.NewSHA1(namespace, []byte(kind+":"+name)).String() }

// Summary says what Load created; zero counts mean it was all there.
type Summary struct {
	Users, Events, Bookings int
}

var users = []string{"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy"}

type demoEvent struct {
	title, location, description string
	days, tickets                int   // days from today; total tickets
	priceCents                   int64 // per ticket
}

var events = []demoEvent{
	{"Go Conference", "Berlin", "Two days of talks on Go in production.", 7, 300, 4900},
	{"Jazz Night", "New Orleans", "Live jazz by the river.", 10, 120, 3500},
	{"Tech Summit", "San Francisco", "Keynotes and workshops on the future of software.", 14, 500, 19900},
	{"Rock Festival", "Manchester", "Three stages, one weekend.", 21, 1000, 8900},
	{"Food Fair", "Lyon", "Regional cuisine from fifty producers.", 24, 400, 1500},
	{"Art Expo", "Florence", "Contemporary art from young European artists.", 30, 250, 2000},
	{"Marathon", "Boston", "42.195 km through the city.", 35, 800, 9500},
	{"Startup Pitch Day", "London", "Twenty startups, five minutes each.", 40, 150, 0},
	{"Opera Gala", "Vienna", "An evening of arias.", 45, 200, 12000},
	{"Film Premiere", "Cannes", "Red carpet and screening.", 50, 100, 7500},
	{"Chess Open", "Reykjavik", "Open tournament, all ratings.", 60, 64, 2500},
	{"Winter Market", "Strasbourg", "Mulled wine and crafts.", 75, 600, 500},
}

// bookings are (user index, event index, tickets).
var bookings = [][3]int{{0, 0, 2}, {1, 0, 1}, {2, 1, 4}, {3, 2, 2}, {0, 3, 3}, {4, 4, 1}, {5, 5, 2}, {6, 6, 1}, {7, 9, 5}, {8, 10, 2}, {9, 11, 3}, {1, 2, 1}}

// Load creates whatever demo data is missing in store.
func Load(ctx context.Context, store boxoffice.Store) (Summary, error) {
	var sum Summary
	now := boxoffice.Now()
	hash, err := auth.HashPassword(DemoPassword) // one hash for all: demo data, and argon2id is slow on purpose
	if err != nil {
		return sum, err
	}
	organizer := id("user", "bob")
	for _, name := range users {
		role := roles[name]
		if role == "" {
			role = boxoffice.RoleCustomer
		}
		u := &boxoffice.User{ID: id("user", name), Username: name, Email: name + "@example.com", Role: role,
			PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
		switch err := create(ctx, store, func(tx boxoffice.Tx) error { return tx.Users().Create(ctx, u) },
			&boxoffice.Change{Kind: boxoffice.ChangeUserCreated, At: now, UserID: u.ID}); boxoffice.ErrorCode(err) {
		case "":
			sum.Users++
		case boxoffice.ECONFLICT: // loaded before
		default:
			return sum, fmt.Errorf("seed user %s: %w", name, err)
		}
	}
	today := now.Truncate(24 * time.Hour)
	created := map[int]bool{}
	for i, d := range events {
		e := &boxoffice.Event{
			ID: id("event", d.title), Title: d.title, Description: &d.description, Location: d.location,
			Date:         today.AddDate(0, 0, d.days).Add(19 * time.Hour),
			TotalTickets: d.tickets, AvailableTickets: d.tickets, PriceCents: d.priceCents,
			Version: 1, OrganizerID: &organizer, CreatedAt: now, UpdatedAt: now,
		}
		switch err := create(ctx, store, func(tx boxoffice.Tx) error { return tx.Events().Create(ctx, e) },
			&boxoffice.Change{Kind: boxoffice.ChangeEventCreated, At: now, EventID: e.ID}); boxoffice.ErrorCode(err) {
		case "":
			sum.Events++
			created[i] = true
		case boxoffice.ECONFLICT:
		default:
			return sum, fmt.Errorf("seed event %s: %w", d.title, err)
		}
	}
	// Bookings only for events created now: an event loaded before has
	// its bookings already, and counts stay consistent either way.
	var reqs []boxoffice.BookingRequest
	for _, b := range bookings {
		if created[b[1]] {
			reqs = append(reqs, boxoffice.BookingRequest{UserID: id("user", users[b[0]]), EventID: id("event", events[b[1]].title), Tickets: b[2]})
		}
	}
	if len(reqs) == 0 {
		return sum, nil
	}
	results, err := store.Bookings().BookBatch(ctx, reqs, boxoffice.BookingTerms{})
	if err != nil {
		return sum, fmt.Errorf("seed bookings: %w", err)
	}
	for _, r := range results {
		if r.Err != nil {
			return sum, fmt.Errorf("seed booking: %w", r.Err)
		}
		sum.Bookings++
	}
	return sum, nil
}

// create runs insert and records its change, in one transaction: the demo
// data is the system's doing.
func create(ctx context.Context, store boxoffice.Store, insert func(boxoffice.Tx) error, c *boxoffice.Change) error {
	return store.InTx(ctx, func(tx boxoffice.Tx) error {
		if err := insert(tx); err != nil {
			return err
		}
		return tx.Changes().Record(ctx, c)
	})
}

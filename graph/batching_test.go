package graph_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph"
)

// A page of bookings with their users, events and the events' bookings
// costs a fixed number of statements, whatever its size: the loaders batch
// each level into one query.
func TestStatementsDoNotGrowWithThePage(t *testing.T) {
	// A wide loader window: under -race on a busy machine, the goroutines
	// of one list can take longer than the production window to ask.
	s := newTestServer(t, func(c *graph.Config) { c.LoaderWait = 50 * time.Millisecond })
	var users []userOut
	var events []eventOut
	for i := range 6 {
		users = append(users, s.createUser(t, fmt.Sprintf("user%d", i)))
		events = append(events, s.createEvent(t, fmt.Sprintf("Event %d", i), 100, 10, 1+i))
	}
	for i := range 12 {
		s.book(t, users[i%6].ID, events[(i/2)%6].ID, 1)
	}

	cost := func(query string, limit int) int64 {
		t.Helper()
		var out struct {
			Bookings *struct{ Items []any }
			Users    *struct{ Items []any }
		}
		before := s.db.StatementCount()
		s.data(t, query, map[string]any{"limit": limit}, &out)
		after := s.db.StatementCount()
		if out.Bookings != nil && len(out.Bookings.Items) != limit || out.Users != nil && len(out.Users.Items) != limit {
			t.Fatalf("page of %d: %+v", limit, out)
		}
		return after - before
	}
	for name, query := range map[string]string{
		"bookings": `query($limit: Int) { bookings(pagination: {limit: $limit}) { total items {
			id user { username } event { title bookings { id numberOfTickets } } } } }`,
		"users": `query($limit: Int) { users(pagination: {limit: $limit}) { total items {
			id bookings { id event { title } } } } }`,
	} {
		t.Run(name, func(t *testing.T) {
			for range 3 { // timing-based batching must hold every time
				small, large := cost(query, 2), cost(query, 6)
				if small != large || large > 8 {
					t.Fatalf("statements: %d for a page of 2, %d for a page of 6", small, large)
				}
				t.Logf("%d statements", small)
			}
		})
	}

	// A page's own users and events are read with it, in the same
	// statement: they add nothing to the cost of the page alone.
	alone := `query($limit: Int) { bookings(pagination: {limit: $limit}) { total items { id } } }`
	withUserAndEvent := `query($limit: Int) { bookings(pagination: {limit: $limit}) { total items {
		id user { username email } event { title date } } } }`
	for _, limit := range []int{2, 6} {
		if n, want := cost(withUserAndEvent, limit), cost(alone, limit); n != want {
			t.Errorf("a page of %d bookings with user and event: %d statements, want %d as for the page alone", limit, n, want)
		}
	}
}

// Concurrent bookings over HTTP sell exactly the tickets there are. Each
// fan books for themselves, within their budget of changes.
func TestCreateBookingRace(t *testing.T) {
	s := newTestServer(t)
	const tickets, buyers = 50, 300
	event := s.createEvent(t, "Hot", tickets, 99.5, 3)
	var users []account
	for i := range 10 {
		users = append(users, s.newAccount(t, fmt.Sprintf("fan%d", i), boxoffice.RoleCustomer))
	}

	var mu sync.Mutex
	codes := map[string]int{}
	var wg sync.WaitGroup
	for i := range buyers {
		wg.Go(func() {
			fan := users[i%len(users)]
			r := s.as(fan.Token).post(t, bookOne, map[string]any{"u": fan.ID, "e": event.ID, "n": 1})
			code := "OK"
			if len(r.Errors) > 0 {
				code = r.Errors[0].code()
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes["OK"] != tickets || codes["SOLD_OUT"] != buyers-tickets {
		t.Fatalf("outcomes: %v", codes)
	}

	var out struct {
		Event struct {
			AvailableTickets int
			Bookings         []bookingOut
		}
	}
	s.data(t, `query($id: ID!) { event(id: $id) { availableTickets bookings { id } } }`, map[string]any{"id": event.ID}, &out)
	if out.Event.AvailableTickets != 0 || len(out.Event.Bookings) != tickets {
		t.Fatalf("after the race: %d available, %d bookings", out.Event.AvailableTickets, len(out.Event.Bookings))
	}
}

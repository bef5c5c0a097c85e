package graph_test

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/original"
)

// isoMillis is JavaScript's toISOString format, which the original API spoke.
var isoMillis = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`)

// readmeSeed is a small world: three users (carol without bookings) besides
// the admin, three events at +10, +30 and +60 days, three bookings. The
// admin runs the README's operations, verbatim.
type readmeSeed struct {
	alice, bob, carol             userOut
	jazz, rock, opera             eventOut
	aliceRock, aliceJazz, bobRock bookingOut
}

func seedReadme(t *testing.T, s *testServer) readmeSeed {
	var w readmeSeed
	w.alice = s.createUser(t, "alice")
	w.bob = s.createUser(t, "bob")
	w.carol = s.createUser(t, "carol")
	w.rock = s.createEvent(t, "Rock", 100, 49.99, 30)
	w.jazz = s.createEvent(t, "Jazz", 50, 20, 10)
	w.opera = s.createEvent(t, "Opera", 10, 0, 60)
	// A millisecond apart at least, as DateTime shows them.
	w.aliceRock = s.book(t, w.alice.ID, w.rock.ID, 2)
	time.Sleep(2 * time.Millisecond)
	w.aliceJazz = s.book(t, w.alice.ID, w.jazz.ID, 1)
	time.Sleep(2 * time.Millisecond)
	w.bobRock = s.book(t, w.bob.ID, w.rock.ID, 3)
	return w
}

type nestedBooking struct {
	ID              string `json:"id"`
	NumberOfTickets int    `json:"numberOfTickets"`
	CreatedAt       string `json:"createdAt"`
	User            *struct {
		ID       string `json:"id"`
		Username string `json:"username"`
		Email    string `json:"email"`
	} `json:"user"`
	Event *struct {
		ID               string  `json:"id"`
		Title            string  `json:"title"`
		Date             string  `json:"date"`
		Location         string  `json:"location"`
		Price            float64 `json:"price"`
		AvailableTickets int     `json:"availableTickets"`
	} `json:"event"`
}

type page[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
	Page  int `json:"page"`
	Limit int `json:"limit"`
}

func TestReadmeUsers(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct {
		Users page[struct {
			userOut
			Bookings []nestedBooking `json:"bookings"`
		}]
	}
	s.data(t, original.Users, nil, &out)
	u := out.Users
	if u.Total != 4 || u.Page != 1 || u.Limit != 10 || len(u.Items) != 4 {
		t.Fatalf("users page: %+v", u)
	}
	// Newest first (the admin came first); bookings everywhere, [] rather
	// than null.
	if u.Items[0].ID != w.carol.ID || u.Items[2].ID != w.alice.ID || u.Items[3].ID != s.admin.ID {
		t.Errorf("order: %+v", u.Items)
	}
	if u.Items[0].Bookings == nil || len(u.Items[0].Bookings) != 0 {
		t.Errorf("carol's bookings: want [], got %#v", u.Items[0].Bookings)
	}
	if b := u.Items[2].Bookings; len(b) != 2 || b[0].ID != w.aliceJazz.ID || b[1].NumberOfTickets != 2 {
		t.Errorf("alice's bookings: %+v", b)
	}

	s.data(t, original.Users, map[string]any{"pagination": map[string]any{"page": 2, "limit": 3}}, &out)
	if u := out.Users; u.Total != 4 || u.Page != 2 || u.Limit != 3 || len(u.Items) != 1 || u.Items[0].ID != s.admin.ID {
		t.Fatalf("page 2 of 2: %+v", u)
	}
}

func TestReadmeUser(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct {
		User struct {
			userOut
			Bookings []nestedBooking `json:"bookings"`
		}
	}
	s.data(t, original.User, map[string]any{"id": w.alice.ID}, &out)
	u := out.User
	if u.Username != "alice" || u.Email != "alice@example.com" || len(u.Bookings) != 2 {
		t.Fatalf("user: %+v", u)
	}
	if e := u.Bookings[0].Event; e.Title != "Jazz" || e.Date != w.jazz.Date || !isoMillis.MatchString(e.Date) {
		t.Errorf("most recent booking's event: %+v (want date %s)", e, w.jazz.Date)
	}
	if u.Bookings[1].Event.Title != "Rock" {
		t.Errorf("second booking's event: %+v", u.Bookings[1].Event)
	}
}

func TestReadmeUserBookings(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct{ Bookings page[nestedBooking] }
	s.data(t, original.UserBookings, map[string]any{
		"filter":     map[string]any{"userId": w.alice.ID},
		"pagination": map[string]any{"page": 1, "limit": 10},
	}, &out)
	b := out.Bookings
	if b.Total != 2 || len(b.Items) != 2 || b.Page != 1 || b.Limit != 10 {
		t.Fatalf("bookings: %+v", b)
	}
	jazz, rock := b.Items[0], b.Items[1]
	if jazz.ID != w.aliceJazz.ID || jazz.Event.Price != 20 || jazz.Event.Location != "Hall Jazz" {
		t.Errorf("first: %+v %+v", jazz, jazz.Event)
	}
	if rock.Event.Price != 49.99 || rock.Event.ID != w.rock.ID || !isoMillis.MatchString(rock.CreatedAt) {
		t.Errorf("second: %+v %+v", rock, rock.Event)
	}
}

func TestReadmeEvents(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct {
		Events page[struct {
			eventOut
			Description *string `json:"description"`
			Location    string  `json:"location"`
		}]
	}
	s.data(t, original.Events, nil, &out)
	e := out.Events
	if e.Total != 3 || len(e.Items) != 3 || e.Page != 1 || e.Limit != 10 {
		t.Fatalf("events: %+v", e)
	}
	// By date, soonest first.
	if e.Items[0].ID != w.jazz.ID || e.Items[1].ID != w.rock.ID || e.Items[2].ID != w.opera.ID {
		t.Errorf("order: %+v", e.Items)
	}
	rock := e.Items[1]
	if rock.Price != 49.99 || rock.AvailableTickets != 95 || rock.TotalTickets != 100 ||
		rock.Description == nil || *rock.Description != "Rock live" || !isoMillis.MatchString(rock.Date) {
		t.Errorf("rock: %+v", rock)
	}
}

func TestReadmeEvent(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct {
		Event struct {
			eventOut
			Bookings []nestedBooking `json:"bookings"`
		}
	}
	s.data(t, original.Event, map[string]any{"id": w.rock.ID}, &out)
	e := out.Event
	if e.Title != "Rock" || e.AvailableTickets != 95 || e.Price != 49.99 || len(e.Bookings) != 2 {
		t.Fatalf("event: %+v", e)
	}
	if e.Bookings[0].User.Username != "bob" || e.Bookings[1].User.Username != "alice" {
		t.Errorf("bookings, most recent first: %+v, %+v", e.Bookings[0].User, e.Bookings[1].User)
	}
}

func TestReadmeBooking(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct{ Booking nestedBooking }
	s.data(t, original.Booking, map[string]any{"id": w.bobRock.ID}, &out)
	b := out.Booking
	if b.NumberOfTickets != 3 || b.CreatedAt != w.bobRock.CreatedAt || b.User.ID != w.bob.ID ||
		b.User.Email != "bob@example.com" || b.Event.Title != "Rock" || b.Event.AvailableTickets != 95 {
		t.Fatalf("booking: %+v user %+v event %+v", b, b.User, b.Event)
	}
}

func TestReadmeCreateBooking(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct{ CreateBooking nestedBooking }
	s.data(t, original.CreateBooking, map[string]any{
		"userId": w.carol.ID,
		"input":  map[string]any{"eventId": w.opera.ID, "numberOfTickets": 2},
	}, &out)
	b := out.CreateBooking
	if b.NumberOfTickets != 2 || b.Event.AvailableTickets != 8 || b.Event.Price != 0 || b.User.Username != "carol" {
		t.Fatalf("booking: %+v event %+v user %+v", b, b.Event, b.User)
	}
}

func TestReadmeFilteredBookings(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	// Verbatim, its placeholder ids are refused as input, not as a bad query
	// (its unused variables are accepted).
	s.fails(t, original.FilteredBookings, nil, "BAD_USER_INPUT", "userId")

	// With real ids it runs: nobody booked in 2024.
	query := strings.NewReplacer(`"user-uuid"`, `"`+w.alice.ID+`"`, `"event-uuid"`, `"`+w.rock.ID+`"`).Replace(original.FilteredBookings)
	var out struct{ Bookings page[nestedBooking] }
	s.data(t, query, nil, &out)
	if out.Bookings.Total != 0 || len(out.Bookings.Items) != 0 || out.Bookings.Limit != 10 {
		t.Fatalf("2024: %+v", out.Bookings)
	}

	// And with today as both bounds, today's booking is in.
	today := w.aliceRock.CreatedAt[:len(time.DateOnly)]
	query = strings.NewReplacer("2024-01-01", today, "2024-12-31", today).Replace(query)
	s.data(t, query, nil, &out)
	if out.Bookings.Total != 1 || out.Bookings.Items[0].ID != w.aliceRock.ID || out.Bookings.Items[0].Event.Title != "Rock" {
		t.Fatalf("today: %+v", out.Bookings)
	}
}

// An empty database (but for the admin) gives empty lists, never null.
func TestEmptyLists(t *testing.T) {
	s := newTestServer(t)
	var out struct {
		Users          page[userOut]
		Events         page[eventOut]
		Bookings       page[bookingOut]
		PopularEvents  []eventOut
		UpcomingEvents []eventOut
	}
	s.data(t, `{
		users { items { id } total page limit }
		events { items { id } total page limit }
		bookings { items { id } total page limit }
		popularEvents { id }
		upcomingEvents { id }
	}`, nil, &out)
	if out.Users.Items == nil || out.Events.Items == nil || out.Bookings.Items == nil ||
		out.PopularEvents == nil || out.UpcomingEvents == nil || out.Users.Limit != 10 {
		t.Fatalf("empty lists: %+v", out)
	}
}

func TestPopularAndUpcomingEvents(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)
	for i := range 4 {
		s.createEvent(t, "Filler", 1000, 1, 90+i)
	}
	var out struct {
		PopularEvents  []eventOut
		UpcomingEvents []eventOut
		Two            []eventOut `json:"two"`
	}
	s.data(t, `{ popularEvents { id availableTickets } upcomingEvents { id } two: upcomingEvents(limit: 2) { id } }`, nil, &out)
	// Default 5; popular: fewest available first; upcoming: soonest first.
	if len(out.PopularEvents) != 5 || out.PopularEvents[0].ID != w.opera.ID || out.PopularEvents[1].ID != w.jazz.ID {
		t.Errorf("popular: %+v", out.PopularEvents)
	}
	if len(out.UpcomingEvents) != 5 || out.UpcomingEvents[0].ID != w.jazz.ID || out.UpcomingEvents[1].ID != w.rock.ID || len(out.Two) != 2 {
		t.Errorf("upcoming: %+v, two: %+v", out.UpcomingEvents, out.Two)
	}
}

package loadtest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// fakeServer mimics the GraphQL answers of boxoffice, or of the original
// API, closely enough to test the client: its statistics, error grouping
// and verification. It is not boxoffice.
type fakeServer struct {
	mu       sync.Mutex
	events   map[string]*fakeEvent
	order    []string // event ids, oldest first
	users    []string
	bookings int

	original bool // no createEvent, createUser, Booking.status
	// coarse: createdTo filters at whole milliseconds, so windows of
	// createdAt do not add up (as with a server storing microseconds
	// but parsing dates to milliseconds).
	coarse bool
	clock  time.Time // createdAt of the next booking; advances 10 µs a booking

	// Faults, decided per booking request by its number (from 1).
	loseEvery     int // acknowledge without booking
	oversellEvery int // book without taking the tickets
	internalEvery int // book, then answer INTERNAL
	internalOnly  int // answer INTERNAL without booking
	http502Every  int // answer 502 with an HTML page, without booking
	codeEvery     int // answer RATE_LIMITED without booking
	noCodeEvery   int // answer an error without extensions.code
	requests      int
}

type fakeEvent struct {
	id               string
	total, available int64
	bookings         []fakeBooking
}

type fakeBooking struct {
	tickets   int64
	cancelled bool
	pending   bool // a hold: still holds its tickets
	user      string
	createdAt time.Time
}

func newFake(users int) *fakeServer {
	f := &fakeServer{events: map[string]*fakeEvent{}}
	for i := range users {
		f.users = append(f.users, fmt.Sprintf("u%d", i+1))
	}
	return f
}

func (f *fakeServer) addEvent(total, available int64) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	id := fmt.Sprintf("e%d", len(f.order)+1)
	f.events[id] = &fakeEvent{id: id, total: total, available: available}
	f.order = append(f.order, id)
	return id
}

// start serves f on a loopback port for the test's lifetime.
func (f *fakeServer) start(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	return srv.URL + "/graphql"
}

type fakeError struct {
	Message    string         `json:"message"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

func coded(code, msg string) []fakeError {
	return []fakeError{{Message: msg, Extensions: map[string]any{"code": code}}}
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Query     string          `json:"query"`
		Variables json.RawMessage `json:"variables"`
	}
	if r.Method != http.MethodPost || json.NewDecoder(r.Body).Decode(&req) != nil {
		http.Error(w, "bad request", http.StatusBadRequest)
		return
	}
	var vars struct {
		ID         string
		UserID     string
		Input      map[string]any
		Filter     struct{ EventID, UserID, CreatedFrom, CreatedTo string }
		Pagination struct{ Page, Limit int }
	}
	_ = json.Unmarshal(req.Variables, &vars)

	f.mu.Lock()
	defer f.mu.Unlock()
	var (
		data   any
		errs   []fakeError
		status = http.StatusOK
	)
	q := req.Query
	switch {
	case f.original && (strings.Contains(q, "createEvent") || strings.Contains(q, "createUser")):
		errs = coded("GRAPHQL_VALIDATION_FAILED", `Cannot query field "createEvent" on type "Mutation".`)
	case f.original && strings.Contains(q, "status"):
		errs = coded("GRAPHQL_VALIDATION_FAILED", `Cannot query field "status" on type "Booking".`)
	case strings.Contains(q, "createBooking"):
		data, errs, status = f.book(vars.UserID, vars.Input)
		if status != http.StatusOK {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(status)
			fmt.Fprint(w, "<html>Bad Gateway</html>")
			return
		}
	case strings.Contains(q, "createEvent"):
		total := int64(vars.Input["totalTickets"].(float64))
		id := fmt.Sprintf("e%d", len(f.order)+1)
		f.events[id] = &fakeEvent{id: id, total: total, available: total}
		f.order = append(f.order, id)
		data = map[string]any{"createEvent": map[string]any{"id": id, "totalTickets": total, "availableTickets": total}}
	case strings.Contains(q, "createUser"):
		id := fmt.Sprintf("u%d", len(f.users)+1)
		f.users = append(f.users, id)
		data = map[string]any{"createUser": map[string]any{"id": id}}
	case strings.Contains(q, "users("):
		items := []map[string]any{}
		for _, id := range f.users[:min(len(f.users), 100)] {
			items = append(items, map[string]any{"id": id})
		}
		data = map[string]any{"users": map[string]any{"items": items, "total": len(f.users)}}
	case strings.Contains(q, "bookings(filter"):
		data, errs = f.eventBookings(vars.Filter.EventID, vars.Filter.CreatedFrom, vars.Filter.CreatedTo, vars.Pagination.Page, vars.Pagination.Limit)
	case strings.Contains(q, "event(id"):
		e, ok := f.events[vars.ID]
		if !ok {
			errs = coded("NOT_FOUND", "event not found")
			break
		}
		data = map[string]any{"event": map[string]any{"id": e.id, "totalTickets": e.total, "availableTickets": e.available}}
	case strings.Contains(q, "events("):
		data = map[string]any{"events": map[string]any{"items": []any{}, "total": len(f.order), "page": 1, "limit": 10}}
	case strings.Contains(q, "bookings("):
		data = map[string]any{"bookings": map[string]any{"items": []any{}, "total": f.bookings, "page": 1, "limit": 10}}
	default:
		errs = coded("GRAPHQL_VALIDATION_FAILED", "unknown operation")
	}
	w.Header().Set("Content-Type", "application/json")
	resp := map[string]any{}
	if errs != nil {
		resp["errors"] = errs
		resp["data"] = nil
	} else {
		resp["data"] = data
	}
	_ = json.NewEncoder(w).Encode(resp)
}

func every(n, i int) bool { return n > 0 && i%n == 0 }

func (f *fakeServer) book(userID string, input map[string]any) (any, []fakeError, int) {
	f.requests++
	i := f.requests
	e, ok := f.events[input["eventId"].(string)]
	if !ok {
		return nil, coded("NOT_FOUND", "event not found"), http.StatusOK
	}
	if userID == "" {
		return nil, coded("BAD_USER_INPUT", "no user"), http.StatusOK
	}
	n := int64(input["numberOfTickets"].(float64))
	switch {
	case every(f.http502Every, i):
		return nil, nil, http.StatusBadGateway
	case every(f.codeEvery, i):
		return nil, coded("RATE_LIMITED", "slow down"), http.StatusOK
	case every(f.noCodeEvery, i):
		return nil, []fakeError{{Message: "something"}}, http.StatusOK
	case every(f.internalOnly, i):
		return nil, coded("INTERNAL", "internal error"), http.StatusOK
	}
	if e.available < n {
		return nil, coded("SOLD_OUT", "event is sold out"), http.StatusOK
	}
	if !every(f.loseEvery, i) {
		if f.clock.IsZero() {
			f.clock = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
		}
		f.clock = f.clock.Add(10 * time.Microsecond)
		e.bookings = append(e.bookings, fakeBooking{tickets: n, user: userID, createdAt: f.clock})
		f.bookings++
		if !every(f.oversellEvery, i) {
			e.available -= n
		}
	}
	if every(f.internalEvery, i) {
		return nil, coded("INTERNAL", "internal error"), http.StatusOK
	}
	return map[string]any{"createBooking": map[string]any{"id": fmt.Sprintf("b%d", i), "numberOfTickets": n}}, nil, http.StatusOK
}

func (f *fakeServer) eventBookings(eventID, from, to string, page, limit int) (any, []fakeError) {
	if page < 1 || limit < 1 || limit > 100 {
		return nil, coded("BAD_USER_INPUT", "bad page")
	}
	var fromT, toT time.Time
	var err error
	if from != "" {
		if fromT, err = time.Parse(time.RFC3339Nano, from); err != nil {
			return nil, coded("BAD_USER_INPUT", "bad createdFrom")
		}
	}
	if to != "" {
		if toT, err = time.Parse(time.RFC3339Nano, to); err != nil {
			return nil, coded("BAD_USER_INPUT", "bad createdTo")
		}
		if f.coarse {
			toT = toT.Truncate(time.Millisecond)
		}
	}
	var match []fakeBooking
	if e := f.events[eventID]; e != nil {
		for i := len(e.bookings) - 1; i >= 0; i-- { // newest first
			b := e.bookings[i]
			if (from == "" || !b.createdAt.Before(fromT)) && (to == "" || !b.createdAt.After(toT)) {
				match = append(match, b)
			}
		}
	}
	items := []map[string]any{}
	total := len(match)
	start := min((page-1)*limit, total)
	for _, b := range match[start:min(start+limit, total)] {
		item := map[string]any{"numberOfTickets": b.tickets, "createdAt": b.createdAt.Truncate(time.Millisecond).Format("2006-01-02T15:04:05.000Z")}
		if !f.original {
			item["status"] = map[bool]string{false: "CONFIRMED", true: "CANCELLED"}[b.cancelled]
			if b.pending && !b.cancelled {
				item["status"] = "PENDING"
			}
		}
		items = append(items, item)
	}
	return map[string]any{"bookings": map[string]any{"items": items, "total": total}}, nil
}

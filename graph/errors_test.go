package graph_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/internal/original"
	"github.com/boxoffice/boxoffice/service"
)

const usersPage = `query($p: PaginationInput) { users(pagination: $p) { total page limit } }`

func TestPaginationBounds(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		p     map[string]any
		field string
	}{
		{map[string]any{"page": 0}, "page"},
		{map[string]any{"page": -1}, "page"},
		{map[string]any{"limit": 0}, "limit"},
		{map[string]any{"limit": 101}, "limit"},
	} {
		s.fails(t, usersPage, map[string]any{"p": tc.p}, "BAD_USER_INPUT", tc.field)
	}
	for _, q := range []string{
		`{ events(pagination: {limit: 101}) { total } }`,
		`{ bookings(pagination: {page: 0}) { total } }`,
		`{ popularEvents(limit: 0) { id } }`,
		`{ upcomingEvents(limit: 101) { id } }`,
	} {
		s.fails(t, q, nil, "BAD_USER_INPUT", "")
	}

	var out struct{ Users page[userOut] }
	s.data(t, usersPage, map[string]any{"p": map[string]any{"limit": 100}}, &out)
	if out.Users.Page != 1 || out.Users.Limit != 100 {
		t.Errorf("defaults: %+v", out.Users)
	}
}

func TestNestedBookingsLimit(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	var out struct {
		User struct {
			Recent []bookingOut `json:"recent"`
			All    []bookingOut `json:"all"`
		}
	}
	s.data(t, `query($id: ID!) { user(id: $id) { recent: bookings(limit: 1) { id } all: bookings { id } } }`,
		map[string]any{"id": w.alice.ID}, &out)
	if len(out.User.Recent) != 1 || out.User.Recent[0].ID != w.aliceJazz.ID || len(out.User.All) != 2 {
		t.Fatalf("limits: %+v", out.User)
	}
	s.fails(t, `query($id: ID!) { user(id: $id) { bookings(limit: 1001) { id } } }`, map[string]any{"id": w.alice.ID}, "BAD_USER_INPUT", "limit")
	s.fails(t, `query($id: ID!) { event(id: $id) { bookings(limit: 0) { id } } }`, map[string]any{"id": w.rock.ID}, "BAD_USER_INPUT", "limit")
}

func TestBadIDsAreBadInput(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)
	for _, tc := range []struct {
		query, field string
	}{
		{`{ user(id: "nope") { id } }`, "id"},
		{`{ event(id: "1") { id } }`, "id"},
		{`{ booking(id: "' OR 1=1 --") { id } }`, "id"},
		{`{ bookings(filter: {eventId: "x"}) { total } }`, "eventId"},
		{`mutation { cancelBooking(id: "x") { id } }`, "id"},
		{`mutation { updateEvent(id: "x", input: {version: 1}) { id } }`, "id"},
		{`mutation { createBooking(userId: "x", input: {eventId: "` + w.rock.ID + `", numberOfTickets: 1}) { id } }`, "userId"},
		{`mutation { createBooking(userId: "` + w.bob.ID + `", input: {eventId: "x", numberOfTickets: 1}) { id } }`, "eventId"},
	} {
		s.fails(t, tc.query, nil, "BAD_USER_INPUT", tc.field)
	}
}

func TestNotFound(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)
	missing := boxoffice.NewID()
	for _, q := range []string{
		`{ user(id: "` + missing + `") { id } }`,
		`{ event(id: "` + missing + `") { id } }`,
		`{ booking(id: "` + missing + `") { id } }`,
		`mutation { cancelBooking(id: "` + missing + `") { id } }`,
		`mutation { updateEvent(id: "` + missing + `", input: {version: 1, title: "x"}) { id } }`,
		`mutation { createBooking(userId: "` + missing + `", input: {eventId: "` + w.rock.ID + `", numberOfTickets: 1}) { id } }`,
		`mutation { createBooking(userId: "` + w.bob.ID + `", input: {eventId: "` + missing + `", numberOfTickets: 1}) { id } }`,
	} {
		s.fails(t, q, nil, "NOT_FOUND", "")
	}
}

const bookOne = `mutation($u: ID!, $e: ID!, $n: Int!) {
	createBooking(userId: $u, input: {eventId: $e, numberOfTickets: $n}) { id event { availableTickets } }
}`

func TestSoldOut(t *testing.T) {
	s := newTestServer(t)
	u := s.createUser(t, "dave")
	e := s.createEvent(t, "Tiny", 3, 5, 1)
	s.book(t, u.ID, e.ID, 2)
	s.fails(t, bookOne, map[string]any{"u": u.ID, "e": e.ID, "n": 2}, "SOLD_OUT", "")
	s.book(t, u.ID, e.ID, 1)
	s.fails(t, bookOne, map[string]any{"u": u.ID, "e": e.ID, "n": 1}, "SOLD_OUT", "")
	s.fails(t, bookOne, map[string]any{"u": u.ID, "e": e.ID, "n": 11}, "BAD_USER_INPUT", "numberOfTickets")
	s.fails(t, bookOne, map[string]any{"u": u.ID, "e": e.ID, "n": 0}, "BAD_USER_INPUT", "numberOfTickets")
}

const updateEvent = `mutation($id: ID!, $in: UpdateEventInput!) {
	updateEvent(id: $id, input: $in) { id title price totalTickets availableTickets version }
}`

func TestUpdateEventVersions(t *testing.T) {
	s := newTestServer(t)
	u := s.createUser(t, "erin")
	e := s.createEvent(t, "Gig", 10, 10, 5)
	s.book(t, u.ID, e.ID, 4)

	var out struct{ UpdateEvent eventOut }
	s.data(t, updateEvent, map[string]any{"id": e.ID, "in": map[string]any{"version": e.Version, "title": "Big gig", "price": 12.5, "totalTickets": 20}}, &out)
	got := out.UpdateEvent
	if got.Title != "Big gig" || got.Price != 12.5 || got.TotalTickets != 20 || got.AvailableTickets != 16 || got.Version != e.Version+1 {
		t.Fatalf("updated: %+v", got)
	}
	// The same version again is stale.
	s.fails(t, updateEvent, map[string]any{"id": e.ID, "in": map[string]any{"version": e.Version, "title": "Lost update"}}, "CONFLICT", "")
	// Fewer tickets than sold.
	s.fails(t, updateEvent, map[string]any{"id": e.ID, "in": map[string]any{"version": got.Version, "totalTickets": 3}}, "CONFLICT", "")
	s.fails(t, updateEvent, map[string]any{"id": e.ID, "in": map[string]any{"version": got.Version, "price": 1.001}}, "BAD_USER_INPUT", "price")
	s.fails(t, updateEvent, map[string]any{"id": e.ID, "in": map[string]any{"version": got.Version, "date": "2001-01-01"}}, "BAD_USER_INPUT", "date")
}

func TestCancelBookingReturnsTickets(t *testing.T) {
	s := newTestServer(t)
	u := s.createUser(t, "frank")
	e := s.createEvent(t, "Show", 10, 10, 5)
	b := s.book(t, u.ID, e.ID, 3)

	const cancel = `mutation($id: ID!) { cancelBooking(id: $id) { id status cancelledAt event { availableTickets } } }`
	var out struct {
		CancelBooking struct {
			Status      string  `json:"status"`
			CancelledAt *string `json:"cancelledAt"`
			Event       struct{ AvailableTickets int }
		}
	}
	s.data(t, cancel, map[string]any{"id": b.ID}, &out)
	c := out.CancelBooking
	if c.Status != "CANCELLED" || c.CancelledAt == nil || !isoMillis.MatchString(*c.CancelledAt) || c.Event.AvailableTickets != 10 {
		t.Fatalf("cancelled: %+v", c)
	}
	s.fails(t, cancel, map[string]any{"id": b.ID}, "CONFLICT", "")

	var list struct{ Bookings page[bookingOut] }
	s.data(t, filteredIDs, map[string]any{"f": map[string]any{"status": "CANCELLED"}}, &list)
	if list.Bookings.Total != 1 || list.Bookings.Items[0].ID != b.ID {
		t.Fatalf("cancelled bookings: %+v", list.Bookings)
	}
}

func TestCreateEventInput(t *testing.T) {
	s := newTestServer(t)
	const create = `mutation($in: CreateEventInput!) { createEvent(input: $in) { price date availableTickets version } }`
	input := func(price any, date string) map[string]any {
		return map[string]any{"in": map[string]any{"title": "T", "location": "L", "totalTickets": 5, "price": price, "date": date}}
	}
	future := time.Now().UTC().AddDate(1, 0, 0)

	var out struct{ CreateEvent eventOut }
	s.data(t, create, input(19.99, future.Format(time.DateOnly)), &out)
	want := future.Format(time.DateOnly) + "T00:00:00.000Z"
	if c := out.CreateEvent; c.Price != 19.99 || c.Date != want || c.AvailableTickets != 5 || c.Version != 1 {
		t.Fatalf("created: %+v, want date %s", c, want)
	}
	s.data(t, create, input(0.29, "2099-06-01T20:00:00.5+02:00"), &out)
	if c := out.CreateEvent; c.Price != 0.29 || c.Date != "2099-06-01T18:00:00.500Z" {
		t.Fatalf("created: %+v", c)
	}
	for _, bad := range []any{-1, 10.005, 1e300, 1000000} {
		s.fails(t, create, input(bad, "2099-01-01"), "BAD_USER_INPUT", "price")
	}
	s.fails(t, create, input(1, "2001-01-01"), "BAD_USER_INPUT", "date")
	s.fails(t, create, input(1, "next week"), "BAD_USER_INPUT", "date")
	s.fails(t, `mutation { createUser(input: {username: "x", email: "x@example.com"}) { id } }`, nil, "BAD_USER_INPUT", "username")
	s.createUser(t, "gina")
	s.fails(t, `mutation { createUser(input: {username: "gina2", email: "GINA@example.com"}) { id } }`, nil, "CONFLICT", "")
}

// Variables that do not fit their types are bad input; queries that do not
// fit the schema are bad queries.
func TestCoercionAndValidationCodes(t *testing.T) {
	s := newTestServer(t)
	s.fails(t, usersPage, map[string]any{"p": map[string]any{"limit": "ten"}}, "BAD_USER_INPUT", "limit")
	s.fails(t, usersPage, map[string]any{"p": map[string]any{"pages": 1}}, "BAD_USER_INPUT", "")
	s.fails(t, original.User, nil, "BAD_USER_INPUT", "id")
	s.fails(t, `{ users(pagination: {limit: "ten"}) { total } }`, nil, "GRAPHQL_VALIDATION_FAILED", "")
	s.fails(t, `{ users { nope } }`, nil, "GRAPHQL_VALIDATION_FAILED", "")
	s.fails(t, `{ users { total `, nil, "GRAPHQL_PARSE_FAILED", "")
	r := s.post(t, `{ __schema { types { name } } }`, nil)
	if len(r.Errors) == 0 || r.Errors[0].code() != "GRAPHQL_VALIDATION_FAILED" {
		t.Errorf("introspection is off by default: %+v", r.Errors)
	}
	open := newTestServer(t, func(c *graph.Config) { c.Introspection = true })
	var schema struct {
		Schema struct{ QueryType struct{ Name string } } `json:"__schema"`
	}
	open.data(t, `{ __schema { queryType { name } } }`, nil, &schema)
	if schema.Schema.QueryType.Name != "Query" {
		t.Errorf("introspection: %+v", schema)
	}
}

func TestDepthAndComplexityLimits(t *testing.T) {
	s := newTestServer(t)
	deep := "id"
	for range 15 {
		deep = "bookings { user { " + deep + " } }" // 2 levels a turn: 30 and the root
	}
	start := time.Now()
	e := s.fails(t, `{ users { items { `+deep+` } } }`, nil, "GRAPHQL_VALIDATION_FAILED", "")
	if !strings.Contains(e.Message, "nested") || time.Since(start) > time.Second {
		t.Errorf("depth: %v in %v", e, time.Since(start))
	}
	// Fragments are measured too.
	s.fails(t, `query { users { items { ...U } } }
		fragment U on User { bookings { event { bookings { user { bookings { event { bookings { user { bookings { event { id } } } } } } } } } } }`,
		nil, "GRAPHQL_VALIDATION_FAILED", "")

	e = s.fails(t, `{ users(pagination: {limit: 100}) { items { bookings(limit: 1000) { event { bookings(limit: 1000) { id } } } } } }`,
		nil, "COMPLEXITY_LIMIT_EXCEEDED", "")
	t.Log(e.Message)
}

func TestInternalErrorsDoNotLeak(t *testing.T) {
	s := newTestServer(t)
	s.createUser(t, "hank")
	s.db.Close() // every statement fails from now on
	// Anonymous, on public fields: a token would fail before the handler,
	// in authentication.
	anon := s.as("")

	req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(`{"query":"{ events { items { id } total } }"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Request-ID", "req-42")
	e := oneError(t, anon.send(t, req), "INTERNAL", "")
	if e.Message != "internal error (request id req-42)" {
		t.Fatalf("message: %q", e.Message)
	}
	if lines := s.logs.lines(`"request_id":"req-42"`, "graphql internal error", "sql"); len(lines) != 1 {
		t.Errorf("want the real error logged once with the request id, got %v", lines)
	}
	if lines := s.logs.lines(`"request_id":"req-42"`, "graphql operation", `"error_codes":["INTERNAL"]`); len(lines) != 1 {
		t.Errorf("want one operation line, got %v", lines)
	}

	// Without a request id from outside, the handler makes one.
	e = anon.fails(t, `{ events { total } }`, nil, "INTERNAL", "")
	id, ok := strings.CutPrefix(e.Message, "internal error (request id ")
	if !ok || !boxoffice.ValidID(strings.TrimSuffix(id, ")")) {
		t.Errorf("message: %q", e.Message)
	}
}

// panicky is the real service with one method that panics.
type panicky struct{ *service.Users }

func (panicky) FindUserByID(context.Context, string) (*boxoffice.User, error) {
	panic("boom: secret detail")
}

func TestPanicsAreInternal(t *testing.T) {
	s := newTestServer(t, func(c *graph.Config) { c.Users = panicky{c.Users.(*service.Users)} })
	e := s.fails(t, `{ user(id: "`+boxoffice.NewID()+`") { id } }`, nil, "INTERNAL", "")
	if strings.Contains(e.Message, "boom") || !strings.HasPrefix(e.Message, "internal error (request id ") {
		t.Fatalf("message: %q", e.Message)
	}
	if lines := s.logs.lines("boom: secret detail", "goroutine"); len(lines) != 1 {
		t.Errorf("want the panic logged with its stack")
	}
	// The server lives on.
	var out struct{ Users page[userOut] }
	s.data(t, usersPage, nil, &out)
}

func TestMalformedRequests(t *testing.T) {
	s := newTestServer(t)
	for _, tc := range []struct {
		name, contentType, body string
		status                  int
	}{
		{"malformed JSON", "application/json", `{"query": "{ users { total } }"`, http.StatusBadRequest},
		{"empty body", "application/json", ``, http.StatusBadRequest},
		{"not an object", "application/json", `[1, 2]`, http.StatusBadRequest},
		{"query not a string", "application/json", `{"query": 42}`, http.StatusBadRequest},
		{"not JSON", "text/plain", `{ users { total } }`, http.StatusUnsupportedMediaType},
		{"too large", "application/json", `{"query": "` + strings.Repeat(" ", 2<<20) + `"}`, http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := s.raw(t, http.MethodPost, tc.contentType, []byte(tc.body))
			if r.status != tc.status {
				t.Errorf("status %d, want %d", r.status, tc.status)
			}
			e := oneError(t, r, "BAD_REQUEST", "")
			if strings.Contains(e.Message, "users") || strings.Contains(e.Message, "query") && tc.body != "" && strings.Contains(e.Message, tc.body) {
				t.Errorf("echoes the body: %q", e.Message)
			}
		})
	}
	r := s.raw(t, http.MethodPut, "application/json", []byte(`{"query":"{ users { total } }"}`))
	if r.status != http.StatusMethodNotAllowed {
		t.Errorf("PUT: status %d", r.status)
	}
	oneError(t, r, "BAD_REQUEST", "")
}

func TestGET(t *testing.T) {
	s := newTestServer(t)
	s.createUser(t, "ivy") // and the admin: 2 users
	get := func(params url.Values) gqlResponse {
		req, _ := http.NewRequest(http.MethodGet, s.url+"?"+params.Encode(), nil)
		return s.send(t, req)
	}

	r := get(url.Values{"query": {usersPage}, "variables": {`{"p": {"limit": 5}}`}})
	if r.status != http.StatusOK || len(r.Errors) != 0 || !strings.Contains(string(r.Data), `"total":2`) {
		t.Fatalf("GET query: %d %s %+v", r.status, r.Data, r.Errors)
	}
	r = get(url.Values{"query": {`mutation { createUser(input: {username: "jim", email: "jim@example.com"}) { id } }`}})
	if r.status == http.StatusOK {
		t.Errorf("GET mutation: status 200")
	}
	oneError(t, r, "BAD_REQUEST", "")
	var out struct{ Users page[userOut] }
	s.data(t, usersPage, nil, &out)
	if out.Users.Total != 2 {
		t.Errorf("a GET mutation ran")
	}
	r = get(url.Values{"query": {usersPage}, "variables": {`{"p":`}})
	if r.status != http.StatusBadRequest {
		t.Errorf("bad variables: status %d", r.status)
	}
	oneError(t, r, "BAD_REQUEST", "")
}

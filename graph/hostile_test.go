package graph_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/graph/generated"
)

// Regression tests for the hostile inputs of issue 9, each on both engines.
// They assert what is answered, never how fast: the benchmark in
// hostile_bench_test.go measures the cost (docs/hardening.md).

// fragmentChain is a document whose fragment F<i> spreads F<i-1> twice.
func fragmentChain(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "query { ...F%d }\nfragment F0 on Query { __typename }\n", n)
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	return b.String()
}

func repeatField(n int, field string) string {
	return "{ " + strings.Repeat(field+" ", n) + "}"
}

// 1. A chain of fragments that each spread the previous one twice counts
// its fields expanded, and is refused before any analysis walks it.
func TestFragmentBombIsRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		for _, n := range []int{16, 24, 30} {
			e := s.as("").fails(t, fragmentChain(n), nil, "GRAPHQL_VALIDATION_FAILED", "")
			if !strings.Contains(e.Message, "fields") {
				t.Errorf("chain of %d: %q", n, e.Message)
			}
		}
		if lines := s.logs.lines("graphql document refused", "fields"); len(lines) != 3 {
			t.Errorf("want each refusal logged, got %d lines", len(lines))
		}
		// A short chain is a legitimate document.
		var out map[string]any
		s.as("").data(t, fragmentChain(4), nil, &out)
	})
}

// 2. Thousands of copies of one field never reach the quadratic
// overlapping-fields rule: the parser's token limit or the field limit
// refuses them first.
func TestRepeatedFieldsAreRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		e := s.as("").fails(t, repeatField(600, "__typename"), nil, "GRAPHQL_VALIDATION_FAILED", "")
		if !strings.Contains(e.Message, "600 fields") {
			t.Errorf("600 copies: %q", e.Message)
		}
		e = s.as("").fails(t, repeatField(7000, "__typename"), nil, "GRAPHQL_PARSE_FAILED", "")
		if !strings.Contains(e.Message, "token limit") {
			t.Errorf("7,000 copies: %q", e.Message)
		}
		if lines := s.logs.lines("graphql document refused", "token limit"); len(lines) != 1 {
			t.Errorf("want the refusal logged, got %d lines", len(lines))
		}
		var out map[string]any
		s.as("").data(t, repeatField(400, "__typename"), nil, &out)
	})
}

// Aliases and directives have limits of their own.
func TestAliasAndDirectiveLimits(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		var aliases strings.Builder
		for i := range 31 {
			fmt.Fprintf(&aliases, "a%d: __typename ", i)
		}
		e := s.as("").fails(t, "{ "+aliases.String()+"}", nil, "GRAPHQL_VALIDATION_FAILED", "")
		if !strings.Contains(e.Message, "aliases") {
			t.Errorf("aliases: %q", e.Message)
		}
		e = s.as("").fails(t, "{ __typename"+strings.Repeat(" @skip(if: false)", 51)+" }", nil, "GRAPHQL_VALIDATION_FAILED", "")
		if !strings.Contains(e.Message, "directives") {
			t.Errorf("directives: %q", e.Message)
		}
	})
}

// 3. The query cache keeps no document over 16 KiB, and its memory is
// bounded: a stream of distinct large documents leaves nothing behind.
func TestLargeDocumentsAreNotCached(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		padding := strings.Repeat("x", 100<<10)
		heap := func() uint64 {
			runtime.GC()
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			return m.HeapAlloc
		}
		before := heap()
		for i := range 80 { // 8 MB of distinct, valid documents
			var out map[string]any
			s.as("").data(t, fmt.Sprintf("{ __typename } # %d %s", i, padding), nil, &out)
		}
		if grown := int64(heap()) - int64(before); grown > 4<<20 {
			t.Errorf("the heap grew by %d MB after 80 distinct 100 KB queries", grown>>20)
		}
	})
}

// 4. One date range for both engines, checked at the API: a date in the
// year 10000 in UTC is refused everywhere, not stored to break every
// listing on SQLite; a plain createdTo at the range's end includes all.
func TestDatesOutsideTheRangeAreRefused(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		u := s.createUser(t, "dora")
		e := s.createEvent(t, "Gig", 10, 10, 5)
		b := s.book(t, u.ID, e.ID, 1)
		const create = `mutation($in: CreateEventInput!) { createEvent(input: $in) { id date } }`
		for _, date := range []string{"9999-12-31T23:59:59-23:59", "10000-01-01T00:00:00Z", "0001-01-01T00:00:00+01:00"} {
			s.fails(t, create, map[string]any{"in": map[string]any{
				"title": "Far", "location": "L", "totalTickets": 5, "price": 1, "date": date,
			}}, "BAD_USER_INPUT", "date")
			s.fails(t, updateEvent, map[string]any{"id": e.ID, "in": map[string]any{"version": e.Version, "date": date}}, "BAD_USER_INPUT", "date")
			s.fails(t, `query($f: BookingFilterInput) { bookings(filter: $f) { total } }`,
				map[string]any{"f": map[string]any{"createdFrom": date}}, "BAD_USER_INPUT", "createdFrom")
			s.fails(t, `{ bookings(filter: {createdTo: "`+date+`"}) { total } }`, nil, "BAD_USER_INPUT", "createdTo")
		}
		s.data(t, create, map[string]any{"in": map[string]any{
			"title": "Last", "location": "L", "totalTickets": 5, "price": 1, "date": "9999-12-31T23:59:59Z",
		}}, new(map[string]any))
		var list struct{ Events page[eventOut] }
		s.data(t, `{ events(pagination: {limit: 100}) { total items { id date } } }`, nil, &list)
		if list.Events.Total != 2 {
			t.Errorf("events: %+v", list.Events)
		}
		var popular map[string]any
		s.as("").data(t, `{ popularEvents { id date } }`, nil, &popular)

		var out struct{ Bookings page[bookingOut] }
		for _, to := range []string{"9999-12-31", "9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59Z"} {
			s.data(t, `query($to: DateTime) { bookings(filter: {createdTo: $to}) { total items { id } } }`, map[string]any{"to": to}, &out)
			if out.Bookings.Total != 1 || out.Bookings.Items[0].ID != b.ID {
				t.Errorf("createdTo %s: %+v", to, out.Bookings)
			}
		}
	})
}

// 5. With introspection off, no message names a type, field, argument or
// enum value the client did not write, and none suggests one.
func TestIntrospectionOffHidesNames(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		names := schemaNames()
		// The words of the messages (redact.go's and gqlparser's) are
		// English first: "at" in "does not fit its type at p.limit" is not
		// the field BookingChange.at, nor "conflict" in "These fields
		// conflict" the field CheckIn.conflict.
		for _, word := range []string{"at", "type", "value", "conflict"} {
			delete(names, word)
		}
		for _, tc := range []struct {
			query string
			vars  map[string]any
		}{
			{`{ users { itemz { id } } }`, nil},
			{`{ userz { total } }`, nil},
			{`{ users(paginatio: {limit: 1}) { total } }`, nil},
			{`{ users(pagination: {limt: 1}) { total } }`, nil},
			{`{ users(pagination: {limit: "1"}) { total } }`, nil},
			{`{ user { id } }`, nil},
			{`{ user(id: "x") }`, nil},
			{`{ events { total { x } } }`, nil},
			{`mutation { setUserRole(userId: "x", role: ADMN) { id } }`, nil},
			{`query($p: Paginatio) { users(pagination: $p) { total } }`, nil},
			{`query($p: Int) { users(pagination: $p) { total } }`, nil},
			{`query($l: String) { users(pagination: {limit: $l}) { total } }`, nil},
			{`{ users { ... on Evnt { id } } }`, nil},
			{`{ users { ... on Event { id } } }`, nil},
			{`{ users { ...F } } fragment F on Booking { id }`, nil},
			{`{ a: users { total } a: events { total } }`, nil},
			{`query($in: CreateBookingInput!) { __typename }`, map[string]any{"in": map[string]any{}}},
			{`mutation($in: CreateBookingInput!) { createBooking(userId: "x", input: $in) { id } }`, map[string]any{"in": map[string]any{"eventID": "x"}}},
			{`mutation($r: Role!) { setUserRole(userId: "x", role: $r) { id } }`, map[string]any{"r": "ADMN"}},
			{`query($p: PaginationInput) { users(pagination: $p) { total } }`, map[string]any{"p": "ten"}},
			{`query($p: PaginationInput) { users(pagination: $p) { total } }`, map[string]any{"p": map[string]any{"limit": "ten"}}},
		} {
			r := s.post(t, tc.query, tc.vars)
			if len(r.Errors) == 0 {
				t.Errorf("%s: no error", tc.query)
				continue
			}
			sent := tc.query + fmt.Sprint(tc.vars)
			for _, e := range r.Errors {
				if strings.Contains(e.Message, "Did you mean") {
					t.Errorf("%s: suggests: %q", tc.query, e.Message)
				}
				for _, word := range regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*`).FindAllString(e.Message, -1) {
					if names[word] && !regexp.MustCompile(`\b`+word+`\b`).MatchString(sent) {
						t.Errorf("%s: names %s: %q", tc.query, word, e.Message)
					}
				}
				if e.code() == "" {
					t.Errorf("%s: no code: %+v", tc.query, e)
				}
			}
		}
	})
}

// schemaNames are the names of the schema's types, fields, arguments and
// enum values, and the built-in scalars'.
func schemaNames() map[string]bool {
	names := map[string]bool{}
	for _, typ := range generated.NewExecutableSchema(generated.Config{}).Schema().Types {
		if strings.HasPrefix(typ.Name, "__") {
			continue
		}
		names[typ.Name] = true
		for _, f := range typ.Fields {
			names[f.Name] = true
			for _, a := range f.Arguments {
				names[a.Name] = true
			}
		}
		for _, v := range typ.EnumValues {
			names[v.Name] = true
		}
	}
	return names
}

// 6. A NUL byte in any string is BAD_USER_INPUT on both engines: never an
// INTERNAL error, never a filter that matches everyone.
func TestNULBytesAreBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		s.createUser(t, "erin")
		const nul = "\x00"
		s.as("").fails(t, signInMutation, map[string]any{"in": map[string]any{"email": "erin" + nul + "@example.com", "password": "whatever-password"}}, "BAD_USER_INPUT", "email")
		s.as("").fails(t, signUpMutation, map[string]any{"in": map[string]any{"username": "x" + nul + "y", "email": "xy@example.com", "password": "a-long-password"}}, "BAD_USER_INPUT", "username")
		s.fails(t, `mutation($in: CreateEventInput!) { createEvent(input: $in) { id } }`, map[string]any{"in": map[string]any{
			"title": "T" + nul, "location": "L", "totalTickets": 5, "price": 1, "date": "2099-01-01",
		}}, "BAD_USER_INPUT", "title")
		e := s.createEvent(t, "Gig", 10, 10, 5)
		s.fails(t, updateEvent, map[string]any{"id": e.ID, "in": map[string]any{"version": e.Version, "description": "a" + nul}}, "BAD_USER_INPUT", "description")
		for _, field := range []string{"email", "username"} {
			s.fails(t, `query($f: UserFilterInput) { users(filter: $f) { total } }`, map[string]any{"f": map[string]any{field: nul}}, "BAD_USER_INPUT", field)
		}
		// In the document itself, as an escape.
		s.fails(t, `{ users(filter: {email: "\u0000"}) { total } }`, nil, "BAD_USER_INPUT", "email")
		s.fails(t, `query($id: ID!) { event(id: $id) { id } }`, map[string]any{"id": e.ID + nul}, "BAD_USER_INPUT", "id")
	})
}

// 7. page × limit is bounded: a huge page is BAD_USER_INPUT, not an
// overflowing offset (INTERNAL on PostgreSQL, the first page on SQLite).
func TestHugePagesAreBadInput(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		for _, p := range []map[string]any{
			{"page": 200_000, "limit": 100},
			{"page": 2147483647, "limit": 100},
			{"page": 10_000_001, "limit": 1},
		} {
			s.fails(t, usersPage, map[string]any{"p": p}, "BAD_USER_INPUT", "page")
			s.fails(t, `query($p: PaginationInput) { events(pagination: $p) { total } }`, map[string]any{"p": p}, "BAD_USER_INPUT", "page")
		}
		// Past 32 bits, an Int is not an Int.
		s.fails(t, usersPage, map[string]any{"p": map[string]any{"page": int64(1) << 62, "limit": 100}}, "BAD_USER_INPUT", "page")
		s.fails(t, `{ bookings(pagination: {page: 4611686018427387904}) { total } }`, nil, "BAD_USER_INPUT", "page")
		var out struct{ Users page[userOut] }
		s.data(t, usersPage, map[string]any{"p": map[string]any{"page": 100_000, "limit": 100}}, &out)
		if out.Users.Total != 1 || out.Users.Page != 100_000 {
			t.Errorf("the last page allowed: %+v", out.Users)
		}
	})
}

// 8. An answer carries at most 20 errors, from validation or execution.
func TestErrorsAreCapped(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		r := s.post(t, "{ __typename "+strings.Repeat("@a", 4000)+" }", nil)
		if len(r.Errors) > 20 || r.Errors[0].code() != "GRAPHQL_PARSE_FAILED" {
			t.Errorf("4,000 unknown directives: %d errors, first %+v", len(r.Errors), r.Errors[0])
		}
		r = s.post(t, "{ __typename "+strings.Repeat("@a", 40)+" }", nil)
		if len(r.Errors) != 20 || r.Errors[19].code() != "GRAPHQL_VALIDATION_FAILED" || !strings.Contains(r.Errors[19].Message, "stopped") {
			t.Errorf("40 unknown directives: %d errors, last %+v", len(r.Errors), r.Errors[len(r.Errors)-1])
		}
		r = s.post(t, repeatField(40, "nope"), nil)
		if len(r.Errors) != 20 {
			t.Errorf("40 unknown fields: %d errors", len(r.Errors))
		}
		for i := range 30 {
			s.createEvent(t, fmt.Sprintf("Event %d", i), 10, 10, i+1)
		}
		// Anonymous: every event's bookings are UNAUTHENTICATED.
		r = s.as("").post(t, `{ events(pagination: {limit: 30}) { items { id bookings { id } } } }`, nil)
		if len(r.Errors) != 20 || r.Errors[0].code() != "UNAUTHENTICATED" || r.Errors[19].code() != "UNAUTHENTICATED" || !strings.Contains(r.Errors[19].Message, "11 more errors") {
			t.Errorf("30 failing fields: %d errors, last %+v", len(r.Errors), r.Errors[len(r.Errors)-1])
		}
	})
}

// 9. Input coercion as the specification has it: the string "2" is not an
// Int, and books nothing.
func TestSpecInputCoercion(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		u := s.createUser(t, "finn")
		e := s.createEvent(t, "Gig", 10, 10, 5)
		for _, n := range []any{"2", 2.5, true, 2147483648, nil} {
			s.fails(t, bookOne, map[string]any{"u": u.ID, "e": e.ID, "n": n}, "BAD_USER_INPUT", "")
		}
		var ev struct{ Event eventOut }
		s.data(t, `query($id: ID!) { event(id: $id) { availableTickets } }`, map[string]any{"id": e.ID}, &ev)
		if ev.Event.AvailableTickets != 10 {
			t.Fatalf("a refused booking took tickets: %+v", ev.Event)
		}
		const create = `mutation($in: CreateEventInput!) { createEvent(input: $in) { id } }`
		in := func(k string, v any) map[string]any {
			m := map[string]any{"title": "T", "location": "L", "totalTickets": 5, "price": 1, "date": "2099-01-01"}
			m[k] = v
			return map[string]any{"in": m}
		}
		s.fails(t, create, in("price", "10"), "BAD_USER_INPUT", "price")
		s.fails(t, create, in("title", 42), "BAD_USER_INPUT", "title")
		s.fails(t, create, in("totalTickets", "5"), "BAD_USER_INPUT", "totalTickets")
		s.fails(t, `query($n: Int) { popularEvents(limit: $n) { id } }`, map[string]any{"n": "3"}, "BAD_USER_INPUT", "limit")
		s.fails(t, `query($id: ID!) { event(id: $id) { id } }`, map[string]any{"id": true}, "BAD_USER_INPUT", "id")
		s.fails(t, `query($id: ID!) { event(id: $id) { id } }`, map[string]any{"id": 1.5}, "BAD_USER_INPUT", "id")
		// What the specification accepts still works: 2.0 from JSON is 2,
		// an integer is a Float.
		s.book(t, u.ID, e.ID, 2)
		s.data(t, bookOne, map[string]any{"u": u.ID, "e": e.ID, "n": 2.0}, new(map[string]any))
		s.data(t, create, in("price", 10), new(map[string]any))
	})
}

// 10. Every answer of the API says nosniff and no-store: some carry tokens.
func TestResponseHeaders(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		for _, tc := range []struct{ method, contentType, body string }{
			{http.MethodPost, "application/json", `{"query": "mutation { signIn(input: {email: \"admin@example.com\", password: \"admin-password-for-tests\"}) { token } }"}`},
			{http.MethodPost, "application/json", `{"query": "{ nope }"}`},
			{http.MethodPost, "text/plain", `{}`},
			{http.MethodPut, "application/json", `{}`},
		} {
			req, _ := http.NewRequest(tc.method, s.url, strings.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			res, err := s.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" {
				t.Errorf("%s %s: %d, headers %v", tc.method, tc.body, res.StatusCode, res.Header)
			}
		}
		req, _ := http.NewRequest(http.MethodGet, s.url+"?query=%7B__typename%7D", nil)
		res, err := s.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("Cache-Control") != "no-store" {
			t.Errorf("GET: headers %v", res.Header)
		}
	})
}

// 12. A request whose time ran out before its document was ready gets a
// coded error (UNAVAILABLE, with the request id and retryAfter), and a log
// line, not HTTP 200 with a null body.
func TestTimeUpIsCodedAndLogged(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		logs := &lockedBuffer{}
		h := graph.NewHandler(graph.Config{
			Users: s.svc.Users, Events: s.svc.Events, Bookings: s.svc.Bookings, Accounts: s.svc.Accounts, Tickets: s.svc.Tickets,
			Logger: slog.New(slog.NewJSONHandler(logs, nil)),
		})
		for i, query := range []string{`{ events { total } }`, fragmentChain(6), `{ events { total } }`} {
			ctx, cancel := context.WithDeadline(context.Background(), time.Now().Add(-time.Second))
			id := fmt.Sprintf("late-%d", i)
			ctx = boxoffice.NewContextWithRequestID(ctx, id)
			req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", strings.NewReader(`{"query": `+quoteJSON(query)+`}`))
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			cancel()
			body, _ := io.ReadAll(rec.Body)
			if !strings.Contains(string(body), `"code":"UNAVAILABLE"`) || !strings.Contains(string(body), `"retryAfter":1`) || !strings.Contains(string(body), id) {
				t.Errorf("query %d: status %d, body %s", i, rec.Code, body)
			}
			if lines := logs.lines(`"request_id":"`+id+`"`, "time limit"); len(lines) == 0 {
				t.Errorf("query %d: not logged", i)
			}
		}
	})
}

func quoteJSON(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}

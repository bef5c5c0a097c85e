package graph

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// Only a POST of one createBooking and nothing else, without an
// Idempotency-Key, may have its token checked by the booking's
// transaction; and whatever is decided, the handler reads the whole body
// after.
func TestDefersTokenCheck(t *testing.T) {
	h := NewHandler(Config{}).(*httpHandler)
	const book = `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id } }`
	cases := []struct {
		name, method, query, op, key string
		want                         bool
	}{
		{"createBooking", http.MethodPost, book, "", "", true},
		{"named, among others", http.MethodPost, "query Q { events { total } } " + strings.Replace(book, "mutation(", "mutation B(", 1), "B", "", true},
		{"with an Idempotency-Key", http.MethodPost, book, "", "k1", false},
		{"and another field", http.MethodPost, `mutation { createBooking(userId: "x", input: {eventId: "y", numberOfTickets: 1}) { id } signOut }`, "", "", false},
		{"twice", http.MethodPost, `mutation { a: createBooking(userId: "x", input: {eventId: "y", numberOfTickets: 1}) { id } b: createBooking(userId: "x", input: {eventId: "y", numberOfTickets: 1}) { id } }`, "", "", false},
		{"with a directive", http.MethodPost, `mutation($s: Boolean!) { createBooking(userId: "x", input: {eventId: "y", numberOfTickets: 1}) @skip(if: $s) { id } }`, "", "", false},
		{"another mutation", http.MethodPost, `mutation { signOut }`, "", "", false},
		{"a query", http.MethodPost, `{ me { id } }`, "", "", false},
		{"not valid", http.MethodPost, `mutation { createBooking { nope } }`, "", "", false},
		{"over GET", http.MethodGet, book, "", "", false},
	}
	for _, c := range cases {
		body, _ := json.Marshal(map[string]any{"query": c.query, "operationName": c.op})
		r := httptest.NewRequest(c.method, "/graphql", strings.NewReader(string(body)))
		if c.key != "" {
			r.Header.Set("Idempotency-Key", c.key)
		}
		if got := h.DefersTokenCheck(r); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if c.method == http.MethodPost {
			if rest, _ := io.ReadAll(r.Body); string(rest) != string(body) {
				t.Errorf("%s: the body read after is %q, want it whole", c.name, rest)
			}
		}
	}
}

package main

import (
	"net/http"
	"testing"
)

// TestATokenIsCheckedWhereItBooks: a createBooking whose token the server
// has not seen has it checked in the booking's transaction, and the HTTP
// answers are those of a check at the door: a revoked token gets 401 and
// UNAUTHENTICATED and takes no ticket; a current one books, and the
// answer's private fields are the buyer's to see.
func TestATokenIsCheckedWhereItBooks(t *testing.T) {
	s := startServer(t, workdir(t)) // the embedded database, with the demo data
	events := s.mustQuery(t, `{ events(pagination: {limit: 1}) { items { id availableTickets } } }`, nil)
	eventID := at(events, "events", "items", 0, "id").(string)
	available := func() float64 {
		d := s.mustQuery(t, `query($id: ID!) { event(id: $id) { availableTickets } }`, map[string]any{"id": eventID})
		return at(d, "event", "availableTickets").(float64)
	}
	before := available()

	buyer := *s
	buyer.signIn(t, "carol@example.com")
	me := buyer.mustQuery(t, `{ me { id } }`, nil)
	carol := at(me, "me", "id").(string)
	revoked := buyer
	buyer.mustQuery(t, `mutation { signOut }`, nil) // revokes this token, which the server now forgets
	buyer.signIn(t, "carol@example.com")            // a new token, not seen yet

	book := `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id user { email } } }`
	vars := map[string]any{"u": carol, "e": eventID}
	for _, attempt := range []string{"first", "again"} { // again: refused at the door, as the server now knows
		r := revoked.query(t, book, vars)
		if r.status != http.StatusUnauthorized || len(r.codes()) != 1 || r.codes()[0] != "UNAUTHENTICATED" || at(r.Data, "createBooking") != nil {
			t.Fatalf("%s booking with a revoked token: status %d, %v, data %v; want 401 UNAUTHENTICATED", attempt, r.status, r.Errors, r.Data)
		}
	}
	if got := available(); got != before {
		t.Fatalf("%v tickets left after the revoked token's attempts, want %v", got, before)
	}

	r := buyer.query(t, book, vars)
	if r.status != http.StatusOK || len(r.Errors) != 0 || at(r.Data, "createBooking", "user", "email") != "carol@example.com" {
		t.Fatalf("booking with a new token: status %d, %v, data %v; want the booking with carol's email", r.status, r.Errors, r.Data)
	}
	if got := available(); got != before-1 {
		t.Fatalf("%v tickets left after carol's booking, want %v", got, before-1)
	}
}

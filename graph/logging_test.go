package graph_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestOneLogLinePerOperation(t *testing.T) {
	s := newTestServer(t)
	post := func(id, body string) {
		req, _ := http.NewRequest(http.MethodPost, s.url, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Request-ID", id)
		s.send(t, req)
	}
	post("log-1", `{"query": "query Everyone { users { total } }"}`)
	post("log-2", `{"query": "query Nobody { user(id: \"x\") { id } }"}`)

	ok := s.logs.lines(`"request_id":"log-1"`)
	if len(ok) != 1 || ok[0]["msg"] != "graphql operation" || ok[0]["operation"] != "query Everyone" ||
		ok[0]["duration"] == nil || ok[0]["error_codes"] != nil {
		t.Errorf("log-1: %v", ok)
	}
	bad := s.logs.lines(`"request_id":"log-2"`)
	if len(bad) != 1 || bad[0]["operation"] != "query Nobody" || !strings.Contains(strings.Join(toStrings(bad[0]["error_codes"]), ","), "BAD_USER_INPUT") {
		t.Errorf("log-2: %v", bad)
	}
}

func toStrings(v any) []string {
	var out []string
	list, _ := v.([]any)
	for _, x := range list {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

// Mutation fields run in turn, and each one's result shows the state its
// own write left, not what an earlier field loaded.
func TestMutationFieldsSeeTheirOwnWrites(t *testing.T) {
	s := newTestServer(t)
	u := s.createUser(t, "kim")
	e := s.createEvent(t, "Club", 10, 15, 2)
	var out struct {
		A, B struct {
			Event struct{ AvailableTickets int }
		}
	}
	s.data(t, `mutation($u: ID!, $e: ID!) {
		a: createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 2}) { event { availableTickets } }
		b: createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 3}) { event { availableTickets } }
	}`, map[string]any{"u": u.ID, "e": e.ID}, &out)
	if out.A.Event.AvailableTickets != 8 || out.B.Event.AvailableTickets != 5 {
		t.Fatalf("availability after each: %+v", out)
	}
}

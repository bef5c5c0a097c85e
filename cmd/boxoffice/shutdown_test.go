package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/original"
)

// TestShutdownLosesNoBooking sends SIGTERM while bookings are in flight: the
// server must drain them, exit cleanly, and after a restart hold exactly the
// bookings its clients were told succeeded.
func TestShutdownLosesNoBooking(t *testing.T) {
	dir := workdir(t, "RATE_LIMIT_MUTATIONS_PER_MINUTE=0")
	s := startServer(t, dir)
	s.signIn(t, "alice@example.com")
	ev := s.mustQuery(t, `mutation { createEvent(input: {title: "Drain", date: "2099-01-01T20:00:00Z", location: "Hall", totalTickets: 100000, price: 1}) { id } }`, nil)
	eventID := at(ev, "createEvent", "id").(string)
	users := s.mustQuery(t, `{ users { items { id } } }`, nil)
	userID := at(users, "users", "items", 0, "id")

	body, _ := json.Marshal(map[string]any{"query": original.CreateBooking, "variables": map[string]any{"userId": userID, "input": map[string]any{"eventId": eventID, "numberOfTickets": 1}}})
	var mu sync.Mutex
	confirmed := 0
	var wg sync.WaitGroup
	stopAt := time.Now().Add(300 * time.Millisecond)
	for range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(stopAt.Add(2 * time.Second)) {
				req, _ := http.NewRequest("POST", s.url+"/graphql", bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Authorization", "Bearer "+s.token)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					return // the listener is closed: the server is shutting down
				}
				var r gqlResponse
				err = json.NewDecoder(resp.Body).Decode(&r)
				resp.Body.Close()
				if err == nil && len(r.Errors) == 0 && at(r.Data, "createBooking", "id") != nil {
					mu.Lock()
					confirmed++
					mu.Unlock()
				}
			}
		}()
	}
	time.Sleep(time.Until(stopAt))
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	if err := <-s.done; err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, s.logs.String())
	}
	s.done <- nil
	if !strings.Contains(s.logs.String(), "stopped") {
		t.Fatalf("no clean stop logged:\n%s", s.logs.String())
	}
	if confirmed == 0 {
		t.Fatal("no booking was confirmed before the shutdown: the test proved nothing")
	}

	token := s.token
	s = startServer(t, dir)
	s.token = token
	got := s.mustQuery(t, `query($id: ID!) { bookings(filter: {eventId: $id}, pagination: {limit: 1}) { total } event(id: $id) { availableTickets } }`, map[string]any{"id": eventID})
	if total := int(at(got, "bookings", "total").(float64)); total != confirmed {
		t.Fatalf("clients were told %d bookings succeeded; the database holds %d", confirmed, total)
	}
	if avail := int(at(got, "event", "availableTickets").(float64)); avail != 100000-confirmed {
		t.Fatalf("available %d, want %d", avail, 100000-confirmed)
	}
}

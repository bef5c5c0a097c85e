package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// keyedServer is the GraphQL handler over the services, keeping answers
// for Idempotency-Key retries, on db: one server of several, maybe.
type keyedServer struct {
	url   string
	token string
}

func newKeyedServer(t *testing.T, db testdb.Engine, tokens *auth.Tokens, lifetime time.Duration, wrap func(boxoffice.IdempotencyService) boxoffice.IdempotencyService) *keyedServer {
	t.Helper()
	svc := service.New(db, service.Options{Tokens: tokens, Limits: &service.Limits{}, RequestLifetime: lifetime})
	var idem boxoffice.IdempotencyService = svc.Idempotency
	if wrap != nil {
		idem = wrap(idem)
	}
	h := graph.NewHandler(graph.Config{Users: svc.Users, Events: svc.Events, Bookings: svc.Bookings, Accounts: svc.Accounts, Tickets: svc.Tickets, Waitlist: svc.Waitlist,
		Idempotency: idem, Logger: slog.New(slog.DiscardHandler)})
	srv := httptest.NewServer(withCaller(svc, h))
	t.Cleanup(func() { srv.Close(); svc.Close() })
	return &keyedServer{url: srv.URL}
}

type keyedAnswer struct {
	status   int
	replayed bool
	Data     struct {
		CreateBooking struct{ ID string }
	}
	Errors []gqlError
}

func (s *keyedServer) post(t *testing.T, key, query string, vars map[string]any) keyedAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, _ := http.NewRequest(http.MethodPost, s.url, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.token)
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Errorf("post: %v", err)
		return keyedAnswer{}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := keyedAnswer{status: resp.StatusCode, replayed: resp.Header.Get("Idempotent-Replayed") == "true"}
	if err := json.Unmarshal(raw, &a); err != nil {
		t.Errorf("answer %q: %v", raw, err)
	}
	return a
}

func (a keyedAnswer) code() string {
	if len(a.Errors) == 0 {
		return ""
	}
	return a.Errors[0].code()
}

const keyedBooking = `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id } }`

// keyedWorld is a buyer with a token, and an event, on a fresh database.
func keyedWorld(t *testing.T, engine string) (testdb.Engine, *auth.Tokens, *boxoffice.User, *boxoffice.Event) {
	db := testdb.Migrated(t, engine)
	tokens, err := auth.NewTokens([]byte("a-secret-of-at-least-thirty-two-bytes"), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	return db, tokens, storetest.MustCreateUser(t, db, "ann"), storetest.MustCreateEvent(t, db, 100, time.Hour)
}

func tokenOf(t *testing.T, tokens *auth.Tokens, u *boxoffice.User) string {
	tok, _, err := tokens.Issue(u.ID, u.TokenVersion, boxoffice.Now())
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestIdempotencyKeyUnderConcurrency: 100 goroutines send one createBooking
// with one Idempotency-Key: one booking is made, and every caller gets it
// (the first answer, or it again) or CONFLICT while the first still runs.
func TestIdempotencyKeyUnderConcurrency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		db, tokens, u, ev := keyedWorld(t, engine)
		s := newKeyedServer(t, db, tokens, time.Minute, nil)
		s.token = tokenOf(t, tokens, u)
		vars := map[string]any{"u": u.ID, "e": ev.ID}

		var mu sync.Mutex
		ids, conflicts := map[string]int{}, 0
		var wg sync.WaitGroup
		for range 100 {
			wg.Go(func() {
				a := s.post(t, "order-42", keyedBooking, vars)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case a.status == http.StatusOK && a.code() == "":
					ids[a.Data.CreateBooking.ID]++
				case a.status == http.StatusConflict && a.code() == "CONFLICT":
					conflicts++
				default:
					t.Errorf("answer %d %+v", a.status, a)
				}
			})
		}
		wg.Wait()
		if len(ids) != 1 {
			t.Fatalf("bookings answered: %v; want one", ids)
		}
		t.Logf("100 requests with one key: %v, %d CONFLICT", ids, conflicts)
		storetest.WantAvailable(t, db, ev.ID, 99)
		a := s.post(t, "order-42", keyedBooking, vars)
		if _, ok := ids[a.Data.CreateBooking.ID]; !ok || !a.replayed {
			t.Errorf("a later retry: %+v (replayed %v); want the first answer again", a, a.replayed)
		}
		// The same key with another request is refused; without a key, a
		// second booking is made.
		if a := s.post(t, "order-42", keyedBooking, map[string]any{"u": u.ID, "e": storetest.MustCreateEvent(t, db, 5, time.Hour).ID}); a.status != http.StatusUnprocessableEntity || a.code() != "BAD_USER_INPUT" {
			t.Errorf("the key with another request: %d %+v; want 422 BAD_USER_INPUT", a.status, a)
		}
		if a := s.post(t, "", keyedBooking, vars); a.code() != "" {
			t.Fatalf("without a key: %+v", a)
		}
		storetest.WantAvailable(t, db, ev.ID, 98)
	})
}

// TestIdempotencyKeyKeepsErrors: an error answer is a first answer too, and
// is sent again (pretix); a refusal to try later (RATE_LIMITED) is not kept.
func TestIdempotencyKeyKeepsErrors(t *testing.T) {
	db, tokens, u, _ := keyedWorld(t, "sqlite")
	s := newKeyedServer(t, db, tokens, time.Minute, nil)
	s.token = tokenOf(t, tokens, u)
	gone := storetest.MustCreateEvent(t, db, 1, time.Hour)
	storetest.MustBook(t, db, storetest.MustCreateUser(t, db, "bob"), gone, 1)
	vars := map[string]any{"u": u.ID, "e": gone.ID}
	if a := s.post(t, "k", keyedBooking, vars); a.code() != "SOLD_OUT" || a.replayed {
		t.Fatalf("first: %+v", a)
	}
	if a := s.post(t, "k", keyedBooking, vars); a.code() != "SOLD_OUT" || !a.replayed {
		t.Errorf("retry: %+v (replayed %v); want SOLD_OUT again, replayed", a, a.replayed)
	}
	// A query with a key runs as usual, every time.
	for range 2 {
		if a := s.post(t, "q", `{ events { total } }`, nil); a.replayed || len(a.Errors) > 0 {
			t.Errorf("a query with a key: %+v", a)
		}
	}
}

// TestRetryAfterTheServerDied: a server commits a booking and dies before
// it answers (here: its answer is never kept, and the client never hears
// it); the client retries with the same key on another server, which runs
// the request again once the first is given up for dead, and answers with
// the booking the first made: one booking, whatever the retries.
func TestRetryAfterTheServerDied(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		db, tokens, u, ev := keyedWorld(t, engine)
		const lifetime = 300 * time.Millisecond
		dead := newKeyedServer(t, db, tokens, lifetime, func(s boxoffice.IdempotencyService) boxoffice.IdempotencyService {
			return diesBeforeItAnswers{s}
		})
		alive := newKeyedServer(t, db, tokens, lifetime, nil)
		dead.token, alive.token = tokenOf(t, tokens, u), tokenOf(t, tokens, u)
		vars := map[string]any{"u": u.ID, "e": ev.ID}

		_ = dead.post(t, "order-7", keyedBooking, vars) // committed; the answer is lost
		storetest.WantAvailable(t, db, ev.ID, 99)
		if a := alive.post(t, "order-7", keyedBooking, vars); a.status != http.StatusConflict {
			t.Errorf("a retry while the first may still run: %d %+v; want 409", a.status, a)
		}
		time.Sleep(lifetime + 100*time.Millisecond)
		a := alive.post(t, "order-7", keyedBooking, vars)
		if a.code() != "" || a.Data.CreateBooking.ID == "" {
			t.Fatalf("the retry after the first was given up: %+v", a)
		}
		bookings, n, err := db.Bookings().Find(context.Background(), boxoffice.BookingFilter{EventID: ev.ID, Page: boxoffice.Page{Page: 1, Limit: 10}})
		if err != nil || n != 1 || bookings[0].ID != a.Data.CreateBooking.ID {
			t.Errorf("bookings: %d (%v); want the one the dead server made, answered by the retry", n, err)
		}
		storetest.WantAvailable(t, db, ev.ID, 99)
		if again := alive.post(t, "order-7", keyedBooking, vars); again.Data.CreateBooking.ID != a.Data.CreateBooking.ID || !again.replayed {
			t.Errorf("and once more: %+v", again)
		}
	})
}

// diesBeforeItAnswers loses what a server that dies after its commit loses:
// the kept answer.
type diesBeforeItAnswers struct{ boxoffice.IdempotencyService }

func (diesBeforeItAnswers) Finish(context.Context, string, boxoffice.IdempotentAnswer) error {
	return nil
}

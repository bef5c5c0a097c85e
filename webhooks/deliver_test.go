package webhooks

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"
)

// receiver is a webhook endpoint as a customer would write one: it checks
// every delivery with Verify, de-duplicates by webhook-id, and answers
// with the statuses a test scripts (then 204).
type receiver struct {
	*httptest.Server
	secret string

	mu       sync.Mutex
	script   []int             // statuses to answer, in order
	requests int               // every request that arrived
	invalid  []string          // why deliveries failed verification
	seen     map[string]int    // webhook-id → verified deliveries
	events   []string          // first delivery of each id: its event type header
	bodies   map[string][]byte // webhook-id → body
}

func newReceiver(t *testing.T, script ...int) *receiver {
	t.Helper()
	secret, err := NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	r := &receiver{secret: secret, script: script, seen: map[string]int{}, bodies: map[string][]byte{}}
	r.Server = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests++
	if err := Verify(r.secret, req.Header, body); err != nil {
		r.invalid = append(r.invalid, err.Error())
		http.Error(w, "bad signature", http.StatusBadRequest)
		return
	}
	if req.Method != http.MethodPost || req.Header.Get("Content-Type") != "application/json" || req.Header.Get("User-Agent") != UserAgent {
		r.invalid = append(r.invalid, fmt.Sprintf("%s with %v", req.Method, req.Header))
	}
	status := http.StatusNoContent
	if len(r.script) > 0 {
		status, r.script = r.script[0], r.script[1:]
	}
	if status < 300 {
		id := req.Header.Get(HeaderID)
		if r.seen[id] == 0 { // de-duplicate: act on each event once
			r.events = append(r.events, req.Header.Get(HeaderEventType))
			r.bodies[id] = body
		}
		r.seen[id]++
	}
	w.WriteHeader(status)
	fmt.Fprintf(w, "answered %d", status)
}

func (r *receiver) snapshot() (requests int, invalid []string, seen map[string]int, events []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := map[string]int{}
	for k, v := range r.seen {
		s[k] = v
	}
	return r.requests, append([]string(nil), r.invalid...), s, append([]string(nil), r.events...)
}

var allowPrivate = Options{AllowPrivate: true, Timeout: 5 * time.Second}

// TestDeliverSignedRetriedAndDeduplicated: the receiver verifies every
// delivery's signature; a forced failure is retried under the same id
// with a fresh signature, and the receiver, de-duplicating by id, acts on
// each event once.
func TestDeliverSignedRetriedAndDeduplicated(t *testing.T) {
	r := newReceiver(t, http.StatusInternalServerError) // the first request fails
	c := NewClient(allowPrivate)
	ctx := context.Background()
	events := []struct{ id, typ string }{{"evt_1", "booking.confirmed"}, {"evt_2", "booking.cancelled"}, {"evt_3", "ticket.checked_in"}}

	// evt_1 fails once, then is retried until delivered, as a job would.
	var attempts []Attempt
	for {
		payload, _ := Payload(events[0].typ, time.Now(), map[string]string{"bookingId": "b1"})
		a := c.Deliver(ctx, r.URL+"/hooks?token=abc", r.secret, events[0].id, events[0].typ, payload)
		attempts = append(attempts, a)
		if a.Outcome != Retry || len(attempts) == 3 {
			break
		}
	}
	if len(attempts) != 2 || attempts[0].Outcome != Retry || attempts[0].StatusCode != 500 || attempts[1].Outcome != Delivered || attempts[1].StatusCode != 204 {
		t.Fatalf("attempts %+v; want a 500 to retry, then delivered", attempts)
	}
	if attempts[0].Response != "answered 500" || attempts[0].Err == nil || attempts[0].Duration <= 0 {
		t.Errorf("failed attempt %+v lacks its answer, error or duration", attempts[0])
	}
	if attempts[1].Err != nil || attempts[1].At.IsZero() {
		t.Errorf("delivered attempt %+v", attempts[1])
	}
	// Every event delivered, evt_2 twice (a lost answer: the sender retries
	// what the receiver already has).
	for _, e := range append(events[1:], events[1]) {
		payload, _ := Payload(e.typ, time.Now(), nil)
		if a := c.Deliver(ctx, r.URL, r.secret, e.id, e.typ, payload); a.Outcome != Delivered {
			t.Fatalf("%s: %+v", e.id, a)
		}
	}
	requests, invalid, seen, got := r.snapshot()
	if len(invalid) != 0 {
		t.Fatalf("deliveries failed verification: %v", invalid)
	}
	if requests != 5 || seen["evt_1"] != 1 || seen["evt_2"] != 2 || seen["evt_3"] != 1 {
		t.Fatalf("%d requests, verified deliveries by id %v", requests, seen)
	}
	if want := "booking.confirmed booking.cancelled ticket.checked_in"; strings.Join(got, " ") != want {
		t.Fatalf("the receiver acted on %v, want each event once: %s", got, want)
	}
}

// TestDeliverWrongSecretIsRefusedByTheReceiver: the receiver's Verify
// tells a delivery signed with another secret apart.
func TestDeliverWrongSecretIsRefusedByTheReceiver(t *testing.T) {
	r := newReceiver(t)
	other, _ := NewSecret()
	a := NewClient(allowPrivate).Deliver(context.Background(), r.URL, other, "evt_1", "booking.confirmed", []byte(`{}`))
	if a.Outcome != Retry || a.StatusCode != 400 {
		t.Fatalf("%+v, want a 400 from the receiver", a)
	}
	if _, invalid, _, _ := r.snapshot(); len(invalid) != 1 || !strings.Contains(invalid[0], "no valid signature") {
		t.Fatalf("receiver saw %v", invalid)
	}
}

func TestDeliverGone(t *testing.T) {
	r := newReceiver(t, http.StatusGone)
	a := NewClient(allowPrivate).Deliver(context.Background(), r.URL, r.secret, "evt_1", "booking.confirmed", []byte(`{}`))
	if a.Outcome != Gone || a.StatusCode != 410 {
		t.Fatalf("%+v, want Gone", a)
	}
	// A URL that is no longer valid cannot succeed either.
	a = NewClient(allowPrivate).Deliver(context.Background(), "ftp://example.com/x", r.secret, "evt_1", "booking.confirmed", []byte(`{}`))
	if a.Outcome != Gone || a.StatusCode != 0 {
		t.Fatalf("%+v, want Gone", a)
	}
}

// TestDeliverOtherStatusesRetry: 4xx and 5xx other than 410 are retried,
// and a Retry-After is passed on.
func TestDeliverOtherStatusesRetry(t *testing.T) {
	for _, status := range []int{400, 404, 429, 500, 502, 503} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Retry-After", "120")
			w.WriteHeader(status)
		}))
		secret, _ := NewSecret()
		a := NewClient(allowPrivate).Deliver(context.Background(), srv.URL, secret, "evt_1", "x", []byte(`{}`))
		srv.Close()
		if a.Outcome != Retry || a.StatusCode != status || a.RetryAfter != 2*time.Minute {
			t.Errorf("%d: %+v, want Retry after 2m", status, a)
		}
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{"": 0, "abc": 0, "-5": 0, "999999": 24 * time.Hour,
		"Thu, 01 Jan 2026 00:10:00 GMT": 10 * time.Minute, "Wed, 31 Dec 2025 00:00:00 GMT": 0} {
		if got := retryAfter(v, now); got != want {
			t.Errorf("Retry-After %q = %v, want %v", v, got, want)
		}
	}
}

// TestDeliverRefusesPrivateTargets: without AllowPrivate, a loopback
// endpoint gets nothing, whether named by address or by a name that
// resolves to it ("localhost"); with it, it is delivered.
func TestDeliverRefusesPrivateTargets(t *testing.T) {
	r := newReceiver(t)
	guarded := NewClient(Options{Timeout: 5 * time.Second})
	port := r.URL[strings.LastIndexByte(r.URL, ':')+1:]
	for _, u := range []string{r.URL, "http://localhost:" + port + "/hook", "http://[::ffff:127.0.0.1]:" + port + "/"} {
		a := guarded.Deliver(context.Background(), u, r.secret, "evt_1", "booking.confirmed", []byte(`{}`))
		if a.Outcome != Retry || !errors.Is(a.Err, ErrForbiddenAddress) || !strings.Contains(a.Response, "WEBHOOK_ALLOW_PRIVATE") {
			t.Errorf("%s: %+v, want a refusal naming WEBHOOK_ALLOW_PRIVATE", u, a)
		}
	}
	if requests, _, _, _ := r.snapshot(); requests != 0 {
		t.Fatalf("the loopback receiver got %d requests without AllowPrivate", requests)
	}
	if a := NewClient(allowPrivate).Deliver(context.Background(), "http://localhost:"+port+"/hook", r.secret, "evt_1", "booking.confirmed", []byte(`{}`)); a.Outcome != Delivered {
		t.Fatalf("with AllowPrivate: %+v", a)
	}
}

// TestDeliverNeverFollowsRedirects: an endpoint that redirects to
// 127.0.0.1 gets a failed attempt that names the redirect, and the
// redirect's target gets nothing, whether private targets are allowed or
// not (the first endpoint alone let through the guard).
func TestDeliverNeverFollowsRedirects(t *testing.T) {
	target := newReceiver(t)
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		http.Redirect(w, req, target.URL+"/internal", http.StatusTemporaryRedirect)
	}))
	defer redirector.Close()
	onlyRedirector := func(network, address string, c syscall.RawConn) error {
		if address == redirector.Listener.Addr().String() {
			return nil
		}
		return control(network, address, c)
	}
	for name, c := range map[string]*Client{
		"guarded":       newClient(Options{Timeout: 5 * time.Second}, onlyRedirector),
		"allow private": NewClient(allowPrivate),
	} {
		a := c.Deliver(context.Background(), redirector.URL, target.secret, "evt_1", "booking.confirmed", []byte(`{}`))
		if a.Outcome != Retry || a.StatusCode != http.StatusTemporaryRedirect || !strings.Contains(a.Response, "not followed") {
			t.Errorf("%s: %+v, want a failed attempt naming the redirect", name, a)
		}
	}
	if requests, _, _, _ := target.snapshot(); requests != 0 {
		t.Fatalf("the redirect target got %d requests", requests)
	}
}

// TestDeliverTimeout: an endpoint that does not answer costs at most the
// timeout, and the attempt is retried.
func TestDeliverTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		select {
		case <-release:
		case <-req.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	secret, _ := NewSecret()
	start := time.Now()
	a := NewClient(Options{AllowPrivate: true, Timeout: 300 * time.Millisecond}).Deliver(context.Background(), srv.URL, secret, "evt_1", "x", []byte(`{}`))
	if a.Outcome != Retry || a.StatusCode != 0 || a.Err == nil {
		t.Fatalf("%+v, want a retry without status", a)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("the attempt took %v with a 300ms timeout", d)
	}
	// The caller's context bounds it too.
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start = time.Now()
	a = NewClient(allowPrivate).Deliver(ctx, srv.URL, secret, "evt_1", "x", []byte(`{}`))
	if a.Outcome != Retry || !errors.Is(a.Err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("%+v after %v, want a deadline error within the context's 200ms", a, time.Since(start))
	}
}

// TestDeliverClipsTheResponse: a long answer is kept short, cut between
// characters, for display.
func TestDeliverClipsTheResponse(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(500)
		io.WriteString(w, strings.Repeat("é", 100000)+"\xff")
	}))
	defer srv.Close()
	secret, _ := NewSecret()
	a := NewClient(allowPrivate).Deliver(context.Background(), srv.URL, secret, "evt_1", "x", []byte(`{}`))
	if len(a.Response) > ResponseLimit || len(a.Response) < ResponseLimit-1 || !utf8.ValidString(a.Response) || !strings.HasPrefix(a.Response, "éé") {
		t.Fatalf("response of %d bytes (valid UTF-8: %v): %.20q", len(a.Response), utf8.ValidString(a.Response), a.Response)
	}
	if got := clip("ok\xff\xfe"); got != "ok?" {
		t.Errorf("clip of invalid UTF-8 = %q", got)
	}
}

// TestDeliverErrorsHideTheQuery: a token in the endpoint's query does not
// reach the attempt's display text.
func TestDeliverErrorsHideTheQuery(t *testing.T) {
	secret, _ := NewSecret()
	a := NewClient(Options{Timeout: time.Second}).Deliver(context.Background(), "http://127.0.0.1:1/hook?token=s3cret", secret, "evt_1", "x", []byte(`{}`))
	if a.Outcome != Retry || strings.Contains(a.Response, "s3cret") || strings.Contains(a.Err.Error(), "s3cret") {
		t.Fatalf("%+v shows the query", a)
	}
}

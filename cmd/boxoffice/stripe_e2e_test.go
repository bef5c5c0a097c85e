package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/stripemock"
)

const (
	e2eStripeKey     = "sk_test_e2e"
	e2eWebhookSecret = "whsec_e2e"
)

// TestStripePayments runs the binary with PAYMENT_PROVIDER=stripe against
// stripe-mock: a priced booking's PaymentIntent is made with the right
// amount, currency, metadata and idempotency key, and its client secret
// reaches the buyer alone; a forged payment_intent.succeeded is refused
// with 400 and changes nothing; the signed one confirms the booking, once
// however often delivered; cancelling refunds through the Refunds API.
// /readyz and the metrics report the payment provider.
func TestStripePayments(t *testing.T) {
	mock := stripemock.New(t)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, workdir(t), "PAYMENT_PROVIDER=stripe", "STRIPE_SECRET_KEY="+e2eStripeKey,
		"STRIPE_WEBHOOK_SECRET="+e2eWebhookSecret, "STRIPE_API_URL="+mock.URL(), "METRICS_ADDR="+metricsAddr)

	s.signIn(t, "alice@example.com")
	ev := at(s.mustQuery(t, `mutation { createEvent(input: {title: "Paid", date: "2099-01-01T20:00:00Z", location: "Hall", totalTickets: 10, price: 12.5}) { id } }`, nil),
		"createEvent", "id")
	s.signIn(t, "carol@example.com")
	me := at(s.mustQuery(t, `{ me { id } }`, nil), "me", "id")
	const fields = `id status total currency payment { id provider status amount currency clientSecret } history { kind }`
	d := s.mustQuery(t, `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 2}) { `+fields+` } }`,
		map[string]any{"u": me, "e": ev})
	b := at(d, "createBooking").(map[string]any)
	id, paymentID := b["id"].(string), at(b, "payment", "id").(string)
	secret, _ := at(b, "payment", "clientSecret").(string)
	if b["status"] != "PENDING" || b["total"] != 25.0 || at(b, "payment", "provider") != "stripe" || at(b, "payment", "status") != "REQUIRES_PAYMENT" ||
		!strings.Contains(secret, "_secret_") {
		t.Fatalf("createBooking: %v; want a PENDING hold of 25.00 with a Stripe client secret", b)
	}

	// The PaymentIntent, as stripe-mock accepted it. The job and the
	// buyer's request for the secret may both have asked for it, with the
	// same idempotency key: Stripe makes one, and answers both with it
	// (stateless, stripe-mock answers each with a new id; the first
	// recorded is kept).
	var intents []stripemock.Request
	refs := map[string]bool{}
	for _, r := range mock.Requests() {
		if r.Path == "/v1/payment_intents" && r.Status == 200 {
			intents = append(intents, r)
			refs[r.ID] = true
		}
	}
	if len(intents) == 0 || len(intents) > 2 {
		t.Fatalf("%d PaymentIntent requests, want 1 (or 2, the job's and the buyer's, with one key)", len(intents))
	}
	for _, r := range intents {
		if r.IdempotencyKey != paymentID || r.Form.Get("amount") != "2500" || r.Form.Get("currency") != "eur" ||
			r.Form.Get("metadata[booking_id]") != id || r.Form.Get("metadata[payment_id]") != paymentID {
			t.Errorf("PaymentIntent request %+v; want 2500 eur, metadata booking %s payment %s, key %s", r, id, paymentID, paymentID)
		}
	}
	ref := intents[0].ID
	booking := func() map[string]any {
		t.Helper()
		return at(s.mustQuery(t, `query($id: ID!) { booking(id: $id) { `+fields+` } }`, map[string]any{"id": id}), "booking").(map[string]any)
	}
	if got := at(booking(), "payment", "clientSecret"); got != secret {
		t.Errorf("the buyer's secret read back: %v, want %s", got, secret)
	}
	// An admin sees the booking, not the secret.
	s.signIn(t, "alice@example.com")
	r := s.query(t, `query($id: ID!) { booking(id: $id) { id payment { clientSecret } } }`, map[string]any{"id": id})
	if strings.Join(r.codes(), ",") != "FORBIDDEN" || at(r.Data, "booking", "payment", "clientSecret") != nil {
		t.Errorf("an admin asking for the secret: %v %v", r.codes(), r.Data)
	}
	s.signIn(t, "carol@example.com")

	_, payload := stripemock.Event("payment_intent.succeeded", stripemock.Intent(ref, paymentID, id, 2500, 2500, "eur", "succeeded"))
	post := func(signature string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", s.url+"/webhooks/stripe", bytes.NewReader(payload))
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set("Stripe-Signature", signature)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode == 400 {
			var body struct {
				Errors []struct{ Extensions map[string]any }
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || len(body.Errors) != 1 || body.Errors[0].Extensions["code"] != "BAD_REQUEST" {
				t.Errorf("a 400 without BAD_REQUEST: %v %+v", err, body)
			}
		}
		return resp.StatusCode
	}
	if status := post(stripemock.Sign(payload, "whsec_forged", time.Now())); status != 400 {
		t.Fatalf("a forged event: %d, want 400", status)
	}
	if status := post(stripemock.Sign(payload, e2eWebhookSecret, time.Now().Add(-time.Hour))); status != 400 {
		t.Fatalf("an hour-old signature: %d, want 400", status)
	}
	if got := booking(); got["status"] != "PENDING" || at(got, "payment", "status") != "REQUIRES_PAYMENT" {
		t.Fatalf("after forged events: %v", got)
	}
	for range 2 {
		if status := post(stripemock.Sign(payload, e2eWebhookSecret, time.Now())); status != 200 {
			t.Fatalf("the signed event: %d\n%s", status, s.logs.String())
		}
	}
	got := booking()
	if got["status"] != "CONFIRMED" || at(got, "payment", "status") != "SUCCEEDED" {
		t.Fatalf("after payment_intent.succeeded: %v", got)
	}
	if h := fmt.Sprint(got["history"]); h != "[map[kind:CREATED] map[kind:PAID] map[kind:CONFIRMED]]" {
		t.Errorf("history after the event delivered twice: %s", h)
	}

	s.mustQuery(t, `mutation($id: ID!) { cancelBooking(id: $id) { status } }`, map[string]any{"id": id})
	deadline := time.Now().Add(30 * time.Second)
	for at(booking(), "payment", "status") != "REFUNDED" {
		if time.Now().After(deadline) {
			t.Fatalf("no refund within 30s: %v\n%s", booking(), s.logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	var refunds []stripemock.Request
	for _, r := range mock.Requests() {
		if r.Path == "/v1/refunds" && r.Status == 200 {
			refunds = append(refunds, r)
		}
	}
	if len(refunds) != 1 || !refs[refunds[0].Form.Get("payment_intent")] || refunds[0].Form.Get("amount") != "2500" ||
		refunds[0].IdempotencyKey != "refund-"+paymentID {
		t.Errorf("refunds at Stripe: %+v", refunds)
	}

	resp, err := http.Get(s.url + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	var ready struct {
		Dependencies map[string]struct{ State string }
	}
	_ = json.NewDecoder(resp.Body).Decode(&ready)
	resp.Body.Close()
	if ready.Dependencies["payments"].State != "ready" {
		t.Errorf("/readyz: %+v, want payments ready", ready)
	}
	resp, err = http.Get("http://" + metricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	m := parseMetrics(t, resp.Body)
	resp.Body.Close()
	for series, min := range map[string]float64{
		`boxoffice_payment_provider_breaker_state{provider="stripe",state="closed"}`:                          1,
		`boxoffice_payment_provider_calls_total{call="create_payment_intent",outcome="ok",provider="stripe"}`: 1,
		`boxoffice_payment_provider_calls_total{call="refund",outcome="ok",provider="stripe"}`:                1,
		`boxoffice_dependency_state{dependency="payments",state="ready"}`:                                     1,
	} {
		if m[series] < min {
			t.Errorf("%s = %v, want at least %v", series, m[series], min)
		}
	}
}

// TestServeRefusesStripeWithoutSecrets: with PAYMENT_PROVIDER=stripe,
// serve does not start without either secret, and names the missing one.
func TestServeRefusesStripeWithoutSecrets(t *testing.T) {
	for missing, set := range map[string]string{
		"STRIPE_SECRET_KEY":     "STRIPE_WEBHOOK_SECRET=" + e2eWebhookSecret,
		"STRIPE_WEBHOOK_SECRET": "STRIPE_SECRET_KEY=" + e2eStripeKey,
	} {
		dir := workdir(t, "PAYMENT_PROVIDER=stripe", set, fmt.Sprintf("PORT=%d", freePort(t)), "HOST=127.0.0.1")
		out, err := cli(t, dir, "serve")
		if err == nil || !strings.Contains(out, missing+" is required with PAYMENT_PROVIDER=stripe") {
			t.Errorf("serve without %s: %v\n%s", missing, err, out)
		}
		if strings.Contains(out, e2eStripeKey) {
			t.Errorf("serve printed the secret key:\n%s", out)
		}
	}
}

// TestStripeDown runs the binary while stripe-mock is down: bookings are
// held as usual, and a buyer asking for the client secret gets the
// booking with the field null and UNAVAILABLE; after a few calls without
// an answer the breaker opens, and /readyz (200) and the metrics say the
// payment provider is degraded. Once stripe-mock is back, with nothing
// done by hand, the breaker closes, /readyz is ready and every hold made
// during the outage has its PaymentIntent.
func TestStripeDown(t *testing.T) {
	mock := stripemock.New(t)
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, workdir(t), "PAYMENT_PROVIDER=stripe", "STRIPE_SECRET_KEY="+e2eStripeKey,
		"STRIPE_WEBHOOK_SECRET="+e2eWebhookSecret, "STRIPE_API_URL="+mock.URL(), "METRICS_ADDR="+metricsAddr)
	s.signIn(t, "alice@example.com")
	ev := at(s.mustQuery(t, `mutation { createEvent(input: {title: "Paid", date: "2099-01-01T20:00:00Z", location: "Hall", totalTickets: 50, price: 10}) { id } }`, nil),
		"createEvent", "id")
	s.signIn(t, "dave@example.com")
	me := at(s.mustQuery(t, `{ me { id } }`, nil), "me", "id")
	ready := func() (int, map[string]any) {
		t.Helper()
		resp, err := http.Get(s.url + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&body)
		return resp.StatusCode, body
	}
	breaker := func(state string) float64 {
		t.Helper()
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		return parseMetrics(t, resp.Body)[`boxoffice_payment_provider_breaker_state{provider="stripe",state="`+state+`"}`]
	}

	mock.Stop()
	var held []string
	for i := range 6 {
		r := s.query(t, `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id status payment { clientSecret } } }`,
			map[string]any{"u": me, "e": ev})
		id, _ := at(r.Data, "createBooking", "id").(string)
		if id == "" || at(r.Data, "createBooking", "status") != "PENDING" || at(r.Data, "createBooking", "payment", "clientSecret") != nil ||
			strings.Join(r.codes(), ",") != "UNAVAILABLE" {
			t.Fatalf("booking %d with Stripe down: %v %v; want the hold, its secret null and UNAVAILABLE", i, r.Data, r.codes())
		}
		held = append(held, id)
	}
	deadline := time.Now().Add(30 * time.Second)
	for breaker("open") != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("the breaker did not open\n%s", s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
	status, body := ready()
	if status != 200 || body["status"] != "degraded" || at(body, "dependencies", "payments", "state") != "degraded" ||
		!strings.Contains(fmt.Sprint(at(body, "dependencies", "payments", "detail")), "Stripe unreachable since") {
		t.Errorf("/readyz with Stripe down: %d %v", status, body)
	}
	if !strings.Contains(s.logs.String(), "the circuit breaker is open") {
		t.Errorf("no warning that the breaker opened:\n%s", s.logs.String())
	}

	mock.Start()
	// Nobody asks for anything: the jobs alone prepare the holds.
	intents := func() int {
		n := 0
		for _, r := range mock.Requests() {
			if r.Path == "/v1/payment_intents" && r.Status == 200 {
				n++
			}
		}
		return n
	}
	deadline = time.Now().Add(90 * time.Second) // the breaker's 30 s cool-down, and the jobs' wait
	for {
		status, body := ready()
		if intents() >= len(held) && status == 200 && body["status"] == "ready" && breaker("closed") == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after Stripe came back: %d PaymentIntents for %d holds, /readyz %d %v\n%s", intents(), len(held), status, body, s.logs.String())
		}
		time.Sleep(500 * time.Millisecond)
	}
	made := intents()
	for _, id := range held {
		d := s.mustQuery(t, `query($id: ID!) { booking(id: $id) { status payment { clientSecret } } }`, map[string]any{"id": id})
		if at(d, "booking", "status") != "PENDING" || at(d, "booking", "payment", "clientSecret") == nil {
			t.Errorf("hold %s after the outage: %v", id, d)
		}
	}
	if intents() != made {
		t.Errorf("the secrets were not on record: reading them made %d PaymentIntents", intents()-made)
	}
	if !strings.Contains(s.logs.String(), "answers again; the circuit breaker is closed") {
		t.Errorf("no line that Stripe answers again:\n%s", s.logs.String())
	}
}

package server

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// TestWebhookAnswers: POST /webhooks/{provider} takes no bearer token and
// answers the way providers retry: 400 BAD_REQUEST for what Parse
// refuses, with nothing applied; 200 for an event applied or ignored;
// 503 with Retry-After, or 500, when applying failed, so that the
// provider delivers it again; 413 for a body over the limit; 405 for
// another method.
func TestWebhookAnswers(t *testing.T) {
	var mu sync.Mutex
	var applied []boxoffice.PaymentEvent
	applyErr := error(nil)
	wh := Webhook{
		Provider: "stripe",
		Parse: func(body []byte, h http.Header) (*boxoffice.PaymentEvent, error) {
			switch {
			case h.Get("Stripe-Signature") != "good":
				return nil, boxoffice.Errorf(boxoffice.EINVALID, "no valid signature")
			case string(body) == "ignored":
				return nil, nil
			}
			return &boxoffice.PaymentEvent{Provider: "stripe", ID: string(body), Kind: boxoffice.PaymentEventSucceeded}, nil
		},
		Apply: func(_ context.Context, ev boxoffice.PaymentEvent) error {
			mu.Lock()
			defer mu.Unlock()
			if applyErr != nil {
				return applyErr
			}
			applied = append(applied, ev)
			return nil
		},
	}
	var logs bytes.Buffer
	srv := New(Config{
		GraphQL: http.NotFoundHandler(), IDE: http.NotFoundHandler(), MaxBodyBytes: 1024, Webhooks: []Webhook{wh},
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Authenticate: func(context.Context, string, func() bool) (boxoffice.Caller, error) {
			return boxoffice.Caller{}, errors.New("no token is ever checked here")
		},
	})
	ts := httptest.NewServer(srv.http.Handler)
	t.Cleanup(ts.Close)
	post := func(body, signature string) (*http.Response, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, ts.URL+"/webhooks/stripe", strings.NewReader(body))
		if signature != "" {
			req.Header.Set("Stripe-Signature", signature)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		return resp, decode(t, resp)
	}
	code := func(m map[string]any) string {
		errs, _ := m["errors"].([]any)
		if len(errs) != 1 {
			return ""
		}
		ext, _ := errs[0].(map[string]any)["extensions"].(map[string]any)
		s, _ := ext["code"].(string)
		return s
	}

	resp, m := post("evt_1", "forged")
	if resp.StatusCode != 400 || code(m) != "BAD_REQUEST" || !strings.Contains(logs.String(), "payment webhook refused") {
		t.Errorf("forged: %d %v", resp.StatusCode, m)
	}
	resp, m = post("evt_1", "good")
	if resp.StatusCode != 200 || m["received"] != true {
		t.Errorf("applied: %d %v", resp.StatusCode, m)
	}
	resp, m = post("ignored", "good")
	if resp.StatusCode != 200 || m["received"] != true {
		t.Errorf("ignored: %d %v", resp.StatusCode, m)
	}
	if len(applied) != 1 || applied[0].ID != "evt_1" {
		t.Errorf("applied %+v, want evt_1 alone", applied)
	}

	mu.Lock()
	applyErr = &boxoffice.Error{Code: boxoffice.EUNAVAILABLE, Message: "the database did not answer in time", RetryAfter: 2 * time.Second}
	mu.Unlock()
	resp, m = post("evt_2", "good")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "2" || code(m) != "UNAVAILABLE" {
		t.Errorf("database timed out: %d %q %v; want 503, Retry-After 2", resp.StatusCode, resp.Header.Get("Retry-After"), m)
	}
	mu.Lock()
	applyErr = errors.New("connection lost")
	mu.Unlock()
	resp, m = post("evt_2", "good")
	if resp.StatusCode != 500 || code(m) != "INTERNAL" || strings.Contains(resp.Header.Get("Content-Type"), "text") {
		t.Errorf("a failure of ours: %d %v; want 500 INTERNAL", resp.StatusCode, m)
	}
	if strings.Contains(m["errors"].([]any)[0].(map[string]any)["message"].(string), "connection lost") {
		t.Error("the cause reached the provider")
	}

	resp, m = post(strings.Repeat("x", 2048), "good")
	if resp.StatusCode != 413 || code(m) != "BAD_REQUEST" {
		t.Errorf("a body over the limit: %d %v", resp.StatusCode, m)
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/webhooks/stripe", nil)
	got, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if m := decode(t, got); got.StatusCode != 405 || got.Header.Get("Allow") != "POST" || code(m) != "BAD_REQUEST" {
		t.Errorf("GET: %d %q %v", got.StatusCode, got.Header.Get("Allow"), m)
	}
	// No provider configured: no route.
	if got, _ := http.Post(ts.URL+"/webhooks/paypal", "application/json", strings.NewReader("{}")); got.StatusCode != 404 {
		t.Errorf("an unknown provider's webhook: %d, want 404", got.StatusCode)
	}
}

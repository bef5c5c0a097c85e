package ratelimit_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/ratelimit"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/sqlite"
)

// The service over a Fallback limiter, with Redis killed: a brute-force
// sign-in still ends in RATE_LIMITED (not INTERNAL, not let in), changes
// are still limited (not let through), nothing is logged as an error, and
// once Redis is back the counts are shared through it again.
func TestServiceLimitsHoldWithRedisDown(t *testing.T) {
	srv := ratelimit.StartRedisServer(t)
	client, _ := srv.Open(t)
	var logs ratelimit.LogLines
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	limiter := ratelimit.NewFallback(ratelimit.NewRedis(client, "t:"), ratelimit.FallbackOptions{CoolDown: 200 * time.Millisecond, Logger: log})
	defer limiter.Close()

	store, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "boxoffice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if _, err := store.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	tokens, err := auth.NewTokens([]byte(strings.Repeat("k", 32)), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	s := service.New(store, service.Options{
		Tokens: tokens, Limiter: limiter, Logger: log,
		Limits: &service.Limits{
			SignInPerAddr:    boxoffice.Limit{Events: 20, Per: time.Minute},
			SignInPerEmail:   boxoffice.Limit{Events: 5, Per: time.Minute},
			SignUpPerAddr:    boxoffice.Limit{Events: 10, Per: time.Hour},
			MutationsPerUser: boxoffice.Limit{Events: 3, Per: time.Minute},
		},
	})
	defer s.Close()

	ctx := boxoffice.NewContextWithClientAddr(context.Background(), "192.0.2.7")
	const password = "the-right-password"
	if _, err := s.Accounts.SignUp(ctx, boxoffice.SignUpInput{Username: "sam", Email: "sam@example.com", Password: password}); err != nil {
		t.Fatal(err)
	}
	now := boxoffice.Now()
	admin := &boxoffice.User{ID: boxoffice.NewID(), Username: "ada", Email: "ada@example.com", Role: boxoffice.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	if err := store.Users().Create(ctx, admin); err != nil {
		t.Fatal(err)
	}
	asAdmin := boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: admin.ID, Role: boxoffice.RoleAdmin})
	createEvent := func() error {
		return s.Events.CreateEvent(asAdmin, &boxoffice.Event{Title: "Gig", Date: boxoffice.Now().Add(time.Hour), Location: "Club", TotalTickets: 10, PriceCents: 1000})
	}
	wantCode := func(t *testing.T, what string, err error, code string) {
		t.Helper()
		if got := boxoffice.ErrorCode(err); got != code {
			t.Fatalf("%s: code %q (%v), want %q", what, got, err, code)
		}
	}

	// Redis up: two wrong guesses and one change are counted.
	for i := range 2 {
		_, err := s.Accounts.SignIn(ctx, "sam@example.com", "guess-number-"+string(rune('1'+i)))
		wantCode(t, "guess with Redis up", err, boxoffice.EUNAUTHENTICATED)
	}
	if err := createEvent(); err != nil {
		t.Fatal(err)
	}

	srv.Kill()
	for i := range 3 {
		_, err := s.Accounts.SignIn(ctx, "sam@example.com", "guess-number-"+string(rune('3'+i)))
		wantCode(t, "guess with Redis down", err, boxoffice.EUNAUTHENTICATED)
	}
	_, err = s.Accounts.SignIn(ctx, "sam@example.com", "guess-number-6")
	wantCode(t, "6th guess with Redis down", err, boxoffice.ERATELIMITED)
	_, err = s.Accounts.SignIn(ctx, "sam@example.com", password)
	wantCode(t, "right password after 6 guesses, Redis down", err, boxoffice.ERATELIMITED)
	for i := range 2 {
		if err := createEvent(); err != nil {
			t.Fatalf("change %d with Redis down: %v", i+2, err)
		}
	}
	wantCode(t, "4th change with Redis down", createEvent(), boxoffice.ERATELIMITED)
	if st := limiter.State(); st != ratelimit.StateFallback {
		t.Fatalf("limiter state %q with Redis down, want %q", st, ratelimit.StateFallback)
	}

	srv.Restart()
	deadline := time.Now().Add(15 * time.Second)
	for limiter.State() != ratelimit.StateRedis {
		if time.Now().After(deadline) {
			t.Fatalf("limiter state %q 15 s after Redis came back", limiter.State())
		}
		_, _ = s.Accounts.SignIn(ctx, "nobody@example.com", "whatever-password") // a call to probe with
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := s.Accounts.SignIn(ctx, "tia@example.com", "a-wrong-password"); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
		t.Fatalf("sign-in after Redis came back: %v", err)
	}
	if n, err := client.Get(ctx, "t:signin:email:tia@example.com").Int(); err != nil || n != 1 {
		t.Fatalf("Redis count after recovery: %d, %v; want 1", n, err)
	}

	out := logs.String()
	if strings.Contains(out, "level=ERROR") || strings.Contains(out, "letting the mutation through") {
		t.Errorf("errors logged during the outage:\n%s", out)
	}
}

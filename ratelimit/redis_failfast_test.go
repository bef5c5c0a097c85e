package ratelimit

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// OpenRedis's client fails fast on a dead Redis: one dial a call at most,
// no retries, where go-redis's defaults dial 5 times 100 ms apart and retry
// the command 3 times.
func TestOpenRedisFailsFast(t *testing.T) {
	srv := StartRedisServer(t)
	client, attempts := srv.Open(t)
	l := NewRedis(client, "t:")
	ctx := context.Background()
	limit := boxoffice.Limit{Events: 5, Per: time.Minute}
	if _, err := l.Allow(ctx, "k", limit); err != nil {
		t.Fatal(err)
	}
	srv.Kill()
	dials := attempts.Dials()
	for i := range 5 {
		t0 := time.Now()
		_, err := l.Allow(ctx, "k", limit)
		if err == nil {
			t.Fatalf("call %d with Redis down: nil error", i+1)
		}
		if d := time.Since(t0); d > time.Second {
			t.Errorf("call %d with Redis down took %v", i+1, d)
		}
	}
	if n := attempts.Dials() - dials; n > 5 {
		t.Errorf("5 calls with Redis down dialled %d times, want at most 5", n)
	}
}

// go-redis's own log lines go to slog at debug level, never to stderr.
func TestRedisDriverLogsToSlog(t *testing.T) {
	var logs LogLines
	old := slog.Default()
	slog.SetDefault(debugLogger(&logs))
	defer slog.SetDefault(old)
	srv := StartRedisServer(t)
	client, _ := srv.Open(t)
	srv.Kill()
	_, err := NewRedis(client, "t:").Allow(context.Background(), "k", boxoffice.Limit{Events: 1, Per: time.Second})
	if err == nil {
		t.Fatal("nil error with Redis down")
	}
	lines := logs.Lines()
	if len(lines) == 0 {
		t.Fatal("go-redis logged nothing through slog")
	}
	for _, l := range lines {
		if !strings.Contains(l, "level=DEBUG") || !strings.Contains(l, "go-redis: ") {
			t.Errorf("driver log line: %s", l)
		}
	}
}

package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/redis/go-redis/v9"
)

// allowScript counts one event in KEYS[1]'s window of ARGV[1] ms and returns
// {count, ms left in the window}. It runs atomically: the expiry is set once,
// by the event that creates the key, so later events never extend the
// window. A key found without an expiry (set by something else) gets one.
var allowScript = redis.NewScript(`
local n = redis.call('INCR', KEYS[1])
if n == 1 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
	return {n, tonumber(ARGV[1])}
end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
	redis.call('PEXPIRE', KEYS[1], ARGV[1])
	ttl = tonumber(ARGV[1])
end
return {n, ttl}
`)

// Redis is a RateLimiter whose counts live in Redis, so every server
// sharing the Redis and the prefix shares the limits.
type Redis struct {
	client *redis.Client
	prefix string
}

// NewRedis returns a limiter that keeps key's count at prefix+key.
func NewRedis(client *redis.Client, prefix string) *Redis {
	return &Redis{client: client, prefix: prefix}
}

// Allow implements boxoffice.RateLimiter. Redis failures are returned as
// errors; the caller decides whether to fail open or closed.
func (l *Redis) Allow(ctx context.Context, key string, limit boxoffice.Limit) (time.Duration, error) {
	if err := checkLimit(limit); err != nil {
		return 0, err
	}
	per := limit.Per.Milliseconds()
	if per < 1 {
		per = 1
	}
	res, err := allowScript.Run(ctx, l.client, []string{l.prefix + key}, per).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("ratelimit: redis: %w", err)
	}
	if len(res) != 2 {
		return 0, fmt.Errorf("ratelimit: redis: unexpected reply %v", res)
	}
	if res[0] <= int64(limit.Events) {
		return 0, nil
	}
	return max(time.Duration(res[1])*time.Millisecond, time.Millisecond), nil
}

// OpenRedis connects to the Redis at rawURL (REDIS_URL, such as
// redis://127.0.0.1:6379/0 or rediss://user:password@host:6380/0) and pings
// it. Errors never quote the URL, which may hold a password.
//
// The client fails fast rather than retrying: a rate limit is decided in
// a few milliseconds or not at all (Fallback decides in memory then).
// go-redis's own defaults retry a command 3 times and a dial 5 times with
// 100 ms pauses, which made every request wait about 400 ms while Redis was
// down. The URL's dial_timeout, read_timeout, write_timeout and max_retries
// still win over these defaults. go-redis's own log lines go to slog at
// debug level.
func OpenRedis(ctx context.Context, rawURL string) (*redis.Client, error) {
	opts, err := redis.ParseURL(rawURL)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, fmt.Errorf("ratelimit: REDIS_URL: %w", err)
	}
	failFast(opts)
	quietDriver.Do(func() { redis.SetLogger(slogDriverLog{}) })
	client := redis.NewClient(opts)
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		_ = client.Close()
		return nil, fmt.Errorf("ratelimit: redis at %s: %w", opts.Addr, err)
	}
	return client, nil
}

// failFast sets the options the URL left at go-redis's defaults to fail
// within a request's budget: one dial attempt of at most a second, reads
// and writes of at most a second, no retries. Deadlines from the caller's
// context apply too (Fallback gives each call 250 ms).
func failFast(opts *redis.Options) {
	if opts.DialTimeout == 0 {
		opts.DialTimeout = time.Second
	}
	if opts.ReadTimeout == 0 {
		opts.ReadTimeout = time.Second
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = -1 // none
	}
	opts.DialerRetries = 1 // one attempt: the pool's default is 5, 100 ms apart
	opts.ContextTimeoutEnabled = true
}

var quietDriver sync.Once

// slogDriverLog sends go-redis's log lines (such as "failed to dial after
// 1 attempts", once per failed dial) to slog at debug level: Fallback logs
// the changes that matter once, and stderr gets no unstructured lines.
type slogDriverLog struct{}

func (slogDriverLog) Printf(ctx context.Context, format string, v ...any) {
	if l := slog.Default(); l.Enabled(ctx, slog.LevelDebug) {
		l.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
	}
}

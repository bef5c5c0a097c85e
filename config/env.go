package config

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// env reads typed variables and keeps the first error, which names the
// variable, so start-up reports exactly what to fix.
type env struct {
	lookup func(string) (string, bool)
	err    error
}

func (e *env) fail(key, format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%s %s", key, fmt.Sprintf(format, args...))
	}
}

func (e *env) str(key, def string) string {
	if v, ok := e.lookup(key); ok && v != "" {
		return v
	}
	return def
}

// oneOf reads a variable that takes one of values; the first is the
// default.
func (e *env) oneOf(key string, values ...string) string {
	raw := e.str(key, "")
	if raw == "" {
		return values[0]
	}
	for _, v := range values {
		if strings.TrimSpace(raw) == v {
			return v
		}
	}
	e.fail(key, "must be %s or %s, got %q", strings.Join(values[:len(values)-1], ", "), values[len(values)-1], raw)
	return values[0]
}

func (e *env) integer(key string, def, min, max int) int {
	raw := e.str(key, "")
	if raw == "" {
		return def
	}
	n, err := strconv.Atoi(strings.TrimSpace(raw))
	if err != nil || n < min || n > max {
		e.fail(key, "must be a whole number from %d to %d, got %q", min, max, raw)
		return def
	}
	return n
}

func (e *env) boolean(key string, def bool) bool {
	raw := e.str(key, "")
	if raw == "" {
		return def
	}
	switch strings.ToLower(strings.TrimSpace(raw)) {
	case "1", "true", "yes", "on":
		return true
	case "0", "false", "no", "off":
		return false
	}
	e.fail(key, "must be true or false, got %q", raw)
	return def
}

func (e *env) duration(key string, def time.Duration) time.Duration {
	return e.durationFrom(key, def, 1)
}

// durationOrZero is duration where 0 is allowed: it turns something off.
func (e *env) durationOrZero(key string, def time.Duration) time.Duration {
	return e.durationFrom(key, def, 0)
}

func (e *env) durationFrom(key string, def, min time.Duration) time.Duration {
	raw := e.str(key, "")
	if raw == "" {
		return def
	}
	d, err := time.ParseDuration(strings.TrimSpace(raw))
	if err != nil || d < min {
		what := "a positive duration such as 10s or 500ms"
		if min == 0 {
			what = "0 or a positive duration such as 1m or 30s"
		}
		e.fail(key, "must be %s, got %q", what, raw)
		return def
	}
	return d
}

func (e *env) level(key string, def slog.Level) slog.Level {
	raw := e.str(key, "")
	if raw == "" {
		return def
	}
	var l slog.Level
	if err := l.UnmarshalText([]byte(raw)); err != nil {
		e.fail(key, "must be debug, info, warn or error, got %q", raw)
		return def
	}
	return l
}

// list reads a comma-separated list, dropping blanks.
func (e *env) list(key string) []string {
	var out []string
	for _, v := range strings.Split(e.str(key, ""), ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

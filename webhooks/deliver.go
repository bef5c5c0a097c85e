package webhooks

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"
)

// Outcome is what the sender does after an attempt.
type Outcome string

const (
	// Delivered: the endpoint answered 2xx.
	Delivered Outcome = "delivered"
	// Gone: the endpoint answered 410 Gone, or its URL is no longer valid;
	// the caller disables the endpoint and stops retrying.
	Gone Outcome = "gone"
	// Retry: anything else (another status, a redirect, a timeout, a
	// refused or forbidden connection); the caller tries again after
	// Backoff, until MaxAttempts.
	Retry Outcome = "retry"
)

// Attempt is the record of one delivery attempt, as Webhook.deliveries
// shows it.
type Attempt struct {
	Outcome    Outcome
	At         time.Time     // when the attempt started; the webhook-timestamp sent
	StatusCode int           // the HTTP status; 0 if no answer came
	Duration   time.Duration // from sending to the end of the answer (or the failure)
	// Response is for display: the start of the answer's body, or what
	// went wrong, as valid UTF-8 of at most ResponseLimit bytes.
	Response string
	// RetryAfter is the wait the endpoint asked for (Retry-After on 429,
	// 503…), at most a day; 0 if none. The caller waits the longer of it
	// and Backoff.
	RetryAfter time.Duration
	// Err is why the attempt failed, for errors.Is (ErrForbiddenAddress,
	// context.DeadlineExceeded); nil when delivered.
	Err error
}

// Defaults of Options.
const (
	// DefaultTimeout bounds one attempt, connection and answer included:
	// the specification recommends 15 to 30 s, the lower end keeps a slow
	// endpoint from holding a worker.
	DefaultTimeout = 15 * time.Second
	// ResponseLimit is how much of an answer is kept for display.
	ResponseLimit = 1000
)

// UserAgent is sent with every delivery.
const UserAgent = "boxoffice-webhooks/1"

// HeaderEventType carries the event's type (booking.confirmed…) beside
// the Standard Webhooks headers, so a receiver can route a delivery
// before parsing its body.
const HeaderEventType = "X-Boxoffice-Event"

// Options configure a Client.
type Options struct {
	// AllowPrivate lets endpoints reach loopback and private addresses
	// (WEBHOOK_ALLOW_PRIVATE=true): for tests, and deployments whose
	// receivers are on the same private network.
	AllowPrivate bool
	// Timeout bounds one attempt; 0: DefaultTimeout.
	Timeout time.Duration
}

// Client delivers webhooks. Redirects are never followed: the
// specification counts a 3xx as a failure (the endpoint's URL should be
// updated), and not following them means a redirect cannot lead a
// delivery to an address the guard would refuse. Environment proxies are
// not used either, for the same reason. A Client is safe for concurrent
// use.
type Client struct {
	http         *http.Client
	allowPrivate bool
	now          func() time.Time
}

// NewClient returns a Client for o.
func NewClient(o Options) *Client { return newClient(o, control) }

// newClient is NewClient with the dial guard given, so that a test can
// let one loopback server through it.
func newClient(o Options, guard func(network, address string, c syscall.RawConn) error) *Client {
	timeout := o.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !o.AllowPrivate {
		dialer.Control = guard
	}
	transport := &http.Transport{
		Proxy:                  nil, // a proxy would dial for us, past the guard
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    4,
		IdleConnTimeout:        90 * time.Second,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &Client{
		http: &http.Client{
			Transport: transport,
			Timeout:   timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		allowPrivate: o.AllowPrivate,
		now:          time.Now,
	}
}

// Deliver makes one attempt to POST payload (JSON) to endpoint, signed with
// secret under msgID (stable across retries: receivers de-duplicate by
// it), and says what came of it. It never returns before the answer or
// the failure, and never takes longer than the timeout or ctx allows.
func (c *Client) Deliver(ctx context.Context, endpoint, secret, msgID, eventType string, payload []byte) Attempt {
	a := Attempt{At: c.now()}
	fail := func(outcome Outcome, err error) Attempt {
		a.Outcome, a.Err, a.Response = outcome, err, clip(err.Error())
		return a
	}
	// The URL's form only: whether its address may be reached is the dial
	// guard's to say, on the address actually dialled, and a refusal there
	// is retried (the setting or the name's address may change), not Gone.
	if err := ValidateURL(endpoint, true); err != nil {
		return fail(Gone, fmt.Errorf("webhooks: endpoint URL: %w", err))
	}
	sig, err := Sign(secret, msgID, a.At, payload)
	if err != nil {
		return fail(Retry, err) // our data, not the endpoint's fault: keep it retrying, visibly
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(payload))
	if err != nil {
		return fail(Gone, fmt.Errorf("webhooks: endpoint URL: %w", err))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", UserAgent)
	req.Header.Set(HeaderID, msgID)
	req.Header.Set(HeaderTimestamp, strconv.FormatInt(a.At.Unix(), 10))
	req.Header.Set(HeaderSignature, sig)
	if eventType != "" {
		req.Header.Set(HeaderEventType, eventType)
	}

	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		a.Duration = time.Since(start)
		return fail(Retry, fmt.Errorf("webhooks: POST %s: %w", redactURL(endpoint), unwrapURLError(err)))
	}
	body, readErr := io.ReadAll(io.LimitReader(resp.Body, 4*ResponseLimit))
	resp.Body.Close()
	a.Duration = time.Since(start)
	a.StatusCode = resp.StatusCode
	a.Response = clip(string(body))
	switch {
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		a.Outcome = Delivered
		return a // a body cut short after a 2xx still delivered
	case resp.StatusCode == http.StatusGone:
		a.Outcome, a.Err = Gone, errors.New("webhooks: the endpoint answered 410 Gone")
		return a
	case resp.StatusCode >= 300 && resp.StatusCode < 400:
		a.Err = fmt.Errorf("webhooks: the endpoint answered %d, a redirect to %q, which is not followed: update the webhook's URL", resp.StatusCode, resp.Header.Get("Location"))
		a.Response = clip(a.Err.Error())
	default:
		a.Err = fmt.Errorf("webhooks: the endpoint answered %d", resp.StatusCode)
		if readErr != nil && a.Response == "" {
			a.Response = clip(readErr.Error())
		}
	}
	a.Outcome = Retry
	a.RetryAfter = retryAfter(resp.Header.Get("Retry-After"), c.now())
	return a
}

// retryAfter reads a Retry-After header: seconds or an HTTP date, capped
// at a day; 0 if absent or unreadable.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	var d time.Duration
	if s, err := strconv.Atoi(strings.TrimSpace(v)); err == nil {
		d = time.Duration(s) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), 24*time.Hour)
}

// clip keeps at most the first ResponseLimit bytes of s, cut between
// characters, with any invalid UTF-8 shown as "?".
func clip(s string) string {
	if len(s) > ResponseLimit {
		cut := ResponseLimit
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut]
	}
	return strings.ToValidUTF8(s, "?")
}

// unwrapURLError drops the *url.Error layer, which repeats the method and
// the URL, whose query may hold a token.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// redactURL is url without its query, for error messages.
func redactURL(raw string) string {
	if i := strings.IndexAny(raw, "?#"); i >= 0 {
		return raw[:i] + "?…"
	}
	return raw
}

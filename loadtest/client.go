package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// CheckTarget refuses a URL that is not http(s) on a loopback host
// (127.0.0.0/8, ::1, localhost) unless allowRemote is set.
func CheckTarget(rawURL string, allowRemote bool) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("bad URL %q: %w", rawURL, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("bad URL %q: want http:// or https://", rawURL)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("bad URL %q: no host", rawURL)
	}
	if allowRemote || isLoopbackHost(u.Hostname()) {
		return u, nil
	}
	return nil, fmt.Errorf("refusing to load-test %s: not a loopback address (127.0.0.0/8, ::1, localhost); pass -allow-remote to target it anyway", u.Host)
}

func isLoopbackHost(host string) bool {
	if ip := net.ParseIP(host); ip != nil {
		return ip.IsLoopback()
	}
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	return host == "localhost" || strings.HasSuffix(host, ".localhost")
}

// newHTTPClient is tuned for load: one kept-alive connection per worker,
// no compression, no proxy, no redirects. Unless allowRemote, its dialer
// also refuses every address that is not loopback, whatever a name
// resolves to.
func newHTTPClient(conns int, timeout time.Duration, allowRemote bool) *http.Client {
	dialer := &net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}
	if !allowRemote {
		dialer.Control = func(_, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
				return fmt.Errorf("refusing to connect to %s: not a loopback address", address)
			}
			return nil
		}
	}
	tr := &http.Transport{
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		MaxIdleConns:          conns + 16,
		MaxIdleConnsPerHost:   conns + 16, // setup and verification run a few more
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   5 * time.Second,
		ExpectContinueTimeout: time.Second,
		DisableCompression:    true,
		ForceAttemptHTTP2:     false,
	}
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// client posts GraphQL requests.
type client struct {
	url   string
	http  *http.Client
	token string
}

// post sends a JSON body with the client's token and reads the whole
// answer into buf.
func (c *client) post(ctx context.Context, body []byte, buf *bytes.Buffer) (int, error) {
	auth := ""
	if c.token != "" {
		auth = "Bearer " + c.token
	}
	return c.postAs(ctx, body, auth, buf)
}

// postAs is post with the given Authorization header ("": none): a
// buyer's request (buyer.auth).
func (c *client) postAs(ctx context.Context, body []byte, auth string, buf *bytes.Buffer) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	buf.Reset()
	_, err = buf.ReadFrom(io.LimitReader(resp.Body, 64<<20))
	return resp.StatusCode, err
}

// gqlError is one entry of a response's errors.
type gqlError struct {
	Message    string `json:"message"`
	Extensions struct {
		Code string `json:"code"`
	} `json:"extensions"`
}

// code is extensions.code, or NO_CODE.
func (e gqlError) code() string {
	if e.Extensions.Code == "" {
		return "NO_CODE"
	}
	return e.Extensions.Code
}

// GraphQLError is a GraphQL error answer to a setup or verification
// request.
type GraphQLError struct {
	Code    string
	Message string
}

func (e *GraphQLError) Error() string { return e.Code + ": " + e.Message }

// HTTPError is an answer that is not a GraphQL response.
type HTTPError struct {
	Status int
	Body   string
}

func (e *HTTPError) Error() string {
	return fmt.Sprintf("HTTP %d: %s", e.Status, e.Body)
}

// query runs one operation and decodes its data into out.
func (c *client) query(ctx context.Context, query string, vars any, out any) error {
	body, err := json.Marshal(struct {
		Query     string `json:"query"`
		Variables any    `json:"variables,omitempty"`
	}{query, vars})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	status, err := c.post(ctx, body, &buf)
	if err != nil {
		return err
	}
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors []gqlError      `json:"errors"`
	}
	if err := json.Unmarshal(buf.Bytes(), &resp); err != nil || (resp.Data == nil && resp.Errors == nil) {
		return &HTTPError{Status: status, Body: snippet(buf.Bytes())}
	}
	if len(resp.Errors) > 0 {
		return &GraphQLError{Code: resp.Errors[0].code(), Message: resp.Errors[0].Message}
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(resp.Data, out)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// transportClass names a failed exchange for the report: the outcome of
// such a request is unknown.
func transportClass(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		msg = msg[i+2:]
	}
	return msg
}

// jsonString quotes s as a JSON string.
func jsonString(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

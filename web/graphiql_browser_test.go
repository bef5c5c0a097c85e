package web

import (
	"context"
	"fmt"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/boxoffice/boxoffice/internal/browsertest"
)

// The browser tests run GraphiQL in headless Chromium against a small
// GraphQL server on 127.0.0.1. They skip when Chromium or the GraphiQL
// bundle is missing, unless BOXOFFICE_REQUIRE_BROWSER=1 (CI), where they
// fail instead. BOXOFFICE_CHROMIUM names the browser binary (default:
// chromium on PATH, then /usr/bin/chromium); BOXOFFICE_GRAPHIQL_SCREENSHOT
// names a PNG file to save the rendered IDE to.

// browserTestTimeout bounds one browser session, start to finish.
const browserTestTimeout = 60 * time.Second

// TestGraphiQLInBrowser loads the IDE with the embedded bundle and checks
// that it renders, introspects the schema, runs a query, breaks no rule of
// its Content-Security-Policy, and requests nothing beyond loopback.
func TestGraphiQLInBrowser(t *testing.T) {
	chromium := browsertest.Chromium(t)
	if !GraphiQLEmbedded() {
		browsertest.SkipOrFail(t, "GraphiQL bundle not built into this test binary "+
			"(run `npm --prefix web/graphiql ci && npm --prefix web/graphiql run build`)")
	}
	r := runGraphiQL(t, chromium, GraphiQLHandler("/graphql", nil), nil)
	if len(r.offLoopback) > 0 {
		t.Errorf("requests left loopback: %q", r.offLoopback)
	}
	if !r.requested["/graphql/assets/graphiql.js"] || !r.requested["/graphql/assets/graphiql.css"] {
		t.Errorf("embedded assets not loaded; requested %v", r.requested)
	}
}

// TestGraphiQLCDNInBrowser loads the CDN-fallback page with the CDN played
// by the browser itself: the test intercepts the CDN requests and answers
// them from web/graphiql/node_modules, which checks the page, its SRI
// hashes, its CSP and cdn-boot.js without internet access.
func TestGraphiQLCDNInBrowser(t *testing.T) {
	chromium := browsertest.Chromium(t)
	for _, f := range append(append([]cdnFile{}, cdnStyles...), cdnScripts...) {
		if _, err := os.Stat(nodeModulesFile(f.URL)); err != nil {
			browsertest.SkipOrFail(t, "web/graphiql/node_modules not installed (run `npm --prefix web/graphiql ci`): %v", err)
		}
	}
	h := newGraphiQLHandler("/graphql", slog.New(slog.DiscardHandler), fstest.MapFS{".gitkeep": {}})
	r := runGraphiQL(t, chromium, h, func(u string) (string, bool) {
		if !strings.HasPrefix(u, cdnBase) {
			return "", false
		}
		return nodeModulesFile(strings.SplitN(u, "?", 2)[0]), true
	})
	for _, u := range r.offLoopback {
		if !r.intercepted[u] {
			t.Errorf("request left loopback unanswered by the test: %s", u)
		}
	}
	if want := len(cdnStyles) + len(cdnScripts); len(r.intercepted) != want {
		t.Errorf("%d CDN requests answered, want %d: %v", len(r.intercepted), want, r.intercepted)
	}
}

type browserRun struct {
	offLoopback []string        // URLs of requests to hosts other than loopback
	requested   map[string]bool // paths requested from the test server
	intercepted map[string]bool // URLs the test answered in the browser
}

// runGraphiQL serves h as the IDE of a test GraphQL server and walks
// through the IDE in Chromium. cdn, when not nil, tells which request URLs
// to answer inside the browser, and from which local file.
func runGraphiQL(t *testing.T, chromium string, h http.Handler, cdn func(url string) (file string, ok bool)) *browserRun {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle("POST /graphql", newTestGraphQLServer())
	mux.Handle("GET /graphql", h)
	mux.Handle("GET /graphql/", h)
	srv := httptest.NewServer(mux) // on 127.0.0.1
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	defer cancel()
	bctx := browsertest.Start(t, ctx, chromium)

	run := &browserRun{requested: map[string]bool{}, intercepted: map[string]bool{}}
	var (
		mu                  sync.Mutex
		exceptions, logErrs []string
	)
	err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			u := ev.Request.URL
			if !browsertest.IsLoopbackURL(u) {
				run.offLoopback = append(run.offLoopback, u)
			} else if p, err := url.Parse(u); err == nil && strings.HasPrefix(u, srv.URL) {
				run.requested[p.Path] = true
			}
		case *fetch.EventRequestPaused:
			file, ok := "", false
			if cdn != nil {
				file, ok = cdn(ev.Request.URL)
			}
			if ok {
				run.intercepted[ev.Request.URL] = true
			}
			go answerPaused(bctx, ev, file, ok) // no commands inside a listener
		case *runtime.EventExceptionThrown:
			exceptions = append(exceptions, browsertest.Exception(ev))
		case *cdplog.EventEntryAdded:
			if e := ev.Entry; e.Level == cdplog.EntryLevelError {
				logErrs = append(logErrs, fmt.Sprintf("%s: %.300s (%.200s)", e.Source, e.Text, e.URL))
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}

	const (
		docs      = `//section[@aria-label="Documentation Explorer"]`
		queryType = docs + `//a[contains(@class,"graphiql-doc-explorer-type-name")][text()="Query"]`
		field     = docs + `//a[contains(@class,"graphiql-doc-explorer-field-name")][text()=%q]`
		query     = `{ health events(first: 1) { name seatsLeft } }`
	)
	setup := []chromedp.Action[chromedp.Void]{
		browsertest.Command(network.Enable, network.EnableParams{}),
		browsertest.Command(cdplog.Enable, cdp.Empty{}),
		browsertest.Command(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push(e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));`}),
	}
	if cdn != nil {
		setup = append(setup, browsertest.Command(fetch.Enable, fetch.EnableParams{
			Patterns: []*fetch.RequestPattern{{URLPattern: "*", RequestStage: fetch.RequestStageRequest}},
		}))
	}
	var (
		title, docsText string
		cspViolations   []string
		screenshot      []byte
	)
	err = chromedp.Do(bctx, append(setup,
		chromedp.Navigate(srv.URL+"/graphql"),
		// The query editor (CodeMirror) renders.
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-container .graphiql-query-editor .CodeMirror`)),
		browsertest.Store(chromedp.Title(), &title),
		// The documentation explorer shows the introspected schema.
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.Click(queryType),
		chromedp.WaitVisible(fmt.Sprintf(field, "events")),
		chromedp.WaitVisible(fmt.Sprintf(field, "health")),
		browsertest.Store(chromedp.Text(docs), &docsText),
		// A query runs against the server.
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(`+"`"+query+"`"+`)`),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Poll[chromedp.Void](`(() => {
  const cm = document.querySelector('.graphiql-response .CodeMirror');
  const text = cm ? cm.CodeMirror.getValue() : '';
  return text.includes('"seatsLeft": 42') && text.includes('"health": "ok"');
})()`),
		browsertest.Store(chromedp.Evaluate[[]string](`window.__csp`), &cspViolations),
		browsertest.Store(chromedp.CaptureScreenshot(), &screenshot),
	)...)

	mu.Lock()
	defer mu.Unlock()
	for _, e := range logErrs {
		t.Logf("browser console: %s", e)
	}
	if err != nil {
		if len(screenshot) == 0 {
			screenshot, _ = chromedp.Run(bctx, chromedp.CaptureScreenshot())
		}
		browsertest.SaveScreenshot(t, screenshot)
		t.Fatalf("GraphiQL in Chromium: %v (exceptions: %q)", err, exceptions)
	}
	browsertest.SaveScreenshot(t, screenshot)
	if title != "boxoffice GraphQL" {
		t.Errorf("title %q", title)
	}
	for _, want := range []string{"Entry points of the boxoffice test API.", "events", "event", "health"} {
		if !strings.Contains(docsText, want) {
			t.Errorf("documentation explorer lacks %q:\n%s", want, docsText)
		}
	}
	if len(exceptions) > 0 {
		t.Errorf("uncaught exceptions: %q", exceptions)
	}
	if len(cspViolations) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", cspViolations)
	}
	for _, e := range logErrs {
		if strings.Contains(e, "Content Security Policy") || strings.Contains(e, "integrity") {
			t.Errorf("browser: %s", e)
		}
	}
	return run
}

// answerPaused answers a request that the Fetch domain paused: from file
// when ok; a loopback request goes on; anything else fails.
func answerPaused(ctx context.Context, ev *fetch.EventRequestPaused, file string, ok bool) {
	if !ok {
		if browsertest.IsLoopbackURL(ev.Request.URL) {
			_, _ = chromedp.Call(ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: ev.RequestID})
			return
		}
		_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonBlockedByClient})
		return
	}
	body, err := os.ReadFile(file)
	if err != nil {
		_, _ = chromedp.Call(ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: ev.RequestID, ErrorReason: network.ErrorReasonFailed})
		return
	}
	ct := mime.TypeByExtension(path.Ext(file))
	if strings.HasSuffix(file, ".js") {
		ct = "text/javascript; charset=utf-8"
	}
	_, _ = chromedp.Call(ctx, fetch.FulfillRequest, fetch.FulfillRequestParams{
		RequestID:    ev.RequestID,
		ResponseCode: http.StatusOK,
		ResponseHeaders: []*fetch.HeaderEntry{
			{Name: "Content-Type", Value: ct},
			{Name: "Access-Control-Allow-Origin", Value: "*"},
		},
		Body: body,
	})
}

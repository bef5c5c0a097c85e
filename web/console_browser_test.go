package web

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/boxoffice/boxoffice/internal/browsertest"
)

// TestFallbackConsoleInBrowser loads the IDE page of a binary built
// without the GraphiQL bundle, in headless Chromium with no network but
// loopback, where the CDN fails at once (no name resolves) or never
// answers: the page says what is wrong and what to do, and its console
// runs a query with variables and headers, with no uncaught exception and
// no breach of the page's Content-Security-Policy. When the CDN answers
// after all, GraphiQL can be opened from the console.
func TestFallbackConsoleInBrowser(t *testing.T) {
	chromium := browsertest.Chromium(t)
	t.Run("CDN unreachable", func(t *testing.T) {
		r := runConsole(t, chromium, false)
		if !strings.Contains(r.reason, "could not load it") {
			t.Errorf("reason: %q", r.reason)
		}
	})
	t.Run("CDN never answers", func(t *testing.T) {
		r := runConsole(t, chromium, true)
		if !strings.Contains(r.reason, "has not loaded within") {
			t.Errorf("reason: %q", r.reason)
		}
	})
}

type consoleRun struct {
	reason string // the page's reason for the fallback
}

// runConsole serves the CDN page and drives its console. With hang, the
// CDN's requests are held unanswered until the console shows; then, when
// web/graphiql/node_modules is installed, they are answered from it, and
// GraphiQL replaces the console at a click.
func runConsole(t *testing.T, chromium string, hang bool) *consoleRun {
	t.Helper()
	h := newGraphiQLHandler("/graphql", slog.New(slog.DiscardHandler), fstest.MapFS{".gitkeep": {}})
	var (
		mu          sync.Mutex
		authHeaders []string
		exceptions  []string
		paused      []*fetch.EventRequestPaused
	)
	api := newTestGraphQLServer()
	mux := http.NewServeMux()
	mux.Handle("GET /graphql", h)
	mux.Handle("GET /graphql/", h)
	mux.HandleFunc("POST /graphql", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		authHeaders = append(authHeaders, r.Header.Get("Authorization"))
		mu.Unlock()
		api.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	ctx, cancel := context.WithTimeout(context.Background(), browserTestTimeout)
	defer cancel()
	bctx := browsertest.Start(t, ctx, chromium)
	if err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *runtime.EventExceptionThrown:
			exceptions = append(exceptions, browsertest.Exception(ev))
		case *fetch.EventRequestPaused:
			paused = append(paused, ev) // held: the CDN does not answer
		}
	}); err != nil {
		t.Fatal(err)
	}

	setup := []chromedp.Action[chromedp.Void]{
		browsertest.Command(network.Enable, network.EnableParams{}),
		browsertest.Command(page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `window.__csp = [];
document.addEventListener('securitypolicyviolation', e =>
  window.__csp.push(e.violatedDirective + ' blocked ' + e.blockedURI + ' at ' + e.sourceFile + ':' + e.lineNumber));`}),
	}
	if hang {
		setup = append(setup, browsertest.Command(fetch.Enable, fetch.EnableParams{
			Patterns: []*fetch.RequestPattern{{URLPattern: cdnBase + "*", RequestStage: fetch.RequestStageRequest}},
		}))
	}
	const query = `query($id: ID!) { event(id: $id) { name seatsLeft } health }`
	var (
		r             consoleRun
		text, status  string
		result        string
		cspViolations []string
		screenshot    []byte
	)
	err := chromedp.Do(bctx, append(setup,
		// Not chromedp.Navigate, which waits for the page's load event: a
		// CDN that never answers holds it back.
		browsertest.Command(page.Navigate, page.NavigateParams{URL: srv.URL + "/graphql"}),
		chromedp.WaitVisible(chromedp.CSS(`#boxoffice-console`)),
		browsertest.Store(chromedp.Text(chromedp.CSS(`#boxoffice-console`)), &text),
		browsertest.Store(chromedp.Text(chromedp.CSS(`#bx-reason`)), &r.reason),
		// Bad JSON is refused before anything is sent.
		chromedp.SetValue(chromedp.CSS(`#bx-variables`), `{"id": `),
		chromedp.Click(chromedp.CSS(`#bx-run`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bx-status').textContent.includes('Variables is not valid JSON')`),
		// A query with variables and headers runs.
		chromedp.SetValue(chromedp.CSS(`#bx-query`), query),
		chromedp.SetValue(chromedp.CSS(`#bx-variables`), `{"id": "2"}`),
		chromedp.SetValue(chromedp.CSS(`#bx-headers`), `{"Authorization": "Bearer console-test-token"}`),
		chromedp.Click(chromedp.CSS(`#bx-run`)),
		chromedp.Poll[chromedp.Void](`document.getElementById('bx-result').textContent.includes('"seatsLeft": 7')`),
		browsertest.Store(chromedp.Text(chromedp.CSS(`#bx-result`)), &result),
		browsertest.Store(chromedp.Text(chromedp.CSS(`#bx-status`)), &status),
		browsertest.Store(chromedp.Evaluate[[]string](`window.__csp`), &cspViolations),
		browsertest.Store(chromedp.CaptureScreenshot(), &screenshot),
	)...)
	if err != nil {
		if len(screenshot) == 0 {
			screenshot, _ = chromedp.Run(bctx, chromedp.CaptureScreenshot())
		}
		browsertest.SaveScreenshot(t, screenshot)
		mu.Lock()
		defer mu.Unlock()
		t.Fatalf("the fallback console in Chromium: %v (exceptions: %q)", err, exceptions)
	}
	browsertest.SaveScreenshot(t, screenshot)
	for _, want := range []string{"The GraphiQL IDE could not be loaded", "cdn.jsdelivr.net", "make assets",
		"go build -o bin/boxoffice ./cmd/boxoffice", "Node.js and npm", "POST /graphql", "signIn"} {
		if !strings.Contains(text, want) {
			t.Errorf("the page does not say %q:\n%s", want, text)
		}
	}
	if !strings.Contains(result, `"name": "Matinee"`) || !strings.Contains(result, `"health": "ok"`) || !strings.HasPrefix(status, "HTTP 200") {
		t.Errorf("result %q, status %q", result, status)
	}

	mu.Lock()
	if len(authHeaders) != 1 || authHeaders[0] != "Bearer console-test-token" {
		t.Errorf("requests to the API carried Authorization %q, want one with the console's header", authHeaders)
	}
	mu.Unlock()

	if hang {
		mu.Lock()
		held := paused
		paused = nil
		mu.Unlock()
		if len(held) != len(cdnScripts)+len(cdnStyles) {
			t.Errorf("%d CDN requests held, want %d", len(held), len(cdnScripts)+len(cdnStyles))
		}
		if _, err := os.Stat(nodeModulesFile(cdnScripts[0].URL)); err != nil {
			t.Logf("web/graphiql/node_modules not installed: not answering the CDN's requests late (%v)", err)
		} else {
			// The CDN answers after all: GraphiQL is offered, and opens.
			for _, ev := range held {
				answerPaused(bctx, ev, nodeModulesFile(strings.SplitN(ev.Request.URL, "?", 2)[0]), true)
			}
			err := chromedp.Do(bctx,
				chromedp.Click(chromedp.CSS(`#bx-open-graphiql`)),
				chromedp.WaitVisible(chromedp.CSS(`.graphiql-container .graphiql-query-editor .CodeMirror`)),
			)
			if err != nil {
				t.Errorf("GraphiQL after the console: %v", err)
			}
		}
	}

	mu.Lock()
	defer mu.Unlock()
	if len(exceptions) > 0 {
		t.Errorf("uncaught exceptions: %q", exceptions)
	}
	if len(cspViolations) > 0 {
		t.Errorf("Content-Security-Policy violations: %q", cspViolations)
	}
	return &r
}

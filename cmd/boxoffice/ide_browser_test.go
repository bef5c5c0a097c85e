package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/boxoffice/boxoffice/internal/browsertest"
)

// TestIDEInBrowser loads the GraphiQL IDE of the real `boxoffice serve`
// (embedded database, demo data) in headless Chromium: the editor renders,
// the documentation explorer shows the real schema, a query typed into the
// editor runs, and the page requests nothing beyond loopback. It skips when
// Chromium or the GraphiQL bundle is missing, unless
// BOXOFFICE_REQUIRE_BROWSER=1 (CI), where it fails instead (as the browser
// tests of package web do). BOXOFFICE_GRAPHIQL_SCREENSHOT names a PNG file
// to save the rendered IDE to.
func TestIDEInBrowser(t *testing.T) {
	chromium := browsertest.Chromium(t)
	if _, err := os.Stat("../../web/graphiql/dist/graphiql.js"); err != nil {
		browsertest.SkipOrFail(t, "GraphiQL bundle not built, so not embedded in the binary (run `make assets`)")
	}

	s := startServer(t, workdir(t))

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	bctx := browsertest.Start(t, ctx, chromium)

	var (
		mu                      sync.Mutex
		offLoopback, exceptions []string
		requested               = map[string]bool{}
	)
	if err := chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch ev := ev.(type) {
		case *network.EventRequestWillBeSent:
			if !browsertest.IsLoopbackURL(ev.Request.URL) {
				offLoopback = append(offLoopback, ev.Request.URL)
			} else if u, err := url.Parse(ev.Request.URL); err == nil {
				requested[u.Path] = true
			}
		case *runtime.EventExceptionThrown:
			exceptions = append(exceptions, browsertest.Exception(ev))
		}
	}); err != nil {
		t.Fatal(err)
	}

	const (
		docs     = `//section[@aria-label="Documentation Explorer"]`
		typeLink = docs + `//a[contains(@class,"graphiql-doc-explorer-type-name")][text()=%q]`
		field    = docs + `//a[contains(@class,"graphiql-doc-explorer-field-name")][text()=%q]`
		back     = docs + `//a[contains(@class,"graphiql-doc-explorer-back")]`
	)
	var (
		rootText, queryText, mutationText, result string
		screenshot                                []byte
	)
	err := chromedp.Do(bctx,
		browsertest.Command(network.Enable, network.EnableParams{}),
		chromedp.Navigate(s.url+"/graphql"),
		// The query editor (CodeMirror) renders.
		chromedp.WaitVisible(chromedp.CSS(`.graphiql-container .graphiql-query-editor .CodeMirror`)),
		// The documentation explorer shows the real schema's root types...
		chromedp.Click(chromedp.CSS(`button[aria-label="Show Documentation Explorer"]`)),
		chromedp.WaitVisible(fmt.Sprintf(typeLink, "Mutation")),
		browsertest.Store(chromedp.Text(docs), &rootText),
		// ...the Query fields...
		chromedp.Click(fmt.Sprintf(typeLink, "Query")),
		chromedp.WaitVisible(fmt.Sprintf(field, "events")),
		chromedp.WaitVisible(fmt.Sprintf(field, "upcomingEvents")),
		browsertest.Store(chromedp.Text(docs), &queryText),
		// ...and the Mutation fields.
		chromedp.Click(back),
		chromedp.Click(fmt.Sprintf(typeLink, "Mutation")),
		chromedp.WaitVisible(fmt.Sprintf(field, "createBooking")),
		browsertest.Store(chromedp.Text(docs), &mutationText),
		// A query typed into the editor runs against the demo data.
		chromedp.Evaluate[chromedp.Void](`document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue('{ events { total } }')`),
		chromedp.Click(chromedp.CSS(`.graphiql-execute-button`)),
		chromedp.Poll[chromedp.Void](`(() => {
  const cm = document.querySelector('.graphiql-response .CodeMirror');
  return !!cm && cm.CodeMirror.getValue().includes('"total": 12');
})()`),
		browsertest.Store(chromedp.Evaluate[string](`document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()`), &result),
		browsertest.Store(chromedp.CaptureScreenshot(), &screenshot),
	)

	mu.Lock()
	defer mu.Unlock()
	if err != nil && len(screenshot) == 0 {
		screenshot, _ = chromedp.Run(bctx, chromedp.CaptureScreenshot())
	}
	if len(screenshot) > 0 {
		browsertest.SaveScreenshot(t, screenshot)
	}
	if err != nil {
		t.Fatalf("GraphiQL in Chromium: %v\nexceptions: %q\nrequests beyond loopback: %q\nserver log:\n%s",
			err, exceptions, offLoopback, s.logs.String())
	}
	for _, c := range []struct{ text, want string }{
		{rootText, "Query"}, {rootText, "Mutation"},
		{queryText, "events"}, {queryText, "upcomingEvents"}, {queryText, "Get paginated list of events."},
		{mutationText, "createBooking"},
	} {
		if !strings.Contains(c.text, c.want) {
			t.Errorf("documentation explorer lacks %q:\n%s", c.want, c.text)
		}
	}
	t.Logf("result pane: %s", strings.Join(strings.Fields(result), " "))
	if len(offLoopback) > 0 {
		t.Errorf("requests left loopback (the IDE must work offline): %q", offLoopback)
	}
	if len(exceptions) > 0 {
		t.Errorf("uncaught JavaScript exceptions: %q", exceptions)
	}
	if !requested["/graphql/assets/graphiql.js"] || !requested["/graphql/assets/graphiql.css"] {
		t.Errorf("embedded GraphiQL assets not loaded; requested %v", requested)
	}
}

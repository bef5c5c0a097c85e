// Package browsertest starts headless Chromium for tests, offline: every
// host name but loopback fails to resolve. The tests skip when Chromium is
// missing, unless BOXOFFICE_REQUIRE_BROWSER=1 (CI), where they fail.
package browsertest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// SkipOrFail skips t, or fails it when the environment requires the
// browser tests to run.
func SkipOrFail(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if os.Getenv("BOXOFFICE_REQUIRE_BROWSER") == "1" {
		t.Fatalf("%s (BOXOFFICE_REQUIRE_BROWSER=1)", msg)
	}
	t.Skipf("%s; set BOXOFFICE_REQUIRE_BROWSER=1 to make this a failure", msg)
}

// Chromium is the browser's path: $BOXOFFICE_CHROMIUM, or chromium on PATH,
// or /usr/bin/chromium (Debian's package, which .ci/install-browser-deps
// installs). Without one, t is skipped or fails (SkipOrFail).
func Chromium(t testing.TB) string {
	t.Helper()
	if name := os.Getenv("BOXOFFICE_CHROMIUM"); name != "" {
		p, err := exec.LookPath(name)
		if err != nil {
			SkipOrFail(t, "BOXOFFICE_CHROMIUM: %v", err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	SkipOrFail(t, "Chromium not installed (run .ci/install-browser-deps)")
	return ""
}

// Start starts headless Chromium with a fresh profile and returns its
// context; it stops when ctx ends or t does.
func Start(t testing.TB, ctx context.Context, chromium string) context.Context {
	t.Helper()
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Nothing can resolve a name to reach beyond this machine, whatever
		// the page or the browser tries; network events still see the try.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND , EXCLUDE 127.0.0.1 , EXCLUDE localhost"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1400, 900),
	)
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancelBrowser(); cancelAlloc() })
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("start Chromium (%s): %v", chromium, err)
	}
	return bctx
}

// Exception describes an uncaught JavaScript exception.
func Exception(ev *runtime.EventExceptionThrown) string {
	d := ev.ExceptionDetails
	msg := d.Text
	if d.Exception != nil {
		msg += " " + d.Exception.Description
	}
	return fmt.Sprintf("%s (%s:%d)", msg, d.URL, d.LineNumber+1)
}

// IsLoopbackURL reports whether u stays on this machine: an http(s) or
// ws(s) URL to a loopback address or localhost, or a data:, blob: or
// about: URL, which the browser resolves itself.
func IsLoopbackURL(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	switch p.Scheme {
	case "data", "blob", "about":
		return true
	case "http", "https", "ws", "wss":
		host := p.Hostname()
		if host == "localhost" {
			return true
		}
		ip := net.ParseIP(host)
		return ip != nil && ip.IsLoopback()
	}
	return false
}

// Command is an action that sends one protocol command.
func Command[P, R any](cmd cdp.Command[P, R], params P) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, cmd, params)
		return err
	})
}

// Store makes an action that keeps the value of a in *dst.
func Store[T any](a chromedp.Action[T], dst *T) chromedp.Action[chromedp.Void] {
	return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		v, err := a(ctx, t)
		*dst = v
		return err
	})
}

// SaveScreenshot writes the PNG to $BOXOFFICE_GRAPHIQL_SCREENSHOT, if set.
func SaveScreenshot(t testing.TB, png []byte) {
	t.Helper()
	if p := os.Getenv("BOXOFFICE_GRAPHIQL_SCREENSHOT"); p != "" && len(png) > 0 {
		if err := os.WriteFile(p, png, 0o644); err != nil {
			t.Error(err)
		}
		t.Logf("screenshot: %s", p)
	}
}

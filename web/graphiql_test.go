package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/99designs/gqlgen/graphql/introspection"
)

// fakeDist stands for a built web/graphiql/dist.
var fakeDist = fstest.MapFS{
	".gitkeep":     {Data: nil},
	"graphiql.js":  {Data: []byte(strings.Repeat("console.log('graphiql');\n", 100))},
	"graphiql.css": {Data: []byte(".graphiql-container{height:100%}")},
}

func get(t *testing.T, h http.Handler, target string, hdr ...string) *http.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodGet, target, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Result()
}

func body(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func logTo(buf *bytes.Buffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func TestGraphiQLEmbeddedPage(t *testing.T) {
	var logs bytes.Buffer
	h := newGraphiQLHandler("/graphql", logTo(&logs), fakeDist)
	if logs.Len() != 0 {
		t.Errorf("logged with the bundle embedded: %s", logs.String())
	}

	resp := get(t, h, "/graphql")
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /graphql: %s", resp.Status)
	}
	for k, want := range map[string]string{
		"Content-Type":            "text/html; charset=utf-8",
		"Content-Security-Policy": cspEmbedded,
		"Cache-Control":           "no-cache",
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := resp.Header.Get(k); got != want {
			t.Errorf("%s = %q, want %q", k, got, want)
		}
	}
	for _, want := range []string{
		"<title>boxoffice GraphQL</title>",
		`<div id="graphiql">`,
		`<script src="/graphql/assets/graphiql.js?v=`,
		`<link rel="stylesheet" href="/graphql/assets/graphiql.css?v=`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if strings.Contains(page, "https://") || strings.Contains(page, "<style") || strings.Contains(page, "<script>") {
		t.Errorf("embedded page refers outside or has inline code:\n%s", page)
	}
	for _, d := range strings.Split(cspEmbedded, ";") {
		if strings.Contains(d, "unsafe") || strings.Contains(d, "http") {
			t.Errorf("CSP directive %q is not restrictive", d)
		}
	}
}

func TestGraphiQLCDNFallback(t *testing.T) {
	var logs bytes.Buffer
	h := newGraphiQLHandler("/graphql", logTo(&logs), fstest.MapFS{".gitkeep": {}})
	if n := strings.Count(logs.String(), "level=WARN"); n != 1 || !strings.Contains(logs.String(), "CDN") {
		t.Errorf("want one warning about the CDN, got %d: %s", n, logs.String())
	}

	resp := get(t, h, "/graphql")
	page := html.UnescapeString(body(t, resp)) // html/template writes "+" as "&#43;"
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Security-Policy") != cspCDN {
		t.Fatalf("GET /graphql: %s, CSP %q", resp.Status, resp.Header.Get("Content-Security-Policy"))
	}
	// The CDN files in the order the page must load them, with their SRI hashes.
	last := -1
	for _, f := range append(append([]cdnFile{}, cdnStyles...), cdnScripts...) {
		i := strings.Index(page, `"`+f.URL+`" integrity="`+f.Integrity+`" crossorigin="anonymous"`)
		if i < 0 {
			t.Errorf("page lacks %s with its integrity:\n%s", f.URL, page)
		}
		if i < last {
			t.Errorf("%s out of order", f.URL)
		}
		last = i
	}
	for _, want := range []string{
		"<title>boxoffice GraphQL</title>",
		"graphiql@" + graphiqlVersion + "/graphiql.min.js",
		"react@" + reactVersion + "/umd/react.production.min.js",
		"react-dom@" + reactVersion + "/umd/react-dom.production.min.js",
		`<script src="/graphql/assets/cdn-boot.js?v=`,
		`<script src="/graphql/assets/console.js?v=`,
		`<link rel="stylesheet" href="/graphql/assets/console.css?v=`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q:\n%s", want, page)
		}
	}
	if i, j := strings.Index(page, "graphiql.min.js"), strings.Index(page, "cdn-boot.js"); j < i {
		t.Error("cdn-boot.js must come after graphiql.min.js")
	}
	// The fallback's script runs first, and nothing of the CDN blocks the
	// page: its scripts are deferred, as is cdn-boot.js after them.
	if i, j := strings.Index(page, "console.js"), strings.Index(page, "react.production.min.js"); i < 0 || j < i {
		t.Error("console.js must come before the CDN's scripts")
	}
	if n := strings.Count(page, "></script>"); strings.Count(page, " defer></script>") != n-1 {
		t.Errorf("every script but console.js must be deferred:\n%s", page)
	}
	resp = get(t, h, "/graphql/assets/console.js")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body(t, resp), "make assets") {
		t.Errorf("console.js: %s", resp.Status)
	}
	resp = get(t, h, "/graphql/assets/cdn-boot.js")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body(t, resp), "GraphiQL.createFetcher") {
		t.Errorf("cdn-boot.js: %s", resp.Status)
	}
	if resp := get(t, h, "/graphql/assets/graphiql.js"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("graphiql.js without a bundle: %s", resp.Status)
	}
}

func TestGraphiQLAssets(t *testing.T) {
	h := newGraphiQLHandler("/graphql/", slog.New(slog.DiscardHandler), fakeDist)
	js := string(fakeDist["graphiql.js"].Data)

	resp := get(t, h, "/graphql/assets/graphiql.js?v=x")
	if got := body(t, resp); resp.StatusCode != http.StatusOK || got != js {
		t.Fatalf("graphiql.js: %s, %d bytes", resp.Status, len(got))
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/javascript; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "max-age=31536000") || !strings.Contains(cc, "immutable") {
		t.Errorf("Cache-Control %q", cc)
	}
	etag := resp.Header.Get("ETag")
	if resp := get(t, h, "/graphql/assets/graphiql.js", "If-None-Match", etag); resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match: %s", resp.Status)
	}

	resp = get(t, h, "/graphql/assets/graphiql.js", "Accept-Encoding", "br, gzip")
	if resp.Header.Get("Content-Encoding") != "gzip" {
		t.Fatalf("no gzip: %v", resp.Header)
	}
	zr, err := gzip.NewReader(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(zr); string(b) != js {
		t.Error("gzipped graphiql.js differs")
	}
	if resp := get(t, h, "/graphql/assets/graphiql.js", "Accept-Encoding", "gzip;q=0"); resp.Header.Get("Content-Encoding") != "" {
		t.Error("gzip sent despite q=0")
	}

	resp = get(t, h, "/graphql/assets/graphiql.css")
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || ct != "text/css; charset=utf-8" {
		t.Errorf("graphiql.css: %s, %q", resp.Status, ct)
	}

	for _, p := range []string{"/graphql/assets/.gitkeep", "/graphql/assets/", "/graphql/assets/../graphiql.go", "/graphql/x", "/graphqlx", "/"} {
		if resp := get(t, h, p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %s, want 404", p, resp.Status)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/graphql", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/graphql", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

// TestGraphiQLEmbeddedMatchesBuild checks the exported API against what was
// built into this test binary.
func TestGraphiQLEmbeddedMatchesBuild(t *testing.T) {
	_, err := os.Stat(filepath.Join("graphiql", "dist", "graphiql.js"))
	if built := err == nil; GraphiQLEmbedded() != built {
		t.Fatalf("GraphiQLEmbedded() = %v, but dist/graphiql.js exists: %v", GraphiQLEmbedded(), built)
	}
	var logs bytes.Buffer
	GraphiQLHandler("/graphql", logTo(&logs))
	if warned := strings.Contains(logs.String(), "level=WARN"); warned == GraphiQLEmbedded() {
		t.Errorf("embedded %v, warned %v: %s", GraphiQLEmbedded(), warned, logs.String())
	}
}

// TestCDNPinsMatchPackageJSON keeps the CDN fallback on the versions of the
// bundle, and, where node_modules is installed, its SRI hashes true.
func TestCDNPinsMatchPackageJSON(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("graphiql", "package.json"))
	if err != nil {
		t.Fatal(err)
	}
	var pkg struct {
		DevDependencies map[string]string `json:"devDependencies"`
	}
	if err := json.Unmarshal(b, &pkg); err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"graphiql": graphiqlVersion, "react": reactVersion, "react-dom": reactVersion} {
		if got := pkg.DevDependencies[name]; got != want {
			t.Errorf("package.json pins %s %q, the CDN fallback %q", name, got, want)
		}
	}

	for _, f := range append(append([]cdnFile{}, cdnStyles...), cdnScripts...) {
		file := nodeModulesFile(f.URL)
		content, err := os.ReadFile(file)
		if err != nil {
			t.Skipf("node_modules not installed (%v); SRI hashes not checked", err)
		}
		sum := sha512.Sum384(content)
		if got := "sha384-" + base64.StdEncoding.EncodeToString(sum[:]); got != f.Integrity {
			t.Errorf("%s: integrity %s, file in node_modules has %s", f.URL, f.Integrity, got)
		}
	}
}

// nodeModulesFile maps a CDN URL (…/npm/pkg@version/path) to the same file
// in web/graphiql/node_modules.
func nodeModulesFile(url string) string {
	rest := strings.TrimPrefix(url, cdnBase)
	pkgAtVersion, p, _ := strings.Cut(rest, "/")
	pkg, _, _ := strings.Cut(pkgAtVersion, "@")
	return filepath.Join("graphiql", "node_modules", pkg, filepath.FromSlash(p))
}

func TestTestGraphQLServer(t *testing.T) {
	s := newTestGraphQLServer()
	resp := s.execute(introspection.Query, "IntrospectionQuery", nil)
	if resp.Errors != nil {
		t.Fatal(resp.Errors)
	}
	out, _ := json.Marshal(resp.Data)
	for _, want := range []string{`"queryType":{"name":"Query"}`, `"name":"events"`, `"name":"seatsLeft"`, `"defaultValue":"10"`} {
		if !bytes.Contains(out, []byte(want)) {
			t.Errorf("introspection lacks %s", want)
		}
	}
	resp = s.execute(`query($id: ID!) { health events(first: 1) { name } event(id: $id) { __typename seatsLeft } }`, "", map[string]any{"id": "2"})
	out, _ = json.Marshal(resp)
	if want := `{"data":{"event":{"__typename":"Event","seatsLeft":7},"events":[{"name":"Opening night"}],"health":"ok"}}`; string(out) != want {
		t.Errorf("got %s\nwant %s", out, want)
	}
	if resp := s.execute(`{ nope }`, "", nil); resp.Errors == nil {
		t.Error("invalid query accepted")
	}
}

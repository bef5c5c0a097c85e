// Package web serves boxoffice's browser-facing pages: the GraphiQL IDE on
// the GraphQL endpoint.
//
// GraphiQL's JavaScript and CSS are bundled from the npm registry (pinned by
// web/graphiql/package-lock.json) into web/graphiql/dist by
//
//	npm --prefix web/graphiql ci && npm --prefix web/graphiql run build
//
// and embedded into the binary, so the IDE works without internet access. A
// binary built without that step still serves the IDE, loading GraphiQL
// from a CDN instead; where the CDN cannot be reached, the page says so,
// says how to build the bundle, and offers a small console of its own
// (graphiql/console.js) that runs queries.
package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"
	"time"
)

//go:embed all:graphiql/dist
var distFS embed.FS

//go:embed graphiql/cdn-boot.js
var cdnBootJS []byte

// The fallback of the CDN page: a message and a small console of our own,
// shown when GraphiQL cannot be loaded from the CDN (see console.js).
var (
	//go:embed graphiql/console.js
	consoleJS []byte
	//go:embed graphiql/console.css
	consoleCSS []byte
)

// Versions and Subresource Integrity hashes of the CDN fallback. They must
// match web/graphiql/package.json (checked by the tests).
const (
	cdnBase         = "https://cdn.jsdelivr.net/npm/"
	graphiqlVersion = "3.8.3"
	reactVersion    = "18.3.1"
)

type cdnFile struct{ URL, Integrity string }

var (
	cdnScripts = []cdnFile{
		{cdnBase + "react@" + reactVersion + "/umd/react.production.min.js", "sha384-DGyLxAyjq0f9SPpVevD6IgztCFlnMF6oW/XQGmfe+IsZ8TqEiDrcHkMLKI6fiB/Z"},
		{cdnBase + "react-dom@" + reactVersion + "/umd/react-dom.production.min.js", "sha384-gTGxhz21lVGYNMcdJOyq01Edg0jhn/c22nsx0kyqP0TxaV5WVdsSH1fSDUf5YJj1"},
		{cdnBase + "graphiql@" + graphiqlVersion + "/graphiql.min.js", "sha384-HbRVEFG0JGJZeAHCJ9Xm2+tpknBQ7QZmNlO/DgZtkZ0aJSypT96YYGRNod99l9Ie"},
	}
	cdnStyles = []cdnFile{
		{cdnBase + "graphiql@" + graphiqlVersion + "/graphiql.min.css", "sha384-Mq3vbRBY71jfjQAt/DcjxUIYY33ksal4cgdRt9U/hNPvHBCaT2JfJ/PTRiPKf0aM"},
	}
)

// Content-Security-Policy of the IDE page. GraphiQL (CodeMirror 5, React)
// sets styles only through the CSSOM, which CSP does not restrict, and its
// fonts and icons are data: URIs, so no inline script or style is allowed.
const (
	cspEmbedded = "default-src 'self'; script-src 'self'; style-src 'self'; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
	cspCDN = "default-src 'self'; script-src 'self' https://cdn.jsdelivr.net; " +
		"style-src 'self' https://cdn.jsdelivr.net; " +
		"img-src 'self' data:; font-src 'self' data:; connect-src 'self'; " +
		"object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)

// embeddedDist is web/graphiql/dist as embedded at build time.
func embeddedDist() fs.FS {
	sub, err := fs.Sub(distFS, "graphiql/dist")
	if err != nil {
		panic(err) // a valid, constant path
	}
	return sub
}

func hasBundle(dist fs.FS) bool {
	for _, name := range []string{"graphiql.js", "graphiql.css"} {
		fi, err := fs.Stat(dist, name)
		if err != nil || fi.IsDir() || fi.Size() == 0 {
			return false
		}
	}
	return true
}

// GraphiQLHandler returns the handler of the GraphiQL IDE for the GraphQL
// API at endpoint (e.g. "/graphql"). It serves
//
//	GET|HEAD <endpoint>           the IDE's HTML page
//	GET|HEAD <endpoint>/assets/*  its scripts and stylesheets
//
// and 404 for any other path, 405 for other methods. Mount it for GET on
// both endpoint and endpoint+"/"; the page sends queries to its own URL
// (POST <endpoint>), with the browser's cookies.
//
// Without the embedded bundle (see GraphiQLEmbedded) the page loads GraphiQL
// from a CDN, and falls back to a console of its own when that fails; the
// handler then logs a warning once, here.
func GraphiQLHandler(endpoint string, logger *slog.Logger) http.Handler {
	return newGraphiQLHandler(endpoint, logger, embeddedDist())
}

// newGraphiQLHandler is GraphiQLHandler with the bundle read from dist.
func newGraphiQLHandler(endpoint string, logger *slog.Logger, dist fs.FS) *graphiqlHandler {
	if logger == nil {
		logger = slog.Default()
	}
	endpoint = "/" + strings.Trim(endpoint, "/")
	assetsPrefix := strings.TrimSuffix(endpoint, "/") + "/assets/"

	h := &graphiqlHandler{
		endpoint:     endpoint,
		assetsPrefix: assetsPrefix,
		embedded:     hasBundle(dist),
		assets:       map[string]*asset{},
	}
	if h.embedded {
		entries, _ := fs.ReadDir(dist, ".")
		for _, e := range entries {
			if e.IsDir() || strings.HasPrefix(e.Name(), ".") {
				continue
			}
			b, err := fs.ReadFile(dist, e.Name())
			if err != nil {
				continue
			}
			h.assets[e.Name()] = newAsset(e.Name(), b)
		}
	} else {
		logger.Warn("GraphiQL assets not built into this binary: the IDE loads them from a CDN, and where the CDN "+
			"cannot be reached shows a small console instead. For the full IDE offline, run `make assets` "+
			"(needs Node.js and npm: `npm --prefix web/graphiql ci && npm --prefix web/graphiql run build`), then rebuild",
			"endpoint", endpoint, "cdn", cdnBase)
	}
	h.assets["cdn-boot.js"] = newAsset("cdn-boot.js", cdnBootJS)
	h.assets["console.js"] = newAsset("console.js", consoleJS)
	h.assets["console.css"] = newAsset("console.css", consoleCSS)

	data := pageData{Endpoint: endpoint}
	if h.embedded {
		data.Scripts = []pageRef{{URL: h.assetURL("graphiql.js")}}
		data.Styles = []pageRef{{URL: h.assetURL("graphiql.css")}}
		h.csp = cspEmbedded
	} else {
		// console.js runs first and watches the CDN's scripts, which are
		// deferred so that the page and its fallback never wait on them.
		data.Scripts = append(data.Scripts, pageRef{URL: h.assetURL("console.js")})
		for _, f := range cdnScripts {
			data.Scripts = append(data.Scripts, pageRef{URL: f.URL, Integrity: f.Integrity, Defer: true})
		}
		data.Scripts = append(data.Scripts, pageRef{URL: h.assetURL("cdn-boot.js"), Defer: true})
		// The CDN's stylesheet is only preloaded, and applied by
		// cdn-boot.js: a stylesheet in the head that never loads would keep
		// the whole page, fallback included, from being shown.
		for _, f := range cdnStyles {
			data.Styles = append(data.Styles, pageRef{URL: f.URL, Integrity: f.Integrity, Preload: true})
		}
		data.Styles = append(data.Styles, pageRef{URL: h.assetURL("console.css")})
		h.csp = cspCDN
	}
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, data); err != nil {
		panic("web: GraphiQL page template: " + err.Error()) // static template and data
	}
	h.page = buf.Bytes()
	return h
}

type graphiqlHandler struct {
	endpoint     string
	assetsPrefix string
	embedded     bool
	assets       map[string]*asset
	page         []byte
	csp          string
}

// assetURL is the URL of an asset, versioned by its content so that it can
// be cached for good.
func (h *graphiqlHandler) assetURL(name string) string {
	return h.assetsPrefix + name + "?v=" + h.assets[name].hash[:12]
}

func (h *graphiqlHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	isPage := p == h.endpoint
	name, isAsset := strings.CutPrefix(p, h.assetsPrefix)
	if !isPage && !isAsset {
		http.NotFound(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hdr := w.Header()
	hdr.Set("X-Content-Type-Options", "nosniff")
	if isPage {
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Cache-Control", "no-cache")
		hdr.Set("Content-Security-Policy", h.csp)
		hdr.Set("Referrer-Policy", "same-origin")
		hdr.Set("X-Frame-Options", "SAMEORIGIN")
		http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(h.page))
		return
	}
	a := h.assets[name]
	if a == nil {
		http.NotFound(w, r)
		return
	}
	a.serve(w, r)
}

// asset is one static file, kept in memory, gzipped on first use.
type asset struct {
	content     []byte
	contentType string
	hash        string // hex SHA-256 of content

	gzipOnce sync.Once
	gzipped  []byte // nil when gzip doesn't pay
}

func newAsset(name string, content []byte) *asset {
	sum := sha256.Sum256(content)
	ct := mime.TypeByExtension(path.Ext(name))
	switch path.Ext(name) {
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".map":
		ct = "application/json"
	}
	if ct == "" {
		ct = "application/octet-stream"
	}
	return &asset{content: content, contentType: ct, hash: hex.EncodeToString(sum[:])}
}

func (a *asset) serve(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	hdr.Set("Cache-Control", "public, max-age=31536000, immutable")
	hdr.Add("Vary", "Accept-Encoding")
	body := a.content
	etag := `"` + a.hash[:32] + `"`
	if acceptsGzip(r) {
		if gz := a.gzip(); gz != nil {
			body = gz
			etag = `"` + a.hash[:32] + `-gz"`
			hdr.Set("Content-Encoding", "gzip")
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (a *asset) gzip() []byte {
	a.gzipOnce.Do(func() {
		if len(a.content) < 1024 {
			return
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		_, _ = zw.Write(a.content)
		if zw.Close() == nil && buf.Len() < len(a.content) {
			a.gzipped = buf.Bytes()
		}
	})
	return a.gzipped
}

// acceptsGzip reports whether the request's Accept-Encoding allows gzip.
func acceptsGzip(r *http.Request) bool {
	for _, v := range r.Header.Values("Accept-Encoding") {
		for part := range strings.SplitSeq(v, ",") {
			coding, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(coding), "gzip") {
				continue
			}
			q, ok := strings.CutPrefix(strings.ReplaceAll(params, " ", ""), "q=")
			if !ok {
				return true
			}
			f, err := strconv.ParseFloat(q, 64)
			return err == nil && f > 0
		}
	}
	return false
}

type pageRef struct {
	URL, Integrity string
	Defer          bool // a script that runs after the page is parsed
	Preload        bool // a stylesheet fetched at once but applied by a script
}

type pageData struct {
	Endpoint string
	Scripts  []pageRef
	Styles   []pageRef
}

var pageTemplate = template.Must(template.New("graphiql").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
<title>boxoffice GraphQL</title>
{{- range .Styles}}
<link rel="{{if .Preload}}preload" as="style{{else}}stylesheet{{end}}" href="{{.URL}}"{{if .Integrity}} integrity="{{.Integrity}}" crossorigin="anonymous"{{end}}>
{{- end}}
</head>
<body>
<div id="graphiql">Loading GraphiQL…</div>
{{- range .Scripts}}
<script src="{{.URL}}"{{if .Integrity}} integrity="{{.Integrity}}" crossorigin="anonymous"{{end}}{{if .Defer}} defer{{end}}></script>
{{- end}}
<noscript>The GraphiQL IDE needs JavaScript. The GraphQL API is at {{.Endpoint}} (POST).</noscript>
</body>
</html>
`))

package web

// GraphiQLEmbedded reports whether the GraphiQL bundle (graphiql.js and
// graphiql.css) was built into this binary. When false, GraphiQLHandler's
// page loads GraphiQL from a CDN.
func GraphiQLEmbedded() bool { return hasBundle(embeddedDist()) }

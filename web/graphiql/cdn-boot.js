// Starts GraphiQL from the CDN's UMD builds (globals React, ReactDOM and
// GraphiQL) in binaries built without the bundle of web/graphiql/dist. Keep
// in step with src/main.jsx. It runs deferred, after the CDN's scripts; when
// they did not load, console.js (window.boxofficeIDE) shows its fallback.
(function () {
  'use strict';
  var ide = window.boxofficeIDE;
  if (typeof GraphiQL === 'undefined' || typeof React === 'undefined' || typeof ReactDOM === 'undefined') {
    ide.fallback('this browser could not load it (no network, or cdn.jsdelivr.net is blocked)');
    return;
  }

  // The stylesheets the page preloads (see graphiql.go), applied now; the
  // IDE renders once they are in.
  function applyStyles(done) {
    var preloads = document.querySelectorAll('link[rel="preload"][as="style"]');
    var left = preloads.length;
    if (left === 0) return done();
    preloads.forEach(function (p) {
      var link = document.createElement('link');
      link.rel = 'stylesheet';
      link.href = p.href;
      if (p.integrity) {
        link.integrity = p.integrity;
        link.crossOrigin = 'anonymous';
      }
      link.onload = link.onerror = function () {
        if (--left === 0) done();
      };
      document.head.appendChild(link);
    });
  }

  ide.start(function () {
    applyStyles(render);
  });

  function render() {
    var root = document.getElementById('graphiql');
    document.documentElement.style.height = '100%';
    document.body.style.height = '100%';
    document.body.style.margin = '0';
    root.style.height = '100vh';

    // The IDE page is served from the GraphQL endpoint itself, so queries go
    // to the page's own path.
    var url = window.location.pathname;

    // Hook for authentication, as in src/main.jsx: headers sent with every
    // request, e.g. { Authorization: 'Bearer ' + token }. GraphiQL's
    // "Headers" tab covers per-session headers.
    function defaultRequestHeaders() {
      return {};
    }

    var fetcher = GraphiQL.createFetcher({
      url: url,
      headers: defaultRequestHeaders(),
      fetch: function (input, init) {
        return window.fetch(input, Object.assign({}, init, { credentials: 'same-origin' }));
      },
    });
    ReactDOM.createRoot(root).render(React.createElement(GraphiQL, { fetcher: fetcher }));
  }
})();

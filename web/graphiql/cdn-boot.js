// Starts GraphiQL from the CDN's UMD builds (globals React, ReactDOM and
// GraphiQL) in binaries built without the bundle of web/graphiql/dist. Keep
// in step with src/main.jsx.
(function () {
  'use strict';
  var root = document.getElementById('graphiql');
  document.documentElement.style.height = '100%';
  document.body.style.height = '100%';
  document.body.style.margin = '0';
  root.style.height = '100vh';

  // The IDE page is served from the GraphQL endpoint itself, so queries go
  // to the page's own path.
  var url = window.location.pathname;

  // Hook for authentication, as in src/main.jsx: headers sent with every
  // request, e.g. { Authorization: 'Bearer ' + token }. GraphiQL's "Headers"
  // tab covers per-session headers.
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
})();

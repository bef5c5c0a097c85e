// Entry point of the GraphiQL bundle that boxoffice embeds in its binary
// (see ../graphiql.go). Built with `npm run build` into dist/graphiql.js and
// dist/graphiql.css.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { GraphiQL } from 'graphiql';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
// Compiled GraphiQL stylesheet; its fonts are inlined as data: URIs, so the
// IDE needs nothing from outside the boxoffice server.
import 'graphiql/graphiql.css';
import './page.css';

// The IDE page is served from the GraphQL endpoint itself (GET /graphql), so
// queries go to the page's own path (POST /graphql).
const url = window.location.pathname;

// Hook for authentication: headers returned here are sent with every request,
// e.g. { Authorization: `Bearer ${token}` }. Users can also set headers per
// session in GraphiQL's "Headers" tab (below the query editor); those are
// merged over these. Cookies (a session cookie) are sent same-origin.
function defaultRequestHeaders() {
  return {};
}

const fetcher = createGraphiQLFetcher({
  url,
  headers: defaultRequestHeaders(),
  fetch: (input, init) =>
    window.fetch(input, { ...init, credentials: 'same-origin' }),
});

createRoot(document.getElementById('graphiql')).render(
  <GraphiQL fetcher={fetcher} />,
);

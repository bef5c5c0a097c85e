// The IDE page's fallback, for binaries built without the GraphiQL bundle
// (make assets), whose page loads GraphiQL from a CDN: when that fails
// (offline, blocked) or takes too long, the page says what is wrong and
// what to do, and offers a small console that runs queries against the
// API. No third-party code: it must work when nothing else loads.
//
// It runs before the CDN's scripts (which are deferred) and exposes
// window.boxofficeIDE, which cdn-boot.js asks before starting GraphiQL.
(function () {
  'use strict';

  // How long GraphiQL may take to start before the console is shown.
  var patienceMs = 6000;
  var cdnHost = 'cdn.jsdelivr.net';

  var state = { started: false, shown: false };
  var root = document.getElementById('graphiql');
  var url = window.location.pathname; // the page is served by the endpoint

  function el(tag, attrs, children) {
    var e = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') e.textContent = attrs[k];
      else e.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) {
      e.appendChild(typeof c === 'string' ? document.createTextNode(c) : c);
    });
    return e;
  }

  function code(text) {
    return el('code', { text: text });
  }

  // parseJSON reads an optional JSON object from a text area.
  function parseJSON(text, what) {
    if (!text.trim()) return {};
    var v;
    try {
      v = JSON.parse(text);
    } catch (e) {
      throw new Error(what + ' is not valid JSON: ' + e.message);
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      throw new Error(what + ' must be a JSON object, such as {"key": "value"}');
    }
    return v;
  }

  function show(reason) {
    if (state.shown || state.started) return;
    state.shown = true;
    document.body.classList.add('boxoffice-fallback');

    var query = el('textarea', { id: 'bx-query', rows: '10', spellcheck: 'false', 'aria-label': 'Query' });
    query.value = '{\n  events(pagination: {limit: 5}) {\n    items { id title date availableTickets price }\n    total\n  }\n}\n';
    var variables = el('textarea', { id: 'bx-variables', rows: '3', spellcheck: 'false', 'aria-label': 'Variables', placeholder: '{"id": "…"}' });
    var headers = el('textarea', { id: 'bx-headers', rows: '3', spellcheck: 'false', 'aria-label': 'Headers', placeholder: '{"Authorization": "Bearer …"}' });
    var run = el('button', { id: 'bx-run', type: 'button', text: 'Run (Ctrl+Enter)' });
    var status = el('span', { id: 'bx-status', role: 'status' });
    var result = el('pre', { id: 'bx-result', 'aria-label': 'Response', tabindex: '0' });
    var useToken = el('button', { id: 'bx-use-token', type: 'button', hidden: 'hidden', text: 'Use this token in Headers' });
    var lastToken = '';

    function send() {
      var body;
      var hdrs = { 'Content-Type': 'application/json', Accept: 'application/json' };
      try {
        body = { query: query.value, variables: parseJSON(variables.value, 'Variables') };
        var extra = parseJSON(headers.value, 'Headers');
        Object.keys(extra).forEach(function (k) {
          hdrs[k] = String(extra[k]);
        });
      } catch (e) {
        status.textContent = e.message;
        return;
      }
      status.textContent = 'Running…';
      run.disabled = true;
      var started = Date.now();
      window
        .fetch(url, { method: 'POST', headers: hdrs, body: JSON.stringify(body), credentials: 'same-origin' })
        .then(function (resp) {
          return resp.text().then(function (text) {
            var shown = text;
            lastToken = '';
            try {
              var json = JSON.parse(text);
              shown = JSON.stringify(json, null, 2);
              var d = json && json.data;
              var auth = d && (d.signIn || d.signUp || d.changePassword);
              if (auth && typeof auth.token === 'string') lastToken = auth.token;
            } catch (e) {
              // not JSON: shown as it came
            }
            result.textContent = shown;
            useToken.hidden = !lastToken;
            status.textContent = 'HTTP ' + resp.status + ' in ' + (Date.now() - started) + ' ms';
          });
        })
        .catch(function (e) {
          status.textContent = 'The request failed: ' + e.message;
        })
        .then(function () {
          run.disabled = false;
        });
    }

    run.addEventListener('click', send);
    [query, variables, headers].forEach(function (t) {
      t.addEventListener('keydown', function (e) {
        if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
          e.preventDefault();
          send();
        }
      });
    });
    useToken.addEventListener('click', function () {
      headers.value = JSON.stringify({ Authorization: 'Bearer ' + lastToken });
      useToken.hidden = true;
    });

    var page = el('main', { id: 'boxoffice-console' }, [
      el('h1', { text: 'The GraphiQL IDE could not be loaded' }),
      el('p', { id: 'bx-reason' }, [
        'This boxoffice server was built without the IDE\u2019s files, so this page loads GraphiQL from ',
        code(cdnHost),
        ', and ' + reason + '. The server\u2019s log says so too, at start-up.',
      ]),
      el('p', {}, [
        'To get the full IDE offline: install Node.js and npm, run ',
        code('make assets'),
        ' in the boxoffice checkout, rebuild (',
        code('go build -o bin/boxoffice ./cmd/boxoffice'),
        ') and restart the server.',
      ]),
      el('p', {}, [
        'Meanwhile, this small console sends GraphQL to ',
        code('POST ' + url),
        '. To act as a user, run the ',
        code('signIn'),
        ' mutation, then put ',
        code('{"Authorization": "Bearer <token>"}'),
        ' in Headers.',
      ]),
      el('label', { for: 'bx-query', text: 'Query' }),
      query,
      el('div', { class: 'bx-row' }, [
        el('div', {}, [el('label', { for: 'bx-variables', text: 'Variables (JSON)' }), variables]),
        el('div', {}, [el('label', { for: 'bx-headers', text: 'Headers (JSON)' }), headers]),
      ]),
      el('div', { class: 'bx-actions' }, [run, status, useToken]),
      el('label', { for: 'bx-result', text: 'Response' }),
      result,
    ]);
    root.textContent = '';
    root.appendChild(page);
    query.focus();
  }

  // A CDN script that fails to load (no network, blocked, integrity
  // mismatch) fires an error event that reaches window while capturing.
  window.addEventListener(
    'error',
    function (e) {
      var t = e.target;
      if (t && t.tagName === 'SCRIPT' && t.src && t.src.indexOf('https://' + cdnHost + '/') === 0) {
        show('this browser could not load it (no network, or ' + cdnHost + ' is blocked)');
      }
    },
    true,
  );
  var timer = window.setTimeout(function () {
    show('it has not loaded within ' + patienceMs / 1000 + ' seconds');
  }, patienceMs);

  window.boxofficeIDE = {
    // fallback shows the console, for a reason that completes "GraphiQL
    // is loaded from the CDN, and …".
    fallback: show,
    // start runs boot (GraphiQL's start) unless the console is showing:
    // then it offers a button that swaps the console for GraphiQL.
    start: function (boot) {
      window.clearTimeout(timer);
      if (!state.shown) {
        state.started = true;
        boot();
        return;
      }
      var swap = el('button', { id: 'bx-open-graphiql', type: 'button', text: 'GraphiQL has loaded after all: open it' });
      swap.addEventListener('click', function () {
        state.started = true;
        document.body.classList.remove('boxoffice-fallback');
        root.textContent = '';
        boot();
      });
      var page = document.getElementById('boxoffice-console');
      page.insertBefore(swap, page.children[1]);
    },
  };
})();

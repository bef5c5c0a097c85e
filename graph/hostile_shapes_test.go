package graph

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/sqlite"
)

// The shapes of hostile documents: what the benchmark (hostile_bench_test.go)
// measures at several sizes, up to the 1 MiB body limit, and what the fuzz
// targets (fuzz_test.go) start from. Each size makes one request body.
type hostileShape struct {
	name  string
	sizes []int
	body  func(n int) map[string]any // the JSON body: query, variables, operationName
}

// maxBody is the body limit less room for the JSON around the query.
const maxBody = maxBodyBytes - 1024

// repeat joins n copies of item(i) with sep.
func repeat(n int, sep string, item func(i int) string) string {
	var b strings.Builder
	for i := range n {
		if i > 0 {
			b.WriteString(sep)
		}
		b.WriteString(item(i))
	}
	return b.String()
}

func query(q string) map[string]any { return map[string]any{"query": q} }

// fragmentChain: fragment F<i> spreads F<i-1> twice, n levels deep.
func fragmentChain(n int) string {
	var b strings.Builder
	b.WriteString("query { ...F" + fmt.Sprint(n) + " }\nfragment F0 on Query { __typename }\n")
	for i := 1; i <= n; i++ {
		fmt.Fprintf(&b, "fragment F%d on Query { ...F%d ...F%d }\n", i, i-1, i-1)
	}
	return b.String()
}

// eventFields are every scalar field of Event.
const eventFields = "id title description date location totalTickets availableTickets price version createdAt updatedAt"

// nested nests n levels of events' bookings' event.
func nested(n int) string {
	return "{ events { items { " + strings.Repeat("bookings { event { ", n) + "id" + strings.Repeat(" } }", n) + " } } }"
}

func hostileShapes() []hostileShape {
	return []hostileShape{
		{"fragment-chain", []int{10, 20, 24, 25, 30, 40, 1_000, maxBody / 55}, func(n int) map[string]any {
			return query(fragmentChain(n))
		}},
		{"repeated-field", []int{100, 499, 7_000, 19_000, maxBody / 11}, func(n int) map[string]any {
			return query("{ " + repeat(n, " ", func(int) string { return "__typename" }) + " }")
		}},
		{"aliases", []int{30, 1_000, maxBody / 20}, func(n int) map[string]any {
			return query("{ " + repeat(n, " ", func(i int) string { return fmt.Sprintf("a%d: __typename", i) }) + " }")
		}},
		{"unknown-directives", []int{50, 4_000, maxBody / 3}, func(n int) map[string]any {
			return query("{ __typename " + repeat(n, "", func(int) string { return "@a" }) + " }")
		}},
		{"known-directives", []int{50, 1_000, maxBody / 18}, func(n int) map[string]any {
			return query("{ __typename " + repeat(n, "", func(int) string { return "@skip(if:false)" }) + " }")
		}},
		{"unknown-fields", []int{20, 500, maxBody / 9}, func(n int) map[string]any {
			return query("{ " + repeat(n, " ", func(i int) string { return fmt.Sprintf("f%d", i) }) + " }")
		}},
		{"arguments", []int{20, 2_000, maxBody / 10}, func(n int) map[string]any {
			return query("{ __typename(" + repeat(n, " ", func(i int) string { return fmt.Sprintf("a%d:1", i) }) + ") }")
		}},
		{"wide-selection", []int{1, 10, 45}, func(n int) map[string]any {
			sel := repeat(n, " ", func(int) string { return eventFields })
			return query("{ events(pagination: {limit: 100}) { items { " + sel + " } } popularEvents(limit: 100) { " + eventFields + " } upcomingEvents(limit: 100) { " + eventFields + " } }")
		}},
		{"overlapping-subselections", []int{10, 100, 166, 5_000, maxBody / 25}, func(n int) map[string]any {
			return query("{ " + repeat(n, " ", func(int) string { return "events { items { id } }" }) + " }")
		}},
		{"nesting", []int{5, 13, 100, 2_000, maxBody / 25}, func(n int) map[string]any {
			return query(nested(n))
		}},
		{"fragment-fan-out", []int{10, 100, 1_000, maxBody / 55}, func(n int) map[string]any {
			spreads := repeat(n, " ", func(i int) string { return fmt.Sprintf("...F%d", i) })
			defs := repeat(n, "\n", func(i int) string { return fmt.Sprintf("fragment F%d on Query { __typename }", i) })
			return query("{ " + spreads + " }\n" + defs)
		}},
		{"operations", []int{10, 1_000, maxBody / 30}, func(n int) map[string]any {
			body := query(repeat(n, "\n", func(i int) string { return fmt.Sprintf("query Q%d { __typename }", i) }))
			body["operationName"] = "Q0"
			return body
		}},
		{"long-string", []int{1_000, maxBody / 2, maxBody - 100}, func(n int) map[string]any {
			return query(`{ events(pagination: {limit: 1}) { items { id } } __typename @skip(if: false) users(filter: {email: "` + strings.Repeat("a", n) + `"}) { total } }`)
		}},
		{"deep-list-literal", []int{10, 1_000, 2_400, maxBody / 2}, func(n int) map[string]any {
			return query("{ events(pagination: {limit: " + strings.Repeat("[", n) + strings.Repeat("]", n) + "}) { total } }")
		}},
		{"large-variables", []int{1_000, 30_000, maxBody / 12}, func(n int) map[string]any {
			p := map[string]any{"limit": 1}
			for i := range n {
				p[fmt.Sprintf("k%d", i)] = 1
			}
			return map[string]any{"query": "query($p: PaginationInput) { events(pagination: $p) { total } }", "variables": map[string]any{"p": p}}
		}},
		{"large-variable-string", []int{1_000, maxBody - 200}, func(n int) map[string]any {
			return map[string]any{
				"query":     "query($f: UserFilterInput) { users(filter: $f) { total } }",
				"variables": map[string]any{"f": map[string]any{"email": strings.Repeat("a", n)}},
			}
		}},
		{"deep-variables", []int{10, 1_000, 9_000}, func(n int) map[string]any {
			var v any = 1
			for range n {
				v = []any{v}
			}
			return map[string]any{"query": "query($p: PaginationInput) { events(pagination: $p) { total } }", "variables": map[string]any{"p": map[string]any{"limit": v}}}
		}},
		{"introspection", []int{1}, func(int) map[string]any {
			return query(introspectionQuery)
		}},
	}
}

// bodyOf encodes a request body, dropping shapes beyond the body limit.
func bodyOf(b map[string]any) ([]byte, bool) {
	raw, err := json.Marshal(b)
	if err != nil {
		panic(err)
	}
	return raw, len(raw) <= maxBodyBytes
}

// introspectionQuery is GraphiQL's, the largest legitimate document.
const introspectionQuery = `query IntrospectionQuery {
  __schema {
    queryType { name kind }
    mutationType { name kind }
    subscriptionType { name kind }
    types { ...FullType }
    directives { name description isRepeatable locations args(includeDeprecated: true) { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description specifiedByURL isOneOf
  fields(includeDeprecated: true) {
    name description args(includeDeprecated: true) { ...InputValue }
    type { ...TypeRef } isDeprecated deprecationReason
  }
  inputFields(includeDeprecated: true) { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue {
  name description type { ...TypeRef } defaultValue isDeprecated deprecationReason
}
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } } }
}`

// benchHandler is the handler over the real service and a SQLite database
// with 100 events, as an anonymous caller sees it.
func benchHandler(tb testing.TB) http.Handler {
	ctx := tb.Context()
	db, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "bench.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(ctx); err != nil {
		tb.Fatal(err)
	}
	secret, err := auth.GenerateSecret()
	if err != nil {
		tb.Fatal(err)
	}
	tokens, err := auth.NewTokens(secret, time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	svc := service.New(db, service.Options{Tokens: tokens})
	tb.Cleanup(svc.Close)
	now := boxoffice.Now()
	admin := &boxoffice.User{ID: boxoffice.NewID(), Username: "admin", Email: "admin@example.com", Role: boxoffice.RoleAdmin, CreatedAt: now, UpdatedAt: now}
	if err := db.Users().Create(ctx, admin); err != nil {
		tb.Fatal(err)
	}
	asAdmin := boxoffice.NewContextWithCaller(ctx, boxoffice.Caller{UserID: admin.ID, Role: admin.Role})
	for i := range 100 {
		desc := strings.Repeat("A fine evening. ", 10)
		e := &boxoffice.Event{Title: fmt.Sprintf("Event %d", i), Description: &desc, Location: "Hall",
			Date: now.Add(time.Duration(i+1) * time.Hour), TotalTickets: 100, PriceCents: 1999}
		if err := svc.Events.CreateEvent(asAdmin, e); err != nil {
			tb.Fatal(err)
		}
	}
	return NewHandler(Config{
		Users: svc.Users, Events: svc.Events, Bookings: svc.Bookings, Accounts: svc.Accounts, Tickets: svc.Tickets, Waitlist: svc.Waitlist,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		Introspection: true,
	})
}

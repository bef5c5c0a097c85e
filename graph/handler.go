package graph

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph/generated"
)

// Defaults for the zero values of Config.
const (
	DefaultComplexityLimit = 50_000
	DefaultMaxDepth        = 12
	DefaultQueryCacheSize  = 1000
	DefaultQueryCacheBytes = 32 << 20
	DefaultLoaderWait      = 2 * time.Millisecond
)

// Config is what NewHandler needs.
type Config struct {
	Users    boxoffice.UserService
	Events   boxoffice.EventService
	Bookings boxoffice.BookingService
	Accounts boxoffice.AccountService  // me, signUp, signIn, signOut, changePassword
	Tickets  boxoffice.TicketService   // tickets, check-in, transfers
	Waitlist boxoffice.WaitlistService // the waiting lists
	Webhooks boxoffice.WebhookService  // webhooks; nil: the webhook fields fail
	Logger   *slog.Logger              // nil: slog.Default()
	Metrics  Metrics                   // nil: none
	// Idempotency keeps answers for Idempotency-Key retries; nil: the
	// header is ignored.
	Idempotency boxoffice.IdempotencyService

	// Introspection lets clients read the schema (GraphiQL needs it).
	Introspection bool
	// ComplexityLimit bounds an operation's cost, where a list field costs
	// its page size times its selection (see complexity.go). 0: the
	// default; negative: no limit.
	ComplexityLimit int
	// MaxDepth bounds how deeply fields nest. 0: the default.
	MaxDepth int
	// QueryCacheSize is the number of parsed and validated queries kept
	// (LRU), so a repeated query skips both. 0: the default.
	QueryCacheSize int
	// QueryCacheBytes bounds the memory those queries take, as estimated
	// in cache.go; queries over 16 KiB are never kept. 0: the default.
	QueryCacheBytes int
	// LoaderWait is how long a dataloader collects keys before it fetches
	// (see loaders.go). 0: the default.
	LoaderWait time.Duration
}

type services struct {
	users    boxoffice.UserService
	events   boxoffice.EventService
	bookings boxoffice.BookingService
	tickets  boxoffice.TicketService
}

// NewHandler returns the GraphQL endpoint: POST with a JSON body for any
// operation, GET for queries only.
func NewHandler(cfg Config) http.Handler {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	svc := services{users: cfg.Users, events: cfg.Events, bookings: cfg.Bookings, tickets: cfg.Tickets}
	schema := generated.NewExecutableSchema(generated.Config{
		Resolvers: &Resolver{users: svc.users, events: svc.events, bookings: svc.bookings, accounts: cfg.Accounts, tickets: svc.tickets,
			waitlist: cfg.Waitlist, webhooks: cfg.Webhooks},
		Complexity: complexity(),
	})

	cache := newDocCache(positiveOr(cfg.QueryCacheSize, DefaultQueryCacheSize), positiveOr(cfg.QueryCacheBytes, DefaultQueryCacheBytes))
	rules := validationRules(positiveOr(cfg.MaxDepth, DefaultMaxDepth), cfg.Introspection)()
	guard := newGuard(schema.Schema(), rules, cache, cfg.Introspection, log)

	srv := handler.New(schema)
	srv.AddTransport(guardedTransport{Transport: transport.GET{}, guard: guard})
	srv.AddTransport(guardedTransport{Transport: transport.POST{}, guard: guard})
	srv.SetQueryCache(cache) // hands gqlgen the guard's documents: it never parses by itself
	srv.SetParserTokenLimit(maxTokens)
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(recoverPanic)
	srv.Use(operationLogger{log: log})
	if cfg.Metrics != nil {
		srv.Use(operationMetrics{cfg.Metrics})
	}
	srv.Use(capErrors{}) // inside the logger and metrics, which count the codes of what is sent
	srv.Use(queriesOnlyOverGET{})
	if cfg.Introspection {
		srv.Use(extension.Introspection{})
	}
	if limit := cfg.ComplexityLimit; limit >= 0 {
		srv.Use(&costLimit{limit: positiveOr(limit, DefaultComplexityLimit)})
	}
	srv.AroundRootFields(freshLoadersPerMutation)
	srv.AroundFields(payloadUserIsCaller)

	wait := cfg.LoaderWait
	if wait <= 0 {
		wait = DefaultLoaderWait
	}
	return &httpHandler{next: srv, services: svc, loaderWait: wait, log: log, idempotency: cfg.Idempotency, guard: guard}
}

// positiveOr returns n, or def for a zero (unset) n.
func positiveOr(n, def int) int {
	if n > 0 {
		return n
	}
	return def
}

// freshLoadersPerMutation empties the loaders before each mutation field:
// mutation fields run one after the other, and each must see the state its
// own write left.
func freshLoadersPerMutation(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	if graphql.GetOperationContext(ctx).Operation.Operation == ast.Mutation {
		loadersFrom(ctx).clear()
	}
	return next(ctx)
}

package loadtest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

const (
	eventQuery       = `query Event($id: ID!) { event(id: $id) { id totalTickets availableTickets } }`
	createEventQuery = `mutation CreateEvent($input: CreateEventInput!) { createEvent(input: $input) { id totalTickets availableTickets } }`
	// With -types: the same, with the events' ticket types (boxoffice's).
	typedEventQuery       = `query Event($id: ID!) { event(id: $id) { id totalTickets availableTickets ticketTypes { id } } }`
	typedCreateEventQuery = `mutation CreateEvent($input: CreateEventInput!) { createEvent(input: $input) { id totalTickets availableTickets ticketTypes { id } } }`
	usersQuery            = `query Users($pagination: PaginationInput) { users(pagination: $pagination) { items { id } total } }`
	createUserQuery       = `mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { id } }`
)

type eventTickets struct {
	ID               string `json:"id"`
	TotalTickets     int64  `json:"totalTickets"`
	AvailableTickets int64  `json:"availableTickets"`
	TicketTypes      []struct {
		ID string `json:"id"`
	} `json:"ticketTypes"`
}

// parallel runs fn(0..n-1) on up to width goroutines and returns the
// first error; after one, the remaining calls are skipped.
func parallel(ctx context.Context, n, width int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		next atomic.Int64
		wg   sync.WaitGroup
	)
	for range min(n, width) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					cancel(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// setupEvents returns the events to book on, with their state before the
// run: the given ones, or new ones (made in the database with
// o.Provision, else with createEvent).
func setupEvents(ctx context.Context, c *client, o Options) ([]*event, error) {
	start := time.Now()
	ids, what := o.EventIDs, "given"
	if len(ids) == 0 && o.Provision != nil {
		var err error
		stamp := time.Now().UTC().Format("2006-01-02 15:04:05")
		if ids, err = o.Provision.Events(ctx, o.newEvents(), o.Tickets, o.Types, fmt.Sprintf("bench %s %s", o.Scenario, stamp)); err != nil {
			return nil, fmt.Errorf("make events in the database: %w", err)
		}
		what = "new"
	}
	if len(ids) > 0 {
		events := make([]*event, len(ids))
		err := parallel(ctx, len(events), setupParallelism, func(ctx context.Context, i int) error {
			var data struct{ Event eventTickets }
			query := eventQuery
			if o.Types > 0 {
				query = typedEventQuery
			}
			if err := c.query(ctx, query, map[string]any{"id": ids[i]}, &data); err != nil {
				if what == "new" {
					return fmt.Errorf("read event %s, just made in the database: %w (is the server at %s using that database?)", ids[i], err, c.url)
				}
				return fmt.Errorf("read event %s: %w", ids[i], err)
			}
			if o.Types > 0 && len(data.Event.TicketTypes) == 0 {
				return fmt.Errorf("event %s sells no ticket types: leave -types out for it", ids[i])
			}
			events[i] = newEvent(data.Event)
			return nil
		})
		if err != nil {
			return nil, err
		}
		if what == "new" {
			fmt.Fprintf(o.Progress, "made %d event(s) of %d tickets in the database in %s\n", len(events), o.Tickets, time.Since(start).Round(time.Millisecond))
		} else {
			fmt.Fprintf(o.Progress, "booking on %d given event(s)\n", len(events))
		}
		return events, nil
	}

	n := o.newEvents()
	stamp := time.Now().UTC().Format("2006-01-02 15:04:05")
	date := time.Now().Add(30 * 24 * time.Hour).UTC().Format(time.RFC3339)
	events := make([]*event, n)
	err := parallel(ctx, n, setupParallelism, func(ctx context.Context, i int) error {
		input := map[string]any{
			"title":        fmt.Sprintf("bench %s %s #%d", o.Scenario, stamp, i+1),
			"description":  "created by boxoffice bench",
			"date":         date,
			"location":     "loopback",
			"totalTickets": o.Tickets,
			"price":        10,
		}
		query := createEventQuery
		if o.Types > 0 {
			query = typedCreateEventQuery
			delete(input, "totalTickets")
			delete(input, "price")
			types := make([]any, o.Types)
			for k := range types {
				types[k] = map[string]any{"name": fmt.Sprintf("Type %d", k+1), "price": 10 + k, "totalTickets": o.Tickets / o.Types}
			}
			input["ticketTypes"] = types
		}
		var data struct{ CreateEvent eventTickets }
		if err := c.query(ctx, query, map[string]any{"input": input}, &data); err != nil {
			return fmt.Errorf("create an event%s: %w", hint(err, "pass -event ID"), err)
		}
		events[i] = newEvent(data.CreateEvent)
		return nil
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "created %d event(s) of %d tickets in %s\n", n, o.Tickets, time.Since(start).Round(time.Millisecond))
	return events, nil
}

// newEvents is how many events a run makes: one for hot, onsale and
// expiry.
func (o Options) newEvents() int {
	if o.Scenario == Hot || o.Scenario == Onsale || o.Scenario == Expiry {
		return 1
	}
	return o.Events
}

// event is a target of bookings.
type event struct {
	id         string
	quoted     []byte // id as a JSON string
	total      int64
	soldBefore int64    // totalTickets - availableTickets before the run
	types      [][]byte // its ticket types' ids as JSON strings; none: it has none
}

func newEvent(e eventTickets) *event {
	ev := &event{
		id:         e.ID,
		quoted:     jsonString(e.ID),
		total:      e.TotalTickets,
		soldBefore: e.TotalTickets - e.AvailableTickets,
	}
	for _, t := range e.TicketTypes {
		ev.types = append(ev.types, jsonString(t.ID))
	}
	return ev
}

// setupUsers returns the ids of the users who book.
func setupUsers(ctx context.Context, c *client, o Options) ([]string, error) {
	if len(o.UserIDs) > 0 {
		return o.UserIDs, nil
	}
	n := o.NewUsers
	if n == 0 {
		var data struct {
			Users struct {
				Items []struct{ ID string }
				Total int
			}
		}
		vars := map[string]any{"pagination": map[string]int{"page": 1, "limit": 100}}
		if err := c.query(ctx, usersQuery, vars, &data); err != nil {
			return nil, fmt.Errorf("list users%s: %w", hint(err, "pass -users ID,…"), err)
		}
		if len(data.Users.Items) > 0 {
			ids := make([]string, len(data.Users.Items))
			for i, u := range data.Users.Items {
				ids[i] = u.ID
			}
			fmt.Fprintf(o.Progress, "booking as %d existing user(s)\n", len(ids))
			return ids, nil
		}
		n = DefaultNewUsers
	}
	start := time.Now()
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	ids := make([]string, n)
	err := parallel(ctx, n, setupParallelism, func(ctx context.Context, i int) error {
		input := map[string]any{
			"username": fmt.Sprintf("bench%d", i+1),
			"email":    fmt.Sprintf("bench-%s-%d@example.com", run, i+1),
		}
		var data struct{ CreateUser struct{ ID string } }
		if err := c.query(ctx, createUserQuery, map[string]any{"input": input}, &data); err != nil {
			return fmt.Errorf("create a user%s: %w", hint(err, "pass -users ID,…"), err)
		}
		ids[i] = data.CreateUser.ID
		return nil
	})
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "created %d user(s) in %s\n", n, time.Since(start).Round(time.Millisecond))
	return ids, nil
}

// hint is advice for a set-up request the server refused: a token it
// wants, or operations only boxoffice has.
func hint(err error, advice string) string {
	var gqlErr *GraphQLError
	if !errors.As(err, &gqlErr) {
		return ""
	}
	switch gqlErr.Code {
	case "UNAUTHENTICATED", "FORBIDDEN":
		return " (" + tokenAdvice + ")"
	}
	return " (createEvent and createUser are boxoffice's; for the original API, " + advice + ")"
}

// tokenAdvice says what a run needs to book on boxoffice.
const tokenAdvice = "boxoffice wants a token: run bench with the server's configuration (its directory, or its " +
	"DATABASE_URL and JWT_SECRET), where it books as buyers of its own (-buyers), or pass -token with an admin's " +
	"token (boxoffice token --email ADMIN), whose bookings then share that one account's rate limit"

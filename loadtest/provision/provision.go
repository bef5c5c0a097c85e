// Package provision makes the accounts and events of a load test straight
// in the server's database, as an operator can: buyers by the thousand,
// each with a bearer token signed with the server's secret, which no API
// could make in time (sign-up is rate limited per address and hashes a
// password with argon2id). It implements loadtest.Provisioner over a
// boxoffice.Store.
//
// Every row is made as the services make it (validated, with its
// timestamps, and its creation recorded in the change feed, in the same
// transaction), in transactions of 500 rows, four at a time. The accounts have
// no password, so nobody can sign in with them; their tokens expire with
// the signer's time to live. Nothing is deleted afterwards, as with
// everything a load test books.
package provision

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/loadtest"
)

// batch is how many rows one transaction makes, and parallelism how many
// such transactions run at once (the embedded database runs them one at a
// time anyway).
const (
	batch       = 500
	parallelism = 4
)

// DB makes a run's accounts and events in a database.
type DB struct {
	store  boxoffice.Store
	tokens *auth.Tokens
	run    string // in every email, so that runs never collide
	now    func() time.Time

	mu    sync.Mutex
	staff *boxoffice.User
	made  int // buyers made so far, for their names
}

var _ loadtest.Provisioner = (*DB)(nil)

// New returns a DB that makes accounts and events in store and signs
// their tokens with tokens, which must hold the server's secret.
func New(store boxoffice.Store, tokens *auth.Tokens) *DB {
	return &DB{store: store, tokens: tokens, run: strconv.FormatInt(time.Now().UnixNano(), 36), now: boxoffice.Now}
}

// Email is the address of a run's account: name-RUN@bench.invalid (a
// domain that cannot exist, RFC 2606).
func (d *DB) email(name string) string { return name + "-" + d.run + "@bench.invalid" }

// StaffToken makes the run's admin, once, and returns a token of its.
func (d *DB) StaffToken(ctx context.Context) (string, error) {
	staff, err := d.staffUser(ctx)
	if err != nil {
		return "", err
	}
	token, _, err := d.tokens.Issue(staff.ID, staff.TokenVersion, d.now())
	return token, err
}

func (d *DB) staffUser(ctx context.Context) (*boxoffice.User, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.staff != nil {
		return d.staff, nil
	}
	u := d.user("bench operator", d.email("operator"), boxoffice.RoleAdmin)
	if err := u.Validate(); err != nil {
		return nil, err
	}
	if err := d.insertUsers(ctx, []*boxoffice.User{u}); err != nil {
		return nil, err
	}
	d.staff = u
	return u, nil
}

// Buyers makes n customers without passwords, each with a token.
func (d *DB) Buyers(ctx context.Context, n int) ([]loadtest.Buyer, error) {
	d.mu.Lock()
	first := d.made
	d.made += n
	d.mu.Unlock()

	out := make([]loadtest.Buyer, n)
	batches := (n + batch - 1) / batch
	var (
		wg       sync.WaitGroup
		next     atomic.Int64
		errOnce  sync.Once
		firstErr error
	)
	for range min(batches, parallelism) {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= batches || ctx.Err() != nil {
					return
				}
				if err := d.buyers(ctx, out, first, b*batch, min((b+1)*batch, n)); err != nil {
					errOnce.Do(func() { firstErr = err })
					return
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	if firstErr != nil {
		return nil, firstErr
	}
	return out, nil
}

// buyers makes buyers [from, to) in one transaction, into out.
func (d *DB) buyers(ctx context.Context, out []loadtest.Buyer, first, from, to int) error {
	users := make([]*boxoffice.User, 0, to-from)
	for i := from; i < to; i++ {
		num := strconv.Itoa(first + i + 1)
		u := d.user("buyer "+num, d.email("buyer"+num), boxoffice.RoleCustomer)
		if err := u.Validate(); err != nil {
			return err
		}
		users = append(users, u)
	}
	if err := d.insertUsers(ctx, users); err != nil {
		return err
	}
	now := d.now()
	for i, u := range users {
		token, _, err := d.tokens.Issue(u.ID, u.TokenVersion, now)
		if err != nil {
			return err
		}
		out[from+i] = loadtest.Buyer{ID: u.ID, Token: token}
	}
	return nil
}

func (d *DB) user(name, email string, role boxoffice.Role) *boxoffice.User {
	now := d.now()
	return &boxoffice.User{ID: boxoffice.NewID(), Username: name, Email: email, Role: role, CreatedAt: now, UpdatedAt: now}
}

// insertUsers stores users and their creation, in one transaction.
func (d *DB) insertUsers(ctx context.Context, users []*boxoffice.User) error {
	return d.store.InTx(ctx, func(tx boxoffice.Tx) error {
		for _, u := range users {
			if err := tx.Users().Create(ctx, u); err != nil {
				return fmt.Errorf("create user %s: %w", u.Email, err)
			}
			c := &boxoffice.Change{Kind: boxoffice.ChangeUserCreated, At: u.CreatedAt, UserID: u.ID, Detail: "made by boxoffice bench"}
			if err := tx.Changes().Record(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
}

// Events makes n events a month from now, organized by the run's admin.
func (d *DB) Events(ctx context.Context, n, tickets, types int, title string) ([]string, error) {
	staff, err := d.staffUser(ctx)
	if err != nil {
		return nil, err
	}
	description := "made by boxoffice bench"
	ids := make([]string, 0, n)
	for start := 0; start < n; start += batch {
		now := d.now()
		events := make([]*boxoffice.Event, 0, min(batch, n-start))
		for i := start; i < min(start+batch, n); i++ {
			e := &boxoffice.Event{
				ID: boxoffice.NewID(), Title: fmt.Sprintf("%s #%d", title, i+1), Description: &description,
				Date: now.Add(30 * 24 * time.Hour), Location: "loopback",
				TotalTickets: tickets, AvailableTickets: tickets, PriceCents: 1000,
				Version: 1, OrganizerID: &staff.ID, CreatedAt: now, UpdatedAt: now,
			}
			if types > 0 {
				tts := make([]*boxoffice.TicketType, types)
				for k := range tts {
					tts[k] = &boxoffice.TicketType{ID: boxoffice.NewID(), Name: fmt.Sprintf("Type %d", k+1),
						PriceCents: int64(1000 + 100*k), TotalTickets: tickets / types}
				}
				if err := e.SetTicketTypes(tts); err != nil {
					return nil, err
				}
			}
			if err := e.Validate(); err != nil {
				return nil, err
			}
			events = append(events, e)
		}
		err := d.store.InTx(ctx, func(tx boxoffice.Tx) error {
			for _, e := range events {
				if err := tx.Events().Create(ctx, e); err != nil {
					return fmt.Errorf("create event: %w", err)
				}
				c := &boxoffice.Change{Kind: boxoffice.ChangeEventCreated, At: e.CreatedAt, ActorID: staff.ID, EventID: e.ID}
				if err := tx.Changes().Record(ctx, c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, e := range events {
			ids = append(ids, e.ID)
		}
	}
	return ids, nil
}

// Holds makes n holds of 1 ticket of the event by buyers in turn, as the
// server makes them (Store.BookBatch: each PENDING, with its payment to
// make and its change), in batches of 500, two at a time. Each batch
// holds its tickets until expiresAt, so that they all run out at once.
// It returns when the last of them runs out: the server's clock rounds
// the holds of a batch to when it commits.
func (d *DB) Holds(ctx context.Context, eventID string, buyers []loadtest.Buyer, n int, expiresAt time.Time) (time.Time, error) {
	if len(buyers) == 0 {
		return time.Time{}, fmt.Errorf("holds need buyers")
	}
	batches := (n + batch - 1) / batch
	var (
		wg       sync.WaitGroup
		next     atomic.Int64
		mu       sync.Mutex
		latest   time.Time
		firstErr error
	)
	fail := func(err error) {
		mu.Lock()
		defer mu.Unlock()
		if firstErr == nil {
			firstErr = err
		}
	}
	for range min(batches, 2) {
		wg.Go(func() {
			for {
				b := int(next.Add(1) - 1)
				if b >= batches || ctx.Err() != nil {
					return
				}
				reqs := make([]boxoffice.BookingRequest, 0, batch)
				for i := b * batch; i < min((b+1)*batch, n); i++ {
					by := buyers[i%len(buyers)].ID
					reqs = append(reqs, boxoffice.BookingRequest{UserID: by, EventID: eventID, Tickets: 1, ActorID: by})
				}
				hold := time.Until(expiresAt)
				if hold <= 0 {
					fail(fmt.Errorf("%d of %d holds made when they were to run out: the database is too slow for this many", b*batch, n))
					return
				}
				results, err := d.store.Bookings().BookBatch(ctx, reqs, boxoffice.BookingTerms{Hold: hold, Provider: "test"})
				if err != nil {
					fail(err)
					return
				}
				for _, r := range results {
					switch {
					case r.Err != nil:
						fail(fmt.Errorf("hold: %w", r.Err))
						return
					case r.Booking.Status != boxoffice.BookingPending || r.Booking.ExpiresAt == nil:
						fail(fmt.Errorf("hold: a booking %s, not PENDING: is the event priced?", r.Booking.Status))
						return
					}
					mu.Lock()
					if r.Booking.ExpiresAt.After(latest) {
						latest = *r.Booking.ExpiresAt
					}
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	if firstErr == nil {
		firstErr = ctx.Err()
	}
	return latest, firstErr
}

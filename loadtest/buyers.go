package loadtest

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"
)

// Buyer is a virtual buyer: an account of the server's and a bearer token
// of its own, as a person who signed in would hold.
type Buyer struct {
	ID    string // the user's id
	Token string // the user's bearer token
}

// Provisioner makes what a run needs straight in the server's database,
// as an operator can (package loadtest/provision): accounts with their
// tokens, signed with the server's secret, and events. Sign-up is rate
// limited per address and hashes a password; thousands of buyers are
// made in bulk instead, as accounts that cannot sign in.
type Provisioner interface {
	// StaffToken returns the token of an admin account made for the run:
	// the run reads the events with it before and after the load, and the
	// read scenario's pages of bookings. It is called once.
	StaffToken(ctx context.Context) (string, error)
	// Buyers makes n customer accounts, each with a token of its own.
	Buyers(ctx context.Context, n int) ([]Buyer, error)
	// Events makes n events of tickets tickets each and returns their ids.
	// title is the events' title; each gets " #i" appended. With types
	// above 0, each event sells that many ticket types, which share its
	// tickets.
	Events(ctx context.Context, n, tickets, types int, title string) ([]string, error)
}

// buyer is a Buyer as the workers send it.
type buyer struct {
	id     string
	quoted []byte // id as a JSON string
	auth   string // the Authorization header; "": none

	// onsale: the buyer's hold, as a JSON string, and its tickets; set
	// by the worker that made it, read in the pay phase.
	hold        []byte
	holdTickets int64
}

func newBuyer(id, token string) *buyer {
	b := &buyer{id: id, quoted: jsonString(id)}
	if token != "" {
		b.auth = "Bearer " + token
	}
	return b
}

// buyers are the run's buyers, handed to the workers in turn.
type buyers struct {
	all  []*buyer
	next atomic.Uint64
}

// nextBuyer returns the buyers in turn, round and round, so that each
// makes the same share of the requests: a buyer's rate limit is reached
// last that way.
func (w *worker) nextBuyer() *buyer {
	n := w.buyers.next.Add(1) - 1
	return w.buyers.all[n%uint64(len(w.buyers.all))]
}

// buyerOnce returns each buyer once, in turn, then false: for scenarios
// where every buyer acts once (each buys one ticket, then pays).
func (w *worker) buyerOnce() (*buyer, bool) {
	n := w.buyers.next.Add(1) - 1
	if n >= uint64(len(w.buyers.all)) {
		return nil, false
	}
	return w.buyers.all[n], true
}

const meQuery = `query Me { me { id } }`

// setupBuyers makes o.Buyers buyers through o.Provision, and checks with
// the first that the server accepts their tokens: that it serves the
// database and the secret they were made with.
func setupBuyers(ctx context.Context, c *client, o Options) ([]*buyer, error) {
	start := time.Now()
	made, err := o.Provision.Buyers(ctx, o.Buyers)
	if err != nil {
		return nil, fmt.Errorf("make %d buyers in the database: %w", o.Buyers, err)
	}
	if len(made) == 0 {
		return nil, errors.New("make buyers in the database: none made")
	}
	out := make([]*buyer, len(made))
	for i, b := range made {
		out[i] = newBuyer(b.ID, b.Token)
	}
	if err := checkToken(ctx, c, made[0].Token, "the buyers"); err != nil {
		return nil, err
	}
	fmt.Fprintf(o.Progress, "made %d buyers, each with its own token, in %s\n", len(out), time.Since(start).Round(time.Millisecond))
	return out, nil
}

// checkToken asks the server who token is: a server that does not know it
// serves another database, or signs with another secret, than the one the
// run made its accounts in.
func checkToken(ctx context.Context, c *client, token, whose string) error {
	var data struct{ Me struct{ ID string } }
	as := &client{url: c.url, http: c.http, token: token}
	err := as.query(ctx, meQuery, nil, &data)
	if err == nil && data.Me.ID == "" {
		err = errors.New("it knows no such user")
	}
	if err != nil {
		return fmt.Errorf("the server at %s does not accept the tokens of %s made in the database (%w): "+
			"run bench with the server's own configuration (its directory, or its DATABASE_URL and JWT_SECRET)", c.url, whose, err)
	}
	return nil
}

// usersAsBuyers are the users that one token books for (-token, -users):
// every request carries that token.
func usersAsBuyers(ids []string, token string) []*buyer {
	out := make([]*buyer, len(ids))
	for i, id := range ids {
		out[i] = newBuyer(id, token)
	}
	return out
}

package loadtest

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Scenario is what the workers do.
type Scenario string

const (
	// Hot books 1 ticket per request on one event: the on-sale hot row.
	Hot Scenario = "hot"
	// Spread books 1 ticket per request on one of many events at random.
	Spread Scenario = "spread"
	// Read alternates a page of 10 events and a page of 10 bookings with
	// their user and event.
	Read Scenario = "read"
	// Mixed does reads (as Read) with probability ReadFraction, else
	// bookings (as Spread, or Hot when given one event).
	Mixed Scenario = "mixed"
	// Onsale is an on-sale with payments (onsale.go): each of Buyers
	// buyers holds 1 ticket of one priced event (a PENDING booking, on a
	// server with PAYMENT_PROVIDER=test), then every holder pays with the
	// test card. It ends when every buyer has held and paid, or after
	// Duration.
	Onsale Scenario = "onsale"
	// Expiry measures how fast holds that run out give their tickets back
	// (expiry.go): Holds holds of one event made in the database, all
	// expiring at one moment, and the time from then until the event's
	// availableTickets is back to its total.
	Expiry Scenario = "expiry"
)

// Scenarios lists every scenario.
var Scenarios = []Scenario{Hot, Spread, Read, Mixed, Onsale, Expiry}

// Defaults and bounds of Options.
const (
	DefaultURL            = "http://127.0.0.1:3000/graphql"
	DefaultConcurrency    = 64
	MaxConcurrency        = 4096
	DefaultDuration       = 10 * time.Second
	MaxDuration           = 10 * time.Minute
	DefaultEvents         = 1000
	DefaultTickets        = 1_000_000 // boxoffice's largest totalTickets
	DefaultNewUsers       = 16        // created when the server has no users
	MaxTypes              = 20        // ticket types of one event
	DefaultBuyers         = 1000
	MaxBuyers             = 100_000
	DefaultReadFraction   = 0.8
	DefaultHolds          = 100_000 // expiry
	MaxHolds              = 1_000_000
	DefaultRequestTimeout = 30 * time.Second
	verifyTimeout         = 3 * time.Minute
	setupTimeout          = 5 * time.Minute // accounts, events and their first reads
	setupParallelism      = 16
)

// Options configures a run. Zero values take the defaults.
type Options struct {
	URL         string
	Scenario    Scenario
	Concurrency int           // workers, each with its own connection; default 64
	Duration    time.Duration // measured time; default 10s, at most MaxDuration
	WarmUp      time.Duration // load before measuring, not counted; at most MaxDuration

	// EventIDs are the events to book on (hot: exactly one). Without
	// them, the run creates its own with createEvent: one for hot, Events
	// for spread and mixed, each with Tickets tickets.
	EventIDs []string
	Events   int // default 1000
	Tickets  int // default 1,000,000
	// Types, when positive (at most boxoffice's 20), makes events that
	// sell that many ticket types, Tickets/Types tickets each, and books a
	// type at random; given events are read with their types. The original
	// API has no types.
	Types int

	// Provision, when set, makes the run's accounts and events in the
	// server's database: every booking is made by one of Buyers buyers,
	// for themselves, with their own token, as real buyers book (so each
	// buyer's rate limit applies); the events are made there too, and an
	// admin's token (Provisioner.StaffToken) reads them. Token, UserIDs
	// and NewUsers are then not allowed.
	Provision Provisioner
	Buyers    int // with Provision: how many buyers; default 1000

	// Without Provision, every request carries Token (if any) and books
	// on behalf of users: UserIDs, or NewUsers new ones made with
	// createUser if NewUsers > 0, else up to 100 existing users (the users
	// query), creating 16 if there are none. On boxoffice that takes an
	// admin's token, and every booking counts against that one account's
	// rate limit.
	UserIDs  []string
	NewUsers int

	TicketsPerBooking int     // 1 to 10; default 1
	Holds             int     // expiry: holds to make and let expire; default 100,000
	ReadFraction      float64 // mixed: share of reads, 0 to 1; default 0.8

	Token          string        // without Provision: sent as "Authorization: Bearer TOKEN" when set
	AllowRemote    bool          // allow a non-loopback URL
	RequestTimeout time.Duration // default 30s
	NoVerify       bool          // skip the verification at the end
	Progress       io.Writer     // a line per second and set-up notes; nil: none

	Soak *Soak // when set, a soak of Soak.Duration instead of Duration (soak.go)
}

// CheckScenario returns an error unless s is one of Scenarios.
func CheckScenario(s Scenario) error {
	if slices.Contains(Scenarios, s) {
		return nil
	}
	names := make([]string, len(Scenarios))
	for i, s := range Scenarios {
		names[i] = string(s)
	}
	return fmt.Errorf("unknown scenario %q: want %s", s, strings.Join(names, ", "))
}

func (o Options) withDefaults() (Options, error) {
	if o.URL == "" {
		o.URL = DefaultURL
	}
	if err := CheckScenario(o.Scenario); err != nil {
		return o, err
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Concurrency < 1 || o.Concurrency > MaxConcurrency {
		return o, fmt.Errorf("concurrency %d: want 1 to %d", o.Concurrency, MaxConcurrency)
	}
	if o.Duration == 0 {
		o.Duration = DefaultDuration
	}
	if o.Duration < 0 || o.Duration > MaxDuration {
		return o, fmt.Errorf("duration %s: want at most %s", o.Duration, MaxDuration)
	}
	if o.WarmUp < 0 || o.WarmUp > MaxDuration {
		return o, fmt.Errorf("warm-up %s: want 0 to %s", o.WarmUp, MaxDuration)
	}
	if o.Events == 0 {
		o.Events = DefaultEvents
	}
	if o.Events < 1 || o.Events > 100_000 {
		return o, fmt.Errorf("events %d: want 1 to 100000", o.Events)
	}
	if o.Tickets == 0 {
		o.Tickets = DefaultTickets
	}
	if o.Tickets < 1 {
		return o, fmt.Errorf("tickets %d: want at least 1", o.Tickets)
	}
	if o.Types < 0 || o.Types > MaxTypes || o.Types > o.Tickets {
		return o, fmt.Errorf("types %d: want 0 to %d, and no more than the tickets", o.Types, MaxTypes)
	}
	if o.NewUsers < 0 || o.NewUsers > 100_000 {
		return o, fmt.Errorf("new users %d: want 0 to 100000", o.NewUsers)
	}
	if o.Provision != nil {
		if o.Token != "" || len(o.UserIDs) > 0 || o.NewUsers > 0 {
			return o, fmt.Errorf("buyers made in the database book for themselves: no token or users to give (-token, -users)")
		}
		if o.Buyers == 0 {
			o.Buyers = DefaultBuyers
		}
		if o.Buyers < 1 || o.Buyers > MaxBuyers {
			return o, fmt.Errorf("buyers %d: want 1 to %d", o.Buyers, MaxBuyers)
		}
	} else if o.Buyers != 0 {
		return o, fmt.Errorf("buyers %d: buyers are made in the server's database, which takes a Provisioner", o.Buyers)
	}
	if o.TicketsPerBooking == 0 {
		o.TicketsPerBooking = 1
	}
	if o.TicketsPerBooking < 1 || o.TicketsPerBooking > 10 {
		return o, fmt.Errorf("tickets per booking %d: want 1 to 10", o.TicketsPerBooking)
	}
	if o.ReadFraction == 0 {
		o.ReadFraction = DefaultReadFraction
	}
	if o.ReadFraction < 0 || o.ReadFraction > 1 {
		return o, fmt.Errorf("read fraction %g: want 0 to 1", o.ReadFraction)
	}
	if o.Scenario == Onsale || o.Scenario == Expiry {
		if o.Provision == nil {
			return o, fmt.Errorf("%s takes buyers made in the server's database, each paying with a token of its own: no -token, -users or -buyers 0", o.Scenario)
		}
		if len(o.EventIDs) > 0 {
			return o, fmt.Errorf("%s makes its own priced event, whose bookings it all knows: no -event", o.Scenario)
		}
	}
	if o.Scenario == Onsale || o.Scenario == Expiry {
		o.WarmUp = 0 // each buyer acts once: there is nothing to warm up with
	}
	if o.Soak != nil && (o.Scenario == Onsale || o.Scenario == Expiry) {
		return o, fmt.Errorf("%s runs once: no soak", o.Scenario)
	}
	if o.Holds == 0 {
		o.Holds = DefaultHolds
	}
	if o.Holds < 1 || o.Holds > MaxHolds {
		return o, fmt.Errorf("holds %d: want 1 to %d", o.Holds, MaxHolds)
	}
	if o.Scenario == Hot && len(o.EventIDs) > 1 {
		return o, fmt.Errorf("hot books on one event: give one event id, not %d", len(o.EventIDs))
	}
	if o.RequestTimeout <= 0 {
		o.RequestTimeout = DefaultRequestTimeout
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
	if o.Soak != nil {
		s, err := o.Soak.withDefaults(o)
		if err != nil {
			return o, err
		}
		o.Soak = s
	}
	return o, nil
}

func (o Options) books() bool { return o.Scenario != Read && o.Scenario != Expiry }

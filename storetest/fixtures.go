package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// clock hands out fixture timestamps: boxoffice.Now, but strictly
// increasing, so that "newest first" orders are never decided by a tie.
var clock struct {
	sync.Mutex
	last time.Time
}

// Tick returns the current time as the stores keep it (UTC, microseconds),
// strictly after every time Tick returned before.
func Tick() time.Time {
	clock.Lock()
	defer clock.Unlock()
	now := boxoffice.Now()
	if !now.After(clock.last) {
		now = clock.last.Add(time.Microsecond)
	}
	clock.last = now
	return now
}

// NewUser returns an unsaved customer named name, with email
// name@example.com (lower-cased), no password, a new id and fresh
// timestamps.
func NewUser(name string) *boxoffice.User {
	now := Tick()
	return &boxoffice.User{
		ID: boxoffice.NewID(), Username: name, Email: strings.ToLower(name) + "@example.com",
		Role: boxoffice.RoleCustomer, CreatedAt: now, UpdatedAt: now,
	}
}

// MustCreateUserWithRole inserts NewUser(name) with this role through the
// store.
func MustCreateUserWithRole(t testing.TB, s boxoffice.Store, name string, role boxoffice.Role) *boxoffice.User {
	t.Helper()
	u := NewUser(name)
	u.Role = role
	return MustInsertUser(t, s, u)
}

// MustCreateUser inserts NewUser(name) through the store.
func MustCreateUser(t testing.TB, s boxoffice.Store, name string) *boxoffice.User {
	t.Helper()
	return MustInsertUser(t, s, NewUser(name))
}

// MustInsertUser inserts u through the store, as given.
func MustInsertUser(t testing.TB, s boxoffice.Store, u *boxoffice.User) *boxoffice.User {
	t.Helper()
	if err := s.Users().Create(context.Background(), u); err != nil {
		t.Fatalf("CreateUser(%q, %q): %v", u.Username, u.Email, err)
	}
	return u
}

// NewEvent returns an unsaved event with tickets tickets, all available,
// dated in from now (negative: in the past), version 1, fresh timestamps.
func NewEvent(tickets int, in time.Duration) *boxoffice.Event {
	now := Tick()
	return &boxoffice.Event{
		ID: boxoffice.NewID(), Title: "Concert", Date: now.Add(in), Location: "Hall",
		TotalTickets: tickets, AvailableTickets: tickets, PriceCents: 2500, Version: 1,
		CreatedAt: now, UpdatedAt: now,
	}
}

// MustCreateEvent inserts NewEvent(tickets, in) directly through the store,
// which, unlike the service, accepts events in the past.
func MustCreateEvent(t testing.TB, s boxoffice.Store, tickets int, in time.Duration) *boxoffice.Event {
	t.Helper()
	return MustInsertEvent(t, s, NewEvent(tickets, in))
}

// MustCreateOrganizedEvent inserts NewEvent(tickets, in), organized by
// organizer, through the store.
func MustCreateOrganizedEvent(t testing.TB, s boxoffice.Store, organizer *boxoffice.User, tickets int, in time.Duration) *boxoffice.Event {
	t.Helper()
	e := NewEvent(tickets, in)
	e.OrganizerID = &organizer.ID
	return MustInsertEvent(t, s, e)
}

// MustInsertEvent inserts e through the store, as given.
func MustInsertEvent(t testing.TB, s boxoffice.Store, e *boxoffice.Event) *boxoffice.Event {
	t.Helper()
	if err := s.Events().Create(context.Background(), e); err != nil {
		t.Fatalf("CreateEvent(%q): %v", e.Title, err)
	}
	return e
}

// MustBook books tickets for user on event with a one-request BookBatch,
// and fails t unless the booking is confirmed.
func MustBook(t testing.TB, s boxoffice.Store, user *boxoffice.User, event *boxoffice.Event, tickets int) *boxoffice.Booking {
	t.Helper()
	res, err := s.Bookings().BookBatch(context.Background(), []boxoffice.BookingRequest{{UserID: user.ID, EventID: event.ID, Tickets: tickets}}, boxoffice.BookingTerms{})
	if err != nil {
		t.Fatalf("BookBatch: %v", err)
	}
	if len(res) != 1 {
		t.Fatalf("BookBatch: %d results for 1 request", len(res))
	}
	if res[0].Err != nil || res[0].Booking == nil {
		t.Fatalf("BookBatch: booking %d tickets: %v", tickets, res[0].Err)
	}
	return res[0].Booking
}

// MustCreateTypedEvent inserts an event dated in an hour that sells types
// (their IDs set here), through the store.
func MustCreateTypedEvent(t testing.TB, s boxoffice.Store, types ...*boxoffice.TicketType) *boxoffice.Event {
	t.Helper()
	e := NewEvent(1, time.Hour)
	for _, tt := range types {
		tt.ID = boxoffice.NewID()
	}
	if err := e.SetTicketTypes(types); err != nil {
		t.Fatalf("SetTicketTypes: %v", err)
	}
	return MustInsertEvent(t, s, e)
}

// MustCreatePromoCode gives event a code through the store.
func MustCreatePromoCode(t testing.TB, s boxoffice.Store, p *boxoffice.PromoCode) *boxoffice.PromoCode {
	t.Helper()
	p.ID, p.CreatedAt = boxoffice.NewID(), Tick()
	if err := p.Validate(); err != nil {
		t.Fatalf("promo code: %v", err)
	}
	if err := s.PromoCodes().Create(context.Background(), p); err != nil {
		t.Fatalf("create promo code: %v", err)
	}
	return p
}

// MustFindEvent returns the stored event id.
func MustFindEvent(t testing.TB, s boxoffice.Store, id string) *boxoffice.Event {
	t.Helper()
	e, err := s.Events().ByID(context.Background(), id)
	if err != nil {
		t.Fatalf("FindEventByID(%s): %v", id, err)
	}
	return e
}

// MustFindBooking returns the stored booking id.
func MustFindBooking(t testing.TB, s boxoffice.Store, id string) *boxoffice.Booking {
	t.Helper()
	b, err := s.Bookings().ByID(context.Background(), id)
	if err != nil {
		t.Fatalf("FindBookingByID(%s): %v", id, err)
	}
	return b
}

// WantAvailable fails t unless the event has want tickets available.
func WantAvailable(t testing.TB, s boxoffice.Store, eventID string, want int) {
	t.Helper()
	if got := MustFindEvent(t, s, eventID).AvailableTickets; got != want {
		t.Errorf("event %s: %d tickets available, want %d", eventID, got, want)
	}
}

// leaks are what a client-facing error message must never contain: driver,
// SQL or migration-tool text.
var leaks = []string{
	"sqlstate", "sqlite", "pq:", "pgx", "pgconn", "postgres", "violates", "constraint",
	"syntax", "duplicate key", "no such", "relation ", "sql:", "goose", "database/sql",
}

// CheckError fails t if err is an *boxoffice.Error whose message (or field)
// carries driver or SQL text, or is empty. Other errors become EINTERNAL,
// which transports never show, and pass.
func CheckError(t testing.TB, err error) {
	t.Helper()
	var e *boxoffice.Error
	if !errors.As(err, &e) {
		return
	}
	if strings.TrimSpace(e.Message) == "" {
		t.Errorf("error %q has an empty message", e.Code)
	}
	text := strings.ToLower(e.Message + " " + e.Field)
	for _, leak := range leaks {
		if strings.Contains(text, leak) {
			t.Errorf("client-facing error leaks driver text %q: code=%s field=%q message=%q", leak, e.Code, e.Field, e.Message)
		}
	}
}

// WantCode fails t now unless err has the code want ("" for no error), and
// checks err's message with CheckError.
func WantCode(t testing.TB, err error, want string) {
	t.Helper()
	CheckError(t, err)
	if got := boxoffice.ErrorCode(err); got != want {
		t.Fatalf("error code %q (%v), want %q", got, err, want)
	}
}

// AssertInvariants checks, through the Store's Find methods only, that for
// every event 0 <= available <= total and total - available is the sum of
// the tickets of its PENDING and CONFIRMED bookings, and that every
// booking's times fit its status: ExpiresAt for PENDING alone, CancelledAt
// for CANCELLED alone.
func AssertInvariants(t testing.TB, s boxoffice.Store) {
	t.Helper()
	ctx := context.Background()
	events := allPages(t, func(p boxoffice.Page) ([]*boxoffice.Event, int, error) {
		return s.Events().Find(ctx, boxoffice.EventFilter{Page: p})
	})
	for _, e := range events {
		if e.AvailableTickets < 0 || e.AvailableTickets > e.TotalTickets {
			t.Errorf("event %s: %d available of %d", e.ID, e.AvailableTickets, e.TotalTickets)
		}
		bookings := allPages(t, func(p boxoffice.Page) ([]*boxoffice.Booking, int, error) {
			return s.Bookings().Find(ctx, boxoffice.BookingFilter{EventID: e.ID, Page: p})
		})
		sold := 0
		for _, b := range bookings {
			switch {
			case b.EventID != e.ID:
				t.Errorf("FindBookings(event %s) returned booking %s of event %s", e.ID, b.ID, b.EventID)
			case b.Status == boxoffice.BookingConfirmed && b.CancelledAt == nil && b.ExpiresAt == nil,
				b.Status == boxoffice.BookingPending && b.CancelledAt == nil && b.ExpiresAt != nil:
				sold += b.NumberOfTickets
			case b.Status == boxoffice.BookingCancelled && b.CancelledAt != nil && b.ExpiresAt == nil,
				b.Status == boxoffice.BookingExpired && b.CancelledAt == nil && b.ExpiresAt == nil:
			default:
				t.Errorf("booking %s: status %q with cancelledAt %v, expiresAt %v", b.ID, b.Status, b.CancelledAt, b.ExpiresAt)
			}
		}
		assertTickets(t, s, bookings)
		assertWaitlist(t, s, e, bookings)
		if e.HasTicketTypes {
			assertTicketTypes(t, s, e, bookings)
		}
		if e.TotalTickets-e.AvailableTickets != sold {
			t.Errorf("event %s: total %d - available %d = %d, but its PENDING and CONFIRMED bookings hold %d tickets",
				e.ID, e.TotalTickets, e.AvailableTickets, e.TotalTickets-e.AvailableTickets, sold)
		}
	}
}

// assertTicketTypes checks that an event with ticket types has their sums
// as its totals, that each type's sold tickets are those of its holding
// bookings, and that each promo code's uses are its holding bookings.
func assertTicketTypes(t testing.TB, s boxoffice.Store, e *boxoffice.Event, bookings []*boxoffice.Booking) {
	t.Helper()
	ctx := context.Background()
	types, err := s.TicketTypes().ByEventIDs(ctx, []string{e.ID})
	if err != nil {
		t.Fatalf("ticket types: %v", err)
	}
	held, uses := map[string]int{}, map[string]int{}
	for _, b := range bookings {
		if b.Status.HoldsTickets() {
			held[b.TicketTypeID] += b.NumberOfTickets
			if b.PromoCodeID != "" {
				uses[b.PromoCodeID]++
			}
		}
	}
	total, available := 0, 0
	for _, tt := range types {
		total, available = total+tt.TotalTickets, available+tt.AvailableTickets
		if tt.AvailableTickets < 0 || tt.AvailableTickets > tt.TotalTickets || tt.Sold() != held[tt.ID] {
			t.Errorf("ticket type %s of event %s: %d available of %d, but its bookings hold %d", tt.Name, e.ID, tt.AvailableTickets,
				tt.TotalTickets, held[tt.ID])
		}
	}
	if total != e.TotalTickets || available != e.AvailableTickets {
		t.Errorf("event %s: %d of %d available, its types %d of %d", e.ID, e.AvailableTickets, e.TotalTickets, available, total)
	}
	if held[""] != 0 {
		t.Errorf("event %s sells ticket types, yet bookings without one hold %d tickets", e.ID, held[""])
	}
	promos, err := s.PromoCodes().ByEvent(ctx, e.ID)
	if err != nil {
		t.Fatalf("promo codes: %v", err)
	}
	for _, p := range promos {
		if p.Uses != uses[p.ID] || p.MaxUses != nil && p.Uses > *p.MaxUses {
			t.Errorf("promo code %s: %d uses (max %v), but %d holding bookings use it", p.Code, p.Uses, p.MaxUses, uses[p.ID])
		}
	}
}

// assertTickets checks that each CONFIRMED booking has one ticket per
// seat, none void, and that no other booking has a valid ticket (one used
// before its booking was cancelled stays used: it was).
func assertTickets(t testing.TB, s boxoffice.Store, bookings []*boxoffice.Booking) {
	t.Helper()
	ids := bookingIDs(bookings)
	tickets := []*boxoffice.Ticket{}
	for len(ids) > 0 { // in slices, as the API asks for them
		n := min(len(ids), 500)
		got, err := s.Tickets().ByBookingIDs(context.Background(), ids[:n])
		if err != nil {
			t.Fatalf("tickets of bookings: %v", err)
		}
		tickets, ids = append(tickets, got...), ids[n:]
	}
	live, valid := map[string]int{}, map[string]int{}
	for _, tk := range tickets {
		if tk.Status != boxoffice.TicketVoid {
			live[tk.BookingID]++
		}
		if tk.Status == boxoffice.TicketValid {
			valid[tk.BookingID]++
		}
	}
	for _, b := range bookings {
		switch {
		case b.Status == boxoffice.BookingConfirmed && live[b.ID] != b.NumberOfTickets:
			t.Errorf("booking %s, confirmed with %d seats: %d tickets not void", b.ID, b.NumberOfTickets, live[b.ID])
		case b.Status != boxoffice.BookingConfirmed && valid[b.ID] != 0:
			t.Errorf("booking %s, %s: %d valid tickets, want none", b.ID, b.Status, valid[b.ID])
		}
	}
}

// allPages collects every page of a list, checking the total is the same
// on every page and matches the number of items.
func allPages[T any](t testing.TB, find func(boxoffice.Page) ([]T, int, error)) []T {
	t.Helper()
	var all []T
	for page := 1; ; page++ {
		items, total, err := find(boxoffice.Page{Page: page, Limit: boxoffice.MaxLimit})
		if err != nil {
			t.Fatalf("list page %d: %v", page, err)
		}
		all = append(all, items...)
		if len(items) < boxoffice.MaxLimit {
			if len(all) != total {
				t.Fatalf("listed %d items in all, but the total says %d", len(all), total)
			}
			return all
		}
	}
}

// idsOf returns the ids of items, in order.
func idsOf[T any](items []T, id func(T) string) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = id(it)
	}
	return out
}

func userIDs(us []*boxoffice.User) []string {
	return idsOf(us, func(u *boxoffice.User) string { return u.ID })
}
func eventIDs(es []*boxoffice.Event) []string {
	return idsOf(es, func(e *boxoffice.Event) string { return e.ID })
}
func bookingIDs(bs []*boxoffice.Booking) []string {
	return idsOf(bs, func(b *boxoffice.Booking) string { return b.ID })
}

// sorted returns a sorted copy of ids, to compare lists in any order.
func sorted(ids []string) []string {
	out := slices.Clone(ids)
	slices.Sort(out)
	return out
}

// wantIDs fails t unless got and want are the same ids in the same order.
func wantIDs(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s: got ids\n\t%v\nwant\n\t%v", what, got, want)
	}
}

// wantTime fails t unless got is want, in UTC.
func wantTime(t testing.TB, what string, got, want time.Time) {
	t.Helper()
	if !got.Equal(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	} else if got.Location() != time.UTC {
		t.Errorf("%s = %v: not in UTC", what, got)
	}
}

// diffUser describes how got differs from want, or returns "".
func diffUser(got, want *boxoffice.User) string {
	var d []string
	if got.ID != want.ID {
		d = append(d, fmt.Sprintf("ID %q != %q", got.ID, want.ID))
	}
	if got.Username != want.Username {
		d = append(d, fmt.Sprintf("Username %q != %q", got.Username, want.Username))
	}
	if got.Email != want.Email {
		d = append(d, fmt.Sprintf("Email %q != %q", got.Email, want.Email))
	}
	if got.Role != want.Role {
		d = append(d, fmt.Sprintf("Role %q != %q", got.Role, want.Role))
	}
	if got.PasswordHash != want.PasswordHash {
		d = append(d, fmt.Sprintf("PasswordHash %q != %q", got.PasswordHash, want.PasswordHash))
	}
	if got.TokenVersion != want.TokenVersion {
		d = append(d, fmt.Sprintf("TokenVersion %d != %d", got.TokenVersion, want.TokenVersion))
	}
	d = append(d, diffTime("CreatedAt", got.CreatedAt, want.CreatedAt)...)
	d = append(d, diffTime("UpdatedAt", got.UpdatedAt, want.UpdatedAt)...)
	return strings.Join(d, "; ")
}

// diffEvent describes how got differs from want, or returns "".
func diffEvent(got, want *boxoffice.Event) string {
	var d []string
	add := func(field string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s %v != %v", field, g, w))
		}
	}
	add("ID", got.ID, want.ID)
	add("Title", got.Title, want.Title)
	switch {
	case (got.Description == nil) != (want.Description == nil):
		d = append(d, fmt.Sprintf("Description %v != %v", got.Description, want.Description))
	case got.Description != nil:
		add("Description", *got.Description, *want.Description)
	}
	add("Location", got.Location, want.Location)
	add("TotalTickets", got.TotalTickets, want.TotalTickets)
	add("AvailableTickets", got.AvailableTickets, want.AvailableTickets)
	add("PriceCents", got.PriceCents, want.PriceCents)
	add("NoTransfers", got.NoTransfers, want.NoTransfers)
	add("Version", got.Version, want.Version)
	switch {
	case (got.OrganizerID == nil) != (want.OrganizerID == nil):
		d = append(d, fmt.Sprintf("OrganizerID %v != %v", got.OrganizerID, want.OrganizerID))
	case got.OrganizerID != nil:
		add("OrganizerID", *got.OrganizerID, *want.OrganizerID)
	}
	d = append(d, diffTime("Date", got.Date, want.Date)...)
	d = append(d, diffTime("CreatedAt", got.CreatedAt, want.CreatedAt)...)
	d = append(d, diffTime("UpdatedAt", got.UpdatedAt, want.UpdatedAt)...)
	return strings.Join(d, "; ")
}

// diffBooking describes how got differs from want, or returns "".
func diffBooking(got, want *boxoffice.Booking) string {
	var d []string
	add := func(field string, g, w any) {
		if g != w {
			d = append(d, fmt.Sprintf("%s %v != %v", field, g, w))
		}
	}
	add("ID", got.ID, want.ID)
	add("UserID", got.UserID, want.UserID)
	add("EventID", got.EventID, want.EventID)
	add("NumberOfTickets", got.NumberOfTickets, want.NumberOfTickets)
	add("Status", got.Status, want.Status)
	d = append(d, diffTime("CreatedAt", got.CreatedAt, want.CreatedAt)...)
	d = append(d, diffTime("UpdatedAt", got.UpdatedAt, want.UpdatedAt)...)
	switch {
	case (got.CancelledAt == nil) != (want.CancelledAt == nil):
		d = append(d, fmt.Sprintf("CancelledAt %v != %v", got.CancelledAt, want.CancelledAt))
	case got.CancelledAt != nil:
		d = append(d, diffTime("CancelledAt", *got.CancelledAt, *want.CancelledAt)...)
	}
	return strings.Join(d, "; ")
}

func diffTime(field string, got, want time.Time) []string {
	if !got.Equal(want) {
		return []string{fmt.Sprintf("%s %v != %v", field, got, want)}
	}
	if got.Location() != time.UTC {
		return []string{fmt.Sprintf("%s %v not in UTC", field, got)}
	}
	return nil
}

// cancelBooking cancels a booking at now through the store, as the
// service does (boxoffice.Booking.Cancel under the store's lock).
func cancelBooking(ctx context.Context, s boxoffice.Store, id string, now time.Time) (*boxoffice.Booking, error) {
	return s.Bookings().Update(ctx, id, func(b *boxoffice.Booking) error { return b.Cancel(now, false) })
}

// updateEvent applies upd through the store, as the service does.
func updateEvent(ctx context.Context, s boxoffice.Store, id string, upd boxoffice.EventUpdate) (*boxoffice.Event, error) {
	return s.Events().Update(ctx, id, upd.Apply)
}

// assertWaitlist checks that the event counts the entries waiting on its
// list, and that each offer is a booking of the entry's user and tickets,
// offered once.
func assertWaitlist(t testing.TB, s boxoffice.Store, e *boxoffice.Event, bookings []*boxoffice.Booking) {
	t.Helper()
	list, err := s.Waitlist().ByEvent(context.Background(), e.ID)
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*boxoffice.Booking{}
	for _, b := range bookings {
		byID[b.ID] = b
	}
	waiting, offers := 0, map[string]bool{}
	for _, w := range list {
		switch w.Status {
		case boxoffice.WaitlistWaiting:
			waiting++
			if w.BookingID != "" || w.Position != waiting {
				t.Errorf("waiting entry %s: offer %q, position %d, want none and %d", w.ID, w.BookingID, w.Position, waiting)
			}
		case boxoffice.WaitlistOffered, boxoffice.WaitlistAccepted, boxoffice.WaitlistExpired:
			b := byID[w.BookingID]
			if b == nil || b.UserID != w.UserID || b.NumberOfTickets != w.NumberOfTickets || offers[w.BookingID] {
				t.Errorf("entry %s offered booking %q (%+v): want one of its user's, for %d tickets, offered once", w.ID, w.BookingID, b, w.NumberOfTickets)
			}
			offers[w.BookingID] = true
		}
	}
	if e.WaitlistLength != waiting {
		t.Errorf("event %s: waitlistLength %d, but %d entries wait", e.ID, e.WaitlistLength, waiting)
	}
}

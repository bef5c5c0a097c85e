package sqlstore

import (
	"context"
	"maps"
	"slices"
	"time"

	"github.com/boxoffice/boxoffice"
)

const bookingColumns = "id, user_id, event_id, number_of_tickets, status, expires_at, unit_price_cents, total_cents, currency, " +
	"idempotency_key, created_at, updated_at, cancelled_at, ticket_type_id, promo_code_id, discount_cents"

// bookingOrder is the order of every bookings list: newest first.
const bookingOrder = "created_at DESC, id DESC"

func bookingTargets(b *boxoffice.Booking) []any {
	return []any{&b.ID, &b.UserID, &b.EventID, &b.NumberOfTickets, &b.Status, &b.ExpiresAt, &b.UnitPriceCents,
		&b.TotalCents, &b.Currency, optionalText{&b.IdempotencyKey}, &b.CreatedAt, &b.UpdatedAt, &b.CancelledAt,
		optionalText{&b.TicketTypeID}, optionalText{&b.PromoCodeID}, &b.DiscountCents}
}

func scanBooking(r Rows) (*boxoffice.Booking, error) {
	var b boxoffice.Booking
	return &b, r.Scan(bookingTargets(&b)...)
}

// withUserAndEvent wraps a page of bookings (%s, its bookingColumns) to read
// each booking's user and event along: a page's rows joined by primary key.
var withUserAndEvent = "SELECT " + Qualify("b", bookingColumns) + ", " + Qualify("u", userColumns) + ", " + Qualify("e", eventColumns) +
	" FROM (%s) b JOIN users u ON u.id = b.user_id JOIN events e ON e.id = b.event_id ORDER BY b.created_at DESC, b.id DESC"

func scanBookingWithUserAndEvent(r Rows) (*boxoffice.Booking, error) {
	b := &boxoffice.Booking{User: &boxoffice.User{}, Event: &boxoffice.Event{}}
	targets := append(append(bookingTargets(b), userTargets(b.User)...), eventTargets(b.Event)...)
	return b, r.Scan(targets...)
}

// bookings implements boxoffice.BookingStore.
type bookings struct{ scope }

func (s bookings) ByID(ctx context.Context, id string) (*boxoffice.Booking, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("booking")
	}
	var b *boxoffice.Booking
	err := s.read(ctx, rowOf(&b, "booking", scanBooking, "SELECT "+bookingColumns+" FROM bookings WHERE id = $1", canonicalID(id)))
	return b, s.fail(err, "find", "booking")
}

func (s bookings) ByIDs(ctx context.Context, ids []string) ([]*boxoffice.Booking, error) {
	found := []*boxoffice.Booking{}
	if ids = validIDs(ids); len(ids) == 0 {
		return found, nil
	}
	var args Args
	err := s.read(ctx, rowsOf(&found, scanBooking, "SELECT "+bookingColumns+" FROM bookings WHERE "+s.d.In(&args, "id", ids), args...))
	return found, s.fail(err, "find", "bookings")
}

// Update locks the booking, applies apply (which may read through the
// same transaction) and saves the booking's status, unless apply changed
// neither it nor UpdatedAt. Tickets the booking stops holding go back to
// the event; tickets it holds again (a late payment) are taken, which the
// events' CHECK refuses if they are gone. A booking becoming CONFIRMED is
// issued its tickets; one leaving CONFIRMED voids them.
//
// The event's row is locked only where tickets move: before apply when
// the booking holds none (apply may take them again, and must see the
// event's stock as it is), or by the write that gives them back. Paying
// a hold moves none, so an on-sale's payments never queue for its event's
// row, which its bookings need. The order is booking, then event; every
// writer that locks an event and then bookings passes over the locked
// ones (the holds' expiry, expireHolds), so neither order waits for the
// other. Two round trips, or three for a booking that holds no tickets.
func (s bookings) Update(ctx context.Context, id string, apply func(*boxoffice.Booking) error) (*boxoffice.Booking, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("booking")
	}
	id = canonicalID(id)
	var b *boxoffice.Booking
	err := s.write(ctx, func(tx Tx) error {
		var ev *boxoffice.Event
		err := tx.Run(ctx,
			rowOf(&b, "booking", scanBooking, "SELECT "+bookingColumns+" FROM bookings WHERE id = $1"+s.d.Lock(lockRow), id),
			rowOf(&ev, "booking", scanEvent, "SELECT "+eventColumns+" FROM events WHERE id = (SELECT event_id FROM bookings WHERE id = $1)", id))
		if err != nil {
			return err
		}
		held := b.Status.HoldsTickets()
		if !held {
			if err := tx.Run(ctx, rowOf(&ev, "event", scanEvent, "SELECT "+eventColumns+" FROM events WHERE id = $1"+s.d.Lock(lockRow), b.EventID)); err != nil {
				return err
			}
		}
		b.Event = ev
		was := *b
		if err := apply(b); err != nil {
			return err
		}
		if b.Status == was.Status && b.UpdatedAt.Equal(was.UpdatedAt) {
			return nil // apply only looked
		}
		b.UpdatedAt, b.CancelledAt, b.ExpiresAt = Time(b.UpdatedAt), timePtr(b.CancelledAt), timePtr(b.ExpiresAt)
		tx.Queue(exec("UPDATE bookings SET status = $2, updated_at = $3, cancelled_at = $4, expires_at = $5 WHERE id = $1",
			b.ID, string(b.Status), b.UpdatedAt, timeOrNil(b.CancelledAt), timeOrNil(b.ExpiresAt)))
		switch confirmed := boxoffice.BookingConfirmed; {
		case b.Status == confirmed && was.Status != confirmed:
			issueTickets(tx, s.d, boxoffice.NewTickets(b, nil, b.UpdatedAt))
		case b.Status != confirmed && was.Status == confirmed:
			voidTickets(tx, b.ID, b.UpdatedAt)
		}
		delta := ticketsHeld(b.Status.HoldsTickets()) - ticketsHeld(held)
		if delta == 0 {
			return nil
		}
		// The event first, then its type and code, as BookBatch locks
		// them. The event comes back as read, with this change's tickets:
		// no read after the write.
		tx.Queue(exec("UPDATE events SET available_tickets = available_tickets - $2, updated_at = $3 WHERE id = $1",
			b.EventID, delta*b.NumberOfTickets, b.UpdatedAt))
		b.Event.AvailableTickets -= delta * b.NumberOfTickets
		b.Event.UpdatedAt = b.UpdatedAt
		if b.TicketTypeID != "" {
			tx.Queue(exec("UPDATE ticket_types SET available_tickets = available_tickets - $2 WHERE id = $1",
				b.TicketTypeID, delta*b.NumberOfTickets))
		}
		if b.PromoCodeID != "" {
			tx.Queue(exec("UPDATE promo_codes SET uses = uses + $2 WHERE id = $1", b.PromoCodeID, delta))
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "update", "booking")
	}
	return b, nil
}

// ticketsHeld is 1 for a booking that holds its tickets, else 0.
func ticketsHeld(held bool) int {
	if held {
		return 1
	}
	return 0
}

// Find returns a page of the bookings that match f, newest first, and how
// many match in all; with an OrganizerID, only the bookings of the events
// that user organizes.
func (s bookings) Find(ctx context.Context, f boxoffice.BookingFilter) ([]*boxoffice.Booking, int, error) {
	var w where
	for _, c := range []struct{ cond, id string }{
		{"user_id = %s", f.UserID},
		{"event_id = %s", f.EventID},
		// The organizer's events by events_organizer_id_idx, then their
		// bookings by bookings_event_id_idx.
		{"event_id IN (SELECT id FROM events WHERE organizer_id = %s)", f.OrganizerID},
	} {
		switch {
		case c.id == "":
		case boxoffice.ValidID(c.id):
			w.add(c.cond, canonicalID(c.id))
		default:
			if err := f.Page.Validate(); err != nil {
				return nil, 0, err
			}
			return []*boxoffice.Booking{}, 0, nil
		}
	}
	if f.Status != "" {
		w.add("status = %s", string(f.Status))
	}
	if f.CreatedFrom != nil {
		w.add("created_at >= %s", Time(*f.CreatedFrom))
	}
	if f.CreatedBefore != nil {
		w.add("created_at < %s", Time(*f.CreatedBefore))
	}
	wrap, scan := "", scanBooking
	if f.WithUserAndEvent {
		wrap, scan = withUserAndEvent, scanBookingWithUserAndEvent
	}
	if c, ok := bookingCount(f); ok {
		return findPage(ctx, s.scope, "bookings", bookingColumns, w, bookingOrder, f.Page, wrap, scan, c)
	}
	return findPage(ctx, s.scope, "bookings", bookingColumns, w, bookingOrder, f.Page, wrap, scan)
}

// bookingCount counts the bookings of f from the events' booking counts
// (migration 00008, kept by writePlan) when f names no more than an event
// and an organizer: a few events' rows read instead of every matching
// booking (a page of all bookings, or of a sold-out event's, counted a
// million rows for its total). Other filters count the bookings.
func bookingCount(f boxoffice.BookingFilter) (counter, bool) {
	if f.UserID != "" || f.Status != "" || f.CreatedFrom != nil || f.CreatedBefore != nil {
		return counter{}, false
	}
	var w where
	if f.EventID != "" {
		w.add("id = %s", canonicalID(f.EventID))
	}
	if f.OrganizerID != "" {
		w.add("organizer_id = %s", canonicalID(f.OrganizerID))
	}
	return counter{sql: "SELECT CAST(COALESCE(SUM(booking_count), 0) AS bigint) FROM events" + w.String(), args: w.args}, true
}

func (s bookings) ByUserIDs(ctx context.Context, ids []string, perUser int) ([]*boxoffice.Booking, error) {
	return s.latest(ctx, "user_id", ids, perUser)
}

func (s bookings) ByEventIDs(ctx context.Context, ids []string, perEvent int) ([]*boxoffice.Booking, error) {
	return s.latest(ctx, "event_id", ids, perEvent)
}

// latest reads up to per of the newest bookings of each owner, one
// statement for any number of owners.
func (s bookings) latest(ctx context.Context, owner string, ids []string, per int) ([]*boxoffice.Booking, error) {
	found := []*boxoffice.Booking{}
	if ids = validIDs(ids); len(ids) == 0 || per < 1 {
		return found, nil
	}
	var args Args
	query := s.d.Latest(&args, "bookings", bookingColumns, owner, ids, per, bookingOrder)
	err := s.read(ctx, rowsOf(&found, scanBooking, query, args...))
	return found, s.fail(err, "find", "bookings")
}

// BookBatch decides and writes reqs in one transaction of two round trips.
// The first locks the events (in id order, so concurrent batches cannot
// deadlock) and the users, then the ticket types and promo codes the
// requests name, finds the bookings that retried requests made before,
// and expires the events' holds that have run out, giving their tickets
// (and their codes' uses) back to this very batch. Then
// boxoffice.PlanBookings decides, and the second round trip inserts every
// booking and payment, moves every event's and type's tickets and every
// code's uses, and records every change, with one statement each, sent
// with COMMIT. The error is for the batch as a whole, and then nothing was
// written; per-request outcomes (ENOTFOUND, ECONFLICT, ESOLDOUT, EINVALID)
// are in the results.
func (s bookings) BookBatch(ctx context.Context, reqs []boxoffice.BookingRequest, terms boxoffice.BookingTerms) ([]boxoffice.BookingResult, error) {
	if len(reqs) == 0 {
		return []boxoffice.BookingResult{}, nil
	}
	reqs = slices.Clone(reqs) // the caller's, left alone
	eventIDs := make([]string, len(reqs))
	userIDs := make([]string, len(reqs))
	var typeIDs []string
	var codes [][]any   // (event, code) of the requests that carry a promo code
	var retried [][]any // (user, key) of the requests that carry a key
	for i := range reqs {
		reqs[i].EventID, reqs[i].UserID = canonicalID(reqs[i].EventID), canonicalID(reqs[i].UserID)
		reqs[i].TicketTypeID = canonicalID(reqs[i].TicketTypeID)
		eventIDs[i], userIDs[i] = reqs[i].EventID, reqs[i].UserID
		if reqs[i].IdempotencyKey != "" && boxoffice.ValidID(reqs[i].UserID) {
			retried = append(retried, []any{reqs[i].UserID, reqs[i].IdempotencyKey})
		}
		if reqs[i].TicketTypeID != "" {
			typeIDs = append(typeIDs, reqs[i].TicketTypeID)
		}
		if code := boxoffice.NormalizePromoCode(reqs[i].PromoCode); code != "" && boxoffice.ValidID(reqs[i].EventID) {
			codes = append(codes, []any{reqs[i].EventID, code})
		}
	}
	now := boxoffice.Now()
	var results []boxoffice.BookingResult
	err := s.write(ctx, func(tx Tx) error {
		// Whole rows: each confirmation shows its event and buyer as of its
		// commit, without a read after it that could fail (PlanBookings).
		var found []*boxoffice.Event
		var buyers []*boxoffice.User
		var before []*boxoffice.Booking
		var types []*boxoffice.TicketType
		var promos []*boxoffice.PromoCode
		var eargs, uargs Args
		events := validIDs(eventIDs)
		lock := lockRow
		if terms.SkipLocked {
			lock = lockRow + " SKIP LOCKED"
		}
		qs := []*Query{
			rowsOf(&found, scanEvent, "SELECT "+eventColumns+" FROM events WHERE "+s.d.In(&eargs, "id", events)+
				" ORDER BY id"+s.d.Lock(lock), eargs...),
			// KEY SHARE: the user cannot vanish before commit, yet may be edited.
			rowsOf(&buyers, scanUser, "SELECT "+userColumns+" FROM users WHERE "+s.d.In(&uargs, "id", validIDs(userIDs))+
				s.d.Lock("KEY SHARE"), uargs...),
		}
		// Types and codes after their events: every writer of their stock
		// and uses locks the event first, so none can deadlock another.
		if typeIDs = validIDs(typeIDs); len(typeIDs) > 0 {
			var args Args
			qs = append(qs, rowsOf(&types, scanTicketType, "SELECT "+ticketTypeColumns+" FROM ticket_types WHERE "+
				s.d.In(&args, "id", typeIDs)+" ORDER BY id"+s.d.Lock(lockRow), args...))
		}
		if len(codes) > 0 {
			var args Args
			qs = append(qs, rowsOf(&promos, scanPromoCode, "SELECT "+promoCodeColumns+" FROM promo_codes WHERE (event_id, code) IN (SELECT c.e, c.c FROM "+
				s.d.Table(&args, "c", []Column{{"e", "uuid"}, {"c", "text"}}, codes)+") ORDER BY id"+s.d.Lock(lockRow), args...))
		}
		if len(retried) > 0 {
			var args Args
			qs = append(qs, rowsOf(&before, scanBooking, "SELECT "+bookingColumns+" FROM bookings WHERE (user_id, idempotency_key) IN (SELECT k.u, k.k FROM "+
				s.d.Table(&args, "k", []Column{{"u", "uuid"}, {"k", "text"}}, retried)+")", args...))
		}
		expire := expireHolds(s.d, events, terms.SkipLocked, now, batchReclaimLimit)
		qs = append(qs, expire.query)
		if err := tx.Run(ctx, qs...); err != nil {
			return err
		}
		stock := boxoffice.Stock{
			Events: byID(found, func(e *boxoffice.Event) string { return e.ID }),
			Users:  byID(buyers, func(u *boxoffice.User) string { return u.ID }),
			Types:  byID(types, func(t *boxoffice.TicketType) string { return t.ID }),
			Promos: map[boxoffice.PromoKey]*boxoffice.PromoCode{},
		}
		for _, p := range promos {
			stock.Promos[boxoffice.PromoKey{EventID: p.EventID, Code: p.Code}] = p
		}
		for _, x := range expire.expired {
			if e := stock.Events[x.EventID]; e != nil {
				e.AvailableTickets += x.NumberOfTickets
			}
			if t := stock.Types[x.TicketTypeID]; t != nil {
				t.AvailableTickets += x.NumberOfTickets
			}
			for _, p := range promos {
				if p.ID == x.PromoCodeID {
					p.Uses--
				}
			}
		}
		results = s.plan(tx, reqs, before, stock, expire.expired, terms, now)
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "book", "bookings")
	}
	return results, nil
}

// plan decides the batch: retried requests get the booking their first
// attempt made, the others are planned; and it queues what writes the plan
// and the holds expired on the way.
func (s bookings) plan(tx Tx, reqs []boxoffice.BookingRequest, before []*boxoffice.Booking, stock boxoffice.Stock,
	expired []*boxoffice.Booking, terms boxoffice.BookingTerms, now time.Time) []boxoffice.BookingResult {
	made := map[[2]string]*boxoffice.Booking{}
	for _, b := range before {
		made[[2]string{b.UserID, b.IdempotencyKey}] = b
	}
	results := make([]boxoffice.BookingResult, len(reqs))
	var fresh []boxoffice.BookingRequest
	var at []int // fresh[i] is reqs[at[i]]
	for i, r := range reqs {
		if r.TokenRevoked(stock) { // a retry's answer is not for a revoked token either
			results[i] = boxoffice.BookingResult{Err: boxoffice.ErrTokenRevoked, Remaining: -1}
			continue
		}
		if b := made[[2]string{r.UserID, r.IdempotencyKey}]; r.IdempotencyKey != "" && b != nil {
			results[i] = boxoffice.BookingResult{Booking: b, Remaining: -1}
			if e := stock.Events[b.EventID]; e != nil {
				results[i].Remaining = e.AvailableTickets
			}
			continue
		}
		fresh = append(fresh, r)
		at = append(at, i)
	}
	if terms.SkipLocked {
		// An event not locked is held by another transaction (or does not
		// exist): its requests are not decided here.
		planned, planAt := fresh[:0:0], at[:0:0]
		for i, r := range fresh {
			if stock.Events[r.EventID] == nil {
				results[at[i]] = boxoffice.BookingResult{Err: boxoffice.ErrEventBusy}
				continue
			}
			planned, planAt = append(planned, r), append(planAt, at[i])
		}
		fresh, at = planned, planAt
	}
	plan := boxoffice.PlanBookings(fresh, stock, terms, now)
	for i, r := range plan.Results {
		results[at[i]] = r
	}
	s.writePlan(tx, fresh, plan, expired, now)
	return results
}

// lockRow is how writers lock the event or booking they are about to
// change: as an UPDATE that keeps the row's key does, so that others can
// still insert rows that refer to it meanwhile (a confirmation's tickets
// refer to their event; the foreign key's check takes KEY SHARE, which
// FOR UPDATE would make wait for the whole booking batch).
const lockRow = "NO KEY UPDATE"

// bookingTable is the bookings' columns as BookBatch inserts them.
var bookingTable = []Column{
	{"id", "uuid"}, {"user_id", "uuid"}, {"event_id", "uuid"}, {"number_of_tickets", "int"}, {"status", "text"},
	{"expires_at", "timestamptz"}, {"unit_price_cents", "bigint"}, {"total_cents", "bigint"}, {"currency", "text"},
	{"idempotency_key", "text"}, {"created_at", "timestamptz"}, {"updated_at", "timestamptz"},
	{"ticket_type_id", "uuid"}, {"promo_code_id", "uuid"}, {"discount_cents", "bigint"},
}

// writePlan queues what writes plan and the expired holds, to go with
// COMMIT: one INSERT for all the bookings, one for their payments, one
// UPDATE for all the events, one for all the ticket types, one for all the
// promo codes and one INSERT for all the changes. Sales leave
// events.version alone: it guards organizer edits, which must not fail
// because of them.
func (s bookings) writePlan(tx Tx, reqs []boxoffice.BookingRequest, plan boxoffice.BookingPlan, expired []*boxoffice.Booking, now time.Time) {
	var changes []*boxoffice.Change
	delta := map[string]int{} // event id -> tickets taken, less those given back
	maps.Copy(delta, plan.Taken)
	typeDelta := map[string]int{} // ticket type id -> the same
	maps.Copy(typeDelta, plan.TypesTaken)
	uses := map[string]int{} // promo code id -> uses counted, less those given back
	maps.Copy(uses, plan.PromosUsed)
	for _, b := range expired {
		delta[b.EventID] -= b.NumberOfTickets
		if b.TicketTypeID != "" {
			typeDelta[b.TicketTypeID] -= b.NumberOfTickets
		}
		if b.PromoCodeID != "" {
			uses[b.PromoCodeID]--
		}
		changes = append(changes, expiredChange(b, now))
	}
	if len(plan.Bookings) > 0 {
		rows := make([][]any, 0, len(plan.Bookings))
		var issued []*boxoffice.Ticket
		for i, r := range plan.Results {
			b := r.Booking
			if b == nil {
				continue
			}
			if b.Status == boxoffice.BookingConfirmed {
				issued = append(issued, boxoffice.NewTickets(b, reqs[i].AttendeeNames, now)...)
			}
			rows = append(rows, []any{b.ID, b.UserID, b.EventID, b.NumberOfTickets, string(b.Status), timeOrNil(b.ExpiresAt),
				b.UnitPriceCents, b.TotalCents, b.Currency, nullText(b.IdempotencyKey), b.CreatedAt, b.UpdatedAt,
				nullText(b.TicketTypeID), nullText(b.PromoCodeID), b.DiscountCents})
			kind := boxoffice.ChangeBookingCreated
			if b.Status == boxoffice.BookingConfirmed {
				kind = boxoffice.ChangeBookingConfirmed // made and confirmed at once: one record
			}
			changes = append(changes, &boxoffice.Change{Kind: kind, At: b.CreatedAt, ActorID: reqs[i].ActorID,
				UserID: b.UserID, EventID: b.EventID, BookingID: b.ID})
		}
		var args Args
		tx.Queue(exec("INSERT INTO bookings (id, user_id, event_id, number_of_tickets, status, expires_at, unit_price_cents, "+
			"total_cents, currency, idempotency_key, created_at, updated_at, ticket_type_id, promo_code_id, discount_cents) SELECT * FROM "+
			s.d.Table(&args, "b", bookingTable, rows), args...))
		issueTickets(tx, s.d, issued)
	}
	if len(plan.Payments) > 0 {
		insertPayments(tx, s.d, plan.Payments)
	}
	made := map[string]int{} // event id -> bookings made
	for _, b := range plan.Bookings {
		made[b.EventID]++
		if _, ok := delta[b.EventID]; !ok {
			delta[b.EventID] = 0
		}
	}
	ids := slices.Sorted(maps.Keys(delta))
	moved := make([][]any, 0, len(ids))
	for _, id := range ids {
		if delta[id] != 0 || made[id] != 0 {
			moved = append(moved, []any{id, delta[id], made[id]})
		}
	}
	if len(moved) > 0 {
		// The events' booking counts (migration 00008) ride along: cheap
		// totals for bookings pages (bookingCount).
		var args Args
		at := args.Add(now)
		tx.Queue(exec("UPDATE events SET available_tickets = available_tickets - t.n, booking_count = booking_count + t.b, updated_at = "+
			at+" FROM "+s.d.Table(&args, "t", []Column{{"id", "uuid"}, {"n", "int"}, {"b", "int"}}, moved)+" WHERE events.id = t.id", args...))
	}
	if moved := nonZero(typeDelta); len(moved) > 0 {
		var args Args
		tx.Queue(exec("UPDATE ticket_types SET available_tickets = available_tickets - t.n FROM "+
			s.d.Table(&args, "t", []Column{{"id", "uuid"}, {"n", "int"}}, moved)+" WHERE ticket_types.id = t.id", args...))
	}
	if used := nonZero(uses); len(used) > 0 {
		var args Args
		tx.Queue(exec("UPDATE promo_codes SET uses = uses + t.n FROM "+
			s.d.Table(&args, "t", []Column{{"id", "uuid"}, {"n", "int"}}, used)+" WHERE promo_codes.id = t.id", args...))
	}
	if len(changes) > 0 {
		record(tx, s.d, changes...)
	}
}

// nonZero is delta's non-zero entries as (id, n) rows, in id order.
func nonZero(delta map[string]int) [][]any {
	var rows [][]any
	for _, id := range slices.Sorted(maps.Keys(delta)) {
		if delta[id] != 0 {
			rows = append(rows, []any{id, delta[id]})
		}
	}
	return rows
}

// expiredChange records a hold that ran out; the system did it.
func expiredChange(b *boxoffice.Booking, now time.Time) *boxoffice.Change {
	return &boxoffice.Change{Kind: boxoffice.ChangeBookingExpired, At: now, UserID: b.UserID, EventID: b.EventID,
		BookingID: b.ID, TicketsReturned: b.NumberOfTickets, Detail: "not paid in time: its tickets went back"}
}

// expiry is the statement that expires the holds of some events that ran
// out by now, and the holds it expired once it has run. Written once, for
// BookBatch (the events locked in its first round trip) and for
// ExpireHolds (the sweeper).
type expiry struct {
	query   *Query
	expired []*boxoffice.Booking
}

// expireHolds is the expiry of up to limit holds of eventIDs that ran out
// by now. With skipLocked, only the holds of the events this transaction
// could lock without waiting: a batch that skipped an event must not wait for
// its bookings' rows either. A hold locked by another transaction is
// passed over either way: that transaction (a payment, a cancellation,
// Update) decides it, and holds the booking before its event, so waiting
// for it here, with the event locked, could deadlock.
func expireHolds(d Dialect, eventIDs []string, skipLocked bool, now time.Time, limit int) *expiry {
	x := &expiry{}
	var args Args
	at := args.Add(now)
	var ofEvents string
	if skipLocked {
		ofEvents = "event_id IN (SELECT id FROM events WHERE " + d.In(&args, "id", eventIDs) + d.Lock(lockRow+" SKIP LOCKED") + ")"
	} else {
		ofEvents = d.In(&args, "event_id", eventIDs)
	}
	sql := "UPDATE bookings SET status = 'EXPIRED', expires_at = NULL, updated_at = " + at +
		" WHERE id IN (SELECT id FROM bookings WHERE status = 'PENDING' AND expires_at <= " + at + " AND " +
		ofEvents + " ORDER BY expires_at LIMIT " + args.Add(limit) + d.Lock(lockRow+" SKIP LOCKED") + ") RETURNING " + bookingColumns
	x.query = rowsOf(&x.expired, scanBooking, sql, args...)
	return x
}

// batchReclaimLimit bounds the holds one booking batch expires on its way:
// enough to serve its buyers, few enough not to slow them; the sweeper
// (ExpireHolds) takes care of the rest.
const batchReclaimLimit = 1000

// ExpireHolds expires up to limit holds that ran out by now, in one
// transaction: their events' rows are locked first (as BookBatch locks
// them), the holds become EXPIRED and their tickets go back, with a
// change each, which every server hears. It returns the holds it expired:
// the caller repeats while they are limit.
func (s bookings) ExpireHolds(ctx context.Context, now time.Time, limit int) ([]*boxoffice.Booking, error) {
	now = Time(now)
	var events []string
	err := s.read(ctx, rowsOf(&events, scanString,
		"SELECT DISTINCT event_id FROM (SELECT event_id FROM bookings WHERE status = 'PENDING' AND expires_at <= $1 ORDER BY expires_at LIMIT $2) due",
		now, limit))
	if err != nil || len(events) == 0 {
		return nil, s.fail(err, "expire", "holds")
	}
	slices.Sort(events)
	var expired []*boxoffice.Booking
	err = s.write(ctx, func(tx Tx) error {
		var locked []string
		var args Args
		expire := expireHolds(s.d, events, false, now, limit)
		err := tx.Run(ctx,
			rowsOf(&locked, scanString, "SELECT id FROM events WHERE "+s.d.In(&args, "id", events)+" ORDER BY id"+s.d.Lock(lockRow), args...),
			expire.query)
		if err != nil {
			return err
		}
		expired = expire.expired
		s.writePlan(tx, nil, boxoffice.BookingPlan{}, expired, now)
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "expire", "holds")
	}
	return expired, nil
}

// byID indexes rows by their key.
func byID[T any](rows []T, key func(T) string) map[string]T {
	m := make(map[string]T, len(rows))
	for _, r := range rows {
		m[key(r)] = r
	}
	return m
}

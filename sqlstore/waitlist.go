package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/boxoffice/boxoffice"
)

const errAlreadyWaiting = "you are already on this event's waiting list"

// waitlistColumns are an entry's, qualified by w, with its offer's status
// (NULL before an offer).
const waitlistColumns = "w.id, w.event_id, w.user_id, w.number_of_tickets, w.status, w.booking_id, w.created_at, w.updated_at, b.status"

// waitlistFrom joins each entry to its offer.
const waitlistFrom = " FROM waitlist_entries w LEFT JOIN bookings b ON b.id = w.booking_id "

// waitlistPosition is a WAITING entry's place in its queue: how many wait
// before it, plus one. Ties on created_at go by id.
const waitlistPosition = `(SELECT COUNT(*) FROM waitlist_entries o WHERE o.event_id = w.event_id AND o.status = 'WAITING'
	AND (o.created_at < w.created_at OR (o.created_at = w.created_at AND o.id <= w.id)))`

func scanWaitlistEntry(r Rows) (*boxoffice.WaitlistEntry, error) {
	var w boxoffice.WaitlistEntry
	var offer string
	if err := r.Scan(&w.ID, &w.EventID, &w.UserID, &w.NumberOfTickets, &w.Status, optionalText{&w.BookingID},
		&w.CreatedAt, &w.UpdatedAt, optionalText{&offer}); err != nil {
		return nil, err
	}
	w.SetOfferStatus(boxoffice.BookingStatus(offer))
	return &w, nil
}

func scanPositionedEntry(r Rows) (*boxoffice.WaitlistEntry, error) {
	var w boxoffice.WaitlistEntry
	var offer string
	if err := r.Scan(&w.ID, &w.EventID, &w.UserID, &w.NumberOfTickets, &w.Status, optionalText{&w.BookingID},
		&w.CreatedAt, &w.UpdatedAt, optionalText{&offer}, &w.Position); err != nil {
		return nil, err
	}
	if w.Status != boxoffice.WaitlistWaiting {
		w.Position = 0
	}
	w.SetOfferStatus(boxoffice.BookingStatus(offer))
	return &w, nil
}

// waitlist implements boxoffice.WaitlistStore.
type waitlist struct{ scope }

// Join locks the event, checks that its tickets are gone (or that others
// wait for them) and that it has not started, then adds the entry and
// counts it on the event: two round trips, the writes with the commit. The
// unique index on waiting entries refuses a second entry of one user.
func (s waitlist) Join(ctx context.Context, e *boxoffice.WaitlistEntry, now time.Time) error {
	if !boxoffice.ValidID(e.EventID) {
		return notFound("event")
	}
	if !boxoffice.ValidID(e.UserID) {
		return notFound("user")
	}
	stored := *e
	stored.EventID, stored.UserID = canonicalID(e.EventID), canonicalID(e.UserID)
	stored.Status, stored.BookingID = boxoffice.WaitlistWaiting, ""
	stored.CreatedAt, stored.UpdatedAt = Time(e.CreatedAt), Time(e.UpdatedAt)
	err := s.write(ctx, func(tx Tx) error {
		var ev *boxoffice.Event
		var waiting []string
		if err := tx.Run(ctx,
			rowOf(&ev, "event", scanEvent, "SELECT "+eventColumns+" FROM events WHERE id = $1"+s.d.Lock(lockRow), stored.EventID),
			rowsOf(&waiting, scanString, "SELECT id FROM waitlist_entries WHERE event_id = $1 AND user_id = $2 AND status = 'WAITING'",
				stored.EventID, stored.UserID)); err != nil {
			return err
		}
		switch {
		case len(waiting) > 0:
			return boxoffice.Errorf(boxoffice.ECONFLICT, errAlreadyWaiting)
		case !ev.Date.After(now):
			return boxoffice.Errorf(boxoffice.ECONFLICT, "event has already started")
		case ev.HasTicketTypes:
			return boxoffice.Errorf(boxoffice.ECONFLICT, "this event sells ticket types: it has no waiting list")
		case ev.AvailableTickets > 0 && ev.WaitlistLength == 0:
			return boxoffice.Errorf(boxoffice.ECONFLICT, "event is not sold out: book its tickets instead")
		}
		tx.Queue(exec(`INSERT INTO waitlist_entries (id, event_id, user_id, number_of_tickets, status, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'WAITING', $5, $6)`,
			stored.ID, stored.EventID, stored.UserID, stored.NumberOfTickets, stored.CreatedAt, stored.UpdatedAt))
		tx.Queue(exec("UPDATE events SET waitlist_waiting = waitlist_waiting + 1 WHERE id = $1", stored.EventID))
		return nil
	})
	if err != nil {
		return s.fail(err, "join", "waiting list", "user")
	}
	*e = stored
	return nil
}

// Leave locks the entry's event, then the entry, and takes a WAITING entry
// off the list.
func (s waitlist) Leave(ctx context.Context, id string, now time.Time) (*boxoffice.WaitlistEntry, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("waiting-list entry")
	}
	id = canonicalID(id)
	var w *boxoffice.WaitlistEntry
	err := s.write(ctx, func(tx Tx) error {
		var locked []string
		err := tx.Run(ctx,
			rowsOf(&locked, scanString, "SELECT id FROM events WHERE id = (SELECT event_id FROM waitlist_entries WHERE id = $1)"+s.d.Lock(lockRow), id),
			rowOf(&w, "waiting-list entry", scanWaitlistEntry, "SELECT "+waitlistColumns+waitlistFrom+"WHERE w.id = $1", id))
		if err != nil {
			return err
		}
		if w.Status != boxoffice.WaitlistWaiting {
			return boxoffice.Errorf(boxoffice.ECONFLICT, "the entry is %s, not waiting: an offer is cancelled with cancelBooking", w.Status)
		}
		w.Status, w.UpdatedAt = boxoffice.WaitlistLeft, Time(now)
		tx.Queue(exec("UPDATE waitlist_entries SET status = 'LEFT', updated_at = $2 WHERE id = $1", id, w.UpdatedAt))
		tx.Queue(exec("UPDATE events SET waitlist_waiting = waitlist_waiting - 1 WHERE id = $1", w.EventID))
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "leave", "waiting list")
	}
	return w, nil
}

func (s waitlist) ByID(ctx context.Context, id string) (*boxoffice.WaitlistEntry, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("waiting-list entry")
	}
	var w *boxoffice.WaitlistEntry
	err := s.read(ctx, rowOf(&w, "waiting-list entry", scanPositionedEntry,
		"SELECT "+waitlistColumns+", "+waitlistPosition+waitlistFrom+"WHERE w.id = $1", canonicalID(id)))
	return w, s.fail(err, "find", "waiting-list entry")
}

// ByEvent lists the waiting first, in queue order, then the rest, newest
// first; positions are counted as the rows come.
func (s waitlist) ByEvent(ctx context.Context, eventID string) ([]*boxoffice.WaitlistEntry, error) {
	found := []*boxoffice.WaitlistEntry{}
	if !boxoffice.ValidID(eventID) {
		return found, nil
	}
	err := s.read(ctx, rowsOf(&found, scanWaitlistEntry, "SELECT "+waitlistColumns+waitlistFrom+
		"WHERE w.event_id = $1 ORDER BY CASE WHEN w.status = 'WAITING' THEN 0 ELSE 1 END, "+
		"CASE WHEN w.status = 'WAITING' THEN w.created_at END, CASE WHEN w.status = 'WAITING' THEN w.id END, w.updated_at DESC, w.id", canonicalID(eventID)))
	for i, w := range found {
		if w.Status == boxoffice.WaitlistWaiting {
			w.Position = i + 1
		}
	}
	return found, s.fail(err, "find", "waiting list")
}

func (s waitlist) ByUser(ctx context.Context, userID string) ([]*boxoffice.WaitlistEntry, error) {
	found := []*boxoffice.WaitlistEntry{}
	if !boxoffice.ValidID(userID) {
		return found, nil
	}
	err := s.read(ctx, rowsOf(&found, scanPositionedEntry, "SELECT "+waitlistColumns+", "+waitlistPosition+waitlistFrom+
		"WHERE w.user_id = $1 ORDER BY w.created_at DESC, w.id DESC", canonicalID(userID)))
	return found, s.fail(err, "find", "waiting list")
}

// waitlistServeEvents bounds the events one Serve looks at; the next call
// takes the rest.
const waitlistServeEvents = 100

// Serve finds the events that have people waiting and tickets free, then,
// in one transaction, locks them (in id order, as booking batches do),
// reads their queues, and offers the free tickets to the entries in order,
// stopping at the first entry asking for more than is left (strict order:
// nobody behind it goes first). The offers are booked by BookBatch in the
// same transaction, as Offer requests that pass the waiting list's gate,
// so an offer and its entry's OFFERED commit together or not at all.
func (s waitlist) Serve(ctx context.Context, terms boxoffice.BookingTerms, now time.Time) ([]*boxoffice.WaitlistEntry, error) {
	now = Time(now)
	var events []string
	err := s.read(ctx, rowsOf(&events, scanString,
		"SELECT id FROM events WHERE waitlist_waiting > 0 AND available_tickets > 0 AND date > $1 ORDER BY id LIMIT $2",
		now, waitlistServeEvents))
	if err != nil || len(events) == 0 {
		return nil, s.fail(err, "serve", "waiting lists")
	}
	var offered []*boxoffice.WaitlistEntry
	err = s.write(ctx, func(tx Tx) error {
		offered = nil
		var locked []*boxoffice.Event
		var queue []*boxoffice.WaitlistEntry
		var eargs, wargs Args
		err := tx.Run(ctx,
			rowsOf(&locked, scanEvent, "SELECT "+eventColumns+" FROM events WHERE "+s.d.In(&eargs, "id", events)+" ORDER BY id"+s.d.Lock(lockRow), eargs...),
			rowsOf(&queue, scanWaitlistEntry, "SELECT "+waitlistColumns+waitlistFrom+"WHERE w.status = 'WAITING' AND "+
				s.d.In(&wargs, "w.event_id", events)+" ORDER BY w.event_id, w.created_at, w.id", wargs...))
		if err != nil {
			return err
		}
		next := nextOffers(locked, queue)
		if len(next) == 0 {
			return nil
		}
		reqs := make([]boxoffice.BookingRequest, len(next))
		for i, w := range next {
			reqs[i] = boxoffice.BookingRequest{UserID: w.UserID, EventID: w.EventID, Tickets: w.NumberOfTickets, Offer: true}
		}
		results, err := bookings{scope{d: s.d, tx: tx}}.BookBatch(ctx, reqs, terms)
		if err != nil {
			return err
		}
		gone := map[string]int{} // event id -> entries no longer waiting
		var changes []*boxoffice.Change
		for i, r := range results {
			w := next[i]
			gone[w.EventID]++
			if r.Err != nil {
				// The buyer cannot book (gone, or the event closed): the
				// entry leaves the queue rather than block it.
				tx.Queue(exec("UPDATE waitlist_entries SET status = 'LEFT', updated_at = $2 WHERE id = $1", w.ID, now))
				continue
			}
			w.Status, w.BookingID, w.UpdatedAt, w.Position = boxoffice.WaitlistOffered, r.Booking.ID, now, 0
			w.SetOfferStatus(r.Booking.Status)
			tx.Queue(exec("UPDATE waitlist_entries SET status = 'OFFERED', booking_id = $2, updated_at = $3 WHERE id = $1", w.ID, w.BookingID, now))
			changes = append(changes, &boxoffice.Change{Kind: boxoffice.ChangeWaitlistOffered, At: now, UserID: w.UserID,
				EventID: w.EventID, BookingID: w.BookingID, Detail: offerDetail(w, r.Booking)})
			offered = append(offered, w)
		}
		for id, n := range gone {
			tx.Queue(exec("UPDATE events SET waitlist_waiting = waitlist_waiting - $2 WHERE id = $1", id, n))
		}
		if len(changes) > 0 {
			record(tx, s.d, changes...)
		}
		return nil
	})
	if err != nil {
		return nil, s.fail(err, "serve", "waiting lists")
	}
	return offered, nil
}

// nextOffers picks, per event, the entries at the head of its queue that
// its free tickets cover, in order, stopping at the first that they do not.
// queue is in event, then queue order.
func nextOffers(events []*boxoffice.Event, queue []*boxoffice.WaitlistEntry) []*boxoffice.WaitlistEntry {
	free := map[string]int{}
	for _, e := range events {
		free[e.ID] = e.AvailableTickets
	}
	var out []*boxoffice.WaitlistEntry
	blocked := map[string]bool{}
	for _, w := range queue {
		if blocked[w.EventID] {
			continue
		}
		if w.NumberOfTickets > free[w.EventID] {
			blocked[w.EventID] = true
			continue
		}
		free[w.EventID] -= w.NumberOfTickets
		out = append(out, w)
	}
	return out
}

func offerDetail(w *boxoffice.WaitlistEntry, b *boxoffice.Booking) string {
	if b.ExpiresAt != nil {
		return fmt.Sprintf("offered %d ticket(s) from the waiting list, held until %s", w.NumberOfTickets, b.ExpiresAt.UTC().Format(time.RFC3339))
	}
	return fmt.Sprintf("offered %d ticket(s) from the waiting list", w.NumberOfTickets)
}

package service

import (
	"context"
	"crypto/ed25519"
	"strings"
	"sync"

	"github.com/boxoffice/boxoffice"
)

// Tickets implements boxoffice.TicketService: showing tickets, moving
// them, and checking them in at the door (checkin.go).
type Tickets struct {
	*base
	keys sync.Map // event id -> ed25519.PrivateKey: made once, never changed
}

var _ boxoffice.TicketService = (*Tickets)(nil)

// key returns the event's signing key, made the first time it is needed.
// Keys never change, so each server keeps the ones it has read.
func (s *Tickets) key(ctx context.Context, eventID string) (ed25519.PrivateKey, error) {
	eventID = strings.ToLower(eventID)
	if k, ok := s.keys.Load(eventID); ok {
		return k.(ed25519.PrivateKey), nil
	}
	seed, err := s.store.Events().SigningKey(ctx, eventID)
	if err != nil {
		return nil, err
	}
	k := boxoffice.TicketKey(seed)
	s.keys.Store(eventID, k)
	return k, nil
}

// allowed asks check as the caller is, and only if that is refused, asks
// again knowing whether the caller is on the event's staff: the staff
// table is read only for those who need it.
func (s *Tickets) allowed(ctx context.Context, eventID string, check func(staff bool) error) error {
	err := check(false)
	c := caller(ctx)
	if err == nil || c.Anonymous() {
		return err
	}
	staff, serr := s.store.Events().IsStaff(ctx, eventID, c.UserID)
	if serr != nil {
		return serr
	}
	if !staff {
		return err
	}
	return check(true)
}

// readable returns the ticket and its event if the caller may read it:
// its holder, the event's organizer and staff, admins; ENOTFOUND for
// anyone else.
func (s *Tickets) readable(ctx context.Context, id string) (*boxoffice.Ticket, *boxoffice.Event, error) {
	if err := validID("id", id); err != nil {
		return nil, nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, nil, boxoffice.CanReadTicket(c, &boxoffice.Ticket{}, nil, false)
	}
	t, err := s.store.Tickets().ByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	e, err := s.store.Events().ByID(ctx, t.EventID)
	if err != nil {
		return nil, nil, err
	}
	err = s.allowed(ctx, e.ID, func(staff bool) error { return boxoffice.CanReadTicket(c, t, e, staff) })
	return t, e, err
}

// FindTicketByID: its holder, the event's organizer and staff, admins;
// ENOTFOUND for anyone else.
func (s *Tickets) FindTicketByID(ctx context.Context, id string) (*boxoffice.Ticket, error) {
	t, _, err := s.readable(ctx, id)
	return t, err
}

// MyTickets are the tickets the caller holds, newest first.
// EUNAUTHENTICATED.
func (s *Tickets) MyTickets(ctx context.Context) ([]*boxoffice.Ticket, error) {
	c := caller(ctx)
	if c.Anonymous() {
		return nil, boxoffice.CanReadTicket(c, &boxoffice.Ticket{}, nil, false)
	}
	return s.store.Tickets().ByOwner(ctx, c.UserID)
}

// FindTicketsByBookingIDs serves Booking.tickets, whose booking the caller
// may read; which of its tickets they see is the resolver's to filter
// (boxoffice.CanReadTicket).
func (s *Tickets) FindTicketsByBookingIDs(ctx context.Context, ids []string) ([]*boxoffice.Ticket, error) {
	return s.store.Tickets().ByBookingIDs(ctx, validIDs(ids))
}

// FindTicketBookings serves Ticket.booking: the ticket was
// already shown to the caller, and so may its booking be.
func (s *Tickets) FindTicketBookings(ctx context.Context, ids []string) ([]*boxoffice.Booking, error) {
	return s.store.Bookings().ByIDs(ctx, validIDs(ids))
}

// TicketCode is what t's QR code holds: for a caller who may read t.
func (s *Tickets) TicketCode(ctx context.Context, t *boxoffice.Ticket) (string, error) {
	k, err := s.key(ctx, t.EventID)
	if err != nil {
		return "", err
	}
	return boxoffice.SignTicketCode(k, t.ID, t.EventID, t.Version), nil
}

// CheckInKey is the public key that verifies an event's ticket codes:
// anyone may have it. EINVALID, ENOTFOUND.
func (s *Tickets) CheckInKey(ctx context.Context, eventID string) ([]byte, error) {
	if err := validID("eventId", eventID); err != nil {
		return nil, err
	}
	k, err := s.key(ctx, eventID)
	if err != nil {
		return nil, err
	}
	return k.Public().(ed25519.PublicKey), nil
}

// TransferTicket gives a ticket to the user with this email: its holder
// alone, before the event starts, not a used or void one, where the event
// allows it. The ticket gets a new code at once; the old one is void on
// every server (each check-in reads the ticket's version). ENOTFOUND for
// an email without an account: none is made. ECONFLICT, EINVALID,
// EFORBIDDEN.
func (s *Tickets) TransferTicket(ctx context.Context, id, toEmail string) (*boxoffice.Ticket, error) {
	t, e, err := s.readable(ctx, id)
	if err != nil {
		return nil, err
	}
	c := caller(ctx)
	if err := boxoffice.CanTransferTicket(c, t, e); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	to, err := s.store.Users().ByEmail(ctx, strings.ToLower(strings.TrimSpace(toEmail)))
	if boxoffice.ErrorCode(err) == boxoffice.ENOTFOUND {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no account has this email: ask them to sign up first")
	} else if err != nil {
		return nil, err
	}
	var moved *boxoffice.Ticket
	err = s.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		from := ""
		moved, err = tx.Tickets().Update(ctx, t.ID, func(t *boxoffice.Ticket) error {
			if !c.Is(t.OwnerID) { // given away in the meantime
				return boxoffice.Errorf(boxoffice.ENOTFOUND, "ticket not found")
			}
			from = t.OwnerID
			return t.Transfer(to.ID, e, s.now())
		})
		if err != nil {
			return nil, err
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeTicketTransferred, At: moved.UpdatedAt, ActorID: c.UserID,
			UserID: to.ID, EventID: moved.EventID, BookingID: moved.BookingID,
			Detail: transferDetail(moved.ID, from, to.ID)}}, nil
	})
	if err != nil {
		return nil, err
	}
	return moved, nil
}

// SetAttendeeName names who uses a ticket: its holder, the event's
// organizer and admins, until the event starts. EINVALID, ECONFLICT,
// ENOTFOUND.
func (s *Tickets) SetAttendeeName(ctx context.Context, id, name string) (*boxoffice.Ticket, error) {
	t, e, err := s.readable(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := boxoffice.CanNameAttendee(caller(ctx), t, e); err != nil {
		return nil, err
	}
	if err := boxoffice.ValidAttendeeName("name", name); err != nil {
		return nil, err
	}
	if err := s.spendMutation(ctx); err != nil {
		return nil, err
	}
	return s.store.Tickets().Update(ctx, t.ID, func(t *boxoffice.Ticket) error { return t.NameAttendee(name, e, s.now()) })
}

// BookingTickets returns a booking's tickets that the caller may read, with
// their codes, for its PDF: the buyer (the tickets they still hold), the
// event's organizer and staff, admins. ENOTFOUND for anyone else, and for
// a booking with no ticket the caller may read.
func (s *Tickets) BookingTickets(ctx context.Context, bookingID string) (*boxoffice.Booking, *boxoffice.Event, []*boxoffice.Ticket, []string, error) {
	if err := validID("id", bookingID); err != nil {
		return nil, nil, nil, nil, err
	}
	c := caller(ctx)
	if c.Anonymous() {
		return nil, nil, nil, nil, boxoffice.CanReadTicket(c, &boxoffice.Ticket{}, nil, false)
	}
	b, err := s.store.Bookings().ByID(ctx, bookingID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	e, err := s.store.Events().ByID(ctx, b.EventID)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	all, err := s.store.Tickets().ByBookingIDs(ctx, []string{b.ID})
	if err != nil {
		return nil, nil, nil, nil, err
	}
	var shown []*boxoffice.Ticket
	var codes []string
	staff := false
	for i, t := range all {
		if i == 0 {
			// Staff is asked once, and only of a caller the first ticket refuses.
			err := s.allowed(ctx, e.ID, func(asStaff bool) error {
				staff = asStaff
				return boxoffice.CanReadTicket(c, t, e, asStaff)
			})
			if err != nil && boxoffice.ErrorCode(err) != boxoffice.ENOTFOUND {
				return nil, nil, nil, nil, err
			}
		}
		if boxoffice.CanReadTicket(c, t, e, staff) != nil {
			continue
		}
		code, err := s.TicketCode(ctx, t)
		if err != nil {
			return nil, nil, nil, nil, err
		}
		shown, codes = append(shown, t), append(codes, code)
	}
	if len(shown) == 0 {
		return nil, nil, nil, nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no tickets of yours in this booking")
	}
	return b, e, shown, codes, nil
}

// transferDetail is the detail of a ticket.transferred change, which the
// relay reads back (parseTransferDetail) to tell both sides.
func transferDetail(ticketID, from, to string) string {
	return "ticket " + ticketID + " given by user " + from + " to user " + to
}

// parseTransferDetail reads a transferDetail.
func parseTransferDetail(detail string) (ticketID, from, to string, ok bool) {
	f := strings.Fields(detail)
	if len(f) != 9 || f[0] != "ticket" || f[2] != "given" || f[4] != "user" || f[6] != "to" || f[7] != "user" {
		return "", "", "", false
	}
	return f[1], f[5], f[8], true
}

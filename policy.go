package boxoffice

// Who may do what: every authorization rule of boxoffice, in one place. The
// service layer asks these before it acts and the GraphQL layer before it
// shows a protected field; policy_test.go walks every rule for every role.
//
// Each returns nil when allowed, EUNAUTHENTICATED when nobody is signed in
// and a sign-in could help, EFORBIDDEN when the caller lacks the right, or
// ENOTFOUND where even saying "forbidden" would reveal that a thing exists
// (someone else's booking or account).

var (
	errSignIn    = Errorf(EUNAUTHENTICATED, "sign in first: send Authorization: Bearer <token>")
	errForbidden = Errorf(EFORBIDDEN, "you are not allowed to do this")
)

func signedIn(c Caller) error {
	switch {
	case c.Anonymous():
		return errSignIn
	case c.Token != nil: // only CanBookFor lets a caller whose token is unchecked through
		return errTokenUnchecked
	}
	return nil
}

var errTokenUnchecked = Errorf(EUNAUTHENTICATED, "this token has not been checked for this request: send it again")

func admin(c Caller) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role != RoleAdmin {
		return errForbidden
	}
	return nil
}

// CanListUsers: admins.
func CanListUsers(c Caller) error { return admin(c) }

// CanManageUsers (create users with any role, change roles): admins.
func CanManageUsers(c Caller) error { return admin(c) }

// CanReadUser: the user themselves and admins; for anyone else the user
// does not exist.
func CanReadUser(c Caller, userID string) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(userID) || c.Role == RoleAdmin {
		return nil
	}
	return Errorf(ENOTFOUND, "user not found")
}

// CanSeeUserPrivate (email, role, their bookings): the user and admins. An
// organizer sees who booked their event, but not their email.
func CanSeeUserPrivate(c Caller, userID string) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(userID) || c.Role == RoleAdmin {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the user and admins see this field")
}

// CanListEventBookings: the event's organizer and admins.
func CanListEventBookings(c Caller, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the event's organizer and admins see its bookings")
}

// CanReadBooking: the buyer, the event's organizer and admins; for anyone
// else the booking does not exist.
func CanReadBooking(c Caller, b *Booking, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(b.UserID) || c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(ENOTFOUND, "booking not found")
}

// CanCancelBooking: the buyer, the event's organizer and admins; for
// anyone else the booking does not exist. (When a buyer may still cancel is
// Booking.Cancel's to say.)
func CanCancelBooking(c Caller, b *Booking, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if b != nil && c.Is(b.UserID) || c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(ENOTFOUND, "booking not found")
}

// CanPayBooking: the buyer and admins; for anyone else the booking does
// not exist, or, for its event's organizer, is not theirs to pay.
func CanPayBooking(c Caller, b *Booking, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(b.UserID) || c.Role == RoleAdmin {
		return nil
	}
	if organizes(c, e) {
		return Errorf(EFORBIDDEN, "only the buyer pays for a booking")
	}
	return Errorf(ENOTFOUND, "booking not found")
}

// CanSeePaymentSecret (the client secret a browser pays with): the buyer
// alone.
func CanSeePaymentSecret(c Caller, b *Booking) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(b.UserID) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the buyer sees the payment's client secret")
}

// CanBookFor: customers and organizers book for themselves; admins for
// anyone.
// A caller whose token is still to be checked books for itself only: the
// booking's transaction checks the token (TokenCheck).
func CanBookFor(c Caller, userID string) error {
	if c.Token != nil && c.UserID != "" && c.UserID == userID {
		return nil
	}
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(userID) || c.Role == RoleAdmin {
		return nil
	}
	return Errorf(EFORBIDDEN, "you can only book for yourself")
}

// CanCreateEvent: organizers and admins.
func CanCreateEvent(c Caller) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleOrganizer || c.Role == RoleAdmin {
		return nil
	}
	return Errorf(EFORBIDDEN, "only organizers and admins create events")
}

// CanUpdateEvent: the event's organizer and admins.
func CanUpdateEvent(c Caller, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the event's organizer and admins change it")
}

// CanManagePromoCodes (create and list an event's promo codes): the
// event's organizer and admins.
func CanManagePromoCodes(c Caller, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the event's organizer and admins manage its promo codes")
}

// CanBookBulk (book up to MaxBulkTickets at once, for a group or a box
// office, paid offline): the event's organizer and admins.
func CanBookBulk(c Caller, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the event's organizer and admins make bulk bookings")
}

// ScopeBookings narrows a bookings listing to what the caller may see:
// admins see all; customers only their own (asking for another user's is
// EFORBIDDEN); organizers their own bookings when they filter on
// themselves, else the bookings of the events they organize.
func ScopeBookings(c Caller, f BookingFilter) (BookingFilter, error) {
	if err := signedIn(c); err != nil {
		return f, err
	}
	switch {
	case c.Role == RoleAdmin:
	case f.UserID == "" || c.Is(f.UserID):
		if c.Role == RoleOrganizer && f.UserID == "" {
			f.OrganizerID = c.UserID
		} else {
			f.UserID = c.UserID
		}
	case c.Role == RoleOrganizer:
		f.OrganizerID = c.UserID // another buyer, within the organizer's events
	default:
		return f, Errorf(EFORBIDDEN, "you can only list your own bookings")
	}
	return f, nil
}

func organizes(c Caller, e *Event) bool {
	return e != nil && c.Role == RoleOrganizer && e.OrganizerID != nil && c.Is(*e.OrganizerID)
}

// CanManageStaff (name who checks an event's tickets in): the event's
// organizer and admins.
func CanManageStaff(c Caller, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the event's organizer and admins name its staff")
}

// CanCheckIn (scan tickets at the door, fetch the offline bundle, count
// check-ins): the event's organizer, its staff and admins. staff says
// whether the caller is on the event's staff.
func CanCheckIn(c Caller, e *Event, staff bool) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || organizes(c, e) || staff {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the event's organizer, its staff and admins check tickets in")
}

// CanReadTicket (and its code): its holder, the event's organizer and
// staff, admins; for anyone else the ticket does not exist. A buyer who
// gave a ticket away no longer sees it: its code is the new holder's.
func CanReadTicket(c Caller, t *Ticket, e *Event, staff bool) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(t.OwnerID) || c.Role == RoleAdmin || organizes(c, e) || staff {
		return nil
	}
	return Errorf(ENOTFOUND, "ticket not found")
}

// CanTransferTicket: its holder alone; the event's organizer is told so,
// anyone else the ticket does not exist. (When a ticket may move is
// Ticket.Transfer's to say.)
func CanTransferTicket(c Caller, t *Ticket, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(t.OwnerID) {
		return nil
	}
	if c.Role == RoleAdmin || organizes(c, e) {
		return Errorf(EFORBIDDEN, "only the ticket's holder gives it to someone else")
	}
	return Errorf(ENOTFOUND, "ticket not found")
}

// CanNameAttendee: the ticket's holder, the event's organizer and admins
// (a box office names a group's seats); for anyone else the ticket does not
// exist.
func CanNameAttendee(c Caller, t *Ticket, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Is(t.OwnerID) || c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(ENOTFOUND, "ticket not found")
}

// CanJoinWaitlist (wait for an event's tickets): any signed-in user, for
// themselves.
func CanJoinWaitlist(c Caller) error { return signedIn(c) }

// CanLeaveWaitlist (take an entry off a waiting list): its user and admins.
func CanLeaveWaitlist(c Caller, w *WaitlistEntry) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || c.Is(w.UserID) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only its user and admins take an entry off a waiting list")
}

// CanReadWaitlist (see who waits for an event): its organizer and admins.
func CanReadWaitlist(c Caller, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	if c.Role == RoleAdmin || organizes(c, e) {
		return nil
	}
	return Errorf(EFORBIDDEN, "only the event's organizer and admins see its waiting list")
}

// CanManageWebhooks (register, list and delete endpoints that hear of
// changes): organizers and admins; for one event e, its organizer and
// admins. e is nil for a webhook that hears of every event of its owner.
func CanManageWebhooks(c Caller, e *Event) error {
	if err := signedIn(c); err != nil {
		return err
	}
	switch {
	case c.Role == RoleAdmin:
		return nil
	case e == nil && c.Role == RoleOrganizer, organizes(c, e):
		return nil
	case c.Role == RoleOrganizer:
		return Errorf(EFORBIDDEN, "only the event's organizer and admins register webhooks for it")
	}
	return Errorf(EFORBIDDEN, "only organizers and admins register webhooks")
}

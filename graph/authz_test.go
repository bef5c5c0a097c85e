package graph_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The callers every operation and protected field is tried as, in order.
const (
	anonymous  = "anonymous"
	buyer      = "buyer"      // a customer who booked the event
	customer2  = "customer2"  // another customer, who booked it too
	organizer  = "organizer"  // organizes the event
	organizer2 = "organizer2" // organizes nothing of it
	admin      = "admin"
)

var callers = [6]string{anonymous, buyer, customer2, organizer, organizer2, admin}

// Outcomes: success, or the error code every error must carry.
const (
	ok       = ""
	unauth   = "UNAUTHENTICATED"
	forbid   = "FORBIDDEN"
	notFound = "NOT_FOUND"
)

// authzWorld: an event of the organizer, booked once by the buyer and once
// by customer2, and a spare customer whose role the admin may change.
type authzWorld struct {
	s        *testServer
	accounts map[string]account // by caller; none for anonymous
	spare    userOut
	event    eventOut
	booking  bookingOut // the buyer's
}

func newAuthzWorld(t *testing.T, s *testServer) *authzWorld {
	w := &authzWorld{s: s, accounts: map[string]account{admin: s.admin}}
	w.accounts[buyer] = s.signUp(t, "buyer")
	w.accounts[customer2] = s.signUp(t, "customer2")
	w.accounts[organizer] = s.newAccount(t, "organizer", boxoffice.RoleOrganizer)
	w.accounts[organizer2] = s.newAccount(t, "organizer2", boxoffice.RoleOrganizer)
	w.spare = s.createUser(t, "spare")
	w.event = w.as(organizer).createEvent(t, "Organized", 100, 25, 20)
	w.booking = w.as(buyer).book(t, w.accounts[buyer].ID, w.event.ID, 2)
	w.as(customer2).book(t, w.accounts[customer2].ID, w.event.ID, 1)
	return w
}

func (w *authzWorld) as(who string) client { return w.s.as(w.accounts[who].Token) }

// self is the caller's own id; the buyer's for anonymous, who has none.
func (w *authzWorld) self(who string) string {
	if who == anonymous {
		return w.accounts[buyer].ID
	}
	return w.accounts[who].ID
}

// someoneElse is a customer other than the caller.
func (w *authzWorld) someoneElse(who string) string {
	if who == buyer {
		return w.accounts[customer2].ID
	}
	return w.accounts[buyer].ID
}

type authzRow struct {
	name  string
	query string
	vars  func(t *testing.T, w *authzWorld, who string) map[string]any // run just before the request
	want  [6]string                                                    // by callers
	data  [6]string                                                    // on success, a part of the data, if given
	after func(t *testing.T, w *authzWorld, who string, data json.RawMessage)
}

func vars(f func(w *authzWorld, who string) map[string]any) func(*testing.T, *authzWorld, string) map[string]any {
	return func(_ *testing.T, w *authzWorld, who string) map[string]any { return f(w, who) }
}

var (
	bookerID = vars(func(w *authzWorld, _ string) map[string]any { return map[string]any{"id": w.accounts[buyer].ID} })
	selfID   = vars(func(w *authzWorld, who string) map[string]any { return map[string]any{"id": w.self(who)} })
	eventID  = vars(func(w *authzWorld, _ string) map[string]any { return map[string]any{"id": w.event.ID} })
	bookedID = vars(func(w *authzWorld, _ string) map[string]any { return map[string]any{"id": w.booking.ID} })
)

// Reads first, then the writes, which change the world; signOut last.
var authzRows = []authzRow{
	// Users.
	{name: "users", query: `{ users { total } }`,
		want: [6]string{unauth, forbid, forbid, forbid, forbid, ok}},
	{name: "user(self) with private fields", query: `query($id: ID!) { user(id: $id) { id username email role bookings { id } } }`, vars: selfID,
		want: [6]string{unauth, ok, ok, ok, ok, ok}},
	{name: "user(the buyer)", query: `query($id: ID!) { user(id: $id) { id username } }`, vars: bookerID,
		want: [6]string{unauth, ok, notFound, notFound, notFound, ok}},
	{name: "me", query: `{ me { id username email role bookings { id } } }`,
		want: [6]string{unauth, ok, ok, ok, ok, ok},
		data: [6]string{"", `"role":"CUSTOMER"`, `"role":"CUSTOMER"`, `"role":"ORGANIZER"`, `"role":"ORGANIZER"`, `"role":"ADMIN"`}},

	// Bookings: lists are scoped to what the caller may see.
	{name: "bookings", query: `{ bookings { total items { id user { username } event { title } } } }`,
		want: [6]string{unauth, ok, ok, ok, ok, ok},
		data: [6]string{"", `"total":1`, `"total":1`, `"total":2`, `"total":0`, `"total":2`}},
	{name: "bookings(filter on the buyer)", query: `query($id: ID!) { bookings(filter: {userId: $id}) { total } }`, vars: bookerID,
		want: [6]string{unauth, ok, forbid, ok, ok, ok},
		data: [6]string{"", `"total":1`, "", `"total":1`, `"total":0`, `"total":1`}},
	{name: "booking(the buyer's)", query: `query($id: ID!) { booking(id: $id) { id numberOfTickets user { username } event { title } } }`, vars: bookedID,
		want: [6]string{unauth, ok, notFound, ok, notFound, ok}},

	// Events are public; their bookings are not.
	{name: "events", query: `{ events { total items { id title price } } }`,
		want: [6]string{ok, ok, ok, ok, ok, ok}},
	{name: "event", query: `query($id: ID!) { event(id: $id) { id title availableTickets } }`, vars: eventID,
		want: [6]string{ok, ok, ok, ok, ok, ok}},
	{name: "popularEvents", query: `{ popularEvents { id title } }`,
		want: [6]string{ok, ok, ok, ok, ok, ok}},
	{name: "upcomingEvents", query: `{ upcomingEvents { id title } }`,
		want: [6]string{ok, ok, ok, ok, ok, ok}},
	{name: "event.bookings", query: `query($id: ID!) { event(id: $id) { id bookings { id } } }`, vars: eventID,
		want: [6]string{unauth, forbid, forbid, ok, forbid, ok}},
	{name: "events.bookings", query: `{ events { items { id bookings { id } } } }`,
		want: [6]string{unauth, forbid, forbid, ok, forbid, ok}},
	{name: "popularEvents.bookings", query: `{ popularEvents { id bookings { id } } }`,
		want: [6]string{unauth, forbid, forbid, ok, forbid, ok}},
	{name: "upcomingEvents.bookings", query: `{ upcomingEvents { id bookings { id } } }`,
		want: [6]string{unauth, forbid, forbid, ok, forbid, ok}},

	// Another user's private fields, reached through a booking: the
	// organizer sees who booked, not their email, role or bookings.
	{name: "event.bookings.user.username", query: `query($id: ID!) { event(id: $id) { bookings { user { username } } } }`, vars: eventID,
		want: [6]string{unauth, forbid, forbid, ok, forbid, ok}},
	{name: "event.bookings.user.email", query: `query($id: ID!) { event(id: $id) { bookings { user { username email } } } }`, vars: eventID,
		want: [6]string{unauth, forbid, forbid, forbid, forbid, ok}},
	{name: "booking.user.email", query: `query($id: ID!) { booking(id: $id) { user { email } } }`, vars: bookedID,
		want: [6]string{unauth, ok, notFound, forbid, notFound, ok}},
	{name: "booking.user.role", query: `query($id: ID!) { booking(id: $id) { user { role } } }`, vars: bookedID,
		want: [6]string{unauth, ok, notFound, forbid, notFound, ok}},
	{name: "booking.user.bookings", query: `query($id: ID!) { booking(id: $id) { user { bookings { id } } } }`, vars: bookedID,
		want: [6]string{unauth, ok, notFound, forbid, notFound, ok}},

	// Bookings, written.
	{name: "createBooking(for self)", query: bookFor,
		vars: vars(func(w *authzWorld, who string) map[string]any {
			return map[string]any{"u": w.self(who), "e": w.event.ID}
		}),
		want: [6]string{unauth, ok, ok, ok, ok, ok}},
	{name: "createBooking(for another user)", query: bookFor,
		vars: vars(func(w *authzWorld, who string) map[string]any {
			return map[string]any{"u": w.someoneElse(who), "e": w.event.ID}
		}),
		want: [6]string{unauth, forbid, forbid, forbid, forbid, ok}},
	{name: "cancelBooking(the buyer's)", query: `mutation($id: ID!) { cancelBooking(id: $id) { id status } }`,
		vars: func(t *testing.T, w *authzWorld, _ string) map[string]any {
			return map[string]any{"id": w.s.book(t, w.accounts[buyer].ID, w.event.ID, 1).ID} // a fresh one each time
		},
		want: [6]string{unauth, ok, notFound, ok, notFound, ok}}, // the event's organizer too

	// Events, written.
	{name: "createEvent", query: `mutation($in: CreateEventInput!) { createEvent(input: $in) { id } }`,
		vars: vars(func(_ *authzWorld, who string) map[string]any {
			return map[string]any{"in": map[string]any{"title": "By " + who, "location": "Here", "totalTickets": 10, "price": 1,
				"date": time.Now().AddDate(0, 1, 0).Format(time.DateOnly)}}
		}),
		want: [6]string{unauth, forbid, forbid, ok, ok, ok}},
	{name: "updateEvent(the organizer's)", query: `mutation($id: ID!, $v: Int!) { updateEvent(id: $id, input: {version: $v, title: "Renamed"}) { version } }`,
		vars: func(t *testing.T, w *authzWorld, _ string) map[string]any {
			var out struct{ Event eventOut }
			w.s.data(t, `query($id: ID!) { event(id: $id) { version } }`, map[string]any{"id": w.event.ID}, &out)
			return map[string]any{"id": w.event.ID, "v": out.Event.Version}
		},
		want: [6]string{unauth, forbid, forbid, ok, forbid, ok}},

	// Users, written: admins only.
	{name: "createUser", query: `mutation($in: CreateUserInput!) { createUser(input: $in) { id email role } }`,
		vars: vars(func(_ *authzWorld, who string) map[string]any {
			return map[string]any{"in": map[string]any{"username": "new " + who, "email": "new-" + who + "@example.com",
				"password": "a-long-password", "role": "ORGANIZER"}}
		}),
		want: [6]string{unauth, forbid, forbid, forbid, forbid, ok},
		data: [6]string{5: `"role":"ORGANIZER"`}},
	{name: "setUserRole", query: `mutation($id: ID!) { setUserRole(userId: $id, role: ORGANIZER) { id role } }`,
		vars: vars(func(w *authzWorld, _ string) map[string]any { return map[string]any{"id": w.spare.ID} }),
		want: [6]string{unauth, forbid, forbid, forbid, forbid, ok},
		data: [6]string{5: `"role":"ORGANIZER"`}},

	// Accounts. The payload's user is the signed-in one, who sees their
	// own email and role whoever asked.
	{name: "signUp", query: signUpMutation,
		vars: vars(func(_ *authzWorld, who string) map[string]any {
			return map[string]any{"in": map[string]any{"username": "signup " + who, "email": "signup-" + who + "@example.com", "password": "a-long-password"}}
		}),
		want: [6]string{ok, ok, ok, ok, ok, ok},
		data: [6]string{`"role":"CUSTOMER"`, `"role":"CUSTOMER"`, `"role":"CUSTOMER"`, `"role":"CUSTOMER"`, `"role":"CUSTOMER"`, `"role":"CUSTOMER"`}},
	{name: "signIn(as self; anonymous as the buyer)", query: signInMutation,
		vars: vars(func(w *authzWorld, who string) map[string]any {
			a := w.accounts[who]
			if who == anonymous {
				a = w.accounts[buyer]
			}
			return map[string]any{"in": map[string]any{"email": a.Email, "password": a.Password}}
		}),
		want: [6]string{ok, ok, ok, ok, ok, ok},
		data: [6]string{`"role":"CUSTOMER"`, `"role":"CUSTOMER"`, `"role":"CUSTOMER"`, `"role":"ORGANIZER"`, `"role":"ORGANIZER"`, `"role":"ADMIN"`}},
	{name: "changePassword", query: changePassword,
		vars: vars(func(w *authzWorld, who string) map[string]any {
			a := w.accounts[who]
			return map[string]any{"in": map[string]any{"currentPassword": a.Password, "newPassword": a.Password + "-changed"}}
		}),
		want: [6]string{unauth, ok, ok, ok, ok, ok},
		// The old token is revoked: go on with the new one.
		after: func(t *testing.T, w *authzWorld, who string, data json.RawMessage) {
			var out struct{ ChangePassword authPayloadOut }
			if err := json.Unmarshal(data, &out); err != nil {
				t.Fatal(err)
			}
			a := w.accounts[who]
			w.accounts[who] = out.ChangePassword.account(a.Password + "-changed")
		}},
	{name: "signOut", query: `mutation { signOut }`,
		want: [6]string{unauth, ok, ok, ok, ok, ok}},
}

const (
	bookFor = `mutation($u: ID!, $e: ID!) {
		createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id user { username } }
	}`
	changePassword = `mutation($in: ChangePasswordInput!) { changePassword(input: $in) { ` + authFields + ` } }`
)

// Every operation and every protected field, tried by every kind of caller:
// each gets exactly the outcome the policy (policy.go) gives it.
func TestAuthorization(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		w := newAuthzWorld(t, s)
		// In order, not in parallel: the writes change the world.
		for _, row := range authzRows {
			t.Run(row.name, func(t *testing.T) {
				for i, who := range callers {
					t.Run(who, func(t *testing.T) { row.check(t, w, i, who) })
				}
			})
		}
	})
}

func (row authzRow) check(t *testing.T, w *authzWorld, i int, who string) {
	var vs map[string]any
	if row.vars != nil {
		vs = row.vars(t, w, who)
	}
	r := w.as(who).post(t, row.query, vs)
	if r.status != http.StatusOK {
		t.Fatalf("status %d, errors %+v", r.status, r.Errors)
	}
	want := row.want[i]
	if want == ok {
		if len(r.Errors) > 0 {
			t.Fatalf("want success, got %+v", r.Errors)
		}
		if part := row.data[i]; part != "" && !strings.Contains(string(r.Data), part) {
			t.Errorf("want %s in %s", part, r.Data)
		}
		if row.after != nil {
			row.after(t, w, who, r.Data)
		}
		return
	}
	// A field in a list fails once per item: every error has the code.
	if len(r.Errors) == 0 {
		t.Fatalf("want %s, got success: %s", want, r.Data)
	}
	for _, e := range r.Errors {
		if e.code() != want {
			t.Errorf("want %s, got %s (%s at %v)", want, e.code(), e.Message, e.Path)
		}
	}
}

// A wrong password and an unknown email read the same, so sign-in does
// not tell which emails have accounts.
func TestSignInWrongPasswordLooksLikeUnknownEmail(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		pat := s.signUp(t, "pat")
		anon := s.as("")
		signIn := func(email, password string) map[string]any {
			return map[string]any{"in": map[string]any{"email": email, "password": password}}
		}
		wrong := anon.fails(t, signInMutation, signIn(pat.Email, "not-the-password"), "UNAUTHENTICATED", "")
		unknown := anon.fails(t, signInMutation, signIn("nobody@example.com", "not-the-password"), "UNAUTHENTICATED", "")
		if wrong.Message != unknown.Message {
			t.Errorf("wrong password %q, unknown email %q", wrong.Message, unknown.Message)
		}
		// In any case of the email, the right password works.
		if a := s.signIn(t, strings.ToUpper(pat.Email), pat.Password); a.ID != pat.ID || a.Token == "" {
			t.Errorf("signed in as %+v", a)
		}
	})
}

func TestSignOutRevokesTheTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		quinn := s.signUp(t, "quinn")
		also := s.signIn(t, quinn.Email, quinn.Password) // a second session
		me := `{ me { id email } }`

		var out struct{ SignOut bool }
		s.as(quinn.Token).data(t, `mutation { signOut }`, nil, &out)
		if !out.SignOut {
			t.Fatal("signOut: false")
		}
		for _, token := range []string{quinn.Token, also.Token} {
			if _, err := s.svc.Accounts.Authenticate(t.Context(), token, nil); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
				t.Errorf("Authenticate after signOut: %v", err)
			}
			r := s.as(token).post(t, me, nil)
			if r.status != http.StatusUnauthorized {
				t.Errorf("me after signOut: status %d", r.status)
			}
			oneError(t, r, "UNAUTHENTICATED", "")
		}
		// Signing in again works.
		var again struct{ Me userOut }
		s.as(s.signIn(t, quinn.Email, quinn.Password).Token).data(t, me, nil, &again)
		if again.Me.ID != quinn.ID {
			t.Errorf("me: %+v", again.Me)
		}
	})
}

func TestChangePassword(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		rae := s.signUp(t, "rae")
		change := func(current, next string) map[string]any {
			return map[string]any{"in": map[string]any{"currentPassword": current, "newPassword": next}}
		}
		s.as(rae.Token).fails(t, changePassword, change("not-the-password", "a-new-long-password"), "BAD_USER_INPUT", "currentPassword")
		s.as(rae.Token).fails(t, changePassword, change(rae.Password, "short"), "BAD_USER_INPUT", "newPassword")

		var out struct{ ChangePassword authPayloadOut }
		s.as(rae.Token).data(t, changePassword, change(rae.Password, "a-new-long-password"), &out)
		fresh := out.ChangePassword
		if fresh.Token == "" || fresh.Token == rae.Token || fresh.User.ID != rae.ID || fresh.User.Email != rae.Email {
			t.Fatalf("payload: %+v", fresh)
		}
		if _, err := s.svc.Accounts.Authenticate(t.Context(), rae.Token, nil); boxoffice.ErrorCode(err) != boxoffice.EUNAUTHENTICATED {
			t.Errorf("the old token after changePassword: %v", err)
		}
		oneError(t, s.as(rae.Token).post(t, `{ me { id } }`, nil), "UNAUTHENTICATED", "")

		var me struct{ Me userOut }
		s.as(fresh.Token).data(t, `{ me { id email } }`, nil, &me)
		if me.Me.ID != rae.ID {
			t.Errorf("me with the new token: %+v", me.Me)
		}
		s.as("").fails(t, signInMutation, map[string]any{"in": map[string]any{"email": rae.Email, "password": rae.Password}}, "UNAUTHENTICATED", "")
		s.signIn(t, rae.Email, "a-new-long-password")
	})
}

// Guessing passwords: the sixth attempt for one email within a minute is
// refused, with how long to wait, whatever the password.
func TestSignInBruteForce(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		sam := s.signUp(t, "sam")
		anon := s.as("")
		attempt := func(password string) gqlResponse {
			return anon.post(t, signInMutation, map[string]any{"in": map[string]any{"email": sam.Email, "password": password}})
		}
		for i := range 5 { // service.DefaultLimits.SignInPerEmail
			oneError(t, attempt("guess-number-"+string(rune('0'+i))), "UNAUTHENTICATED", "")
		}
		e := oneError(t, attempt("guess-number-6"), "RATE_LIMITED", "")
		retry, _ := e.Extensions["retryAfter"].(float64)
		if retry < 1 || retry > 60 || retry != float64(int(retry)) {
			t.Errorf("retryAfter: %v (%+v)", e.Extensions["retryAfter"], e)
		}
		oneError(t, attempt(sam.Password), "RATE_LIMITED", "")

		// Other accounts are not locked out.
		tia := s.signUp(t, "tia")
		s.signIn(t, tia.Email, tia.Password)
	})
}

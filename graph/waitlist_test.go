package graph_test

import (
	"testing"

	"github.com/boxoffice/boxoffice"
)

// The waiting list over HTTP, on both engines: a buyer joins a sold-out
// event's list and sees their place; the organizer sees the list and its
// length, others do not; a cancellation's ticket goes to the first entry,
// not to the public; leaving is for waiting entries.
func TestWaitlistOverTheAPI(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		s := newTestServerOn(t, engine)
		olga := s.newAccount(t, "olga", boxoffice.RoleOrganizer)
		ann, bob, cat := s.signUp(t, "ann"), s.signUp(t, "bob"), s.signUp(t, "cat")
		ev := s.as(olga.Token).createEvent(t, "Gala", 1, 0, 3)
		s.as(ann.Token).fails(t, `mutation($e: ID!) { joinWaitlist(eventId: $e, numberOfTickets: 1) { id } }`,
			map[string]any{"e": ev.ID}, "CONFLICT", "")
		held := s.as(ann.Token).book(t, ann.ID, ev.ID, 1)

		type entry struct {
			ID       string
			Status   string
			Position *int
			Offer    *struct{ ID, Status string }
			User     struct{ ID string }
		}
		join := func(a account, n int) entry {
			t.Helper()
			var out struct{ JoinWaitlist entry }
			s.as(a.Token).data(t, `mutation($e: ID!, $n: Int!) { joinWaitlist(eventId: $e, numberOfTickets: $n) { id status position user { id } } }`,
				map[string]any{"e": ev.ID, "n": n}, &out)
			return out.JoinWaitlist
		}
		bobs, cats := join(bob, 1), join(cat, 1)
		if bobs.Status != "WAITING" || bobs.Position == nil || *bobs.Position != 1 || cats.Position == nil || *cats.Position != 2 {
			t.Fatalf("joined: %+v, %+v; want Bob 1st and Cat 2nd, waiting", bobs, cats)
		}
		s.as(bob.Token).fails(t, `mutation($e: ID!) { joinWaitlist(eventId: $e, numberOfTickets: 1) { id } }`, map[string]any{"e": ev.ID}, "CONFLICT", "")
		s.as(bob.Token).fails(t, `mutation($e: ID!) { joinWaitlist(eventId: $e, numberOfTickets: 11) { id } }`, map[string]any{"e": ev.ID}, "BAD_USER_INPUT", "numberOfTickets")
		s.as(ann.Token).fails(t, `query($e: ID!) { waitlist(eventId: $e) { id } }`, map[string]any{"e": ev.ID}, "FORBIDDEN", "")
		s.as(ann.Token).fails(t, `mutation($id: ID!) { leaveWaitlist(id: $id) { id } }`, map[string]any{"id": cats.ID}, "NOT_FOUND", "")
		var list struct {
			Waitlist []entry
			Event    struct{ WaitlistLength int }
		}
		s.as(olga.Token).data(t, `query($e: ID!) { waitlist(eventId: $e) { id status position user { id } } event(id: $e) { waitlistLength } }`,
			map[string]any{"e": ev.ID}, &list)
		if len(list.Waitlist) != 2 || list.Waitlist[0].User.ID != bob.ID || list.Event.WaitlistLength != 2 {
			t.Fatalf("the organizer's view: %+v", list)
		}

		// Ann cancels: her ticket is Bob's, not the public's.
		var cancelled struct{ CancelBooking struct{ Status string } }
		s.as(ann.Token).data(t, `mutation($id: ID!) { cancelBooking(id: $id) { status } }`, map[string]any{"id": held.ID}, &cancelled)
		s.as(ann.Token).fails(t, `mutation($u: ID!, $e: ID!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: 1}) { id } }`,
			map[string]any{"u": ann.ID, "e": ev.ID}, "SOLD_OUT", "")
		if _, err := s.svc.Waitlist.Serve(t.Context()); err != nil { // the periodic job's work
			t.Fatal(err)
		}
		var mine struct{ MyWaitlist []entry }
		s.as(bob.Token).data(t, `{ myWaitlist { id status position offer { id status } } }`, nil, &mine)
		if len(mine.MyWaitlist) != 1 || mine.MyWaitlist[0].Status != "ACCEPTED" || mine.MyWaitlist[0].Offer == nil ||
			mine.MyWaitlist[0].Offer.Status != "CONFIRMED" || mine.MyWaitlist[0].Position != nil {
			t.Fatalf("Bob's entry after the cancellation: %+v; want ACCEPTED with a CONFIRMED booking (free event)", mine.MyWaitlist)
		}
		s.as(bob.Token).fails(t, `mutation($id: ID!) { leaveWaitlist(id: $id) { id } }`, map[string]any{"id": bobs.ID}, "CONFLICT", "")
		var left struct{ LeaveWaitlist entry }
		s.as(cat.Token).data(t, `mutation($id: ID!) { leaveWaitlist(id: $id) { id status position } }`, map[string]any{"id": cats.ID}, &left)
		if left.LeaveWaitlist.Status != "LEFT" || left.LeaveWaitlist.Position != nil {
			t.Errorf("Cat left: %+v", left.LeaveWaitlist)
		}
	})
}

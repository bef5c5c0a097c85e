package storetest

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// Race sizes: as many buyers as the README promises, for a fifth of the
// tickets.
const (
	raceBuyers  = 300
	raceTickets = 50
)

// raceTimeout bounds a race: a deadlock fails the test instead of hanging it.
const raceTimeout = 2 * time.Minute

func testRace(t *testing.T, open Opener) {
	t.Run("BookBatchOversell", func(t *testing.T) {
		s := Migrated(t, open)
		users := raceUsers(t, s, 10)
		ev := MustCreateEvent(t, s, raceTickets, time.Hour)
		ctx, cancel := context.WithTimeout(t.Context(), raceTimeout)
		defer cancel()

		var ok, soldOut atomic.Int64
		race(raceBuyers, func(i int) {
			req := boxoffice.BookingRequest{UserID: users[i%len(users)].ID, EventID: ev.ID, Tickets: 1}
			res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{req}, boxoffice.BookingTerms{})
			switch {
			case err != nil:
				t.Errorf("buyer %d: BookBatch: %v", i, err)
			case len(res) != 1:
				t.Errorf("buyer %d: %d results for 1 request", i, len(res))
			case res[0].Err == nil && res[0].Booking != nil && res[0].Booking.UserID == req.UserID:
				ok.Add(1)
			case boxoffice.ErrorCode(res[0].Err) == boxoffice.ESOLDOUT:
				CheckError(t, res[0].Err)
				soldOut.Add(1)
			default:
				t.Errorf("buyer %d: unexpected result %+v", i, res[0])
			}
		})
		wantSoldOut(t, s, ev, ok.Load(), soldOut.Load())
	})

	t.Run("BooksAndCancels", func(t *testing.T) {
		s := Migrated(t, open)
		users := raceUsers(t, s, 8)
		a := MustCreateEvent(t, s, 30, time.Hour)
		b := MustCreateEvent(t, s, 20, 2*time.Hour)
		c := MustCreateEvent(t, s, 20, 3*time.Hour)
		past := MustCreateEvent(t, s, 10, -time.Hour)
		events := []*boxoffice.Event{a, b, c, past}
		ctx, cancel := context.WithTimeout(t.Context(), raceTimeout)
		defer cancel()

		// What the test itself saw happen, to check the store against.
		var mu sync.Mutex
		sold := map[string]int{}
		record := func(eventID string, n int) {
			mu.Lock()
			sold[eventID] += n
			mu.Unlock()
		}

		// Bookings to cancel while the others book.
		var toCancel []*boxoffice.Booking
		for i := range 12 {
			bk := MustBook(t, s, users[i%len(users)], events[i%2], 1+i%2)
			record(bk.EventID, bk.NumberOfTickets)
			toCancel = append(toCancel, bk)
		}
		contested := toCancel[len(toCancel)-1] // cancelled by several at once
		toCancel = toCancel[:len(toCancel)-1]
		var contestedWins atomic.Int64

		const (
			bookers      = 60
			cancellers   = 11 // len(toCancel)
			contenders   = 5
			bookCancels  = 20
			readers      = 4
			participants = bookers + cancellers + contenders + bookCancels + readers
		)
		var done atomic.Bool // the readers stop when the writers are done
		var writersLeft atomic.Int64
		writersLeft.Store(participants - readers)
		race(participants, func(i int) {
			if i < participants-readers {
				defer func() {
					if writersLeft.Add(-1) == 0 {
						done.Store(true)
					}
				}()
			}
			switch {
			case i < bookers:
				// 1 to 3 requests over the events, in varying orders: batches
				// that lock the same events in opposite orders must not deadlock.
				var reqs []boxoffice.BookingRequest
				for j := range 1 + i%3 {
					ev := events[(i+j*(1+i%2))%len(events)]
					reqs = append(reqs, boxoffice.BookingRequest{UserID: users[(i+j)%len(users)].ID, EventID: ev.ID, Tickets: 1 + (i+j)%3})
				}
				res, err := s.Bookings().BookBatch(ctx, reqs, boxoffice.BookingTerms{})
				if err != nil || len(res) != len(reqs) {
					t.Errorf("booker %d: BookBatch: %d results, %v", i, len(res), err)
					return
				}
				for j, r := range res {
					switch code := boxoffice.ErrorCode(r.Err); {
					case code == "" && r.Booking != nil:
						record(r.Booking.EventID, r.Booking.NumberOfTickets)
					case code == boxoffice.ESOLDOUT && reqs[j].EventID != past.ID:
					case code == boxoffice.ECONFLICT && reqs[j].EventID == past.ID:
					default:
						t.Errorf("booker %d, request %d %+v: %+v", i, j, reqs[j], r)
					}
				}
			case i < bookers+cancellers:
				bk := toCancel[i-bookers]
				got, err := cancelBooking(ctx, s, bk.ID, boxoffice.Now())
				if err != nil {
					t.Errorf("cancel %s: %v", bk.ID, err)
					return
				}
				if got.Status != boxoffice.BookingCancelled {
					t.Errorf("cancel %s: status %q", bk.ID, got.Status)
				}
				record(bk.EventID, -bk.NumberOfTickets)
			case i < bookers+cancellers+contenders:
				_, err := cancelBooking(ctx, s, contested.ID, boxoffice.Now())
				switch boxoffice.ErrorCode(err) {
				case "":
					contestedWins.Add(1)
					record(contested.EventID, -contested.NumberOfTickets)
				case boxoffice.ECONFLICT:
				default:
					t.Errorf("contended cancel: %v", err)
				}
			case i < bookers+cancellers+contenders+bookCancels:
				res, err := s.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: users[i%len(users)].ID, EventID: a.ID, Tickets: 1}}, boxoffice.BookingTerms{})
				if err != nil || len(res) != 1 {
					t.Errorf("book-cancel %d: BookBatch: %d results, %v", i, len(res), err)
					return
				}
				if boxoffice.ErrorCode(res[0].Err) == boxoffice.ESOLDOUT {
					return
				} else if res[0].Err != nil {
					t.Errorf("book-cancel %d: %v", i, res[0].Err)
					return
				}
				record(a.ID, 1)
				if _, err := cancelBooking(ctx, s, res[0].Booking.ID, boxoffice.Now()); err != nil {
					t.Errorf("book-cancel %d: cancel: %v", i, err)
					return
				}
				record(a.ID, -1)
			default:
				// Readers see consistent pages while the writers work.
				for !done.Load() && ctx.Err() == nil {
					for _, ev := range events {
						if _, _, err := s.Bookings().Find(ctx, boxoffice.BookingFilter{EventID: ev.ID, Page: boxoffice.Page{Page: 1, Limit: 5}}); err != nil {
							t.Errorf("reader: FindBookings: %v", err)
							return
						}
						if e, err := s.Events().ByID(ctx, ev.ID); err != nil {
							t.Errorf("reader: FindEventByID: %v", err)
							return
						} else if e.AvailableTickets < 0 || e.AvailableTickets > e.TotalTickets {
							t.Errorf("reader: event %s has %d of %d available", e.ID, e.AvailableTickets, e.TotalTickets)
						}
					}
					time.Sleep(time.Millisecond)
				}
			}
		})

		if n := contestedWins.Load(); n != 1 {
			t.Errorf("%d concurrent cancels of one booking succeeded, want exactly 1", n)
		}
		for _, ev := range events {
			got := MustFindEvent(t, s, ev.ID)
			if want := ev.TotalTickets - sold[ev.ID]; got.AvailableTickets != want {
				t.Errorf("event %s: %d available, but the test saw %d sold of %d", ev.ID, got.AvailableTickets, sold[ev.ID], ev.TotalTickets)
			}
		}
		if sold[past.ID] != 0 {
			t.Errorf("tickets sold for an event in the past: %d", sold[past.ID])
		}
		AssertInvariants(t, s)
	})
}

// race runs fn(0) … fn(n-1) on n goroutines released together by a start
// barrier, and waits for them all.
func race(n int, fn func(i int)) {
	start := make(chan struct{})
	var ready, wg sync.WaitGroup
	ready.Add(n)
	for i := range n {
		wg.Go(func() {
			ready.Done()
			<-start
			fn(i)
		})
	}
	ready.Wait() // every goroutine is up and waiting
	close(start)
	wg.Wait()
}

// raceUsers creates n users.
func raceUsers(t *testing.T, s boxoffice.Store, n int) []*boxoffice.User {
	t.Helper()
	users := make([]*boxoffice.User, n)
	for i := range users {
		users[i] = MustCreateUser(t, s, fmt.Sprintf("buyer%02d", i))
	}
	return users
}

// wantSoldOut checks the outcome of an oversell race: exactly as many
// bookings as tickets, every other buyer told ESOLDOUT, and the store to
// agree.
func wantSoldOut(t *testing.T, s boxoffice.Store, ev *boxoffice.Event, ok, soldOut int64) {
	t.Helper()
	if ok != raceTickets || soldOut != raceBuyers-raceTickets {
		t.Errorf("%d buyers for %d tickets: %d booked, %d sold out; want %d and %d",
			raceBuyers, raceTickets, ok, soldOut, raceTickets, raceBuyers-raceTickets)
	}
	WantAvailable(t, s, ev.ID, 0)
	_, n, err := s.Bookings().Find(context.Background(), boxoffice.BookingFilter{
		EventID: ev.ID, Status: boxoffice.BookingConfirmed, Page: boxoffice.Page{Page: 1, Limit: 1},
	})
	if err != nil || n != raceTickets {
		t.Errorf("FindBookings: %d confirmed bookings (err %v), want %d", n, err, raceTickets)
	}
	AssertInvariants(t, s)
}

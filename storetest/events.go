package storetest

import (
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

func testEvents(t *testing.T, open Opener) {
	t.Run("CreateFind", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		plain := MustCreateEvent(t, s, 10, 24*time.Hour)
		desc := "An evening of \"quotes\", 'apostrophes', ünïcödé and a % sign"
		rich := NewEvent(1_000_000, 90*24*time.Hour)
		rich.Title, rich.Location, rich.Description, rich.PriceCents = "Rich", "Stadium", &desc, boxoffice.MaxPriceCents
		MustInsertEvent(t, s, rich)
		zoned := NewEvent(3, 0)
		zoned.Date = time.Date(2099, 12, 31, 23, 30, 0, 123456000, time.FixedZone("UTC+5", 5*3600)) // 18:30 UTC
		zoned.Title = "Zoned"
		MustInsertEvent(t, s, zoned)

		for _, want := range []*boxoffice.Event{plain, rich, zoned} {
			got, err := s.Events().ByID(ctx, want.ID)
			if err != nil {
				t.Fatalf("FindEventByID: %v", err)
			}
			if d := diffEvent(got, want); d != "" {
				t.Errorf("stored event differs from the created one: %s", d)
			}
		}
		_, err := s.Events().ByID(ctx, boxoffice.NewID())
		WantCode(t, err, boxoffice.ENOTFOUND)

		dup := NewEvent(5, time.Hour)
		dup.ID = plain.ID
		WantCode(t, s.Events().Create(ctx, dup), boxoffice.ECONFLICT)
		if got := MustFindEvent(t, s, plain.ID); got.TotalTickets != 10 {
			t.Errorf("a conflicting insert changed the event: %d tickets", got.TotalTickets)
		}
	})

	t.Run("ListOrderAndPages", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		date := Tick().Add(time.Hour)
		mk := func(d time.Time) *boxoffice.Event {
			e := NewEvent(5, 0)
			e.Date = d
			return MustInsertEvent(t, s, e)
		}
		e0 := mk(date.Add(time.Hour))
		e1 := mk(date)
		e2 := mk(date) // same date, created later: comes first
		e3 := mk(date.Add(2 * time.Hour))
		e4 := mk(date.Add(-2 * time.Hour))
		want := []*boxoffice.Event{e4, e2, e1, e0, e3}

		got, total, err := s.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}})
		if err != nil {
			t.Fatalf("FindEvents: %v", err)
		}
		if total != 5 {
			t.Errorf("total %d, want 5", total)
		}
		wantIDs(t, "events by date, then newest first", eventIDs(got), eventIDs(want))

		got, total, err = s.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 2, Limit: 2}})
		if err != nil || total != 5 {
			t.Fatalf("FindEvents page 2: total %d, err %v", total, err)
		}
		wantIDs(t, "page 2 of 2", eventIDs(got), eventIDs(want[2:4]))

		got, total, err = s.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 4, Limit: 2}})
		if err != nil || total != 5 || got == nil || len(got) != 0 {
			t.Errorf("page past the end: %v, total %d, err %v; want an empty list, 5", got, total, err)
		}
	})

	t.Run("PopularEvents", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "fan")
		e5 := MustCreateEvent(t, s, 5, time.Hour)
		e3 := MustCreateEvent(t, s, 3, 2*time.Hour)
		e8 := MustCreateEvent(t, s, 8, 3*time.Hour)
		e9 := MustCreateEvent(t, s, 9, 4*time.Hour)
		MustBook(t, s, u, e8, 7) // 1 left: now the most popular

		got, err := s.Events().Popular(ctx, 3)
		if err != nil {
			t.Fatalf("PopularEvents: %v", err)
		}
		wantIDs(t, "PopularEvents(3), fewest available first", eventIDs(got), eventIDs([]*boxoffice.Event{e8, e3, e5}))
		if len(got) > 0 && got[0].AvailableTickets != 1 {
			t.Errorf("PopularEvents: first has %d available, want 1", got[0].AvailableTickets)
		}
		got, err = s.Events().Popular(ctx, 10)
		if err != nil {
			t.Fatalf("PopularEvents: %v", err)
		}
		wantIDs(t, "PopularEvents(10)", eventIDs(got), eventIDs([]*boxoffice.Event{e8, e3, e5, e9}))
	})

	t.Run("UpcomingEvents", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		past := MustCreateEvent(t, s, 5, -time.Hour)
		in3 := MustCreateEvent(t, s, 5, 3*time.Hour)
		in1 := MustCreateEvent(t, s, 5, time.Hour)
		in2 := MustCreateEvent(t, s, 5, 2*time.Hour)
		_ = past

		got, err := s.Events().Upcoming(ctx, boxoffice.Now(), 2)
		if err != nil {
			t.Fatalf("UpcomingEvents: %v", err)
		}
		wantIDs(t, "UpcomingEvents(now, 2)", eventIDs(got), eventIDs([]*boxoffice.Event{in1, in2}))

		got, err = s.Events().Upcoming(ctx, boxoffice.Now(), 10)
		if err != nil {
			t.Fatalf("UpcomingEvents: %v", err)
		}
		wantIDs(t, "UpcomingEvents(now, 10)", eventIDs(got), eventIDs([]*boxoffice.Event{in1, in2, in3}))

		// "After now" is strictly after the time given, not the clock's.
		got, err = s.Events().Upcoming(ctx, in2.Date, 10)
		if err != nil {
			t.Fatalf("UpcomingEvents: %v", err)
		}
		wantIDs(t, "UpcomingEvents(in2's date)", eventIDs(got), eventIDs([]*boxoffice.Event{in3}))
	})

	t.Run("UpdateEvent", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		ev := MustCreateEvent(t, s, 10, 24*time.Hour)
		other := MustCreateEvent(t, s, 10, 24*time.Hour)

		title, loc, desc := "Renamed", "Arena", "Now with fireworks"
		date := ev.Date.Add(48 * time.Hour)
		price := int64(4999)
		got, err := updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{
			Title: &title, Location: &loc, Description: &desc, Date: &date, PriceCents: &price, Version: 1,
		})
		if err != nil {
			t.Fatalf("UpdateEvent: %v", err)
		}
		want := *ev
		want.Title, want.Location, want.Description, want.Date, want.PriceCents, want.Version = title, loc, &desc, date, price, 2
		want.UpdatedAt = got.UpdatedAt
		if d := diffEvent(got, &want); d != "" {
			t.Errorf("UpdateEvent returned: %s", d)
		}
		if got.UpdatedAt.Before(ev.UpdatedAt) {
			t.Errorf("UpdatedAt went back: %v before %v", got.UpdatedAt, ev.UpdatedAt)
		}
		if d := diffEvent(MustFindEvent(t, s, ev.ID), got); d != "" {
			t.Errorf("stored event differs from the one UpdateEvent returned: %s", d)
		}
		if d := diffEvent(MustFindEvent(t, s, other.ID), other); d != "" {
			t.Errorf("UpdateEvent changed another event: %s", d)
		}

		// What UpdateEvent returns is what it stored: a date given to the
		// nanosecond in another zone comes back as kept (UTC, microseconds).
		zoned := time.Now().Add(72 * time.Hour).In(time.FixedZone("UTC-7", -7*3600))
		if zoned.Nanosecond()%1000 == 0 {
			zoned = zoned.Add(123 * time.Nanosecond)
		}
		got, err = updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{Date: &zoned, Version: 2})
		if err != nil {
			t.Fatalf("UpdateEvent date: %v", err)
		}
		if d := diffEvent(MustFindEvent(t, s, ev.ID), got); d != "" {
			t.Errorf("UpdateEvent returned another event than it stored: %s", d)
		}
		wantTime(t, "UpdateEvent's date", got.Date, zoned.UTC().Truncate(time.Microsecond))
		got = MustFindEvent(t, s, ev.ID)

		// A stale version changes nothing.
		stale := "Stale"
		_, err = updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{Title: &stale, Version: 1})
		WantCode(t, err, boxoffice.ECONFLICT)
		if d := diffEvent(MustFindEvent(t, s, ev.ID), got); d != "" {
			t.Errorf("a stale update changed the event: %s", d)
		}

		// A malformed field changes nothing.
		blank := "  "
		_, err = updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{Title: &blank, Version: 3})
		WantCode(t, err, boxoffice.EINVALID)
		if f := boxoffice.ErrorField(err); f != "title" {
			t.Errorf("blank title: field %q, want title", f)
		}

		_, err = updateEvent(ctx, s, boxoffice.NewID(), boxoffice.EventUpdate{Title: &title, Version: 1})
		WantCode(t, err, boxoffice.ENOTFOUND)
		AssertInvariants(t, s)
	})

	t.Run("UpdateEventTickets", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		u := MustCreateUser(t, s, "buyer")
		ev := MustCreateEvent(t, s, 10, 24*time.Hour)
		MustBook(t, s, u, ev, 4)
		MustBook(t, s, u, ev, 2) // 6 sold, 4 left
		before := MustFindEvent(t, s, ev.ID)

		five := 5
		_, err := updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{TotalTickets: &five, Version: before.Version})
		WantCode(t, err, boxoffice.ECONFLICT)
		if d := diffEvent(MustFindEvent(t, s, ev.ID), before); d != "" {
			t.Errorf("totalTickets below sold changed the event: %s", d)
		}

		fifteen := 15
		got, err := updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{TotalTickets: &fifteen, Version: before.Version})
		if err != nil {
			t.Fatalf("UpdateEvent totalTickets 15: %v", err)
		}
		if got.TotalTickets != 15 || got.AvailableTickets != 9 || got.Version != before.Version+1 {
			t.Errorf("totalTickets 10 -> 15 with 6 sold: total %d, available %d, version %d; want 15, 9, %d",
				got.TotalTickets, got.AvailableTickets, got.Version, before.Version+1)
		}
		WantAvailable(t, s, ev.ID, 9)

		six := 6
		got, err = updateEvent(ctx, s, ev.ID, boxoffice.EventUpdate{TotalTickets: &six, Version: got.Version})
		if err != nil {
			t.Fatalf("UpdateEvent totalTickets down to the sold 6: %v", err)
		}
		if got.TotalTickets != 6 || got.AvailableTickets != 0 {
			t.Errorf("totalTickets down to sold: total %d, available %d; want 6, 0", got.TotalTickets, got.AvailableTickets)
		}
		WantAvailable(t, s, ev.ID, 0)
		AssertInvariants(t, s)

		// Sales leave the version alone: an organizer's edit must not fail
		// because tickets sold in between.
		ev2 := MustCreateEvent(t, s, 10, time.Hour)
		MustBook(t, s, u, ev2, 1)
		if v := MustFindEvent(t, s, ev2.ID).Version; v != 1 {
			t.Errorf("a booking bumped the event's version to %d", v)
		}
	})

	t.Run("FindEventsByIDs", func(t *testing.T) {
		ctx := t.Context()
		s := Migrated(t, open)
		a := MustCreateEvent(t, s, 1, time.Hour)
		b := MustCreateEvent(t, s, 2, -time.Hour)
		MustCreateEvent(t, s, 3, time.Hour)

		got, err := s.Events().ByIDs(ctx, []string{b.ID, boxoffice.NewID(), a.ID, a.ID})
		if err != nil {
			t.Fatalf("FindEventsByIDs: %v", err)
		}
		wantIDs(t, "FindEventsByIDs (any order, each once)", sorted(eventIDs(got)), sorted([]string{a.ID, b.ID}))
		for _, e := range got {
			want := a
			if e.ID == b.ID {
				want = b
			}
			if d := diffEvent(e, want); d != "" {
				t.Errorf("FindEventsByIDs: %s", d)
			}
		}
		got, err = s.Events().ByIDs(ctx, nil)
		if err != nil || got == nil || len(got) != 0 {
			t.Errorf("FindEventsByIDs(nil) = %v, %v; want an empty list", got, err)
		}
	})
}

package graph_test

import (
	"testing"
	"time"
)

const filteredIDs = `query($f: BookingFilterInput) {
	bookings(filter: $f) { items { id } total }
}`

func TestBookingFilterDates(t *testing.T) {
	s := newTestServer(t)
	w := seedReadme(t, s)

	created, err := time.Parse(time.RFC3339, w.aliceRock.CreatedAt)
	if err != nil {
		t.Fatal(err)
	}
	day := created.Format(time.DateOnly)
	before := created.Add(-24 * time.Hour).Format(time.DateOnly)
	after := created.Add(24 * time.Hour).Format(time.DateOnly)

	for _, tc := range []struct {
		name   string
		filter map[string]any
		want   int
	}{
		{"plain-date createdTo includes the whole day", map[string]any{"createdTo": day}, 3},
		{"plain-date createdFrom starts at midnight", map[string]any{"createdFrom": day}, 3},
		{"one day", map[string]any{"createdFrom": day, "createdTo": day}, 3},
		{"the day before", map[string]any{"createdTo": before}, 0},
		{"the day after", map[string]any{"createdFrom": after}, 0},
		{"timestamp createdTo is inclusive", map[string]any{"createdTo": w.aliceRock.CreatedAt, "userId": w.alice.ID}, 1},
		{"timestamp createdFrom is inclusive", map[string]any{"createdFrom": w.bobRock.CreatedAt}, 1},
		{"offsets are understood", map[string]any{"createdTo": created.In(time.FixedZone("", -5*3600)).Format(time.RFC3339Nano), "userId": w.alice.ID}, 1},
		{"by user and event", map[string]any{"userId": w.alice.ID, "eventId": w.rock.ID}, 1},
		{"by event", map[string]any{"eventId": w.rock.ID}, 2},
		{"by status", map[string]any{"status": "CANCELLED"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out struct{ Bookings page[bookingOut] }
			s.data(t, filteredIDs, map[string]any{"f": tc.filter}, &out)
			if out.Bookings.Total != tc.want || len(out.Bookings.Items) != tc.want {
				t.Fatalf("want %d, got %+v", tc.want, out.Bookings)
			}
		})
	}

	t.Run("createdFrom after createdTo", func(t *testing.T) {
		s.fails(t, filteredIDs, map[string]any{"f": map[string]any{"createdFrom": after, "createdTo": day}}, "BAD_USER_INPUT", "createdFrom")
	})
	t.Run("not a DateTime", func(t *testing.T) {
		e := s.fails(t, filteredIDs, map[string]any{"f": map[string]any{"createdFrom": "yesterday"}}, "BAD_USER_INPUT", "createdFrom")
		t.Log(e)
		s.fails(t, `{ bookings(filter: {createdTo: "2024-13-45"}) { total } }`, nil, "BAD_USER_INPUT", "createdTo")
		s.fails(t, `{ bookings(filter: {createdTo: 20240101}) { total } }`, nil, "BAD_USER_INPUT", "createdTo")
	})
	t.Run("unknown status", func(t *testing.T) {
		s.fails(t, filteredIDs, map[string]any{"f": map[string]any{"status": "LOST"}}, "BAD_USER_INPUT", "status")
	})
}

//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// mountTmpfs mounts a tmpfs of size bytes on a new directory, unmounted
// when t ends, and returns the directory. Mounting needs root (or
// CAP_SYS_ADMIN): without it the test is skipped, unless
// BOXOFFICE_REQUIRE_TMPFS=1, which makes it fail instead.
func mountTmpfs(t *testing.T, size int64) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		if os.Getenv("BOXOFFICE_REQUIRE_TMPFS") == "1" {
			t.Fatalf("BOXOFFICE_REQUIRE_TMPFS=1 but a tmpfs cannot be mounted here: %v", err)
		}
		t.Skipf("skipping: this test mounts a small tmpfs to fill it, which needs root or CAP_SYS_ADMIN: %v (set BOXOFFICE_REQUIRE_TMPFS=1 to fail instead)", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// freeBytes is the space left on the file system that holds dir.
func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// TestEmbeddedDiskFull runs `boxoffice serve` on the embedded database on
// a small tmpfs, and books until the disk is full. While it is full,
// bookings are refused with UNAVAILABLE (retry after 10 s, no SQLite words
// in the message), never INTERNAL; reads still work; /readyz stays 200 and
// reports the database degraded, as does boxoffice_dependency_state; the
// log says why. Once space is freed, bookings succeed again by themselves
// and the database is ready again. Every booking a client was told
// succeeded is stored, before and after a restart, and the tickets sold
// equal the tickets booked. (docs/operations.md, "Disk full".)
func TestEmbeddedDiskFull(t *testing.T) {
	// 16 MiB: the database, its WAL (up to 4 MB before SQLite checkpoints
	// it) and -shm, and a filler file that takes the rest but ~384 KiB.
	mnt := mountTmpfs(t, 16<<20)
	dbPath := filepath.Join(mnt, "boxoffice.db")
	dir := workdir(t, "DATABASE_URL=sqlite:"+dbPath, "RATE_LIMIT_MUTATIONS_PER_MINUTE=0")
	metricsAddr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	s := startServer(t, dir, "METRICS_ADDR="+metricsAddr)
	s.wantReadiness(t, 200, "ready", "database", "ready")
	s.signIn(t, "alice@example.com") // the demo admin, booking for the demo users
	client := newGQLClient(t)
	client.token = s.token
	ev := s.mustQuery(t, `mutation { createEvent(input: {title: "Full", date: "2099-01-01T20:00:00Z", location: "Hall", totalTickets: 1000000, price: 1}) { id } }`, nil)
	eventID := at(ev, "createEvent", "id").(string)
	var userIDs []string
	for _, u := range at(s.mustQuery(t, `{ users(pagination: {limit: 10}) { items { id } } }`, nil), "users", "items").([]any) {
		userIDs = append(userIDs, at(u, "id").(string))
	}

	filler := filepath.Join(mnt, "filler")
	free := freeBytes(t, mnt)
	if err := os.WriteFile(filler, make([]byte, free-384<<10), 0o600); err != nil {
		t.Fatalf("filler of %d bytes: %v", free-384<<10, err)
	}
	t.Logf("tmpfs of 16 MiB: %d KiB free before the filler, %d KiB after", free>>10, freeBytes(t, mnt)>>10)

	var (
		mu          sync.Mutex
		acked       = map[string]bool{}
		unavailable int
		bad         []string // answers other than success or UNAVAILABLE
	)
	book := func(ctx context.Context, g int) (id string, code string) {
		vars := map[string]any{"userId": userIDs[g%len(userIDs)], "input": map[string]any{"eventId": eventID, "numberOfTickets": 1}}
		r, err := client.do(ctx, s.url, `mutation($userId: ID!, $input: CreateBookingInput!) { createBooking(userId: $userId, input: $input) { id } }`, vars)
		mu.Lock()
		defer mu.Unlock()
		switch {
		case err != nil:
			bad = append(bad, "transport: "+err.Error())
		case len(r.Errors) == 0:
			id, _ = at(r.Data, "createBooking", "id").(string)
			if id == "" || acked[id] {
				bad = append(bad, fmt.Sprintf("success without a new booking id: %v", r.Data))
			}
			acked[id] = true
		case len(r.Errors) == 1 && r.codes()[0] == "UNAVAILABLE":
			code = "UNAVAILABLE"
			unavailable++
			e := r.Errors[0]
			low := strings.ToLower(e.Message)
			if strings.Contains(low, "sqlite") || strings.Contains(low, "disk is full") || strings.Contains(low, "(13)") {
				bad = append(bad, "UNAVAILABLE shows SQLite's words: "+e.Message)
			}
			if e.Extensions["retryAfter"] != float64(10) {
				bad = append(bad, fmt.Sprintf("UNAVAILABLE with retryAfter %v, want 10", e.Extensions["retryAfter"]))
			}
		default:
			code = strings.Join(r.codes(), ",")
			bad = append(bad, fmt.Sprintf("codes %v: %v at %v", r.codes(), r.Errors, r.paths))
		}
		return id, code
	}

	// Fill the disk: 8 buyers until 30 bookings were refused.
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for ctx.Err() == nil {
				book(ctx, g)
				mu.Lock()
				done := unavailable >= 30 || len(bad) > 20
				mu.Unlock()
				if done {
					return
				}
			}
		})
	}
	wg.Wait()
	if len(bad) > 0 {
		t.Fatalf("%d answers neither a booking nor UNAVAILABLE, e.g. %s\n%s", len(bad), bad[0], s.logs.String())
	}
	if unavailable < 30 {
		t.Fatalf("the disk never filled: %d bookings, %d refused, within the time limit", len(acked), unavailable)
	}
	ackedWhileFilling := len(acked)
	t.Logf("full after %d bookings; %d refused", ackedWhileFilling, unavailable)

	// Full: a booking is refused (retrying a few times, in case a
	// checkpoint made room), and the database is reported degraded.
	for i := 0; ; i++ {
		if _, code := book(t.Context(), i); code == "UNAVAILABLE" {
			break
		}
		if i == 20 {
			t.Fatalf("bookings succeed again on the full disk")
		}
	}
	detail := s.wantReadiness(t, 200, "degraded", "database", "degraded")
	if !strings.Contains(detail, "disk full") {
		t.Errorf("/readyz database detail %q does not say the disk is full", detail)
	}
	wantDependencyState(t, scrape(t, metricsAddr), "database", "degraded")
	s.mustQuery(t, `{ events(pagination: {limit: 5}) { total items { id availableTickets } } }`, nil) // reads work
	s.waitLog(t, 5*time.Second, "graphql unavailable", "database or disk is full")
	s.waitLog(t, 5*time.Second, "dependency degraded", "dependency=database", "disk full")

	// Space again: bookings succeed by themselves, and the database is ready.
	if err := os.Remove(filler); err != nil {
		t.Fatal(err)
	}
	resumed := false
	for i := 0; i < 50 && !resumed; i++ {
		id, _ := book(t.Context(), i)
		resumed = id != ""
	}
	if !resumed {
		t.Fatalf("bookings did not resume once space was freed:\n%s", s.logs.String())
	}
	for i := range 20 {
		if id, code := book(t.Context(), i); id == "" {
			t.Fatalf("booking %d after the recovery: %s", i, code)
		}
	}
	s.wantReadiness(t, 200, "ready", "database", "ready")
	wantDependencyState(t, scrape(t, metricsAddr), "database", "ready")
	s.waitLog(t, 5*time.Second, "dependency ready again", "dependency=database")
	if len(bad) > 0 {
		t.Fatalf("after the recovery: %s", bad[0])
	}

	// Nothing acknowledged was lost, and the counts agree: now, and after
	// a restart from the file.
	check := func(when string) {
		t.Helper()
		stored, err := eventBookings(t.Context(), client, s.url, eventID, "CONFIRMED")
		if err != nil {
			t.Fatal(err)
		}
		var lost []string
		for id := range acked {
			if _, ok := stored[id]; !ok {
				lost = append(lost, id)
			}
		}
		if len(lost) > 0 {
			slices.Sort(lost)
			t.Errorf("%s: %d acknowledged bookings are not stored, e.g. %s", when, len(lost), lost[0])
		}
		if len(stored) != len(acked) {
			t.Errorf("%s: %d bookings stored, %d acknowledged: a refused booking was written", when, len(stored), len(acked))
		}
		got := s.mustQuery(t, `query($id: ID!) { event(id: $id) { totalTickets availableTickets } }`, map[string]any{"id": eventID})
		if sold := int(at(got, "event", "totalTickets").(float64)) - int(at(got, "event", "availableTickets").(float64)); sold != len(acked) {
			t.Errorf("%s: %d tickets sold, %d bookings of one ticket acknowledged", when, sold, len(acked))
		}
	}
	check("after the recovery")
	s.stop(t)
	s = startServer(t, dir)
	s.signIn(t, "alice@example.com")
	client.token = s.token
	check("after a restart")
}

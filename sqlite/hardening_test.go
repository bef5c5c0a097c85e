package sqlite

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The database holds password hashes: it, and the files SQLite keeps
// beside it, are readable by their owner only, whatever the umask.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	db, err := Open(t.Context(), filepath.Join(dir, "boxoffice.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if perm := info.Mode().Perm(); perm&0o077 != 0 {
			t.Errorf("%s: mode %v, want 0600", e.Name(), perm)
		}
	}
}

// Stored times are fixed-width text that sorts in time order over the
// whole supported range; a time past it, such as a comparison bound, is
// written as the range's edge, and a five-digit year that an older version
// stored is still read.
func TestTimesOverTheSupportedRange(t *testing.T) {
	times := []time.Time{
		boxoffice.MinTime,
		time.Date(999, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Date(2024, 5, 1, 18, 0, 0, 0, time.UTC),
		boxoffice.MaxTime,
	}
	var texts []string
	for _, tm := range times {
		s := formatTime(tm)
		got, err := parseTime(s)
		if err != nil || !got.Equal(tm) {
			t.Errorf("%v: stored %q, read %v, %v", tm, s, got, err)
		}
		texts = append(texts, s)
	}
	if !slices.IsSorted(texts) {
		t.Errorf("stored times do not sort in time order: %q", texts)
	}
	if past := formatTime(boxoffice.MaxTime.Add(48 * time.Hour)); past != formatTime(boxoffice.MaxTime) {
		t.Errorf("a time past the range is stored as %q", past)
	}
	if before := formatTime(boxoffice.MinTime.Add(-time.Hour)); before != formatTime(boxoffice.MinTime) {
		t.Errorf("a time before the range is stored as %q", before)
	}
	old, err := parseTime("10000-01-01T23:58:59.000000Z")
	if err != nil || !old.Equal(time.Date(10000, 1, 1, 23, 58, 59, 0, time.UTC)) {
		t.Errorf("five-digit year: %v, %v", old, err)
	}
}

// An event stored in the year 10000 by an older version can be read, and
// updated back into the range.
func TestEventPastTheRangeCanBeRepaired(t *testing.T) {
	db := openDB(t)
	now := boxoffice.Now()
	e := &boxoffice.Event{ID: boxoffice.NewID(), Title: "Far", Location: "Hall", Date: now.Add(time.Hour),
		TotalTickets: 10, AvailableTickets: 10, Version: 1, CreatedAt: now, UpdatedAt: now}
	if err := db.Events().Create(t.Context(), e); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Writer().ExecContext(t.Context(), "UPDATE events SET date = ? WHERE id = ?", "10000-01-01T23:58:59.000000Z", e.ID); err != nil {
		t.Fatal(err)
	}
	got, err := db.Events().ByID(t.Context(), e.ID)
	if err != nil {
		t.Fatalf("read back: %v", err)
	}
	if got.Date.Year() != 10000 {
		t.Errorf("date read as %v", got.Date)
	}
	date := now.Add(2 * time.Hour)
	if _, err := db.Events().Update(t.Context(), e.ID, boxoffice.EventUpdate{Date: &date, Version: got.Version}.Apply); err != nil {
		t.Fatalf("repair: %v", err)
	}
	if _, _, err := db.Events().Find(t.Context(), boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}}); err != nil {
		t.Fatalf("list: %v", err)
	}
}

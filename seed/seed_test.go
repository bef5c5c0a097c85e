package seed_test

import (
	"path/filepath"
	"testing"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/seed"
	"github.com/boxoffice/boxoffice/sqlite"
	"github.com/boxoffice/boxoffice/storetest"
)

func TestLoadIsIdempotentAndConsistent(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "seed.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.MigrateUp(t.Context()); err != nil {
		t.Fatal(err)
	}
	first, err := seed.Load(t.Context(), db)
	if err != nil || first != (seed.Summary{Users: 10, Events: 12, Bookings: 12}) {
		t.Fatalf("first load: %+v %v", first, err)
	}
	second, err := seed.Load(t.Context(), db)
	if err != nil || second != (seed.Summary{}) {
		t.Fatalf("second load must create nothing: %+v %v", second, err)
	}
	storetest.AssertInvariants(t, db)
	upcoming, err := db.Events().Upcoming(t.Context(), boxoffice.Now(), 100)
	if err != nil || len(upcoming) != 12 {
		t.Fatalf("all 12 demo events must be upcoming: %d %v", len(upcoming), err)
	}
}

package postgres

import (
	"testing"

	"github.com/boxoffice/boxoffice/storetest"
)

// TestConformance runs the suite both stores must pass, each case on a
// fresh, empty, unmigrated store in a non-public schema of its own database.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Engine {
		return openDB(t, newDatabase(t), testSchema)
	})
}

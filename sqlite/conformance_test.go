package sqlite

import (
	"testing"

	"github.com/boxoffice/boxoffice/storetest"
)

// TestConformance runs the suite every store must pass, each case on a
// fresh, empty, unmigrated database file.
func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) storetest.Engine { return openEmpty(t) })
}

// Package boxoffice holds the domain of the boxoffice ticket booking server:
// users, events and bookings, the errors the server speaks in, and the
// interfaces that the stores (postgres, sqlite) implement and the transports
// (graph, http) call. It imports nothing of the project.
package boxoffice

import (
	"time"

	"github.com/google/uuid"
)

// NewID returns a new identifier: a time-ordered UUID (version 7), so that
// primary-key indexes grow at their right edge.
func NewID() string { return uuid.Must(uuid.NewV7()).String() }

// ValidID reports whether id is a UUID in its canonical textual form.
func ValidID(id string) bool {
	if len(id) != 36 {
		return false
	}
	_, err := uuid.Parse(id)
	return err == nil
}

// Now returns the current time as the stores keep it: UTC, to the microsecond
// (PostgreSQL's resolution), so both engines return identical timestamps.
func Now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

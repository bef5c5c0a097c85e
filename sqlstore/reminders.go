package sqlstore

import (
	"context"
	"time"
)

// reminders implements boxoffice.ReminderStore.
type reminders struct{ scope }

// Claim inserts the reminders in one statement; a booking another claim
// took in the meantime is skipped by the primary key (ON CONFLICT).
func (s reminders) Claim(ctx context.Context, from, to, now time.Time, limit int) ([]string, error) {
	found := []string{}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, rowsOf(&found, scanString, "INSERT INTO reminders (booking_id, sent_at) SELECT b.id, $3 FROM bookings b "+
			"JOIN events e ON e.id = b.event_id WHERE b.status = 'CONFIRMED' AND e.date > $1 AND e.date <= $2 "+
			"AND NOT EXISTS (SELECT 1 FROM reminders r WHERE r.booking_id = b.id) ORDER BY b.id LIMIT $4 "+
			"ON CONFLICT (booking_id) DO NOTHING RETURNING booking_id", Time(from), Time(to), Time(now), limit))
	})
	return found, s.fail(err, "claim", "reminders")
}

package service

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// The reminder goes to bookings of events that start between
// reminderFrom and reminderTo from now: "tomorrow", for a job that runs
// every few minutes. Each booking is reminded once (ReminderStore), so
// the window may be wide enough to outlast a server's restart.
const (
	reminderFrom  = 20 * time.Hour
	reminderTo    = 28 * time.Hour
	reminderBatch = 500
)

// SendReminders queues the reminder email of each CONFIRMED booking whose
// event starts in about a day and that was not reminded yet, claiming the
// bookings and queuing their jobs in one transaction. It returns how many
// it queued. Without a mail sender it does nothing (and claims nothing).
func (s *Notifications) SendReminders(ctx context.Context) (int, error) {
	if s.mail == nil {
		return 0, nil
	}
	total := 0
	for {
		n := 0
		err := s.store.InTx(ctx, func(tx boxoffice.Tx) error {
			now := s.now()
			ids, err := tx.Reminders().Claim(ctx, now.Add(reminderFrom), now.Add(reminderTo), now, reminderBatch)
			if err != nil || len(ids) == 0 {
				return err
			}
			bs, err := tx.Bookings().ByIDs(ctx, ids)
			if err != nil {
				return err
			}
			jobs := make([]boxoffice.Job, len(bs))
			for i, b := range bs {
				jobs[i] = SendMailJob{Template: mailReminder, To: b.UserID,
					Change: boxoffice.Change{At: now, UserID: b.UserID, EventID: b.EventID, BookingID: b.ID}}
			}
			n = len(jobs)
			return s.jobs.EnqueueTx(ctx, tx, jobs...)
		})
		total += n
		if err != nil || n < reminderBatch {
			return total, err
		}
	}
}

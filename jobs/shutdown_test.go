package jobs_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/jobs"
	"github.com/boxoffice/boxoffice/service"
)

// slowRefunds does refunds that take a while, and nothing else.
type slowRefunds struct {
	took              time.Duration
	started, finished atomic.Int32
	cancelled         atomic.Int32
}

func (h *slowRefunds) Refund(ctx context.Context, _ string) error {
	h.started.Add(1)
	select {
	case <-time.After(h.took):
		h.finished.Add(1)
		return nil
	case <-ctx.Done():
		h.cancelled.Add(1)
		return ctx.Err()
	}
}
func (*slowRefunds) ApplyPaymentEvent(context.Context, boxoffice.PaymentEvent) error { return nil }
func (*slowRefunds) PreparePayment(context.Context, string) error                    { return nil }
func (*slowRefunds) ExpireHolds(context.Context) (int, error)                        { return 0, nil }
func (*slowRefunds) PruneIdempotencyKeys(context.Context) (int, error)               { return 0, nil }
func (*slowRefunds) RelayChanges(context.Context) (int, error)                       { return 0, nil }
func (*slowRefunds) SendReminders(context.Context) (int, error)                      { return 0, nil }
func (*slowRefunds) SendMail(context.Context, service.SendMailJob) error             { return nil }
func (*slowRefunds) DeliverWebhook(context.Context, string, int, int) (time.Duration, error) {
	return 0, nil
}

// TestStopLetsRunningJobsFinish: serve's shutdown stops the queue with
// SHUTDOWN_TIMEOUT's context. A job running then finishes within it; one
// that cannot is cancelled and kept to run again, never lost.
func TestStopLetsRunningJobsFinish(t *testing.T) {
	testdb.Each(t, func(t *testing.T, engine string) {
		for _, c := range []struct {
			name    string
			timeout time.Duration
			done    bool
		}{{"within the timeout", 5 * time.Second, true}, {"beyond it", 100 * time.Millisecond, false}} {
			t.Run(c.name, func(t *testing.T) {
				store := testdb.Migrated(t, engine)
				q, err := jobs.Open(store, jobs.Config{Expire: time.Hour, Poll: 100 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				h := &slowRefunds{took: time.Second}
				if err := q.Work(t.Context(), h); err != nil {
					t.Fatal(err)
				}
				if err := store.InTx(t.Context(), func(tx boxoffice.Tx) error {
					return q.EnqueueTx(t.Context(), tx, service.RefundJob{PaymentID: "p1"})
				}); err != nil {
					t.Fatal(err)
				}
				for deadline := time.Now().Add(10 * time.Second); h.started.Load() == 0; time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the job did not start")
					}
				}
				ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
				defer cancel()
				if err := q.Stop(ctx); err != nil {
					t.Fatalf("stop: %v", err)
				}
				if got := h.finished.Load() == 1; got != c.done || h.cancelled.Load() == 1 == c.done {
					t.Fatalf("finished %d, cancelled %d; want the job finished: %v", h.finished.Load(), h.cancelled.Load(), c.done)
				}
				if c.done {
					return
				}
				// The cancelled job is kept, and runs again on the next start.
				q2, err := jobs.Open(store, jobs.Config{Expire: time.Hour, Poll: 100 * time.Millisecond})
				if err != nil {
					t.Fatal(err)
				}
				// River puts it back as available, its attempt not spent.
				h2 := &slowRefunds{took: time.Millisecond}
				if err := q2.Work(t.Context(), h2); err != nil {
					t.Fatal(err)
				}
				defer q2.Stop(context.Background())
				for deadline := time.Now().Add(10 * time.Second); h2.finished.Load() == 0; time.Sleep(5 * time.Millisecond) {
					if time.Now().After(deadline) {
						t.Fatal("the cancelled job did not run again")
					}
				}
			})
		}
	})
}

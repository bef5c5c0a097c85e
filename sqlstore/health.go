package sqlstore

import (
	"context"
	"errors"
	"sync/atomic"
	"time"
)

// writeWatch is a Driver whose write transactions are watched for a full
// disk: the first write refused for lack of space marks the database as
// refusing writes, and the next write transaction that commits clears the
// mark. Reads may still work meanwhile (on SQLite they do), so readiness
// reports the database degraded, not down (Store.WritesRefused).
type writeWatch struct {
	Driver
	refused atomic.Pointer[time.Time] // since when; nil while writes succeed
}

func watchWrites(d Driver) *writeWatch { return &writeWatch{Driver: d} }

func (w *writeWatch) Begin(ctx context.Context) (Tx, error) {
	tx, err := w.Driver.Begin(ctx)
	if err != nil {
		w.observe(err)
		return nil, err
	}
	return &watchedTx{Tx: tx, w: w}, nil
}

// observe marks the database as refusing writes when err says the disk is
// full; the first refusal in a row keeps its time.
func (w *writeWatch) observe(err error) {
	if err == nil {
		return
	}
	if kind, _ := w.Classify(err); kind == DiskFull {
		now := time.Now()
		w.refused.CompareAndSwap(nil, &now)
	}
}

// watchedTx tells whether its transaction wrote: statements queued, or run
// without reading rows, write.
type watchedTx struct {
	Tx
	w     *writeWatch
	wrote bool
}

func (t *watchedTx) Run(ctx context.Context, qs ...*Query) error {
	for _, q := range qs {
		t.wrote = t.wrote || q.Rows == nil
	}
	err := t.Tx.Run(ctx, qs...)
	t.w.observe(err)
	return err
}

func (t *watchedTx) Queue(qs ...*Query) {
	t.wrote = t.wrote || len(qs) > 0
	t.Tx.Queue(qs...)
}

// Commit reports a COMMIT cut short by ctx as commitUnknown: the
// database may have committed before the answer was lost.
func (t *watchedTx) Commit(ctx context.Context) error {
	err := t.Tx.Commit(ctx)
	switch {
	case err == nil && t.wrote:
		t.w.refused.Store(nil)
	case err == nil:
	case errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled):
		return commitUnknown{err}
	default:
		t.w.observe(err)
	}
	return err
}

// WritesRefused reports whether the latest write was refused because the
// database's disk is full, and since when writes have been refused. A
// write transaction that commits ends it.
func (s *Store) WritesRefused() (since time.Time, refused bool) {
	if w, ok := s.d.(*writeWatch); ok {
		if p := w.refused.Load(); p != nil {
			return *p, true
		}
	}
	return time.Time{}, false
}

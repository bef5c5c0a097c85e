package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/boxoffice/boxoffice/sqlstore"
)

// tx implements sqlstore.Tx on the writer connection. Queued statements
// run with the next Run or at Commit, as on PostgreSQL, so that both
// engines report their errors at the same point.
type tx struct {
	d      *driver
	tx     *sql.Tx
	queued []*sqlstore.Query
	notes  []string // Notify's payloads, delivered after COMMIT
}

func (t *tx) Run(ctx context.Context, qs ...*sqlstore.Query) error {
	all := append(t.queued, qs...)
	t.queued = nil
	for _, q := range all {
		if err := t.d.run(ctx, t.tx, q); err != nil {
			return err
		}
	}
	return nil
}

func (t *tx) Queue(qs ...*sqlstore.Query) { t.queued = append(t.queued, qs...) }

func (t *tx) Notify(payload string) { t.notes = append(t.notes, payload) }

// Commit runs what is queued and commits, then tells this process's
// watchers what was announced.
func (t *tx) Commit(ctx context.Context) error {
	defer t.Rollback()
	if err := t.Run(ctx); err != nil {
		return err
	}
	t.d.statements.Add(1)
	if err := t.tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: commit: %w", err)
	}
	t.d.hub.publish(t.notes)
	return nil
}

// Rollback ends the transaction if it is still open; on a panic too, or
// the writer would stay locked.
func (t *tx) Rollback() { t.d.rollback(t.tx) }

// Native returns the *sql.Tx, with what is queued run first.
func (t *tx) Native(ctx context.Context) (any, error) {
	if err := t.Run(ctx); err != nil {
		return nil, err
	}
	return t.tx, nil
}

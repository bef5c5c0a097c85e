package sqlstore

import (
	"context"
	"slices"
	"time"

	"github.com/boxoffice/boxoffice"
)

// ClaimUnrelayed flags the oldest unrelayed changes in one statement. The
// outer relayed_at IS NULL is checked again on each row as it is updated,
// after any concurrent claim of the same row committed (PostgreSQL
// re-reads a row a concurrent transaction changed; SQLite runs one writer
// at a time), so two relays never both claim a change.
func (s changes) ClaimUnrelayed(ctx context.Context, now time.Time, limit int, published bool) ([]*boxoffice.Change, error) {
	found := []*boxoffice.Change{}
	now = Time(now)
	var pub any
	if published {
		pub = now
	}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, rowsOf(&found, scanChange, "UPDATE changes SET relayed_at = $1, published_at = COALESCE(published_at, $2) "+
			"WHERE relayed_at IS NULL AND id IN (SELECT id FROM changes WHERE relayed_at IS NULL ORDER BY id LIMIT $3) RETURNING "+changeColumns,
			now, pub, limit))
	})
	slices.SortFunc(found, func(a, b *boxoffice.Change) int { return int(a.ID - b.ID) })
	return found, s.fail(err, "claim", "changes")
}

func (s changes) Unpublished(ctx context.Context, limit int) ([]*boxoffice.Change, error) {
	found := []*boxoffice.Change{}
	err := s.read(ctx, rowsOf(&found, scanChange, "SELECT "+changeColumns+" FROM changes WHERE published_at IS NULL ORDER BY id LIMIT $1", limit))
	return found, s.fail(err, "find", "changes")
}

func (s changes) MarkPublished(ctx context.Context, ids []int64, now time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	var args Args
	now = Time(now)
	list := ""
	for i, id := range ids {
		if i > 0 {
			list += ", "
		}
		list += args.Add(id)
	}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("UPDATE changes SET published_at = "+args.Add(now)+" WHERE published_at IS NULL AND id IN ("+list+")", args...))
	})
	return s.fail(err, "mark", "changes published")
}

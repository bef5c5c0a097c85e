package sqlstore

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

// idempotency implements boxoffice.IdempotencyStore.
type idempotency struct{ scope }

func (s idempotency) Begin(ctx context.Context, caller, key, hash string, now, abandonedBefore time.Time) (*boxoffice.IdempotentAnswer, error) {
	now, abandonedBefore = Time(now), Time(abandonedBefore)
	var answer *boxoffice.IdempotentAnswer
	err := s.write(ctx, func(tx Tx) error {
		claim := exec("INSERT INTO idempotency_keys (caller, key, request_hash, started_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
			caller, key, hash, now)
		var (
			firstHash string
			status    *int
			body      []byte
			started   time.Time
		)
		read := &Query{SQL: "SELECT request_hash, status, response, started_at FROM idempotency_keys WHERE caller = $1 AND key = $2",
			Args: []any{caller, key}, Rows: func(r Rows) error {
				if !r.Next() {
					return r.Err()
				}
				return r.Scan(&firstHash, &status, &body, &started)
			}}
		if err := tx.Run(ctx, claim, read); err != nil {
			return err
		}
		switch {
		case claim.Affected == 1:
			return nil // a new key: run the request
		case firstHash != hash:
			return boxoffice.Invalidf("Idempotency-Key", "this Idempotency-Key was used for another request: use a new key for a new request")
		case status != nil:
			answer = &boxoffice.IdempotentAnswer{Status: *status, Body: body}
			return nil
		case started.Before(abandonedBefore):
			// The first request's server died before it answered: run it
			// again, unless another retry took it over first.
			takeover := exec("UPDATE idempotency_keys SET started_at = $3 WHERE caller = $1 AND key = $2 AND started_at = $4 AND status IS NULL",
				caller, key, now, started)
			if err := tx.Run(ctx, takeover); err != nil {
				return err
			}
			if takeover.Affected == 1 {
				return nil
			}
		}
		return &boxoffice.Error{Code: boxoffice.ECONFLICT, RetryAfter: time.Second,
			Message: "a request with this Idempotency-Key is still running: retry later"}
	})
	if err != nil {
		return nil, s.fail(err, "claim", "idempotency key")
	}
	return answer, nil
}

func (s idempotency) Finish(ctx context.Context, caller, key string, a boxoffice.IdempotentAnswer) error {
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("UPDATE idempotency_keys SET status = $3, response = $4 WHERE caller = $1 AND key = $2",
			caller, key, a.Status, a.Body))
	})
	return s.fail(err, "keep", "answer")
}

func (s idempotency) Forget(ctx context.Context, caller, key string) error {
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("DELETE FROM idempotency_keys WHERE caller = $1 AND key = $2", caller, key))
	})
	return s.fail(err, "forget", "idempotency key")
}

func (s idempotency) Prune(ctx context.Context, before time.Time) (int, error) {
	q := exec("DELETE FROM idempotency_keys WHERE started_at < $1", Time(before))
	err := s.write(ctx, func(tx Tx) error { return tx.Run(ctx, q) })
	return int(q.Affected), s.fail(err, "prune", "idempotency keys")
}

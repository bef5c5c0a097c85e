package boxoffice

import "context"

// Job is background work: its Kind names the code that does it, and its
// exported fields, as JSON, are its arguments. (River's JobArgs.)
type Job interface {
	Kind() string
}

// JobQueue runs jobs in the background, on whichever server is free,
// retrying failures with backoff; a job whose attempts run out is kept,
// visible as discarded, until an operator retries it.
type JobQueue interface {
	// EnqueueTx adds jobs in the transaction tx: they run once it commits,
	// and never if it does not.
	EnqueueTx(ctx context.Context, tx Tx, jobs ...Job) error
}

package jobs

import (
	"fmt"

	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/postgres"
	"github.com/boxoffice/boxoffice/sqlite"
)

// Open returns the queue of the database db: River with the engine's
// driver, on PostgreSQL in the store's schema, on SQLite through the
// store's connection for jobs.
func Open(db boxoffice.Store, cfg Config) (*Queue, error) {
	switch db := db.(type) {
	case *postgres.DB:
		cfg.Schema = db.SchemaName()
		return New(riverpgxv5.New(db.Pool()), cfg)
	case *sqlite.DB:
		return New(riversqlite.New(db.Jobs()), cfg)
	}
	return nil, fmt.Errorf("jobs: no queue for a %T", db)
}

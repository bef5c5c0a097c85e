package postgres

import "io/fs"

// MigrationFiles are the embedded migrations, one NNNNN_name.sql each, for
// tools that read them: `boxoffice migrate down` shows what a migration's
// Down drops (its "-- drops:" line) before it runs.
func MigrationFiles() fs.FS {
	sub, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		panic(err) // a valid, constant path
	}
	return sub
}

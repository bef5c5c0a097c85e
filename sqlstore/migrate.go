package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"path"
	"slices"

	"github.com/pressly/goose/v3"

	"github.com/boxoffice/boxoffice"
)

// Migrations runs an engine's goose migrations, the same way for every
// engine. Provider makes a goose Provider afresh for every call: one
// remembers that it made its version table, which DropSchema may have
// dropped since, and its lock keeps retry state.
type Migrations struct {
	Provider func() (*goose.Provider, error)
}

// Up applies every pending migration and returns those it applied, with
// when.
func (m Migrations) Up(ctx context.Context) ([]boxoffice.MigrationState, error) {
	p, err := m.Provider()
	if err != nil {
		return nil, err
	}
	results, err := p.Up(ctx)
	if err != nil {
		return nil, fmt.Errorf("migrate up: %w", err)
	}
	all, err := m.Status(ctx)
	if err != nil {
		return nil, err
	}
	out := []boxoffice.MigrationState{}
	for _, s := range all {
		if slices.ContainsFunc(results, func(r *goose.MigrationResult) bool { return r.Source.Version == s.Version }) {
			out = append(out, s)
		}
	}
	return out, nil
}

// Down rolls back the newest applied migration. ENOTFOUND if none is
// applied.
func (m Migrations) Down(ctx context.Context) (*boxoffice.MigrationState, error) {
	p, err := m.Provider()
	if err != nil {
		return nil, err
	}
	r, err := p.Down(ctx)
	if errors.Is(err, goose.ErrNoNextVersion) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "no migration is applied")
	} else if err != nil {
		return nil, fmt.Errorf("migrate down: %w", err)
	}
	s := migrationState(r.Source, false)
	return &s, nil
}

// Status lists every migration, applied or not, oldest first.
func (m Migrations) Status(ctx context.Context) ([]boxoffice.MigrationState, error) {
	p, err := m.Provider()
	if err != nil {
		return nil, err
	}
	statuses, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	out := make([]boxoffice.MigrationState, 0, len(statuses))
	for _, st := range statuses {
		s := migrationState(st.Source, st.State == goose.StateApplied)
		s.AppliedAt = st.AppliedAt.UTC()
		out = append(out, s)
	}
	return out, nil
}

// Pending lists every migration as pending, reading nothing: for a schema
// that does not exist yet.
func (m Migrations) Pending() ([]boxoffice.MigrationState, error) {
	p, err := m.Provider()
	if err != nil {
		return nil, err
	}
	var out []boxoffice.MigrationState
	for _, src := range p.ListSources() {
		out = append(out, migrationState(src, false))
	}
	return out, nil
}

func migrationState(src *goose.Source, applied bool) boxoffice.MigrationState {
	name := path.Base(src.Path)
	if src.Type == goose.TypeGo {
		name = fmt.Sprintf("%05d_jobs (River's tables)", src.Version) // Go migrations have no file
	}
	return boxoffice.MigrationState{Version: src.Version, Name: name, Applied: applied}
}

package storetest

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// schemaFile is the schema every engine's migrations make, by name
// (boxoffice.Schema): the same tables, columns, constraints and indexes on
// each, so that the one SQL of sqlstore and its one table of constraint
// errors hold for all. Regenerate it after adding a migration with
// BOXOFFICE_UPDATE_SCHEMA=1 go test ./postgres -run TestConformance/Schema, then
// make the SQLite migrations match it.
const schemaFile = "testdata/schema.txt"

func testSchema(t *testing.T, open Opener) {
	t.Run("MatchesEveryEngine", func(t *testing.T) {
		wantSchema(t, Migrated(t, open))
	})
}

// wantSchema fails t unless e's schema is the one in schemaFile.
func wantSchema(t *testing.T, e Engine) {
	t.Helper()
	got, err := e.Schema(t.Context())
	if err != nil {
		t.Fatalf("Schema: %v", err)
	}
	_, self, _, _ := runtime.Caller(0)
	path := filepath.Join(filepath.Dir(self), schemaFile)
	if os.Getenv("BOXOFFICE_UPDATE_SCHEMA") == "1" {
		if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read %s: %v", schemaFile, err)
	}
	want := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var missing, extra []string
	for _, w := range want {
		if !slices.Contains(got, w) {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !slices.Contains(want, g) {
			extra = append(extra, g)
		}
	}
	if len(missing)+len(extra) > 0 {
		t.Errorf("the schema differs from %s (every engine must make the same one):\nmissing: %q\nextra:   %q", schemaFile, missing, extra)
	}
}

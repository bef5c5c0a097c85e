package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const fixture = `package fixture

import (
	"os"
	"testing"
)

func TestPasses(t *testing.T) { t.Log("a passing test's log") }

func TestNeedsPostgres(t *testing.T) {
	t.Skipf("PostgreSQL unreachable (set BOXOFFICE_TEST_POSTGRES_URL): dial tcp 127.0.0.1:5432: connection refused")
}

func TestInBrowsers(t *testing.T) {
	for _, b := range []string{"one", "two"} {
		t.Run(b, func(t *testing.T) { t.Skip("Chromium not installed (run .ci/install-browser-deps); set X=1") })
	}
}

func TestMayFail(t *testing.T) {
	t.Run("fine", func(t *testing.T) { t.Log("a passing subtest's log") })
	if os.Getenv("FIXTURE_FAIL") == "1" {
		t.Error("this one fails")
	}
}
`

// TestSummary runs real go test on a small module whose tests pass, skip
// and fail: the output is go test's, and the last line counts the skips
// by reason.
func TestSummary(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{"go.mod": "module fixture\n\ngo 1.26\n", "fixture_test.go": fixture} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	const want = "skipped 3 tests: Chromium not installed (2), PostgreSQL unreachable (1); list them: make test-skips\n"

	var out, errOut bytes.Buffer
	code := run(dir, []string{"-count=1", "."}, &out, &errOut)
	if code != 0 || !strings.HasPrefix(out.String(), "ok  \tfixture\t") || !strings.HasSuffix(out.String(), want) ||
		strings.Count(out.String(), "\n") != 2 {
		t.Errorf("passing run: exit %d\n%s%s", code, out.String(), errOut.String())
	}

	out.Reset()
	t.Setenv("FIXTURE_FAIL", "1")
	code = run(dir, []string{"-count=1", "."}, &out, &errOut)
	got := out.String()
	if code != 1 || !strings.HasSuffix(got, want) {
		t.Errorf("failing run: exit %d\n%s", code, got)
	}
	for _, w := range []string{"--- FAIL: TestMayFail", "this one fails", "FAIL\tfixture\t"} {
		if !strings.Contains(got, w) {
			t.Errorf("failing run lacks %q:\n%s", w, got)
		}
	}
	for _, w := range []string{"passing", "=== RUN", "--- SKIP", "--- PASS"} {
		if strings.Contains(strings.TrimSuffix(got, want), w) {
			t.Errorf("failing run shows %q, which go test without -v does not:\n%s", w, got)
		}
	}

	out.Reset()
	code = run(dir, []string{"-skips", "-count=1", "."}, &out, &errOut)
	for _, w := range []string{"skip: fixture TestInBrowsers/one: fixture_test.go:", "skip: fixture TestNeedsPostgres: fixture_test.go:11: PostgreSQL unreachable (set BOXOFFICE_TEST_POSTGRES_URL): dial tcp"} {
		if code != 1 || !strings.Contains(out.String(), w) {
			t.Errorf("-skips: exit %d, want a line %q:\n%s", code, w, out.String())
		}
	}

	out.Reset()
	code = run(dir, []string{"-count=1", "-v", "-run", "TestNeedsPostgres", "."}, &out, &errOut)
	if code != 0 || !strings.Contains(out.String(), "--- SKIP: TestNeedsPostgres") ||
		!strings.HasSuffix(out.String(), "skipped 1 test: PostgreSQL unreachable (1); list them: make test-skips\n") {
		t.Errorf("-v: exit %d\n%s", code, out.String())
	}
}

func TestReason(t *testing.T) {
	for log, want := range map[string]string{
		"    pgtest.go:39: PostgreSQL unreachable (set X, or Y=1 to fail): dial tcp: refused\n": "PostgreSQL unreachable",
		"    x_test.go:282: skipping: cannot run a private PostgreSQL: no initdb (set Z)\n":     "cannot run a private PostgreSQL",
		"    x_test.go:80: loads a real server for a few seconds\n":                             "loads a real server for a few seconds",
		"    ratelimit_test.go:46: redis-server is not installed, skipping (set …): exec\n":     "redis-server is not installed",
		"": "no reason given",
	} {
		if got := reason(log); got != want {
			t.Errorf("reason(%q) = %q, want %q", log, got, want)
		}
	}
}

// Command gotest runs go test and ends with one line that says which tests
// were skipped, and why: go test says nothing of skipped tests without -v,
// and boxoffice skips tests whose services (PostgreSQL, Redis, Chromium)
// are missing.
//
//	go run ./internal/gotest -race ./...      # what make test runs
//	go run ./internal/gotest -skips ./...     # and every skipped test with its reason (make test-skips)
//	go run ./internal/gotest -v -run TestX ./cmd/boxoffice
//
// It takes go test's flags and packages, runs `go test -json` with them,
// and prints what go test would have printed: each package's "ok" line,
// and the output of the tests that failed, in the order go test -v shows
// it (with -v, everything). It exits with go test's status. The last line is, for example:
//
//	skipped 31 tests: PostgreSQL unreachable (27), Chromium not installed (4); list them: make test-skips
//
// -skips (its own flag, given before go test's) lists each skipped test
// with its reason, before that line.
package main

import (
	"bufio"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
)

func main() {
	os.Exit(run("", os.Args[1:], os.Stdout, os.Stderr))
}

// run runs go test -json with args in dir ("": here) and returns its exit
// status.
func run(dir string, args []string, stdout, stderr io.Writer) int {
	list := len(args) > 0 && (args[0] == "-skips" || args[0] == "--skips")
	if list {
		args = args[1:]
	}
	verbose := slices.ContainsFunc(args, func(a string) bool { return a == "-v" || a == "-test.v" || a == "-v=true" })
	cmd := exec.Command("go", append([]string{"test", "-json"}, args...)...)
	cmd.Dir, cmd.Stdin, cmd.Stderr = dir, os.Stdin, stderr
	out, err := cmd.StdoutPipe()
	if err == nil {
		err = cmd.Start()
	}
	if err != nil {
		fmt.Fprintln(stderr, "gotest:", err)
		return 1
	}
	s := newSummary(stdout, verbose)
	if err := s.read(out); err != nil {
		fmt.Fprintln(stderr, "gotest: reading go test's output:", err)
	}
	err = cmd.Wait()
	if list {
		slices.Sort(s.each)
		for _, l := range s.each {
			fmt.Fprintln(stdout, l)
		}
	}
	fmt.Fprintln(stdout, s.line())
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(stderr, "gotest:", err)
		return 1
	}
	return 0
}

// event is one line of go test -json (cmd/test2json), build events
// included.
type event struct {
	Action     string
	Package    string
	ImportPath string // build-output and build-fail
	Test       string
	Output     string
}

// summary prints go test's output as go test would and counts the skips.
type summary struct {
	w       io.Writer
	verbose bool
	pkgs    map[string]*pkgOutput
	skipped map[string]int // reason: tests
	each    []string       // "skip: package test: the whole reason"
}

// pkgOutput is a package's output, held until the package ends.
type pkgOutput struct {
	lines  []line
	failed map[string]bool // tests that failed
	logs   map[string]string
}

type line struct{ test, text string }

func newSummary(w io.Writer, verbose bool) *summary {
	return &summary{w: w, verbose: verbose, pkgs: map[string]*pkgOutput{}, skipped: map[string]int{}}
}

func (s *summary) read(r io.Reader) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		var ev event
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil || ev.Action == "" {
			fmt.Fprintln(s.w, sc.Text()) // not an event: as it came
			continue
		}
		s.event(ev)
	}
	return sc.Err()
}

func (s *summary) event(ev event) {
	switch ev.Action {
	case "build-output":
		io.WriteString(s.w, ev.Output)
		return
	case "build-fail", "start":
		return
	}
	p := s.pkgs[ev.Package]
	if p == nil {
		p = &pkgOutput{failed: map[string]bool{}, logs: map[string]string{}}
		s.pkgs[ev.Package] = p
	}
	switch ev.Action {
	case "output":
		if ev.Test != "" && isLog(ev.Output) {
			p.logs[ev.Test] = ev.Output
		}
		if s.verbose {
			io.WriteString(s.w, ev.Output)
			return
		}
		p.lines = append(p.lines, line{ev.Test, ev.Output})
	case "skip":
		if ev.Test != "" {
			s.skipped[reason(p.logs[ev.Test])]++
			s.each = append(s.each, fmt.Sprintf("skip: %s %s: %s", ev.Package, ev.Test, strings.TrimSpace(p.logs[ev.Test])))
		} else {
			s.flush(ev.Package, p, false) // no test files, or no tests to run
		}
	case "fail":
		if ev.Test != "" {
			p.failed[ev.Test] = true
			return
		}
		s.flush(ev.Package, p, true)
	case "pass":
		if ev.Test == "" {
			s.flush(ev.Package, p, false)
		}
	}
}

// flush prints a package that ended: its last line ("ok …", "? … [no test
// files]") when it passed, else its output but that of the tests that did
// not fail.
func (s *summary) flush(pkg string, p *pkgOutput, failed bool) {
	delete(s.pkgs, pkg)
	if s.verbose {
		return
	}
	if !failed {
		for i := len(p.lines) - 1; i >= 0; i-- {
			if t := p.lines[i].text; p.lines[i].test == "" && (strings.HasPrefix(t, "ok") || strings.HasPrefix(t, "?")) {
				io.WriteString(s.w, p.lines[i].text)
				return
			}
		}
		return
	}
	for _, l := range p.lines {
		if l.test != "" && !p.failed[l.test] || isProgress(l.text) {
			continue
		}
		io.WriteString(s.w, l.text)
	}
}

// isProgress tells go test's own progress lines, which -v adds.
func isProgress(text string) bool {
	t := strings.TrimSpace(text)
	for _, p := range []string{"=== RUN", "=== PAUSE", "=== CONT", "=== NAME", "--- PASS", "--- SKIP"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}

// isLog tells a line a test logged (t.Log, t.Skip…): "    file_test.go:12: …".
func isLog(text string) bool {
	t := strings.TrimSpace(text)
	return t != "" && !isProgress(t) && !strings.HasPrefix(t, "--- ")
}

// reason is a skip message made short enough to count: without the file
// and line, and up to its first aside ("PostgreSQL unreachable (set …):
// dial …" is "PostgreSQL unreachable").
func reason(log string) string {
	r := strings.TrimSpace(log)
	if i := strings.Index(r, ".go:"); i >= 0 {
		if j := strings.Index(r[i:], ": "); j >= 0 {
			r = r[i+j+2:]
		}
	}
	r = strings.TrimPrefix(r, "skipping: ")
	cut := len(r)
	for _, sep := range []string{" (", ": ", "; ", ", "} {
		if i := strings.Index(r, sep); i > 0 && i < cut {
			cut = i
		}
	}
	if r = strings.TrimSpace(r[:cut]); r == "" {
		return "no reason given"
	}
	return r
}

// line is the summary: every reason, most skips first.
func (s *summary) line() string {
	total := 0
	for _, n := range s.skipped {
		total += n
	}
	if total == 0 {
		return "skipped no test"
	}
	reasons := slices.SortedFunc(maps.Keys(s.skipped), func(a, b string) int {
		return cmp.Or(cmp.Compare(s.skipped[b], s.skipped[a]), cmp.Compare(a, b))
	})
	parts := make([]string, len(reasons))
	for i, r := range reasons {
		parts[i] = fmt.Sprintf("%s (%d)", r, s.skipped[r])
	}
	noun := "tests"
	if total == 1 {
		noun = "test"
	}
	return fmt.Sprintf("skipped %d %s: %s; list them: make test-skips", total, noun, strings.Join(parts, ", "))
}

package main

import (
	"bytes"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/boxoffice/boxoffice/postgres"
	"github.com/boxoffice/boxoffice/sqlite"
)

// helpCommands are every command line that -h must explain: each command
// and each of its actions.
func helpCommands() [][]string {
	var lines [][]string
	for _, c := range commands() {
		lines = append(lines, []string{c.name})
	}
	return append(lines,
		[]string{"migrate", "up"}, []string{"migrate", "down"}, []string{"migrate", "status"},
		[]string{"schema", "create"}, []string{"schema", "drop"},
		[]string{"users", "create"}, []string{"help", "serve"},
	)
}

// TestHelpOnEveryCommand: -h and --help print the usage on stdout and exit
// 0, on every command and action, touching no database; an unknown flag
// exits 2 with the usage on stderr.
func TestHelpOnEveryCommand(t *testing.T) {
	dir := workdir(t)
	for _, line := range helpCommands() {
		for _, h := range []string{"-h", "--help"} {
			args := append(append([]string{}, line...), h)
			r := runCLI(t, dir, "", nil, args...)
			name := line[0]
			if name == "help" && len(line) > 1 {
				name = line[1]
			}
			if r.code != 0 || !strings.Contains(r.stdout, "Usage: boxoffice") || r.stderr != "" {
				t.Errorf("boxoffice %s: want the usage on stdout and exit 0; got %s", strings.Join(args, " "), r)
			} else if name != "help" && !strings.Contains(r.stdout, "boxoffice "+name) {
				t.Errorf("boxoffice %s: the usage does not name the command:\n%s", strings.Join(args, " "), r.stdout)
			}
		}
		if line[0] == "help" || line[0] == "version" && len(line) == 1 {
			continue
		}
		args := append(append([]string{}, line...), "--no-such-flag")
		r := runCLI(t, dir, "", nil, args...)
		if r.code != 2 || !strings.Contains(r.stderr, "no-such-flag") || !strings.Contains(r.stderr, "Usage: boxoffice") || r.stdout != "" {
			t.Errorf("boxoffice %s: want exit 2 with the error and the usage on stderr; got %s", strings.Join(args, " "), r)
		}
	}
	if r := runCLI(t, dir, "", nil, "no-such-command"); r.code != 2 || !strings.Contains(r.stderr, "Commands:") {
		t.Errorf("an unknown command: want exit 2 with the list of commands; got %s", r)
	}
	if entries, _ := os.ReadDir(dir); len(entries) > 0 {
		t.Errorf("asking for help created %v", entries)
	}
}

// TestCLIOnFreshEmbeddedDatabase: on a directory where serve never ran,
// the operator commands set the embedded database up as serve does
// (migrations and demo data), and a server then uses it as it is.
func TestCLIOnFreshEmbeddedDatabase(t *testing.T) {
	dir := workdir(t)
	r := runCLI(t, dir, "a-long-admin-password\n", nil, "users", "create", "--email", "root@example.com", "--username", "root", "--role", "admin", "--password-stdin")
	if r.code != 0 || !strings.Contains(r.stdout, "created admin root") || !strings.Contains(r.stderr, "applied migrations to the embedded database") {
		t.Fatalf("users create on a fresh embedded database: %s", r)
	}
	r = runCLI(t, dir, "", nil, "token", "--email", "root@example.com")
	token := strings.TrimSpace(r.stdout)
	if r.code != 0 || strings.Count(token, ".") != 2 || strings.Contains(token, "\n") {
		t.Fatalf("token: want one JWT on stdout; got %s", r)
	}
	if r = runCLI(t, dir, "", nil, "token", "--email", "nobody@example.com"); r.code != 1 || !strings.Contains(r.stderr, "user not found") {
		t.Errorf("token for an unknown user: %s", r)
	}
	s := startServer(t, dir)
	if strings.Contains(s.logs.String(), "applied migrations") {
		t.Errorf("serve migrated again:\n%s", s.logs.String())
	}
	s.token = token
	if d := s.mustQuery(t, `{ me { role } events { total } }`, nil); at(d, "me", "role") != "ADMIN" || at(d, "events", "total") != 12.0 {
		t.Fatalf("the CLI's admin and the demo data: %v", d)
	}
	s.signIn(t, "alice@example.com")

	// The first command may be token too, or seed.
	dir = workdir(t)
	if r := runCLI(t, dir, "", nil, "token", "--email", "alice@example.com"); r.code != 0 || strings.Count(r.stdout, ".") != 2 {
		t.Errorf("token for the demo admin as the first command: %s", r)
	}
	dir = workdir(t)
	if r := runCLI(t, dir, "", nil, "seed"); r.code != 0 || !strings.Contains(r.stdout, "10 users, 12 events, 12 bookings created") {
		t.Errorf("seed as the first command: %s", r)
	}
}

// TestCLISaysTheCause: an error that is not the user's names its cause,
// never only "internal error".
func TestCLISaysTheCause(t *testing.T) {
	dir := workdir(t)
	if err := os.WriteFile(filepath.Join(dir, "boxoffice.db"), bytes.Repeat([]byte("not a database "), 1000), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"token", "--email", "alice@example.com"}, {"users", "create", "--email", "x@example.com", "--username", "xx"}, {"seed"}} {
		r := runCLI(t, dir, "", nil, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "not a database") || strings.Contains(r.stderr, "internal error") {
			t.Errorf("boxoffice %s on a file that is not a database: want its cause; got %s", strings.Join(args, " "), r)
		}
	}
}

// TestPostgresCommandsNameWhatToRun: on PostgreSQL, commands that need a
// migrated database say which command to run.
func TestPostgresCommandsNameWhatToRun(t *testing.T) {
	dir := workdir(t, "DATABASE_URL="+freshDatabaseURL(t), "JWT_SECRET="+testSecret)
	for _, args := range [][]string{{"seed"}, {"token", "--email", "alice@example.com"}, {"serve"}} {
		r := runCLI(t, dir, "", []string{"HOST=127.0.0.1", "PORT=0"}, args...)
		if r.code != 1 || !strings.Contains(r.stderr, "pending migration") || !strings.Contains(r.stderr, "boxoffice migrate") {
			t.Errorf("boxoffice %s on an unmigrated database: %s", strings.Join(args, " "), r)
		}
	}
}

// TestServeChecksBeforeTouchingTheDatabase: a busy port, or an unreachable
// Redis, stops serve before the embedded database is created, with one
// line that names the setting.
func TestServeChecksBeforeTouchingTheDatabase(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	closed := freePort(t)

	for _, c := range []struct {
		name, want string
		env        []string
	}{
		{"busy port", "(HOST, PORT)", []string{"HOST=127.0.0.1", "PORT=" + port}},
		{"Redis unreachable", "REDIS_URL", []string{"HOST=127.0.0.1", "PORT=0", "REDIS_URL=redis://127.0.0.1:" + strconv.Itoa(closed) + "/0"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := workdir(t)
			r := runCLI(t, dir, "", c.env, "serve")
			lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
			if r.code != 1 || len(lines) != 1 || !strings.HasPrefix(lines[0], "boxoffice: ") || !strings.Contains(lines[0], c.want) {
				t.Errorf("want exit 1 and one line naming %s; got %s", c.want, r)
			}
			if entries, _ := os.ReadDir(dir); len(entries) > 0 {
				t.Errorf("serve created %v before failing", entries)
			}
		})
	}
}

// TestMigrateDownAsksFirst: migrate down says what it drops, and drops it
// only with --force (or "yes" on a terminal).
func TestMigrateDownAsksFirst(t *testing.T) {
	dir := workdir(t)
	if r := runCLI(t, dir, "", nil, "seed"); r.code != 0 {
		t.Fatal(r)
	}
	r := runCLI(t, dir, "", nil, "migrate", "down")
	if r.code != 1 || !strings.HasPrefix(r.stdout, "rolling back ") || !strings.Contains(r.stdout, " drops ") || !strings.Contains(r.stderr, "--force") {
		t.Fatalf("migrate down without --force: %s", r)
	}
	if r := runCLI(t, dir, "", nil, "migrate", "status"); !strings.Contains(r.stdout, "0 pending") {
		t.Fatalf("migrate down without --force rolled back: %s", r)
	}
	// With --force, before or after the action, down to 00002: each says
	// what it drops, then drops it.
	var out strings.Builder
	for i := 0; !strings.Contains(out.String(), "rolled back 00002"); i++ {
		args := []string{"migrate", "down", "--force"}
		if i%2 == 1 {
			args = []string{"migrate", "--force", "down"}
		}
		r := runCLI(t, dir, "", nil, args...)
		if r.code != 0 || !strings.Contains(r.stdout, " drops ") || !strings.Contains(r.stdout, "rolled back ") || i > 10 {
			t.Fatalf("boxoffice %s: %s", strings.Join(args, " "), r)
		}
		out.WriteString(r.stdout)
	}
	for _, want := range []string{"00003_changes.sql drops the record of every change",
		"00002_accounts.sql drops every user's password, role and token version, and every event's organizer",
		"every user is then a CUSTOMER who cannot sign in"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("migrate down --force did not say %q:\n%s", want, out.String())
		}
	}
	if r := runCLI(t, dir, "", nil, "migrate", "status", "--force"); r.code != 2 {
		t.Errorf("--force on migrate status: %s", r)
	}
}

func TestConfirm(t *testing.T) {
	var out bytes.Buffer
	if err := confirm(strings.NewReader("yes\n"), true, &out); err != nil || !strings.Contains(out.String(), "Type yes") {
		t.Errorf("yes on a terminal: %v, %q", err, out.String())
	}
	for _, c := range []struct {
		in       string
		terminal bool
	}{{"no\n", true}, {"", true}, {"y\n", true}, {"yes\n", false}} {
		if err := confirm(strings.NewReader(c.in), c.terminal, &out); err != errNotConfirmed {
			t.Errorf("answer %q (terminal %v): %v, want a refusal", c.in, c.terminal, err)
		}
	}
}

// TestEveryMigrationSaysWhatItsDownDrops: migrate down reads it.
func TestEveryMigrationSaysWhatItsDownDrops(t *testing.T) {
	for engine, fsys := range map[string]fs.FS{"postgres": postgres.MigrationFiles(), "sqlite": sqlite.MigrationFiles()} {
		names, err := fs.Glob(fsys, "*.sql")
		if err != nil || len(names) == 0 {
			t.Fatalf("%s migrations: %v %v", engine, names, err)
		}
		for _, name := range names {
			if drops, err := downDrops(fsys, name); err != nil || len(drops) < 5 {
				t.Errorf("%s %s: %q, %v", engine, name, drops, err)
			}
		}
	}
	if _, err := downDrops(fstest.MapFS{"1_x.sql": {Data: []byte("-- drops: not in Down\n-- +goose Up\n-- +goose Down\nDROP TABLE x;\n")}}, "1_x.sql"); err == nil {
		t.Error("a Down without a drops line: no error")
	}
	// A migration in Go has no file: what it made goes.
	if drops, err := downDrops(fstest.MapFS{}, "00005_jobs (River's tables)"); err != nil || !strings.HasPrefix(drops, "what it made") {
		t.Errorf("a migration in Go: %q, %v", drops, err)
	}
	// The description may go on over the comment lines that follow it.
	fsys := fstest.MapFS{"2_y.sql": {Data: []byte("-- +goose Up\nCREATE TABLE y (id int);\n-- +goose Down\n" +
		"-- drops: the table y,\n--   and its rows.\n\n-- Not part of it.\nDROP TABLE y;\n")}}
	if drops, err := downDrops(fsys, "2_y.sql"); err != nil || drops != "the table y, and its rows." {
		t.Errorf("a drops line continued: %q, %v", drops, err)
	}
}

func TestDescribeVersion(t *testing.T) {
	info := func(mod string, kv ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{Main: debug.Module{Version: mod}}
		for i := 0; i+1 < len(kv); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: kv[i], Value: kv[i+1]})
		}
		return bi
	}
	for _, c := range []struct {
		stamped string
		info    *debug.BuildInfo
		want    string
	}{
		{"v1.2.3", info("v0.0.0-x", "vcs.revision", "0123456789abcdef"), "v1.2.3"},
		{"", info("(devel)"), "dev (no commit recorded: built by go run, outside a git checkout or with -buildvcs=false)"},
		{"", info("v0.0.0-20261201172626-fccfbd9e8cd2+dirty", "vcs.revision", "fccfbd9e8cd2aa7b203a999455a55e8d28c4a770",
			"vcs.time", "2026-12-01T17:26:26Z", "vcs.modified", "true"), "dev (commit fccfbd9e8cd2 of 2026-12-01T17:26:26Z, with uncommitted changes)"},
		{"", info("v1.4.0", "vcs.revision", "fccfbd9e8cd2aa7b", "vcs.modified", "false"), "v1.4.0 (commit fccfbd9e8cd2)"},
	} {
		if got := describeVersion(c.stamped, c.info); got != c.want {
			t.Errorf("describeVersion(%q, %v) = %q, want %q", c.stamped, c.info.Main.Version, got, c.want)
		}
	}
}

// TestLookRunuser: the private PostgreSQL of the restart test finds
// runuser when /usr/sbin is not on PATH.
func TestLookRunuser(t *testing.T) {
	if !isExecutable("/usr/sbin/runuser") && !isExecutable("/sbin/runuser") {
		t.Skip("no runuser in /usr/sbin or /sbin on this machine")
	}
	t.Setenv("PATH", "/usr/bin:/bin")
	if p, err := lookRunuser(); err != nil || !strings.HasSuffix(p, "/runuser") {
		t.Errorf("lookRunuser with PATH=/usr/bin:/bin: %q, %v", p, err)
	}
}

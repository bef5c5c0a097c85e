package mail

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/smtptest"
)

func newOutbox(t *testing.T) *Outbox {
	t.Helper()
	o, err := NewOutbox(filepath.Join(t.TempDir(), "boxoffice.outbox"), "boxoffice <tickets@boxoffice.test>")
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// TestOutboxWritesWhatSMTPSends: the .eml file reads back, with the
// standard library, into the same parts as the message the SMTP server
// receives for the same Message.
func TestOutboxWritesWhatSMTPSends(t *testing.T) {
	o := newOutbox(t)
	m := fullMessage(t)
	if err := o.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	names := emlFiles(t, o.Dir())
	if len(names) != 1 || !strings.HasSuffix(names[0], ".eml") {
		t.Fatalf("outbox holds %v, want one .eml file", names)
	}
	raw, err := os.ReadFile(filepath.Join(o.Dir(), names[0]))
	if err != nil {
		t.Fatal(err)
	}
	fromFile := parseMessage(t, raw)
	checkParts(t, fromFile, m)

	srv := smtptest.Start(t)
	if err := newSMTP(t, "smtp://"+srv.Addr).Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	overSMTP := parseMessage(t, srv.Received()[0].Data)
	if !slices.Equal(fromFile.Structure, overSMTP.Structure) || fromFile.Subject != overSMTP.Subject ||
		fromFile.Text != overSMTP.Text || fromFile.HTML != overSMTP.HTML ||
		fromFile.Header.Get("To") != overSMTP.Header.Get("To") || fromFile.Header.Get("From") != overSMTP.Header.Get("From") {
		t.Fatalf("the outbox and SMTP differ:\n%+v\n%+v", fromFile, overSMTP)
	}
	for _, h := range []string{"Date", "Message-Id", "Mime-Version"} {
		if fromFile.Header.Get(h) == "" {
			t.Errorf("the .eml has no %s header", h)
		}
	}
}

// TestOutboxFiles: the folder is private, the files too, no temporary
// file is left, and the names sort in the order the messages were sent
// and never collide, even at the same instant.
func TestOutboxFiles(t *testing.T) {
	o := newOutbox(t)
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	times := []time.Time{base, base.Add(time.Nanosecond), base.Add(time.Second), base.Add(time.Second), base.Add(time.Hour)}
	var i int
	o.now = func() time.Time { t := times[i]; i++; return t }
	for n := range times {
		m := Message{To: []string{"a@example.com"}, Subject: "message " + string(rune('A'+n)), Text: "body"}
		if err := o.Send(context.Background(), m); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := os.Stat(o.Dir())
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v, want 0700", fi.Mode().Perm())
	}
	names := emlFiles(t, o.Dir())
	if len(names) != len(times) {
		t.Fatalf("outbox holds %d files %v, want %d (no temporary ones, no collisions)", len(names), names, len(times))
	}
	slices.Sort(names)
	for n, name := range names {
		if !strings.HasSuffix(name, OutboxExt) || strings.HasPrefix(name, ".") {
			t.Errorf("file %q is not a finished .eml", name)
		}
		fi, err := os.Stat(filepath.Join(o.Dir(), name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %v, want 0600", name, fi.Mode().Perm())
		}
		raw, _ := os.ReadFile(filepath.Join(o.Dir(), name))
		if p := parseMessage(t, raw); p.Subject != "message "+string(rune('A'+n)) {
			t.Errorf("file %d in name order holds %q: names do not sort in sending order", n, p.Subject)
		}
	}
}

// TestOutboxConcurrentSends: many jobs writing at once each leave one
// whole file.
func TestOutboxConcurrentSends(t *testing.T) {
	o := newOutbox(t)
	const n = 40
	errs := make(chan error, n)
	for range n {
		go func() {
			errs <- o.Send(context.Background(), Message{To: []string{"a@example.com"}, Subject: "s", Text: strings.Repeat("x", 10000)})
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	names := emlFiles(t, o.Dir())
	if len(names) != n {
		t.Fatalf("%d files, want %d", len(names), n)
	}
	for _, name := range names {
		raw, _ := os.ReadFile(filepath.Join(o.Dir(), name))
		if p := parseMessage(t, raw); len(crlf(p.Text)) != 10000 {
			t.Fatalf("%s holds a text of %d bytes, want 10000", name, len(p.Text))
		}
	}
}

// TestOutboxErrors: a bad message is permanent and writes nothing; a
// folder that cannot be made is worth retrying.
func TestOutboxErrors(t *testing.T) {
	o := newOutbox(t)
	if err := o.Send(context.Background(), Message{Text: "x"}); err == nil || !Permanent(err) {
		t.Errorf("no recipient: %v, want permanent", err)
	}
	if _, err := os.Stat(o.Dir()); !os.IsNotExist(err) {
		t.Errorf("a refused message made the folder: %v", err)
	}
	file := filepath.Join(t.TempDir(), "a-file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	blocked, _ := NewOutbox(filepath.Join(file, "outbox"), "a@b.c")
	if err := blocked.Send(context.Background(), Message{To: []string{"a@example.com"}, Text: "x"}); err == nil || Permanent(err) {
		t.Errorf("folder under a file: %v, want a retryable error", err)
	}
	if _, err := NewOutbox("", "a@b.c"); err == nil {
		t.Errorf("an outbox without a folder was made")
	}
	if _, err := NewOutbox("x", "nobody"); err == nil || !strings.HasPrefix(err.Error(), "MAIL_FROM") {
		t.Errorf("bad MAIL_FROM: %v", err)
	}
}

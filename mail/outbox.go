package mail

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/mail"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Outbox is the Sender used when no SMTP server is configured: it writes
// each message, as the SMTP server would receive it, to an .eml file in a
// folder, where any mail client opens it. So the zero-setup demo shows
// its mail, and nothing is lost for want of a server.
//
// Files are named TIME-RANDOM.eml, TIME in UTC to the nanosecond and
// increasing within a process, so that listing the folder in name order
// lists one server's messages in the order they were sent; RANDOM keeps
// two servers writing at once from colliding. Each is
// written to a hidden temporary file and renamed, so a reader never sees
// half a message. The folder is made with mode 0700 and the files have
// mode 0600: they hold customers' addresses and tickets.
type Outbox struct {
	dir  string
	from *mail.Address
	now  func() time.Time

	mu   sync.Mutex
	last time.Time // the time of the newest name given, kept increasing
}

var _ Sender = (*Outbox)(nil)

// OutboxExt is the extension of the outbox's message files.
const OutboxExt = ".eml"

// NewOutbox returns an Outbox writing into dir (created on first use) with
// from (MAIL_FROM) as the From address.
func NewOutbox(dir, from string) (*Outbox, error) {
	if dir == "" {
		return nil, fmt.Errorf("mail: the outbox needs a folder")
	}
	addr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("MAIL_FROM %q: %w", from, err)
	}
	return &Outbox{dir: dir, from: addr, now: time.Now}, nil
}

// Dir is the folder the messages go to.
func (o *Outbox) Dir() string { return o.dir }

// Send writes m as an .eml file. Failing to write (a full disk, a folder
// that cannot be made) is worth retrying; a message that cannot be built
// is permanent.
func (o *Outbox) Send(ctx context.Context, m Message) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	now := o.stamp()
	msg, err := compose(o.from, m, now)
	if err != nil {
		return err
	}
	data, err := render(msg)
	if err != nil {
		return permanent(err)
	}
	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return fmt.Errorf("mail: outbox folder: %w", err)
	}
	name, err := outboxName(now)
	if err != nil {
		return err
	}
	return writeAtomic(filepath.Join(o.dir, name), data)
}

// stamp is the time now, or just after the last stamp if the clock has not
// moved on (or went back), so that names sort in sending order.
func (o *Outbox) stamp() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	t := o.now().UTC()
	if !t.After(o.last) {
		t = o.last.Add(time.Nanosecond)
	}
	o.last = t
	return t
}

// outboxName is a file name that sorts by time and is unique.
func outboxName(t time.Time) (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("mail: outbox file name: %w", err)
	}
	return t.UTC().Format("20060102T150405.000000000Z") + "-" + hex.EncodeToString(b[:]) + OutboxExt, nil
}

// writeAtomic writes data to path through a hidden temporary file in the
// same folder (mode 0600), synced, then renamed over path.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".writing-*")
	if err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = tmp.Chmod(0o600); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	if _, err = tmp.Write(data); err != nil {
		return fmt.Errorf("mail: outbox: write %s: %w", path, err)
	}
	if err = tmp.Sync(); err != nil {
		return fmt.Errorf("mail: outbox: sync %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("mail: outbox: close %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("mail: outbox: %w", err)
	}
	return nil
}

package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/sqlstore"
	"github.com/boxoffice/boxoffice/storetest"
)

// Time-outs, overload and a full disk are sqlstore.Unavailable and
// DiskFull, which the stores answer with EUNAVAILABLE. (A full disk cannot
// be made here without risking the server; its SQLSTATE is classified.)
func TestClassifyUnavailable(t *testing.T) {
	t.Parallel()
	var d driver
	for code, want := range map[string]sqlstore.ErrorKind{
		"57014": sqlstore.Unavailable,  // query_canceled: statement_timeout
		"55P03": sqlstore.Unavailable,  // lock_not_available: lock_timeout, NOWAIT
		"53200": sqlstore.Unavailable,  // out_of_memory
		"53300": sqlstore.Unavailable,  // too_many_connections
		"53100": sqlstore.DiskFull,     // disk_full
		"57P01": sqlstore.NoConstraint, // admin_shutdown: the connection is gone, the outcome unknown
		"XX000": sqlstore.NoConstraint, // internal_error
	} {
		if kind, _ := d.Classify(&pgconn.PgError{Code: code}); kind != want {
			t.Errorf("Classify(SQLSTATE %s) = %v, want %v", code, kind, want)
		}
	}
}

// wantUnavailable fails t unless err is EUNAVAILABLE with a one-second
// wait, a message free of PostgreSQL's words, and the driver's error kept
// for the log.
func wantUnavailable(t *testing.T, err error, logged string) {
	t.Helper()
	if got := boxoffice.ErrorCode(err); got != boxoffice.EUNAVAILABLE {
		t.Fatalf("error code = %q, want %q (err: %v)", got, boxoffice.EUNAVAILABLE, err)
	}
	if got := boxoffice.ErrorRetryAfter(err); got != time.Second {
		t.Errorf("retry after %v, want 1s", got)
	}
	msg := strings.ToLower(boxoffice.ErrorMessage(err))
	for _, leak := range []string{"sqlstate", "statement", "lock", "canceling", "connections", "role"} {
		if strings.Contains(msg, leak) {
			t.Errorf("client message %q shows the driver's words (%q)", msg, leak)
		}
	}
	if !strings.Contains(err.Error(), logged) {
		t.Errorf("error %q does not keep %q for the log", err, logged)
	}
}

// A booking that waits for a row lock past the statement timeout, or past
// lock_timeout, is refused with EUNAVAILABLE and writes nothing; once the
// lock is released the same booking succeeds.
func TestLockWaitsAreUnavailable(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	setup := openDB(t, dbURL, testSchema)
	migrate(t, setup)
	user := storetest.MustCreateUser(t, setup, "Lena")
	event := storetest.MustCreateEvent(t, setup, 100, time.Hour)

	for i, tc := range []struct {
		name, param string
		cfg         Config
		logged      string
	}{
		{"statement_timeout", "", Config{StatementTimeout: 200 * time.Millisecond}, "SQLSTATE 57014"},
		{"lock_timeout", "lock_timeout=200", Config{}, "SQLSTATE 55P03"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			cfg := tc.cfg
			cfg.URL, cfg.Schema, cfg.MaxConns = withParam(dbURL, tc.param), testSchema, 4
			db, err := Open(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()

			// Another session holds the event's row lock.
			holder, err := setup.Pool().Begin(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer holder.Rollback(context.Background())
			if _, err := holder.Exec(ctx, "SELECT 1 FROM events WHERE id = $1 FOR UPDATE", event.ID); err != nil {
				t.Fatal(err)
			}
			_, err = db.Bookings().BookBatch(ctx, []boxoffice.BookingRequest{{UserID: user.ID, EventID: event.ID, Tickets: 1}}, boxoffice.BookingTerms{})
			wantUnavailable(t, err, tc.logged)
			if _, refused := db.WritesRefused(); refused {
				t.Error("a lock wait is reported as a full disk")
			}
			if err := holder.Rollback(ctx); err != nil {
				t.Fatal(err)
			}
			storetest.WantAvailable(t, db, event.ID, 100-i) // nothing written
			storetest.MustBook(t, db, user, event, 1)
		})
	}
	storetest.WantAvailable(t, setup, event.ID, 98)
}

// A database that refuses the connection for lack of slots
// (too_many_connections: here a role's CONNECTION LIMIT) is overload:
// EUNAVAILABLE, not INTERNAL.
func TestNoConnectionSlotIsUnavailable(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	admin := openDB(t, dbURL, testSchema)
	migrate(t, admin)
	var b [4]byte
	_, _ = rand.Read(b[:])
	role := "boxoffice_limited_" + hex.EncodeToString(b[:])
	ctx := t.Context()
	if _, err := admin.Pool().Exec(ctx, "CREATE ROLE "+role+" LOGIN CONNECTION LIMIT 0; GRANT ALL ON SCHEMA "+testSchema+" TO "+role); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = admin.Pool().Exec(context.Background(), "DROP OWNED BY "+role+"; DROP ROLE IF EXISTS "+role)
	})
	u, err := url.Parse(dbURL)
	if err != nil || u.Scheme == "" {
		t.Skipf("needs a URL, not a key=value DSN: %s", dbURL)
	}
	u.User = url.User(role)
	db, err := Open(ctx, Config{URL: u.String(), Schema: testSchema})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, _, err = db.Events().Find(ctx, boxoffice.EventFilter{Page: boxoffice.Page{Page: 1, Limit: 10}})
	wantUnavailable(t, err, "SQLSTATE 53300")
}

// withParam adds a runtime parameter ("lock_timeout=200") to a URL or DSN.
func withParam(dbURL, param string) string {
	switch {
	case param == "":
		return dbURL
	case !strings.Contains(dbURL, "://"):
		return dbURL + " " + param
	case strings.Contains(dbURL, "?"):
		return dbURL + "&" + param
	}
	return dbURL + "?" + param
}

// A COMMIT that the caller's deadline cuts short may have committed: it is
// INTERNAL (the outcome unknown), never UNAVAILABLE, which promises that
// nothing was done. A deferred trigger makes the COMMIT itself slow.
func TestCommitCutShortIsNotUnavailable(t *testing.T) {
	t.Parallel()
	db := newDB(t)
	ctx := t.Context()
	if _, err := db.Pool().Exec(ctx, `
		CREATE FUNCTION slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(1); RETURN NULL; END $$;
		CREATE CONSTRAINT TRIGGER slow_commit AFTER INSERT ON users DEFERRABLE INITIALLY DEFERRED
			FOR EACH ROW EXECUTE FUNCTION slow_commit();`); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	u := storetest.NewUser("Slow")
	err := db.InTx(short, func(tx boxoffice.Tx) error { return tx.Users().Create(short, u) })
	if code := boxoffice.ErrorCode(err); code != boxoffice.EINTERNAL || !strings.Contains(err.Error(), "outcome unknown") {
		t.Fatalf("a COMMIT cut short by the deadline: %v (code %s), want internal, outcome unknown", err, code)
	}
	// Before the COMMIT, the same deadline is UNAVAILABLE: nothing was sent.
	err = db.InTx(short, func(tx boxoffice.Tx) error { return tx.Users().Create(short, storetest.NewUser("Late")) })
	wantUnavailable(t, err, "deadline exceeded")
}

// A batch with SkipLocked passes over an event another session holds:
// that event's requests (and an unknown event's) come back ErrEventBusy
// at once, with nothing written for them, while the other events of the
// batch are booked. The batch does not wait: were it to, the lock timeout
// would fail it as a whole.
func TestSkipLockedPassesOverALockedEvent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	db, user, locked := lockRig(t, 5*time.Second)
	free := storetest.MustCreateEvent(t, db, 10, time.Hour)
	release := holdRow(t, db, "events", locked.ID, "UPDATE")
	reqs := []boxoffice.BookingRequest{
		{UserID: user.ID, EventID: locked.ID, Tickets: 1},
		{UserID: user.ID, EventID: free.ID, Tickets: 2},
		{UserID: user.ID, EventID: boxoffice.NewID(), Tickets: 1},
		{UserID: user.ID, EventID: locked.ID, Tickets: 3},
	}
	start := time.Now()
	res, err := db.Bookings().BookBatch(ctx, reqs, boxoffice.BookingTerms{SkipLocked: true})
	if err != nil {
		t.Fatalf("BookBatch with a locked event: %v (after %v)", err, time.Since(start))
	}
	t.Logf("a batch passing over a locked event took %v", time.Since(start))
	for _, i := range []int{0, 2, 3} {
		if res[i].Err != boxoffice.ErrEventBusy || res[i].Booking != nil {
			t.Errorf("request %d for a locked or unknown event: %+v, want ErrEventBusy", i, res[i])
		}
	}
	if res[1].Err != nil || res[1].Booking == nil {
		t.Errorf("request for the free event: %+v, want a booking", res[1])
	}
	release()
	storetest.WantAvailable(t, db, locked.ID, 10)
	storetest.WantAvailable(t, db, free.ID, 8)

	// Free again: the same batch books both.
	res, err = db.Bookings().BookBatch(ctx, reqs[:2], boxoffice.BookingTerms{SkipLocked: true})
	if err != nil || res[0].Err != nil || res[1].Err != nil {
		t.Fatalf("BookBatch once the lock is gone: %v %+v", err, res)
	}
	storetest.WantAvailable(t, db, locked.ID, 9)
}

// Every connection waits for a lock at most DB_LOCK_TIMEOUT: 2 s unless
// Config says otherwise; a lock_timeout in the URL holds when Config
// leaves it unset.
func TestLockTimeoutIsSet(t *testing.T) {
	t.Parallel()
	dbURL := newDatabase(t)
	for _, tc := range []struct {
		name, param string
		timeout     time.Duration
		want        string
	}{
		{"default", "", 0, "2s"},
		{"config", "", 750 * time.Millisecond, "750ms"},
		{"url", "lock_timeout=300", 0, "300ms"},
		{"config over url", "lock_timeout=300", time.Second, "1s"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, err := Open(t.Context(), Config{URL: withParam(dbURL, tc.param), LockTimeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			var got string
			if err := db.Pool().QueryRow(t.Context(), "SHOW lock_timeout").Scan(&got); err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("lock_timeout = %s, want %s", got, tc.want)
			}
		})
	}
}

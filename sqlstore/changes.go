package sqlstore

import (
	"context"
	"encoding/json"

	"github.com/boxoffice/boxoffice"
)

const changeColumns = "id, kind, at, actor_id, user_id, event_id, booking_id, tickets_returned, detail"

func scanChange(r Rows) (*boxoffice.Change, error) {
	var c boxoffice.Change
	return &c, r.Scan(&c.ID, &c.Kind, &c.At, optionalText{&c.ActorID}, optionalText{&c.UserID}, optionalText{&c.EventID},
		optionalText{&c.BookingID}, &c.TicketsReturned, optionalText{&c.Detail})
}

// changes implements boxoffice.ChangeStore.
type changes struct{ scope }

// Record queues the change's row, and its announcement if every server
// must hear of it: both go with the transaction's commit.
func (s changes) Record(ctx context.Context, c *boxoffice.Change) error {
	err := s.write(ctx, func(tx Tx) error {
		record(tx, s.d, c)
		return nil
	})
	return s.fail(err, "record", "change")
}

func (s changes) After(ctx context.Context, id int64, limit int) ([]*boxoffice.Change, error) {
	found := []*boxoffice.Change{}
	err := s.read(ctx, rowsOf(&found, scanChange, "SELECT "+changeColumns+" FROM changes WHERE id > $1 ORDER BY id LIMIT $2", id, limit))
	return found, s.fail(err, "find", "changes")
}

func (s changes) ByBookingIDs(ctx context.Context, ids []string) ([]*boxoffice.Change, error) {
	found := []*boxoffice.Change{}
	if ids = validIDs(ids); len(ids) == 0 {
		return found, nil
	}
	var args Args
	err := s.read(ctx, rowsOf(&found, scanChange, "SELECT "+changeColumns+" FROM changes WHERE "+s.d.In(&args, "booking_id", ids)+
		" ORDER BY id", args...))
	return found, s.fail(err, "find", "changes")
}

// changeTable is the changes' columns as recorded; the id is the
// database's to number.
var changeTable = []Column{
	{"kind", "text"}, {"at", "timestamptz"}, {"actor_id", "uuid"}, {"user_id", "uuid"}, {"event_id", "uuid"},
	{"booking_id", "uuid"}, {"tickets_returned", "int"}, {"detail", "text"},
}

// record queues the one statement that records cs in tx, and announces
// those of a broadcast kind: both go with the transaction's next round
// trip or its commit, so recording costs no round trip of its own.
func record(tx Tx, d Dialect, cs ...*boxoffice.Change) {
	rows := make([][]any, len(cs))
	var announced map[[2]string]bool // (kind, event) of tickets given back
	for i, c := range cs {
		rows[i] = []any{string(c.Kind), Time(c.At), nullID(c.ActorID), nullID(c.UserID), nullID(c.EventID),
			nullID(c.BookingID), c.TicketsReturned, nullText(c.Detail)}
		if !c.Kind.Broadcast() {
			continue
		}
		if returned := c.TicketsReturned > 0 && c.EventID != ""; returned {
			// Many bookings of one event giving their tickets back at once
			// (holds expiring by the thousand) are announced by the first:
			// what a server does with them, reopening the event, needs the
			// event, not each booking (Store.Watch). One notification each
			// would cost a statement and a payload per booking, in the
			// sweeper's transaction and in every server that hears them.
			key := [2]string{string(c.Kind), c.EventID}
			if announced[key] {
				continue
			}
			if announced == nil {
				announced = map[[2]string]bool{}
			}
			announced[key] = true
		}
		tx.Notify(encodeChange(c))
	}
	var args Args
	tx.Queue(exec("INSERT INTO changes (kind, at, actor_id, user_id, event_id, booking_id, tickets_returned, detail) SELECT * FROM "+
		d.Table(&args, "c", changeTable, rows), args...))
}

// nullID is id as a nullable column: canonical, or NULL for "".
func nullID(id string) any {
	if id == "" {
		return nil
	}
	return canonicalID(id)
}

// encodeChange and decodeChange carry a broadcast change to other servers.
func encodeChange(c *boxoffice.Change) string {
	b, _ := json.Marshal(c) // a struct of strings and numbers: cannot fail
	return string(b)
}

func decodeChange(payload string) (boxoffice.Change, bool) {
	var c boxoffice.Change
	return c, json.Unmarshal([]byte(payload), &c) == nil && c.Kind != ""
}

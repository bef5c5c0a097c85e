package sqlstore

import (
	"context"
	"time"

	"github.com/boxoffice/boxoffice"
)

const paymentColumns = "id, booking_id, provider, status, amount_cents, currency, refunded_cents, provider_ref, client_secret, created_at, updated_at"

func scanPayment(r Rows) (*boxoffice.Payment, error) {
	var p boxoffice.Payment
	return &p, r.Scan(&p.ID, &p.BookingID, &p.Provider, &p.Status, &p.AmountCents, &p.Currency, &p.RefundedCents,
		optionalText{&p.ProviderRef}, optionalText{&p.ClientSecret}, &p.CreatedAt, &p.UpdatedAt)
}

// payments implements boxoffice.PaymentStore.
type payments struct{ scope }

func (s payments) ByID(ctx context.Context, id string) (*boxoffice.Payment, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("payment")
	}
	var p *boxoffice.Payment
	err := s.read(ctx, rowOf(&p, "payment", scanPayment, "SELECT "+paymentColumns+" FROM payments WHERE id = $1", canonicalID(id)))
	return p, s.fail(err, "find", "payment")
}

func (s payments) ByProviderRef(ctx context.Context, provider, ref string) (*boxoffice.Payment, error) {
	var p *boxoffice.Payment
	err := s.read(ctx, rowOf(&p, "payment", scanPayment, "SELECT "+paymentColumns+" FROM payments WHERE provider = $1 AND provider_ref = $2",
		provider, ref))
	return p, s.fail(err, "find", "payment")
}

func (s payments) ByBookingIDs(ctx context.Context, ids []string) ([]*boxoffice.Payment, error) {
	found := []*boxoffice.Payment{}
	if ids = validIDs(ids); len(ids) == 0 {
		return found, nil
	}
	var args Args
	err := s.read(ctx, rowsOf(&found, scanPayment, "SELECT "+paymentColumns+" FROM payments WHERE "+s.d.In(&args, "booking_id", ids), args...))
	return found, s.fail(err, "find", "payments")
}

// Save writes what may change of a payment; queued, to go with the
// transaction's next round trip or its commit.
func (s payments) Save(ctx context.Context, p *boxoffice.Payment) error {
	p.UpdatedAt = Time(p.UpdatedAt)
	err := s.write(ctx, func(tx Tx) error {
		tx.Queue(exec(`UPDATE payments SET status = $2, amount_cents = $3, refunded_cents = $4, provider_ref = $5,
			client_secret = $6, updated_at = $7 WHERE id = $1`,
			canonicalID(p.ID), string(p.Status), p.AmountCents, p.RefundedCents, nullText(p.ProviderRef), nullText(p.ClientSecret), p.UpdatedAt))
		return nil
	})
	return s.fail(err, "save", "payment")
}

// SetProviderRef writes the reference and the secret only where there is
// no reference yet: one statement, no lock taken beyond the payment's row.
func (s payments) SetProviderRef(ctx context.Context, id, ref, clientSecret string, at time.Time) (bool, error) {
	if !boxoffice.ValidID(id) {
		return false, notFound("payment")
	}
	q := exec("UPDATE payments SET provider_ref = $2, client_secret = $3, updated_at = $4 WHERE id = $1 AND provider_ref IS NULL",
		canonicalID(id), ref, nullText(clientSecret), Time(at))
	err := s.write(ctx, func(tx Tx) error { return tx.Run(ctx, q) })
	return q.Affected == 1, s.fail(err, "prepare", "payment")
}

func (s payments) FirstDelivery(ctx context.Context, provider, eventID string, at time.Time) (bool, error) {
	q := exec("INSERT INTO provider_events (provider, event_id, received_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
		provider, eventID, Time(at))
	err := s.write(ctx, func(tx Tx) error { return tx.Run(ctx, q) })
	return q.Affected == 1, s.fail(err, "record", "provider event")
}

// paymentTable is the payments' columns as BookBatch inserts them.
var paymentTable = []Column{
	{"id", "uuid"}, {"booking_id", "uuid"}, {"provider", "text"}, {"status", "text"}, {"amount_cents", "bigint"},
	{"currency", "text"}, {"created_at", "timestamptz"}, {"updated_at", "timestamptz"},
}

// insertPayments queues one INSERT for new payments.
func insertPayments(tx Tx, d Dialect, ps []*boxoffice.Payment) {
	rows := make([][]any, len(ps))
	for i, p := range ps {
		rows[i] = []any{p.ID, p.BookingID, p.Provider, string(p.Status), p.AmountCents, p.Currency, p.CreatedAt, p.UpdatedAt}
	}
	var args Args
	tx.Queue(exec("INSERT INTO payments (id, booking_id, provider, status, amount_cents, currency, created_at, updated_at) SELECT * FROM "+
		d.Table(&args, "p", paymentTable, rows), args...))
}

package sqlstore

import (
	"slices"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// Tables are the tables the migrations make, on every engine; goose's
// bookkeeping is the engine's own.
var Tables = []string{"users", "events", "bookings", "changes", "payments", "provider_events", "idempotency_keys",
	"event_keys", "event_staff", "tickets", "scans", "ticket_types", "promo_codes", "waitlist_entries", "webhooks", "webhook_deliveries", "reminders"}

// NewSchema keeps, of lines such as "table users", "column users.email" or
// "index users.users_email_key", those about Tables, sorted.
func NewSchema(lines []string) boxoffice.Schema {
	out := boxoffice.Schema{}
	for _, l := range lines {
		_, name, _ := strings.Cut(l, " ")
		table, _, _ := strings.Cut(name, ".")
		if slices.Contains(Tables, table) {
			out = append(out, l)
		}
	}
	slices.Sort(out)
	return out
}

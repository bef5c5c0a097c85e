// Package storetest is the conformance suite every boxoffice store engine
// must pass, so that the engines behave alike: the same results, orders,
// error codes and invariants, however their SQL differs. Each engine runs it
// from a test of its own package:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) storetest.Engine {
//			return openFreshEmptyUnmigratedEngine(t) // closed by t.Cleanup
//		})
//	}
//
// Every case opens its own engine, so cases never see each other's data.
// The suite talks to an engine only through boxoffice.Store and
// boxoffice.Migrator: no SQL, so that it holds for any engine.
package storetest

import (
	"testing"

	"github.com/boxoffice/boxoffice"
)

// Engine is what a store engine implements: the store and its migrations.
type Engine interface {
	boxoffice.Store
	boxoffice.Migrator
}

// Opener returns a fresh engine: empty, its schema not created and not
// migrated, closed by a cleanup of t.
type Opener = func(t *testing.T) Engine

// Run runs the conformance suite against the engines open returns, one
// fresh engine per case. The cases are subtests, grouped by concept:
// Migrations, Schema, Changes, Transactions, Users, Events, Bookings,
// Accounts, Errors, IDs and Race; Tickets and Waitlist after Orders.
func Run(t *testing.T, open func(t *testing.T) Engine) {
	t.Helper()
	groups := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Migrations", testMigrations},
		{"Schema", testSchema},
		{"Changes", testChanges},
		{"Relay", testRelay},
		{"Webhooks", testWebhooks},
		{"Reminders", testReminders},
		{"Transactions", testTransactions},
		{"Orders", testOrders},
		{"Tickets", testTickets},
		{"Waitlist", testWaitlist},
		{"Payments", testPayments},
		{"Selling", testSelling},
		{"Users", testUsers},
		{"Events", testEvents},
		{"Bookings", testBookings},
		{"Totals", testTotals},
		{"Accounts", testAccounts},
		{"Errors", testErrors},
		{"IDs", testIDs},
		{"Race", testRace},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open) })
	}
}

// Migrated opens a fresh engine with open, creates its schema and applies
// every migration: an empty store ready for use.
func Migrated(t *testing.T, open func(t *testing.T) Engine) Engine {
	t.Helper()
	e := open(t)
	if err := e.CreateSchema(t.Context()); err != nil {
		t.Fatalf("CreateSchema: %v", err)
	}
	if _, err := e.MigrateUp(t.Context()); err != nil {
		t.Fatalf("MigrateUp: %v", err)
	}
	return e
}

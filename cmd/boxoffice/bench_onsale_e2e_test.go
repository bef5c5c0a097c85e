package main

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchOnsale runs `boxoffice bench onsale` and `boxoffice bench
// expiry` as bench/run.sh does, small, beside a server with
// PAYMENT_PROVIDER=test, on both engines: every buyer holds a ticket and
// pays it, the verification agrees with the database, and holds that run
// out at once all give their tickets back. Against a server without
// payments, onsale fails and says what to change.
func TestBenchOnsale(t *testing.T) {
	for _, engine := range []string{"sqlite", "postgres"} {
		t.Run(engine, func(t *testing.T) {
			var dir string
			if engine == "postgres" {
				dir = workdir(t, "DATABASE_URL="+freshDatabaseURL(t), "JWT_SECRET="+testSecret)
				if r := runCLI(t, dir, "", nil, "migrate"); r.code != 0 {
					t.Fatal(r)
				}
			} else {
				dir = workdir(t)
			}
			s := startServer(t, dir, "PAYMENT_PROVIDER=test")
			r := runCLI(t, dir, "", nil, "bench", "-url", s.url+"/graphql", "-c", "16", "-d", "50s", "-buyers", "200", "-json", "onsale")
			var rep struct {
				Buyers       int
				Errors       map[string]int
				Onsale       *struct{ Holds, Paid int }
				Verification *struct {
					OK               bool
					Sold, Held, Paid int
					SumOfBookings    int `json:"sum_of_bookings"`
					PaidAcknowledged int `json:"paid_acknowledged"`
					Summary          string
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &rep); r.code != 0 || err != nil {
				t.Fatalf("bench onsale: %v\n%s\nserver:\n%s", err, r, s.logs.String())
			}
			v := rep.Verification
			if rep.Buyers != 200 || len(rep.Errors) != 0 || rep.Onsale == nil || rep.Onsale.Holds != 200 || rep.Onsale.Paid != 200 ||
				v == nil || !v.OK || v.Sold != 200 || v.SumOfBookings != 200 || v.Paid != 200 || v.Held != 0 || v.PaidAcknowledged != 200 {
				t.Errorf("bench onsale: %+v, onsale %+v, verification %+v\n%s", rep, rep.Onsale, v, r.stderr)
			}

			r = runCLI(t, dir, "", nil, "bench", "-url", s.url+"/graphql", "-holds", "300", "-buyers", "30", "-json", "expiry")
			var exp struct {
				Expiry *struct {
					Holds, Expired, Pending int
					AllBackSec              float64 `json:"all_back_sec"`
					OK                      bool
				}
			}
			if err := json.Unmarshal([]byte(r.stdout), &exp); r.code != 0 || err != nil || exp.Expiry == nil {
				t.Fatalf("bench expiry: %v\n%s\nserver:\n%s", err, r, s.logs.String())
			}
			if x := exp.Expiry; !x.OK || x.Holds != 300 || x.Expired != 300 || x.Pending != 0 || x.AllBackSec < 0 {
				t.Errorf("bench expiry: %+v", x)
			}

			if engine != "sqlite" {
				return
			}
			// Without payments every booking is confirmed at once: nothing
			// to pay, and the run says so.
			noneDir := workdir(t)
			none := startServer(t, noneDir)
			r = runCLI(t, noneDir, "", nil, "bench", "-url", none.url+"/graphql", "-c", "8", "-buyers", "20", "onsale")
			if r.code != 1 || !strings.Contains(r.stdout+r.stderr, "PAYMENT_PROVIDER=test") || !strings.Contains(r.stdout+r.stderr, "verification FAILED") {
				t.Errorf("bench onsale without payments: %s", r)
			}
		})
	}
}

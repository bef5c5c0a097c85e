package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice/internal/qrtest"
)

// TestLifecycleAsANewcomerWould follows the README's Payments and Tickets
// sections with the binary, on each engine, as a newcomer would: the test
// provider, a priced event, a hold and its expiry, a declined card and a
// good one, the history, tickets whose QR codes decode, the PDF, the door
// (online and with a bundle alone), a cancellation and its refund, and a
// hold that expires and sells again.
func TestLifecycleAsANewcomerWould(t *testing.T) {
	env := []string{"PAYMENT_PROVIDER=test", "HOLD_TTL=3s", "RATE_LIMIT_MUTATIONS_PER_MINUTE=0"}
	t.Run("embedded", func(t *testing.T) {
		dir := workdir(t)
		newcomerLifecycle(t, dir, startServer(t, dir, env...))
	})
	t.Run("postgres", func(t *testing.T) {
		dir := workdir(t, originalEnv(freshDatabase(t))...)
		for _, step := range [][]string{{"schema", "create"}, {"migrate"}, {"seed"}} {
			if out, err := cli(t, dir, step...); err != nil {
				t.Fatalf("boxoffice %s: %v\n%s", strings.Join(step, " "), err, out)
			}
		}
		newcomerLifecycle(t, dir, startServer(t, dir, env...))
	})
}

func newcomerLifecycle(t *testing.T, dir string, s *instance) {
	const fields = `id status expiresAt unitPrice total currency
		payment { status amount refundedAmount } history { kind actor { username } }
		tickets { id code qrSvg status }`
	s.signIn(t, "bob@example.com") // an organizer
	ev := at(s.mustQuery(t, `mutation { createEvent(input: {title: "Gig", date: "2099-01-01T20:00:00Z", location: "Hall", totalTickets: 3, price: 12.5}) { id currency } }`, nil),
		"createEvent").(map[string]any)
	eventID := ev["id"].(string)
	if ev["currency"] != "EUR" {
		t.Fatalf("event currency %v, want EUR (CURRENCY's default)", ev["currency"])
	}

	// A buyer holds two tickets: PENDING until expiresAt, nothing issued yet.
	s.signIn(t, "carol@example.com")
	me := at(s.mustQuery(t, `{ me { id } }`, nil), "me", "id")
	book := func(n int) map[string]any {
		t.Helper()
		return at(s.mustQuery(t, `mutation($u: ID!, $e: ID!, $n: Int!) { createBooking(userId: $u, input: {eventId: $e, numberOfTickets: $n}) { `+fields+` } }`,
			map[string]any{"u": me, "e": eventID, "n": n}), "createBooking").(map[string]any)
	}
	b := book(2)
	id := b["id"].(string)
	expires, err := time.Parse(time.RFC3339Nano, b["expiresAt"].(string))
	if b["status"] != "PENDING" || err != nil || time.Until(expires) <= 0 || time.Until(expires) > 4*time.Second ||
		b["total"] != 25.0 || at(b, "payment", "status") != "REQUIRES_PAYMENT" || len(b["tickets"].([]any)) != 0 {
		t.Fatalf("createBooking: %v; want a PENDING hold of 25.00 for HOLD_TTL (3s), no tickets yet", b)
	}

	// A declined card leaves the hold; the good card confirms it.
	pay := func(card string) map[string]any {
		t.Helper()
		return at(s.mustQuery(t, `mutation($id: ID!, $c: String) { payBooking(id: $id, input: {card: $c}) { `+fields+` } }`,
			map[string]any{"id": id, "c": card}), "payBooking").(map[string]any)
	}
	if b = pay("4000000000000002"); b["status"] != "PENDING" || at(b, "payment", "status") != "FAILED" {
		t.Fatalf("declined card: %v %v; want PENDING with a FAILED payment", b["status"], b["payment"])
	}
	if b = pay("4242424242424242"); b["status"] != "CONFIRMED" || at(b, "payment", "status") != "SUCCEEDED" {
		t.Fatalf("good card: %v %v; want CONFIRMED, SUCCEEDED", b["status"], b["payment"])
	}
	if got := kinds(b); !containsInOrder(got, "CREATED", "PAYMENT_FAILED", "PAID", "CONFIRMED") {
		t.Fatalf("history %v; want CREATED, PAYMENT_FAILED, PAID, CONFIRMED in that order", got)
	}

	// Two tickets, each QR code holding its code; the PDF has both.
	tickets := b["tickets"].([]any)
	if len(tickets) != 2 {
		t.Fatalf("%d tickets, want 2", len(tickets))
	}
	codes := []string{at(tickets, 0, "code").(string), at(tickets, 1, "code").(string)}
	for i, tk := range tickets {
		if got := qrtest.DecodeSVG(t, at(tk, "qrSvg").(string), 400); got != codes[i] || at(tk, "status") != "VALID" {
			t.Fatalf("ticket %d: QR code reads %q, status %v; want %q, VALID", i, got, at(tk, "status"), codes[i])
		}
	}
	pdf := s.download(t, "/bookings/"+id+"/tickets.pdf", "application/pdf")
	if pages, got := qrtest.PDFCodes(t, pdf); pages != 2 || !sameSet(got, codes) {
		t.Fatalf("PDF: %d pages with codes %v; want 2 pages with %v", pages, got, codes)
	}

	// The door: the organizer checks the first ticket in, twice.
	s.signIn(t, "bob@example.com")
	checkIn := func(code string) map[string]any {
		t.Helper()
		return at(s.mustQuery(t, `mutation($e: ID!, $c: String!) { checkIn(eventId: $e, code: $c) { result firstCheckedInAt } }`,
			map[string]any{"e": eventID, "c": code}), "checkIn").(map[string]any)
	}
	if c := checkIn(codes[0]); c["result"] != "OK" {
		t.Fatalf("first scan: %v, want OK", c)
	}
	if c := checkIn(codes[0]); c["result"] != "ALREADY_CHECKED_IN" || c["firstCheckedInAt"] == nil {
		t.Fatalf("second scan: %v, want ALREADY_CHECKED_IN with firstCheckedInAt", c)
	}
	// An offline door with the bundle alone: the unused ticket is let in,
	// the used one and a forged one are not.
	bundle := filepath.Join(dir, "bundle.json")
	if err := os.WriteFile(bundle, s.download(t, "/events/"+eventID+"/checkin-bundle", "application/json"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The forgery changes one character of the signature. Not the last:
	// it carries 2 bits and is A one time in four, so writing "AA" over
	// the last two left the code as it was one run in 128.
	forged := []byte(codes[1])
	if i := len(forged) - 3; forged[i] == 'A' {
		forged[i] = 'B'
	} else {
		forged[i] = 'A'
	}
	for _, c := range []struct {
		code string
		exit int
		says string
	}{{codes[1], 0, "OK"}, {codes[0], 1, "ALREADY_CHECKED_IN"}, {string(forged), 1, "INVALID"}} {
		if r := runCLI(t, dir, "", nil, "checkin", "--bundle", bundle, c.code); r.code != c.exit || !strings.Contains(r.stdout, c.says) {
			t.Errorf("boxoffice checkin --bundle %s: %s; want exit %d saying %s", c.code, r, c.exit, c.says)
		}
	}

	// The buyer cancels: refunded in full, by a job, and the tickets void.
	s.signIn(t, "carol@example.com")
	s.mustQuery(t, `mutation($id: ID!) { cancelBooking(id: $id) { id } }`, map[string]any{"id": id})
	// The payment and the history are read by separate queries of one
	// request: wait for both, as the refund may commit between them.
	b = waitBooking(t, s, id, fields, func(b map[string]any) bool {
		return at(b, "payment", "status") == "REFUNDED" && slices.Contains(kinds(b), "REFUNDED")
	})
	// The ticket used at the door stays USED: it was.
	if b["status"] != "CANCELLED" || at(b, "payment", "refundedAmount") != 25.0 || ticketStatus(b, codes[0]) != "USED" ||
		ticketStatus(b, codes[1]) != "VOID" || !containsInOrder(kinds(b), "CHECKED_IN", "CANCELLED", "REFUNDED") {
		t.Fatalf("after cancelling: %s %v, tickets %s %s, history %v; want CANCELLED, refunded 25.00, the used ticket USED and the other VOID, history ending CHECKED_IN, CANCELLED, REFUNDED",
			b["status"], b["payment"], ticketStatus(b, codes[0]), ticketStatus(b, codes[1]), kinds(b))
	}

	// An unpaid hold of all 3 tickets expires, and they sell again.
	hold := book(3)
	waitBooking(t, s, hold["id"].(string), fields, func(b map[string]any) bool { return b["status"] == "EXPIRED" })
	if again := book(3); again["status"] != "PENDING" {
		t.Fatalf("booking after the hold expired: %v, want a new PENDING hold", again["status"])
	}

	// Nothing failed in the background.
	if r := runCLI(t, dir, "", []string{"PAYMENT_PROVIDER=test"}, "jobs"); r.code != 0 || r.stdout != "no failed jobs\n" {
		t.Errorf("boxoffice jobs: %s", r)
	}
}

// download GETs path with the instance's token and checks its type.
func (s *instance) download(t *testing.T, path, wantType string) []byte {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+s.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), wantType) {
		t.Fatalf("GET %s: %d %s %v\n%.300s", path, resp.StatusCode, resp.Header.Get("Content-Type"), err, body)
	}
	return body
}

// waitBooking reads a booking until done holds, for at most 15 s.
func waitBooking(t *testing.T, s *instance, id, fields string, done func(map[string]any) bool) map[string]any {
	t.Helper()
	var b map[string]any
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		b = at(s.mustQuery(t, `query($id: ID!) { booking(id: $id) { `+fields+` } }`, map[string]any{"id": id}), "booking").(map[string]any)
		if done(b) {
			return b
		}
	}
	t.Fatalf("booking %s did not get there within 15s: %v %v", id, b["status"], b["payment"])
	return nil
}

// ticketStatus is the status of the booking's ticket with code, or "".
func ticketStatus(b map[string]any, code string) string {
	for _, tk := range b["tickets"].([]any) {
		if at(tk, "code") == code {
			return at(tk, "status").(string)
		}
	}
	return ""
}

func kinds(b map[string]any) []string {
	var out []string
	for _, h := range b["history"].([]any) {
		out = append(out, at(h, "kind").(string))
	}
	return out
}

// containsInOrder says whether want appears in got in that order, not
// necessarily next to each other.
func containsInOrder(got []string, want ...string) bool {
	for _, k := range got {
		if len(want) > 0 && k == want[0] {
			want = want[1:]
		}
	}
	return len(want) == 0
}

func sameSet(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

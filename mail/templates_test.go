package mail

import (
	"io/fs"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"
	"time"
)

var (
	paris     = time.FixedZone("CET", 3600)
	eventDate = time.Date(2026, 6, 12, 20, 30, 0, 0, paris)
	expiry    = time.Date(2026, 6, 1, 18, 15, 0, 0, time.UTC)
)

func sampleEvent(title string) Event {
	return Event{Title: title, Date: eventDate, Location: "Olympia, Paris"}
}

var sampleBooking = Booking{ID: "b-7f3a", Tickets: 2, Total: Money{2500, "EUR"}}

var sampleTickets = []Ticket{
	{Code: "TK-AAAA-1111", Attendee: "Ann Lee", QRContentID: "qr-1@boxoffice"},
	{Code: "TK-BBBB-2222", QRContentID: "qr-2@boxoffice"},
}

// everyView is one view of every kind, all about the event title.
func everyView(title string) []View {
	ev := sampleEvent(title)
	return []View{
		BookingHeld{Name: "Ann", Event: ev, Booking: sampleBooking, ExpiresAt: expiry, PayURL: "https://shop.example.com/pay/b-7f3a"},
		BookingConfirmed{Name: "Ann", Event: ev, Booking: sampleBooking, Tickets: sampleTickets},
		HoldExpired{Name: "Ann", Event: ev, Booking: sampleBooking},
		BookingCancelled{Name: "Ann", Event: ev, Booking: sampleBooking},
		BookingRefunded{Name: "Ann", Event: ev, Booking: sampleBooking, Refund: Money{2500, "EUR"}},
		TicketSent{Name: "Ann", Event: ev, Ticket: sampleTickets[0], To: "bob@example.com"},
		TicketReceived{Name: "Bob", Event: ev, Ticket: sampleTickets[0], From: "Ann Lee"},
		WaitlistOffer{Name: "Cleo", Event: ev, Booking: sampleBooking, ExpiresAt: expiry},
		EventReminder{Name: "Ann", Event: ev, Booking: sampleBooking, Tickets: sampleTickets},
	}
}

// TestRenderEveryKind: every message renders in English with a one-line
// subject naming the event, a text and an HTML body that both show the
// event, its date in its own zone and the booking.
func TestRenderEveryKind(t *testing.T) {
	kinds := map[string]bool{}
	for _, v := range everyView("Jazz Night") {
		kind := v.template()
		kinds[kind] = true
		m, err := Render("en", v)
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		if m.Subject == "" || strings.ContainsAny(m.Subject, "\r\n") || !strings.Contains(m.Subject, "Jazz Night") {
			t.Errorf("%s: subject %q", kind, m.Subject)
		}
		for part, body := range map[string]string{"text": m.Text, "HTML": m.HTML} {
			for _, want := range []string{"Jazz Night", "Friday 12 June 2026, 20:30 CET", "Olympia, Paris"} {
				if !strings.Contains(body, want) {
					t.Errorf("%s %s lacks %q:\n%s", kind, part, want, body)
				}
			}
			if strings.Contains(body, "<no value>") || strings.Contains(body, "%!") {
				t.Errorf("%s %s has a hole:\n%s", kind, part, body)
			}
		}
		if !strings.HasPrefix(m.HTML, "<!DOCTYPE html>") || !strings.Contains(m.HTML, "<title>"+escapeHTML(m.Subject)+"</title>") {
			t.Errorf("%s: HTML is not a document titled with the subject:\n%s", kind, m.HTML)
		}
	}
	// Every template in the folder is used by a view, and every view has one.
	files, _ := fs.Glob(templateFS, "templates/en/*.txt")
	for _, f := range files {
		kind := strings.TrimSuffix(strings.TrimPrefix(f, "templates/en/"), ".txt")
		if kind != "layout" && !kinds[kind] {
			t.Errorf("template %s has no view", f)
		}
	}
}

func escapeHTML(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&#34;", "'", "&#39;").Replace(s)
}

// TestRenderDetails checks what each kind must say.
func TestRenderDetails(t *testing.T) {
	views := everyView("Jazz Night")
	render := func(v View) Message {
		m, err := Render("en", v)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	held := render(views[0])
	for _, want := range []string{"Monday 1 June 2026, 18:15 UTC", "EUR 25.00", "b-7f3a", "2 tickets", "https://shop.example.com/pay/b-7f3a"} {
		if !strings.Contains(held.Text, want) || !strings.Contains(held.HTML, want) {
			t.Errorf("booking held lacks %q", want)
		}
	}
	if !strings.Contains(held.HTML, `href="https://shop.example.com/pay/b-7f3a"`) {
		t.Errorf("booking held has no pay link:\n%s", held.HTML)
	}
	offer := render(views[7])
	if !strings.Contains(offer.Text, "Monday 1 June 2026, 18:15 UTC") || !strings.Contains(offer.Text, "open booking b-7f3a in boxoffice") {
		t.Errorf("waiting-list offer without expiry or how to pay:\n%s", offer.Text)
	}
	for _, i := range []int{1, 8} { // confirmed, reminder: every ticket, its QR inline
		m := render(views[i])
		for _, tk := range sampleTickets {
			if !strings.Contains(m.Text, tk.Code) || !strings.Contains(m.HTML, `src="cid:`+tk.QRContentID+`"`) {
				t.Errorf("%s lacks ticket %s or its QR image:\n%s", views[i].template(), tk.Code, m.HTML)
			}
		}
		if !strings.Contains(m.Text, "Ticket TK-AAAA-1111 for Ann Lee") {
			t.Errorf("%s does not name the attendee:\n%s", views[i].template(), m.Text)
		}
	}
	if m := render(views[4]); !strings.Contains(m.Subject, "EUR 25.00") {
		t.Errorf("refund subject %q lacks the amount", m.Subject)
	}
	if m := render(views[5]); !strings.Contains(m.Text, "to bob@example.com") {
		t.Errorf("ticket sent does not say to whom:\n%s", m.Text)
	}
	if m := render(views[6]); !strings.Contains(m.Subject, "Ann Lee sent you a ticket") || !strings.Contains(m.HTML, "cid:qr-1@boxoffice") {
		t.Errorf("ticket received: %q\n%s", m.Subject, m.HTML)
	}
	one := render(BookingConfirmed{Event: sampleEvent("X"), Booking: Booking{ID: "b", Tickets: 1, Total: Money{900, "USD"}}})
	if !strings.Contains(one.Subject, "Your ticket for") || !strings.Contains(one.Text, "1 ticket, USD 9.00") || !strings.HasPrefix(one.Text, "Hello,\n") {
		t.Errorf("one ticket, no name: %q\n%s", one.Subject, one.Text)
	}
}

// TestRenderEscapesHostileInput: a hostile event title, name or link
// cannot put markup or script into the HTML, and reads as written in the
// plain text.
func TestRenderEscapesHostileInput(t *testing.T) {
	const title = `</title><script>alert("x")</script><img src=x onerror=alert(1)> & "Friends"`
	tag := regexp.MustCompile(`(?i)<\s*(script|img[^>]*onerror)`)
	for _, v := range everyView(title) {
		m, err := Render("en", v)
		if err != nil {
			t.Fatal(err)
		}
		if tag.MatchString(m.HTML) || strings.Contains(m.HTML, "</title><script>") {
			t.Errorf("%s: the title's markup reached the HTML:\n%s", v.template(), m.HTML)
		}
		if !strings.Contains(m.HTML, "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") {
			t.Errorf("%s: the title is not shown escaped:\n%s", v.template(), m.HTML)
		}
		if !strings.Contains(m.Text, title) {
			t.Errorf("%s: the plain text does not show the title as written:\n%s", v.template(), m.Text)
		}
	}
	m, err := Render("en", BookingHeld{Name: "<b>Eve</b>", Event: sampleEvent("x\r\nBcc: evil@example.com"), Booking: sampleBooking,
		ExpiresAt: expiry, PayURL: "javascript:alert(1)"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, "javascript:") || strings.Contains(m.HTML, "<b>Eve</b>") {
		t.Errorf("a javascript: link or a name's markup reached the HTML:\n%s", m.HTML)
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		t.Errorf("subject %q spans lines", m.Subject)
	}
	evil := Ticket{Code: "x", QRContentID: `a" onerror="alert(1)`}
	m, err = Render("en", BookingConfirmed{Event: sampleEvent("x"), Booking: sampleBooking, Tickets: []Ticket{evil}})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.HTML, `" onerror="`) {
		t.Errorf("a content ID broke out of its attribute:\n%s", m.HTML)
	}
}

// TestRenderLanguages: a language is picked by its folder, a regional
// tag falls back to its base language, and a kind or a language that is
// missing falls back to English; a tag can never leave the folder.
func TestRenderLanguages(t *testing.T) {
	test := fstest.MapFS{}
	_ = fs.WalkDir(embedded, "templates/en", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, _ := fs.ReadFile(embedded, p)
			test[p] = &fstest.MapFile{Data: data}
		}
		return nil
	})
	test["templates/de/layout.txt"] = &fstest.MapFile{Data: []byte(`{{define "layout"}}Hallo {{.Name}}, {{template "body" .}}{{end}}`)}
	test["templates/de/layout.html"] = &fstest.MapFile{Data: []byte(`{{define "layout"}}<p>Hallo {{.Name}}</p>{{template "body" .}}{{end}}`)}
	test["templates/de/hold_expired.txt"] = &fstest.MapFile{Data: []byte(`{{define "subject"}}Reservierung abgelaufen: {{.Event.Title}}{{end}}{{define "body"}}abgelaufen{{end}}`)}
	test["templates/de/hold_expired.html"] = &fstest.MapFile{Data: []byte(`{{define "body"}}<p>abgelaufen</p>{{end}}`)}
	test["templates/../secret.txt"] = &fstest.MapFile{Data: []byte("secret")}
	old := templateFS
	templateFS = test
	t.Cleanup(func() { templateFS = old })

	v := HoldExpired{Name: "Jo", Event: sampleEvent("Konzert"), Booking: sampleBooking}
	for lang, want := range map[string]string{
		"de": "Reservierung abgelaufen", "de-AT": "Reservierung abgelaufen", "de_CH": "Reservierung abgelaufen", " DE ": "Reservierung abgelaufen",
		"en": "were released", "": "were released", "fr": "were released", "../..": "were released", "de/../../x": "were released",
	} {
		m, err := Render(lang, v)
		if err != nil || !strings.Contains(m.Subject, want) {
			t.Errorf("Render(%q): subject %q, %v; want one with %q", lang, m.Subject, err, want)
		}
	}
	// German has no booking_held: English.
	m, err := Render("de", BookingHeld{Event: sampleEvent("Konzert"), Booking: sampleBooking, ExpiresAt: expiry})
	if err != nil || !strings.HasPrefix(m.Subject, "Pay by") {
		t.Errorf("a kind missing in German: %q, %v; want English", m.Subject, err)
	}
}

// TestRenderBrokenTemplateIsPermanent: a template that fails is the same
// failure on every retry.
func TestRenderBrokenTemplateIsPermanent(t *testing.T) {
	old := templateFS
	templateFS = fstest.MapFS{
		"templates/en/layout.txt":        {Data: []byte(`{{define "layout"}}{{template "body" .}}{{end}}`)},
		"templates/en/layout.html":       {Data: []byte(`{{define "layout"}}{{template "body" .}}{{end}}`)},
		"templates/en/hold_expired.txt":  {Data: []byte(`{{define "subject"}}{{.NoSuchField}}{{end}}{{define "body"}}x{{end}}`)},
		"templates/en/hold_expired.html": {Data: []byte(`{{define "body"}}x{{end}}`)},
	}
	t.Cleanup(func() { templateFS = old })
	if _, err := Render("en", HoldExpired{}); err == nil || !Permanent(err) {
		t.Fatalf("a broken template: %v, want a permanent error", err)
	}
	if _, err := Render("en", BookingHeld{}); err == nil || !Permanent(err) {
		t.Fatalf("a missing template: %v, want a permanent error", err)
	}
}

package qr_test

import (
	"crypto/ed25519"
	"strings"
	"testing"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/qrtest"
	"github.com/boxoffice/boxoffice/qr"
)

// A ticket code survives the SVG and the PNG: another decoder reads back
// exactly the code, and it still verifies.
func TestTicketCodeRoundTrips(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(nil)
	code := boxoffice.SignTicketCode(key, boxoffice.NewID(), boxoffice.NewID(), 3)
	c, err := qr.Encode(code)
	if err != nil {
		t.Fatal(err)
	}
	if c.Size > 57 { // version 10: what phone cameras read easily from a screen
		t.Errorf("a ticket code takes a %d×%d QR code", c.Size, c.Size)
	}
	svg := c.SVG()
	if !strings.HasPrefix(svg, "<svg ") || !strings.HasSuffix(svg, "</svg>") {
		t.Errorf("not an SVG document: %.80s…", svg)
	}
	// Drawn at 8 and 12 pixels a module (the size with the quiet zone is
	// Size+8 modules), as a screen or a printer would.
	for _, size := range []int{(c.Size + 8) * 8, (c.Size + 8) * 12} {
		if got := qrtest.DecodeSVG(t, svg, size); got != code {
			t.Errorf("SVG drawn at %dpx reads %q, want %q", size, got, code)
		}
	}
	png, err := c.PNG(8)
	if err != nil {
		t.Fatal(err)
	}
	got := qrtest.DecodeImage(t, png)
	if got != code {
		t.Errorf("PNG reads %q, want %q", got, code)
	}
	if _, ok := boxoffice.VerifyTicketCode(key.Public().(ed25519.PublicKey), got); !ok {
		t.Error("the code read back does not verify")
	}
}

// Text the alphanumeric mode cannot hold still encodes.
func TestAnyText(t *testing.T) {
	c, err := qr.Encode("https://example.com/tickets?id=ä")
	if err != nil {
		t.Fatal(err)
	}
	if got := qrtest.DecodeSVG(t, c.SVG(), (c.Size+8)*8); got != "https://example.com/tickets?id=ä" {
		t.Errorf("read %q", got)
	}
}

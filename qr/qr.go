// Package qr draws QR codes of ticket codes: as an SVG document for the
// API and as a PNG image for the tickets' PDF. The encoding is
// github.com/yeqown/go-qrcode's; this package only draws its modules.
package qr

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// quietZone is the blank margin, in modules, that the QR specification
// asks for around a code so that scanners find it.
const quietZone = 4

// Code is the modules of one QR code: Dark(x, y) for x, y in [0, Size).
type Code struct {
	Size int
	dark [][]bool // [y][x]
}

// Dark reports whether the module at column x, row y is dark.
func (c *Code) Dark(x, y int) bool { return c.dark[y][x] }

// Encode makes the QR code of text at error correction level M (15% of it
// may be damaged), in alphanumeric mode where text allows it: the densest
// for ticket codes, which are base32.
func Encode(text string) (*Code, error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("qr: encode: %w", err)
	}
	var m matrixOf
	if err := q.Save(&m); err != nil {
		return nil, fmt.Errorf("qr: encode: %w", err)
	}
	return m.code, nil
}

// matrixOf is a qrcode.Writer that keeps the modules.
type matrixOf struct{ code *Code }

func (w *matrixOf) Write(mat qrcode.Matrix) error {
	n := mat.Width()
	c := &Code{Size: n, dark: make([][]bool, n)}
	for y := range c.dark {
		c.dark[y] = make([]bool, n)
	}
	mat.Iterate(qrcode.IterDirection_COLUMN, func(x, y int, v qrcode.QRValue) {
		c.dark[y][x] = v.IsSet()
	})
	w.code = c
	return nil
}

func (w *matrixOf) Close() error { return nil }

// SVG is the code as a standalone SVG document: one path of unit squares,
// with the quiet zone, black on white, scaling to any size without blur.
func (c *Code) SVG() string {
	side := c.Size + 2*quietZone
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" shape-rendering="crispEdges">`,
		side, side, side*8, side*8)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, side, side)
	for y := range c.Size {
		for x := 0; x < c.Size; x++ {
			if !c.dark[y][x] {
				continue
			}
			run := 1 // a row's run of dark modules is one rectangle
			for x+run < c.Size && c.dark[y][x+run] {
				run++
			}
			fmt.Fprintf(&b, "M%d %dh%dv1h-%dz", x+quietZone, y+quietZone, run, run)
			x += run - 1
		}
	}
	b.WriteString(`"/></svg>`)
	return b.String()
}

// PNG is the code as a grey-scale PNG image, scale pixels a module, with
// the quiet zone.
func (c *Code) PNG(scale int) ([]byte, error) {
	side := (c.Size + 2*quietZone) * scale
	img := image.NewGray(image.Rect(0, 0, side, side))
	for i := range img.Pix {
		img.Pix[i] = 0xff
	}
	for y := range c.Size {
		for x := range c.Size {
			if !c.dark[y][x] {
				continue
			}
			for dy := range scale {
				for dx := range scale {
					img.SetGray((x+quietZone)*scale+dx, (y+quietZone)*scale+dy, color.Gray{})
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("qr: png: %w", err)
	}
	return buf.Bytes(), nil
}

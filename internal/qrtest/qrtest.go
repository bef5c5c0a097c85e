// Package qrtest reads QR codes back in tests, with decoders that share no
// code with the encoder: gozxing (a port of ZXing) for the images, and
// oksvg for drawing an SVG document first, pdfcpu for the images of a
// PDF.
package qrtest

import (
	"bytes"
	"image"
	"image/draw"
	_ "image/jpeg" // images embedded in PDFs
	_ "image/png"
	"io"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/qrcode"
	"github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/srwiley/oksvg"
	"github.com/srwiley/rasterx"
)

// Decode returns the text of the QR code in img.
func Decode(t testing.TB, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatalf("qrtest: bitmap: %v", err)
	}
	res, err := qrcode.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_PURE_BARCODE: false})
	if err != nil {
		t.Fatalf("qrtest: no QR code found: %v", err)
	}
	return res.GetText()
}

// DecodeImage decodes an encoded image (PNG or JPEG).
func DecodeImage(t testing.TB, data []byte) string {
	t.Helper()
	img, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("qrtest: image: %v", err)
	}
	return Decode(t, img)
}

// DecodeSVG draws an SVG document at size×size pixels and decodes it.
func DecodeSVG(t testing.TB, svg string, size int) string {
	t.Helper()
	icon, err := oksvg.ReadIconStream(strings.NewReader(svg), oksvg.StrictErrorMode)
	if err != nil {
		t.Fatalf("qrtest: svg: %v", err)
	}
	icon.SetTarget(0, 0, float64(size), float64(size))
	img := image.NewRGBA(image.Rect(0, 0, size, size))
	draw.Draw(img, img.Bounds(), image.White, image.Point{}, draw.Src)
	icon.Draw(rasterx.NewDasher(size, size, rasterx.NewScannerGV(size, size, img, img.Bounds())), 1)
	return Decode(t, img)
}

// PDFCodes returns how many pages a PDF has and the text of the QR code
// of each image in it, page by page (pdfcpu reads the PDF).
func PDFCodes(t testing.TB, pdf []byte) (pages int, codes []string) {
	t.Helper()
	conf := model.NewDefaultConfiguration()
	pages, err := api.PageCount(bytes.NewReader(pdf), conf)
	if err != nil {
		t.Fatalf("qrtest: not a PDF: %v", err)
	}
	byPage := map[int][]string{}
	err = api.ExtractImages(bytes.NewReader(pdf), nil, func(img model.Image, _ bool, _ int) error {
		data, err := io.ReadAll(img)
		if err != nil {
			return err
		}
		byPage[img.PageNr] = append(byPage[img.PageNr], DecodeImage(t, data))
		return nil
	}, conf)
	if err != nil {
		t.Fatalf("qrtest: images of the PDF: %v", err)
	}
	for p := 1; p <= pages; p++ {
		codes = append(codes, byPage[p]...)
	}
	return pages, codes
}

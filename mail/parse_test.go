package mail

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"testing"
)

// parsed is a message read back with the standard library alone (net/mail,
// mime/multipart), as a mail client would read it.
type parsed struct {
	Header      mail.Header
	Subject     string // decoded
	Structure   []string
	Text, HTML  string
	Inline      map[string][]byte // Content-ID without <> → bytes
	InlineType  map[string]string
	Attachments map[string]part // file name → part
}

type part struct {
	ContentType string
	Data        []byte
}

// parseMessage reads raw, walking every multipart level; it fails t on any
// part it does not expect.
func parseMessage(t *testing.T, raw []byte) parsed {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, raw)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Fatalf("decode subject: %v", err)
	}
	p := parsed{Header: msg.Header, Subject: subject, Inline: map[string][]byte{},
		InlineType: map[string]string{}, Attachments: map[string]part{}}
	p.walk(t, msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"),
		msg.Header.Get("Content-Disposition"), msg.Header.Get("Content-ID"), msg.Body, 0)
	return p
}

func (p *parsed) walk(t *testing.T, ctype, cte, disposition, cid string, body io.Reader, depth int) {
	t.Helper()
	media, params, err := mime.ParseMediaType(ctype)
	if err != nil {
		t.Fatalf("content type %q: %v", ctype, err)
	}
	p.Structure = append(p.Structure, strings.Repeat("  ", depth)+media)
	if strings.HasPrefix(media, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			part, err := mr.NextRawPart()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("%s part: %v", media, err)
			}
			p.walk(t, part.Header.Get("Content-Type"), part.Header.Get("Content-Transfer-Encoding"),
				part.Header.Get("Content-Disposition"), part.Header.Get("Content-Id"), part, depth+1)
		}
	}
	data := decodeBody(t, cte, body)
	disp, dparams, _ := mime.ParseMediaType(disposition)
	switch {
	case disp == "attachment":
		name, err := new(mime.WordDecoder).DecodeHeader(dparams["filename"])
		if err != nil {
			t.Fatalf("attachment name: %v", err)
		}
		p.Attachments[name] = part{ContentType: media, Data: data}
	case cid != "":
		id := strings.TrimSuffix(strings.TrimPrefix(cid, "<"), ">")
		p.Inline[id] = data
		p.InlineType[id] = media
	case media == "text/plain":
		p.Text = string(data)
	case media == "text/html":
		p.HTML = string(data)
	default:
		t.Fatalf("unexpected part %s (disposition %q)", media, disposition)
	}
}

func decodeBody(t *testing.T, cte string, body io.Reader) []byte {
	t.Helper()
	var r io.Reader
	switch strings.ToLower(cte) {
	case "base64":
		r = base64.NewDecoder(base64.StdEncoding, body)
	case "quoted-printable":
		r = quotedprintable.NewReader(body)
	default:
		r = body
	}
	data, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s body: %v", cte, err)
	}
	return data
}

// crlf normalises line ends: the wire uses CRLF, the templates LF.
func crlf(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }

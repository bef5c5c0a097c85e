package mail

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// compose builds the MIME message both Senders deliver, so that an .eml
// in the outbox is exactly what the SMTP server would have received:
//
//	multipart/mixed                      (when there are attachments)
//	  multipart/related                  (when there are inline images)
//	    multipart/alternative            (text and HTML)
//	      text/plain; charset=UTF-8
//	      text/html; charset=UTF-8
//	    image/png; Content-ID: <id>      (each inline image)
//	  application/pdf …                  (each attachment)
//
// Every error is permanent: the same message would fail again.
func compose(from *mail.Address, m Message, now time.Time) (*gomail.Msg, error) {
	if len(m.To) == 0 {
		return nil, permanent(errors.New("mail: a message needs at least one recipient"))
	}
	if m.Text == "" && m.HTML == "" {
		return nil, permanent(errors.New("mail: a message needs a text or an HTML body"))
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(from)
	to := make([]*mail.Address, len(m.To))
	for i, raw := range m.To {
		a, err := mail.ParseAddress(raw)
		if err != nil {
			return nil, permanent(fmt.Errorf("mail: recipient %q: %w", raw, err))
		}
		to[i] = a
	}
	msg.ToMailAddress(to...)
	msg.Subject(oneLine(m.Subject))
	msg.SetDateWithValue(now)
	if m.ID != "" {
		if !safeID(m.ID) || !strings.Contains(m.ID, "@") {
			return nil, permanent(fmt.Errorf("mail: message ID %q must look like local@domain, with letters, digits and . _ - only", m.ID))
		}
		msg.SetMessageIDWithValue(m.ID)
	} else {
		msg.SetMessageID()
	}

	switch {
	case m.Text != "" && m.HTML != "":
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	case m.HTML != "":
		msg.SetBodyString(gomail.TypeTextHTML, m.HTML)
	default:
		msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	}

	for _, img := range m.Inline {
		if !safeID(img.ContentID) {
			return nil, permanent(fmt.Errorf("mail: inline image content ID %q: use letters, digits and . _ - @ only", img.ContentID))
		}
		err := msg.EmbedReader(img.ContentID+".png", bytes.NewReader(img.PNG),
			gomail.WithFileContentType("image/png"), gomail.WithFileContentID("<"+img.ContentID+">"))
		if err != nil {
			return nil, permanent(fmt.Errorf("mail: inline image %s: %w", img.ContentID, err))
		}
	}
	for _, a := range m.Attachments {
		if strings.TrimSpace(a.Name) == "" {
			return nil, permanent(errors.New("mail: an attachment needs a file name"))
		}
		var opts []gomail.FileOption
		if a.ContentType != "" {
			opts = append(opts, gomail.WithFileContentType(gomail.ContentType(oneLine(a.ContentType))))
		}
		if err := msg.AttachReader(oneLine(a.Name), bytes.NewReader(a.Data), opts...); err != nil {
			return nil, permanent(fmt.Errorf("mail: attachment %s: %w", a.Name, err))
		}
	}
	return msg, nil
}

// render writes the composed message as RFC 5322 bytes, with CRLF line
// ends, as it goes over SMTP.
func render(msg *gomail.Msg) ([]byte, error) {
	var buf bytes.Buffer
	if _, err := msg.WriteTo(&buf); err != nil {
		return nil, fmt.Errorf("mail: write MIME: %w", err)
	}
	return buf.Bytes(), nil
}

// oneLine folds every run of white space, line breaks included, into one
// space, so that a value cannot add a header.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// safeID reports whether id is a non-empty run of letters, digits and
// . _ - @, which is safe inside <…> in a header and in a cid: URL.
func safeID(id string) bool {
	if id == "" || len(id) > 200 {
		return false
	}
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune("._-@", r):
		default:
			return false
		}
	}
	return true
}

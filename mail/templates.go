package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
	"time"
)

// The templates, one folder a language (templates/en/...). Each kind of
// message has two files named after View.template():
//
//   - KIND.txt, a text/template defining "subject" (one line) and "body",
//     the plain-text body;
//   - KIND.html, an html/template defining "body", the HTML body.
//
// layout.txt and layout.html wrap the bodies ("layout"), with the greeting
// and the signature. To add a language, copy templates/en to
// templates/LANG and translate it; a kind missing from LANG falls back to
// English. HTML is escaped by html/template, the plain text is not
// (text/template), so names and titles read as written in both.
//
//go:embed templates
var embedded embed.FS

// templateFS is where Render reads the templates: the embedded ones, or a
// test's.
var templateFS fs.FS = embedded

// DefaultLang is the language every message exists in.
const DefaultLang = "en"

// funcs are the helpers the templates use.
var funcs = map[string]any{
	// when formats a date and time, in the time's own location.
	"when": func(t time.Time) string { return t.Format("Monday 2 January 2006, 15:04 MST") },
	// list makes a one-ticket list, for the "tickets" block.
	"list": func(t ...Ticket) []Ticket { return t },
	// plural picks the singular or the plural word for n.
	"plural": func(n int, one, many string) string {
		if n == 1 {
			return one
		}
		return many
	},
}

// Render fills the templates of v's kind in lang (such as "en", "de" or
// "de-AT"; "" or an unknown language: English) and returns a Message with
// its Subject, Text and HTML. The caller adds the recipients and any
// attachments and inline images. An error is permanent: the same view
// would fail again.
func Render(lang string, v View) (Message, error) {
	kind := v.template()
	dir, err := langDir(lang, kind)
	if err != nil {
		return Message{}, permanent(err)
	}
	subject, text, err := renderText(dir, kind, v)
	if err != nil {
		return Message{}, permanent(err)
	}
	html, err := renderHTML(dir, kind, subject, v)
	if err != nil {
		return Message{}, permanent(err)
	}
	return Message{Subject: subject, Text: text, HTML: html}, nil
}

// langDir is the first of lang, its base language and English whose folder
// has both templates of kind.
func langDir(lang, kind string) (string, error) {
	lang = strings.ToLower(strings.ReplaceAll(strings.TrimSpace(lang), "_", "-"))
	var tries []string
	if validLang(lang) {
		tries = append(tries, lang)
		if base, _, ok := strings.Cut(lang, "-"); ok {
			tries = append(tries, base)
		}
	}
	tries = append(tries, DefaultLang)
	for _, l := range tries {
		dir := path.Join("templates", l)
		if exists(path.Join(dir, kind+".txt")) && exists(path.Join(dir, kind+".html")) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("mail: no templates for %s", kind)
}

// validLang keeps a language tag to letters, digits and dashes, so that it
// can never leave the templates folder.
func validLang(lang string) bool {
	if lang == "" || len(lang) > 35 {
		return false
	}
	for _, r := range lang {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
			return false
		}
	}
	return true
}

func exists(name string) bool {
	_, err := fs.Stat(templateFS, name)
	return err == nil
}

// renderText returns the subject, on one line, and the plain-text body.
func renderText(dir, kind string, v View) (subject, body string, err error) {
	t, err := texttemplate.New(kind).Funcs(funcs).Option("missingkey=error").
		ParseFS(templateFS, path.Join(dir, "layout.txt"), path.Join(dir, kind+".txt"))
	if err != nil {
		return "", "", fmt.Errorf("mail: parse %s/%s.txt: %w", dir, kind, err)
	}
	var s, b bytes.Buffer
	if err := t.ExecuteTemplate(&s, "subject", v); err != nil {
		return "", "", fmt.Errorf("mail: subject of %s: %w", kind, err)
	}
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		return "", "", fmt.Errorf("mail: text of %s: %w", kind, err)
	}
	return oneLine(s.String()), strings.TrimSpace(b.String()) + "\n", nil
}

// renderHTML returns the HTML body, whose title is subject.
func renderHTML(dir, kind, subject string, v View) (string, error) {
	t, err := htmltemplate.New(kind).Funcs(funcs).Funcs(htmltemplate.FuncMap{"subject": func() string { return subject }}).
		Option("missingkey=error").
		ParseFS(templateFS, path.Join(dir, "layout.html"), path.Join(dir, kind+".html"))
	if err != nil {
		return "", fmt.Errorf("mail: parse %s/%s.html: %w", dir, kind, err)
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout", v); err != nil {
		return "", fmt.Errorf("mail: HTML of %s: %w", kind, err)
	}
	return b.String(), nil
}

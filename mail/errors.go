package mail

import (
	"errors"

	gomail "github.com/wneessen/go-mail"
)

// permanentError marks an error that retrying the same message cannot
// cure: the server rejected it for good, or it cannot be built.
type permanentError struct{ err error }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// permanent marks err as permanent; nil stays nil.
func permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err: err}
}

// Permanent reports whether err says that sending the same message again
// cannot succeed, so a job should give up (and leave the message visible
// as failed) rather than retry. It is true for:
//
//   - a 5xx reply of the server to this message's MAIL FROM, RCPT TO or
//     DATA: the server refused the sender, a recipient or the content;
//   - a message that cannot be built: no recipient, a malformed address,
//     a bad content ID, a template that does not render.
//
// It is false, and a retry may help, for everything else: 4xx replies
// (greylisting, a full mailbox, a busy server), refused or broken
// connections, timeouts, TLS and authentication failures. The last two
// are the server's or the configuration's doing, not the message's, so
// the message waits for them to be fixed instead of being dropped.
func Permanent(err error) bool {
	var p *permanentError
	return errors.As(err, &p)
}

// classifySMTP marks an error of go-mail's send as permanent when the
// server rejected the message with a 5xx reply or go-mail could not read
// the message's addresses.
func classifySMTP(err error) error {
	var se *gomail.SendError
	if errors.As(err, &se) {
		switch se.Reason {
		case gomail.ErrGetSender, gomail.ErrGetRcpts, gomail.ErrNoUnencoded:
			return permanent(err)
		case gomail.ErrSMTPMailFrom, gomail.ErrSMTPRcptTo, gomail.ErrSMTPData, gomail.ErrSMTPDataClose:
			if se.ErrorCode() >= 500 && !se.IsTemp() {
				return permanent(err)
			}
		}
	}
	return err
}

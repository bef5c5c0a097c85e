// Package eventstream publishes boxoffice's domain changes to a NATS
// JetStream stream, so that other services can consume them: subjects
// such as boxoffice.booking.confirmed, each message carrying the change's
// id as its Nats-Msg-Id, which JetStream uses to store a message once
// however often it is published within the duplicate window.
//
// Publishing is at least once: Publish returns only when the stream has
// stored the message (its PubAck), and an error otherwise, which the
// caller's job retries. NATS being down never blocks: Open succeeds
// without it, nats.go reconnects in the background, and Publish fails at
// once while there is no connection, or when its context ends.
package eventstream

import (
	"fmt"
	"strings"
	"time"
)

// DefaultPrefix is the first token of every subject.
const DefaultPrefix = "boxoffice"

// DefaultStream is the stream's name when NATS_STREAM is not set.
const DefaultStream = "BOXOFFICE"

// DuplicateWindow is how long JetStream remembers a message id to drop a
// second copy. A copy is only ever published when the first publish
// reached the stream but its acknowledgement did not reach us (a timeout,
// a dropped connection, a server restart), and the publisher retries it
// at once or on its job's next attempts: River's first retries come after
// about 1, 16 and 81 seconds, all inside two minutes, and JetStream
// rebuilds the window from the stored messages when it restarts, so a
// restart within it loses no de-duplication. A copy retried later still
// reaches consumers, which is what "at least once" allows: consumers that
// must act once de-duplicate by Nats-Msg-Id too. A longer window would
// cost the server memory for every id of the window's traffic.
const DuplicateWindow = 2 * time.Minute

// Subject is the subject of a change kind under the default prefix:
// "booking.confirmed" is "boxoffice.booking.confirmed".
func Subject(kind string) string { return DefaultPrefix + "." + kind }

// validSubject reports whether s is a literal subject: tokens of
// printable characters without spaces or wildcards, joined by dots.
func validSubject(s string) error {
	if s == "" {
		return fmt.Errorf("an empty subject")
	}
	for _, tok := range strings.Split(s, ".") {
		if tok == "" {
			return fmt.Errorf("subject %q has an empty token", s)
		}
		if tok == "*" || tok == ">" {
			return fmt.Errorf("subject %q has a wildcard: publish to a literal subject", s)
		}
		for _, r := range tok {
			if r <= ' ' || r == 0x7f {
				return fmt.Errorf("subject %q has a space or control character", s)
			}
		}
	}
	return nil
}

package webhooks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"time"
)

// eventType is the specification's form of an event type: identifiers of
// [a-zA-Z0-9_] joined by full stops, such as booking.confirmed.
var eventType = regexp.MustCompile(`^[a-zA-Z0-9_]+(\.[a-zA-Z0-9_]+)*$`)

// Payload returns the JSON body of a delivery in the layout the
// specification recommends: {"type": …, "timestamp": …, "data": …}, with
// the time the event happened (not the attempt's) in RFC 3339, UTC. The
// bytes are what gets signed and sent: store them with the delivery, so
// every retry sends the same body.
func Payload(typ string, happened time.Time, data any) ([]byte, error) {
	if !eventType.MatchString(typ) {
		return nil, fmt.Errorf("webhooks: event type %q must be identifiers of letters, digits and _ joined by full stops", typ)
	}
	b, err := json.Marshal(struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
		Data      any    `json:"data"`
	}{typ, happened.UTC().Format(time.RFC3339Nano), data})
	if err != nil {
		return nil, fmt.Errorf("webhooks: payload of %s: %w", typ, err)
	}
	return b, nil
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/boxoffice/boxoffice"
)

const checkinUsage = `Usage: boxoffice checkin --bundle FILE CODE

Says what a door with only an event's check-in bundle (GET
/events/{id}/checkin-bundle, saved to FILE) makes of a ticket code: OK,
ALREADY_CHECKED_IN (with when), VOID, WRONG_EVENT or INVALID. It reads
nothing but FILE: no database, no network. This is the check an offline
scanner makes; the scans themselves are uploaded later with checkInScans.
Exits 0 for OK, 1 for any other answer.
`

// errNotAdmitted is checkin's answer for a code that does not let its
// holder in: already printed, so reported as nothing but the exit code.
var errNotAdmitted = errors.New("not admitted")

func runCheckin(_ context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("checkin", checkinUsage, stdout)
	file := fs.String("bundle", "", "the event's check-in bundle, as downloaded (required)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if *file == "" || len(rest) != 1 {
		return fs.fail("want --bundle FILE and one CODE")
	}
	data, err := os.ReadFile(*file)
	if err != nil {
		return fmt.Errorf("read the bundle: %w", err)
	}
	var b boxoffice.CheckInBundle
	if err := json.Unmarshal(data, &b); err != nil || b.EventID == "" || b.PublicKey == "" {
		return fmt.Errorf("%s is not a check-in bundle (GET /events/{id}/checkin-bundle)", *file)
	}
	result, first := b.Check(rest[0])
	switch result {
	case boxoffice.CheckInOK:
		fmt.Fprintln(stdout, "OK: let them in")
		return nil
	case boxoffice.CheckInAlreadyCheckedIn:
		fmt.Fprintf(stdout, "ALREADY_CHECKED_IN: first at %s\n", first.UTC().Format(time.RFC3339))
	default:
		fmt.Fprintln(stdout, result)
	}
	fmt.Fprintf(stdout, "(bundle of event %s made at %s: later check-ins and transfers are not in it)\n", b.EventID, b.MadeAt.UTC().Format(time.RFC3339))
	return errNotAdmitted
}

package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"strconv"
	"time"
)

type worker struct {
	c           *client
	o           Options
	events      []*event
	buyers      *buyers // who books: see nextBuyer
	st          *stats
	live        *live
	rng         *rand.Rand
	measureFrom time.Time
	end         time.Time
	readToggle  bool

	buf  bytes.Buffer
	body []byte
}

func (w *worker) run(ctx context.Context) {
	for ctx.Err() == nil {
		t0 := time.Now()
		if !t0.Before(w.end) {
			return
		}
		measured := !t0.Before(w.measureFrom)
		books := w.o.Scenario == Hot || w.o.Scenario == Spread ||
			(w.o.Scenario == Mixed && w.rng.Float64() >= w.o.ReadFraction)
		if books {
			w.book(ctx, t0, measured)
			continue
		}
		o := opReadEvents
		if w.readToggle {
			o = opReadBookings
		}
		w.readToggle = !w.readToggle
		w.read(ctx, o, t0, measured)
	}
}

func (w *worker) book(ctx context.Context, t0 time.Time, measured bool) {
	ev := 0
	if len(w.events) > 1 {
		ev = w.rng.IntN(len(w.events))
	}
	n := w.o.TicketsPerBooking
	by := w.nextBuyer()
	b := append(w.body[:0], bookPrefix...)
	b = append(b, by.quoted...)
	b = append(b, bookMiddle...)
	b = append(b, w.events[ev].quoted...)
	if types := w.events[ev].types; len(types) > 0 {
		b = append(b, bookType...)
		b = append(b, types[w.rng.IntN(len(types))]...)
	}
	b = append(b, bookTickets...)
	b = strconv.AppendInt(b, int64(n), 10)
	b = append(b, "}}}"...)
	w.body = b

	w.st.attempts[ev]++
	status, err := w.c.postAs(ctx, b, by.auth, &w.buf)
	lat := time.Since(t0)
	w.live.requests.Add(1)
	if measured {
		w.st.requests[opBooking]++
	}
	if err != nil {
		w.st.uncertain[ev] += int64(n)
		w.transportError(transportClass(err), measured)
		return
	}
	var resp struct {
		Data *struct {
			CreateBooking *struct {
				ID              string `json:"id"`
				NumberOfTickets int64  `json:"numberOfTickets"`
			} `json:"createBooking"`
		} `json:"data"`
		Errors []gqlError `json:"errors"`
	}
	if json.Unmarshal(w.buf.Bytes(), &resp) != nil || (len(resp.Errors) == 0 && (resp.Data == nil || resp.Data.CreateBooking == nil)) {
		w.st.uncertain[ev] += int64(n)
		w.transportError("HTTP "+strconv.Itoa(status)+" without a GraphQL answer", measured)
		return
	}
	if measured {
		w.st.hist[opBooking].record(lat)
	}
	if len(resp.Errors) > 0 {
		code := resp.Errors[0].code()
		if uncertainCode(code) {
			w.st.uncertain[ev] += int64(n)
		}
		w.graphQLError(resp.Errors[0], measured)
		return
	}
	w.st.acked[ev] += resp.Data.CreateBooking.NumberOfTickets
	w.live.bookings.Add(1)
	if measured {
		w.st.ok[opBooking]++
	}
}

func (w *worker) read(ctx context.Context, o op, t0 time.Time, measured bool) {
	status, err := w.c.post(ctx, readBodies[o], &w.buf)
	lat := time.Since(t0)
	w.live.requests.Add(1)
	if measured {
		w.st.requests[o]++
	}
	if err != nil {
		w.transportError(transportClass(err), measured)
		return
	}
	body := w.buf.Bytes()
	if bytes.Contains(body, errorsKey) {
		var resp struct {
			Errors []gqlError `json:"errors"`
		}
		if json.Unmarshal(body, &resp) == nil && len(resp.Errors) > 0 {
			if measured {
				w.st.hist[o].record(lat)
			}
			w.graphQLError(resp.Errors[0], measured)
			return
		}
	}
	if status != 200 || !bytes.HasPrefix(bytes.TrimSpace(body), []byte(`{"data"`)) {
		w.transportError("HTTP "+strconv.Itoa(status)+" without a GraphQL answer", measured)
		return
	}
	if measured {
		w.st.hist[o].record(lat)
		w.st.ok[o]++
	}
}

// Package downloads serves the files the API points to, outside GraphQL:
// a booking's tickets as a PDF (GET /bookings/{id}/tickets.pdf) and an
// event's check-in bundle for doors without network (GET
// /events/{id}/checkin-bundle). The caller comes from the bearer token, as
// for the API; who may fetch what is the ticket service's to decide, and
// errors answer as the API's do.
package downloads

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/graph"
	"github.com/boxoffice/boxoffice/ticketpdf"
)

// Routes are the download endpoints, by ServeMux path (all GET).
func Routes(tickets boxoffice.TicketService, log *slog.Logger) map[string]http.Handler {
	h := &handler{tickets: tickets, log: log}
	return map[string]http.Handler{
		"/bookings/{id}/tickets.pdf":  http.HandlerFunc(h.ticketsPDF),
		"/events/{id}/checkin-bundle": http.HandlerFunc(h.checkInBundle),
	}
}

type handler struct {
	tickets boxoffice.TicketService
	log     *slog.Logger
}

// ticketsPDF: the buyer (the tickets they still hold), the event's
// organizer and staff, admins; NOT_FOUND for anyone else.
func (h *handler) ticketsPDF(w http.ResponseWriter, r *http.Request) {
	b, e, ts, codes, err := h.tickets.BookingTickets(r.Context(), r.PathValue("id"))
	if err != nil {
		graph.ServeError(w, r, h.log, err)
		return
	}
	pages := make([]ticketpdf.Ticket, len(ts))
	for i, t := range ts {
		pages[i] = ticketpdf.Ticket{Ticket: t, Code: codes[i]}
	}
	pdf, err := ticketpdf.Write(e, b, pages, boxoffice.Now())
	if err != nil {
		graph.ServeError(w, r, h.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `inline; filename="tickets-`+b.ID+`.pdf"`)
	w.Header().Set("Cache-Control", "private, no-store") // the codes let people in
	_, _ = w.Write(pdf)
}

// checkInBundle: the event's organizer, its staff and admins.
func (h *handler) checkInBundle(w http.ResponseWriter, r *http.Request) {
	b, err := h.tickets.Bundle(r.Context(), r.PathValue("id"))
	if err != nil {
		graph.ServeError(w, r, h.log, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Disposition", `attachment; filename="checkin-bundle-`+b.EventID+`-`+b.MadeAt.UTC().Format(time.DateOnly)+`.json"`)
	w.Header().Set("Cache-Control", "private, no-store")
	_ = json.NewEncoder(w).Encode(b)
}

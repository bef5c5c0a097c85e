package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/boxoffice/boxoffice"
)

// Webhook receives a payment provider's events at POST /webhooks/{Provider}
// (POST /webhooks/stripe). It takes no bearer token: the provider's
// signature on the raw body is the credential.
type Webhook struct {
	Provider string // "stripe": the path's last segment
	// Parse checks the request's signature and reads its event: nil for
	// an event to acknowledge and ignore, EINVALID for a request that is
	// not the provider's (forged, stale, unsigned) or cannot be read.
	Parse func(body []byte, header http.Header) (*boxoffice.PaymentEvent, error)
	// Apply applies an event, once however often it is delivered
	// (Bookings.ApplyPaymentEvent).
	Apply func(ctx context.Context, ev boxoffice.PaymentEvent) error
}

// webhookHandler answers a provider the way providers retry:
//   - 400 BAD_REQUEST for a request Parse refuses: nothing is applied;
//   - 200 for an event applied, applied before (delivered twice, or to
//     two servers), about nothing of ours, or ignored: whatever the
//     outcome for the booking, it is ours to handle, never the provider's
//     to retry (a 4xx there would make it retry an answer for days);
//   - 503 with Retry-After when the database could not be reached in
//     time, 500 for any other failure: nothing was applied, and the
//     provider delivers the event again later.
func webhookHandler(wh Webhook, maxBody int64, log *slog.Logger) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		id := boxoffice.RequestIDFromContext(ctx)
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeError(w, http.StatusRequestEntityTooLarge, "BAD_REQUEST", "request body too large")
				return
			}
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "the request body could not be read")
			return
		}
		ev, err := wh.Parse(body, r.Header)
		if err != nil {
			log.WarnContext(ctx, "payment webhook refused", "provider", wh.Provider, "request_id", id,
				"reason", boxoffice.ErrorMessage(err), "err", err.Error())
			writeError(w, http.StatusBadRequest, "BAD_REQUEST", "webhook refused: "+boxoffice.ErrorMessage(err))
			return
		}
		if ev == nil {
			log.DebugContext(ctx, "payment webhook: event ignored", "provider", wh.Provider, "request_id", id)
			writeJSON(w, http.StatusOK, map[string]any{"received": true})
			return
		}
		attrs := []any{"provider", wh.Provider, "request_id", id, "event", ev.ID, "kind", string(ev.Kind),
			"payment", ev.PaymentID, "provider_ref", ev.ProviderRef}
		if err := wh.Apply(ctx, *ev); err != nil {
			if boxoffice.ErrorCode(err) == boxoffice.EUNAVAILABLE {
				log.WarnContext(ctx, "payment webhook: event not applied, the provider will deliver it again", append(attrs, "err", err.Error())...)
				writeUnavailable(w, "the event could not be applied now: deliver it again", boxoffice.ErrorRetryAfter(err))
				return
			}
			log.ErrorContext(ctx, "payment webhook: event not applied, the provider will deliver it again", append(attrs, "err", err.Error())...)
			writeError(w, http.StatusInternalServerError, "INTERNAL", "internal error (request id "+id+")")
			return
		}
		log.InfoContext(ctx, "payment webhook: event received", attrs...)
		writeJSON(w, http.StatusOK, map[string]any{"received": true})
	})
}

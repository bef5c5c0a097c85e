package graph

import "github.com/boxoffice/boxoffice"

// Resolver is the root resolver: it turns GraphQL arguments into one call
// of a domain service each. Nested objects come through the loaders.
type Resolver struct {
	users    boxoffice.UserService
	events   boxoffice.EventService
	bookings boxoffice.BookingService
	accounts boxoffice.AccountService
	tickets  boxoffice.TicketService
	waitlist boxoffice.WaitlistService
	webhooks boxoffice.WebhookService
}

// errNoWebhooks is the answer of a server made without the webhooks
// service (Config.Webhooks nil).
var errNoWebhooks = boxoffice.Errorf(boxoffice.EUNAVAILABLE, "webhooks are not available on this server")

// Package loadtest is a GraphQL load generator for boxoffice. It speaks
// the original Event Ticket Booking App's API, so it can load the original
// NestJS server too; only its "create your own events and users" set-up
// needs boxoffice's createEvent and createUser.
//
// Each scenario runs a number of workers, each with one kept-alive
// connection, for a bounded time. A run records every request's latency,
// its outcome by extensions.code, and the tickets the server acknowledged
// per event, then verifies from the API that no ticket was lost or
// oversold: for each event booked on, totalTickets - availableTickets
// equals the sum of its confirmed bookings and grew by exactly the
// acknowledged tickets.
package loadtest

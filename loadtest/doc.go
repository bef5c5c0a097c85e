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
// equals the tickets of its bookings that hold them (PENDING and
// CONFIRMED) and grew by exactly the acknowledged tickets; after payments
// (onsale), its CONFIRMED tickets are exactly those paid.
//
// Onsale (onsale.go) holds then pays, each buyer once, in two phases, and
// reports each step's rate and latency; Expiry (expiry.go) times how long
// holds that run out at once take to give their tickets back.
//
// # Buyers
//
// With Options.Provision (boxoffice bench's default, through package
// loadtest/provision), a run loads the server as real buyers do: it makes
// Options.Buyers customer accounts in the server's database, each with a
// bearer token of its own, and every booking is made by one of them, for
// themselves, with that token. The server's token check and its rate limit
// per user apply to each buyer as they would in an on-sale. The run's
// events, and an admin account for the set-up, the reads and the
// verification, are made there too. Without Provision, every request
// carries Options.Token and books on behalf of users, as the original API
// allows an admin to.
//
// # Adding a scenario that acts as buyers
//
// A scenario is a Scenario constant (add it to Scenarios and to
// Options.books if it books), a branch in worker.run, and a method of
// worker that makes one request (see worker.book):
//
//   - w.nextBuyer() gives the buyers in turn, round and round, so each
//     makes the same share of the requests; w.buyerOnce() gives each
//     buyer once, then false, for a scenario where every buyer acts once
//     (onsale: holds one ticket, then pays). A buyer has its id as a JSON string
//     (quoted, to splice into a request body) and its Authorization header
//     (auth).
//   - w.c.postAs(ctx, body, buyer.auth, &w.buf) sends a request as that
//     buyer and reads the answer into w.buf.
//   - The events are w.events; count requests, latencies and outcomes in
//     w.st (stats) as book does, and acknowledged tickets per event in
//     w.st.acked so that the verification covers them.
//
// Setup beyond events and buyers goes in Run, before load; a Provisioner
// makes in bulk what the API could not make in time.
package loadtest

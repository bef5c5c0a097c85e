package loadtest

// The operations, in the original API.
const (
	bookingQuery = `mutation Book($userId: ID!, $input: CreateBookingInput!) { createBooking(userId: $userId, input: $input) { id numberOfTickets } }`

	eventsPageQuery = `query Events($pagination: PaginationInput) { events(pagination: $pagination) { items { id title description date location availableTickets totalTickets price } total page limit } }`

	bookingsPageQuery = `query Bookings($pagination: PaginationInput) { bookings(pagination: $pagination) { items { id numberOfTickets createdAt user { id username email } event { id title date location price } } total page limit } }`
)

// op is a kind of request the workers send.
type op int

const (
	opBooking op = iota
	opReadEvents
	opReadBookings
	opCount
)

var opNames = [opCount]string{"createBooking", "events page", "bookings page"}

var (
	bookPrefix  = []byte(`{"query":` + string(jsonString(bookingQuery)) + `,"variables":{"userId":`)
	bookMiddle  = []byte(`,"input":{"eventId":`)
	bookTickets = []byte(`,"numberOfTickets":`)
	bookType    = []byte(`,"ticketTypeId":`)

	readBodies = [opCount][]byte{
		opReadEvents:   []byte(`{"query":` + string(jsonString(eventsPageQuery)) + `,"variables":{"pagination":{"page":1,"limit":10}}}`),
		opReadBookings: []byte(`{"query":` + string(jsonString(bookingsPageQuery)) + `,"variables":{"pagination":{"page":1,"limit":10}}}`),
	}
	errorsKey = []byte(`"errors"`)
)

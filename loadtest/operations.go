package loadtest

// The operations, in the original API.
const (
	bookingQuery = `mutation Book($userId: ID!, $input: CreateBookingInput!) { createBooking(userId: $userId, input: $input) { id numberOfTickets } }`

	// holdQuery is bookingQuery asking for the status too: onsale's holds
	// are PENDING.
	holdQuery = `mutation Hold($userId: ID!, $input: CreateBookingInput!) { createBooking(userId: $userId, input: $input) { id numberOfTickets status } }`
	// payQuery pays a hold with the test provider's card that pays.
	payQuery = `mutation Pay($id: ID!) { payBooking(id: $id, input: {card: "4242424242424242"}) { id numberOfTickets status } }`
	// paidQuery reads a paid hold whose answer payBooking did not wait for.
	paidQuery = `query Paid($id: ID!) { booking(id: $id) { id numberOfTickets status } }`

	eventsPageQuery = `query Events($pagination: PaginationInput) { events(pagination: $pagination) { items { id title description date location availableTickets totalTickets price } total page limit } }`

	bookingsPageQuery = `query Bookings($pagination: PaginationInput) { bookings(pagination: $pagination) { items { id numberOfTickets createdAt user { id username email } event { id title date location price } } total page limit } }`
)

// op is a kind of request the workers send.
type op int

const (
	opBooking op = iota
	opReadEvents
	opReadBookings
	opPay // onsale's payBooking; its holds are opBooking
	opCount
)

var opNames = [opCount]string{"createBooking", "events page", "bookings page", "payBooking"}

var (
	bookPrefix  = []byte(`{"query":` + string(jsonString(bookingQuery)) + `,"variables":{"userId":`)
	bookMiddle  = []byte(`,"input":{"eventId":`)
	bookTickets = []byte(`,"numberOfTickets":`)
	bookType    = []byte(`,"ticketTypeId":`)
	holdPrefix  = []byte(`{"query":` + string(jsonString(holdQuery)) + `,"variables":{"userId":`)
	payPrefix   = []byte(`{"query":` + string(jsonString(payQuery)) + `,"variables":{"id":`)
	paidPrefix  = []byte(`{"query":` + string(jsonString(paidQuery)) + `,"variables":{"id":`)

	readBodies = [opCount][]byte{
		opReadEvents:   []byte(`{"query":` + string(jsonString(eventsPageQuery)) + `,"variables":{"pagination":{"page":1,"limit":10}}}`),
		opReadBookings: []byte(`{"query":` + string(jsonString(bookingsPageQuery)) + `,"variables":{"pagination":{"page":1,"limit":10}}}`),
	}
	errorsKey = []byte(`"errors"`)
)

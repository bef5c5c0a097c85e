// Package original holds the operations of the original Event Ticket
// Booking App's README, verbatim (../shared/seed/README-original.md beside
// this repository). boxoffice must run them unchanged; the graph and
// end-to-end tests send them as they are.
package original

const (
	Users = `query Users($pagination: PaginationInput) {
  users(pagination: $pagination) {
    items {
      id
      username
      email
      bookings {
        id
        numberOfTickets
      }
    }
    total
    page
    limit
  }
}`

	User = `query User($id: ID!) {
  user(id: $id) {
    id
    username
    email
    bookings {
      id
      numberOfTickets
      event {
        title
        date
      }
    }
  }
}`

	UserBookings = `query UserBookings($filter: BookingFilterInput, $pagination: PaginationInput) {
  bookings(filter: $filter, pagination: $pagination) {
    items {
      id
      numberOfTickets
      createdAt
      event {
        id
        title
        date
        location
        price
      }
    }
    total
    page
    limit
  }
}`

	Events = `query Events($pagination: PaginationInput) {
  events(pagination: $pagination) {
    items {
      id
      title
      description
      date
      location
      availableTickets
      totalTickets
      price
    }
    total
    page
    limit
  }
}`

	Event = `query Event($id: ID!) {
  event(id: $id) {
    id
    title
    description
    date
    location
    availableTickets
    totalTickets
    price
    bookings {
      id
      numberOfTickets
      user {
        username
      }
    }
  }
}`

	Booking = `query Booking($id: ID!) {
  booking(id: $id) {
    id
    numberOfTickets
    createdAt
    user {
      id
      username
      email
    }
    event {
      id
      title
      date
      location
      price
      availableTickets
    }
  }
}`

	CreateBooking = `mutation CreateBooking($userId: ID!, $input: CreateBookingInput!) {
  createBooking(userId: $userId, input: $input) {
    id
    numberOfTickets
    createdAt
    event {
      id
      title
      availableTickets
      price
    }
    user {
      id
      username
    }
  }
}`

	// The README inlines its filter; the placeholders are replaced with
	// real ids before sending.
	FilteredBookings = `query FilteredBookings($filter: BookingFilterInput, $pagination: PaginationInput) {
  bookings(
    filter: { 
      userId: "user-uuid",
      eventId: "event-uuid",
      createdFrom: "2024-01-01",
      createdTo: "2024-12-31"
    },
    pagination: { 
      page: 1, 
      limit: 10 
    }
  ) {
    items {
      id
      numberOfTickets
      createdAt
      event {
        title
        price
      }
    }
    total
    page
    limit
  }
}`
)

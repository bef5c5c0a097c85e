package graph_test

// The operations of the original README, verbatim (up to its "# Variables:"
// notes): clients written against the original must keep working.
const (
	readmeUsers = `query Users($pagination: PaginationInput) {
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
}
`

	readmeUser = `query User($id: ID!) {
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
}
`

	readmeUserBookings = `query UserBookings($filter: BookingFilterInput, $pagination: PaginationInput) {
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
}
`

	readmeEvents = `query Events($pagination: PaginationInput) {
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
}
`

	readmeEvent = `query Event($id: ID!) {
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
}
`

	readmeBooking = `query Booking($id: ID!) {
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
}
`

	readmeCreateBooking = `mutation CreateBooking($userId: ID!, $input: CreateBookingInput!) {
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
}
`

	readmeFilteredBookings = `query FilteredBookings($filter: BookingFilterInput, $pagination: PaginationInput) {
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
}
`
)

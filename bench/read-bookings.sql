-- The SQL boxoffice runs for a page of 10 bookings with their user and
-- event (postgres/booking.go FindBookings with WithUserAndEvent,
-- postgres/query.go findPage): the count and the page joined to its users
-- and events, which boxoffice sends together in one round trip. The total
-- comes from the events' booking counts (sqlstore bookingCount).
SELECT CAST(COALESCE(SUM(booking_count), 0) AS bigint) FROM events;
SELECT b.id, b.user_id, b.event_id, b.number_of_tickets, b.status, b.created_at, b.updated_at, b.cancelled_at, u.id, u.username, u.email, u.role, u.password_hash, u.token_version, u.created_at, u.updated_at, e.id, e.title, e.description, e.date, e.location, e.total_tickets, e.available_tickets, e.price_cents, e.version, e.organizer_id, e.created_at, e.updated_at FROM (SELECT id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at FROM bookings ORDER BY created_at DESC, id DESC LIMIT 10 OFFSET 0) b JOIN users u ON u.id = b.user_id JOIN events e ON e.id = b.event_id ORDER BY b.created_at DESC, b.id DESC;

-- The SQL boxoffice runs for a page of 10 bookings with their user and
-- event (postgres/booking.go FindBookings, then the batched loaders:
-- postgres/user.go FindUsersByIDs, postgres/event.go FindEventsByIDs).
-- boxoffice takes the ids of the page's users and events from the page it
-- read; pgbench cannot pass rows between statements, so the last two
-- statements take them from the same top-10 index scan as a subquery.
SELECT count(*) FROM bookings;
SELECT id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at FROM bookings ORDER BY created_at DESC, id DESC LIMIT 10 OFFSET 0;
SELECT id, username, email, created_at, updated_at FROM users WHERE id = ANY(ARRAY(SELECT user_id FROM bookings ORDER BY created_at DESC, id DESC LIMIT 10));
SELECT id, title, description, date, location, total_tickets, available_tickets, price_cents, version, created_at, updated_at FROM events WHERE id = ANY(ARRAY(SELECT event_id FROM bookings ORDER BY created_at DESC, id DESC LIMIT 10));

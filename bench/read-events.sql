-- The SQL boxoffice runs for a page of 10 events (postgres/event.go
-- FindEvents, postgres/query.go findPage): the count and the page, which
-- boxoffice sends together in one round trip. Run with pgbench -M prepared
-- (pgx prepares its statements too).
SELECT count(*) FROM events;
SELECT id, title, description, date, location, total_tickets, available_tickets, price_cents, version, organizer_id, created_at, updated_at FROM events ORDER BY date ASC, created_at DESC, id DESC LIMIT 10 OFFSET 0;

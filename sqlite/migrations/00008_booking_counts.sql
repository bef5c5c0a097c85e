-- How many bookings each event has ever had, kept with the rows: every
-- booking batch adds its new bookings to their event's count in the same
-- UPDATE that takes their tickets (bookings are never deleted), so a
-- bookings page's total reads the counts of a few events instead of
-- counting every matching booking.

-- +goose Up
ALTER TABLE events ADD COLUMN booking_count INTEGER NOT NULL DEFAULT 0;
UPDATE events SET booking_count = (SELECT count(*) FROM bookings WHERE bookings.event_id = events.id);

-- +goose Down
-- drops: the events' booking counts (counted again from the bookings by Up).
ALTER TABLE events DROP COLUMN booking_count;

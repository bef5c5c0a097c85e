-- The waiting list of sold-out events (see the PostgreSQL store's
-- 00010_waitlist.sql).

-- +goose Up
ALTER TABLE events ADD COLUMN waitlist_waiting INTEGER NOT NULL DEFAULT 0;

CREATE TABLE waitlist_entries (
    id                TEXT    NOT NULL,
    event_id          TEXT    NOT NULL,
    user_id           TEXT    NOT NULL,
    number_of_tickets INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    booking_id        TEXT,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    CONSTRAINT waitlist_entries_pkey PRIMARY KEY (id),
    CONSTRAINT waitlist_entries_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT waitlist_entries_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT waitlist_entries_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id),
    CONSTRAINT waitlist_entries_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    CONSTRAINT waitlist_entries_status_check CHECK (status IN ('WAITING', 'OFFERED', 'LEFT')),
    CONSTRAINT waitlist_entries_offer_check CHECK ((status = 'OFFERED') = (booking_id IS NOT NULL))
) STRICT;
CREATE INDEX waitlist_entries_event_id_idx ON waitlist_entries (event_id, status, created_at, id);
CREATE INDEX waitlist_entries_user_id_idx ON waitlist_entries (user_id, created_at DESC);
CREATE UNIQUE INDEX waitlist_entries_waiting_idx ON waitlist_entries (event_id, user_id) WHERE status = 'WAITING';
CREATE INDEX events_waitlist_idx ON events (id) WHERE waitlist_waiting > 0;

-- +goose Down
-- drops: every waiting-list entry (the bookings offered stay).
DROP TABLE waitlist_entries;
DROP INDEX events_waitlist_idx;
ALTER TABLE events DROP COLUMN waitlist_waiting;

-- The waiting list of sold-out events: who waits, in order, for how many
-- tickets, and the booking each was offered (waitlist_entries); and how
-- many wait per event (events.waitlist_waiting), which keeps the tickets
-- that come back from the public while anyone waits.

-- +goose Up
ALTER TABLE events ADD COLUMN waitlist_waiting integer NOT NULL DEFAULT 0; -- entries WAITING

CREATE TABLE waitlist_entries (
    id                uuid        NOT NULL,
    event_id          uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    number_of_tickets integer     NOT NULL,
    status            text        NOT NULL, -- WAITING, OFFERED or LEFT; an offer's outcome is its booking's
    booking_id        uuid,                 -- OFFERED: the booking held for the user
    created_at        timestamptz NOT NULL, -- the place in the queue: earliest first, then id
    updated_at        timestamptz NOT NULL,
    CONSTRAINT waitlist_entries_pkey PRIMARY KEY (id),
    CONSTRAINT waitlist_entries_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT waitlist_entries_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT waitlist_entries_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id),
    CONSTRAINT waitlist_entries_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    CONSTRAINT waitlist_entries_status_check CHECK (status IN ('WAITING', 'OFFERED', 'LEFT')),
    CONSTRAINT waitlist_entries_offer_check CHECK ((status = 'OFFERED') = (booking_id IS NOT NULL))
);
-- The queue of an event, in order.
CREATE INDEX waitlist_entries_event_id_idx ON waitlist_entries (event_id, status, created_at, id);
CREATE INDEX waitlist_entries_user_id_idx ON waitlist_entries (user_id, created_at DESC);
-- Once per user and event while waiting.
CREATE UNIQUE INDEX waitlist_entries_waiting_idx ON waitlist_entries (event_id, user_id) WHERE status = 'WAITING';
-- The events whose waiting list may be served.
CREATE INDEX events_waitlist_idx ON events (id) WHERE waitlist_waiting > 0;

-- +goose Down
-- drops: every waiting-list entry (the bookings offered stay).
DROP TABLE waitlist_entries;
DROP INDEX events_waitlist_idx;
ALTER TABLE events DROP COLUMN waitlist_waiting;

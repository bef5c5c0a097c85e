-- Tickets people show at the door (see the PostgreSQL store's
-- 00006_tickets.sql).

-- +goose Up
ALTER TABLE events ADD COLUMN no_transfers INTEGER NOT NULL DEFAULT 0;

CREATE TABLE event_keys (
    event_id   TEXT NOT NULL,
    seed       BLOB NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT event_keys_pkey PRIMARY KEY (event_id),
    CONSTRAINT event_keys_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id)
) STRICT;

CREATE TABLE event_staff (
    event_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT event_staff_pkey PRIMARY KEY (event_id, user_id),
    CONSTRAINT event_staff_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT event_staff_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
) STRICT;

CREATE TABLE tickets (
    id            TEXT    NOT NULL,
    booking_id    TEXT    NOT NULL,
    event_id      TEXT    NOT NULL,
    owner_id      TEXT    NOT NULL,
    attendee_name TEXT,
    status        TEXT    NOT NULL,
    version       INTEGER NOT NULL DEFAULT 1,
    checked_in_at TEXT,
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    CONSTRAINT tickets_pkey PRIMARY KEY (id),
    CONSTRAINT tickets_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id),
    CONSTRAINT tickets_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT tickets_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id),
    CONSTRAINT tickets_status_check CHECK (status IN ('VALID', 'USED', 'VOID')),
    CONSTRAINT tickets_version_check CHECK (version >= 1),
    CONSTRAINT tickets_checked_in_at_check CHECK ((status = 'USED') = (checked_in_at IS NOT NULL))
) STRICT;
CREATE INDEX tickets_booking_id_idx ON tickets (booking_id, created_at, id);
CREATE INDEX tickets_owner_id_idx ON tickets (owner_id, created_at DESC, id DESC);
CREATE INDEX tickets_event_id_idx ON tickets (event_id, status);

CREATE TABLE scans (
    id          INTEGER NOT NULL,
    ticket_id   TEXT,
    event_id    TEXT    NOT NULL,
    code        TEXT    NOT NULL,
    at          TEXT    NOT NULL,
    device      TEXT,
    result      TEXT    NOT NULL,
    recorded_at TEXT    NOT NULL,
    CONSTRAINT scans_pkey PRIMARY KEY (id)
) STRICT;
CREATE INDEX scans_ticket_id_idx ON scans (ticket_id, at);

-- The bookings confirmed before this migration get their tickets: one per
-- seat, each with a random (version 4) UUID.
WITH RECURSIVE seats(booking_id, n) AS (
    SELECT id, 1 FROM bookings WHERE status = 'CONFIRMED'
    UNION ALL
    SELECT s.booking_id, s.n + 1 FROM seats s JOIN bookings b ON b.id = s.booking_id WHERE s.n < b.number_of_tickets
)
INSERT INTO tickets (id, booking_id, event_id, owner_id, status, version, created_at, updated_at)
    SELECT lower(hex(randomblob(4)) || '-' || hex(randomblob(2)) || '-4' || substr(hex(randomblob(2)), 2) || '-' ||
            substr('89ab', 1 + (abs(random()) % 4), 1) || substr(hex(randomblob(2)), 2) || '-' || hex(randomblob(6))),
        b.id, b.event_id, b.user_id, 'VALID', 1, b.updated_at, b.updated_at
    FROM seats s JOIN bookings b ON b.id = s.booking_id;

-- +goose Down
-- drops: every ticket, scan, signing key and staff member; events'
-- transfer settings.
DROP TABLE scans;
DROP TABLE tickets;
DROP TABLE event_staff;
DROP TABLE event_keys;
ALTER TABLE events DROP COLUMN no_transfers;

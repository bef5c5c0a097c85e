-- Tickets people show at the door: one per seat of a CONFIRMED booking,
-- each with a code signed with its event's key (event_keys); who checks
-- them in (event_staff); and every scan at a door (scans), none lost.

-- +goose Up
ALTER TABLE events ADD COLUMN no_transfers boolean NOT NULL DEFAULT false; -- its organizer forbids transfers

-- The seed of each event's Ed25519 signing key: it never leaves the server.
CREATE TABLE event_keys (
    event_id   uuid        NOT NULL,
    seed       bytea       NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT event_keys_pkey PRIMARY KEY (event_id),
    CONSTRAINT event_keys_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id)
);

CREATE TABLE event_staff (
    event_id   uuid        NOT NULL,
    user_id    uuid        NOT NULL,
    created_at timestamptz NOT NULL,
    CONSTRAINT event_staff_pkey PRIMARY KEY (event_id, user_id),
    CONSTRAINT event_staff_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT event_staff_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id)
);

CREATE TABLE tickets (
    id            uuid        NOT NULL,
    booking_id    uuid        NOT NULL,
    event_id      uuid        NOT NULL,
    owner_id      uuid        NOT NULL, -- the buyer, until transferred
    attendee_name text,
    status        text        NOT NULL,
    version       integer     NOT NULL DEFAULT 1, -- bumped by a transfer: older codes are void
    checked_in_at timestamptz,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    CONSTRAINT tickets_pkey PRIMARY KEY (id),
    CONSTRAINT tickets_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id),
    CONSTRAINT tickets_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT tickets_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id),
    CONSTRAINT tickets_status_check CHECK (status IN ('VALID', 'USED', 'VOID')),
    CONSTRAINT tickets_version_check CHECK (version >= 1),
    CONSTRAINT tickets_checked_in_at_check CHECK ((status = 'USED') = (checked_in_at IS NOT NULL))
);
CREATE INDEX tickets_booking_id_idx ON tickets (booking_id, created_at, id);
CREATE INDEX tickets_owner_id_idx ON tickets (owner_id, created_at DESC, id DESC);
CREATE INDEX tickets_event_id_idx ON tickets (event_id, status);

-- Every scan, online or uploaded from a door that was offline.
CREATE TABLE scans (
    id          bigint      GENERATED ALWAYS AS IDENTITY,
    ticket_id   uuid,                 -- NULL: the code named no ticket of ours
    event_id    uuid        NOT NULL,
    code        text        NOT NULL,
    at          timestamptz NOT NULL, -- when the door scanned it
    device      text,
    result      text        NOT NULL,
    recorded_at timestamptz NOT NULL,
    CONSTRAINT scans_pkey PRIMARY KEY (id)
);
CREATE INDEX scans_ticket_id_idx ON scans (ticket_id, at);

-- The bookings confirmed before this migration get their tickets.
INSERT INTO tickets (id, booking_id, event_id, owner_id, status, version, created_at, updated_at)
    SELECT gen_random_uuid(), b.id, b.event_id, b.user_id, 'VALID', 1, b.updated_at, b.updated_at
    FROM bookings b CROSS JOIN LATERAL generate_series(1, b.number_of_tickets)
    WHERE b.status = 'CONFIRMED';

-- +goose Down
-- drops: every ticket, scan, signing key and staff member; events'
-- transfer settings.
DROP TABLE scans;
DROP TABLE tickets;
DROP TABLE event_staff;
DROP TABLE event_keys;
ALTER TABLE events DROP COLUMN no_transfers;

-- The tables and constraints of the PostgreSQL store, in SQLite terms.
-- STRICT tables: a value of the wrong type is an error, not a conversion.
-- Times are TEXT, UTC, fixed width ('2006-01-02T15:04:05.000000Z'), so they
-- compare and sort as text in time order. Constraints are named: error
-- translation recognizes them by name.

-- +goose Up
CREATE TABLE users (
    id         TEXT NOT NULL PRIMARY KEY,
    username   TEXT NOT NULL,
    email      TEXT NOT NULL, -- lower-cased by the store
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
) STRICT;
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);

CREATE TABLE events (
    id                TEXT NOT NULL PRIMARY KEY,
    title             TEXT NOT NULL,
    description       TEXT,
    date              TEXT NOT NULL,
    location          TEXT NOT NULL,
    total_tickets     INTEGER NOT NULL,
    available_tickets INTEGER NOT NULL,
    price_cents       INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CONSTRAINT events_total_tickets_check CHECK (total_tickets > 0),
    CONSTRAINT events_available_tickets_check CHECK (available_tickets >= 0 AND available_tickets <= total_tickets),
    CONSTRAINT events_price_cents_check CHECK (price_cents >= 0)
) STRICT;
CREATE INDEX events_date_created_at_id_idx ON events (date, created_at DESC, id DESC);   -- events list, upcoming
CREATE INDEX events_available_tickets_date_id_idx ON events (available_tickets, date, id); -- popular

CREATE TABLE bookings (
    id                TEXT NOT NULL PRIMARY KEY,
    user_id           TEXT NOT NULL REFERENCES users (id),
    event_id          TEXT NOT NULL REFERENCES events (id),
    number_of_tickets INTEGER NOT NULL,
    status            TEXT NOT NULL DEFAULT 'CONFIRMED',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    cancelled_at      TEXT,
    CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    CONSTRAINT bookings_status_check CHECK (status IN ('CONFIRMED', 'CANCELLED')),
    CONSTRAINT bookings_cancelled_at_check CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL))
) STRICT;
CREATE INDEX bookings_user_id_created_at_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_created_at_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_id_idx ON bookings (created_at DESC, id DESC);

-- +goose Down
-- drops: every user, event and booking (the tables users, events and bookings)
DROP TABLE bookings;
DROP TABLE events;
DROP TABLE users;

-- +goose Up

-- Ids are UUIDv7 made by the application (boxoffice.NewID); timestamps are
-- set by the application too, so both stores agree to the microsecond.
CREATE TABLE users (
    id         uuid        NOT NULL,
    username   text        NOT NULL,
    email      text        NOT NULL, -- stored lower-cased
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id)
);
-- lower() as well, so the rule holds whoever writes the row.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_created_at_idx ON users (created_at DESC, id DESC);

CREATE TABLE events (
    id                uuid        NOT NULL,
    title             text        NOT NULL,
    description       text,
    date              timestamptz NOT NULL,
    location          text        NOT NULL,
    total_tickets     integer     NOT NULL,
    available_tickets integer     NOT NULL,
    price_cents       bigint      NOT NULL, -- integer cents: never floating point
    version           integer     NOT NULL DEFAULT 1, -- organizer edits only, not sales
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    CONSTRAINT events_pkey PRIMARY KEY (id),
    CONSTRAINT events_total_tickets_check CHECK (total_tickets > 0),
    CONSTRAINT events_available_tickets_check CHECK (available_tickets BETWEEN 0 AND total_tickets),
    CONSTRAINT events_price_cents_check CHECK (price_cents >= 0)
);
-- events list: date ASC, created_at DESC, id DESC; upcoming: date > now.
CREATE INDEX events_date_idx ON events (date, created_at DESC, id DESC);
-- popular: available_tickets ASC, date ASC, id ASC.
CREATE INDEX events_available_tickets_idx ON events (available_tickets, date, id);

CREATE TABLE bookings (
    id                uuid        NOT NULL,
    user_id           uuid        NOT NULL,
    event_id          uuid        NOT NULL,
    number_of_tickets integer     NOT NULL,
    status            text        NOT NULL,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    cancelled_at      timestamptz,
    CONSTRAINT bookings_pkey PRIMARY KEY (id),
    CONSTRAINT bookings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT bookings_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    CONSTRAINT bookings_status_check CHECK (status IN ('CONFIRMED', 'CANCELLED')),
    CONSTRAINT bookings_cancelled_at_check CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL))
);
-- All newest first: by user, by event, and all bookings.
CREATE INDEX bookings_user_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_idx ON bookings (created_at DESC, id DESC);

-- +goose Down
-- drops: every user, event and booking (the tables users, events and bookings)
DROP TABLE bookings;
DROP TABLE events;
DROP TABLE users;

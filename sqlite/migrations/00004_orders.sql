-- Orders that hold, pay and expire (see the PostgreSQL store's
-- 00004_orders.sql). bookings is rebuilt, rows and rowids kept, for its new
-- status CHECK: SQLite cannot alter a constraint.

-- +goose Up
ALTER TABLE events ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR'
    CONSTRAINT events_currency_check CHECK (currency GLOB '[A-Z][A-Z][A-Z]');

PRAGMA defer_foreign_keys = ON; -- until COMMIT
CREATE TEMP TABLE bookings_00004 AS SELECT rowid AS row_id, * FROM bookings;
DROP TABLE bookings;
CREATE TABLE bookings (
    id                TEXT    NOT NULL,
    user_id           TEXT    NOT NULL,
    event_id          TEXT    NOT NULL,
    number_of_tickets INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    cancelled_at      TEXT,
    expires_at        TEXT,                      -- PENDING only
    unit_price_cents  INTEGER NOT NULL DEFAULT 0,
    total_cents       INTEGER NOT NULL DEFAULT 0,
    currency          TEXT    NOT NULL DEFAULT 'EUR',
    idempotency_key   TEXT,                      -- the request's Idempotency-Key, if it sent one
    CONSTRAINT bookings_pkey PRIMARY KEY (id),
    CONSTRAINT bookings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT bookings_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    CONSTRAINT bookings_status_check CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    CONSTRAINT bookings_cancelled_at_check CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL)),
    CONSTRAINT bookings_expires_at_check CHECK ((status = 'PENDING') = (expires_at IS NOT NULL)),
    CONSTRAINT bookings_price_check CHECK (unit_price_cents >= 0 AND total_cents >= 0)
) STRICT;
-- Bookings made before this migration were confirmed at once: they cost
-- what their event costs now, the best that is known.
INSERT INTO bookings (rowid, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at,
        unit_price_cents, total_cents)
    SELECT b.row_id, b.id, b.user_id, b.event_id, b.number_of_tickets, b.status, b.created_at, b.updated_at, b.cancelled_at,
        e.price_cents, e.price_cents * b.number_of_tickets
    FROM bookings_00004 b JOIN events e ON e.id = b.event_id ORDER BY b.row_id;
DROP TABLE bookings_00004;
CREATE INDEX bookings_user_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_idx ON bookings (created_at DESC, id DESC);
CREATE UNIQUE INDEX bookings_idempotency_key ON bookings (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_pending_event_idx ON bookings (event_id, expires_at) WHERE status = 'PENDING';
CREATE INDEX bookings_pending_expires_idx ON bookings (expires_at) WHERE status = 'PENDING';

CREATE TABLE payments (
    id             TEXT    NOT NULL,
    booking_id     TEXT    NOT NULL,
    provider       TEXT    NOT NULL,
    status         TEXT    NOT NULL,
    amount_cents   INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    refunded_cents INTEGER NOT NULL DEFAULT 0,
    provider_ref   TEXT,
    client_secret  TEXT,
    created_at     TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    CONSTRAINT payments_pkey PRIMARY KEY (id),
    CONSTRAINT payments_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id),
    CONSTRAINT payments_booking_id_key UNIQUE (booking_id),
    CONSTRAINT payments_status_check CHECK (status IN ('REQUIRES_PAYMENT', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'REFUNDED')),
    CONSTRAINT payments_amount_check CHECK (amount_cents >= 0 AND refunded_cents BETWEEN 0 AND amount_cents)
) STRICT;
CREATE UNIQUE INDEX payments_provider_ref_key ON payments (provider, provider_ref) WHERE provider_ref IS NOT NULL;

CREATE TABLE provider_events (
    provider    TEXT NOT NULL,
    event_id    TEXT NOT NULL,
    received_at TEXT NOT NULL,
    CONSTRAINT provider_events_pkey PRIMARY KEY (provider, event_id)
) STRICT;

CREATE TABLE idempotency_keys (
    caller       TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    request_hash TEXT    NOT NULL,
    status       INTEGER,
    response     BLOB,
    started_at   TEXT    NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (caller, key)
) STRICT;
CREATE INDEX idempotency_keys_started_at_idx ON idempotency_keys (started_at);

-- +goose Down
-- drops: payments, provider events and kept answers; bookings' prices,
-- currencies and idempotency keys. Holds still PENDING give their tickets
-- back and become CANCELLED, as do EXPIRED bookings.
DROP TABLE idempotency_keys;
DROP TABLE provider_events;
DROP TABLE payments;
UPDATE events SET available_tickets = available_tickets +
    (SELECT sum(number_of_tickets) FROM bookings b WHERE b.event_id = events.id AND b.status = 'PENDING')
    WHERE id IN (SELECT event_id FROM bookings WHERE status = 'PENDING');

PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE bookings_00004 AS SELECT rowid AS row_id, * FROM bookings;
DROP TABLE bookings;
-- Word for word as 00003 made it.
CREATE TABLE bookings (
    id                TEXT    NOT NULL,
    user_id           TEXT    NOT NULL,
    event_id          TEXT    NOT NULL,
    number_of_tickets INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    cancelled_at      TEXT,
    CONSTRAINT bookings_pkey PRIMARY KEY (id),
    CONSTRAINT bookings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT bookings_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    CONSTRAINT bookings_status_check CHECK (status IN ('CONFIRMED', 'CANCELLED')),
    CONSTRAINT bookings_cancelled_at_check CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL))
) STRICT;
INSERT INTO bookings (rowid, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at)
    SELECT row_id, id, user_id, event_id, number_of_tickets,
        CASE WHEN status IN ('PENDING', 'EXPIRED') THEN 'CANCELLED' ELSE status END,
        created_at, updated_at,
        CASE WHEN status IN ('PENDING', 'EXPIRED') THEN updated_at ELSE cancelled_at END
    FROM bookings_00004 ORDER BY row_id;
DROP TABLE bookings_00004;
CREATE INDEX bookings_user_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_idx ON bookings (created_at DESC, id DESC);

ALTER TABLE events DROP COLUMN currency;

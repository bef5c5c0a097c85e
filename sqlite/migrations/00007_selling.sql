-- Selling (see the PostgreSQL store's 00007_selling.sql). bookings is
-- rebuilt, rows and rowids kept, for its new columns' constraints and its
-- wider number_of_tickets CHECK: SQLite cannot alter a constraint.

-- +goose Up
ALTER TABLE events ADD COLUMN has_ticket_types INTEGER NOT NULL DEFAULT 0;

CREATE TABLE ticket_types (
    id                TEXT    NOT NULL,
    event_id          TEXT    NOT NULL,
    name              TEXT    NOT NULL,
    price_cents       INTEGER NOT NULL,
    total_tickets     INTEGER NOT NULL,
    available_tickets INTEGER NOT NULL,
    sales_start       TEXT,
    sales_end         TEXT,
    max_per_booking   INTEGER NOT NULL,
    price_steps       TEXT    NOT NULL DEFAULT '[]',
    position          INTEGER NOT NULL,
    created_at        TEXT    NOT NULL,
    CONSTRAINT ticket_types_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_types_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT ticket_types_tickets_check CHECK (available_tickets BETWEEN 0 AND total_tickets),
    CONSTRAINT ticket_types_price_check CHECK (price_cents >= 0 AND max_per_booking >= 1)
) STRICT;
CREATE INDEX ticket_types_event_id_idx ON ticket_types (event_id, position);

CREATE TABLE promo_codes (
    id               TEXT    NOT NULL,
    event_id         TEXT    NOT NULL,
    code             TEXT    NOT NULL,
    percent_off      INTEGER,
    amount_off_cents INTEGER,
    max_uses         INTEGER,
    uses             INTEGER NOT NULL DEFAULT 0,
    valid_until      TEXT,
    created_at       TEXT    NOT NULL,
    CONSTRAINT promo_codes_pkey PRIMARY KEY (id),
    CONSTRAINT promo_codes_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT promo_codes_event_id_code_key UNIQUE (event_id, code),
    CONSTRAINT promo_codes_discount_check CHECK ((percent_off IS NULL) <> (amount_off_cents IS NULL)
        AND (percent_off BETWEEN 1 AND 100 OR amount_off_cents >= 1)),
    CONSTRAINT promo_codes_uses_check CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses))
) STRICT;

PRAGMA defer_foreign_keys = ON; -- until COMMIT
CREATE TEMP TABLE bookings_00007 AS SELECT rowid AS row_id, * FROM bookings;
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
    expires_at        TEXT,
    unit_price_cents  INTEGER NOT NULL DEFAULT 0,
    total_cents       INTEGER NOT NULL DEFAULT 0,
    currency          TEXT    NOT NULL DEFAULT 'EUR',
    idempotency_key   TEXT,
    ticket_type_id    TEXT,
    promo_code_id     TEXT,
    discount_cents    INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT bookings_pkey PRIMARY KEY (id),
    CONSTRAINT bookings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT bookings_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT bookings_ticket_type_id_fkey FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id),
    CONSTRAINT bookings_promo_code_id_fkey FOREIGN KEY (promo_code_id) REFERENCES promo_codes (id),
    CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10000),
    CONSTRAINT bookings_status_check CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    CONSTRAINT bookings_cancelled_at_check CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL)),
    CONSTRAINT bookings_expires_at_check CHECK ((status = 'PENDING') = (expires_at IS NOT NULL)),
    CONSTRAINT bookings_price_check CHECK (unit_price_cents >= 0 AND total_cents >= 0),
    CONSTRAINT bookings_discount_check CHECK (discount_cents >= 0)
) STRICT;
INSERT INTO bookings (rowid, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at,
        expires_at, unit_price_cents, total_cents, currency, idempotency_key)
    SELECT row_id, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at,
        expires_at, unit_price_cents, total_cents, currency, idempotency_key
    FROM bookings_00007 ORDER BY row_id;
DROP TABLE bookings_00007;
CREATE INDEX bookings_user_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_idx ON bookings (created_at DESC, id DESC);
CREATE UNIQUE INDEX bookings_idempotency_key ON bookings (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_pending_event_idx ON bookings (event_id, expires_at) WHERE status = 'PENDING';
CREATE INDEX bookings_pending_expires_idx ON bookings (expires_at) WHERE status = 'PENDING';

-- +goose Down
-- drops: every ticket type and promo code; bookings' types, codes and
-- discounts; bulk bookings (over 10 tickets) with their tickets and
-- payments, their held tickets going back to their events.
UPDATE events SET available_tickets = available_tickets +
    (SELECT sum(number_of_tickets) FROM bookings b WHERE b.event_id = events.id AND b.number_of_tickets > 10
        AND b.status IN ('PENDING', 'CONFIRMED'))
    WHERE id IN (SELECT event_id FROM bookings WHERE number_of_tickets > 10 AND status IN ('PENDING', 'CONFIRMED'));
DELETE FROM tickets WHERE booking_id IN (SELECT id FROM bookings WHERE number_of_tickets > 10);
DELETE FROM payments WHERE booking_id IN (SELECT id FROM bookings WHERE number_of_tickets > 10);
DELETE FROM bookings WHERE number_of_tickets > 10;

PRAGMA defer_foreign_keys = ON;
CREATE TEMP TABLE bookings_00007 AS SELECT rowid AS row_id, * FROM bookings;
DROP TABLE bookings;
-- Word for word as 00004 made it.
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
INSERT INTO bookings (rowid, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at,
        expires_at, unit_price_cents, total_cents, currency, idempotency_key)
    SELECT row_id, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at,
        expires_at, unit_price_cents, total_cents, currency, idempotency_key
    FROM bookings_00007 ORDER BY row_id;
DROP TABLE bookings_00007;
CREATE INDEX bookings_user_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_idx ON bookings (created_at DESC, id DESC);
CREATE UNIQUE INDEX bookings_idempotency_key ON bookings (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
CREATE INDEX bookings_pending_event_idx ON bookings (event_id, expires_at) WHERE status = 'PENDING';
CREATE INDEX bookings_pending_expires_idx ON bookings (expires_at) WHERE status = 'PENDING';

DROP TABLE promo_codes;
DROP TABLE ticket_types;
ALTER TABLE events DROP COLUMN has_ticket_types;

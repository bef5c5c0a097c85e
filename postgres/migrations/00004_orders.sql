-- Orders that hold, pay and expire: a booking can be PENDING (holding its
-- tickets until expires_at while its buyer pays) or EXPIRED; it keeps the
-- price it was made at; a payment per held booking; the provider events
-- already applied; and the answers kept for Idempotency-Key retries.

-- +goose Up
ALTER TABLE events
    ADD COLUMN currency text NOT NULL DEFAULT 'EUR' -- ISO 4217; new events get CURRENCY
        CONSTRAINT events_currency_check CHECK (currency ~ '^[A-Z]{3}$');

ALTER TABLE bookings
    ADD COLUMN expires_at       timestamptz, -- PENDING only
    ADD COLUMN unit_price_cents bigint NOT NULL DEFAULT 0,
    ADD COLUMN total_cents      bigint NOT NULL DEFAULT 0,
    ADD COLUMN currency         text   NOT NULL DEFAULT 'EUR',
    ADD COLUMN idempotency_key  text;        -- the request's Idempotency-Key, if it sent one
-- Bookings made before this migration were confirmed at once: they cost
-- what their event costs now, the best that is known.
UPDATE bookings b SET unit_price_cents = e.price_cents, total_cents = e.price_cents * b.number_of_tickets
    FROM events e WHERE e.id = b.event_id;
ALTER TABLE bookings
    DROP CONSTRAINT bookings_status_check,
    ADD CONSTRAINT bookings_status_check CHECK (status IN ('PENDING', 'CONFIRMED', 'CANCELLED', 'EXPIRED')),
    ADD CONSTRAINT bookings_expires_at_check CHECK ((status = 'PENDING') = (expires_at IS NOT NULL)),
    ADD CONSTRAINT bookings_price_check CHECK (unit_price_cents >= 0 AND total_cents >= 0);
-- A retried request finds the booking its first attempt made.
CREATE UNIQUE INDEX bookings_idempotency_key ON bookings (user_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
-- The holds of an event that have run out (a booking batch reclaims them),
-- and all holds that have run out (the sweeper).
CREATE INDEX bookings_pending_event_idx ON bookings (event_id, expires_at) WHERE status = 'PENDING';
CREATE INDEX bookings_pending_expires_idx ON bookings (expires_at) WHERE status = 'PENDING';

CREATE TABLE payments (
    id             uuid        NOT NULL,
    booking_id     uuid        NOT NULL,
    provider       text        NOT NULL, -- test, stripe
    status         text        NOT NULL,
    amount_cents   bigint      NOT NULL,
    currency       text        NOT NULL,
    refunded_cents bigint      NOT NULL DEFAULT 0,
    provider_ref   text,                 -- the provider's id for it (a Stripe PaymentIntent)
    client_secret  text,                 -- for the buyer's browser (Stripe.js)
    created_at     timestamptz NOT NULL,
    updated_at     timestamptz NOT NULL,
    CONSTRAINT payments_pkey PRIMARY KEY (id),
    CONSTRAINT payments_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id),
    CONSTRAINT payments_booking_id_key UNIQUE (booking_id),
    CONSTRAINT payments_status_check CHECK (status IN ('REQUIRES_PAYMENT', 'PROCESSING', 'SUCCEEDED', 'FAILED', 'REFUNDED')),
    CONSTRAINT payments_amount_check CHECK (amount_cents >= 0 AND refunded_cents BETWEEN 0 AND amount_cents)
);
CREATE UNIQUE INDEX payments_provider_ref_key ON payments (provider, provider_ref) WHERE provider_ref IS NOT NULL;

-- A provider's event (a webhook) is applied once, however often delivered.
CREATE TABLE provider_events (
    provider    text        NOT NULL,
    event_id    text        NOT NULL,
    received_at timestamptz NOT NULL,
    CONSTRAINT provider_events_pkey PRIMARY KEY (provider, event_id)
);

-- Answers kept for Idempotency-Key retries: 24 hours, then pruned.
CREATE TABLE idempotency_keys (
    caller       text        NOT NULL, -- the user, or the client address of an anonymous caller
    key          text        NOT NULL,
    request_hash text        NOT NULL,
    status       integer,              -- NULL while the first request runs
    response     bytea,
    started_at   timestamptz NOT NULL,
    CONSTRAINT idempotency_keys_pkey PRIMARY KEY (caller, key)
);
CREATE INDEX idempotency_keys_started_at_idx ON idempotency_keys (started_at);

-- +goose Down
-- drops: payments, provider events and kept answers; bookings' prices,
-- currencies and idempotency keys. Holds still PENDING give their tickets
-- back and become CANCELLED, as do EXPIRED bookings.
DROP TABLE idempotency_keys;
DROP TABLE provider_events;
DROP TABLE payments;
UPDATE events e SET available_tickets = e.available_tickets + p.n
    FROM (SELECT event_id, sum(number_of_tickets) AS n FROM bookings WHERE status = 'PENDING' GROUP BY event_id) p
    WHERE e.id = p.event_id;
UPDATE bookings SET status = 'CANCELLED', cancelled_at = updated_at, expires_at = NULL
    WHERE status IN ('PENDING', 'EXPIRED');
DROP INDEX bookings_pending_expires_idx;
DROP INDEX bookings_pending_event_idx;
DROP INDEX bookings_idempotency_key;
ALTER TABLE bookings
    DROP CONSTRAINT bookings_price_check,
    DROP CONSTRAINT bookings_expires_at_check,
    DROP CONSTRAINT bookings_status_check,
    ADD CONSTRAINT bookings_status_check CHECK (status IN ('CONFIRMED', 'CANCELLED')),
    DROP COLUMN idempotency_key,
    DROP COLUMN currency,
    DROP COLUMN total_cents,
    DROP COLUMN unit_price_cents,
    DROP COLUMN expires_at;
ALTER TABLE events DROP COLUMN currency;

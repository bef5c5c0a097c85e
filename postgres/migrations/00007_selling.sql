-- Selling: ticket types (each its own price, stock, sales window and price
-- steps), promo codes with counted uses, and bulk bookings of up to 10,000
-- tickets. An event with types keeps its totals as their sums, so its row
-- stays the one lock a booking takes.

-- +goose Up
ALTER TABLE events ADD COLUMN has_ticket_types boolean NOT NULL DEFAULT false;

CREATE TABLE ticket_types (
    id                uuid        NOT NULL,
    event_id          uuid        NOT NULL,
    name              text        NOT NULL,
    price_cents       bigint      NOT NULL, -- the base price, before any step
    total_tickets     integer     NOT NULL,
    available_tickets integer     NOT NULL,
    sales_start       timestamptz,
    sales_end         timestamptz,
    max_per_booking   integer     NOT NULL,
    price_steps       text        NOT NULL DEFAULT '[]', -- JSON: [{"soldAtLeast": n | "from": t, "priceCents": c}]
    position          integer     NOT NULL, -- its place in the event's list
    created_at        timestamptz NOT NULL,
    CONSTRAINT ticket_types_pkey PRIMARY KEY (id),
    CONSTRAINT ticket_types_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT ticket_types_tickets_check CHECK (available_tickets BETWEEN 0 AND total_tickets),
    CONSTRAINT ticket_types_price_check CHECK (price_cents >= 0 AND max_per_booking >= 1)
);
CREATE INDEX ticket_types_event_id_idx ON ticket_types (event_id, position);

CREATE TABLE promo_codes (
    id               uuid        NOT NULL,
    event_id         uuid        NOT NULL,
    code             text        NOT NULL, -- upper case
    percent_off      integer,
    amount_off_cents bigint,
    max_uses         integer,              -- NULL: unlimited
    uses             integer     NOT NULL DEFAULT 0,
    valid_until      timestamptz,
    created_at       timestamptz NOT NULL,
    CONSTRAINT promo_codes_pkey PRIMARY KEY (id),
    CONSTRAINT promo_codes_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT promo_codes_event_id_code_key UNIQUE (event_id, code),
    CONSTRAINT promo_codes_discount_check CHECK ((percent_off IS NULL) <> (amount_off_cents IS NULL)
        AND (percent_off BETWEEN 1 AND 100 OR amount_off_cents >= 1)),
    CONSTRAINT promo_codes_uses_check CHECK (uses >= 0 AND (max_uses IS NULL OR uses <= max_uses))
);

ALTER TABLE bookings
    ADD COLUMN ticket_type_id uuid,
    ADD COLUMN promo_code_id  uuid,
    ADD COLUMN discount_cents bigint NOT NULL DEFAULT 0,
    ADD CONSTRAINT bookings_ticket_type_id_fkey FOREIGN KEY (ticket_type_id) REFERENCES ticket_types (id),
    ADD CONSTRAINT bookings_promo_code_id_fkey FOREIGN KEY (promo_code_id) REFERENCES promo_codes (id),
    ADD CONSTRAINT bookings_discount_check CHECK (discount_cents >= 0),
    -- Bulk bookings: up to 10,000 tickets for a group or a box office.
    DROP CONSTRAINT bookings_number_of_tickets_check,
    ADD CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10000);

-- +goose Down
-- drops: every ticket type and promo code; bookings' types, codes and
-- discounts; bulk bookings (over 10 tickets) with their tickets and
-- payments, their held tickets going back to their events.
UPDATE events e SET available_tickets = e.available_tickets + p.n
    FROM (SELECT event_id, sum(number_of_tickets) AS n FROM bookings
          WHERE number_of_tickets > 10 AND status IN ('PENDING', 'CONFIRMED') GROUP BY event_id) p
    WHERE e.id = p.event_id;
DELETE FROM tickets WHERE booking_id IN (SELECT id FROM bookings WHERE number_of_tickets > 10);
DELETE FROM payments WHERE booking_id IN (SELECT id FROM bookings WHERE number_of_tickets > 10);
DELETE FROM bookings WHERE number_of_tickets > 10;
ALTER TABLE bookings
    DROP CONSTRAINT bookings_number_of_tickets_check,
    ADD CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    DROP CONSTRAINT bookings_discount_check,
    DROP CONSTRAINT bookings_promo_code_id_fkey,
    DROP CONSTRAINT bookings_ticket_type_id_fkey,
    DROP COLUMN discount_cents,
    DROP COLUMN promo_code_id,
    DROP COLUMN ticket_type_id;
DROP TABLE promo_codes;
DROP TABLE ticket_types;
ALTER TABLE events DROP COLUMN has_ticket_types;

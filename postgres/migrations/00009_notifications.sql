-- Notifications, webhooks and the event stream, all fed by the record of
-- changes. A change is relayed (its emails and webhook deliveries queued as
-- jobs) and published (to NATS JetStream) once each; the flags below say
-- which are done. Flags, not an "after id N" cursor: ids are numbered at
-- insert, so a change whose transaction commits late would be skipped by a
-- cursor that had passed its id.

-- +goose Up
ALTER TABLE changes ADD COLUMN relayed_at timestamptz;   -- its jobs are queued; NULL: not yet
ALTER TABLE changes ADD COLUMN published_at timestamptz; -- in the event stream (or none is configured); NULL: not yet
-- What happened before this migration is not news: nothing is sent for it.
UPDATE changes SET relayed_at = at, published_at = at;
-- The relay's work lists: small, since rows leave them within seconds.
CREATE INDEX changes_unrelayed_idx ON changes (id) WHERE relayed_at IS NULL;
CREATE INDEX changes_unpublished_idx ON changes (id) WHERE published_at IS NULL;

-- Endpoints organizers and admins register (Standard Webhooks).
CREATE TABLE webhooks (
    id         uuid        NOT NULL,
    owner_id   uuid        NOT NULL,
    url        text        NOT NULL,
    events     text        NOT NULL, -- the change kinds it hears of, comma-separated
    event_id   uuid,                 -- NULL: every event of its owner (every event, for an admin)
    active     boolean     NOT NULL DEFAULT true, -- false once it answered 410 Gone
    secret     text        NOT NULL, -- signs deliveries; shown to its owner once
    created_at timestamptz NOT NULL,
    CONSTRAINT webhooks_pkey PRIMARY KEY (id),
    CONSTRAINT webhooks_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id),
    CONSTRAINT webhooks_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id)
);
CREATE INDEX webhooks_owner_id_idx ON webhooks (owner_id, created_at, id);
CREATE INDEX webhooks_event_id_idx ON webhooks (event_id);

-- One change sent to one webhook, with every attempt counted.
CREATE TABLE webhook_deliveries (
    id              uuid        NOT NULL,
    webhook_id      uuid        NOT NULL,
    change_id       bigint      NOT NULL,
    type            text        NOT NULL,
    payload         text        NOT NULL, -- the JSON body, the same on every attempt
    attempts        integer     NOT NULL DEFAULT 0,
    last_status     integer,              -- the endpoint's HTTP status; NULL: no answer
    last_response   text,
    delivered_at    timestamptz,
    next_attempt_at timestamptz,
    created_at      timestamptz NOT NULL,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_deliveries_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_webhook_id_change_id_key UNIQUE (webhook_id, change_id)
);
CREATE INDEX webhook_deliveries_webhook_id_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

-- The reminders sent the day before an event: one per booking, ever.
CREATE TABLE reminders (
    booking_id uuid        NOT NULL,
    sent_at    timestamptz NOT NULL,
    CONSTRAINT reminders_pkey PRIMARY KEY (booking_id),
    CONSTRAINT reminders_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id)
);

-- +goose Down
-- drops: every webhook and its deliveries (the tables webhooks and webhook_deliveries), which bookings were reminded of their event (the table reminders), and which changes were relayed and published (the columns changes.relayed_at and changes.published_at)
DROP TABLE reminders;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP INDEX changes_unpublished_idx;
DROP INDEX changes_unrelayed_idx;
ALTER TABLE changes DROP COLUMN published_at;
ALTER TABLE changes DROP COLUMN relayed_at;

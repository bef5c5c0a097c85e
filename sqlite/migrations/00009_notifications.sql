-- Notifications, webhooks and the event stream (see the PostgreSQL store's
-- 00009_notifications.sql).

-- +goose Up
ALTER TABLE changes ADD COLUMN relayed_at TEXT;
ALTER TABLE changes ADD COLUMN published_at TEXT;
UPDATE changes SET relayed_at = at, published_at = at;
CREATE INDEX changes_unrelayed_idx ON changes (id) WHERE relayed_at IS NULL;
CREATE INDEX changes_unpublished_idx ON changes (id) WHERE published_at IS NULL;

CREATE TABLE webhooks (
    id         TEXT    NOT NULL,
    owner_id   TEXT    NOT NULL,
    url        TEXT    NOT NULL,
    events     TEXT    NOT NULL,
    event_id   TEXT,
    active     INTEGER NOT NULL DEFAULT 1,
    secret     TEXT    NOT NULL,
    created_at TEXT    NOT NULL,
    CONSTRAINT webhooks_pkey PRIMARY KEY (id),
    CONSTRAINT webhooks_owner_id_fkey FOREIGN KEY (owner_id) REFERENCES users (id),
    CONSTRAINT webhooks_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id)
) STRICT;
CREATE INDEX webhooks_owner_id_idx ON webhooks (owner_id, created_at, id);
CREATE INDEX webhooks_event_id_idx ON webhooks (event_id);

CREATE TABLE webhook_deliveries (
    id              TEXT    NOT NULL,
    webhook_id      TEXT    NOT NULL,
    change_id       INTEGER NOT NULL,
    type            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER,
    last_response   TEXT,
    delivered_at    TEXT,
    next_attempt_at TEXT,
    created_at      TEXT    NOT NULL,
    CONSTRAINT webhook_deliveries_pkey PRIMARY KEY (id),
    CONSTRAINT webhook_deliveries_webhook_id_fkey FOREIGN KEY (webhook_id) REFERENCES webhooks (id) ON DELETE CASCADE,
    CONSTRAINT webhook_deliveries_webhook_id_change_id_key UNIQUE (webhook_id, change_id)
) STRICT;
CREATE INDEX webhook_deliveries_webhook_id_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);

CREATE TABLE reminders (
    booking_id TEXT NOT NULL,
    sent_at    TEXT NOT NULL,
    CONSTRAINT reminders_pkey PRIMARY KEY (booking_id),
    CONSTRAINT reminders_booking_id_fkey FOREIGN KEY (booking_id) REFERENCES bookings (id)
) STRICT;

-- +goose Down
-- drops: every webhook and its deliveries (the tables webhooks and webhook_deliveries), which bookings were reminded of their event (the table reminders), and which changes were relayed and published (the columns changes.relayed_at and changes.published_at)
DROP TABLE reminders;
DROP TABLE webhook_deliveries;
DROP TABLE webhooks;
DROP INDEX changes_unpublished_idx;
DROP INDEX changes_unrelayed_idx;
ALTER TABLE changes DROP COLUMN published_at;
ALTER TABLE changes DROP COLUMN relayed_at;

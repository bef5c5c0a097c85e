-- The record of changes: every change is recorded in the transaction that
-- makes it, and flows from there to whatever reacts to it (other servers
-- now; notifications, webhooks and live views later). A booking's history
-- is its changes. Rows are only ever appended.

-- +goose Up
CREATE TABLE changes (
    id               bigint      GENERATED ALWAYS AS IDENTITY,
    kind             text        NOT NULL, -- boxoffice.ChangeKind: booking.created, user.changed, ...
    at               timestamptz NOT NULL,
    actor_id         uuid,                 -- who made it; NULL: the system
    user_id          uuid,                 -- the user it concerns
    event_id         uuid,                 -- the event it concerns
    booking_id       uuid,                 -- the booking it concerns
    tickets_returned integer     NOT NULL DEFAULT 0, -- tickets it gave back to the event
    detail           text,
    CONSTRAINT changes_pkey PRIMARY KEY (id)
);
-- No foreign keys: the record outlives what it mentions. A booking's
-- history, oldest first.
CREATE INDEX changes_booking_id_idx ON changes (booking_id, id);

-- +goose Down
-- drops: the record of every change, the bookings' histories among them (the table changes)
DROP TABLE changes;

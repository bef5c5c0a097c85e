-- Accounts and roles: a password and a role per user, a token version that
-- revokes every token issued before it, and an organizer per event. The
-- PostgreSQL store's 00002_accounts.sql, in SQLite terms.

-- +goose Up
-- Existing rows get the defaults: customers who cannot sign in until they
-- are given a password, and events nobody organizes.
ALTER TABLE users ADD COLUMN password_hash TEXT NOT NULL DEFAULT ''; -- argon2id, PHC string; '': cannot sign in
ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'CUSTOMER'
    CONSTRAINT users_role_check CHECK (role IN ('CUSTOMER', 'ORGANIZER', 'ADMIN'));
ALTER TABLE users ADD COLUMN token_version INTEGER NOT NULL DEFAULT 0; -- bumped to revoke tokens

ALTER TABLE events ADD COLUMN organizer_id TEXT REFERENCES users (id); -- NULL: nobody (only admins edit it)
CREATE INDEX events_organizer_id_idx ON events (organizer_id); -- an organizer's events, and their bookings

-- +goose Down
-- drops: every user's password, role and token version, and every
-- event's organizer (users.password_hash, users.role, users.token_version,
-- events.organizer_id). Migrating up again does not bring them back: every
-- user is then a CUSTOMER who cannot sign in, and `boxoffice seed` keeps
-- existing users as they are.

-- The users' columns can simply go (a column's own CHECK does not stop
-- DROP COLUMN). events.organizer_id cannot, being in a foreign key: the
-- table is rebuilt as 00001_init.sql made it, rows and rowids kept.
ALTER TABLE users DROP COLUMN token_version;
ALTER TABLE users DROP COLUMN role;
ALTER TABLE users DROP COLUMN password_hash;

DROP INDEX events_organizer_id_idx;

-- SQLite's recipe switches foreign keys off, which cannot be done inside
-- the transaction goose runs this in. Deferring them instead lets the
-- bookings lose their parent rows for a moment: dropping events counts a
-- violation for each of its bookings, re-inserting the event resolves
-- them, and COMMIT fails (rolling all of this back) if any is left.
PRAGMA defer_foreign_keys = ON; -- until COMMIT
CREATE TEMP TABLE events_00002 AS
    SELECT rowid AS row_id, id, title, description, date, location, total_tickets, available_tickets,
        price_cents, version, created_at, updated_at
    FROM events;
DROP TABLE events; -- its indexes too
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
INSERT INTO events (rowid, id, title, description, date, location, total_tickets, available_tickets,
        price_cents, version, created_at, updated_at)
    SELECT row_id, id, title, description, date, location, total_tickets, available_tickets,
        price_cents, version, created_at, updated_at
    FROM events_00002 ORDER BY row_id;
DROP TABLE events_00002;
CREATE INDEX events_date_created_at_id_idx ON events (date, created_at DESC, id DESC);   -- events list, upcoming
CREATE INDEX events_available_tickets_date_id_idx ON events (available_tickets, date, id); -- popular

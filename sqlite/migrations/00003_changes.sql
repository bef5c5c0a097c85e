-- The record of changes (see the PostgreSQL store's 00003_changes.sql), and
-- the names of the PostgreSQL store for every constraint and index, so that
-- one table of constraint errors serves both engines and the schemas can be
-- compared by name. SQLite cannot rename a constraint: the three tables are
-- rebuilt, rows and rowids kept, as 00002_accounts.sql's Down does.

-- +goose Up
-- Foreign keys are checked at COMMIT (rolling all of this back if one is
-- broken), not while a parent table is rebuilt under its children.
PRAGMA defer_foreign_keys = ON;

CREATE TEMP TABLE users_00003 AS SELECT rowid AS row_id, * FROM users;
DROP TABLE users;
CREATE TABLE users (
    id            TEXT    NOT NULL,
    username      TEXT    NOT NULL,
    email         TEXT    NOT NULL, -- lower-cased by the store
    created_at    TEXT    NOT NULL,
    updated_at    TEXT    NOT NULL,
    password_hash TEXT    NOT NULL DEFAULT '', -- argon2id, PHC string; '': cannot sign in
    role          TEXT    NOT NULL DEFAULT 'CUSTOMER',
    token_version INTEGER NOT NULL DEFAULT 0, -- bumped to revoke tokens
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_role_check CHECK (role IN ('CUSTOMER', 'ORGANIZER', 'ADMIN'))
) STRICT;
INSERT INTO users (rowid, id, username, email, created_at, updated_at, password_hash, role, token_version)
    SELECT row_id, id, username, email, created_at, updated_at, password_hash, role, token_version
    FROM users_00003 ORDER BY row_id;
DROP TABLE users_00003;
CREATE UNIQUE INDEX users_email_key ON users (lower(email));
CREATE INDEX users_created_at_idx ON users (created_at DESC, id DESC);

CREATE TEMP TABLE events_00003 AS SELECT rowid AS row_id, * FROM events;
DROP TABLE events; -- its indexes too
CREATE TABLE events (
    id                TEXT    NOT NULL,
    title             TEXT    NOT NULL,
    description       TEXT,
    date              TEXT    NOT NULL,
    location          TEXT    NOT NULL,
    total_tickets     INTEGER NOT NULL,
    available_tickets INTEGER NOT NULL,
    price_cents       INTEGER NOT NULL,
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    organizer_id      TEXT, -- NULL: nobody (only admins edit it)
    CONSTRAINT events_pkey PRIMARY KEY (id),
    CONSTRAINT events_organizer_id_fkey FOREIGN KEY (organizer_id) REFERENCES users (id),
    CONSTRAINT events_total_tickets_check CHECK (total_tickets > 0),
    CONSTRAINT events_available_tickets_check CHECK (available_tickets >= 0 AND available_tickets <= total_tickets),
    CONSTRAINT events_price_cents_check CHECK (price_cents >= 0)
) STRICT;
INSERT INTO events (rowid, id, title, description, date, location, total_tickets, available_tickets,
        price_cents, version, created_at, updated_at, organizer_id)
    SELECT row_id, id, title, description, date, location, total_tickets, available_tickets,
        price_cents, version, created_at, updated_at, organizer_id
    FROM events_00003 ORDER BY row_id;
DROP TABLE events_00003;
CREATE INDEX events_date_idx ON events (date, created_at DESC, id DESC);               -- events list, upcoming
CREATE INDEX events_available_tickets_idx ON events (available_tickets, date, id);      -- popular
CREATE INDEX events_organizer_id_idx ON events (organizer_id);                          -- an organizer's events

CREATE TEMP TABLE bookings_00003 AS SELECT rowid AS row_id, * FROM bookings;
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
    CONSTRAINT bookings_pkey PRIMARY KEY (id),
    CONSTRAINT bookings_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id),
    CONSTRAINT bookings_event_id_fkey FOREIGN KEY (event_id) REFERENCES events (id),
    CONSTRAINT bookings_number_of_tickets_check CHECK (number_of_tickets BETWEEN 1 AND 10),
    CONSTRAINT bookings_status_check CHECK (status IN ('CONFIRMED', 'CANCELLED')),
    CONSTRAINT bookings_cancelled_at_check CHECK ((status = 'CANCELLED') = (cancelled_at IS NOT NULL))
) STRICT;
INSERT INTO bookings (rowid, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at)
    SELECT row_id, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at
    FROM bookings_00003 ORDER BY row_id;
DROP TABLE bookings_00003;
CREATE INDEX bookings_user_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_idx ON bookings (created_at DESC, id DESC);

CREATE TABLE changes (
    id               INTEGER NOT NULL,
    kind             TEXT    NOT NULL,
    at               TEXT    NOT NULL,
    actor_id         TEXT,
    user_id          TEXT,
    event_id         TEXT,
    booking_id       TEXT,
    tickets_returned INTEGER NOT NULL DEFAULT 0,
    detail           TEXT,
    CONSTRAINT changes_pkey PRIMARY KEY (id) -- INTEGER PRIMARY KEY: the rowid, numbered by SQLite
) STRICT;
CREATE INDEX changes_booking_id_idx ON changes (booking_id, id);

-- +goose Down
-- drops: the record of every change, the bookings' histories among them (the table changes)

-- Back to the tables as 00002_accounts.sql left them.
PRAGMA defer_foreign_keys = ON;
DROP TABLE changes;

CREATE TEMP TABLE bookings_00003 AS SELECT rowid AS row_id, * FROM bookings;
DROP TABLE bookings;
-- Word for word as 00001 made it.
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
INSERT INTO bookings (rowid, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at)
    SELECT row_id, id, user_id, event_id, number_of_tickets, status, created_at, updated_at, cancelled_at
    FROM bookings_00003 ORDER BY row_id;
DROP TABLE bookings_00003;
CREATE INDEX bookings_user_id_created_at_id_idx ON bookings (user_id, created_at DESC, id DESC);
CREATE INDEX bookings_event_id_created_at_id_idx ON bookings (event_id, created_at DESC, id DESC);
CREATE INDEX bookings_created_at_id_idx ON bookings (created_at DESC, id DESC);

CREATE TEMP TABLE events_00003 AS SELECT rowid AS row_id, * FROM events;
DROP TABLE events;
-- Word for word as 00001 and 00002 left it.
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
    updated_at        TEXT NOT NULL, organizer_id TEXT REFERENCES users (id),
    CONSTRAINT events_total_tickets_check CHECK (total_tickets > 0),
    CONSTRAINT events_available_tickets_check CHECK (available_tickets >= 0 AND available_tickets <= total_tickets),
    CONSTRAINT events_price_cents_check CHECK (price_cents >= 0)
) STRICT;
INSERT INTO events (rowid, id, title, description, date, location, total_tickets, available_tickets,
        price_cents, version, created_at, updated_at, organizer_id)
    SELECT row_id, id, title, description, date, location, total_tickets, available_tickets,
        price_cents, version, created_at, updated_at, organizer_id
    FROM events_00003 ORDER BY row_id;
DROP TABLE events_00003;
CREATE INDEX events_date_created_at_id_idx ON events (date, created_at DESC, id DESC);
CREATE INDEX events_available_tickets_date_id_idx ON events (available_tickets, date, id);
CREATE INDEX events_organizer_id_idx ON events (organizer_id);

CREATE TEMP TABLE users_00003 AS SELECT rowid AS row_id, * FROM users;
DROP TABLE users;
-- Word for word as 00001 and 00002 left it: SQLite keeps the text.
CREATE TABLE users (
    id         TEXT NOT NULL PRIMARY KEY,
    username   TEXT NOT NULL,
    email      TEXT NOT NULL, -- lower-cased by the store
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL, password_hash TEXT NOT NULL DEFAULT '', role TEXT NOT NULL DEFAULT 'CUSTOMER'
    CONSTRAINT users_role_check CHECK (role IN ('CUSTOMER', 'ORGANIZER', 'ADMIN')), token_version INTEGER NOT NULL DEFAULT 0,
    CONSTRAINT users_email_key UNIQUE (email)
) STRICT;
INSERT INTO users (rowid, id, username, email, created_at, updated_at, password_hash, role, token_version)
    SELECT row_id, id, username, email, created_at, updated_at, password_hash, role, token_version
    FROM users_00003 ORDER BY row_id;
DROP TABLE users_00003;
CREATE INDEX users_created_at_id_idx ON users (created_at DESC, id DESC);

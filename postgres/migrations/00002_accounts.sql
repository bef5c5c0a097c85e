-- Accounts and roles: a password and a role per user, a token version that
-- revokes every token issued before it, and an organizer per event.

-- +goose Up
-- Existing users get the defaults: customers who cannot sign in until they
-- are given a password. Adding a column with a constant default rewrites
-- no rows.
ALTER TABLE users
    ADD COLUMN password_hash text NOT NULL DEFAULT '', -- argon2id, PHC string; '': cannot sign in
    ADD COLUMN role text NOT NULL DEFAULT 'CUSTOMER'
        CONSTRAINT users_role_check CHECK (role IN ('CUSTOMER', 'ORGANIZER', 'ADMIN')),
    ADD COLUMN token_version integer NOT NULL DEFAULT 0; -- bumped to revoke tokens

-- NULL: an event nobody organizes (only admins edit it).
ALTER TABLE events
    ADD COLUMN organizer_id uuid CONSTRAINT events_organizer_id_fkey REFERENCES users (id);
-- An organizer's events, and their bookings (FindBookings by organizer);
-- also what the foreign key needs for checks on deleting users.
CREATE INDEX events_organizer_id_idx ON events (organizer_id);

-- +goose Down
-- drops: every user's password, role and token version, and every
-- event's organizer (users.password_hash, users.role, users.token_version,
-- events.organizer_id). Migrating up again does not bring them back: every
-- user is then a CUSTOMER who cannot sign in, and `boxoffice seed` keeps
-- existing users as they are.

DROP INDEX events_organizer_id_idx;
ALTER TABLE events DROP COLUMN organizer_id; -- and its foreign key
ALTER TABLE users
    DROP COLUMN token_version,
    DROP COLUMN role, -- and its check
    DROP COLUMN password_hash;

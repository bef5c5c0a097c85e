package sqlite

import (
	"context"
	"strings"

	"github.com/boxoffice/boxoffice"
)

const userColumns = "id, username, email, role, password_hash, token_version, created_at, updated_at"

func userTargets(u *boxoffice.User) []any {
	return []any{&u.ID, &u.Username, &u.Email, &u.Role, &u.PasswordHash, &u.TokenVersion,
		timeColumn{&u.CreatedAt}, timeColumn{&u.UpdatedAt}}
}

func scanUser(s scanner) (*boxoffice.User, error) {
	var u boxoffice.User
	if err := s.Scan(userTargets(&u)...); err != nil {
		return nil, err
	}
	return &u, nil
}

// FindUserByID returns the user with this id. ENOTFOUND if there is none.
func (db *DB) FindUserByID(ctx context.Context, id string) (*boxoffice.User, error) {
	u, err := scanUser(db.read().queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE id = ?", canonicalID(id)))
	if err != nil {
		return nil, translate(err, "find user", "user")
	}
	return u, nil
}

// FindUserByEmail returns the user with this email, in any letter case.
// ENOTFOUND if there is none.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*boxoffice.User, error) {
	// Emails are stored lower-cased: an exact match on the unique index.
	u, err := scanUser(db.read().queryRow(ctx, "SELECT "+userColumns+" FROM users WHERE email = ?", strings.ToLower(email)))
	if err != nil {
		return nil, translate(err, "find user by email", "user")
	}
	return u, nil
}

// FindUsers returns a page of the users that match filter, newest first,
// and how many match in all.
func (db *DB) FindUsers(ctx context.Context, filter boxoffice.UserFilter) ([]*boxoffice.User, int, error) {
	var w where
	// Emails are stored lower-cased; usernames are lowered here, for all of
	// Unicode (see lowerFunc). LIKE then compares exactly but for ASCII case.
	if filter.Email != "" {
		w.add(`email LIKE ? ESCAPE '\'`, containsPattern(filter.Email))
	}
	if filter.Username != "" {
		w.add(lowerFunc+`(username) LIKE ? ESCAPE '\'`, containsPattern(filter.Username))
	}
	users := []*boxoffice.User{}
	var total int
	err := db.inReadTx(ctx, func(c conn) error {
		if err := c.queryRow(ctx, "SELECT count(*) FROM users"+w.String(), w.args...).Scan(&total); err != nil {
			return err
		}
		if total <= filter.Page.Offset() {
			return nil
		}
		var err error
		users, err = queryAll(ctx, c, scanUser,
			"SELECT "+userColumns+" FROM users"+w.String()+" ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?",
			append(w.args, filter.Page.Limit, filter.Page.Offset())...)
		return err
	})
	if err != nil {
		return nil, 0, translate(err, "find users", "user")
	}
	return users, total, nil
}

// FindUsersByIDs returns the users with these ids that exist, in any order.
func (db *DB) FindUsersByIDs(ctx context.Context, ids []string) ([]*boxoffice.User, error) {
	users, err := queryByIDs(ctx, db.read(), scanUser, "SELECT "+userColumns+" FROM users WHERE id IN (%s)", ids)
	if err != nil {
		return nil, translate(err, "find users by ids", "user")
	}
	return users, nil
}

// CreateUser inserts u as given, its id and email lower-cased and an empty
// role as the column's default, CUSTOMER (and so set in u). ECONFLICT if
// the email or the id is taken; EINVALID for an unknown role.
func (db *DB) CreateUser(ctx context.Context, u *boxoffice.User) error {
	id, email, role := canonicalID(u.ID), strings.ToLower(u.Email), u.Role
	if role == "" {
		role = boxoffice.RoleCustomer
	}
	_, err := db.write().exec(ctx, "INSERT INTO users ("+userColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		id, u.Username, email, string(role), u.PasswordHash, u.TokenVersion,
		formatTime(u.CreatedAt), formatTime(u.UpdatedAt))
	if err != nil {
		return translate(err, "create user", "user")
	}
	u.ID, u.Email, u.Role = id, email, role
	return nil
}

// UpdateUser sets the fields of upd that are set, bumps the token version
// if asked and sets updated_at, in one statement, and returns the user as
// updated. ENOTFOUND if there is no such user; EINVALID for an unknown role.
func (db *DB) UpdateUser(ctx context.Context, id string, upd boxoffice.UserUpdate) (*boxoffice.User, error) {
	set := "updated_at = ?"
	args := []any{formatTime(boxoffice.Now())}
	if upd.PasswordHash != nil {
		set += ", password_hash = ?"
		args = append(args, *upd.PasswordHash)
	}
	if upd.Role != nil {
		set += ", role = ?"
		args = append(args, string(*upd.Role))
	}
	if upd.BumpTokenVersion {
		set += ", token_version = token_version + 1"
	}
	u, err := scanUser(db.write().queryRow(ctx, "UPDATE users SET "+set+" WHERE id = ? RETURNING "+userColumns,
		append(args, canonicalID(id))...))
	if err != nil {
		return nil, translate(err, "update user", "user")
	}
	return u, nil
}

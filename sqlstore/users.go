package sqlstore

import (
	"context"
	"strings"

	"github.com/boxoffice/boxoffice"
)

const userColumns = "id, username, email, role, password_hash, token_version, created_at, updated_at"

func userTargets(u *boxoffice.User) []any {
	return []any{&u.ID, &u.Username, &u.Email, &u.Role, &u.PasswordHash, &u.TokenVersion, &u.CreatedAt, &u.UpdatedAt}
}

func scanUser(r Rows) (*boxoffice.User, error) {
	var u boxoffice.User
	return &u, r.Scan(userTargets(&u)...)
}

// users implements boxoffice.UserStore.
type users struct{ scope }

func (s users) ByID(ctx context.Context, id string) (*boxoffice.User, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("user")
	}
	var u *boxoffice.User
	err := s.read(ctx, rowOf(&u, "user", scanUser, "SELECT "+userColumns+" FROM users WHERE id = $1", canonicalID(id)))
	return u, s.fail(err, "find", "user")
}

// ByEmail looks the email up by lower(email), the expression of the unique
// index users_email_key.
func (s users) ByEmail(ctx context.Context, email string) (*boxoffice.User, error) {
	var u *boxoffice.User
	err := s.read(ctx, rowOf(&u, "user", scanUser, "SELECT "+userColumns+" FROM users WHERE lower(email) = $1",
		strings.ToLower(email)))
	return u, s.fail(err, "find", "user")
}

// Find returns a page of users, newest first, whose email and username
// contain the filter's (case-insensitively), and how many match in all.
func (s users) Find(ctx context.Context, f boxoffice.UserFilter) ([]*boxoffice.User, int, error) {
	var w where
	if f.Email != "" {
		w.addSQL(s.d.ContainsFold(&w.args, "email", f.Email))
	}
	if f.Username != "" {
		w.addSQL(s.d.ContainsFold(&w.args, "username", f.Username))
	}
	return findPage(ctx, s.scope, "users", userColumns, w, "created_at DESC, id DESC", f.Page, "", scanUser)
}

func (s users) ByIDs(ctx context.Context, ids []string) ([]*boxoffice.User, error) {
	found := []*boxoffice.User{}
	if ids = validIDs(ids); len(ids) == 0 {
		return found, nil
	}
	var args Args
	err := s.read(ctx, rowsOf(&found, scanUser, "SELECT "+userColumns+" FROM users WHERE "+s.d.In(&args, "id", ids), args...))
	return found, s.fail(err, "find", "users")
}

// Create inserts u with its email lower-cased, its id canonical and its
// times as stored, and updates u to match. An empty role is CUSTOMER.
func (s users) Create(ctx context.Context, u *boxoffice.User) error {
	stored := *u
	stored.ID, stored.Email = canonicalID(u.ID), strings.ToLower(u.Email)
	stored.CreatedAt, stored.UpdatedAt = Time(u.CreatedAt), Time(u.UpdatedAt)
	if stored.Role == "" {
		stored.Role = boxoffice.RoleCustomer
	}
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, exec("INSERT INTO users ("+userColumns+") VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
			stored.ID, stored.Username, stored.Email, string(stored.Role), stored.PasswordHash, stored.TokenVersion,
			stored.CreatedAt, stored.UpdatedAt))
	})
	if err != nil {
		return s.fail(err, "create", "user")
	}
	*u = stored
	return nil
}

// Update sets the fields of upd that are set, bumps the token version if
// asked and sets updated_at, in one statement.
func (s users) Update(ctx context.Context, id string, upd boxoffice.UserUpdate) (*boxoffice.User, error) {
	if !boxoffice.ValidID(id) {
		return nil, notFound("user")
	}
	args := Args{canonicalID(id)}
	set := "updated_at = " + args.Add(Time(boxoffice.Now()))
	if upd.PasswordHash != nil {
		set += ", password_hash = " + args.Add(*upd.PasswordHash)
	}
	if upd.Role != nil {
		set += ", role = " + args.Add(string(*upd.Role))
	}
	if upd.BumpTokenVersion {
		set += ", token_version = token_version + 1"
	}
	var u *boxoffice.User
	err := s.write(ctx, func(tx Tx) error {
		return tx.Run(ctx, rowOf(&u, "user", scanUser, "UPDATE users SET "+set+" WHERE id = $1 RETURNING "+userColumns, args...))
	})
	return u, s.fail(err, "update", "user")
}

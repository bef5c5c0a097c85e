package postgres

import (
	"context"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/boxoffice/boxoffice"
)

const userColumns = "id, username, email, role, password_hash, token_version, created_at, updated_at"

func userTargets(u *boxoffice.User) []any {
	return []any{&u.ID, &u.Username, &u.Email, &u.Role, &u.PasswordHash, &u.TokenVersion, &u.CreatedAt, &u.UpdatedAt}
}

func scanUser(row pgx.CollectableRow) (*boxoffice.User, error) {
	var u boxoffice.User
	return &u, row.Scan(userTargets(&u)...)
}

// FindUserByID returns ENOTFOUND if there is no such user.
func (db *DB) FindUserByID(ctx context.Context, id string) (*boxoffice.User, error) {
	if !boxoffice.ValidID(id) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "user not found")
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+userColumns+" FROM users WHERE id = $1", id)
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if err != nil {
		return nil, dbError(err, "find", "user")
	}
	return u, nil
}

// FindUserByEmail returns the user with this email, in any letter case.
// ENOTFOUND if there is none.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (*boxoffice.User, error) {
	// lower(email) is the expression of the unique index users_email_key.
	rows, _ := db.pool.Query(ctx, "SELECT "+userColumns+" FROM users WHERE lower(email) = $1", strings.ToLower(email))
	u, err := pgx.CollectExactlyOneRow(rows, scanUser)
	if err != nil {
		return nil, dbError(err, "find", "user")
	}
	return u, nil
}

// FindUsers returns a page of users, newest first, whose email and username
// contain the filter's (case-insensitively), and how many match in all.
// EINVALID for a bad page.
func (db *DB) FindUsers(ctx context.Context, f boxoffice.UserFilter) ([]*boxoffice.User, int, error) {
	var w where
	if f.Email != "" {
		w.add("email ILIKE $%d", containsPattern(f.Email))
	}
	if f.Username != "" {
		w.add("username ILIKE $%d", containsPattern(f.Username))
	}
	return findPage(ctx, db, "users", userColumns, w, "created_at DESC, id DESC", f.Page, "", scanUser)
}

// FindUsersByIDs returns the users with these ids that exist, in no
// particular order.
func (db *DB) FindUsersByIDs(ctx context.Context, ids []string) ([]*boxoffice.User, error) {
	ids = validIDs(ids)
	if len(ids) == 0 {
		return []*boxoffice.User{}, nil
	}
	rows, _ := db.pool.Query(ctx, "SELECT "+userColumns+" FROM users WHERE id = ANY($1::uuid[])", ids)
	users, err := pgx.CollectRows(rows, scanUser)
	if err != nil {
		return nil, dbError(err, "find", "users")
	}
	return users, nil
}

// CreateUser inserts u with its email lower-cased and its times as stored
// (UTC, microseconds), and updates u to match. An empty role is stored as
// the column's default, CUSTOMER. ECONFLICT if the email or the id is
// taken; EINVALID for an unknown role.
func (db *DB) CreateUser(ctx context.Context, u *boxoffice.User) error {
	stored := *u
	stored.Email = strings.ToLower(u.Email)
	stored.CreatedAt, stored.UpdatedAt = dbTime(u.CreatedAt), dbTime(u.UpdatedAt)
	if stored.Role == "" {
		stored.Role = boxoffice.RoleCustomer
	}
	_, err := db.pool.Exec(ctx, `INSERT INTO users (`+userColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		stored.ID, stored.Username, stored.Email, stored.Role, stored.PasswordHash, stored.TokenVersion,
		stored.CreatedAt, stored.UpdatedAt)
	if err != nil {
		return dbError(err, "create", "user")
	}
	*u = stored
	return nil
}

// UpdateUser sets the fields of upd that are set, bumps the token version
// if asked and sets updated_at, in one statement, and returns the user as
// updated. ENOTFOUND if there is no such user; EINVALID for an unknown role.
// A new role or token version is announced to every server
// (WatchUsersChanged) when it commits.
func (db *DB) UpdateUser(ctx context.Context, id string, upd boxoffice.UserUpdate) (*boxoffice.User, error) {
	if !boxoffice.ValidID(id) {
		return nil, boxoffice.Errorf(boxoffice.ENOTFOUND, "user not found")
	}
	args := []any{id, dbTime(boxoffice.Now())}
	set := "updated_at = $2"
	if upd.PasswordHash != nil {
		args = append(args, *upd.PasswordHash)
		set += ", password_hash = $" + strconv.Itoa(len(args))
	}
	if upd.Role != nil {
		args = append(args, string(*upd.Role))
		set += ", role = $" + strconv.Itoa(len(args))
	}
	if upd.BumpTokenVersion {
		set += ", token_version = token_version + 1"
	}
	var u *boxoffice.User
	// One implicit transaction: the notification goes out only if the
	// update commits.
	b := &pgx.Batch{}
	b.Queue("UPDATE users SET "+set+" WHERE id = $1 RETURNING "+userColumns, args...).Query(func(rows pgx.Rows) (err error) {
		u, err = pgx.CollectExactlyOneRow(rows, scanUser)
		return err
	})
	if upd.Role != nil || upd.BumpTokenVersion {
		queueNotify(b, usersChannel, strings.ToLower(id))
	}
	if err := db.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, dbError(err, "update", "user")
	}
	return u, nil
}

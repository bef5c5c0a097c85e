package boxoffice

import (
	"context"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"
)

// Role is what a user may do; see policy.go.
type Role string

const (
	RoleCustomer  Role = "CUSTOMER"  // books tickets for themselves
	RoleOrganizer Role = "ORGANIZER" // also runs events
	RoleAdmin     Role = "ADMIN"     // may do everything
)

// Valid reports whether r is one of the roles.
func (r Role) Valid() bool { return r == RoleCustomer || r == RoleOrganizer || r == RoleAdmin }

// User is a person who books tickets.
type User struct {
	ID           string
	Username     string
	Email        string // unique, compared case-insensitively
	Role         Role
	PasswordHash string // argon2id, PHC string format; empty: cannot sign in
	// TokenVersion is bumped by signing out and by password changes: tokens
	// issued for an earlier version are refused.
	TokenVersion int
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// UserUpdate changes the fields that are set.
type UserUpdate struct {
	PasswordHash     *string
	Role             *Role
	BumpTokenVersion bool // revoke every token issued so far
}

// Validate returns EINVALID if a field of u is malformed. It normalizes the
// email to lower case and trims both names.
func (u *User) Validate() error {
	if err := CheckText("username", u.Username); err != nil {
		return err
	}
	if err := CheckText("email", u.Email); err != nil {
		return err
	}
	u.Username = strings.TrimSpace(u.Username)
	u.Email = strings.ToLower(strings.TrimSpace(u.Email))
	if n := utf8.RuneCountInString(u.Username); n < 2 || n > 50 {
		return Invalidf("username", "username must be 2 to 50 characters")
	}
	if len(u.Email) > 254 {
		return Invalidf("email", "email must be at most 254 characters")
	}
	if a, err := mail.ParseAddress(u.Email); err != nil || a.Address != u.Email {
		return Invalidf("email", "email is not a valid address")
	}
	return nil
}

// UserFilter selects users. Email and Username match case-insensitively
// anywhere in the field; empty matches all. Users come newest first.
type UserFilter struct {
	Email    string
	Username string
	Page     Page
}

// UserService manages users.
type UserService interface {
	// FindUserByID returns ENOTFOUND if there is no such user, EINVALID if
	// id is not a UUID.
	FindUserByID(ctx context.Context, id string) (*User, error)
	// FindUsers returns a page of users and the total number that match.
	// EINVALID for a bad page.
	FindUsers(ctx context.Context, filter UserFilter) ([]*User, int, error)
	// FindUsersByIDs returns the users with these ids that exist, in any
	// order. For batched loading.
	FindUsersByIDs(ctx context.Context, ids []string) ([]*User, error)
	// CreateUser creates a user with a password and a role (admins only).
	// It sets u.ID and the timestamps. EINVALID for bad fields, ECONFLICT if
	// the email is taken, EUNAUTHENTICATED/EFORBIDDEN.
	CreateUser(ctx context.Context, u *User, password string) error
	// SetUserRole changes a user's role (admins only). ENOTFOUND, EINVALID,
	// EUNAUTHENTICATED/EFORBIDDEN.
	SetUserRole(ctx context.Context, id string, role Role) (*User, error)
}

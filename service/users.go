package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
)

// Users implements boxoffice.UserService.
type Users struct{ *base }

// FindUserByID: the user themselves and admins (boxoffice.CanReadUser).
func (s *Users) FindUserByID(ctx context.Context, id string) (*boxoffice.User, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	if err := boxoffice.CanReadUser(caller(ctx), id); err != nil {
		return nil, err
	}
	return s.store.Users().ByID(ctx, id)
}

// FindUsers: admins.
func (s *Users) FindUsers(ctx context.Context, f boxoffice.UserFilter) ([]*boxoffice.User, int, error) {
	if err := boxoffice.CanListUsers(caller(ctx)); err != nil {
		return nil, 0, err
	}
	if err := f.Page.Validate(); err != nil {
		return nil, 0, err
	}
	return s.store.Users().Find(ctx, f)
}

// FindUsersByIDs loads users in batches for nested fields (a booking's
// user): the caller could see the parent, and the GraphQL layer guards
// the private fields (boxoffice.CanSeeUserPrivate).
func (s *Users) FindUsersByIDs(ctx context.Context, ids []string) ([]*boxoffice.User, error) {
	return s.store.Users().ByIDs(ctx, validIDs(ids))
}

// CreateUser: admins, with any role; a user created without a password
// cannot sign in.
func (s *Users) CreateUser(ctx context.Context, u *boxoffice.User, password string) error {
	if err := boxoffice.CanManageUsers(caller(ctx)); err != nil {
		return err
	}
	if u.Role == "" {
		u.Role = boxoffice.RoleCustomer
	}
	if err := validRole(u.Role); err != nil {
		return err
	}
	if err := u.Validate(); err != nil {
		return err
	}
	if password != "" {
		if err := boxoffice.ValidatePassword("password", password); err != nil {
			return err
		}
	}
	if err := s.spendMutation(ctx); err != nil {
		return err
	}
	return s.insertUser(ctx, u, password)
}

// SetUserRole: admins.
func (s *Users) SetUserRole(ctx context.Context, id string, role boxoffice.Role) (*boxoffice.User, error) {
	if err := boxoffice.CanManageUsers(caller(ctx)); err != nil {
		return nil, err
	}
	if err := validID("id", id); err != nil {
		return nil, err
	}
	if err := validRole(role); err != nil {
		return nil, err
	}
	return s.updateUser(ctx, id, boxoffice.UserUpdate{Role: &role})
}

func validRole(r boxoffice.Role) error {
	if !r.Valid() {
		return boxoffice.Invalidf("role", "role must be CUSTOMER, ORGANIZER or ADMIN")
	}
	return nil
}

// insertUser hashes the password (none: the account cannot sign in) and
// stores the validated user with its id and timestamps, and its change.
func (b *base) insertUser(ctx context.Context, u *boxoffice.User, password string) error {
	if password != "" {
		hash, err := auth.HashPassword(password)
		if err != nil {
			return err
		}
		u.PasswordHash = hash
	}
	u.ID = boxoffice.NewID()
	u.CreatedAt = b.now()
	u.UpdatedAt = u.CreatedAt
	return b.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		if err := tx.Users().Create(ctx, u); err != nil {
			return nil, err
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeUserCreated, At: u.CreatedAt, ActorID: caller(ctx).UserID, UserID: u.ID}}, nil
	})
}

// updateUser changes a user's row. A new role or token version is a
// change every server hears of, so it holds from the next request on,
// through any of them.
func (b *base) updateUser(ctx context.Context, id string, upd boxoffice.UserUpdate) (*boxoffice.User, error) {
	var u *boxoffice.User
	err := b.change(ctx, func(tx boxoffice.Tx) ([]*boxoffice.Change, error) {
		var err error
		if u, err = tx.Users().Update(ctx, id, upd); err != nil {
			return nil, err
		}
		if upd.Role == nil && !upd.BumpTokenVersion {
			return nil, nil
		}
		return []*boxoffice.Change{{Kind: boxoffice.ChangeUserChanged, At: u.UpdatedAt, ActorID: caller(ctx).UserID, UserID: u.ID}}, nil
	})
	return u, err
}

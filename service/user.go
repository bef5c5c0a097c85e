package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

// FindUserByID: the user themselves and admins (boxoffice.CanReadUser).
func (s *Service) FindUserByID(ctx context.Context, id string) (*boxoffice.User, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	if err := boxoffice.CanReadUser(caller(ctx), id); err != nil {
		return nil, err
	}
	return s.store.FindUserByID(ctx, id)
}

// FindUsers: admins.
func (s *Service) FindUsers(ctx context.Context, f boxoffice.UserFilter) ([]*boxoffice.User, int, error) {
	if err := boxoffice.CanListUsers(caller(ctx)); err != nil {
		return nil, 0, err
	}
	if err := f.Page.Validate(); err != nil {
		return nil, 0, err
	}
	return s.store.FindUsers(ctx, f)
}

// FindUsersByIDs loads users in batches for nested fields (a booking's
// user): the caller could see the parent, and the GraphQL layer guards
// the private fields (boxoffice.CanSeeUserPrivate).
func (s *Service) FindUsersByIDs(ctx context.Context, ids []string) ([]*boxoffice.User, error) {
	return s.store.FindUsersByIDs(ctx, validIDs(ids))
}

// CreateUser: admins, with any role; a user created without a password
// cannot sign in.
func (s *Service) CreateUser(ctx context.Context, u *boxoffice.User, password string) error {
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
func (s *Service) SetUserRole(ctx context.Context, id string, role boxoffice.Role) (*boxoffice.User, error) {
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

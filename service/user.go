package service

import (
	"context"

	"github.com/boxoffice/boxoffice"
)

func (s *Service) FindUserByID(ctx context.Context, id string) (*boxoffice.User, error) {
	if err := validID("id", id); err != nil {
		return nil, err
	}
	return s.store.FindUserByID(ctx, id)
}

func (s *Service) FindUsers(ctx context.Context, f boxoffice.UserFilter) ([]*boxoffice.User, int, error) {
	if err := f.Page.Validate(); err != nil {
		return nil, 0, err
	}
	return s.store.FindUsers(ctx, f)
}

func (s *Service) FindUsersByIDs(ctx context.Context, ids []string) ([]*boxoffice.User, error) {
	return s.store.FindUsersByIDs(ctx, validIDs(ids))
}

func (s *Service) CreateUser(ctx context.Context, u *boxoffice.User) error {
	if err := u.Validate(); err != nil {
		return err
	}
	u.ID = boxoffice.NewID()
	u.CreatedAt = s.now()
	u.UpdatedAt = u.CreatedAt
	return s.store.CreateUser(ctx, u)
}

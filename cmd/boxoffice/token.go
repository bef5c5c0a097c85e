package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
)

// runToken is `boxoffice token --email E`: prints a bearer token for an
// existing user, for operators and scripts.
func runToken(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email (required)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" {
		return errors.New("usage: boxoffice token --email E")
	}
	return withEngine(ctx, func(cfg config.Config, db engine) error {
		tokens, err := signer(cfg)
		if err != nil {
			return err
		}
		u, err := db.FindUserByEmail(ctx, strings.ToLower(strings.TrimSpace(*email)))
		if err != nil {
			return fmt.Errorf("find %s: %s", *email, boxoffice.ErrorMessage(err))
		}
		token, _, err := tokens.Issue(u.ID, u.TokenVersion, boxoffice.Now())
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, token)
		return nil
	})
}

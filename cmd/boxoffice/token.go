package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/service"
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
	return withServices(ctx, func(_ config.Config, svc *service.Services) error {
		p, err := svc.Accounts.IssueToken(operator(ctx), *email)
		if err != nil {
			return fmt.Errorf("token for %s: %w", *email, cliError(err))
		}
		fmt.Fprintln(stdout, p.Token)
		return nil
	})
}

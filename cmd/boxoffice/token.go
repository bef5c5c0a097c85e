package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/service"
)

const tokenUsage = `Usage: boxoffice token --email E

Prints a bearer token for an existing user, signed with the server's secret
(JWT_SECRET, or the embedded database's boxoffice.db.secret), valid for
TOKEN_TTL. Send it as the header Authorization: Bearer TOKEN.
`

// runToken is `boxoffice token --email E`: prints a bearer token for an
// existing user, for operators and scripts.
func runToken(ctx context.Context, args []string, stdout io.Writer) error {
	fs := newFlags("token", tokenUsage, stdout)
	email := fs.String("email", "", "the user's email (required)")
	rest, err := fs.parse(args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fs.fail("unexpected %q", strings.Join(rest, " "))
	}
	if *email == "" {
		return fs.fail("--email is required")
	}
	return withServices(ctx, stdout, func(_ config.Config, svc *service.Services) error {
		p, err := svc.Accounts.IssueToken(operator(ctx), *email)
		if err != nil {
			return fmt.Errorf("token for %s: %w", *email, cliError(err))
		}
		fmt.Fprintln(stdout, p.Token)
		return nil
	})
}

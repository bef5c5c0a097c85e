package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/auth"
	"github.com/boxoffice/boxoffice/config"
)

// runUsers is `boxoffice users create …`: how operators make the first
// admin, straight in the database, with the password read from stdin so it
// stays out of the shell history and the process list.
func runUsers(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create" {
		return errors.New("usage: boxoffice users create --email E --username U [--role customer|organizer|admin] --password-stdin")
	}
	fs := flag.NewFlagSet("users create", flag.ContinueOnError)
	email := fs.String("email", "", "the user's email (required)")
	username := fs.String("username", "", "the user's name (required)")
	role := fs.String("role", "customer", "customer, organizer or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	u := &boxoffice.User{Email: *email, Username: *username, Role: boxoffice.Role(strings.ToUpper(*role))}
	if !u.Role.Valid() {
		return fmt.Errorf("--role must be customer, organizer or admin")
	}
	if err := u.Validate(); err != nil {
		return fmt.Errorf("--%s: %s", boxoffice.ErrorField(err), boxoffice.ErrorMessage(err))
	}
	if *fromStdin {
		password, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password: %w", err)
		}
		password = strings.TrimRight(password, "\r\n")
		if err := boxoffice.ValidatePassword("password", password); err != nil {
			return errors.New(boxoffice.ErrorMessage(err))
		}
		if u.PasswordHash, err = auth.HashPassword(password); err != nil {
			return err
		}
	}
	return withEngine(ctx, func(_ config.Config, db engine) error {
		u.ID, u.CreatedAt = boxoffice.NewID(), boxoffice.Now()
		u.UpdatedAt = u.CreatedAt
		if err := db.CreateUser(ctx, u); err != nil {
			return fmt.Errorf("create user: %s", boxoffice.ErrorMessage(err))
		}
		fmt.Fprintf(stdout, "created %s %s <%s> (id %s)\n", strings.ToLower(string(u.Role)), u.Username, u.Email, u.ID)
		if u.PasswordHash == "" {
			fmt.Fprintln(stdout, "no password set (use --password-stdin): the user cannot sign in, but `boxoffice token` works")
		}
		return nil
	})
}

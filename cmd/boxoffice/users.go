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
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/service"
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
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	return withServices(ctx, func(_ config.Config, svc *service.Services) error {
		if err := svc.Users.CreateUser(operator(ctx), u, password); err != nil {
			return fmt.Errorf("create user: %w", cliError(err))
		}
		fmt.Fprintf(stdout, "created %s %s <%s> (id %s)\n", strings.ToLower(string(u.Role)), u.Username, u.Email, u.ID)
		if password == "" {
			fmt.Fprintln(stdout, "no password set (use --password-stdin): the user cannot sign in, but `boxoffice token` works")
		}
		return nil
	})
}

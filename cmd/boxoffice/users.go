package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/config"
	"github.com/boxoffice/boxoffice/service"
)

const usersUsage = `Usage: boxoffice users create --email E --username U [--role customer|organizer|admin] [--password-stdin]

Creates an account straight in the database: how the first admin is made.
The password is read from the first line of standard input, so it stays
out of the shell history and the process list. Without --password-stdin the
account cannot sign in, but ` + "`boxoffice token`" + ` works for it.
`

// runUsers is `boxoffice users create …`.
func runUsers(ctx context.Context, args []string, stdout io.Writer) error {
	top := newFlags("users", usersUsage, stdout)
	if len(args) == 0 || args[0] != "create" {
		if len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
			return top.help()
		}
		return top.fail("want: users create …, got %q", strings.Join(args, " "))
	}
	fs := newFlags("users create", usersUsage, stdout)
	email := fs.String("email", "", "the user's email (required)")
	username := fs.String("username", "", "the user's name (required)")
	role := fs.String("role", "customer", "customer, organizer or admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	rest, err := fs.parse(args[1:])
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fs.fail("unexpected %q", strings.Join(rest, " "))
	}
	if *email == "" || *username == "" {
		return fs.fail("--email and --username are required")
	}
	u := &boxoffice.User{Email: *email, Username: *username, Role: boxoffice.Role(strings.ToUpper(*role))}
	if !u.Role.Valid() {
		return fs.fail("--role must be customer, organizer or admin")
	}
	password := ""
	if *fromStdin {
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the password: %w", err)
		}
		password = strings.TrimRight(line, "\r\n")
	}
	return withServices(ctx, stdout, func(_ config.Config, svc *service.Services) error {
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

// Command boxoffice is the boxoffice server and its operator tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"
)

// command is one subcommand: `boxoffice NAME args…`.
type command struct {
	name  string
	usage string // one line for the help text
	run   func(ctx context.Context, args []string, stdout io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "run the GraphQL server", runServe},
		{"migrate", "apply pending migrations; `migrate down --force` rolls back one, `migrate status` lists them", runMigrate},
		{"seed", "load the demo data (idempotent)", runSeed},
		{"schema", "`schema create` creates DB_SCHEMA; `schema drop` drops every table in it", runSchema},
		{"users", "`users create --email E --username U --role admin --password-stdin` creates an account", runUsers},
		{"token", "`token --email E` prints a bearer token for an existing user", runToken},
		{"checkin", "`checkin --bundle FILE CODE` checks a ticket code against a check-in bundle, offline", runCheckin},
		{"jobs", "lists the background jobs that failed; `jobs retry ID` runs one again", runJobs},
		{"bench", "load-test a boxoffice (or original-API) server: hot, spread, read, mixed, onsale or expiry", runBench},
		{"version", "print the version", runVersion},
		{"help", "show this help, or `help COMMAND` a command's", nil},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout)
	stop()
	report(os.Stderr, err)
	os.Exit(exitCode(err))
}

// run runs the command that args name. See exitCode for what its error
// means to the process.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usage(stdout)
	}
	switch args[0] {
	case "-h", "-help", "--help":
		return usage(stdout)
	case "-v", "-version", "--version":
		return runVersion(ctx, nil, stdout)
	case "help":
		names := slices.DeleteFunc(args[1:], func(a string) bool { return a == "-h" || a == "-help" || a == "--help" })
		if len(names) == 1 && names[0] != "help" {
			return run(ctx, []string{names[0], "-h"}, stdout)
		}
		if len(names) > 1 {
			return &usageError{msg: "help takes one command name at most", usage: usageText()}
		}
		return usage(stdout)
	}
	for _, c := range commands() {
		if c.name == args[0] && c.run != nil {
			return c.run(ctx, args[1:], stdout)
		}
	}
	return &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), usage: usageText()}
}

func usage(w io.Writer) error {
	_, err := io.WriteString(w, usageText())
	return err
}

func usageText() string {
	s := "boxoffice: an event ticket booking server with a GraphQL API.\n\nUsage: boxoffice COMMAND [arguments]\n\nCommands:\n"
	for _, c := range commands() {
		s += fmt.Sprintf("  %-9s %s\n", c.name, c.usage)
	}
	return s + "\n`boxoffice COMMAND -h` shows a command's usage.\n" +
		"Configuration comes from the environment and from ./.env (the environment wins); see the README.\n"
}

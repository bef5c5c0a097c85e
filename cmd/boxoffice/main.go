// Command boxoffice is the boxoffice server and its operator tools.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
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
		{"migrate", "apply pending migrations; `migrate down` rolls back one, `migrate status` lists them", runMigrate},
		{"seed", "load the demo data (idempotent)", runSeed},
		{"schema", "`schema create` creates DB_SCHEMA; `schema drop` drops every table in it", runSchema},
		{"users", "`users create --email E --username U --role admin --password-stdin` creates an account", runUsers},
		{"token", "`token --email E` prints a bearer token for an existing user", runToken},
		{"jobs", "lists the background jobs that failed; `jobs retry ID` runs one again", runJobs},
		{"bench", "load-test a boxoffice (or original-API) server: hot, spread, read or mixed", runBench},
		{"version", "print the version", runVersion},
		{"help", "show this help", nil},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "boxoffice:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 {
		return usage(stdout)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			if c.run == nil {
				return usage(stdout)
			}
			return c.run(ctx, args[1:], stdout)
		}
	}
	switch args[0] {
	case "-h", "--help":
		return usage(stdout)
	case "-v", "--version":
		return runVersion(ctx, nil, stdout)
	}
	_ = usage(os.Stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) error {
	fmt.Fprintln(w, "boxoffice: an event ticket booking server with a GraphQL API.")
	fmt.Fprintln(w, "\nUsage: boxoffice COMMAND [arguments]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.usage)
	}
	fmt.Fprintln(w, "\nConfiguration comes from the environment and from ./.env (the environment wins); see the README.")
	return nil
}

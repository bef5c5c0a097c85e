package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
)

// errHelpShown is returned by a command whose usage was asked for (-h,
// -help, --help) and printed on stdout: the process exits 0.
var errHelpShown = errors.New("help shown")

// usageError is a command line that does not parse: the process prints it
// with the command's usage on stderr and exits 2, as Go's flag package does.
type usageError struct {
	msg   string
	usage string // the command's usage text
}

func (e *usageError) Error() string { return e.msg }

// exitCode is the process's exit status for the error a command returned.
func exitCode(err error) int {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown):
		return 0
	case errors.As(err, &ue):
		return 2
	}
	return 1
}

// report prints err as the process's last words on stderr: nothing for
// help, the message and the usage for a usage error, else the message.
func report(stderr io.Writer, err error) {
	var ue *usageError
	switch {
	case err == nil, errors.Is(err, errHelpShown), errors.Is(err, errNotAdmitted):
	case errors.As(err, &ue):
		fmt.Fprintf(stderr, "boxoffice: %s\n\n%s", ue.msg, ue.usage)
	default:
		fmt.Fprintln(stderr, "boxoffice:", err)
	}
}

// cmdFlags is a command's flags and usage text. Flags may come before,
// between and after the positional arguments, with one dash or two.
type cmdFlags struct {
	*flag.FlagSet
	usage  string // the text above the list of flags
	stdout io.Writer
}

// newFlags makes the flag set of `boxoffice name`. usage is the synopsis
// and description; the flags are listed after it.
func newFlags(name, usage string, stdout io.Writer) *cmdFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors and help are printed by report and help
	return &cmdFlags{FlagSet: fs, usage: usage, stdout: stdout}
}

// text is the full usage: the description and the flags, if any.
func (f *cmdFlags) text() string {
	var b strings.Builder
	b.WriteString(f.usage)
	if !strings.HasSuffix(f.usage, "\n") {
		b.WriteByte('\n')
	}
	hasFlags := false
	f.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n")
		f.SetOutput(&b)
		f.PrintDefaults()
		f.SetOutput(io.Discard)
	}
	return b.String()
}

// parse reads args, flags anywhere among the positional arguments, and
// returns the positional ones. On -h it prints the usage on stdout and
// returns errHelpShown; on a bad flag, a usageError.
func (f *cmdFlags) parse(args []string) ([]string, error) {
	var positional []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, f.help()
			}
			return nil, f.fail("%s", err)
		}
		args = f.Args()
		if len(args) == 0 {
			return positional, nil
		}
		if args[0] == "-h" || args[0] == "--help" || args[0] == "-help" {
			return nil, f.help()
		}
		positional = append(positional, args[0])
		args = args[1:]
	}
}

// help prints the usage on stdout and returns errHelpShown.
func (f *cmdFlags) help() error {
	fmt.Fprint(f.stdout, f.text())
	return errHelpShown
}

// fail returns a usageError with the command's usage.
func (f *cmdFlags) fail(format string, args ...any) error {
	return &usageError{msg: f.Name() + ": " + fmt.Sprintf(format, args...), usage: f.text()}
}

// stdinIsTerminal reports whether standard input is a terminal, where a
// person can answer a question: a character device other than the null
// device (which scripts and services get).
func stdinIsTerminal() bool {
	fi, err := os.Stdin.Stat()
	if err != nil || fi.Mode()&os.ModeCharDevice == 0 {
		return false
	}
	null, err := os.Stat(os.DevNull)
	return err != nil || !os.SameFile(fi, null)
}

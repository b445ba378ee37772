// Command clasp connects to TLS servers, serves TLS, and shows a handshake
// step by step, all with the clasp TLS stack.
//
//	clasp connect HOST:PORT   handshake with a server and report what was negotiated
//	clasp serve               run a TLS echo or HTTP server
//	clasp demo                run a client and a server in one process and tell the handshake
//	clasp cert --out DIR      make a throwaway CA, server and client certificate for testing
//	clasp scan HOST:PORT...   probe servers for their versions, cipher suites and groups
//	clasp explain "MESSAGE"   explain another program's TLS error message (or a log on stdin)
//	clasp bench HOST:PORT     load a TLS server with handshakes: rate, latencies, errors by cause
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
)

// Exit codes, the same for every subcommand so that scripts can tell a
// mistake on the command line from a failure on the network.
const (
	exitOK      = 0
	exitFailure = 1 // the handshake, the connection or the server failed
	exitUsage   = 2 // the command line is wrong; nothing was attempted
)

// usageError marks an error in the command line itself; main exits with
// exitUsage for it.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// run executes the command line and returns the exit code. It is separate
// from main so that every path out goes through one place that prints the
// error as a single line.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root := newRootCommand(stdin, stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	var usage *usageError
	if errors.As(err, &usage) || isCobraUsageError(err) {
		fmt.Fprintf(stderr, "clasp: %s (see '%s --help')\n", oneLine(err.Error()), cmd.CommandPath())
		return exitUsage
	}
	var diagnosed *diagnosedError
	if errors.As(err, &diagnosed) && diagnosed.diagnosis != nil {
		// The cause first: it is what a person reads and a log keeps.
		fmt.Fprintln(stderr, oneLine(diagnosed.diagnosis.Summary))
		fmt.Fprintln(stderr, "error:", oneLine(err.Error()))
		fmt.Fprint(stderr, diagnosed.diagnosis.Text())
		fmt.Fprint(stderr, diagnosed.after)
		return exitFailure
	}
	fmt.Fprintln(stderr, oneLine(err.Error()))
	if diagnosed != nil {
		fmt.Fprint(stderr, diagnosed.after)
	}
	var status *exitStatusError
	if errors.As(err, &status) {
		return status.code
	}
	return exitFailure
}

// isCobraUsageError recognises the errors cobra itself returns for an
// unknown subcommand, which it builds with fmt.Errorf and no type to test.
func isCobraUsageError(err error) bool {
	return strings.HasPrefix(err.Error(), "unknown command ")
}

// oneLine keeps a failure to the one line scripts and logs expect, even when
// a wrapped error spans several.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", "; ")), " ")
}

const exitCodesHelp = `Exit status:
  0  success
  1  the handshake, the connection or the server failed; the reason is one line on stderr
  2  usage error (unknown flag, bad cipher suite, group or version name); nothing was attempted`

func newRootCommand(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	root := &cobra.Command{
		Use:   "clasp",
		Short: "A TLS toolkit: connect, serve and watch handshakes with the clasp TLS stack",
		Long: `clasp connects to TLS servers, runs TLS servers and shows a TLS handshake step by step.

Every option weaker than clasp's secure defaults (TLS 1.2, ECDHE with AEAD
suites, certificate verification) must be named on the command line, and
clasp prints a warning line for each one used.

` + exitCodesHelp,
		SilenceErrors: true,
		SilenceUsage:  true,
	}
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	// pflag reports unknown or malformed flags through this hook; mark them
	// as usage errors so that they exit with exitUsage.
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &usageError{err} })
	root.AddCommand(newConnectCommand(), newServeCommand(), newDemoCommand(), newCertCommand(), newScanCommand())
	root.AddCommand(newExplainCommand(), newBenchCommand())
	return root
}

// exactArgs is cobra.ExactArgs with the error marked as a usage error.
func exactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if err := cobra.ExactArgs(n)(cmd, args); err != nil {
			return &usageError{err}
		}
		return nil
	}
}

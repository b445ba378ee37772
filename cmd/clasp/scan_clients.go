package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/clasp-tls/clasp/scan"
)

// The client simulation and Mozilla compliance sections of `clasp scan`'s
// text report, and the exit status of --profile.

// exitStatusError ends the command with its own exit status after printing
// its message, for results that are not failures to run: a server that
// fails the --profile check exits 3.
type exitStatusError struct {
	code int
	err  error
}

func (e *exitStatusError) Error() string { return e.err.Error() }
func (e *exitStatusError) Unwrap() error { return e.err }

// exitFinding is the status of a scan that ran and found the server
// failing what it was asked to pass.
const exitFinding = 3

// writeClientSimulation prints one line per simulated client: what it
// would negotiate, or why it fails.
func writeClientSimulation(w io.Writer, rep *scan.Report) {
	if len(rep.Clients) == 0 {
		return
	}
	connects := 0
	width := 0
	for _, v := range rep.Clients {
		width = max(width, len(v.Client))
		if v.Connects {
			connects++
		}
	}
	fmt.Fprintf(w, "\nClient simulation (%d of %d connect; * = hello captured from the client installed where the profile was made)\n",
		connects, len(rep.Clients))
	for _, v := range rep.Clients {
		mark := " "
		if v.Source == "captured" {
			mark = "*"
		}
		fmt.Fprintf(w, " %s%-*s  %s\n", mark, width, v.Client, verdictLine(v))
	}
}

func verdictLine(v scan.ClientVerdict) string {
	if !v.Connects {
		return "FAILS: " + v.Reason
	}
	parts := []string{v.VersionName, v.SuiteName}
	if v.GroupName != "" {
		parts = append(parts, v.GroupName)
	}
	if v.SchemeName != "" {
		parts = append(parts, v.SchemeName)
	}
	if v.HelloRetry {
		parts = append(parts, "(after a HelloRetryRequest)")
	}
	return strings.Join(parts, "  ")
}

// writeCompliance prints each Mozilla profile's verdict with its
// deviations.
func writeCompliance(w io.Writer, rep *scan.Report) {
	if len(rep.Compliance) == 0 {
		return
	}
	fmt.Fprintf(w, "\nCompliance: %s\n", rep.Compliance[0].Guidelines)
	for _, c := range rep.Compliance {
		if c.Pass {
			fmt.Fprintf(w, "  %-13s pass\n", c.Profile)
			continue
		}
		fmt.Fprintf(w, "  %-13s FAIL (%d deviations)\n", c.Profile, len(c.Deviations))
		for _, d := range c.Deviations {
			fmt.Fprintf(w, "    - %s\n", d.Text)
		}
	}
	fmt.Fprintf(w, "  not checked: %s\n", strings.Join(rep.Compliance[0].NotChecked, ", "))
}

// profileFailure returns the compliance result of profile when the
// server fails it.
func profileFailure(rep *scan.Report, profile string) *scan.ComplianceResult {
	for i, c := range rep.Compliance {
		if c.Profile == profile && !c.Pass {
			return &rep.Compliance[i]
		}
	}
	return nil
}

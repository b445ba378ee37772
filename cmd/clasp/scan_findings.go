package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clasp-tls/clasp/scan"
)

// parseFailOn reads --fail-on; "" means never. ok is refused: every scan
// would fail.
func parseFailOn(name string) (scan.Severity, error) {
	if name == "" {
		return 0, nil
	}
	s, err := scan.ParseSeverity(name)
	if err != nil || s == scan.SeverityOK {
		return 0, usageErrorf("--fail-on %q: want low, medium, high or critical", name)
	}
	return s, nil
}

// findingsAbove collects, over the targets, the findings at or above
// --fail-on; the scan then exits with exitFinding.
type findingsAbove struct {
	failOn scan.Severity
	found  []string
}

func (e *findingsAbove) add(rep *scan.Report) {
	if e.failOn == scan.SeverityOK || rep == nil {
		return
	}
	var names []string
	for _, f := range rep.Findings {
		if f.Severity >= e.failOn {
			names = append(names, fmt.Sprintf("%s (%s)", f.ID, f.Severity))
		}
	}
	if len(names) > 0 {
		e.found = append(e.found, rep.Target+": "+strings.Join(names, ", "))
	}
}

func (e *findingsAbove) Error() string {
	return fmt.Sprintf("clasp scan: findings at or above %s: %s", e.failOn, strings.Join(e.found, "; "))
}

// severityColours are the ANSI SGR colours of the severities: green, cyan,
// yellow, red, bold red.
var severityColours = map[scan.Severity]string{
	scan.SeverityOK: "32", scan.SeverityLow: "36", scan.SeverityMedium: "33", scan.SeverityHigh: "31", scan.SeverityCritical: "1;31",
}

// useColour reports whether the report on w is coloured: only on a
// terminal, and not when NO_COLOR is set to anything (no-color.org).
func useColour(w io.Writer) bool {
	return isTerminal(w) && os.Getenv("NO_COLOR") == ""
}

// paint puts text in sev's colour when colour is on.
func paint(colour bool, sev scan.Severity, text string) string {
	if !colour {
		return text
	}
	return "\033[" + severityColours[sev] + "m" + text + "\033[0m"
}

// writeFindings prints SSL 2.0, intolerance, the findings and the grade.
func writeFindings(w io.Writer, rep *scan.Report, colour bool) {
	if v2 := rep.SSLv2; v2 != nil {
		fmt.Fprintln(w, "\nSSL 2.0")
		if v2.Supported {
			var names []string
			for _, c := range v2.Ciphers {
				names = append(names, c.Name)
			}
			fmt.Fprintf(w, "  SSL 2.0  yes: %s\n", strings.Join(names, ", "))
		} else {
			fmt.Fprintf(w, "  SSL 2.0  no    (%s)\n", v2.Answer)
		}
		fmt.Fprintf(w, "  SSL 2.0-format TLS hello (RFC 5246 E.2): %s\n", passFail(v2.CompatHello, v2.CompatAnswer))
	}
	if in := rep.Intolerance; in != nil && len(in.Checks) > 0 {
		fmt.Fprintln(w, "\nTolerance of unusual hellos")
		for _, c := range in.Checks {
			fmt.Fprintf(w, "  %-62s %s\n", c.Name, passFail(c.Tolerated, c.Answer))
		}
		if fb := in.FallbackSCSV; fb.Tested {
			fmt.Fprintf(w, "  %-62s %s\n", "TLS_FALLBACK_SCSV ("+fb.Offered+")", passFail(fb.Supported, fb.Answer))
		}
	}
	if len(rep.Findings) == 0 {
		return
	}
	fmt.Fprintln(w, "\nWeaknesses")
	for _, f := range rep.Findings {
		sev := paint(colour, f.Severity, fmt.Sprintf("%-8s", f.Severity))
		fmt.Fprintf(w, "  %s %-36s %s: %s\n", sev, f.Name, strings.ReplaceAll(string(f.Status), "_", " "), f.Evidence)
	}
	if g := rep.Grade; g != nil {
		fmt.Fprintf(w, "\n%s (%s)\n", paint(colour, g.Worst, "Grade "+g.Letter), g.Reason)
	}
}

func passFail(ok bool, answer string) string {
	if ok {
		return "ok    (" + answer + ")"
	}
	return "FAILS (" + answer + ")"
}

package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp/scan"
)

type scanOptions struct {
	maxConnections int
	timeout        time.Duration
	json           bool
	serverName     string
	failOn         string
}

func newScanCommand() *cobra.Command {
	opts := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan HOST:PORT [HOST:PORT...]",
		Short: "Probe a TLS server for its protocol versions, cipher suites and their order, and groups",
		Long: `Probe each server with many hand-shaped ClientHellos, each on its own
connection and read only as far as the server's answer (its ServerHello or
alert), and report what it accepts:

  Protocol versions  SSL 3.0, TLS 1.0, 1.1, 1.2 and 1.3, each offered alone
                     and decided by the server's answer: a ServerHello for
                     another version or a protocol_version alert is a no.
  Cipher suites      per supported version, found by offering every suite of
                     the IANA registry for that version (clasp's own or not)
                     and removing the one the server picked until it refuses;
                     listed with IANA and OpenSSL names in the server's order
                     of preference, or marked as following the client's
                     order, which two extra probes tell apart. A server that
                     drops a hello with hundreds of suites is asked again
                     with shorter lists.
  Groups             TLS 1.3: each group offered alone with a real key share
                     (an empty key_share where clasp cannot build one), a
                     HelloRetryRequest for it counting as accepted; then the
                     accepted ones offered together, each with a share, to
                     find the order the server picks them in. TLS 1.2: the
                     curves of the ECDHE ServerKeyExchange, by the same
                     elimination as the suites, with their order.

At most --max-connections probes are open at once and each gets --timeout,
so a server that stalls costs one timeout, not one per probe. SNI carries
--servername, or the host of HOST:PORT when that is a name, not an address.

--json writes one JSON object per target and line:
  schema_version     1
  target, ok         the HOST:PORT scanned; false when the scan could not run
  error              why, when ok is false
  server_name        the SNI sent ("" for none)
  versions[]         {version, supported, answer}: answer is what the server
                     said to the hello offering that version alone
  cipher_suites[]    {version, order, suites[{code, iana, openssl}]}, highest
                     version first; order is server, client, single,
                     inconsistent or unknown
  groups.tls13       {version, order, groups[{code, iana, openssl}]}
  groups.ecdhe       {version, order, groups[...]}: TLS 1.2 (or the highest
                     earlier version) ECDHE curves
  notes[]            what the server did that a scan does not expect
  connections        connections opened; duration_ms: the scan's wall time
docs/scan-json.md describes each field in full.

Weaknesses, each with a probe that cannot harm the server, its evidence and
a severity (ok, low, medium, high, critical): Heartbleed, CCS injection,
ROBOT, Ticketbleed, DROWN (SSL 2.0), POODLE, FREAK, Logjam, SWEET32, RC4,
BEAST, CRIME, insecure renegotiation, missing extended master secret,
version intolerance and TLS_FALLBACK_SCSV. SSL 2.0 is probed with its own
CLIENT-HELLO, and an SSL 2.0-format TLS hello (RFC 5246 Appendix E.2) is
tried. The grade is read from the worst finding: A none, B low, C medium,
D high, F critical (docs/scan-grading.md).

--json also carries:
  sslv2              {supported, answer, ciphers[], v2_format_hello_accepted,
                     v2_format_hello_answer}
  intolerance        {checks[{name, expect, tolerated, answer}],
                     fallback_scsv{tested, supported, offered, answer}}
  findings[]         {id, name, status, severity, evidence, reference}
  grade              {grade, worst_severity, reason}

Exit status:
  0  every target was scanned (and, with --fail-on, no finding reached it)
  1  a target could not be scanned: unreachable, not TLS, or no TLS answer
     to any ClientHello (one line on stderr says which)
  2  usage error; nothing was attempted
  3  --fail-on SEVERITY: a finding at or above it (one line on stderr
     names the targets and findings)`,
		Example: `  clasp scan example.com:443
  clasp scan --servername api.internal 10.0.0.5:8443
  clasp scan --json --max-connections 4 --timeout 2s host1:443 host2:443
  clasp scan --fail-on high example.com:443`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give at least one HOST:PORT to scan")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error { return runScan(cmd, args, opts) },
	}
	flags := cmd.Flags()
	flags.IntVar(&opts.maxConnections, "max-connections", scan.DefaultMaxConnections, "most probe connections open at once, per scan")
	flags.DurationVar(&opts.timeout, "timeout", scan.DefaultTimeout, "time each probe gets, from connecting to the server's answer")
	flags.BoolVar(&opts.json, "json", false, "print one JSON object per target and line (fields above and in docs/scan-json.md)")
	flags.StringVar(&opts.serverName, "servername", "", "name to send in SNI (default: the host in HOST:PORT unless it is an IP address)")
	flags.StringVar(&opts.failOn, "fail-on", "", "exit with status 3 when a finding is at or above this severity: low, medium, high or critical (docs/scan-grading.md)")
	return cmd
}

// scanJSON is one line of --json: the Report, or why there is none.
type scanJSON struct {
	SchemaVersion int    `json:"schema_version"`
	Target        string `json:"target"`
	OK            bool   `json:"ok"`
	Error         string `json:"error,omitempty"`
	*scan.Report
}

func runScan(cmd *cobra.Command, targets []string, opts *scanOptions) error {
	if opts.maxConnections < 1 {
		return usageErrorf("--max-connections %d: want 1 or more", opts.maxConnections)
	}
	if opts.timeout <= 0 {
		return usageErrorf("--timeout %v: want a positive duration", opts.timeout)
	}
	failOn, err := parseFailOn(opts.failOn)
	if err != nil {
		return err
	}
	for _, t := range targets {
		if _, _, err := net.SplitHostPort(t); err != nil {
			return usageErrorf("%q is not HOST:PORT: %v", t, err)
		}
	}
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	var failures []error
	above := &findingsError{failOn: failOn}
	for i, target := range targets {
		host, _, _ := net.SplitHostPort(target)
		sni := opts.serverName
		if sni == "" && net.ParseIP(host) == nil {
			sni = host
		}
		rep, err := scan.Scan(cmd.Context(), target, scan.Options{
			MaxConnections: opts.maxConnections, Timeout: opts.timeout, ServerName: sni})
		switch {
		case opts.json:
			line := scanJSON{SchemaVersion: scan.SchemaVersion, Target: target, OK: err == nil, Report: rep}
			if err != nil {
				line.Error = err.Error()
			}
			if err := json.NewEncoder(stdout).Encode(line); err != nil {
				return err
			}
		case err == nil:
			if i > 0 {
				fmt.Fprintln(stdout)
			}
			writeScanReport(stdout, rep)
		}
		above.add(rep)
		if err != nil {
			failures = append(failures, err)
			if len(targets) > 1 {
				fmt.Fprintln(stderr, oneLine(err.Error()))
			}
		}
	}
	switch {
	case len(failures) == 0 && len(above.found) > 0:
		return above
	case len(failures) == 0:
		return nil
	case len(targets) == 1:
		return failures[0]
	}
	return fmt.Errorf("clasp scan: %d of %d targets could not be scanned", len(failures), len(targets))
}

// orderText says whose order a list is in.
var orderText = map[scan.Order]string{
	scan.OrderServer:       "server's order",
	scan.OrderClient:       "the server follows the client's order; listed as offered",
	scan.OrderSingle:       "",
	scan.OrderInconsistent: "order inconsistent: the server picked neither by its order nor by the client's",
	scan.OrderUnknown:      "order not determined",
}

// writeScanReport prints the human report: versions, suites per version,
// groups, notes, and what the scan cost.
func writeScanReport(w io.Writer, rep *scan.Report) {
	sni := "no SNI"
	if rep.ServerName != "" {
		sni = "SNI " + rep.ServerName
	}
	fmt.Fprintf(w, "Scan of %s (%s)\n\nProtocol versions\n", rep.Target, sni)
	for _, v := range rep.Versions {
		if v.Supported {
			fmt.Fprintf(w, "  %-8s yes\n", v.Name)
		} else {
			fmt.Fprintf(w, "  %-8s no    (%s)\n", v.Name, v.Answer)
		}
	}
	for _, vs := range rep.CipherSuites {
		fmt.Fprintf(w, "\nCipher suites, %s%s\n", vs.Name, parenthesised(orderText[vs.Order]))
		if len(vs.Suites) == 0 {
			fmt.Fprintln(w, "  none found")
		}
		width := 0
		for _, s := range vs.Suites {
			width = max(width, len(s.IANA))
		}
		for _, s := range vs.Suites {
			fmt.Fprintf(w, "  %s  %-*s  %s\n", s.Code, width, s.IANA, s.OpenSSL)
		}
	}
	fmt.Fprintln(w, "\nGroups")
	if rep.Groups.TLS13 == nil && rep.Groups.ECDHE == nil {
		fmt.Fprintln(w, "  none: no TLS 1.3 and no ECDHE suite")
	}
	if l := rep.Groups.TLS13; l != nil {
		fmt.Fprintf(w, "  %s key_share%s: %s\n", l.Name, parenthesised(orderText[l.Order]), groupNames(l.Groups))
	}
	if l := rep.Groups.ECDHE; l != nil {
		fmt.Fprintf(w, "  %s ECDHE%s: %s\n", l.Name, parenthesised(orderText[l.Order]), groupNames(l.Groups))
	}
	writeFindings(w, rep)
	if len(rep.Notes) > 0 {
		fmt.Fprintln(w, "\nNotes")
		for _, n := range rep.Notes {
			fmt.Fprintf(w, "  - %s\n", n)
		}
	}
	fmt.Fprintf(w, "\n%d connections in %.2f s\n", rep.Connections, float64(rep.DurationMS)/1000)
}

func parenthesised(s string) string {
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func groupNames(groups []scan.GroupEntry) string {
	if len(groups) == 0 {
		return "none"
	}
	var names []string
	for _, g := range groups {
		if g.OpenSSL != "" && g.OpenSSL != g.IANA {
			names = append(names, fmt.Sprintf("%s (%s)", g.IANA, g.OpenSSL))
		} else {
			names = append(names, g.IANA)
		}
	}
	return strings.Join(names, ", ")
}

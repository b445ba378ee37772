package main

import (
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp/internal/starttls"
	"github.com/clasp-tls/clasp/scan"
)

type scanOptions struct {
	maxConnections int
	timeout        time.Duration
	json           bool
	serverName     string
	noClients      bool
	profile        string
	caFile         string
	fleet          int
	failOn         string
	targetsFile    string
	htmlFile       string
	parallel       int
	delay          time.Duration
	startTLS       string
}

// scanHelp is clasp scan --help: what each check does and what the JSON
// carries.
const scanHelp = `Probe each server with many hand-shaped ClientHellos, each on its own
connection and read only as far as the server's answer (its ServerHello or
alert), and report what it accepts:

  Protocol versions  SSL 2.0 (its own CLIENT-HELLO), SSL 3.0, TLS 1.0, 1.1,
                     1.2 and 1.3, each offered alone and decided by the
                     server's answer: a ServerHello for another version or a
                     protocol_version alert is a no.
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
                     elimination as the suites, with their order. DHE: the
                     prime's size and name, and the RFC 7919 groups the
                     server negotiates when the client names them.
  Suite strength     for each accepted suite: key exchange with its group or
                     DH size, the server key, forward secrecy, AEAD, and the
                     cipher's effective bits.
  Signature schemes  TLS 1.3: offering schemes in halves until each accepted
                     one stands alone (the CertificateVerify is encrypted);
                     TLS 1.2: read from the ServerKeyExchange, removing each
                     until the server refuses. SHA-1 or PKCS#1 v1.5 in TLS
                     1.3 is a finding (RFC 8446 §4.2.3).
  Certificates       every chain, asked for once per kind of key (RSA, ECDSA,
                     Ed25519, Ed448, DSA) with and without SNI: subject,
                     SANs, issuer, validity, key, signature, order,
                     completeness, trust against the system roots or
                     --cafile, host name, OCSP stapling, must-staple, SCTs.
                     A TLS 1.3-only server's chain (with its stapled response and
                     SCTs) comes from a handshake of clasp's own client.

  Clients            each real client of the profile list (curl, browsers,
                     Java, Android, Windows, Go, Python, ...; the ones
                     installed where clasp is built are captured from the
                     real client) sends its own ClientHello: would it connect,
                     with which version, suite, group and signature, or why
                     not ("offers only these suites; the server accepts only
                     those"). --no-clients skips it.
  Compliance         Mozilla's Server Side TLS 5.7 profiles (modern,
                     intermediate, old): pass, or each deviation named (a
                     version, a suite, a group, the certificate's key type,
                     size, signature or lifespan, the DH size, the suite
                     order where the profile wants the server's).
  Resumption         full handshakes with clasp as the client (certificates
                     not verified): TLS 1.2 by session ID and by RFC 5077
                     ticket, TLS 1.3 tickets with psk_dhe_ke and with psk_ke,
                     ticket lifetime, 0-RTT (max_early_data_size, and one
                     try with two bytes of early data), ticket key names.
  Extensions         one TLS 1.2 ServerHello probe each: extended master
                     secret, encrypt-then-MAC (CBC suites), record_size_limit,
                     DEFLATE compression, heartbeat (no heartbeat is sent),
                     OCSP status_request; ALPN through full handshakes
                     offering h2 and http/1.1, then an unknown protocol.
  Renegotiation      RFC 5746 renegotiation_info; one client-initiated
                     renegotiation when the server signals RFC 5746, and
                     one from a client that does not (insecure if it works).
  Fleet (--fleet N)  N connections per resumption mechanism, each offering
                     the previous one's session: the resumption rate, the
                     distinct backends (certificate, ServerHello shape,
                     ticket key name) and how they differ, and the fixes
                     when they do not share sessions.

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
  groups.ffdhe       {version, order, groups[...]}: RFC 7919 groups the server
                     negotiates for DHE (empty: it ignores them)
  groups.dhe         {version, bits, generator, group, suite}: the DHE prime
                     when the client names no group; group is ffdhe*, an RFC
                     2409/3526/5114 group, or "other"
  cipher_suites[].suites[].strength
                     {key_exchange, authentication, group, dh_bits, dh_group,
                     server_key, forward_secrecy, aead, cipher, symmetric_bits}
  signatures.tls13, signatures.tls12
                     {version, schemes[{code, iana, openssl, key, finding}]}
  certificates       {roots, chains[]}: each chain with seen_with[],
                     certificates[] (subject, issuer, sans, validity,
                     days_left, key, signature_algorithm, sha256), trusted,
                     hostname_match, in_order, complete, missing_issuer,
                     root_sent, ocsp_stapled, must_staple, scts, problems[]
  resumption         session_id, ticket_tls12, tls13 {version, issued,
                     resumed, lifetime_s, answer}, psk_modes[], early_data,
                     ticket_keys {tickets, visible, names[], answer}
  extensions         extended_master_secret, encrypt_then_mac,
                     record_size_limit, compression, heartbeat,
                     status_request {supported, value, answer}; alpn
                     {protocols[], unknown, answer}
  renegotiation      {secure, client_initiated, insecure, ...}
  fleet              with --fleet: mechanisms[] {offered, resumed,
                     rate_percent, sequence[]}, backends[], consistent,
                     findings[] {code, text}, fixes[]
  notes[]            what the server did that a scan does not expect
  clients[]          {id, client, source, connects, version, suite, group,
                     signature_scheme, hello_retry_request, reason, answer}
  compliance[]       {profile, guidelines, pass, deviations[{kind, text}],
                     not_checked[]}
  connections        connections opened; duration_ms: the scan's wall time
docs/scan-json.md describes each field in full.

On a terminal, stderr carries a progress line (the check running, as
"check N of M", and the connections opened so far; a check's connections
are known only once it has run) and the report's severities and grade are
coloured; NO_COLOR set to anything turns the colours off. Through a pipe or
into a file there is neither.

Exit status:
  0  every target was scanned
  1  a target could not be scanned: unreachable, not TLS, or no TLS answer
     to any ClientHello (one line on stderr says which)
  2  usage error; nothing was attempted
  3  every target was scanned and one fails the --profile it was asked to
     pass (its deviations are in the report), or has a finding at or above
     --fail-on SEVERITY (one line on stderr names the targets and findings)

Weaknesses, each with a probe that cannot harm the server, its evidence and
a severity (ok, low, medium, high, critical): Heartbleed (in the clear and
after a handshake), CCS injection, ROBOT, Ticketbleed, DROWN (SSL 2.0),
POODLE, FREAK, Logjam, SWEET32, RC4, BEAST, anonymous suites, NULL
encryption, encryption under 112 bits, CRIME, insecure renegotiation,
missing extended master secret, version intolerance and TLS_FALLBACK_SCSV. SSL 2.0 is probed with its own
CLIENT-HELLO, and an SSL 2.0-format TLS hello (RFC 5246 Appendix E.2) is
tried. The grade is read from the worst finding: A none, B low, C medium,
D high, F critical (docs/scan-grading.md). --json carries them as
  sslv2              {supported, answer, ciphers[], v2_format_hello_accepted,
                     v2_format_hello_answer}
  intolerance        {checks[{name, expect, tolerated, answer}],
                     fallback_scsv{tested, supported, offered, answer}}
  findings[]         {id, name, status, severity, evidence, reference}
  grade              {grade, worst_severity, reason}`

func newScanCommand() *cobra.Command {
	opts := &scanOptions{}
	cmd := &cobra.Command{
		Use:   "scan HOST:PORT [HOST:PORT...]",
		Short: "Probe a TLS server for its protocol versions, cipher suites and their order, and groups",
		Long:  scanHelp,
		Example: `  clasp scan example.com:443
  clasp scan --servername api.internal 10.0.0.5:8443
  clasp scan --json --max-connections 4 --timeout 2s host1:443 host2:443
  clasp scan --profile intermediate example.com:443
  clasp scan --fleet 10 balancer.internal:443
  clasp scan --starttls smtp mail.example.com:25
  clasp scan --fail-on high example.com:443`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && !cmd.Flags().Changed("file") {
				return usageErrorf("give at least one HOST:PORT to scan, or -f FILE")
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
	flags.BoolVar(&opts.noClients, "no-clients", false, "skip the client simulation")
	flags.StringVar(&opts.profile, "profile", "", "exit 3 when a target fails this Mozilla profile: modern, intermediate or old")
	flags.StringVar(&opts.failOn, "fail-on", "", "exit 3 when a finding is at or above this severity: low, medium, high or critical (docs/scan-grading.md)")
	flags.StringVar(&opts.caFile, "cafile", "", "PEM file of the CA certificates to judge chains against (default: the system's roots)")
	flags.StringVarP(&opts.targetsFile, "file", "f", "", "read more targets from FILE, one HOST:PORT per line (# starts a comment; a bad line is reported and skipped)")
	flags.StringVar(&opts.htmlFile, "html", "", "also write the report as one self-contained HTML page to FILE")
	flags.IntVar(&opts.parallel, "parallel", 4, "targets scanned at once, each under --max-connections")
	flags.DurationVar(&opts.delay, "delay", 0, "least time between two connections to one target (for servers that rate-limit)")
	flags.StringVar(&opts.startTLS, "starttls", "", "upgrade each connection with the protocol's STARTTLS first: "+strings.Join(starttls.Protocols(), ", "))
	flags.IntVar(&opts.fleet, "fleet", 0, "make N connections per resumption mechanism, each resuming the previous one's session, and judge the servers behind the address (resumption rates, distinct backends)")
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
	if opts.fleet < 0 || opts.fleet == 1 {
		return usageErrorf("--fleet %d: want 2 or more connections (0: no fleet check)", opts.fleet)
	}
	if opts.timeout <= 0 {
		return usageErrorf("--timeout %v: want a positive duration", opts.timeout)
	}
	if opts.profile != "" && !slices.Contains(scan.ProfileNames, opts.profile) {
		return usageErrorf("--profile %q: want one of %s", opts.profile, strings.Join(scan.ProfileNames, ", "))
	}
	failOn, err := parseFailOn(opts.failOn)
	if err != nil {
		return err
	}
	if opts.startTLS, err = checkStartTLS(opts.startTLS); err != nil {
		return err
	}
	var clients []*scan.ClientProfile
	if !opts.noClients {
		var err error
		if clients, err = scan.ClientProfiles(); err != nil {
			return err
		}
	}
	for _, t := range targets {
		if _, _, err := net.SplitHostPort(t); err != nil {
			return usageErrorf("%q is not HOST:PORT: %v", t, err)
		}
	}
	var roots *x509.CertPool
	if opts.caFile != "" {
		var err error
		if roots, err = loadCAFile(opts.caFile); err != nil {
			return err
		}
	}
	list, err := scanTargetList(targets, opts.targetsFile)
	if err != nil {
		return err
	}
	base := scan.Options{MaxConnections: opts.maxConnections, Timeout: opts.timeout, Delay: opts.delay,
		Clients: clients, Compliance: true, Roots: roots, RootsLabel: opts.caFile, Fleet: opts.fleet, StartTLS: opts.startTLS}
	results := runScans(cmd.Context(), list, opts, base, cmd.ErrOrStderr())
	if opts.htmlFile != "" {
		if err := writeScanHTML(cmd.Context(), opts.htmlFile, list, results, opts.timeout); err != nil {
			return err
		}
	}
	return reportScans(cmd, list, results, opts, failOn)
}

// reportScans prints each target's result in the order given and turns
// them into the exit status.
func reportScans(cmd *cobra.Command, list []scanTarget, results []scanResult, opts *scanOptions, failOn scan.Severity) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	colour := useColour(stdout)
	var failures []error
	var nonCompliant []string
	above := &findingsAbove{failOn: failOn}
	for i, t := range list {
		rep, err := results[i].report, results[i].err
		switch {
		case opts.json:
			line := scanJSON{SchemaVersion: scan.SchemaVersion, Target: t.addr, OK: err == nil, Report: rep}
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
			writeScanReport(stdout, rep, colour)
			writeClientSimulation(stdout, rep)
			writeCompliance(stdout, rep)
		}
		if err == nil && opts.profile != "" && profileFailure(rep, opts.profile) != nil {
			nonCompliant = append(nonCompliant, t.addr)
		}
		above.add(rep)
		if err != nil {
			failures = append(failures, err)
			if len(list) > 1 {
				fmt.Fprintln(stderr, oneLine(err.Error()))
			}
		}
	}
	switch {
	case len(failures) == 0 && len(nonCompliant) > 0:
		return &exitStatusError{exitFinding, fmt.Errorf("clasp scan: %s fails the Mozilla %s profile", strings.Join(nonCompliant, ", "), opts.profile)}
	case len(failures) == 0 && len(above.found) > 0:
		return &exitStatusError{exitFinding, above}
	case len(failures) == 0:
		return nil
	case len(list) == 1:
		return failures[0]
	}
	return fmt.Errorf("clasp scan: %d of %d targets could not be scanned", len(failures), len(list))
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
// groups, notes, and what the scan cost; with colour, severities and the
// grade in their colours.
func writeScanReport(w io.Writer, rep *scan.Report, colour bool) {
	sni := "no SNI"
	if rep.ServerName != "" {
		sni = "SNI " + rep.ServerName
	}
	if rep.StartTLS != "" {
		sni += ", after " + strings.ToUpper(rep.StartTLS) + " STARTTLS"
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
	if l := rep.Groups.FFDHE; l != nil {
		fmt.Fprintf(w, "  %s FFDHE, RFC 7919%s: %s\n", l.Name, parenthesised(orderText[l.Order]), groupNames(l.Groups))
	}
	if dh := rep.Groups.DHE; dh != nil {
		fmt.Fprintf(w, "  %s DHE, no group named: %d-bit prime, %s\n", dh.Version, dh.Bits, dh.Group)
	}
	writeKeysAndStrength(w, rep)
	writeScanSessions(w, rep)
	writeFindings(w, rep, colour)
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

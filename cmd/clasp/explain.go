package main

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/explain"
	"github.com/clasp-tls/clasp/scan"
)

type explainOptions struct {
	lang       string
	json       bool
	probe      string
	serverName string
	caFile     string
	timeout    time.Duration
}

// probeFromMessage is --probe's value when given without one: probe the
// HOST:PORT the message names.
const probeFromMessage = "from-message"

func newExplainCommand() *cobra.Command {
	opts := &explainOptions{}
	cmd := &cobra.Command{
		Use:   `explain ["MESSAGE"]`,
		Short: "Explain another program's TLS error message: cause, how to confirm it, fix",
		Long: `Explain the TLS error messages of other programs: OpenSSL (reason texts and
error:XXXXXXXX codes of 1.0.x, 1.1.x and 3.x, which are decoded), NSS error
names and numbers, curl exit codes, GnuTLS, Java (JSSE), Go crypto/tls,
Windows Schannel codes, nginx and HAProxy log lines, Python's ssl module,
Node.js, and clasp itself.

Give the message as the argument, or paste a log on standard input: each line
that is recognised is listed with the catalogue entries it matched, and each
distinct cause is explained once: why it happens, the clasp command that
confirms it, and the fix. The first line of the output names the most
specific cause. A message that nothing matches is reported as not recognised
(exit status 1) with a hint.

--probe HOST:PORT (written before the message, or as --probe=HOST:PORT; or
--probe alone, to use the HOST:PORT the message names) confirms the cause
against the live server: a clasp connect with its diagnosis, and for
negotiation causes a clasp scan of the versions and suites the server
accepts. Without --probe nothing touches the network.

--json prints one JSON object: ok, lines[] (line, text, entries[], openssl_codes[],
cause), unrecognised_lines, causes[] (id, level, title, why, confirm, fix,
lines), primary_cause, target, hint, and probe when asked for.

Exit status:
  0  at least one message was recognised (whatever --probe found)
  1  nothing was recognised
  2  usage error (unknown flag or language, no message); nothing was attempted`,
		Example: `  clasp explain "error:0A000410:SSL routines::sslv3 alert handshake failure"
  clasp explain 1408F10B
  clasp explain --lang ru "curl: (60) SSL certificate problem: unable to get local issuer certificate"
  journalctl -u nginx | clasp explain
  clasp explain --probe "curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to example.com:443"
  clasp explain --probe example.com:443 --json "PKIX path building failed"`,
		RunE: func(cmd *cobra.Command, args []string) error { return runExplain(cmd, args, opts) },
	}
	flags := cmd.Flags()
	flags.StringVar(&opts.lang, "lang", "en", "language of the explanation: en, ru, zh or vi")
	flags.BoolVar(&opts.json, "json", false, "print the explanation as one JSON object")
	flags.StringVar(&opts.probe, "probe", "", "confirm the cause against HOST:PORT (alone: the HOST:PORT the message names) with clasp connect and clasp scan")
	flags.Lookup("probe").NoOptDefVal = probeFromMessage
	flags.StringVar(&opts.serverName, "servername", "", "with --probe: name to send in SNI and verify (default: the host)")
	flags.StringVar(&opts.caFile, "cafile", "", "with --probe: PEM file of CA certificates to trust instead of the system roots")
	flags.DurationVar(&opts.timeout, "timeout", 10*time.Second, "with --probe: time allowed for each connection")
	return cmd
}

func runExplain(cmd *cobra.Command, args []string, opts *explainOptions) error {
	cat, err := explain.Load()
	if err != nil {
		return err
	}
	if !slices.Contains(cat.Languages(), opts.lang) {
		return usageErrorf("--lang %q: have %s", opts.lang, strings.Join(cat.Languages(), ", "))
	}
	// pflag cannot give an optional flag value after a space, so
	// "--probe HOST:PORT MESSAGE" arrives as --probe alone and HOST:PORT as
	// the first argument; take it back.
	if opts.probe == probeFromMessage && len(args) > 0 && isHostPort(args[0]) {
		opts.probe, args = args[0], args[1:]
	}
	text, err := explainInput(cmd, args)
	if err != nil {
		return err
	}
	target := ""
	if opts.probe != "" && opts.probe != probeFromMessage {
		if _, _, err := net.SplitHostPort(opts.probe); err != nil {
			return usageErrorf("--probe %q is not HOST:PORT: %v", opts.probe, err)
		}
		target = opts.probe
	}
	r := cat.Explain(text, opts.lang, target)
	var probe *probeReport
	if opts.probe != "" && r.Recognised() {
		if target == "" {
			target = r.Target
		}
		if target == "" {
			return usageErrorf("--probe: the message names no HOST:PORT; give --probe HOST:PORT")
		}
		probe = runProbe(cmd.Context(), cat, target, r.Primary, opts)
	}
	out := cmd.OutOrStdout()
	if opts.json {
		if err := writeExplainJSON(out, r, probe); err != nil {
			return err
		}
	} else {
		cat.WriteText(out, r, opts.lang)
		if probe != nil {
			probe.writeText(out)
		}
	}
	if !r.Recognised() {
		return errors.New("clasp explain: no message recognised")
	}
	return nil
}

// isHostPort reports whether s is one HOST:PORT word with a numeric port.
func isHostPort(s string) bool {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" || strings.ContainsAny(s, " \t") {
		return false
	}
	_, err = strconv.ParseUint(port, 10, 16)
	return err == nil
}

// explainInput is the message from the arguments, or else the log piped in.
func explainInput(cmd *cobra.Command, args []string) (string, error) {
	if len(args) > 0 {
		return strings.Join(args, " "), nil
	}
	in := cmd.InOrStdin()
	if f, ok := in.(*os.File); ok && !stdinIsPiped(f) {
		return "", usageErrorf("give a MESSAGE, or pipe a log into clasp explain")
	}
	data, err := io.ReadAll(io.LimitReader(in, maxExplainInput))
	if err != nil {
		return "", fmt.Errorf("reading standard input: %w", err)
	}
	if strings.TrimSpace(string(data)) == "" {
		return "", usageErrorf("standard input is empty: give a MESSAGE, or pipe a log into clasp explain")
	}
	return string(data), nil
}

// maxExplainInput bounds the log read from standard input.
const maxExplainInput = 16 << 20

func writeExplainJSON(w io.Writer, r *explain.Report, probe *probeReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		OK bool `json:"ok"`
		*explain.Report
		Probe *probeReport `json:"probe,omitempty"`
	}{OK: r.Recognised(), Report: r, Probe: probe})
}

// probeReport is what --probe found: the diagnosis of one clasp connect,
// whether it confirms the explained cause, and for negotiation causes the
// versions a scan found.
type probeReport struct {
	Target string `json:"target"`
	Cause  string `json:"cause"`
	// Connected is true when the handshake succeeded: the failure does not
	// happen from here.
	Connected bool `json:"connected"`
	// Diagnosis is connect's diagnosis of the failed handshake.
	Diagnosis *diagnose.Diagnosis `json:"diagnosis,omitempty"`
	Error     string              `json:"error,omitempty"`
	// Confirmed says the diagnosis is one the explained cause predicts.
	Confirmed bool `json:"confirmed"`
	// Versions are the protocol versions the scan found the server to
	// speak (when the cause is about negotiation).
	Versions  []string `json:"versions,omitempty"`
	ScanError string   `json:"scan_error,omitempty"`

	text []string
}

func (p *probeReport) writeText(w io.Writer) {
	fmt.Fprintln(w)
	for _, line := range p.text {
		fmt.Fprintln(w, line)
	}
}

// runProbe confirms cause against target with the same parts clasp connect
// and clasp scan use: a clasp handshake whose failure goes through
// diagnose, and the scan engine for what the server accepts.
func runProbe(ctx context.Context, cat *explain.Catalogue, target, cause string, opts *explainOptions) *probeReport {
	if ctx == nil {
		ctx = context.Background()
	}
	p := &probeReport{Target: target, Cause: cause}
	host, _, _ := net.SplitHostPort(target)
	sni := opts.serverName
	if sni == "" {
		sni = host
	}
	cfg := &clasp.Config{ServerName: sni}
	if err := loadProbeRoots(cfg, opts.caFile); err != nil {
		p.Error = err.Error()
		p.text = append(p.text, err.Error())
		return p
	}
	rec := diagnose.NewRecorder()
	cfg.Tracer = rec
	conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: opts.timeout}, "tcp", target, cfg)
	switch {
	case err == nil:
		conn.Close()
		p.Connected = true
		p.text = append(p.text, cat.Text(opts.lang, "ui.probe_ok", "target", target))
	default:
		p.Error = oneLine(err.Error())
		p.Diagnosis = diagnose.ExplainIn(opts.lang, err, rec, "client", time.Now(), cfg)
		// A refused ClientHello gets the probes clasp connect runs, so that
		// the cause confirmed is the one connect would name.
		refusalOpts := &connectOptions{timeout: opts.timeout}
		refusalOpts.lang = opts.lang
		explainRefusal(p.Diagnosis, err, rec, target, cfg, refusalOpts)
		summary := p.Error
		if p.Diagnosis != nil {
			summary = p.Diagnosis.Summary
			p.Confirmed = slices.Contains(cat.Causes[cause].Diagnose, string(p.Diagnosis.Cause))
		}
		// A generic cause predicts no particular diagnosis: the connection's
		// failure is reported as it is, neither confirming nor contradicting.
		key := "ui.probe_other"
		switch {
		case p.Confirmed:
			key = "ui.probe_confirmed"
		case len(cat.Causes[cause].Diagnose) == 0:
			key = "ui.probe_failed"
		}
		p.text = append(p.text, cat.Text(opts.lang, key, "target", target, "summary", summary))
	}
	if cat.Causes[cause].Scan {
		p.scanVersions(ctx, cat, target, host, opts)
	}
	return p
}

// scanVersions runs the scan engine's version check (the first part of
// clasp scan) and notes the versions the server speaks.
func (p *probeReport) scanVersions(ctx context.Context, cat *explain.Catalogue, target, host string, opts *explainOptions) {
	sni := opts.serverName
	if sni == "" && net.ParseIP(host) == nil {
		sni = host
	}
	ctx, cancel := context.WithTimeout(ctx, 6*opts.timeout)
	defer cancel()
	rep, err := scan.Scan(ctx, target, scan.Options{Timeout: opts.timeout, ServerName: sni})
	if err != nil {
		p.ScanError = oneLine(err.Error())
		p.text = append(p.text, cat.Text(opts.lang, "ui.probe_scan_failed", "target", target, "error", p.ScanError))
		return
	}
	for _, v := range rep.Versions {
		if v.Supported {
			p.Versions = append(p.Versions, v.Name)
		}
	}
	list := strings.Join(p.Versions, ", ")
	for _, vs := range rep.CipherSuites {
		var names []string
		for _, s := range vs.Suites {
			names = append(names, s.IANA)
		}
		list += fmt.Sprintf("; %s: %s", vs.Name, strings.Join(names, ", "))
	}
	p.text = append(p.text, cat.Text(opts.lang, "ui.probe_scan", "target", target, "versions", list))
}

func loadProbeRoots(cfg *clasp.Config, caFile string) error {
	if caFile == "" {
		return nil
	}
	pemData, err := os.ReadFile(caFile)
	if err != nil {
		return usageErrorf("--cafile: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pemData) {
		return usageErrorf("--cafile %s: no PEM certificate in the file", caFile)
	}
	cfg.RootCAs = pool
	return nil
}

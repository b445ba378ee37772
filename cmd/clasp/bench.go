package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/loadgen"
)

type benchOptions struct {
	// connect holds the flags bench shares with clasp connect (versions,
	// suites, groups, trust, client certificate), parsed by its
	// clientConfig.
	connect     connectOptions
	connections int
	duration    time.Duration
	attempts    int
	resume      string
	bytes       int
	httpGet     string
	json        bool
}

// benchHelp is `clasp bench --help`, with the JSON fields.
const benchHelp = `Load a TLS server with handshakes, like "openssl s_time", and report the
rate, the latency percentiles, the errors by cause and this client's own CPU
per handshake.

--connections C clients run at once, each making one connection after
another, for --duration D or until -n N connections have been tried in all.
Each connection is: TCP connect, the handshake, the application data if
asked (--bytes N: N bytes written and the echo read back, as "clasp serve"
echoes; --http-get PATH: one HTTP/1.1 GET and the response read to its end,
as "clasp serve --mode http", "openssl s_server -www" or any web server
answers), then close_notify and a read until the server closes, so that the
server has finished with a connection before the next one starts.

--resume measures resumed handshakes: id (TLS 1.2 session ID; no tickets
offered), ticket (TLS 1.2 RFC 5077 ticket) or psk (a TLS 1.3 ticket as a
pre-shared key). Each client first makes one full handshake, outside the
measurement, to obtain a session; each connection then offers the session
the previous one left. Every completed connection is checked: resumed by
the mechanism asked for, resumed by another (a session ID when a ticket was
asked for), or not resumed at all (a full handshake); the last two are
counted, never passed off as resumptions. id and ticket limit the offer to
TLS 1.2 and psk to TLS 1.3 unless a version flag says otherwise.

The negotiation flags are those of clasp connect. The certificate is
verified against the system roots or --cafile; --insecure skips the chain
check (the signature of the handshake is always checked).

Output: the target, what was negotiated (and how often), attempts =
handshakes + errors, handshakes/s (completed connections per second of wall
time), latency p50/p90/p99/max (from the start of the TCP connect to the
end of the handshake), this process's CPU (user + system, getrusage) per
handshake, the resumption counts, and the errors by cause ("connect:
refused", "handshake: alert protocol_version", "handshake: verification:
unknown authority", "data: timeout", ...), each with one example. A progress
line is written to stderr once a second when stderr is a terminal.

--json writes one object instead:
  target, connections, resume ("none", "id", "ticket", "psk"), bytes,
  http_get      the run's settings
  duration_s    wall time of the measured phase, seconds
  attempts, handshakes, errors   attempts = handshakes + errors
  handshakes_per_second
  latency_ms    {p50, p90, p99, max, mean}, milliseconds
  client_cpu_us_per_handshake, client_cpu_s   absent where getrusage is not
  negotiated    [{"connection": "TLS 1.3 TLS_AES_128_GCM_SHA256 X25519", "count": N}]
  resumption    with --resume: {asked, resumed, resumed_otherwise, not_resumed,
                priming, priming_errors: [causes]}
  causes        [{"cause", "count", "example"}], most frequent first
  bytes_read    application data read in all
docs/bench-json.md describes the same fields.

Exit status 1 when any connection failed, any resumption did not resume
as asked, or nothing completed.

To saturate a server, give clasp bench CPU of its own (taskset): per TLS 1.3
ECDSA handshake the client spends about as much CPU as a Go server does
(verifying the handshake signature costs more than making it), so with
cheap handshakes it needs at least as many cores as the server.
bench/server-compare.sh in the source tree loads clasp serve, crypto/tls,
OpenSSL and nginx this way.

` + exitCodesHelp

func newBenchCommand() *cobra.Command {
	opts := &benchOptions{}
	cmd := &cobra.Command{
		Use:   "bench HOST:PORT",
		Short: "Load a TLS server with handshakes and report the rate, latencies and errors",
		Long:  benchHelp,
		Example: `  clasp bench --insecure 127.0.0.1:8443                       # 8 clients, 10 seconds, full handshakes
  clasp bench --insecure --connections 32 --duration 30s 127.0.0.1:8443
  clasp bench --cafile ca.pem -n 10000 --tls1.2 --ciphers ECDHE-RSA-AES128-GCM-SHA256 --groups x25519 server:443
  clasp bench --insecure --resume psk 127.0.0.1:8443          # TLS 1.3 resumption, each one checked
  clasp bench --insecure --resume id --json 127.0.0.1:8443    # TLS 1.2 session IDs
  clasp bench --insecure --bytes 4096 127.0.0.1:8443          # 4 KiB echoed per connection
  clasp bench --insecure --http-get / example.com:443`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runBench(cmd, args[0], opts) },
	}
	flags := cmd.Flags()
	c := &opts.connect
	c.registerNegotiation(flags, true)
	c.registerVersionShorthands(flags)
	flags.StringVar(&c.serverName, "servername", "", "name to send in SNI and verify in the certificate (default: the host in HOST:PORT)")
	flags.StringVar(&c.caFile, "cafile", "", "PEM file of CA certificates to trust instead of the system roots")
	flags.BoolVar(&c.insecure, "insecure", false, "do not verify the server's certificate chain (testing only)")
	flags.StringVar(&c.certFile, "cert", "", "PEM client certificate chain, sent when the server asks for one")
	flags.StringVar(&c.keyFile, "key", "", "PEM private key of --cert")
	flags.DurationVar(&c.timeout, "timeout", 10*time.Second, "time allowed for each connection, from the TCP connect to the server's close")
	flags.IntVarP(&opts.connections, "connections", "c", 8, "clients running at once")
	flags.DurationVarP(&opts.duration, "duration", "d", 10*time.Second, "how long to run (no connection starts after it)")
	flags.IntVarP(&opts.attempts, "number", "n", 0, "try exactly N connections instead of running for --duration")
	flags.StringVar(&opts.resume, "resume", "", "resume sessions: id, ticket (TLS 1.2) or psk (TLS 1.3); default full handshakes")
	flags.IntVar(&opts.bytes, "bytes", 0, "application data per connection: write N bytes and read the echo")
	flags.StringVar(&opts.httpGet, "http-get", "", "per connection, GET this path over HTTP/1.1 and read the response")
	flags.BoolVar(&opts.json, "json", false, "print the result as one JSON object")
	c.renegotiation = "never"
	return cmd
}

// parseResumption reads --resume.
func parseResumption(s string) (loadgen.Resumption, error) {
	for _, r := range []loadgen.Resumption{loadgen.ResumeSessionID, loadgen.ResumeTicket, loadgen.ResumePSK} {
		if s == r.String() {
			return r, nil
		}
	}
	if s == "" || s == "none" {
		return loadgen.ResumeNone, nil
	}
	return 0, usageErrorf("--resume %q: want id, ticket or psk", s)
}

// rateOptions checks the flags and builds the run.
func (o *benchOptions) rateOptions(cmd *cobra.Command, addr string) (loadgen.RateOptions, []string, error) {
	ro := loadgen.RateOptions{Addr: addr, Connections: o.connections, Duration: o.duration, Attempts: o.attempts,
		Bytes: o.bytes, HTTPGet: o.httpGet, Timeout: o.connect.timeout}
	switch {
	case o.connections < 1:
		return ro, nil, usageErrorf("--connections %d: want 1 or more", o.connections)
	case o.attempts < 0:
		return ro, nil, usageErrorf("-n %d: want 1 or more", o.attempts)
	case o.attempts > 0 && cmd.Flags().Changed("duration"):
		return ro, nil, usageErrorf("-n and --duration exclude each other: give a number of connections or a time")
	case o.duration <= 0:
		return ro, nil, usageErrorf("--duration %s: want a positive duration", o.duration)
	case o.bytes < 0:
		return ro, nil, usageErrorf("--bytes %d: want 0 or more", o.bytes)
	case o.bytes > 0 && o.httpGet != "":
		return ro, nil, usageErrorf("--bytes (an echo) and --http-get (a request) exclude each other")
	case o.httpGet != "" && !strings.HasPrefix(o.httpGet, "/"):
		return ro, nil, usageErrorf("--http-get %q: want a path starting with /", o.httpGet)
	case o.connect.timeout <= 0:
		return ro, nil, usageErrorf("--timeout %s: want a positive duration", o.connect.timeout)
	}
	var err error
	if ro.Resume, err = parseResumption(o.resume); err != nil {
		return ro, nil, err
	}
	cfg, _, warnings, err := o.connect.clientConfig(addr)
	if err != nil {
		return ro, nil, err
	}
	if err := pinResumptionVersion(cfg, ro.Resume); err != nil {
		return ro, nil, err
	}
	ro.Config = cfg
	return ro, warnings, nil
}

// pinResumptionVersion keeps the versions to those the mechanism exists
// in: session IDs and RFC 5077 tickets are TLS 1.2's, PSKs TLS 1.3's.
func pinResumptionVersion(cfg *clasp.Config, r loadgen.Resumption) error {
	switch r {
	case loadgen.ResumeSessionID, loadgen.ResumeTicket:
		if cfg.MinVersion == clasp.VersionTLS13 {
			return usageErrorf("--resume %s resumes TLS 1.2 sessions, and TLS 1.3 was asked for (TLS 1.3 resumes with --resume psk)", r)
		}
		if cfg.MaxVersion == 0 {
			cfg.MaxVersion = clasp.VersionTLS12
		}
	case loadgen.ResumePSK:
		if cfg.MaxVersion != 0 && cfg.MaxVersion < clasp.VersionTLS13 {
			return usageErrorf("--resume psk resumes TLS 1.3 sessions, and --max-version %s rules TLS 1.3 out", clasp.VersionName(cfg.MaxVersion))
		}
		if cfg.MinVersion == 0 {
			cfg.MinVersion = clasp.VersionTLS13
		}
	}
	return nil
}

func runBench(cmd *cobra.Command, addr string, opts *benchOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	ro, warnings, err := opts.rateOptions(cmd, addr)
	if err != nil {
		return err
	}
	printWarnings(stderr, warnings)
	if err := loadgen.RaiseOpenFileLimit(uint64(opts.connections) + 256); err != nil {
		return err
	}
	if isTerminal(stderr) {
		ro.Progress = func(p loadgen.Progress) {
			fmt.Fprintf(stderr, "\r%6.1fs  %d handshakes  %.0f/s  %d errors ", p.Elapsed.Seconds(), p.Handshakes,
				float64(p.Handshakes)/p.Elapsed.Seconds(), p.Errors)
		}
	}
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	res, err := loadgen.Rate(ctx, ro)
	if err != nil {
		return err
	}
	if ro.Progress != nil {
		fmt.Fprint(stderr, "\r\033[K")
	}
	rep := newBenchReport(addr, opts, ro.Resume, res)
	if opts.json {
		enc := json.NewEncoder(stdout)
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		rep.writeText(stdout)
	}
	return rep.failure()
}

// isTerminal reports whether w is a terminal, where a progress line that
// rewrites itself is welcome.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// failure is the run's verdict for the exit status.
func (r *benchReport) failure() error {
	var problems []string
	if r.Errors > 0 {
		problems = append(problems, fmt.Sprintf("%d of %d connections failed", r.Errors, r.Attempts))
	}
	if r.Resumption != nil && r.Resumption.Resumed < r.Handshakes {
		problems = append(problems, fmt.Sprintf("%d of %d connections did not resume by %s",
			r.Handshakes-r.Resumption.Resumed, r.Handshakes, r.Resume))
	}
	if r.Handshakes == 0 && len(problems) == 0 {
		problems = append(problems, "no connection completed")
	}
	if len(problems) == 0 {
		return nil
	}
	return errors.New("clasp bench: " + strings.Join(problems, "; "))
}

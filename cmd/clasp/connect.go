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
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/trace"
)

type connectOptions struct {
	tlsOptions
	traceOptions
	serverName string
	caFile     string
	insecure   bool
	certFile   string
	keyFile    string
	json       bool
	timeout    time.Duration
	reconnect  int
	ticketWait time.Duration
}

func newConnectCommand() *cobra.Command {
	opts := &connectOptions{}
	cmd := &cobra.Command{
		Use:   "connect HOST:PORT",
		Short: "Handshake with a TLS server and report what was negotiated",
		Long: `Connect to a TLS server, run the handshake and print what was negotiated:
protocol, cipher suite, key exchange group, signature scheme, the server's
certificate, how it was verified, ALPN, extended master secret, secure
renegotiation, and a "warning:" line for everything weaker than clasp's
defaults.

If standard input is not a terminal (a pipe or a file), its contents are sent
to the server after the handshake and the server's answer is written to
standard output; the summary then goes to standard error so that standard
output carries only the server's data. At the end of the input clasp sends
close_notify and keeps reading until the server closes.

--reconnect N tests session resumption: after the first connection clasp
reconnects N times with the session it left in a client session cache and
says for each whether it resumed, and how ("TLS 1.3 ticket (PSK)"). A TLS 1.3
server sends its ticket after the handshake, and some send it only with
their first write (clasp serve does when it asks for a client certificate):
with nothing piped in, clasp waits up to --ticket-wait for the ticket,
reading and discarding what the server sends; against such an echo server,
pipe something in so that the server writes.

The certificate is verified against the system roots, or against --cafile.
A failed handshake prints one line on stderr that names the step and, when
the two sides had nothing in common, what each side offered.

` + exitCodesHelp,
		Example: `  clasp connect example.com:443
  clasp connect --cafile ca.pem --servername api.internal 10.0.0.5:8443
  clasp connect --ciphers ECDHE-RSA-AES128-GCM-SHA256 --groups P-256 example.com:443
  printf 'GET / HTTP/1.0\r\nHost: example.com\r\n\r\n' | clasp connect --alpn http/1.1 example.com:443
  clasp connect --json example.com:443 | jq .cipher_suite
  clasp connect --trace=story --lang=ru example.com:443
  clasp connect --trace=diagram --diagram-out handshake.svg example.com:443
  SSLKEYLOGFILE=keys.log clasp connect example.com:443
  clasp connect --reconnect 2 example.com:443
  echo hi | clasp connect --reconnect 1 --trace=story localhost:8443`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runConnect(cmd, args[0], opts) },
	}
	flags := cmd.Flags()
	opts.registerNegotiation(flags, true)
	opts.registerVersionShorthands(flags)
	flags.StringVar(&opts.serverName, "servername", "", "name to send in SNI and verify in the certificate (default: the host in HOST:PORT)")
	flags.StringVar(&opts.caFile, "cafile", "", "PEM file of CA certificates to trust instead of the system roots")
	flags.BoolVar(&opts.insecure, "insecure", false, "do not verify the server's certificate (testing only: open to interception)")
	flags.StringVar(&opts.certFile, "cert", "", "PEM client certificate chain, sent when the server asks for one")
	flags.StringVar(&opts.keyFile, "key", "", "PEM private key of --cert")
	flags.BoolVar(&opts.json, "json", false, "print the summary as one JSON object")
	flags.DurationVar(&opts.timeout, "timeout", 30*time.Second, "time allowed for connecting and the handshake")
	flags.IntVar(&opts.reconnect, "reconnect", 0, "reconnect N times after the first connection with its cached session and report whether each resumed")
	flags.DurationVar(&opts.ticketWait, "ticket-wait", 3*time.Second, "with --reconnect, how long to wait after each handshake for the server's session ticket")
	opts.registerTracing(flags, "")
	return cmd
}

// clientConfig builds the client Config from the flags and says how the
// server's certificate will be checked.
func (o *connectOptions) clientConfig(addr string) (cfg *clasp.Config, verification string, warnings []string, err error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, "", nil, usageErrorf("%q is not HOST:PORT: %v", addr, err)
	}
	cfg = &clasp.Config{ServerName: o.serverName}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if warnings, err = o.apply(cfg); err != nil {
		return nil, "", nil, err
	}
	verification = "verified against system roots"
	switch {
	case o.insecure && o.caFile != "":
		return nil, "", nil, usageErrorf("--insecure and --cafile exclude each other")
	case o.insecure:
		cfg.InsecureSkipVerify = true
		verification = "NOT verified (--insecure)"
		warnings = append(warnings, "--insecure: the server's certificate is not verified; anyone in the path can impersonate it")
	case o.caFile != "":
		pemData, err := os.ReadFile(o.caFile)
		if err != nil {
			return nil, "", nil, usageErrorf("--cafile: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pemData) {
			return nil, "", nil, usageErrorf("--cafile %s: no PEM certificate in the file", o.caFile)
		}
		cfg.RootCAs = pool
		verification = "verified against --cafile " + o.caFile
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, "", nil, usageErrorf("--cert and --key go together")
	}
	if o.certFile != "" {
		cert, err := clasp.LoadX509KeyPair(o.certFile, o.keyFile)
		if err != nil {
			return nil, "", nil, usageErrorf("--cert/--key: %v", err)
		}
		cfg.Certificates = []clasp.Certificate{cert}
	}
	return cfg, verification, warnings, nil
}

func runConnect(cmd *cobra.Command, addr string, opts *connectOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := opts.check(); err != nil {
		return err
	}
	if opts.reconnect < 0 {
		return usageErrorf("--reconnect %d: want 0 or more", opts.reconnect)
	}
	cfg, verification, warnings, err := opts.clientConfig(addr)
	if err != nil {
		return err
	}
	var cache *watchedSessionCache
	if opts.reconnect > 0 {
		cache = newWatchedSessionCache()
		cfg.ClientSessionCache = cache
	}
	printWarnings(stderr, warnings)
	keyLog, err := opts.openKeyLog(stderr)
	if err != nil {
		return err
	}
	defer keyLog.Close()
	keyLog.apply(cfg)

	// With data piped in, standard output carries only the server's answer;
	// the trace and the summary go to standard error.
	piped := stdinIsPiped(cmd.InOrStdin())
	summaryOut := stdout
	if piped {
		summaryOut = stderr
	}
	obs, err := opts.observe(summaryOut, opts.diagramOut)
	if err != nil {
		return err
	}
	obs.recorder = diagnose.NewRecorder()
	cfg.Tracer = trace.Tee(obs.tracer, obs.recorder)

	// The dialer's timeout covers the TCP connection and the handshake.
	conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: opts.timeout}, "tcp", addr, cfg)
	if finishErr := obs.finish(); err == nil && finishErr != nil {
		err = finishErr
	}
	if err != nil {
		d := diagnose.ExplainWithConfig(err, obs.recorder, "client", time.Now(), cfg)
		if opts.json {
			if jerr := writeFailureJSON(summaryOut, err, d); jerr != nil {
				return jerr
			}
		}
		return &diagnosedError{err: explainTimeout(err, opts.timeout), diagnosis: d}
	}
	defer conn.Close()

	summary := summarize(conn.ConnectionState(), verification, !cfg.InsecureSkipVerify)
	if opts.json {
		if err := summary.writeJSON(summaryOut); err != nil {
			return err
		}
	} else {
		summary.writeText(summaryOut)
	}
	if piped {
		if err := relay(conn, cmd.InOrStdin(), stdout); err != nil {
			return err
		}
	}
	if opts.reconnect == 0 {
		return nil
	}
	return reconnect(conn, cfg, addr, opts, cache, summaryOut)
}

// reconnect runs --reconnect: it makes sure the first connection's ticket
// has arrived, then connects opts.reconnect more times with the same Config
// (and so the same session cache), reporting for each whether the session
// was resumed and by which mechanism.
func reconnect(first *clasp.Conn, cfg *clasp.Config, addr string, opts *connectOptions,
	cache *watchedSessionCache, out io.Writer) error {
	ticket := cache.awaitTicket(first, opts.ticketWait)
	first.Close()
	reportTicket(out, "first connection", ticket, opts.ticketWait, opts.json)
	var failed error
	for i := 1; i <= opts.reconnect; i++ {
		obs, err := opts.observe(out, "")
		if err != nil {
			return err
		}
		cfg.Tracer = obs.tracer
		conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: opts.timeout}, "tcp", addr, cfg)
		if finishErr := obs.finish(); err == nil && finishErr != nil {
			err = finishErr
		}
		if err != nil {
			err = explainTimeout(err, opts.timeout)
			fmt.Fprintf(out, "reconnect %d: failed: %v\n", i, err)
			failed = errors.Join(failed, err)
			continue
		}
		st := conn.ConnectionState()
		r := reconnectSummary{Reconnect: i, Resumed: st.DidResume, Resumption: resumptionMechanism(st),
			Protocol: clasp.VersionName(st.Version), CipherSuite: st.CipherSuiteName,
			HelloRetryRequest: st.DidHelloRetryRequest}
		if st.CurveID != 0 {
			r.Group = st.CurveID.String()
		}
		if opts.json {
			json.NewEncoder(out).Encode(r)
		} else {
			r.writeText(out)
		}
		// A resumed session gets a fresh ticket too, for the next round.
		if i < opts.reconnect {
			reportTicket(out, fmt.Sprintf("reconnect %d", i), cache.awaitTicket(conn, opts.ticketWait), opts.ticketWait, opts.json)
		}
		conn.Close()
	}
	return failed
}

// reconnectSummary is one --reconnect line; its JSON names follow the
// connection summary's.
type reconnectSummary struct {
	Reconnect         int    `json:"reconnect"`
	Resumed           bool   `json:"resumed"`
	Resumption        string `json:"resumption"`
	Protocol          string `json:"protocol"`
	CipherSuite       string `json:"cipher_suite"`
	Group             string `json:"group"`
	HelloRetryRequest bool   `json:"hello_retry_request"`
}

func (r reconnectSummary) writeText(w io.Writer) {
	how := "full handshake, not resumed"
	if r.Resumed {
		how = "resumed by " + r.Resumption
	}
	fmt.Fprintf(w, "reconnect %d: %s (%s, %s, group %s", r.Reconnect, how, r.Protocol, r.CipherSuite, orNone(r.Group, "none"))
	if r.HelloRetryRequest {
		fmt.Fprint(w, ", after HelloRetryRequest")
	}
	fmt.Fprintln(w, ")")
}

// reportTicket says whether a connection left a session to resume. In
// JSON mode only a missing ticket is worth a line, on the same stream.
func reportTicket(w io.Writer, which string, ok bool, wait time.Duration, asJSON bool) {
	switch {
	case ok && !asJSON:
		fmt.Fprintf(w, "%s: session ticket received and cached\n", which)
	case !ok && asJSON:
		json.NewEncoder(w).Encode(map[string]any{"ticket": false, "after": which})
	case !ok:
		fmt.Fprintf(w, "%s: no session ticket within --ticket-wait %s (a TLS 1.3 server sends it after the handshake, some only with their first write: pipe data in for an echo server)\n", which, wait)
	}
}

// watchedSessionCache is the client session cache --reconnect uses: an LRU
// cache that also says when a ticket has been stored.
type watchedSessionCache struct {
	clasp.ClientSessionCache
	stored chan struct{}
}

func newWatchedSessionCache() *watchedSessionCache {
	return &watchedSessionCache{ClientSessionCache: clasp.NewLRUClientSessionCache(8), stored: make(chan struct{}, 1)}
}

// Put stores the session and signals that a ticket arrived.
func (c *watchedSessionCache) Put(key string, cs *clasp.ClientSessionState) {
	c.ClientSessionCache.Put(key, cs)
	if cs == nil {
		return
	}
	select {
	case c.stored <- struct{}{}:
	default:
	}
}

// awaitTicket reads (and discards) what the server sends on conn until a
// ticket has been stored, the server closes, or wait has passed. The ticket
// is processed inside Read, which is why it must be called at all.
func (c *watchedSessionCache) awaitTicket(conn *clasp.Conn, wait time.Duration) bool {
	select {
	case <-c.stored:
		return true // it came with data read earlier
	default:
	}
	conn.SetReadDeadline(time.Now().Add(wait))
	done := make(chan struct{})
	go func() {
		io.Copy(io.Discard, conn)
		close(done)
	}()
	select {
	case <-c.stored:
		conn.SetReadDeadline(time.Now()) // stop the reader
		<-done
		return true
	case <-done:
		select {
		case <-c.stored:
			return true
		default:
			return false
		}
	}
}

// stdinIsPiped reports whether standard input is a pipe or a file rather
// than a terminal: only then is there data to send without asking.
func stdinIsPiped(stdin io.Reader) bool {
	f, ok := stdin.(*os.File)
	if !ok {
		return stdin != nil
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice == 0
}

// relay sends in to the server and the server's data to out. The end of in
// becomes close_notify; relay returns when the server has closed its side,
// which is how a request/response peer says it is done.
func relay(conn *clasp.Conn, in io.Reader, out io.Writer) error {
	received := make(chan error, 1)
	go func() {
		_, err := io.Copy(out, conn)
		received <- err
	}()
	sent := make(chan error, 1)
	go func() {
		_, err := io.Copy(conn, in)
		if err == nil {
			err = conn.CloseWrite()
		}
		sent <- err
	}()
	for {
		select {
		case err := <-received:
			// The server has finished; whatever input is left has no one to
			// read it.
			if err != nil {
				return fmt.Errorf("reading from the server: %w", err)
			}
			return nil
		case err := <-sent:
			if err != nil && !errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("sending to the server: %w", err)
			}
			sent = nil // keep reading until the server closes
		}
	}
}

// diagnosedError is a failed handshake with its diagnosis: the one-line
// reason first, then the why and the what-to-change (see run).
type diagnosedError struct {
	err       error
	diagnosis *diagnose.Diagnosis
}

func (e *diagnosedError) Error() string { return e.err.Error() }
func (e *diagnosedError) Unwrap() error { return e.err }

// writeFailureJSON writes the --json summary of a failed connection: the
// error and the same diagnosis the text output explains.
func writeFailureJSON(w io.Writer, err error, d *diagnose.Diagnosis) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		OK        bool                `json:"ok"`
		Error     string              `json:"error"`
		Diagnosis *diagnose.Diagnosis `json:"diagnosis,omitempty"`
	}{Error: oneLine(err.Error()), Diagnosis: d})
}

// explainTimeout turns a bare deadline error into one that says which limit
// was hit and how to raise it.
func explainTimeout(err error, timeout time.Duration) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		msg := err.Error()
		if !strings.Contains(msg, "--timeout") {
			return fmt.Errorf("%s (gave up after --timeout %s)", msg, timeout)
		}
	}
	return err
}

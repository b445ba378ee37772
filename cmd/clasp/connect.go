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
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/starttls"
	"github.com/clasp-tls/clasp/trace"
)

type connectOptions struct {
	tlsOptions
	traceOptions
	keyOptions
	export      *exportRequest
	ech         string // --ech: an ECHConfigList, base64 or a file (ech.go)
	noECHGREASE bool   // --no-ech-grease: no GREASE encrypted_client_hello without --ech
	serverName  string
	caFile      string
	insecure    bool
	certFile    string
	keyFile     string
	json        bool
	timeout     time.Duration
	reconnect   int
	ticketWait  time.Duration
	noTickets   bool
	// Renegotiation: --renegotiate starts one after the handshake,
	// --renegotiation says how to answer the server's HelloRequest.
	renegotiate   bool
	renegotiation string
	// noProbe turns off the extra handshakes that find what a server
	// accepts after it refused the ClientHello.
	noProbe bool
	// strict makes every warning a failure.
	strict bool
	// minDHBits lowers the smallest DHE prime accepted from the server.
	minDHBits int
	// sendCertAnyway sends --cert even when the server names CAs that did
	// not issue it.
	sendCertAnyway bool
	// startTLS names the protocol whose plain-text upgrade runs before
	// the handshake (internal/starttls).
	startTLS string
}

// connectHelp is connect's --help text.
const connectHelp = `Connect to a TLS server, run the handshake and print what was negotiated:
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
says for each whether it resumed, and how: "TLS 1.2 session ID" (the server
found the session in its cache), "TLS 1.2 session ticket (RFC 5077)", or a
TLS 1.3 ticket used as a pre-shared key ("psk_dhe_ke" with a fresh key
exchange, "psk_ke" without). --no-tickets offers no tickets, so a TLS 1.2
server can only resume by session ID (and TLS 1.3 not at all). A TLS 1.3
server sends its ticket after the handshake, and some send it only with
their first write (clasp serve does when it asks for a client certificate):
with nothing piped in, clasp waits up to --ticket-wait for the ticket,
reading and discarding what the server sends; against such an echo server,
pipe something in so that the server writes.

--renegotiate starts a second handshake on the connection right after the
first (TLS 1.2 with RFC 5746 secure renegotiation only; without a version
flag clasp then offers TLS 1.2 at most) and reports it, before any piped
data is sent. --renegotiation says how to answer a server that asks for one
(HelloRequest): never (a no_renegotiation warning, the default), once, or
freely.

--cert and --key give a client certificate, sent when the server asks for
one (mutual TLS); without them clasp answers a CertificateRequest with an
empty Certificate, and the server decides whether that is enough.

--psk HEX with --psk-identity ID connects with a pre-shared key instead of
a certificate: a TLS 1.3 external PSK (psk_dhe_ke), or in TLS 1.2 the PSK
suites (by default ECDHE_PSK and DHE_PSK with an AEAD; name plain PSK or
RSA_PSK suites with --ciphers, e.g. PSK-AES128-GCM-SHA256). --peer-key FILE
pins the server's key (PEM public keys or certificates) and asks for it as
an RFC 7250 raw public key; --raw-public-key KEY.pem sends this client's key
that way to a server that asks. The summary and --json name the identity
(psk_identity) or the raw key (raw_public_key_sha256).

The certificate is verified against the system roots, or against --cafile.
A failed handshake prints the cause as the first line on stderr, then the
error ("error: ..."), then why and what to change. When the server refused
the ClientHello (handshake_failure, protocol_version, insufficient_security,
or a close), clasp runs a few more handshakes through the scan engine —
versions, then the suites and groups of the version both would use — and
the first line says what the server accepts, the flags of clasp connect that
connect, and the change that fixes the server; --no-probe turns this off.
--cert that the server's CertificateRequest did not ask for is not sent and
the first line says so; --send-cert-anyway sends it regardless.

A completed connection gets one "warning:" line per weakness (RSA key or DH
group below 2048 bits, no RFC 5746, no extended master secret, SHA-1 in the
chain, a certificate expiring within 30 days, TLS 1.0/1.1, CBC without
encrypt-then-MAC, RC4/3DES, no forward secrecy); --strict makes them a
failure (exit 1). --reconnect ends with "resumed K of N (mechanism)" and,
when not all resumed, why and what to change. --json writes exactly one
object per connection with "ok": true or false; a failure after the
handshake (a TLS 1.3 server refusing the client certificate) is an ok:false
object with its diagnosis. --lang sets the language of the diagnosis, its
headings, warnings and resumption verdict (en, ru, zh, vi).

` + exitCodesHelp

func newConnectCommand() *cobra.Command {
	opts := &connectOptions{}
	cmd := &cobra.Command{
		Use:   "connect HOST:PORT",
		Short: "Handshake with a TLS server and report what was negotiated",
		Long:  connectHelp,
		Example: `  clasp connect example.com:443
  clasp connect --cafile ca.pem --servername api.internal 10.0.0.5:8443
  clasp connect --ciphers ECDHE-RSA-AES128-GCM-SHA256 --groups P-256 example.com:443
  printf 'GET / HTTP/1.0\r\nHost: example.com\r\n\r\n' | clasp connect --alpn http/1.1 example.com:443
  clasp connect --json example.com:443 | jq .cipher_suite
  clasp connect --trace=story --lang=ru example.com:443
  clasp connect --trace=diagram --diagram-out handshake.svg example.com:443
  SSLKEYLOGFILE=keys.log clasp connect example.com:443
  clasp connect --reconnect 2 example.com:443
  echo hi | clasp connect --reconnect 1 --trace=story localhost:8443
  clasp connect --tls1.2 --no-tickets --reconnect 5 localhost:8443   # resumption by session ID
  clasp connect --renegotiate --cafile ca.pem localhost:8443
  clasp connect --cafile ca.pem --cert client.pem --key client-key.pem localhost:8443
  clasp connect --psk 000102030405060708090a0b0c0d0e0f --psk-identity sensor-7 localhost:8443
  clasp connect --tls1.2 --ciphers PSK-AES128-GCM-SHA256 --psk 0011...ff --psk-identity sensor-7 localhost:8443
  clasp connect --peer-key server-pub.pem localhost:8443   # RFC 7250 raw public key, pinned
  clasp connect --ech pki/ech.pem --servername secret.test --cafile pki/ca.pem localhost:8443`,
		Args: exactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error { return runConnect(cmd, args[0], opts) },
	}
	flags := cmd.Flags()
	opts.registerNegotiation(flags, true)
	opts.registerVersionShorthands(flags)
	opts.keyOptions.registerClient(flags)
	flags.StringVar(&opts.serverName, "servername", "", "name to send in SNI and verify in the certificate (default: the host in HOST:PORT)")
	flags.StringVar(&opts.caFile, "cafile", "", "PEM file of CA certificates to trust instead of the system roots")
	flags.BoolVar(&opts.insecure, "insecure", false, "do not verify the server's certificate (testing only: open to interception)")
	flags.StringVar(&opts.certFile, "cert", "", "PEM client certificate chain, sent when the server asks for one")
	flags.StringVar(&opts.keyFile, "key", "", "PEM private key of --cert")
	flags.BoolVar(&opts.json, "json", false, "print the summary as one JSON object")
	flags.DurationVar(&opts.timeout, "timeout", 30*time.Second, "time allowed for connecting and the handshake")
	flags.IntVar(&opts.reconnect, "reconnect", 0, "reconnect N times after the first connection with its cached session and report whether each resumed")
	flags.DurationVar(&opts.ticketWait, "ticket-wait", 3*time.Second, "with --reconnect, how long to wait after each handshake for the server's session ticket")
	flags.BoolVar(&opts.noTickets, "no-tickets", false, "offer and accept no session tickets: TLS 1.2 resumes by session ID only, TLS 1.3 not at all")
	flags.BoolVar(&opts.renegotiate, "renegotiate", false, "start a TLS 1.2 renegotiation right after the handshake and report it")
	flags.StringVar(&opts.renegotiation, "renegotiation", "never", "answer to a server's HelloRequest: never, once or freely")
	flags.BoolVar(&opts.sendCertAnyway, "send-cert-anyway", false, "send --cert even when the server's CertificateRequest names CAs that did not issue it")
	flags.IntVar(&opts.minDHBits, "min-dh-bits", 0, "smallest DHE prime accepted from the server, in bits (default 2048; lower only knowingly: Logjam)")
	flags.BoolVar(&opts.strict, "strict", false, "treat every warning about the connection as a failure (exit 1)")
	flags.Var(&exportFlag{&opts.export}, "export", "print keying material exported from the connection (RFC 5705 / RFC 8446 §7.5): LABEL[:CONTEXT]:LENGTH")
	flags.StringVar(&opts.ech, "ech", "", "offer Encrypted Client Hello (RFC 9849) with this ECHConfigList: base64, or a file (PEM ECHCONFIG, base64 or binary); TLS 1.3 only (also --ech-config)")
	// --ech-config is issue 10's name for --ech; an alias rather than a
	// second flag, so the two cannot disagree.
	flags.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		if name == "ech-config" {
			name = "ech"
		}
		return pflag.NormalizedName(name)
	})
	flags.BoolVar(&opts.noECHGREASE, "no-ech-grease", false, "without --ech, send no GREASE encrypted_client_hello (sent by default, RFC 9849 §6.2, so that a hello looks alike with and without ECH)")
	flags.StringVar(&opts.startTLS, "starttls", "", "upgrade the connection with the protocol's STARTTLS before the handshake: "+strings.Join(starttls.Protocols(), ", "))
	flags.BoolVar(&opts.noProbe, "no-probe", false, "after a refused ClientHello, do not run the extra handshakes that find what the server accepts")
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
	pinned, err := o.keyOptions.applyClient(cfg, &warnings)
	if err != nil {
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
		if o.sendCertAnyway {
			// Whatever CAs the server names: the person asked for this
			// certificate to be sent.
			cfg.GetClientCertificate = func(*clasp.CertificateRequestInfo) (*clasp.Certificate, error) { return &cert, nil }
			warnings = append(warnings, "--send-cert-anyway: the client certificate is sent even when the server asks for other CAs")
		}
	} else if o.sendCertAnyway {
		return nil, "", nil, usageErrorf("--send-cert-anyway needs --cert and --key")
	}
	switch {
	case o.minDHBits < 0:
		return nil, "", nil, usageErrorf("--min-dh-bits %d: want a positive size", o.minDHBits)
	case o.minDHBits > 0 && o.minDHBits < 2048:
		warnings = append(warnings, fmt.Sprintf("--min-dh-bits %d: DHE primes below 2048 bits are accepted (Logjam)", o.minDHBits))
	}
	if pinned {
		verification += "; a raw public key must be one of --peer-key"
	}
	cfg.MinDHBits = o.minDHBits
	cfg.SessionTicketsDisabled = o.noTickets
	if o.ech != "" {
		if cfg.EncryptedClientHelloConfigList, err = readECHConfigList(o.ech); err != nil {
			return nil, "", nil, err
		}
	}
	cfg.EncryptedClientHelloGREASEDisabled = o.noECHGREASE
	if cfg.Renegotiation, err = parseRenegotiation("--renegotiation", o.renegotiation); err != nil {
		return nil, "", nil, err
	}
	if o.renegotiate || cfg.Renegotiation != clasp.RenegotiateNever {
		flag := "--renegotiate"
		if !o.renegotiate {
			flag = "--renegotiation " + o.renegotiation
		}
		switch {
		case cfg.MinVersion == clasp.VersionTLS13:
			return nil, "", nil, usageErrorf("%s: renegotiation exists in TLS 1.2 only, and TLS 1.3 was asked for", flag)
		case o.renegotiate && cfg.MaxVersion == 0:
			// TLS 1.3 would win and has no renegotiation.
			cfg.MaxVersion = clasp.VersionTLS12
		}
	}
	return cfg, verification, warnings, nil
}

func runConnect(cmd *cobra.Command, addr string, opts *connectOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := opts.checkConnect(); err != nil {
		return err
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
	flagWarnings, keyLog, err := opts.holdWarnings(warnings, stderr)
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
	tickets := newTicketWatcher()
	helloRequests := &helloRequestWatcher{out: summaryOut, json: opts.json}
	cfg.Tracer = trace.Tee(obs.tracer, obs.recorder, tickets, helloRequests)
	// In --json mode everything about a connection goes into its one
	// object, written when the connection is over.
	rep := &connectionReport{}
	c := &connectRun{opts: opts, cfg: cfg, addr: addr, out: summaryOut, rec: obs.recorder, rep: rep, flagWarnings: flagWarnings}

	// The dialer's timeout covers the TCP connection and the handshake.
	conn, err := dialClasp(addr, cfg, opts)
	if finishErr := obs.finish(); err == nil && finishErr != nil {
		err = finishErr
	}
	if err != nil {
		return c.failHandshake(err)
	}
	defer conn.Close()
	// A TLS 1.3 server gives its verdict on a client certificate after the
	// client's Finished: wait for it before calling the connection good.
	if !piped {
		if err := settle(conn, obs.recorder, tickets, opts.ticketWait); err != nil {
			return c.fail(err, false)
		}
	}
	// The stack hands a stapled OCSP response over unjudged; a verified
	// connection to a server whose own staple says revoked is a failure.
	if d := diagnose.StapledRevocation(opts.lang, conn.ConnectionState(), time.Now()); d != nil && !cfg.InsecureSkipVerify {
		return c.failWith(errors.New(d.Summary), d)
	}
	io.WriteString(stderr, c.flagWarnings) // connected: nothing to put first
	c.flagWarnings = ""
	summary := summarize(conn.ConnectionState(), verification, !cfg.InsecureSkipVerify)
	addDiagnoseWarnings(&summary, conn.ConnectionState(), obs.recorder, opts.lang)
	if opts.export != nil {
		opts.export.run(conn.ConnectionState())
		summary.Exported = opts.export
	}
	rep.succeed(&summary)
	if !opts.json {
		summary.writeText(summaryOut)
	}
	if opts.renegotiate {
		helloRequests.ownRenegotiation.Store(true)
		err := renegotiate(conn, opts, summaryOut, rep)
		helloRequests.ownRenegotiation.Store(false)
		if err != nil {
			return c.fail(err, false)
		}
	}
	if piped {
		if err := relay(conn, cmd.InOrStdin(), stdout); err != nil {
			return c.fail(err, false)
		}
	}
	rep.HelloRequests = helloRequests.collected()
	strictErr := c.strict(&summary)
	if opts.reconnect == 0 {
		if err := c.writeJSON(); err != nil {
			return err
		}
		return strictErr
	}
	err = reconnect(conn, c, cache, tickets)
	return errors.Join(strictErr, err)
}

// holdWarnings writes the warnings about the flags, and opening the key log
// with its own, to a string printed once the outcome is known: on a failure
// the cause is the first line, and they follow its diagnosis. When the key
// log cannot be opened they are printed at once, before that error.
func (o *connectOptions) holdWarnings(warnings []string, stderr io.Writer) (string, *keyLogFile, error) {
	var held strings.Builder
	printWarnings(&held, warnings)
	keyLog, err := o.openKeyLog(&held)
	if err != nil {
		io.WriteString(stderr, held.String())
		return "", nil, err
	}
	return held.String(), keyLog, nil
}

// checkConnect checks the flags that need no connection.
func (o *connectOptions) checkConnect() error {
	if err := o.check(); err != nil {
		return err
	}
	if o.reconnect < 0 {
		return usageErrorf("--reconnect %d: want 0 or more", o.reconnect)
	}
	var err error
	o.startTLS, err = checkStartTLS(o.startTLS)
	return err
}

// connectRun is one run of clasp connect: what its reports need.
type connectRun struct {
	opts *connectOptions
	cfg  *clasp.Config
	addr string
	out  io.Writer
	rec  *diagnose.Recorder
	rep  *connectionReport
	// flagWarnings are the "clasp: warning:" lines about the flags, not yet
	// printed: a failure prints them after its cause and diagnosis.
	flagWarnings string
}

// fail turns the connection's failure into its diagnosis: the report's
// ok:false object in --json mode, the error with its why and fix
// otherwise. handshake says the handshake itself failed, which is when a
// refused ClientHello is worth probing.
func (c *connectRun) fail(err error, handshake bool) error {
	d := diagnose.ExplainIn(c.opts.lang, err, c.rec, "client", time.Now(), c.cfg)
	var upgrade *startTLSError
	if handshake && !errors.As(err, &upgrade) {
		explainRefusal(d, err, c.rec, c.addr, c.cfg, c.opts)
		diagnose.NoteAddressTarget(d, err, c.rec, c.cfg, c.opts.lang)
		diagnose.NoteWellKnownPort(d, c.addr, c.rec, c.opts.lang)
	}
	err = explainTimeout(err, c.opts.timeout)
	c.rep.fail(err, d)
	if jerr := c.writeJSON(); jerr != nil {
		return jerr
	}
	return &diagnosedError{err: err, diagnosis: d, after: c.flagWarnings}
}

// failWith reports a failure whose diagnosis is already made.
func (c *connectRun) failWith(err error, d *diagnose.Diagnosis) error {
	c.rep.fail(err, d)
	if jerr := c.writeJSON(); jerr != nil {
		return jerr
	}
	return &diagnosedError{err: err, diagnosis: d, after: c.flagWarnings}
}

// writeJSON writes the report in --json mode.
func (c *connectRun) writeJSON() error {
	if !c.opts.json {
		return nil
	}
	return json.NewEncoder(c.out).Encode(c.rep)
}

// strict fails a connection that has warnings when --strict asks for it.
func (c *connectRun) strict(s *connectionSummary) error {
	if !c.opts.strict || len(s.Warnings) == 0 {
		return nil
	}
	c.rep.OK = false
	c.rep.Error = fmt.Sprintf("--strict: the connection has %d warning(s)", len(s.Warnings))
	return errors.New(c.rep.Error + ": " + strings.Join(s.Warnings, "; "))
}

// renegotiationReport is the --renegotiate line; its JSON names follow the
// connection summary's.
type renegotiationReport struct {
	Renegotiated        bool   `json:"renegotiated"`
	Error               string `json:"error,omitempty"`
	Protocol            string `json:"protocol,omitempty"`
	CipherSuite         string `json:"cipher_suite,omitempty"`
	Group               string `json:"group,omitempty"`
	SecureRenegotiation bool   `json:"secure_renegotiation"`
}

// renegotiate runs --renegotiate: a client-initiated second handshake on
// the live connection. A server that refuses (a no_renegotiation warning)
// leaves the connection as it was: that is reported, and it is a failure
// of what was asked.
func renegotiate(conn *clasp.Conn, opts *connectOptions, out io.Writer, rep *connectionReport) error {
	ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
	err := conn.Renegotiate(ctx, nil)
	cancel()
	st := conn.ConnectionState()
	r := renegotiationReport{Renegotiated: err == nil, SecureRenegotiation: st.SecureRenegotiation}
	if err != nil {
		err = explainTimeout(err, opts.timeout)
		r.Error = oneLine(err.Error())
	} else {
		r.Protocol, r.CipherSuite = clasp.VersionName(st.Version), st.CipherSuiteName
		if st.CurveID != 0 {
			r.Group = st.CurveID.String()
		}
	}
	switch {
	case opts.json:
		rep.Renegotiation = &r
	case err != nil:
		fmt.Fprintf(out, "renegotiation: failed: %s\n", r.Error)
	default:
		fmt.Fprintf(out, "renegotiation: second handshake complete (%s, %s, group %s; bound to the first by RFC 5746)\n",
			r.Protocol, r.CipherSuite, orNone(r.Group, "none"))
	}
	if err != nil {
		return fmt.Errorf("--renegotiate: %w", err)
	}
	return nil
}

// helloRequestWatcher reports the renegotiations a server starts with
// HelloRequest: they happen inside Read, out of the command's sight. In
// --json mode it keeps them for the connection's object.
type helloRequestWatcher struct {
	out              io.Writer
	json             bool
	handshakes       atomic.Int64
	ownRenegotiation atomic.Bool // --renegotiate's, reported by itself

	mu   sync.Mutex
	kept []map[string]any
}

func (w *helloRequestWatcher) keep(m map[string]any) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.kept = append(w.kept, m)
}

// collected returns what was kept in --json mode.
func (w *helloRequestWatcher) collected() []map[string]any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]map[string]any(nil), w.kept...)
}

// Trace must not call back into the connection (it holds its locks).
func (w *helloRequestWatcher) Trace(e trace.Event) {
	switch e := e.(type) {
	case *trace.Decision:
		if e.What == "renegotiation" && e.Chosen == "refused" {
			if w.json {
				w.keep(map[string]any{"renegotiated": false, "reason": e.Reason})
			} else {
				fmt.Fprintf(w.out, "renegotiation: the server sent HelloRequest; refused with a no_renegotiation warning (%s; see --renegotiation)\n", e.Reason)
			}
		}
	case *trace.Done:
		if w.handshakes.Add(1) == 1 || w.ownRenegotiation.Load() {
			return
		}
		if w.json {
			w.keep(map[string]any{"renegotiated": true, "protocol": e.Version, "cipher_suite": e.CipherSuite, "group": e.Group})
		} else {
			fmt.Fprintf(w.out, "renegotiation: the server sent HelloRequest; handshake %d complete (%s, %s, group %s)\n",
				w.handshakes.Load(), e.Version, e.CipherSuite, orNone(e.Group, "none"))
		}
	}
}

// ticketWatcher notes the NewSessionTicket messages a connection receives,
// so that --reconnect can say whether a TLS 1.2 session was left as a
// ticket or under its session ID, and settle can stop waiting once a TLS
// 1.3 server has sent one.
type ticketWatcher struct {
	tickets atomic.Int64
	arrived chan struct{}
}

func newTicketWatcher() *ticketWatcher { return &ticketWatcher{arrived: make(chan struct{}, 1)} }

func (w *ticketWatcher) Trace(e trace.Event) {
	if m, ok := e.(*trace.Message); ok && m.Direction == trace.Received && m.Name == "NewSessionTicket" {
		w.tickets.Add(1)
		select {
		case w.arrived <- struct{}{}:
		default:
		}
	}
}

// reconnect runs --reconnect: it makes sure the first connection's ticket
// has arrived, then connects opts.reconnect more times with the same Config
// (and so the same session cache), reporting for each whether the session
// was resumed and by which mechanism, and ends with the verdict.
func reconnect(first *clasp.Conn, c *connectRun, cache *watchedSessionCache, tickets *ticketWatcher) error {
	opts, cfg, out := c.opts, c.cfg, c.out
	left := cache.awaitSession(first, tickets, opts.ticketWait)
	st := first.ConnectionState()
	firstAttempt := diagnose.ObserveAttempt(c.rec, &st, nil, tickets.tickets.Load() > 0, left.ok)
	c.rep.Session = left.report()
	reportSession(out, "first connection", left, opts)
	if err := c.writeJSON(); err != nil {
		return err
	}
	first.Close()
	var failed error
	var attempts []diagnose.Attempt
	for i := 1; i <= opts.reconnect; i++ {
		obs, err := opts.observe(out, "")
		if err != nil {
			return err
		}
		rec := diagnose.NewRecorder()
		tickets = newTicketWatcher()
		cfg.Tracer = trace.Tee(obs.tracer, tickets, rec)
		rc := &connectRun{opts: opts, cfg: cfg, addr: c.addr, out: out, rec: rec, rep: &connectionReport{Reconnect: i}}
		conn, err := dialClasp(c.addr, cfg, opts)
		if finishErr := obs.finish(); err == nil && finishErr != nil {
			err = finishErr
		}
		if err != nil {
			attempts = append(attempts, diagnose.ObserveAttempt(rec, nil, err, false, false))
			err = explainTimeout(err, opts.timeout)
			if !opts.json {
				fmt.Fprintf(out, "reconnect %d: failed: %v\n", i, err)
			}
			rc.lastOfSeries(i, opts, firstAttempt, attempts)
			rc.fail(err, false)
			failed = errors.Join(failed, err)
			continue
		}
		st := conn.ConnectionState()
		summary := summarize(st, "", !cfg.InsecureSkipVerify)
		rc.rep.succeed(&summary)
		if !opts.json {
			reconnectLine(out, i, &summary)
		}
		// A resumed session gets a fresh ticket too, for the next round.
		left := cachedSession{}
		if i < opts.reconnect {
			left = cache.awaitSession(conn, tickets, opts.ticketWait)
			rc.rep.Session = left.report()
			reportSession(out, fmt.Sprintf("reconnect %d", i), left, opts)
		}
		attempts = append(attempts, diagnose.ObserveAttempt(rec, &st, nil, tickets.tickets.Load() > 0, left.ok))
		rc.lastOfSeries(i, opts, firstAttempt, attempts)
		if err := rc.writeJSON(); err != nil {
			return err
		}
		conn.Close()
	}
	if !opts.json {
		writeVerdict(out, diagnose.ConcludeResumption(opts.lang, firstAttempt, attempts))
	}
	return failed
}

// lastOfSeries puts the resumption verdict into the last connection's
// --json object, so that the series stays one object per connection.
func (c *connectRun) lastOfSeries(i int, opts *connectOptions, first diagnose.Attempt, attempts []diagnose.Attempt) {
	if i == opts.reconnect {
		v := diagnose.ConcludeResumption(opts.lang, first, attempts)
		c.rep.Verdict = &v
	}
}

// writeVerdict prints the --reconnect verdict: the count, then each reason
// and each fix on a line of its own, in the verdict's language.
func writeVerdict(w io.Writer, v diagnose.ResumptionVerdict) {
	fmt.Fprint(w, v.Text())
}

// reconnectLine is the text line of one reconnection.
func reconnectLine(w io.Writer, i int, s *connectionSummary) {
	how := "full handshake, not resumed"
	if s.Resumed {
		how = "resumed by " + s.Resumption
	}
	fmt.Fprintf(w, "reconnect %d: %s (%s, %s, group %s", i, how, s.Protocol, s.CipherSuite, orNone(s.Group, "none"))
	if s.HelloRetryRequest {
		fmt.Fprint(w, ", after HelloRetryRequest")
	}
	fmt.Fprintln(w, ")")
}

// cachedSession is what a connection left in the client session cache.
type cachedSession struct {
	ok      bool
	version uint16
	ticket  bool   // a ticket (TLS 1.2 RFC 5077, or TLS 1.3)
	id      []byte // the TLS 1.2 session ID, when no ticket
}

// sessionReport is what a connection left to resume, in its --json object.
type sessionReport struct {
	Left    bool   `json:"left"`
	Kind    string `json:"kind,omitempty"` // "session ID", "session ticket", "TLS 1.3 ticket"
	Version string `json:"version,omitempty"`
}

func (s cachedSession) report() *sessionReport {
	r := &sessionReport{Left: s.ok}
	if s.version != 0 {
		r.Version = clasp.VersionName(s.version)
	}
	switch {
	case !s.ok:
	case s.version >= clasp.VersionTLS13:
		r.Kind = "TLS 1.3 ticket"
	case s.ticket:
		r.Kind = "session ticket"
	default:
		r.Kind = "session ID"
	}
	return r
}

// reportSession says whether a connection left a session to resume, and
// what kind. In JSON mode only a missing one is worth a line, on the same
// stream.
func reportSession(w io.Writer, which string, s cachedSession, opts *connectOptions) {
	switch {
	case opts.json: // in the connection's object: see cachedSession.report
	case s.ok && s.version >= clasp.VersionTLS13:
		fmt.Fprintf(w, "%s: session ticket received and cached\n", which)
	case s.ok && s.ticket:
		fmt.Fprintf(w, "%s: %s session ticket (RFC 5077) received and cached\n", which, clasp.VersionName(s.version))
	case s.ok:
		fmt.Fprintf(w, "%s: %s session ID %x cached\n", which, clasp.VersionName(s.version), s.id)
	case s.version != 0 && s.version < clasp.VersionTLS13:
		fmt.Fprintf(w, "%s: the server gave neither a session ID nor a ticket: nothing to resume\n", which)
	default:
		fmt.Fprintf(w, "%s: no session ticket within --ticket-wait %s (a TLS 1.3 server sends it after the handshake, some only with their first write: pipe data in for an echo server)\n", which, opts.ticketWait)
	}
}

// awaitSession finds out what conn left in the cache: a TLS 1.2 session is
// cached during the handshake, a TLS 1.3 ticket arrives after it.
func (c *watchedSessionCache) awaitSession(conn *clasp.Conn, tickets *ticketWatcher, wait time.Duration) cachedSession {
	st := conn.ConnectionState()
	s := cachedSession{version: st.Version}
	if st.Version >= clasp.VersionTLS13 {
		s.ok = c.awaitTicket(conn, wait)
		s.ticket = s.ok
		return s
	}
	select {
	case <-c.stored:
		s.ok = true
	default:
	}
	// A session resumed by ticket keeps its ticket when the server sends
	// no new one.
	s.ticket = tickets.tickets.Load() > 0 || st.ResumedBy == "session ticket"
	if !s.ticket {
		s.id = st.SessionID
	}
	return s
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
	// after is printed after the diagnosis: the warnings about the flags.
	after string
}

func (e *diagnosedError) Error() string { return e.err.Error() }
func (e *diagnosedError) Unwrap() error { return e.err }

// settle waits, after a TLS 1.3 handshake in which the server asked for a
// client certificate, for the server's verdict on it: a TLS 1.3 client
// finishes its handshake before the server has checked the certificate,
// and a server that refuses it says so with an alert that only a read
// meets (RFC 8446 §4.4.2.4). A ticket, data or the wait passing without an
// alert means the certificate was taken. The read it makes is the
// connection's last when the wait runs out (a timeout ends reading), so it
// is made only when nothing else will read: nothing piped in.
func settle(conn *clasp.Conn, rec *diagnose.Recorder, tickets *ticketWatcher, wait time.Duration) error {
	if conn.ConnectionState().Version < clasp.VersionTLS13 || !diagnose.CertificateRequested(rec) {
		return nil
	}
	conn.SetReadDeadline(time.Now().Add(min(wait, 2*time.Second)))
	done := make(chan error, 1)
	go func() {
		_, err := conn.Read(make([]byte, 1))
		done <- err
	}()
	var err error
	select {
	case <-tickets.arrived:
		conn.SetReadDeadline(time.Now())
		<-done
		return nil
	case err = <-done:
	}
	var ne net.Error
	if err == nil || errors.Is(err, io.EOF) || errors.As(err, &ne) && ne.Timeout() {
		return nil
	}
	return err
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

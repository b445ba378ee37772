package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"html"
	"io"
	"log"
	"net"
	"net/http"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/trace"
)

type serveOptions struct {
	tlsOptions
	traceOptions
	keyOptions
	addr             string
	certFile         string
	keyFile          string
	ocspStaple       string
	echKey           string // --ech-key: an ECH key file (ech.go)
	echPublicName    string // --ech-public-name: a fresh ECH key for this name
	mode             string
	handshakeTimeout time.Duration
	idleTimeout      time.Duration
	shutdownGrace    time.Duration
	statsAddr        string

	// Client certificates.
	clientAuth string
	clientCA   string
	// Sessions.
	sessionStore   string
	fleetKey       string
	ticketRotation time.Duration
	sessionTTL     time.Duration
	noTickets      bool
	noSessionIDs   bool
	// Renegotiation.
	renegotiation         string
	maxRenegotiations     int
	helloRequestAfter     int
	renegotiateClientAuth string
	// verbose logs the why/fix block of every failed handshake.
	verbose bool
	// acceptSSLv2Hello takes a first ClientHello in the SSL 2.0 format.
	acceptSSLv2Hello bool

	// Parsed by serverConfig: the policy for the second handshake that
	// --hello-request-after starts (nil: unchanged).
	renegAuth *clasp.ClientAuthType
	// postHandshakeAuth (--post-handshake-auth) is the policy of the
	// TLS 1.3 post-handshake certificate request; phaAuth is it parsed.
	postHandshakeAuth string
	phaAuth           *clasp.ClientAuthType
}

// Server modes.
const (
	modeEcho = "echo"
	modeHTTP = "http"
)

// defaultIdleTimeout frees a connection its client forgot, yet lets a person
// typing into `clasp connect` pause to read and think.
const defaultIdleTimeout = 5 * time.Minute

// serveHelp is `clasp serve --help`: what the server does with a
// connection, and what each group of flags is for.
var serveHelp = `Run a TLS server on --addr.

  --mode echo  sends every byte back until the client closes.
  --mode http  answers one HTTP request per connection with a page describing
               the connection (protocol, suite, group, signature scheme, ALPN,
               extended master secret, the client's SNI and certificate), like
               "openssl s_server -www", then closes. Clients that choose h2 by
               ALPN get HTTP/2 instead, as many requests as they send on the
               connection until it is idle for --handshake-timeout.

Without --cert and --key, a fresh self-signed ECDSA P-256 certificate for
localhost, 127.0.0.1 and ::1 is made in memory; its SHA-256 fingerprint is
printed so that clients can pin it.

One line per handshake goes to stderr: the time, the client's address and the
negotiated protocol and suite, how a session was resumed ("resumed by session
ID", "session ticket", "psk_dhe_ke", "psk_ke"), the client's certificate, or
why the handshake failed; renegotiations get a line each too. "listening on
ADDR" is printed once the server accepts connections.

A failed handshake's line gives the short cause, the error and the cause code
in brackets ([no_common_version]); the full why/fix block follows the first
failure of each cause and then at most once a minute per cause (with a count
of the failures left unexplained), so that a port scanner or a health check
does not flood the log. --verbose explains every failure.

Keys instead of certificates: --psk-file FILE holds the pre-shared keys
clients may use, one "identity:hexkey" line each (# starts a comment; a
bad line is reported with its number); without --cert the server then has
no certificate and serves PSK clients only, in TLS 1.3 (external PSK) and
TLS 1.2 (ECDHE_PSK and DHE_PSK with an AEAD; plain PSK and RSA_PSK when
--ciphers names them). --psk-hint sends a TLS 1.2 psk_identity_hint.
--raw-public-key KEY.pem authenticates with that key alone to clients that
ask for a raw public key (RFC 7250); --peer-key FILE pins the clients' keys
and requires one. Each handshake's line names psk-identity or
client-raw-key.

Mutual TLS: --client-auth chooses the policy (as crypto/tls's ClientAuth):
  none                no CertificateRequest (the default)
  request             ask for a certificate, accept none, do not verify it
  require             require a certificate, do not verify it
  verify-if-given     verify a certificate against --client-ca if one is sent
  require-and-verify  require a certificate that verifies against --client-ca
The subjects of --client-ca's certificates are sent in CertificateRequest as
the CAs the server accepts.

Sessions: a full handshake leaves a TLS 1.2 session under its session ID in
the --session-store, and a session ticket (TLS 1.2, RFC 5077, and TLS 1.3)
sealed under keys that rotate every --ticket-rotation and are derived from a
base key. With --session-store memory both live in this process only, and a
client sent to another server behind a load balancer makes a full handshake.
With --session-store redis://HOST:PORT/DB every server using that Redis
shares the sessions and the ticket base key (created by the first server,
read by the others at start and every 10 minutes), so any of them resumes
any client. A store that fails costs resumptions, never connections: the
handshake falls back to a full one and a "level=WARN" line says why. Give
every server of a fleet the same --fleet-key FILE (at least 16 bytes) to
seal the base key in Redis; without it Redis holds it in the clear.

Renegotiation (TLS 1.2 only, RFC 5746 secure renegotiation only):
--renegotiation says whether a client may start a new handshake on a live
connection: never (a no_renegotiation warning answers it), once, or freely
(up to --max-renegotiations per connection, 3 by default, so that a client
cannot burn the server's CPU). --hello-request-after N makes the server
start one itself, with a HelloRequest:
  echo mode  once the client has sent N bytes of application data in total
             on the connection: the bytes read so far are echoed first, then
             the server sends HelloRequest and waits (up to
             --handshake-timeout) for the client's new handshake; data the
             client sends meanwhile is echoed after it
  http mode  N counts requests, and http mode answers one per connection,
             so N must be 1: the request is read, the connection
             renegotiated, and the page then describes the second handshake
--renegotiate-client-auth changes the client-certificate policy for that
second handshake (the classic use: a certificate only for some paths).
TLS 1.3 has no renegotiation; on a TLS 1.3 connection the server says so and
goes on without one.

Limits: --handshake-timeout bounds each handshake as a whole, from the
client's first byte to its Finished however slowly the bytes come, and each
renegotiation (either side's); a client that runs out of time is
disconnected without an alert, since TLS has none for a timeout. In echo
mode --idle-timeout closes a connection on which nothing was read or written
for that long, with close_notify; in http mode the request must come within
--handshake-timeout. --stats-addr 127.0.0.1:PORT serves a JSON object at
http://127.0.0.1:PORT/stats: connections_open, connections_accepted,
handshakes_done, handshakes_failed, handshake_timeouts, idle_closed,
goroutines, rss_bytes (VmRSS) and heap_live_bytes (as of the last garbage
collection; /stats?gc=1 collects first and returns free memory to the OS).

SIGINT or SIGTERM stops it: the listener closes, connections in progress get
a few seconds to finish, and clasp exits with status 0.

` + exitCodesHelp

func newServeCommand() *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a TLS server that echoes data or describes each connection over HTTP",
		Long:  serveHelp,
		Example: `  clasp serve
  clasp serve --mode http --addr 127.0.0.1:4433 &  curl -k https://127.0.0.1:4433/
  clasp serve --cert server.pem --key server.key --ciphers ECDHE-RSA-AES128-GCM-SHA256
  clasp serve --addr 127.0.0.1:0     # any free port; see "listening on"
  clasp serve --trace=state          # each connection's states on stderr, prefixed by its address
  clasp serve --diagram-out hs.svg   # hs-1.svg, hs-2.svg, ... one per connection
  clasp serve --cert server.pem --key server-key.pem --client-auth require-and-verify --client-ca ca.pem
  clasp serve --session-store redis://127.0.0.1:6379/0 --fleet-key fleet.key   # one of a fleet
  clasp serve --max-version 1.2 --renegotiation once
  clasp serve --max-version 1.2 --hello-request-after 1 --renegotiate-client-auth require --mode http
  clasp serve --psk-file keys.txt --psk-hint plant-7   # PSK clients only (TLS 1.3 external PSK, TLS 1.2 PSK suites)
  clasp serve --raw-public-key server-key.pem --peer-key clients.pem   # RFC 7250 raw public keys both ways
  clasp serve --handshake-timeout 5s --idle-timeout 1m --stats-addr 127.0.0.1:9090 &  curl http://127.0.0.1:9090/stats`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, opts) },
	}
	flags := cmd.Flags()
	opts.registerNegotiation(flags, true)
	opts.keyOptions.registerServer(flags)
	flags.StringVar(&opts.addr, "addr", "127.0.0.1:8443", "address to listen on (port 0 picks a free port)")
	flags.StringVar(&opts.certFile, "cert", "", "PEM certificate chain (default: a generated self-signed certificate)")
	flags.StringVar(&opts.keyFile, "key", "", "PEM private key of --cert")
	flags.StringVar(&opts.echKey, "ech-key", "", "accept Encrypted Client Hello (RFC 9849) with this key file (PEM PRIVATE KEY and ECHCONFIG, as clasp cert --ech writes)")
	flags.StringVar(&opts.echPublicName, "ech-public-name", "", "accept Encrypted Client Hello with a key made at start for this public name; its ECHConfigList is printed")
	flags.StringVar(&opts.ocspStaple, "ocsp-staple", "", "OCSP response (DER or PEM) to staple for clients that ask (status_request)")
	flags.StringVar(&opts.mode, "mode", modeEcho, "what to do after the handshake: echo or http")
	flags.DurationVar(&opts.handshakeTimeout, "handshake-timeout", 10*time.Second, "time a client has to complete a handshake, from its first byte to its Finished (renegotiations too)")
	flags.DurationVar(&opts.idleTimeout, "idle-timeout", defaultIdleTimeout, "echo mode: close a connection after this long with nothing read or written; 0: never")
	flags.StringVar(&opts.statsAddr, "stats-addr", "", "serve counters, goroutines and memory as JSON at http://ADDR/stats (a loopback address, e.g. 127.0.0.1:9090)")
	flags.DurationVar(&opts.shutdownGrace, "shutdown-grace", 3*time.Second, "time connections in progress get to finish on SIGINT/SIGTERM")
	flags.StringVar(&opts.clientAuth, "client-auth", "none", "client certificate policy: "+clientAuthList())
	flags.StringVar(&opts.clientCA, "client-ca", "", "PEM file of the CAs client certificates are verified against and named in CertificateRequest")
	flags.StringVar(&opts.sessionStore, "session-store", storeMemory, "where TLS 1.2 sessions and the ticket base key live: memory (this process) or redis://HOST:PORT/DB (shared by a fleet)")
	flags.StringVar(&opts.fleetKey, "fleet-key", "", "file holding a secret shared by the fleet (16 bytes or more) that seals the ticket base key in the Redis store")
	flags.DurationVar(&opts.ticketRotation, "ticket-rotation", 0, "how long one session ticket key is used; a ticket opens for up to two periods (default 24h)")
	flags.DurationVar(&opts.sessionTTL, "session-ttl", 0, "how long a TLS 1.2 session can be resumed (default 2h)")
	flags.BoolVar(&opts.noTickets, "no-tickets", false, "issue and accept no session tickets (TLS 1.2 RFC 5077 and TLS 1.3): TLS 1.2 resumes by session ID only, TLS 1.3 not at all")
	flags.BoolVar(&opts.noSessionIDs, "no-session-ids", false, "issue no TLS 1.2 session IDs: TLS 1.2 resumes by ticket only")
	flags.StringVar(&opts.renegotiation, "renegotiation", "never", "client-initiated TLS 1.2 renegotiation: never, once or freely")
	flags.IntVar(&opts.maxRenegotiations, "max-renegotiations", 0, "with --renegotiation freely, the most renegotiations per connection (default 3)")
	flags.IntVar(&opts.helloRequestAfter, "hello-request-after", 0, "send HelloRequest after N bytes from the client (echo mode) or after the first request (http mode, N=1); 0: never")
	flags.StringVar(&opts.renegotiateClientAuth, "renegotiate-client-auth", "", "client certificate policy for the second handshake --hello-request-after starts (default: --client-auth)")
	flags.StringVar(&opts.postHandshakeAuth, "post-handshake-auth", "", "echo mode, TLS 1.3: after the client's first bytes, ask for a client certificate under this policy (RFC 8446 §4.6.2): "+clientAuthList())
	flags.BoolVar(&opts.acceptSSLv2Hello, "accept-sslv2-hello", false, "accept a first ClientHello in the SSL 2.0 format (RFC 5246 Appendix E.2, Java's SSLv2Hello) for TLS 1.0-1.2, and for SSL 3.0 when --min-version ssl3 allows it; it has no extensions (weak, reported as a warning)")
	flags.BoolVar(&opts.verbose, "verbose", false, "log the why/fix block of every failed handshake (default: once per cause per minute)")
	opts.registerTracing(flags, "")
	return cmd
}

func (o *serveOptions) serverConfig(stderr io.Writer) (*clasp.Config, error) {
	if o.mode != modeEcho && o.mode != modeHTTP {
		return nil, usageErrorf("--mode %q: want echo or http", o.mode)
	}
	if err := o.checkLimits(); err != nil {
		return nil, err
	}
	cfg := &clasp.Config{HandshakeTimeout: o.handshakeTimeout}
	warnings, err := o.apply(cfg)
	if err != nil {
		return nil, err
	}
	if o.mode == modeHTTP && cfg.NextProtos == nil {
		cfg.NextProtos = httpModeProtocols(o)
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, usageErrorf("--cert and --key go together")
	}
	// Every flag is checked before a certificate is generated and
	// announced, so that a usage error stays the only line.
	if err := o.applyClientAuth(cfg); err != nil {
		return nil, err
	}
	if err := o.applySessions(cfg); err != nil {
		return nil, err
	}
	if err := o.applyRenegotiation(cfg); err != nil {
		return nil, err
	}
	if err := o.applyECH(cfg, stderr); err != nil {
		return nil, err
	}
	identities, err := o.keyOptions.applyServer(cfg, &warnings)
	if err != nil {
		return nil, err
	}
	if identities > 0 {
		fmt.Fprintf(stderr, "pre-shared keys: %d identities from %s\n", identities, o.pskFile)
	}
	if o.certFile == "" && (identities > 0 || o.rawKeyFile != "") {
		// Keys instead of certificates: no self-signed certificate either.
		if o.ocspStaple != "" {
			return nil, usageErrorf("--ocsp-staple needs --cert")
		}
		if len(cfg.Certificates) == 0 {
			fmt.Fprintln(stderr, "certificate: none (pre-shared keys only)")
		}
		printWarnings(stderr, warnings)
		return cfg, nil
	}
	var cert clasp.Certificate
	if o.certFile != "" {
		if cert, err = clasp.LoadX509KeyPair(o.certFile, o.keyFile); err != nil {
			return nil, usageErrorf("--cert/--key: %v", err)
		}
	} else {
		if cert, err = selfSignedServerCertificate(); err != nil {
			return nil, err
		}
		fmt.Fprintf(stderr, "certificate: self-signed ECDSA P-256 for localhost, 127.0.0.1, ::1\ncertificate SHA-256 fingerprint: %s\n",
			fingerprint(cert.Certificate[0]))
	}
	if o.ocspStaple != "" {
		if cert.OCSPStaple, err = readOCSPStaple(o.ocspStaple); err != nil {
			return nil, err
		}
	}
	cfg.Certificates = append([]clasp.Certificate{cert}, cfg.Certificates...)
	if o.acceptSSLv2Hello {
		cfg.AcceptSSLv2ClientHello = true
		warnings = append(warnings, "--accept-sslv2-hello: ClientHellos in the SSL 2.0 format are accepted; they carry no extensions (no extended master secret, server name or signature_algorithms)")
	}
	printWarnings(stderr, warnings)
	return cfg, nil
}

// checkLimits checks the flags that bound what one client can hold.
func (o *serveOptions) checkLimits() error {
	switch {
	case o.handshakeTimeout <= 0:
		return usageErrorf("--handshake-timeout %s: want a positive duration (a server that waits forever for a handshake can be held by anyone)", o.handshakeTimeout)
	case o.idleTimeout < 0:
		return usageErrorf("--idle-timeout %s: want a positive duration, or 0 for none", o.idleTimeout)
	case o.statsAddr != "":
		return checkStatsAddr(o.statsAddr)
	}
	return nil
}

func (o *serveOptions) applyClientAuth(cfg *clasp.Config) error {
	auth, err := parseClientAuth("--client-auth", o.clientAuth)
	if err != nil {
		return err
	}
	cfg.ClientAuth = auth
	if o.renegotiateClientAuth != "" {
		a, err := parseClientAuth("--renegotiate-client-auth", o.renegotiateClientAuth)
		if err != nil {
			return err
		}
		if o.helloRequestAfter == 0 {
			return usageErrorf("--renegotiate-client-auth applies to the second handshake --hello-request-after starts; give --hello-request-after too")
		}
		o.renegAuth = &a
	}
	if err := o.applyPostHandshakeAuth(); err != nil {
		return err
	}
	needCA := verifies(auth) || (o.renegAuth != nil && verifies(*o.renegAuth)) || (o.phaAuth != nil && verifies(*o.phaAuth))
	switch {
	case o.clientCA == "" && needCA:
		return usageErrorf("--client-auth %s verifies client certificates: give --client-ca FILE with the CAs to verify them against", o.verifyingPolicy())
	case o.clientCA != "" && auth == clasp.NoClientCert && o.renegAuth == nil && o.phaAuth == nil:
		return usageErrorf("--client-ca has no use with --client-auth none: no client certificate is asked for")
	case o.clientCA != "":
		pool, err := loadCertPool("--client-ca", o.clientCA)
		if err != nil {
			return err
		}
		cfg.ClientCAs = pool
	}
	return nil
}

// applyPostHandshakeAuth checks --post-handshake-auth: a policy that asks
// for something, in the mode whose loop can send the request.
func (o *serveOptions) applyPostHandshakeAuth() error {
	if o.postHandshakeAuth == "" {
		return nil
	}
	a, err := parseClientAuth("--post-handshake-auth", o.postHandshakeAuth)
	if err != nil {
		return err
	}
	switch {
	case a == clasp.NoClientCert:
		return usageErrorf("--post-handshake-auth none asks for nothing; leave the flag out")
	case o.mode != modeEcho:
		return usageErrorf("--post-handshake-auth works in echo mode: an HTTP client waits for its response and reads nothing the server asks meanwhile")
	}
	o.phaAuth = &a
	return nil
}

// verifyingPolicy names the flag value that needs --client-ca.
func (o *serveOptions) verifyingPolicy() string {
	if o.renegAuth != nil && verifies(*o.renegAuth) && !verifies(clientAuthFromName(o.clientAuth)) {
		return o.renegotiateClientAuth + " (--renegotiate-client-auth)"
	}
	if o.phaAuth != nil && verifies(*o.phaAuth) && !verifies(clientAuthFromName(o.clientAuth)) {
		return o.postHandshakeAuth + " (--post-handshake-auth)"
	}
	return o.clientAuth
}

func clientAuthFromName(name string) clasp.ClientAuthType {
	a, _ := parseClientAuth("", name)
	return a
}

func (o *serveOptions) applySessions(cfg *clasp.Config) error {
	if o.ticketRotation < 0 {
		return usageErrorf("--ticket-rotation %s: want a positive duration", o.ticketRotation)
	}
	if o.sessionTTL < 0 {
		return usageErrorf("--session-ttl %s: want a positive duration", o.sessionTTL)
	}
	if o.noTickets && o.noSessionIDs {
		return usageErrorf("--no-tickets and --no-session-ids together leave nothing to resume TLS 1.2 sessions with")
	}
	if o.noTickets && o.ticketRotation != 0 {
		return usageErrorf("--ticket-rotation has no use with --no-tickets")
	}
	cfg.TicketKeyRotation = o.ticketRotation
	cfg.SessionTTL = o.sessionTTL
	cfg.SessionTicketsDisabled = o.noTickets
	cfg.SessionIDsDisabled = o.noSessionIDs
	return nil
}

func (o *serveOptions) applyRenegotiation(cfg *clasp.Config) error {
	policy, err := parseRenegotiation("--renegotiation", o.renegotiation)
	if err != nil {
		return err
	}
	cfg.Renegotiation = policy
	switch {
	case o.maxRenegotiations < 0:
		return usageErrorf("--max-renegotiations %d: want 1 or more", o.maxRenegotiations)
	case o.maxRenegotiations > 0 && policy != clasp.RenegotiateFreelyAsClient:
		return usageErrorf("--max-renegotiations applies to --renegotiation freely (never allows none, once allows one)")
	}
	cfg.MaxRenegotiations = o.maxRenegotiations
	switch {
	case o.helloRequestAfter < 0:
		return usageErrorf("--hello-request-after %d: want a number of bytes (echo mode) or 1 (http mode); 0 turns it off", o.helloRequestAfter)
	case o.helloRequestAfter > 1 && o.mode == modeHTTP:
		return usageErrorf("--hello-request-after %d: in http mode N counts requests and each connection gets one, so only 1 means something", o.helloRequestAfter)
	}
	if (o.helloRequestAfter > 0 || policy != clasp.RenegotiateNever) && cfg.MinVersion == clasp.VersionTLS13 {
		return usageErrorf("renegotiation exists in TLS 1.2 only, and --min-version 1.3 rules TLS 1.2 out")
	}
	return nil
}

func runServe(cmd *cobra.Command, opts *serveOptions) error {
	stderr := cmd.ErrOrStderr()
	if err := opts.check(); err != nil {
		return err
	}
	logger := newServeLogger(stderr)
	setup, storeWarnings, err := newSessionSetup(opts.sessionStore, opts.fleetKey, logger)
	if err != nil {
		return err
	}
	defer setup.close()
	cfg, err := opts.serverConfig(stderr)
	if err != nil {
		return err
	}
	printWarnings(stderr, storeWarnings)
	cfg.Logger = logger
	cfg.SessionStore = setup.store
	keyLog, err := opts.openKeyLog(stderr)
	if err != nil {
		return err
	}
	defer keyLog.Close()
	keyLog.apply(cfg)
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", opts.addr)
	if err != nil {
		return err
	}
	srv := &server{config: cfg, opts: opts, logger: log.New(stderr, "", 0), conns: map[net.Conn]struct{}{}, traceOut: stderr, sessions: setup,
		causes: newCauseLimiter(explainEvery, opts.verbose)}
	fmt.Fprintf(stderr, "session store: %s\n", setup.description)
	fmt.Fprintf(stderr, "session tickets: %s\n", ticketDescription(cfg, setup))
	if cfg.ClientAuth != clasp.NoClientCert || opts.renegAuth != nil || opts.phaAuth != nil {
		fmt.Fprintf(stderr, "client certificates: %s\n", clientAuthDescription(opts))
	}
	if d := renegotiationDescription(cfg, opts); d != "" {
		fmt.Fprintf(stderr, "renegotiation: %s\n", d)
	}
	var background sync.WaitGroup
	setup.run(ctx, func(format string, args ...any) {
		srv.logger.Printf("%s "+format, append([]any{timestamp()}, args...)...)
	}, &background)
	defer background.Wait()
	fmt.Fprintf(stderr, "timeouts: handshake %s, idle %s\n", opts.handshakeTimeout, idleDescription(opts))
	if opts.statsAddr != "" {
		addr, stopStats, err := srv.serveStats(opts.statsAddr)
		if err != nil {
			ln.Close()
			return err
		}
		defer stopStats()
		fmt.Fprintf(stderr, "stats on http://%s/stats\n", addr)
	}
	fmt.Fprintf(stderr, "listening on %s (mode %s)\n", ln.Addr(), opts.mode)
	srv.accept(ctx, ln)
	fmt.Fprintln(stderr, "shutting down")
	srv.shutdown(opts.shutdownGrace)
	return nil
}

// accept serves each connection in its own goroutine until ctx is done.
func (s *server) accept(ctx context.Context, ln net.Listener) {
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		raw, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			// A failed Accept (out of file descriptors, say) is worth a
			// line and a pause, not the end of the server.
			s.logger.Printf("%s accept: %v", timestamp(), err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		s.counters.accepted.Add(1)
		s.track(raw, true)
		s.wg.Add(1)
		go s.handle(raw)
	}
}

func idleDescription(o *serveOptions) string {
	switch {
	case o.mode == modeHTTP:
		return "none (http mode: the request must come within the handshake timeout)"
	case o.idleTimeout == 0:
		return "none (--idle-timeout 0)"
	}
	return o.idleTimeout.String()
}

// server tracks live connections so that a shutdown can wait for them and,
// after the grace period, close those that are still open.
type server struct {
	config *clasp.Config
	opts   *serveOptions
	logger *log.Logger
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	// forcedClose is set once shutdown closes connections that outlived
	// the grace period, so their read errors are logged as what they are.
	forcedClose atomic.Bool

	// sessions holds the session store and the ticket base key.
	sessions *sessionSetup

	counters serverCounters
	// causes limits the why/fix blocks of failed handshakes in the log.
	causes *causeLimiter

	// Tracing: every connection gets its own tracer (the renderers follow
	// one connection at a time), writing whole lines to traceOut.
	traceOut   io.Writer
	traceMu    sync.Mutex
	connNumber atomic.Int64
}

// connectionConfig returns the Config for one connection: the shared one,
// or a copy with that connection's tracer when --trace or --diagram-out
// is set.
// connectionConfig gives each connection its own Config whose tracer
// feeds the requested renderers and a diagnose.Recorder, so that a failed
// handshake can be explained from what the client actually sent.
func (s *server) connectionConfig(peer string) (*clasp.Config, *observation) {
	o := &s.opts.traceOptions
	if (o.kind == "" || o.kind == traceNone) && o.diagramOut == "" {
		obs := &observation{recorder: diagnose.NewRecorder()}
		cfg := s.config.Clone()
		cfg.Tracer = obs.recorder
		return cfg, obs
	}
	n := s.connNumber.Add(1)
	var out io.Writer = &linePrefixer{mu: &s.traceMu, w: s.traceOut, prefix: peer + " "}
	if o.kind == traceJSON {
		// JSON lines must stay JSON; each object is written whole.
		out = &lockedWriter{mu: &s.traceMu, w: s.traceOut}
	}
	file := ""
	if o.diagramOut != "" {
		file = numberedFile(o.diagramOut, n)
	}
	obs, err := o.observe(out, file)
	if err != nil {
		// check() accepted the options, so this cannot happen; serve the
		// connection untraced rather than refuse it.
		s.logger.Printf("%s %s trace: %v", timestamp(), peer, err)
		return s.config, nil
	}
	obs.recorder = diagnose.NewRecorder()
	cfg := s.config.Clone()
	cfg.Tracer = trace.Tee(obs.tracer, obs.recorder)
	return cfg, obs
}

// lockedWriter makes each Write whole with respect to the other
// connections' output.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (s *server) track(c net.Conn, add bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if add {
		s.conns[c] = struct{}{}
	} else {
		delete(s.conns, c)
	}
}

func (s *server) shutdown(grace time.Duration) {
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		return
	case <-time.After(grace):
	}
	s.forcedClose.Store(true)
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	<-done
}

func timestamp() string { return time.Now().UTC().Format(time.RFC3339) }

func (s *server) handle(raw net.Conn) {
	defer s.wg.Done()
	defer s.track(raw, false)
	peer := raw.RemoteAddr().String()
	cfg, obs := s.connectionConfig(peer)
	cfg = cfg.Clone()
	if s.sessions != nil && s.sessions.shared != nil {
		cfg.SessionTicketKey = s.sessions.ticketKey()
	}
	watch := &renegotiationWatcher{s: s, peer: peer}
	cfg.Tracer = trace.Tee(cfg.Tracer, watch)
	conn := clasp.Server(raw, cfg)
	defer conn.Close()

	// Config.HandshakeTimeout (--handshake-timeout) bounds it, and every
	// renegotiation after it.
	err := conn.Handshake()
	if err := obs.finish(); err != nil {
		s.logger.Printf("%s %s %v", timestamp(), peer, err)
	}
	if err != nil {
		s.counters.handshakesFailed.Add(1)
		var timeout *clasp.HandshakeTimeoutError
		if errors.As(err, &timeout) {
			s.counters.handshakeTimeouts.Add(1)
		}
		s.logHandshakeFailure(peer, err, diagnose.ExplainIn(s.opts.lang, err, obs.recorderOrNil(), "server", time.Now(), cfg))
		return
	}
	s.counters.handshakesDone.Add(1)
	// The recorder is there to explain a failed first handshake; a
	// connection held for hours need not keep its events (about 3 KiB).
	if r := obs.recorderOrNil(); r != nil {
		r.Reset()
	}
	st := conn.ConnectionState()
	s.logger.Printf("%s %s %s", timestamp(), peer, handshakeLine(st))

	switch s.opts.mode {
	case modeEcho:
		err := s.echo(conn, peer, watch)
		var timeout *clasp.HandshakeTimeoutError
		var ne net.Error
		switch {
		case err != nil && s.forcedClose.Load():
			s.logger.Printf("%s %s echo: closed by the shutdown", timestamp(), peer)
		case errors.As(err, &timeout):
			s.logger.Printf("%s %s renegotiation failed: %s", timestamp(), peer, oneLine(err.Error()))
		case errors.As(err, &ne) && ne.Timeout() && s.opts.idleTimeout > 0:
			s.counters.idleClosed.Add(1)
			s.logger.Printf("%s %s idle for %s (--idle-timeout): closing", timestamp(), peer, s.opts.idleTimeout)
		case err != nil:
			s.logger.Printf("%s %s echo: %s", timestamp(), peer, oneLine(err.Error()))
		}
	case modeHTTP:
		if st.NegotiatedProtocol == clasphttp.ProtoHTTP2 {
			s.serveHTTP2(conn, peer)
			return
		}
		s.serveHTTP(conn, st, peer, watch)
	}
}

// handshakeLine describes a completed handshake for the server's log.
func handshakeLine(st clasp.ConnectionState) string {
	line := clasp.VersionName(st.Version) + " " + st.CipherSuiteName
	if st.CurveID != 0 {
		line += " " + st.CurveID.String()
		if isHybridPQ(st.CurveID) {
			line += " (hybrid post-quantum)"
		}
	}
	if st.DidHelloRetryRequest {
		line += " after HelloRetryRequest"
	}
	if st.DidResume {
		line += ", resumed by " + orNone(st.ResumedBy, "an abbreviated handshake") + ","
	}
	if st.ServerName != "" {
		line += " sni=" + st.ServerName
	}
	if st.ECHAccepted {
		line += " (encrypted client hello)"
	}
	if st.NegotiatedProtocol != "" {
		line += " alpn=" + st.NegotiatedProtocol
	}
	if len(st.PSKIdentity) > 0 {
		line += fmt.Sprintf(" psk-identity=%q", st.PSKIdentity)
	}
	if st.PeerRawPublicKey != nil {
		line += " client-raw-key=" + spkiFingerprint(st.PeerRawPublicKey)
	}
	if len(st.PeerCertificates) > 0 {
		line += fmt.Sprintf(" client-cert=%q", st.PeerCertificates[0].Subject.String())
		if len(st.VerifiedChains) > 0 {
			line += " (verified)"
		} else {
			line += " (not verified)"
		}
	}
	for _, w := range st.Warnings {
		line += "; warning: " + w
	}
	return line
}

// echo sends every byte back until the client closes. With
// --hello-request-after N, once N bytes have come in it echoes them and
// then renegotiates, once per connection.
func (s *server) echo(conn *clasp.Conn, peer string, watch *renegotiationWatcher) error {
	// One record's plaintext at most: a Read never returns more, and every
	// connection holds this buffer for as long as it is open.
	buf := make([]byte, 16<<10)
	var total int64
	pending := s.opts.helloRequestAfter > 0
	askCertificate := s.opts.phaAuth != nil
	for {
		s.idleDeadline(conn.SetReadDeadline)
		n, err := conn.Read(buf)
		if n > 0 {
			total += int64(n)
			s.idleDeadline(conn.SetWriteDeadline)
			if _, werr := conn.Write(buf[:n]); werr != nil {
				return werr
			}
			if askCertificate {
				askCertificate = false
				s.requestClientCertificate(conn, peer)
			}
			if pending && total >= int64(s.opts.helloRequestAfter) {
				pending = false
				if !s.renegotiate(conn, peer, watch, fmt.Sprintf("--hello-request-after %d: %d bytes read", s.opts.helloRequestAfter, total)) {
					return nil
				}
			}
		}
		if err == io.EOF {
			return nil // the client's close_notify; Close answers it
		}
		if err != nil {
			return err
		}
	}
}

// requestClientCertificate sends the post-handshake CertificateRequest
// of --post-handshake-auth; the client's answer comes through the next
// Reads, and the watcher logs it (or Read fails with the alert).
func (s *server) requestClientCertificate(conn *clasp.Conn, peer string) {
	policy := *s.opts.phaAuth
	if err := conn.RequestClientCertificate(policy); err != nil {
		s.logger.Printf("%s %s no post-handshake certificate request: %s", timestamp(), peer, oneLine(err.Error()))
		return
	}
	s.logger.Printf("%s %s sent a post-handshake CertificateRequest (--post-handshake-auth %s)", timestamp(), peer, s.opts.postHandshakeAuth)
}

// idleDeadline gives the next read or write --idle-timeout to make
// progress. A renegotiation the client starts inside Read has
// --handshake-timeout as well.
func (s *server) idleDeadline(set func(time.Time) error) {
	if s.opts.idleTimeout > 0 {
		_ = set(time.Now().Add(s.opts.idleTimeout))
	}
}

// renegotiate runs a server-initiated renegotiation and logs how it went.
// It reports whether the connection can go on.
func (s *server) renegotiate(conn *clasp.Conn, peer string, watch *renegotiationWatcher, why string) bool {
	st := conn.ConnectionState()
	switch {
	case st.Version >= clasp.VersionTLS13:
		s.logger.Printf("%s %s no HelloRequest (%s): %s has no renegotiation", timestamp(), peer, why, clasp.VersionName(st.Version))
		return true
	case !st.SecureRenegotiation:
		s.logger.Printf("%s %s no HelloRequest (%s): the client did not signal RFC 5746 secure renegotiation, and insecure renegotiation is refused", timestamp(), peer, why)
		return true
	}
	s.logger.Printf("%s %s sending HelloRequest (%s)", timestamp(), peer, why)
	ctx, cancel := context.WithTimeout(context.Background(), s.opts.handshakeTimeout)
	watch.serverInitiated.Store(true)
	err := conn.Renegotiate(ctx, s.opts.renegAuth)
	watch.serverInitiated.Store(false)
	cancel()
	switch {
	case err != nil && strings.Contains(err.Error(), "(no_renegotiation)"):
		// A refusal is a warning: the connection goes on under its
		// first handshake (RFC 5246 §7.2.2).
		s.logger.Printf("%s %s the client refused to renegotiate (no_renegotiation warning); going on with the first handshake", timestamp(), peer)
		return true
	case err != nil:
		s.logger.Printf("%s %s renegotiation failed: %s", timestamp(), peer, oneLine(explainTimeoutServe(err, s.opts.handshakeTimeout).Error()))
		return false
	}
	s.logger.Printf("%s %s renegotiated (server-initiated, handshake %d): %s", timestamp(), peer, watch.handshakes.Load(), handshakeLine(conn.ConnectionState()))
	return true
}

// explainTimeoutServe says which limit a timed-out renegotiation hit.
func explainTimeoutServe(err error, limit time.Duration) error {
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return fmt.Errorf("%w (the client did not complete a new handshake within --handshake-timeout %s)", err, limit)
	}
	return err
}

// renegotiationWatcher follows one connection's handshakes through its
// tracer, so that renegotiations the client starts are logged too: the
// server's code sees nothing of them otherwise (they happen inside Read).
type renegotiationWatcher struct {
	s               *server
	peer            string
	handshakes      atomic.Int64
	serverInitiated atomic.Bool
}

// Trace must not call back into the connection (it holds its locks).
func (w *renegotiationWatcher) Trace(e trace.Event) {
	switch e := e.(type) {
	case *trace.Decision:
		w.decision(e)
	case *trace.Done:
		n := w.handshakes.Add(1)
		if n > 1 && !w.serverInitiated.Load() {
			line := e.Version + " " + e.CipherSuite
			if e.Group != "" {
				line += " " + e.Group
			}
			if e.Resumed {
				line += ", resumed"
			}
			w.s.logger.Printf("%s %s renegotiated (client-initiated, handshake %d): %s", timestamp(), w.peer, n, line)
		}
	}
}

// decision logs the decisions a server makes after the handshake.
func (w *renegotiationWatcher) decision(e *trace.Decision) {
	switch {
	case e.What == "renegotiation" && e.Chosen == "refused":
		w.s.logger.Printf("%s %s refused the client's renegotiation (no_renegotiation warning): %s", timestamp(), w.peer, e.Reason)
	case e.What == "post_handshake_auth" && e.Chosen == "none":
		w.s.logger.Printf("%s %s post-handshake authentication: the client sent no certificate", timestamp(), w.peer)
	case e.What == "post_handshake_auth":
		w.s.logger.Printf("%s %s post-handshake authentication: client certificate %s (%s)", timestamp(), w.peer, e.Chosen, e.Reason)
	}
}

// ticketDescription is the "session tickets:" line of the log.
func ticketDescription(cfg *clasp.Config, setup *sessionSetup) string {
	if cfg.SessionTicketsDisabled {
		return "off (--no-tickets): TLS 1.2 resumes by session ID only, TLS 1.3 not at all"
	}
	rotation := cfg.TicketKeyRotation
	if rotation == 0 {
		rotation = 24 * time.Hour
	}
	base := "a base key of this process only"
	if setup.shared != nil {
		base = "the base key shared through the session store"
	}
	ids := ""
	if cfg.SessionIDsDisabled {
		ids = "; no TLS 1.2 session IDs (--no-session-ids)"
	}
	return fmt.Sprintf("on, keys rotate every %s, derived from %s%s", rotation, base, ids)
}

func clientAuthDescription(o *serveOptions) string {
	d := o.clientAuth
	if o.clientCA != "" {
		d += ", CAs from " + o.clientCA
	}
	if o.renegAuth != nil {
		d += "; " + clientAuthName(*o.renegAuth) + " in the renegotiation --hello-request-after starts"
	}
	if o.phaAuth != nil {
		d += "; " + clientAuthName(*o.phaAuth) + " after the handshake in TLS 1.3 (--post-handshake-auth)"
	}
	return d
}

func renegotiationDescription(cfg *clasp.Config, o *serveOptions) string {
	var parts []string
	switch cfg.Renegotiation {
	case clasp.RenegotiateOnceAsClient:
		parts = append(parts, "a client may renegotiate once per connection")
	case clasp.RenegotiateFreelyAsClient:
		limit := cfg.MaxRenegotiations
		if limit == 0 {
			limit = 3
		}
		parts = append(parts, fmt.Sprintf("a client may renegotiate up to %d times per connection", limit))
	}
	switch {
	case o.helloRequestAfter > 0 && o.mode == modeHTTP:
		parts = append(parts, "HelloRequest after the request")
	case o.helloRequestAfter > 0:
		parts = append(parts, fmt.Sprintf("HelloRequest after %d bytes from the client", o.helloRequestAfter))
	}
	return strings.Join(parts, "; ")
}

// serveHTTP reads one request and answers it with a page about the
// connection. Reading the request first matters: closing with unread data
// makes some TCP stacks reset the connection, and the client would lose the
// answer.
func (s *server) serveHTTP(conn *clasp.Conn, st clasp.ConnectionState, peer string, watch *renegotiationWatcher) {
	conn.SetReadDeadline(time.Now().Add(s.opts.handshakeTimeout))
	req, err := http.ReadRequest(bufio.NewReader(conn))
	if err == io.EOF {
		// A client that only wanted the handshake (clasp connect from a
		// terminal, a certificate check) is not an error.
		s.logger.Printf("%s %s http: closed without a request", timestamp(), peer)
		return
	}
	if err != nil {
		s.logger.Printf("%s %s http: reading the request: %s", timestamp(), peer, oneLine(err.Error()))
		return
	}
	if s.opts.helloRequestAfter > 0 {
		if !s.renegotiate(conn, peer, watch, "--hello-request-after 1: "+req.Method+" "+req.RequestURI) {
			return
		}
		st = conn.ConnectionState()
	}
	body := connectionPage(st, req, peer)
	resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		len(body), body)
	conn.SetWriteDeadline(time.Now().Add(s.opts.handshakeTimeout))
	if _, err := io.WriteString(conn, resp); err != nil {
		s.logger.Printf("%s %s http: writing the response: %s", timestamp(), peer, oneLine(err.Error()))
	}
}

// connectionPage describes a connection the way `openssl s_server -www`
// does: every negotiated parameter, one per line.
func connectionPage(st clasp.ConnectionState, req *http.Request, peer string) string {
	var b strings.Builder
	row := func(name, value string) {
		fmt.Fprintf(&b, "%-24s %s\n", html.EscapeString(name+":"), html.EscapeString(value))
	}
	b.WriteString("<!DOCTYPE html>\n<html><head><title>clasp: your TLS connection</title></head><body>\n")
	b.WriteString("<h1>Your TLS connection</h1>\n<pre>\n")
	row("request", req.Method+" "+req.RequestURI+" "+req.Proto)
	row("client address", peer)
	row("protocol", clasp.VersionName(st.Version))
	row("cipher suite", fmt.Sprintf("%s (0x%04X)", st.CipherSuiteName, st.CipherSuite))
	group := "none"
	if st.CurveID != 0 {
		group = st.CurveID.String()
		if isHybridPQ(st.CurveID) {
			group += " (hybrid post-quantum: ML-KEM + ECDH)"
		}
	}
	row("group", group)
	if st.Version == clasp.VersionTLS13 {
		row("hello retry request", yesNo(st.DidHelloRetryRequest))
	}
	row("resumed", orNone(resumptionMechanism(st), "no (full handshake)"))
	row("signature scheme", orNone(signatureDescription(st), "none"))
	row("ALPN", orNone(st.NegotiatedProtocol, "none"))
	row("extended master secret", yesNo(st.ExtendedMasterSecret))
	row("secure renegotiation", yesNo(st.SecureRenegotiation))
	row("client SNI", orNone(st.ServerName, "none"))
	if len(st.PSKIdentity) > 0 {
		row("pre-shared key", fmt.Sprintf("%q", st.PSKIdentity))
	}
	if st.PeerRawPublicKey != nil {
		row("client raw public key", "SHA-256 "+spkiFingerprint(st.PeerRawPublicKey))
	}
	if st.ECHAccepted {
		row("encrypted client hello", "accepted: the SNI above came inside it")
	}
	if len(st.PeerCertificates) == 0 {
		row("client certificate", "none")
	} else {
		leaf := st.PeerCertificates[0]
		row("client certificate", leaf.Subject.String())
		row("  issued by", leaf.Issuer.String())
		row("  verified", yesNo(len(st.VerifiedChains) > 0))
	}
	for _, w := range st.Warnings {
		row("warning", w)
	}
	b.WriteString("</pre>\n</body></html>\n")
	return b.String()
}

// indent prefixes every line of a block, so that a diagnosis in the server
// log stays attached to the connection it explains.
func indent(block, prefix string) string {
	lines := strings.Split(strings.TrimRight(block, "\n"), "\n")
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "\n")
}

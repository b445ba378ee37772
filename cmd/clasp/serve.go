package main

import (
	"bufio"
	"context"
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
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/trace"
)

type serveOptions struct {
	tlsOptions
	traceOptions
	addr             string
	certFile         string
	keyFile          string
	mode             string
	handshakeTimeout time.Duration
	shutdownGrace    time.Duration
}

// Server modes.
const (
	modeEcho = "echo"
	modeHTTP = "http"
)

func newServeCommand() *cobra.Command {
	opts := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run a TLS server that echoes data or describes each connection over HTTP",
		Long: `Run a TLS server on --addr.

  --mode echo  sends every byte back until the client closes.
  --mode http  answers one HTTP request per connection with a page describing
               the connection (protocol, suite, group, signature scheme, ALPN,
               extended master secret, the client's SNI and certificate), like
               "openssl s_server -www", then closes.

Without --cert and --key, a fresh self-signed ECDSA P-256 certificate for
localhost, 127.0.0.1 and ::1 is made in memory; its SHA-256 fingerprint is
printed so that clients can pin it.

One line per handshake goes to stderr: the time, the client's address and the
negotiated protocol and suite, or why the handshake failed. "listening on
ADDR" is printed once the server accepts connections. SIGINT or SIGTERM stops
it: the listener closes, connections in progress get a few seconds to finish,
and clasp exits with status 0.

` + exitCodesHelp,
		Example: `  clasp serve
  clasp serve --mode http --addr 127.0.0.1:4433 &  curl -k https://127.0.0.1:4433/
  clasp serve --cert server.pem --key server.key --ciphers ECDHE-RSA-AES128-GCM-SHA256
  clasp serve --addr 127.0.0.1:0     # any free port; see "listening on"
  clasp serve --trace=state          # each connection's states on stderr, prefixed by its address
  clasp serve --diagram-out hs.svg   # hs-1.svg, hs-2.svg, ... one per connection`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, opts) },
	}
	flags := cmd.Flags()
	opts.registerNegotiation(flags, false)
	flags.StringVar(&opts.addr, "addr", "127.0.0.1:8443", "address to listen on (port 0 picks a free port)")
	flags.StringVar(&opts.certFile, "cert", "", "PEM certificate chain (default: a generated self-signed certificate)")
	flags.StringVar(&opts.keyFile, "key", "", "PEM private key of --cert")
	flags.StringVar(&opts.mode, "mode", modeEcho, "what to do after the handshake: echo or http")
	flags.DurationVar(&opts.handshakeTimeout, "handshake-timeout", 10*time.Second, "time a client has to complete the handshake")
	flags.DurationVar(&opts.shutdownGrace, "shutdown-grace", 3*time.Second, "time connections in progress get to finish on SIGINT/SIGTERM")
	opts.registerTracing(flags, "")
	return cmd
}

func (o *serveOptions) serverConfig(stderr io.Writer) (*clasp.Config, error) {
	if o.mode != modeEcho && o.mode != modeHTTP {
		return nil, usageErrorf("--mode %q: want echo or http", o.mode)
	}
	cfg := &clasp.Config{}
	warnings, err := o.apply(cfg)
	if err != nil {
		return nil, err
	}
	if o.mode == modeHTTP && cfg.NextProtos == nil {
		// Only HTTP/1.1 is spoken here; offering it lets clients that send
		// ALPN (curl, browsers) settle on it rather than guess.
		cfg.NextProtos = []string{"http/1.1"}
	}
	if (o.certFile == "") != (o.keyFile == "") {
		return nil, usageErrorf("--cert and --key go together")
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
	cfg.Certificates = []clasp.Certificate{cert}
	printWarnings(stderr, warnings)
	return cfg, nil
}

func runServe(cmd *cobra.Command, opts *serveOptions) error {
	stderr := cmd.ErrOrStderr()
	if err := opts.check(); err != nil {
		return err
	}
	cfg, err := opts.serverConfig(stderr)
	if err != nil {
		return err
	}
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
	srv := &server{config: cfg, opts: opts, logger: log.New(stderr, "", 0), conns: map[net.Conn]struct{}{}, traceOut: stderr}
	fmt.Fprintf(stderr, "listening on %s (mode %s)\n", ln.Addr(), opts.mode)

	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	for {
		raw, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			// A failed Accept (out of file descriptors, say) is worth a
			// line and a pause, not the end of the server.
			srv.logger.Printf("%s accept: %v", timestamp(), err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		srv.track(raw, true)
		srv.wg.Add(1)
		go srv.handle(raw)
	}
	fmt.Fprintln(stderr, "shutting down")
	srv.shutdown(opts.shutdownGrace)
	return nil
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
	conn := clasp.Server(raw, cfg)
	defer conn.Close()

	ctx, cancel := context.WithTimeout(context.Background(), s.opts.handshakeTimeout)
	err := conn.HandshakeContext(ctx)
	cancel()
	if err := obs.finish(); err != nil {
		s.logger.Printf("%s %s %v", timestamp(), peer, err)
	}
	if err != nil {
		s.logger.Printf("%s %s handshake failed: %s", timestamp(), peer, oneLine(err.Error()))
		if d := diagnose.ExplainWithConfig(err, obs.recorderOrNil(), "server", time.Now(), cfg); d != nil {
			s.logger.Print(indent(d.Text(), peer+" "))
		}
		return
	}
	st := conn.ConnectionState()
	line := fmt.Sprintf("%s %s %s %s", timestamp(), peer, clasp.VersionName(st.Version), st.CipherSuiteName)
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
		line += ", resumed by " + resumptionMechanism(st) + ","
	}
	if st.ServerName != "" {
		line += " sni=" + st.ServerName
	}
	if st.NegotiatedProtocol != "" {
		line += " alpn=" + st.NegotiatedProtocol
	}
	for _, w := range st.Warnings {
		line += "; warning: " + w
	}
	s.logger.Print(line)

	switch s.opts.mode {
	case modeEcho:
		// io.Copy ends at the client's close_notify; Close then answers it.
		_, err := io.Copy(conn, conn)
		switch {
		case err != nil && s.forcedClose.Load():
			s.logger.Printf("%s %s echo: closed by the shutdown", timestamp(), peer)
		case err != nil:
			s.logger.Printf("%s %s echo: %s", timestamp(), peer, oneLine(err.Error()))
		}
	case modeHTTP:
		s.serveHTTP(conn, st, peer)
	}
}

// serveHTTP reads one request and answers it with a page about the
// connection. Reading the request first matters: closing with unread data
// makes some TCP stacks reset the connection, and the client would lose the
// answer.
func (s *server) serveHTTP(conn *clasp.Conn, st clasp.ConnectionState, peer string) {
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

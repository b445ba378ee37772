package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp"
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
  SSLKEYLOGFILE=keys.log clasp connect example.com:443`,
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
	cfg, verification, warnings, err := opts.clientConfig(addr)
	if err != nil {
		return err
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
	cfg.Tracer = obs.tracer

	// The dialer's timeout covers the TCP connection and the handshake.
	conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: opts.timeout}, "tcp", addr, cfg)
	if finishErr := obs.finish(); err == nil && finishErr != nil {
		err = finishErr
	}
	if err != nil {
		return explainTimeout(err, opts.timeout)
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
	if !piped {
		return nil
	}
	return relay(conn, cmd.InOrStdin(), stdout)
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

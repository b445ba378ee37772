package main

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"time"

	"github.com/spf13/cobra"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

type demoOptions struct {
	tlsOptions
	traceOptions
	clientAuth bool
}

// demoTimeout bounds the whole demo: both ends are in this process, so
// anything slower than this is a bug, not a slow network.
const demoTimeout = 10 * time.Second

// demoMessage is what the client sends and the server echoes.
const demoMessage = "hello"

func newDemoCommand() *cobra.Command {
	opts := &demoOptions{}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run a TLS client and server in this process and tell the handshake step by step",
		Long: `Run a client and a server in this one process, over loopback, and tell what
happens at each step of the TLS handshake: every message with who sends it to
whom and the real values it carries (the offer in order, the randoms, the
certificates, the key shares, Finished); every choice either side makes and
why; where the premaster and master secrets come from; the moment each side
switches to encryption. Then the negotiated parameters and a short round trip
of application data.

--trace chooses how the handshake is shown (story by default, in --lang);
both sides' events go to the one renderer, which shows each message once.

Nothing is read from or written to disk: a throwaway CA, a server certificate
and (with --client-auth) a client certificate are made in memory.

The demo tells the classic TLS 1.2 full handshake by default, the one
tutorials draw and the one that shows every message (ServerKeyExchange,
ClientKeyExchange, ChangeCipherSpec) on the wire, even though clasp itself
speaks TLS 1.3 by default. --tls1.3 (or --max-version 1.3) shows TLS 1.3
instead: key shares in the hellos, everything after the ServerHello
encrypted, and the ticket the server sends afterwards. The first line of
the output says which one runs and how to see the other.

--ciphers, --groups and the version flags apply to both sides. A server key of
the kind the suites need is generated (RSA when only RSA-authenticated suites
are listed, ECDSA otherwise).

` + exitCodesHelp,
		Example: `  clasp demo
  clasp demo --client-auth
  clasp demo --tls1.3
  clasp demo --tls1.3 --groups x25519
  clasp demo --ciphers TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA --groups secp256r1
  clasp demo --lang zh
  clasp demo --trace=diagram --diagram-out handshake.mmd`,
		Args: exactArgs(0),
		RunE: func(cmd *cobra.Command, _ []string) error { return runDemo(cmd, opts) },
	}
	opts.registerNegotiation(cmd.Flags(), false)
	opts.registerVersionShorthands(cmd.Flags())
	cmd.Flags().BoolVar(&opts.clientAuth, "client-auth", false, "the server requires a client certificate (mutual TLS)")
	opts.registerTracing(cmd.Flags(), traceStory)
	return cmd
}

// demoDefaultsToTLS12 reports whether no version flag was given, so that
// the demo tells the TLS 1.2 handshake people learn from rather than
// clasp's TLS 1.3 default.
func (o *demoOptions) demoDefaultsToTLS12() bool {
	return !o.tls12 && !o.tls13 && o.minVersion == "" && o.maxVersion == ""
}

// demoPKI is the in-memory CA and the certificates it issued.
type demoPKI struct {
	ca, server, client *issuedCertificate
	pool               *x509.CertPool
}

func newDemoPKI(serverRSA, withClient bool) (*demoPKI, error) {
	ca, err := issue(certificateTemplate{commonName: "clasp demo CA", isCA: true}, nil)
	if err != nil {
		return nil, err
	}
	server, err := issue(certificateTemplate{commonName: "localhost", usage: x509.ExtKeyUsageServerAuth,
		dnsNames: localDNSNames, ips: localIPs, keyType: rsaIf(serverRSA)}, ca)
	if err != nil {
		return nil, err
	}
	pki := &demoPKI{ca: ca, server: server, pool: x509.NewCertPool()}
	pki.pool.AddCert(ca.cert)
	if withClient {
		if pki.client, err = issue(certificateTemplate{commonName: "clasp demo client", usage: x509.ExtKeyUsageClientAuth}, ca); err != nil {
			return nil, err
		}
	}
	return pki, nil
}

// needsRSAServerKey reports whether the listed suites leave an RSA key as
// the only way to authenticate the server.
func needsRSAServerKey(ids []uint16) bool {
	if len(ids) == 0 {
		return false
	}
	for _, id := range ids {
		if s := suites.SuiteByID(suites.ID(id)); s != nil && s.Auth == suites.AuthECDSA {
			return false
		}
	}
	return true
}

func runDemo(cmd *cobra.Command, opts *demoOptions) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := opts.check(); err != nil {
		return err
	}
	// Both sides get the same negotiation options; each needs its own
	// Config because the certificates and roles differ.
	serverCfg, clientCfg := &clasp.Config{}, &clasp.Config{}
	warnings, err := opts.apply(serverCfg)
	if err != nil {
		return err
	}
	if _, err := opts.apply(clientCfg); err != nil {
		return err
	}
	printWarnings(stderr, warnings)
	classic := opts.demoDefaultsToTLS12()
	if classic {
		serverCfg.MaxVersion, clientCfg.MaxVersion = clasp.VersionTLS12, clasp.VersionTLS12
	}

	pki, err := newDemoPKI(needsRSAServerKey(serverCfg.CipherSuites), opts.clientAuth)
	if err != nil {
		return err
	}
	keyLog, err := opts.openKeyLog(stderr)
	if err != nil {
		return err
	}
	defer keyLog.Close()
	// Both ends log the same secrets; one end is enough for Wireshark.
	keyLog.apply(clientCfg)
	// One renderer sees both ends: it tells each message once, from its
	// sender, and its lock keeps the two goroutines' events in the order
	// they happened.
	obs, err := opts.observe(stdout, opts.diagramOut)
	if err != nil {
		return err
	}
	serverCfg.Certificates = []clasp.Certificate{pki.server.chain(pki.ca)}
	serverCfg.NextProtos = []string{"http/1.1"}
	serverCfg.Tracer = obs.tracer
	clientCfg.RootCAs = pki.pool
	clientCfg.ServerName = "localhost"
	clientCfg.NextProtos = []string{"http/1.1"}
	clientCfg.Tracer = obs.tracer
	if opts.clientAuth {
		serverCfg.ClientAuth = clasp.RequireAndVerifyClientCert
		serverCfg.ClientCAs = pki.pool
		clientCfg.Certificates = []clasp.Certificate{pki.client.chain(pki.ca)}
	}

	switch {
	case classic:
		fmt.Fprintf(stdout, "clasp demo: the classic TLS 1.2 full handshake, every message on the wire (run clasp demo --tls1.3 to see TLS 1.3, clasp's default)\n")
	case clientCfg.MaxVersion == 0 || clientCfg.MaxVersion == clasp.VersionTLS13:
		fmt.Fprintf(stdout, "clasp demo: TLS 1.3, everything after the ServerHello encrypted (run clasp demo without version flags for the classic TLS 1.2 handshake)\n")
	default:
		fmt.Fprintf(stdout, "clasp demo: %s at most, as the version flags say (run clasp demo --tls1.3 to see TLS 1.3)\n", clasp.VersionName(clientCfg.MaxVersion))
	}
	fmt.Fprintf(stdout, "a TLS client and server in one process, over loopback\n")
	fmt.Fprintf(stdout, "server certificate: %q (%s key), issued by %q, a CA made for this run\n",
		pki.server.cert.Subject.CommonName, pki.server.cert.PublicKeyAlgorithm, pki.ca.cert.Subject.CommonName)
	if opts.clientAuth {
		fmt.Fprintf(stdout, "client certificate: %q, issued by the same CA; the server requires it\n", pki.client.cert.Subject.CommonName)
	}

	result, err := runDemoConnection(serverCfg, clientCfg)
	if err != nil {
		return err
	}
	if err := obs.finish(); err != nil {
		return err
	}

	if result.clientErr != nil || result.serverErr != nil {
		// The client's error is the one a user of `clasp connect` would see;
		// the server's usually says more about why, so report both.
		return errors.Join(result.clientErr, result.serverErr)
	}
	fmt.Fprintf(stdout, "\nNegotiated (as the client sees it):\n")
	summarize(result.clientState, "verified against the demo CA", true).writeText(stdout)
	fmt.Fprintf(stdout, "%-24s sent %q, the server echoed %q\n", "round trip:", demoMessage, result.echoed)
	return nil
}

// demoResult is what both ends of the demo connection saw.
type demoResult struct {
	clientState, serverState clasp.ConnectionState
	clientErr, serverErr     error
	echoed                   string
}

// runDemoConnection runs one handshake and one echo between a server and
// a client over a loopback socket. Errors of either side are returned in the
// result; the error return is for failures outside TLS (the socket itself).
func runDemoConnection(serverCfg, clientCfg *clasp.Config) (*demoResult, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listening on loopback: %w", err)
	}
	defer ln.Close()
	ctx, cancel := context.WithTimeout(context.Background(), demoTimeout)
	defer cancel()

	res := &demoResult{}
	serverDone := make(chan struct{})
	go func() {
		defer close(serverDone)
		raw, err := ln.Accept()
		if err != nil {
			res.serverErr = err
			return
		}
		conn := clasp.Server(raw, serverCfg)
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(demoTimeout))
		if res.serverErr = conn.HandshakeContext(ctx); res.serverErr != nil {
			return
		}
		res.serverState = conn.ConnectionState()
		buf := make([]byte, len(demoMessage))
		if _, err := io.ReadFull(conn, buf); err != nil {
			res.serverErr = fmt.Errorf("server reading application data: %w", err)
			return
		}
		if _, err := conn.Write(buf); err != nil {
			res.serverErr = fmt.Errorf("server echoing application data: %w", err)
		}
	}()

	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", ln.Addr().String())
	if err != nil {
		return nil, fmt.Errorf("connecting over loopback: %w", err)
	}
	conn := clasp.Client(raw, clientCfg)
	conn.SetDeadline(time.Now().Add(demoTimeout))
	res.clientErr = conn.HandshakeContext(ctx)
	res.clientState = conn.ConnectionState()
	if res.clientErr == nil {
		res.echoed, res.clientErr = roundTrip(conn)
	}
	conn.Close()
	<-serverDone
	return res, nil
}

func roundTrip(conn *clasp.Conn) (string, error) {
	if _, err := io.WriteString(conn, demoMessage); err != nil {
		return "", fmt.Errorf("client sending application data: %w", err)
	}
	buf := make([]byte, len(demoMessage))
	if _, err := io.ReadFull(conn, buf); err != nil {
		return "", fmt.Errorf("client reading the echo: %w", err)
	}
	return string(buf), nil
}

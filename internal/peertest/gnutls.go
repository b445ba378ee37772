package peertest

import (
	"net"
	"strconv"
	"testing"
)

// StartGnuTLSServer starts gnutls-serv with leaf's certificate and key and
// the given priority string (GnuTLSPriority gives one for a single TLS 1.2
// suite; "" keeps GnuTLS's default), and waits until it listens:
//
//	gnutls-serv -p PORT --x509certfile LEAF.pem --x509keyfile LEAF.key
//	    --priority PRIORITY EXTRA...
//
// Pass --echo (echo each line back, never close) or --http (answer a GET
// with an HTTP status page, then close) in extraArgs.
//
// Quirks: gnutls-serv has no listen-address option and binds the wildcard
// address (0.0.0.0 and ::); tests still connect only to 127.0.0.1. It sends
// a CertificateRequest by default (clients may answer with no certificate);
// pass --disable-client-cert to leave it out, or --require-client-cert with
// --x509cafile PKI.CACertFile --verify-client-cert for mutual TLS. DHE works
// without --dhparams: GnuTLS picks an RFC 7919 group.
func StartGnuTLSServer(t testing.TB, leaf *Leaf, priority string, extraArgs ...string) *Process {
	t.Helper()
	Require(t, "gnutls-serv")
	return startServer(t, "gnutls-serv", nil, func(port int) []string {
		args := []string{"-p", strconv.Itoa(port),
			"--x509certfile", leaf.CertFile, "--x509keyfile", leaf.KeyFile}
		if priority != "" {
			args = append(args, "--priority", priority)
		}
		return append(args, extraArgs...)
	})
}

// RunGnuTLSClient runs gnutls-cli against addr, feeding it stdin, and
// returns its combined output:
//
//	gnutls-cli -p PORT HOST --x509cafile CA.pem --sni-hostname localhost
//	    --verify-hostname localhost ARGS...
//
// Pass --priority (GnuTLSPriority) to pin a suite. The server certificate is
// verified against the PKI's CA and the name "localhost". At end-of-file on
// stdin gnutls-cli closes its side and still prints what the server sends
// until it closes. Useful output: "- Description: (TLS1.2-X.509)-(ECDHE-...)-
// (...)-(AES-128-GCM)", "- Handshake was completed", "*** Fatal error: ...".
func RunGnuTLSClient(t testing.TB, addr string, stdin string, args ...string) (string, error) {
	t.Helper()
	Require(t, "gnutls-cli")
	host, port := splitAddr(t, addr)
	pki := NewPKI(t)
	argv := []string{"-p", port, host, "--x509cafile", pki.CACertFile,
		"--sni-hostname", "localhost", "--verify-hostname", "localhost"}
	return runClient(t, "gnutls-cli", nil, stdin, append(argv, args...))
}

func splitAddr(t testing.TB, addr string) (host, port string) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatalf("peertest: bad address %q: %v", addr, err)
	}
	return host, port
}

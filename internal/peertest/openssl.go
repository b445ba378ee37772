package peertest

import (
	"net"
	"strconv"
	"testing"
)

// StartOpenSSLServer starts `openssl s_server` on 127.0.0.1 with leaf's
// certificate and key and waits until it listens:
//
//	openssl s_server -accept 127.0.0.1:PORT -cert LEAF.pem -key LEAF.key EXTRA...
//
// Callers choose the rest with extraArgs:
//   - the response mode: -www (answers any request with an HTTP status page
//     naming the protocol and cipher, then closes), -rev (echoes each line
//     reversed), or nothing (prints what the client sends; lines written
//     with Process.Send go to the client, "r\n"/"R\n" renegotiate);
//   - version and suite: OpenSSLCipherArgs, or -tls1_2 / -tls1_3, -cipher
//     (TLS 1.2 suites, OpenSSL names), -ciphersuites (TLS 1.3);
//   - -groups, -sigalgs, -no_ticket, -no_etm, -serverpref, -naccept N;
//   - client authentication: -Verify 1 (require) or -verify 1 (request),
//     with -CAfile PKI.CACertFile.
//
// The server runs until the test ends (or Process.Stop).
func StartOpenSSLServer(t testing.TB, leaf *Leaf, extraArgs ...string) *Process {
	t.Helper()
	Require(t, "openssl")
	return startServer(t, "openssl", nil, func(port int) []string {
		args := []string{"s_server",
			"-accept", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
			"-cert", leaf.CertFile, "-key", leaf.KeyFile}
		return append(args, extraArgs...)
	})
}

// RunOpenSSLClient runs `openssl s_client` against addr, feeding it stdin,
// and returns its combined output:
//
//	openssl s_client -connect ADDR -servername localhost -CAfile CA.pem
//	    -verify_return_error -verify_hostname localhost ARGS...
//
// The server certificate is verified against the PKI's CA and the name
// "localhost"; a verification failure is a non-zero exit.
//
// s_client quits as soon as stdin reaches end-of-file, usually before the
// server's answer arrives. To read the answer pass -ign_eof, which makes it
// wait until the server closes the connection, and use a server that closes
// (s_server -www, gnutls-serv --http, selfserv, or an in-process server that
// closes after answering); against one that keeps the connection open the
// run ends with the 20 s timeout.
//
// Useful output: "Protocol  : TLSv1.2", "Cipher    : NAME" (OpenSSL name),
// "Verify return code: 0 (ok)", "Reused, TLSv1.2, ..." for resumption.
// Beware that the "New, TLSv1.0, Cipher is X" line shows the version that
// introduced the cipher, not the negotiated one.
func RunOpenSSLClient(t testing.TB, addr string, stdin string, args ...string) (string, error) {
	t.Helper()
	Require(t, "openssl")
	pki := NewPKI(t)
	argv := []string{"s_client", "-connect", addr, "-servername", "localhost",
		"-CAfile", pki.CACertFile, "-verify_return_error", "-verify_hostname", "localhost"}
	return runClient(t, "openssl", nil, stdin, append(argv, args...))
}

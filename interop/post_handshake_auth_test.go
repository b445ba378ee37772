package interop

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Post-handshake client authentication (RFC 8446 §4.6.2) with OpenSSL,
// both ways. crypto/tls implements none, so OpenSSL is the one peer.

// A clasp server asks OpenSSL's s_client (-enable_pha) for a certificate
// after the handshake and verifies what it sends.
func TestPostHandshakeAuthClaspServerOpenSSLClient(t *testing.T) {
	pki := peertest.NewPKI(t)
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
		MinVersion: clasp.VersionTLS13, ClientCAs: pki.CAPool})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	result := make(chan clasp.ConnectionState, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		c := conn.(*clasp.Conn)
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(15 * time.Second))
		if c.Handshake() != nil || c.RequestClientCertificate(clasp.RequireAndVerifyClientCert) != nil {
			result <- clasp.ConnectionState{}
			return
		}
		io.WriteString(c, "asked\n")
		// The answer is read inside Read, which then waits for data that
		// may never come (s_client's line may have come first): read in
		// short slices until the verified chain is there. A Read that
		// times out leaves the connection usable.
		buf := make([]byte, 512)
		for end := time.Now().Add(10 * time.Second); len(c.ConnectionState().PeerCertificates) == 0 && time.Now().Before(end); {
			_ = c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			if _, err := c.Read(buf); err != nil && !isTimeout(err) {
				break
			}
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		result <- c.ConnectionState()
		io.WriteString(c, "verified\n")
	}()
	out, err := peertest.RunOpenSSLClient(t, ln.Addr().String(), "from s_client\n", "-tls1_3", "-enable_pha",
		"-cert", pki.Client.CertFile, "-key", pki.Client.KeyFile, "-ign_eof")
	st := <-result
	if len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 || st.PeerCertificates[0].Subject.CommonName != "peertest client" {
		t.Fatalf("the clasp server has %d certificates, %d verified chains after the request; s_client: %v\n%s",
			len(st.PeerCertificates), len(st.VerifiedChains), err, out)
	}
	if !strings.Contains(out, "verified") {
		t.Errorf("s_client did not get the server's answer:\n%s", out)
	}
}

// OpenSSL's s_server asks a clasp client (which offers post_handshake_auth
// because it has a certificate) with its "c" command; s_server verifies the
// answer: after the command its log shows the chain verified again
// ("verify return:1") and "SSL_do_handshake -> 1".
func TestPostHandshakeAuthOpenSSLServerClaspClient(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-verify", "1", "-CAfile", pki.CACertFile, "-verify_return_error")
	conn, err := clasp.Dial("tcp", srv.Addr, &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost",
		Certificates: []clasp.Certificate{claspCert(pki.Client)}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	go io.Copy(io.Discard, conn) // the client answers inside Read
	if !srv.WaitOutput("verify return:1", 10*time.Second) {
		t.Fatalf("s_server did not verify the handshake's certificate:\n%s", srv.Output())
	}
	time.Sleep(200 * time.Millisecond) // let the handshake's verify lines all arrive
	before := len(srv.Output())
	if err := srv.Send("c\n"); err != nil {
		t.Fatal(err)
	}
	if !srv.WaitOutput("SSL_do_handshake -> 1", 10*time.Second) || !strings.Contains(srv.Output()[before:], "verify return:1") {
		t.Fatalf("s_server did not verify a post-handshake certificate; after the c command:\n%s", srv.Output()[before:])
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

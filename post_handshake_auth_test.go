package clasp

import (
	"bufio"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// phaPair connects a clasp client and server over loopback TCP (the
// client's answer and the server's reads cross, which net.Pipe would
// deadlock) and returns both after their handshakes.
func phaPair(t *testing.T, client, server *Config) (*Conn, *Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	raw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sraw, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	_ = raw.SetDeadline(deadline)
	_ = sraw.SetDeadline(deadline)
	c, s := Client(raw, client), Server(sraw, server)
	t.Cleanup(func() { c.Close(); s.Close() })
	done := make(chan error, 1)
	go func() { done <- s.Handshake() }()
	if err := c.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	return c, s
}

// RFC 8446 §4.6.2 between clasp peers: the server asks after the
// handshake, the client (which offered post_handshake_auth because it has
// a certificate) answers while it reads, and the server's next read sees
// the verified chain.
func TestPostHandshakeAuthBetweenClaspPeers(t *testing.T) {
	p := testCerts(t)
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.Certificates = []Certificate{p.clientECDSA}
	server.ClientCAs = p.caPool
	st := postHandshakeAuth(t, client, server)
	if len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 || !strings.Contains(st.PeerCertificates[0].Subject.String(), "client") {
		t.Fatalf("after post-handshake auth the server has %d certificates, %d verified chains", len(st.PeerCertificates), len(st.VerifiedChains))
	}
}

// postHandshakeAuth completes a handshake, has the server request a
// certificate (RequireAndVerifyClientCert) and exchange a line each way,
// and returns the server's state after the client's answer.
func postHandshakeAuth(t *testing.T, client, server *Config) ConnectionState {
	t.Helper()
	c, s := phaPair(t, client, server)
	if st := s.ConnectionState(); len(st.PeerCertificates) != 0 {
		t.Fatalf("a client certificate before any request: %v", st.PeerCertificates)
	}
	if err := s.RequestClientCertificate(RequireAndVerifyClientCert); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Write([]byte("hello\n")); err != nil {
		t.Fatal(err)
	}
	go func() {
		// The client answers the request inside Read (it comes before
		// the server's line), then sends a line of its own.
		if line, err := bufio.NewReader(c).ReadString('\n'); err == nil && line == "hello\n" {
			c.Write([]byte("after the request\n"))
		}
	}()
	line, err := bufio.NewReader(s).ReadString('\n')
	if err != nil || line != "after the request\n" {
		t.Fatalf("server read %q, %v", line, err)
	}
	return s.ConnectionState()
}

// A client without post_handshake_auth must refuse a post-handshake
// CertificateRequest with unexpected_message (RFC 8446 §4.6.2), and a
// server cannot send one to it.
func TestPostHandshakeAuthNeedsTheExtension(t *testing.T) {
	client, server := testClientConfig13(t), testServerConfig13(t)
	c, s := phaPair(t, client, server)
	if err := s.RequestClientCertificate(RequireAnyClientCert); err == nil || !strings.Contains(err.Error(), "post_handshake_auth") {
		t.Fatalf("RequestClientCertificate to a client without the extension: %v", err)
	}
	// Force the request through, as a server that ignores the rule would:
	// the client refuses it before it looks at any transcript.
	s.phaBase = keys.NewTranscript()
	s.phaBase.SetHash(suites.VersionTLS13, s.state.suite.PRFHash)
	if err := s.RequestClientCertificate(RequireAnyClientCert); err != nil {
		t.Fatal(err)
	}
	_, err := c.Read(make([]byte, 1))
	wantFailure(t, "client", err, wire.AlertUnexpectedMessage)
	_, err = s.Read(make([]byte, 1))
	wantReceivedAlert(t, "server", err, wire.AlertUnexpectedMessage)
}

// wantFailure checks that a failure after the handshake carries desc, the
// alert the failing side sent.
func wantFailure(t *testing.T, side string, err error, desc wire.AlertDescription) {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) || we.Alert != desc {
		t.Fatalf("%s: %v, want a failure with %s", side, err, desc)
	}
}

// A required certificate that the client does not have ends the
// connection with certificate_required (RFC 8446 §4.4.2.4).
func TestPostHandshakeAuthRequiredButNotSent(t *testing.T) {
	p := testCerts(t)
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.GetClientCertificate = func(*CertificateRequestInfo) (*Certificate, error) { return &Certificate{}, nil }
	server.ClientCAs = p.caPool
	c, s := phaPair(t, client, server)
	if err := s.RequestClientCertificate(RequireAndVerifyClientCert); err != nil {
		t.Fatal(err)
	}
	clientErr := make(chan error, 1)
	go func() {
		_, err := io.Copy(io.Discard, c)
		clientErr <- err
	}()
	_, err := io.ReadAll(s)
	wantFailure(t, "server", err, wire.AlertCertificateRequired)
	wantReceivedAlert(t, "client", <-clientErr, wire.AlertCertificateRequired)
}

// RFC 8740 §3: HTTP/2 forbids post-handshake client authentication. A
// client whose connection negotiated h2 refuses a post-handshake
// CertificateRequest (the connection ends with unexpected_message) even
// though it offered post_handshake_auth, which it must since the server
// could have chosen http/1.1; over http/1.1 it answers as usual.
func TestPostHandshakeAuthRefusedOverHTTP2(t *testing.T) {
	p := testCerts(t)
	for _, proto := range []string{"h2", "http/1.1"} {
		t.Run(proto, func(t *testing.T) {
			client, server := testClientConfig13(t), testServerConfig13(t)
			client.Certificates = []Certificate{p.clientECDSA}
			client.NextProtos = []string{"h2", "http/1.1"}
			server.NextProtos = []string{proto}
			server.ClientCAs = p.caPool
			c, s := phaPair(t, client, server)
			if err := s.RequestClientCertificate(RequireAndVerifyClientCert); err != nil {
				t.Fatalf("RequestClientCertificate: %v (the client offered post_handshake_auth)", err)
			}
			clientErr := make(chan error, 1)
			go func() {
				_, err := c.Read(make([]byte, 1))
				clientErr <- err
			}()
			if proto == "http/1.1" {
				if _, err := s.Write([]byte("x")); err != nil {
					t.Fatal(err)
				}
				if err := <-clientErr; err != nil {
					t.Fatalf("client over http/1.1: %v", err)
				}
				if _, err := c.Write([]byte("y")); err != nil {
					t.Fatal(err)
				}
				if _, err := s.Read(make([]byte, 1)); err != nil {
					t.Fatal(err)
				}
				if len(s.ConnectionState().VerifiedChains) == 0 {
					t.Errorf("over http/1.1 the server has no verified client chain after its request")
				}
				return
			}
			err := <-clientErr
			wantFailure(t, "client", err, wire.AlertUnexpectedMessage)
			if !strings.Contains(err.Error(), "RFC 8740") {
				t.Errorf("client error %q does not say why", err)
			}
			_, err = s.Read(make([]byte, 1))
			wantReceivedAlert(t, "server", err, wire.AlertUnexpectedMessage)
		})
	}
}

// A client that offers h2 alone does not offer post_handshake_auth, since
// no request could ever be answered: the server cannot ask.
func TestPostHandshakeAuthNotOfferedWithOnlyHTTP2(t *testing.T) {
	p := testCerts(t)
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.Certificates = []Certificate{p.clientECDSA}
	client.NextProtos = []string{"h2"}
	server.NextProtos = []string{"h2"}
	_, s := phaPair(t, client, server)
	if err := s.RequestClientCertificate(RequireAnyClientCert); err == nil || !strings.Contains(err.Error(), "post_handshake_auth") {
		t.Fatalf("RequestClientCertificate to an h2-only client: %v, want the extension missing", err)
	}
}

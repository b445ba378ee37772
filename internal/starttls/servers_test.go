package starttls

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// realServers are the real servers each protocol beyond the mail ones is
// proven against; start(tls=false) gives the same server without the
// upgrade.
var realServers = []struct {
	protocol string
	start    func(t testing.TB, leaf *peertest.Leaf, tls bool) *peertest.Process
	// refusal is part of the error Negotiate must give when the server
	// does not offer or refuses the upgrade.
	refusal string
}{
	{"ftp", peertest.StartVsftpd, "refused AUTH TLS"},
	{"ldap", peertest.StartSlapd, "refused StartTLS"},
	{"postgres", peertest.StartPostgres, "does not accept SSL"},
	{"xmpp", peertest.StartProsody, "does not offer STARTTLS"},
}

func dialServer(t *testing.T, addr string) net.Conn {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	return conn
}

// Against vsftpd (FTP, RFC 4217, with a multi-line greeting), slapd (LDAP
// StartTLS, RFC 4511 §4.14), Prosody (XMPP, RFC 6120 §5) and PostgreSQL
// (SSLRequest): after NegotiateFor a clasp handshake completes and the
// chain verifies against the test CA.
func TestNegotiateWithRealServers(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, srv := range realServers {
		t.Run(srv.protocol, func(t *testing.T) {
			p := srv.start(t, pki.ECDSA, true)
			conn := dialServer(t, p.Addr)
			if err := NegotiateFor(conn, srv.protocol, peertest.XMPPDomain); err != nil {
				t.Fatalf("%v\n--- server output ---\n%s", err, p.Output())
			}
			tc := clasp.Client(conn, &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost"})
			if err := tc.Handshake(); err != nil {
				t.Fatalf("TLS after %s STARTTLS: %v\n--- server output ---\n%s", srv.protocol, err, p.Output())
			}
			if got := tc.ConnectionState().PeerCertificates[0].Subject; got.String() != pki.ECDSA.Cert.Subject.String() {
				t.Errorf("the server's certificate is %s, not the test leaf", got)
			}
		})
	}
}

// The same servers without TLS configured: vsftpd answers AUTH TLS with a
// refusal, slapd answers StartTLS with an error resultCode, PostgreSQL
// answers 'N', Prosody offers no <starttls/>. Each is a clear error, not a
// ClientHello sent into a plain-text protocol.
func TestNegotiateRefusedByRealServers(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, srv := range realServers {
		t.Run(srv.protocol, func(t *testing.T) {
			p := srv.start(t, pki.ECDSA, false)
			conn := dialServer(t, p.Addr)
			err := NegotiateFor(conn, srv.protocol, peertest.XMPPDomain)
			if err == nil || !strings.Contains(err.Error(), "starttls") || !strings.Contains(err.Error(), srv.refusal) {
				t.Fatalf("%s without TLS: got %v, want an error with %q\n--- server output ---\n%s", srv.protocol, err, srv.refusal, p.Output())
			}
			t.Logf("%s: %v", srv.protocol, err)
		})
	}
}

// RFC 6120 §4.9.3.6: a stream to a domain the server does not host ends in
// <host-unknown/>, which Negotiate names.
func TestXMPPUnknownDomainWithProsody(t *testing.T) {
	pki := peertest.NewPKI(t)
	p := peertest.StartProsody(t, pki.ECDSA, true)
	conn := dialServer(t, p.Addr)
	err := NegotiateFor(conn, "xmpp", "not-hosted.example")
	if err == nil || !strings.Contains(err.Error(), "host-unknown") {
		t.Fatalf("a stream to a domain Prosody does not host: %v", err)
	}
}

// OpenSSL's own STARTTLS client (s_client -starttls) completes a verified
// handshake with the same servers, so they are the upgrade as another
// implementation speaks it too. (Against the servers without TLS s_client
// mostly waits for its timeout instead of failing, so only success is
// compared.)
func TestOpenSSLAgreesOnRealServers(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, srv := range realServers {
		t.Run(srv.protocol, func(t *testing.T) {
			p := srv.start(t, pki.ECDSA, true)
			args := []string{"-starttls", srv.protocol}
			if srv.protocol == "xmpp" {
				args = append(args, "-xmpphost", peertest.XMPPDomain)
			}
			out, err := peertest.RunOpenSSLClient(t, p.Addr, "", args...)
			if err != nil || !strings.Contains(out, "Verify return code: 0 (ok)") || !strings.Contains(out, "Cipher is TLS_") {
				t.Fatalf("openssl s_client -starttls %s: %v\n%s", srv.protocol, err, out)
			}
		})
	}
}

package starttls

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	peertest.RemovePostgresTemplate()
	os.Exit(code)
}

// Against nginx's mail proxy, a real STARTTLS server: after Negotiate the
// TLS handshake completes and the chain verifies.
func TestNegotiateWithNginx(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, proto := range Protocols() {
		t.Run(proto, func(t *testing.T) {
			srv := peertest.StartNginxMail(t, pki.ECDSA, proto, "on")
			conn, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if err := Negotiate(conn, proto); err != nil {
				t.Fatal(err)
			}
			tc := clasp.Client(conn, &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost"})
			if err := tc.Handshake(); err != nil {
				t.Fatalf("TLS after %s STARTTLS: %v", proto, err)
			}
		})
	}
}

// A server that does not offer the upgrade gets a clear error, not a
// ClientHello it cannot read.
func TestNegotiateWithoutSTARTTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, proto := range Protocols() {
		t.Run(proto, func(t *testing.T) {
			srv := peertest.StartNginxMail(t, pki.ECDSA, proto, "off")
			conn, err := net.DialTimeout("tcp", srv.Addr, 5*time.Second)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			err = Negotiate(conn, proto)
			if err == nil || !strings.Contains(err.Error(), "starttls") {
				t.Errorf("%s without STARTTLS: %v", proto, err)
			}
		})
	}
	if err := Negotiate(nil, "gopher"); err == nil {
		t.Error("an unknown protocol was accepted")
	}
}

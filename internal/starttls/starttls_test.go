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

// mailProtocols are the protocols nginx's mail proxy serves; realServers
// (servers_test.go) has a real server for each of the others.
var mailProtocols = []string{"imap", "pop3", "smtp"}

// Every protocol Negotiate speaks is proven against a real server.
func TestEveryProtocolHasARealServer(t *testing.T) {
	proven := map[string]bool{}
	for _, p := range mailProtocols {
		proven[p] = true
	}
	for _, s := range realServers {
		proven[s.protocol] = true
	}
	for _, p := range Protocols() {
		if !proven[p] {
			t.Errorf("%s has no real server in the tests", p)
		}
	}
	if len(proven) != len(Protocols()) {
		t.Errorf("the tests name servers for %d protocols, Negotiate speaks %d", len(proven), len(Protocols()))
	}
}

// Against nginx's mail proxy, a real STARTTLS server: after Negotiate the
// TLS handshake completes and the chain verifies.
func TestNegotiateWithNginx(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, proto := range mailProtocols {
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
	for _, proto := range mailProtocols {
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

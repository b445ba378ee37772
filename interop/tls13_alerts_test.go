package interop

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// A TLS 1.3 client that rejects the server's certificate has processed the
// ServerHello, so the server reads its records — the alert included —
// under client_handshake_traffic_secret (RFC 8446 §5.1, §7.3). These tests
// check that a real server reads clasp's alert as the alert it is.

// certificateRejections are client configs that make clasp reject the PKI's
// server certificate after the ServerHello, and the alert it sends.
var certificateRejections = []struct {
	name      string
	configure func(cfg *clasp.Config)
	alert     string         // clasp's name for the alert
	openssl   string         // what s_server logs on receiving it
	goAlert   tls.AlertError // what crypto/tls reports receiving
}{
	{"unknown CA", func(cfg *clasp.Config) { cfg.RootCAs = x509.NewCertPool() }, "unknown_ca", "alert unknown ca", 48},
	{"wrong name", func(cfg *clasp.Config) { cfg.ServerName = "other.example" }, "bad_certificate", "alert bad certificate", 42},
}

// wantClaspSent checks that the clasp client's handshake failed and sent
// the named alert.
func wantClaspSent(t *testing.T, conn *clasp.Conn, err error, alert string) {
	t.Helper()
	if err == nil {
		conn.Close()
		t.Fatal("clasp client accepted the server's certificate")
	}
	he := asHandshakeError(err)
	if he == nil || !he.AlertSent || clasp.AlertError(he.Alert).Name() != alert {
		t.Fatalf("clasp client: %v, want a handshake error that sent %s", err, alert)
	}
}

// TestTLS13ClaspClientAlertReadableByOpenSSLServer: `openssl s_server
// -tls1_3` logs the alert clasp sent, not "bad record mac" or "bad record
// type". (OpenSSL 3.0 also reads an unprotected alert until it has read
// the client's first protected record, its ENC_READ_STATE_ALLOW_PLAIN_ALERTS
// leniency, so this case passed before clasp protected its alert; the
// crypto/tls case below did not.)
func TestTLS13ClaspClientAlertReadableByOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, tc := range certificateRejections {
		t.Run(tc.name, func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, "-tls1_3", "-naccept", "1")
			cfg := claspClient13(pki, "")
			tc.configure(cfg)
			conn, err := clasp.Dial("tcp", srv.Addr, cfg)
			wantClaspSent(t, conn, err, tc.alert)
			if !srv.WaitOutput(tc.openssl, 10*time.Second) {
				t.Fatalf("s_server did not log %q:\n%s", tc.openssl, srv.Output())
			}
			for _, bad := range []string{"bad record mac", "bad record type", "decryption failed"} {
				if strings.Contains(srv.Output(), bad) {
					t.Errorf("s_server log mentions %q:\n%s", bad, srv.Output())
				}
			}
		})
	}
}

// TestTLS13ClaspClientAlertReadableByCryptoTLSServer: crypto/tls reads
// nothing unprotected once it has handshake keys (an unprotected alert is
// its own unexpected_message), so its handshake error shows whether clasp's
// alert came under the key it reads with: it must be the remote alert.
func TestTLS13ClaspClientAlertReadableByCryptoTLSServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range certificateRejections {
		t.Run(tc.name, func(t *testing.T) {
			addr, results := goServe13(t, goServer13(pki.ECDSA), 1, nil)
			cfg := claspClient13(pki, "")
			tc.configure(cfg)
			conn, err := clasp.Dial("tcp", addr, cfg)
			wantClaspSent(t, conn, err, tc.alert)
			res := nextGoResult(t, results)
			// Before the fix: "local error: tls: bad record MAC".
			if want := "remote error: " + tc.goAlert.Error(); res.err == nil || res.err.Error() != want {
				t.Fatalf("crypto/tls server: %v, want %q", res.err, want)
			}
		})
	}
}

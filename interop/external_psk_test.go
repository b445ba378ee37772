package interop

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// TLS 1.3 external PSKs (RFC 8446 §4.2.11) with OpenSSL's -psk and
// -psk_identity (SHA-256, TLS_AES_128_GCM_SHA256), both ways, with no
// certificate on either side.
func TestExternalPSKWithOpenSSL(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	t.Run("openssl server", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, peertest.NewPKI(t).ECDSA, "-tls1_3", "-nocert", "-psk", hex.EncodeToString(key),
			"-psk_identity", "sensor-12", "-www", "-quiet")
		cfg := &clasp.Config{ServerName: "localhost", MinVersion: clasp.VersionTLS13,
			ExternalPSKs: []clasp.ExternalPSK{{Identity: []byte("sensor-12"), Key: key}}}
		body, st := claspGet(t, srv.Addr, cfg)
		if !strings.Contains(body, "200 ok") || string(st.PSKIdentity) != "sensor-12" || len(st.PeerCertificates) != 0 {
			t.Errorf("answer %q, PSK identity %q, %d certificates", firstLine(body), st.PSKIdentity, len(st.PeerCertificates))
		}
	})
	t.Run("openssl client", func(t *testing.T) {
		addr, results := startClaspServer(t, &clasp.Config{MinVersion: clasp.VersionTLS13,
			GetExternalPSK: func(identity []byte) (*clasp.ExternalPSK, error) {
				if string(identity) != "sensor-12" {
					return nil, nil
				}
				return &clasp.ExternalPSK{Identity: identity, Key: key}, nil
			}}, 1)
		out, err := peertest.RunOpenSSLClient(t, addr, "over a PSK\n", "-tls1_3", "-psk", hex.EncodeToString(key),
			"-psk_identity", "sensor-12", "-ign_eof")
		res := <-results
		if err != nil || res.err != nil || res.line != "over a PSK" || string(res.state.PSKIdentity) != "sensor-12" {
			t.Errorf("s_client %v, server %v, line %q, identity %q\n%s", err, res.err, res.line, res.state.PSKIdentity, out)
		}
	})
}

// An identity the PSK-only server does not know, both ways with OpenSSL 3:
// TLS 1.3 has no unknown_psk_identity alert, and a server that accepts no
// PSK goes on with a full handshake (RFC 8446 §4.2.11), which neither
// server can do without a certificate, so each ends it with
// handshake_failure (§4.1.1). clasp does what s_server -nocert -psk does.
func TestExternalPSKUnknownIdentityWithOpenSSL(t *testing.T) {
	key := bytes.Repeat([]byte{0x42}, 32)
	t.Run("openssl server", func(t *testing.T) {
		srv := peertest.StartOpenSSLServer(t, peertest.NewPKI(t).ECDSA, "-tls1_3", "-nocert", "-psk", hex.EncodeToString(key),
			"-psk_identity", "sensor-12", "-www", "-quiet")
		cfg := &clasp.Config{ServerName: "localhost", MinVersion: clasp.VersionTLS13,
			ExternalPSKs: []clasp.ExternalPSK{{Identity: []byte("sensor-13"), Key: key}}}
		_, err := clasp.Dial("tcp", srv.Addr, cfg)
		if name, sent := alertName(err); name != "handshake_failure" || sent {
			t.Errorf("clasp client error %v, want s_server's handshake_failure", err)
		}
	})
	t.Run("openssl client", func(t *testing.T) {
		addr, results := startClaspServer(t, &clasp.Config{MinVersion: clasp.VersionTLS13,
			GetExternalPSK: func(identity []byte) (*clasp.ExternalPSK, error) {
				if string(identity) != "sensor-12" {
					return nil, nil
				}
				return &clasp.ExternalPSK{Identity: identity, Key: key}, nil
			}}, 1)
		out, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_3", "-psk", hex.EncodeToString(key), "-psk_identity", "sensor-13")
		res := <-results
		if name, sent := alertName(res.err); err == nil || name != "handshake_failure" || !sent || !strings.Contains(out, "alert handshake failure") {
			t.Errorf("s_client %v, clasp server %v (alert %q sent %v)\n%s", err, res.err, name, sent, out)
		}
	})
}

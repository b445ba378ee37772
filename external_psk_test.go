package clasp

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/wire"
)

// A TLS 1.3 handshake on an external PSK (RFC 8446 §4.2.11): no
// certificate on either side, a server with no Certificates at all, the
// identity reported on both sides, and psk_dhe_ke's fresh key exchange.
func TestExternalPSKWithoutCertificates(t *testing.T) {
	key := bytes.Repeat([]byte{0x5a}, 32)
	client := &Config{ServerName: "device-7", MinVersion: VersionTLS13,
		ExternalPSKs: []ExternalPSK{{Identity: []byte("device-7"), Key: key}}}
	server := &Config{MinVersion: VersionTLS13, GetExternalPSK: func(identity []byte) (*ExternalPSK, error) {
		if string(identity) != "device-7" {
			return nil, nil
		}
		return &ExternalPSK{Identity: identity, Key: key}, nil
	}}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	res.exchange(t)
	for side, st := range map[string]ConnectionState{"client": res.clientState, "server": res.serverState} {
		if string(st.PSKIdentity) != "device-7" || st.DidResume || len(st.PeerCertificates) != 0 || st.CurveID == 0 {
			t.Errorf("%s: PSK identity %q, resumed %v, %d certificates, group %v", side, st.PSKIdentity, st.DidResume, len(st.PeerCertificates), st.CurveID)
		}
	}
}

// A wrong key fails at the binder (RFC 8446 §4.2.11.2: decrypt_error);
// an unknown identity leaves a server without certificates nothing to
// offer. RFC 8446 §4.2.11 has such a server go on with a full handshake,
// which it cannot do without a certificate; §4.1.1 ends a handshake whose
// parameters cannot be negotiated with handshake_failure, and OpenSSL 3
// (s_server -nocert -psk, another identity) sends handshake_failure too:
// not internal_error, which would blame the server.
func TestExternalPSKMismatch(t *testing.T) {
	client := &Config{ServerName: "x", MinVersion: VersionTLS13,
		ExternalPSKs: []ExternalPSK{{Identity: []byte("id"), Key: bytes.Repeat([]byte{1}, 32)}}}
	server := &Config{MinVersion: VersionTLS13, GetExternalPSK: func(identity []byte) (*ExternalPSK, error) {
		return &ExternalPSK{Identity: identity, Key: bytes.Repeat([]byte{2}, 32)}, nil
	}}
	res := testHandshake(t, client, server)
	wantSentAlert(t, "server", res.serverErr, wire.AlertDecryptError)
	wantReceivedAlert(t, "client", res.clientErr, wire.AlertDecryptError)
	server.GetExternalPSK = func([]byte) (*ExternalPSK, error) { return nil, nil }
	res = testHandshake(t, client, server)
	wantSentAlert(t, "server", res.serverErr, wire.AlertHandshakeFailure)
	wantReceivedAlert(t, "client", res.clientErr, wire.AlertHandshakeFailure)
	var ne *NegotiationError
	if !errors.As(res.serverErr, &ne) || ne.What != "pre-shared key" || !slices.Equal(ne.ClientOffered, []string{`"id"`}) {
		t.Errorf("server error %v, want a NegotiationError over the pre-shared key naming \"id\"", res.serverErr)
	}
	// A client with no PSK at all gets the same alert from a PSK-only
	// server.
	res = testHandshake(t, &Config{ServerName: "x", MinVersion: VersionTLS13, InsecureSkipVerify: true}, server)
	wantSentAlert(t, "server", res.serverErr, wire.AlertHandshakeFailure)
}

func TestExternalPSKConfigChecked(t *testing.T) {
	client := &Config{ServerName: "x", MinVersion: VersionTLS13,
		ExternalPSKs: []ExternalPSK{{Identity: []byte("id"), Key: []byte("short")}}}
	if res := testHandshake(t, client, testServerConfig13(t)); res.clientErr == nil {
		t.Error("a 5-byte PSK was offered")
	}
}

// RFC 8446 §4.2.9: psk_ke gives no forward secrecy, so a server uses an
// external PSK in that mode only when its Config names psk_ke (as OpenSSL
// only with -allow_no_dhe_kex); otherwise a server with a certificate
// does a full handshake. Named, it works, and both sides warn.
func TestExternalPSKPlainKERefusedUnlessNamed(t *testing.T) {
	key := bytes.Repeat([]byte{0x33}, 32)
	client := testClientConfig13(t)
	client.ExternalPSKs = []ExternalPSK{{Identity: []byte("plc-4"), Key: key}}
	client.PSKKeyExchangeModes = []uint8{PSKModePlainKE}
	server := testServerConfig13(t)
	server.GetExternalPSK = func(identity []byte) (*ExternalPSK, error) {
		return &ExternalPSK{Identity: identity, Key: key}, nil
	}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if res.clientState.PSKIdentity != nil || len(res.clientState.PeerCertificates) == 0 {
		t.Errorf("a server that does not name psk_ke used the PSK (identity %q)", res.clientState.PSKIdentity)
	}
	server.PSKKeyExchangeModes = []uint8{PSKModeDHEKE, PSKModePlainKE}
	res = testHandshake(t, client, server)
	res.mustSucceed(t)
	st := res.clientState
	if string(st.PSKIdentity) != "plc-4" || st.CurveID != 0 || !strings.Contains(strings.Join(st.Warnings, "\n"), "forward secrecy") {
		t.Errorf("psk_ke named: identity %q, group %v, warnings %q", st.PSKIdentity, st.CurveID, st.Warnings)
	}
}

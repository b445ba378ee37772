package diagnose_test

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/peertest"
)

var diagPSK = bytes.Repeat([]byte{0x5e}, 32)

func pskClient(identity string, key []byte, maxVersion uint16, suites ...uint16) *clasp.Config {
	return &clasp.Config{ServerName: "localhost", MaxVersion: maxVersion, CipherSuites: suites,
		ExternalPSKs: []clasp.ExternalPSK{{Identity: []byte(identity), Key: key}}}
}

// A wrong key, against openssl s_server: in TLS 1.2 the server cannot
// open the client's Finished (bad_record_mac), in TLS 1.3 the binder does
// not verify (RFC 8446 §6.2 names decrypt_error; OpenSSL 3.0 sends
// illegal_parameter, "binder does not verify"). Either way the
// diagnosis names the identity and says the keys differ, in the language
// asked for.
func TestPSKWrongKeyDiagnosis(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, v := range []struct {
		flag, alert string
		version     uint16
	}{{"-tls1_2", "bad_record_mac", clasp.VersionTLS12}, {"-tls1_3", "illegal_parameter", clasp.VersionTLS13}} {
		srv := peertest.StartOpenSSLServer(t, pki.RSA, "-nocert", v.flag, "-psk", hex.EncodeToString(diagPSK),
			"-psk_identity", "meter-1", "-www", "-quiet")
		cfg := pskClient("meter-1", bytes.Repeat([]byte{1}, 32), v.version)
		err, rec := dialClasp(t, srv.Addr, cfg)
		if err == nil {
			t.Fatalf("%s: a wrong key was accepted", v.flag)
		}
		expect(t, diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg), diagnose.CausePSKWrongKey, `"meter-1"`, v.alert, "same key")
		ru := diagnose.ExplainIn("ru", err, rec, "client", time.Now(), cfg)
		expect(t, ru, diagnose.CausePSKWrongKey, "один и тот же ключ")
	}
}

// A TLS 1.2 server with a PSK-only suite the client does not offer by
// default (s_server -cipher PSK-AES128-GCM-SHA256) refuses the hello; the
// diagnosis names the PSK suites offered and the --ciphers that connects.
func TestPSKNoCommonSuiteDiagnosis(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-nocert", "-tls1_2", "-cipher", "PSK-AES128-GCM-SHA256",
		"-psk", hex.EncodeToString(diagPSK), "-psk_identity", "meter-1", "-www", "-quiet")
	cfg := pskClient("meter-1", diagPSK, clasp.VersionTLS12)
	err, rec := dialClasp(t, srv.Addr, cfg)
	if err == nil {
		t.Fatal("a client without the server's only suite connected")
	}
	expect(t, diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg), diagnose.CausePSKNoCommonSuite,
		"TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "--ciphers PSK-AES128-GCM-SHA256", "handshake_failure")
}

// An unknown identity, both sides of a clasp server (openssl s_server's
// own callback takes any identity with its one key, so it cannot show
// this): unknown_psk_identity, RFC 4279 §2. The server's side is seen
// with openssl s_client as the client too.
func TestPSKUnknownIdentityDiagnosis(t *testing.T) {
	scfg := &clasp.Config{MaxVersion: clasp.VersionTLS12, GetExternalPSK: func(id []byte) (*clasp.ExternalPSK, error) {
		if string(id) != "meter-1" {
			return nil, nil
		}
		return &clasp.ExternalPSK{Identity: id, Key: diagPSK}, nil
	}}
	addr, out := serveClaspOnce(t, scfg)
	cfg := pskClient("meter-2", diagPSK, clasp.VersionTLS12)
	err, rec := dialClasp(t, addr, cfg)
	if err == nil {
		t.Fatal("an unknown identity was accepted")
	}
	expect(t, diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg), diagnose.CausePSKUnknownIdentity, `"meter-2"`, "unknown_psk_identity", "--psk-identity")
	o := waitServer(t, out)
	expect(t, diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), scfg), diagnose.CausePSKUnknownIdentity, `"meter-2"`, "--psk-file")

	addr, out = serveClaspOnce(t, scfg)
	if _, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_2", "-psk", hex.EncodeToString(diagPSK), "-psk_identity", "meter-3"); err == nil {
		t.Error("s_client with an unknown identity connected")
	}
	o = waitServer(t, out)
	expect(t, diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), scfg), diagnose.CausePSKUnknownIdentity, `"meter-3"`)
}

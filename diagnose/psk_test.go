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

// TLS 1.3 has no unknown_psk_identity alert. A PSK-only server that knows
// none of the offered identities cannot go on with a full handshake (RFC
// 8446 §4.2.11) and answers handshake_failure (§4.1.1; openssl s_server
// -nocert -psk does the same, its TLS 1.3 callback taking only its one
// identity). Both sides name the identity: the client against s_server
// and a clasp server, the server against s_client and a clasp client.
func TestPSKUnknownIdentityDiagnosisTLS13(t *testing.T) {
	srv := peertest.StartOpenSSLServer(t, peertest.NewPKI(t).RSA, "-nocert", "-tls1_3", "-psk", hex.EncodeToString(diagPSK),
		"-psk_identity", "meter-1", "-www", "-quiet")
	cfg := pskClient("meter-2", diagPSK, clasp.VersionTLS13)
	err, rec := dialClasp(t, srv.Addr, cfg)
	if err == nil {
		t.Fatal("s_server accepted an identity it does not know")
	}
	expect(t, diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg), diagnose.CausePSKUnknownIdentity,
		`"meter-2"`, "handshake_failure", "RFC 8446 §4.2.11", "--psk-identity")

	scfg := &clasp.Config{MinVersion: clasp.VersionTLS13, GetExternalPSK: func(id []byte) (*clasp.ExternalPSK, error) {
		if string(id) != "meter-1" {
			return nil, nil
		}
		return &clasp.ExternalPSK{Identity: id, Key: diagPSK}, nil
	}}
	addr, out := serveClaspOnce(t, scfg)
	err, rec = dialClasp(t, addr, cfg)
	if err == nil {
		t.Fatal("a clasp server accepted an identity it does not know")
	}
	expect(t, diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg), diagnose.CausePSKUnknownIdentity, `"meter-2"`, "handshake_failure")
	o := waitServer(t, out)
	expect(t, diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), scfg), diagnose.CausePSKUnknownIdentity,
		`"meter-2"`, "handshake_failure", "--psk-file")
	expect(t, diagnose.ExplainIn("zh", o.err, o.rec, "server", time.Now(), scfg), diagnose.CausePSKUnknownIdentity, `"meter-2"`, "没有密钥")

	addr, out = serveClaspOnce(t, scfg)
	if _, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_3", "-psk", hex.EncodeToString(diagPSK), "-psk_identity", "meter-3"); err == nil {
		t.Error("s_client with an unknown identity connected")
	}
	o = waitServer(t, out)
	expect(t, diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), scfg), diagnose.CausePSKUnknownIdentity, `"meter-3"`)
}

// A TLS 1.3 binder that does not verify is a wrong key on the server's
// side too (decrypt_error, RFC 8446 §4.2.11.2), with s_client and with a
// clasp client.
func TestPSKWrongKeyDiagnosisServerTLS13(t *testing.T) {
	scfg := &clasp.Config{MinVersion: clasp.VersionTLS13, GetExternalPSK: func(id []byte) (*clasp.ExternalPSK, error) {
		return &clasp.ExternalPSK{Identity: id, Key: diagPSK}, nil
	}}
	addr, out := serveClaspOnce(t, scfg)
	if _, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_3", "-psk", hex.EncodeToString(bytes.Repeat([]byte{1}, 32)), "-psk_identity", "meter-1"); err == nil {
		t.Error("s_client with a wrong key connected")
	}
	o := waitServer(t, out)
	expect(t, diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), scfg), diagnose.CausePSKWrongKey, `"meter-1"`, "decrypt_error")

	addr, out = serveClaspOnce(t, scfg)
	if err, _ := dialClasp(t, addr, pskClient("meter-4", bytes.Repeat([]byte{1}, 32), clasp.VersionTLS13)); err == nil {
		t.Error("a wrong key was accepted")
	}
	o = waitServer(t, out)
	expect(t, diagnose.ExplainIn("vi", o.err, o.rec, "server", time.Now(), scfg), diagnose.CausePSKWrongKey, `"meter-4"`, "decrypt_error")
}

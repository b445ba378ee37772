package clasp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

var testPSK12 = bytes.Repeat([]byte{0x7c}, 32)

// pskServer12 serves the identities given, mapped to their keys, in TLS
// 1.2 only, with the certificates given (none for a PSK-only server) and
// every PSK suite named (by default it takes only the forward-secret AEAD
// ones).
func pskServer12(keys map[string][]byte, certs ...Certificate) *Config {
	return &Config{MaxVersion: VersionTLS12, Certificates: certs, CipherSuites: pskSuiteList(),
		GetExternalPSK: func(identity []byte) (*ExternalPSK, error) {
			key, ok := keys[string(identity)]
			if !ok {
				return nil, nil
			}
			return &ExternalPSK{Identity: identity, Key: key}, nil
		}}
}

func pskSuiteList() []uint16 {
	var out []uint16
	for _, id := range suites.PSKSuites() {
		out = append(out, uint16(id))
	}
	return out
}

func pskClient12(identity string, key []byte, suite suites.ID) *Config {
	cfg := &Config{ServerName: "device-12", MaxVersion: VersionTLS12,
		ExternalPSKs: []ExternalPSK{{Identity: []byte(identity), Key: key}}}
	if suite != 0 {
		cfg.CipherSuites = []uint16{uint16(suite)}
	}
	return cfg
}

// Every PSK suite completes between two clasp sides and carries data: no
// certificate except for RSA_PSK (RFC 4279 §4), the identity on both
// sides, a group for the (EC)DHE ones, and the warning of RFC 4279 §2's
// missing forward secrecy for plain PSK and RSA_PSK.
func TestPSK12EverySuite(t *testing.T) {
	pki := testCerts(t)
	for _, id := range suites.PSKSuites() {
		s := suites.SuiteByID(id)
		t.Run(s.OpenSSLName, func(t *testing.T) {
			var certs []Certificate
			client := pskClient12("device-12", testPSK12, id)
			if s.KeyExchange == suites.KexRSAPSK {
				certs = []Certificate{pki.rsaLeaf}
				client.RootCAs, client.ServerName = pki.caPool, "localhost"
			}
			res := testHandshake(t, client, pskServer12(map[string][]byte{"device-12": testPSK12}, certs...))
			res.mustSucceed(t)
			res.exchange(t)
			for side, st := range map[string]ConnectionState{"client": res.clientState, "server": res.serverState} {
				if st.CipherSuite != uint16(id) || string(st.PSKIdentity) != "device-12" {
					t.Errorf("%s: suite %s, identity %q", side, st.CipherSuiteName, st.PSKIdentity)
				}
				if wantGroup := s.KeyExchange == suites.KexECDHEPSK || s.KeyExchange == suites.KexDHEPSK; (st.CurveID != 0) != wantGroup {
					t.Errorf("%s: group %v under %s", side, st.CurveID, s.Name)
				}
				if weak := !s.ForwardSecret(); weak != strings.Contains(strings.Join(st.Warnings, "\n"), "forward secrecy") {
					t.Errorf("%s: warnings %q", side, st.Warnings)
				}
			}
			if wantCerts := s.KeyExchange == suites.KexRSAPSK; (len(res.clientState.PeerCertificates) > 0) != wantCerts {
				t.Errorf("client got %d certificates under %s", len(res.clientState.PeerCertificates), s.Name)
			}
		})
	}
}

// A client with a pre-shared key and no suite list offers the
// forward-secret PSK suites, and a PSK-only server with none picks one.
func TestPSK12DefaultsAreForwardSecret(t *testing.T) {
	server := pskServer12(map[string][]byte{"d": testPSK12})
	server.CipherSuites = nil
	res := testHandshake(t, pskClient12("d", testPSK12, 0), server)
	res.mustSucceed(t)
	if s := suites.SuiteByID(suites.ID(res.clientState.CipherSuite)); !s.IsPSK() || !s.ForwardSecret() || len(res.clientState.Warnings) != 0 {
		t.Errorf("default PSK handshake chose %s, warnings %q", res.clientState.CipherSuiteName, res.clientState.Warnings)
	}
}

// GetClientPSK chooses by the server's psk_identity_hint (RFC 4279 §5.2),
// which the server sends in ServerKeyExchange even under plain PSK.
func TestPSK12IdentityHint(t *testing.T) {
	for _, id := range []suites.ID{suites.TLS_PSK_WITH_AES_128_GCM_SHA256, suites.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256} {
		server := pskServer12(map[string][]byte{"gateway-b/device-3": testPSK12})
		server.PSKIdentityHint = []byte("gateway-b")
		var sawHint string
		client := &Config{ServerName: "x", MaxVersion: VersionTLS12, CipherSuites: []uint16{uint16(id)},
			GetClientPSK: func(hint []byte) (*ExternalPSK, error) {
				sawHint = string(hint)
				return &ExternalPSK{Identity: []byte(string(hint) + "/device-3"), Key: testPSK12}, nil
			}}
		res := testHandshake(t, client, server)
		res.mustSucceed(t)
		if sawHint != "gateway-b" || string(res.serverState.PSKIdentity) != "gateway-b/device-3" {
			t.Errorf("%v: hint %q, identity %q", id, sawHint, res.serverState.PSKIdentity)
		}
	}
}

// RFC 4279 §5.3: "TLS implementations MUST support arbitrary PSK
// identities up to 128 octets in length"; the vector allows 2^16-1, and
// clasp takes that whole range. One more byte cannot be encoded and is
// refused before anything is sent.
func TestPSK12LongIdentities(t *testing.T) {
	for _, n := range []int{128, 129, 1000, 1<<16 - 1} {
		identity := strings.Repeat("i", n)
		server := pskServer12(map[string][]byte{identity: testPSK12})
		server.MaxHandshakeSize = 1 << 17 // the longest identity makes a ClientKeyExchange above the 64 KiB default
		res := testHandshake(t, pskClient12(identity, testPSK12, suites.TLS_PSK_WITH_AES_128_GCM_SHA256), server)
		res.mustSucceed(t)
		if len(res.serverState.PSKIdentity) != n {
			t.Errorf("%d-byte identity arrived as %d bytes", n, len(res.serverState.PSKIdentity))
		}
	}
	res := testHandshake(t, pskClient12(strings.Repeat("i", 1<<16), testPSK12, suites.TLS_PSK_WITH_AES_128_GCM_SHA256),
		pskServer12(map[string][]byte{}))
	var ce *configError
	if !errors.As(res.clientErr, &ce) || !strings.Contains(res.clientErr.Error(), "1 to 65535 bytes") {
		t.Errorf("a 65536-byte identity: %v", res.clientErr)
	}
}

// RFC 4279 §2: "If the server does not recognize the PSK identity, it MAY
// respond with an unknown_psk_identity alert message"; OpenSSL 3 does, and
// so does clasp.
func TestPSK12UnknownIdentity(t *testing.T) {
	res := testHandshake(t, pskClient12("stranger", testPSK12, suites.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256),
		pskServer12(map[string][]byte{"device-12": testPSK12}))
	wantSentAlert(t, "server", res.serverErr, wire.AlertUnknownPSKIdentity)
	wantReceivedAlert(t, "client", res.clientErr, wire.AlertUnknownPSKIdentity)
}

// With a wrong key the two sides derive different keys: the server cannot
// open the client's Finished record and answers bad_record_mac (RFC 5246
// §6.2.3.3: a record that fails to deauthenticate). Under a CBC suite
// the MAC check fails the same way.
func TestPSK12WrongKey(t *testing.T) {
	for _, id := range []suites.ID{suites.TLS_PSK_WITH_AES_128_GCM_SHA256, suites.TLS_DHE_PSK_WITH_AES_128_CBC_SHA256} {
		res := testHandshake(t, pskClient12("device-12", bytes.Repeat([]byte{1}, 32), id),
			pskServer12(map[string][]byte{"device-12": testPSK12}))
		wantSentAlert(t, "server", res.serverErr, wire.AlertBadRecordMAC)
		wantReceivedAlert(t, "client", res.clientErr, wire.AlertBadRecordMAC)
	}
}

// A PSK suite named without a key is not offered (the server would wait
// for an identity the client cannot give); when nothing else is left the
// client says so before connecting.
func TestPSK12SuiteWithoutKeyIsNotOffered(t *testing.T) {
	client := &Config{ServerName: "x", MaxVersion: VersionTLS12, CipherSuites: []uint16{uint16(suites.TLS_PSK_WITH_AES_128_GCM_SHA256)}}
	res := testHandshake(t, client, pskServer12(map[string][]byte{"d": testPSK12}))
	var ce *configError
	if !errors.As(res.clientErr, &ce) {
		t.Errorf("a client whose only suite is PSK, without a key: %v", res.clientErr)
	}
	// A server without GetExternalPSK does not pick a PSK suite a client offers.
	client = pskClient12("d", testPSK12, suites.TLS_PSK_WITH_AES_128_GCM_SHA256)
	server := testServerConfig(t)
	server.CipherSuites = pskSuiteList()
	res = testHandshake(t, client, server)
	wantSentAlert(t, "server", res.serverErr, wire.AlertHandshakeFailure)
	if !strings.Contains(res.serverErr.Error(), "GetExternalPSK") {
		t.Errorf("the server's refusal does not say why: %v", res.serverErr)
	}
}

// A key shorter than RFC 9257 §6's 128 bits is refused on the client.
func TestPSK12ShortKeyRefused(t *testing.T) {
	res := testHandshake(t, pskClient12("d", []byte("short"), suites.TLS_PSK_WITH_AES_128_GCM_SHA256),
		pskServer12(map[string][]byte{"d": []byte("short")}))
	var ce *configError
	if !errors.As(res.clientErr, &ce) {
		t.Errorf("a 5-byte key: %v", res.clientErr)
	}
}

// The story of a PSK handshake names the hint, the identity and how the
// premaster joins the key, in every language the story speaks.
func TestPSK12Story(t *testing.T) {
	for _, lang := range []string{"en", "ru", "zh", "vi"} {
		var out bytes.Buffer
		tr, err := trace.NewStoryTracer(&out, lang)
		if err != nil {
			t.Fatal(err)
		}
		server := pskServer12(map[string][]byte{"device-12": testPSK12})
		server.PSKIdentityHint = []byte("plant-7")
		client := pskClient12("device-12", testPSK12, suites.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256)
		client.Tracer = tr
		testHandshake(t, client, server).mustSucceed(t)
		story := out.String()
		if lang == "en" && testing.Verbose() {
			t.Log(story)
		}
		for _, want := range []string{`"plant-7"`, `"device-12"`, "psk_identity_hint", "RFC 4279"} {
			if !strings.Contains(story, want) {
				t.Errorf("%s story lacks %q:\n%s", lang, want, story)
			}
		}
	}
}

// A TLS 1.2 PSK session resumes like any other (the abbreviated handshake
// needs no key exchange); the resumed connection names no identity, as
// ConnectionState.PSKIdentity says for every resumption.
func TestPSK12SessionResumes(t *testing.T) {
	client := pskClient12("device-12", testPSK12, suites.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	server := pskServer12(map[string][]byte{"device-12": testPSK12})
	testHandshake(t, client, server).mustSucceed(t)
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if !res.clientState.DidResume || res.clientState.PSKIdentity != nil || res.clientState.CipherSuite != uint16(suites.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256) {
		t.Errorf("second handshake: resumed %v, identity %q, suite %s", res.clientState.DidResume, res.clientState.PSKIdentity, res.clientState.CipherSuiteName)
	}
}

// The PSK suites are in the public lists: the forward-secret AEAD ones in
// CipherSuites, plain PSK, RSA_PSK and CBC in InsecureCipherSuites.
func TestPSKSuitesListed(t *testing.T) {
	where := map[uint16]bool{}
	for _, cs := range CipherSuites() {
		where[cs.ID] = true
	}
	for _, cs := range InsecureCipherSuites() {
		if where[cs.ID] {
			t.Errorf("%s is listed as both secure and insecure", cs.Name)
		}
	}
	for _, id := range suites.PSKSuites() {
		weak, _ := suites.SuiteByID(id).IsWeak()
		if where[uint16(id)] == weak {
			t.Errorf("%v: weak %v, in CipherSuites %v", id, weak, where[uint16(id)])
		}
	}
}

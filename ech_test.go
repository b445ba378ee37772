package clasp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// echTestKey is an ECH key for the public name "localhost", whose
// certificate the test PKI has; the real server is "a.test".
func echTestKey(t testing.TB, seed byte) (EncryptedClientHelloKey, []byte) {
	t.Helper()
	key, err := GenerateEncryptedClientHelloKey("localhost", testRand(seed))
	if err != nil {
		t.Fatal(err)
	}
	list, err := ECHConfigList([]EncryptedClientHelloKey{key})
	if err != nil {
		t.Fatal(err)
	}
	return key, list
}

func echConfigs(t testing.TB, list []byte, keys ...EncryptedClientHelloKey) (*Config, *Config) {
	p := testCerts(t)
	client := &Config{RootCAs: p.caPool, ServerName: "a.test", EncryptedClientHelloConfigList: list}
	server := &Config{Certificates: []Certificate{p.sniA, p.ecdsaLeaf}, EncryptedClientHelloKeys: keys}
	return client, server
}

func TestECHAccepted(t *testing.T) {
	key, list := echTestKey(t, 1)
	client, server := echConfigs(t, list, key)
	var events []trace.Event
	client.Tracer = trace.TracerFunc(func(e trace.Event) { events = append(events, e) })
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if !res.clientState.ECHAccepted || !res.serverState.ECHAccepted {
		t.Fatalf("ECHAccepted: client %v, server %v", res.clientState.ECHAccepted, res.serverState.ECHAccepted)
	}
	if res.serverState.ServerName != "a.test" || res.clientState.PeerCertificates[0].Subject.CommonName != "a.test" {
		t.Fatalf("server name %q, certificate %q", res.serverState.ServerName, res.clientState.PeerCertificates[0].Subject.CommonName)
	}
	res.exchange(t)
	// The trace shows both hellos: the inner one first (not on the wire),
	// then the outer one that names the public name.
	var hellos []string
	for _, e := range events {
		if m, ok := e.(*trace.Message); ok {
			if ch, ok := m.Parsed.(*wire.ClientHello); ok {
				hellos = append(hellos, hostNameOf(ch))
			}
		}
	}
	if len(hellos) != 2 || hellos[0] != "a.test" || hellos[1] != "localhost" {
		t.Fatalf("traced hellos %v, want inner a.test then outer localhost", hellos)
	}
}

func TestECHAcceptedAfterHelloRetryRequest(t *testing.T) {
	key, list := echTestKey(t, 2)
	client, server := echConfigs(t, list, key)
	server.CurvePreferences = []CurveID{CurveP256} // the client's first share is X25519MLKEM768
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if !res.clientState.ECHAccepted || !res.clientState.HelloRetryRequest || res.serverState.ServerName != "a.test" {
		t.Fatalf("ECHAccepted %v, HRR %v, server name %q", res.clientState.ECHAccepted, res.clientState.HelloRetryRequest, res.serverState.ServerName)
	}
	res.exchange(t)
}

// RFC 9849 §6.1.6, §7.1: a server that cannot decrypt answers the outer
// hello and sends its retry configs; the client authenticates the public
// name, then ends with ech_required and ECHRejectionError.
func TestECHRejectedWithRetryConfigs(t *testing.T) {
	_, stale := echTestKey(t, 3)
	current, currentList := echTestKey(t, 4)
	for _, hrr := range []bool{false, true} {
		client, server := echConfigs(t, stale, current)
		if hrr {
			server.CurvePreferences = []CurveID{CurveP256}
		}
		clientErr, serverState, serverErr := echRejectedRun(t, client, server)
		var rej *ECHRejectionError
		if !errors.As(clientErr, &rej) {
			t.Fatalf("hrr=%v: client error %v, want ECHRejectionError", hrr, clientErr)
		}
		if !bytes.Equal(rej.RetryConfigList, currentList) {
			t.Fatalf("retry configs %x, want %x", rej.RetryConfigList, currentList)
		}
		wantReceivedAlert(t, "server", serverErr, wire.AlertECHRequired)
		if serverState.ECHAccepted || serverState.ServerName != "localhost" {
			t.Fatalf("server: ECHAccepted %v, name %q", serverState.ECHAccepted, serverState.ServerName)
		}
		// The retry configs work.
		client.EncryptedClientHelloConfigList = rej.RetryConfigList
		res := testHandshake(t, client, server)
		res.mustSucceed(t)
		if !res.clientState.ECHAccepted {
			t.Fatal("the retry was not accepted")
		}
	}
}

// RFC 9849 §6.1.7: after a rejection the certificate must be valid for
// the public name, checked against RootCAs even with InsecureSkipVerify.
func TestECHRejectedVerifiesPublicName(t *testing.T) {
	_, stale := echTestKey(t, 5)
	current, _ := echTestKey(t, 6)
	client, server := echConfigs(t, stale, current)
	server.Certificates = []Certificate{testCerts(t).sniA} // no certificate for "localhost"
	client.InsecureSkipVerify = true
	res := testHandshake(t, client, server)
	var ve *CertificateVerificationError
	if !errors.As(res.clientErr, &ve) {
		t.Fatalf("client error %v, want a verification error for the public name", res.clientErr)
	}
	client.EncryptedClientHelloRejectionVerify = func(cs ConnectionState) error {
		if len(cs.PeerCertificates) == 0 {
			return errors.New("no certificates")
		}
		return nil
	}
	clientErr, _, _ := echRejectedRun(t, client, server)
	var rej *ECHRejectionError
	if !errors.As(clientErr, &rej) {
		t.Fatalf("with EncryptedClientHelloRejectionVerify: %v, want ECHRejectionError", clientErr)
	}
}

// echRejectedRun runs a handshake the client must end with ech_required
// after the server has completed its own: the server reads on, and its
// Read returns the alert.
func echRejectedRun(t testing.TB, client, server *Config) (clientErr error, serverState ConnectionState, serverErr error) {
	t.Helper()
	a, b := loopbackPair(t)
	done := make(chan struct{})
	go func() {
		defer close(done)
		sc := Server(b, server)
		if serverErr = sc.Handshake(); serverErr == nil {
			serverState = sc.ConnectionState()
			_, serverErr = sc.Read(make([]byte, 10))
		}
		sc.Close()
	}()
	cc := Client(a, client)
	clientErr = cc.Handshake()
	cc.Close()
	<-done
	return clientErr, serverState, serverErr
}

func TestECHConfigErrors(t *testing.T) {
	_, list := echTestKey(t, 7)
	client, server := echConfigs(t, list)
	client.MinVersion = VersionTLS12
	if res := testHandshake(t, client, server); res.clientErr == nil {
		t.Fatal("MinVersion TLS 1.2 with an ECHConfigList was accepted")
	}
	client.MinVersion = 0
	client.EncryptedClientHelloConfigList = []byte{0, 4, 0xfe, 0x0a, 0, 0} // only an unknown version
	if res := testHandshake(t, client, server); res.clientErr == nil {
		t.Fatal("a list without a usable config was accepted")
	}
	for _, name := range []string{"", ".x", "x.", "a..b", "1.2.3.4", "x.0x1f", "under_score.test"} {
		if _, err := GenerateEncryptedClientHelloKey(name, nil); err == nil {
			t.Errorf("public name %q accepted", name)
		}
	}
}

// A ticket from an ECH connection resumes inside the next
// ClientHelloInner; the outer hello never carries the PSK (RFC 9849 §6.1:
// "The client MUST NOT use this extension to advertise a PSK to the
// client-facing server").
func TestECHResumesInsideTheInnerHello(t *testing.T) {
	key, list := echTestKey(t, 8)
	client, server := echConfigs(t, list, key)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	var outerPSK []bool
	client.Tracer = trace.TracerFunc(func(e trace.Event) {
		if m, ok := e.(*trace.Message); ok && m.Direction == trace.Sent {
			if ch, ok := m.Parsed.(*wire.ClientHello); ok && hostNameOf(ch) == "localhost" {
				_, psk := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
				outerPSK = append(outerPSK, psk)
			}
		}
	})
	first := testHandshake(t, client, server)
	first.mustSucceed(t)
	first.exchange(t)
	second := testHandshake(t, client, server)
	second.mustSucceed(t)
	if !second.clientState.DidResume || !second.clientState.ECHAccepted || second.serverState.ServerName != "a.test" {
		t.Fatalf("second: resumed %v, ECH %v, name %q", second.clientState.DidResume, second.clientState.ECHAccepted, second.serverState.ServerName)
	}
	if len(outerPSK) != 2 || outerPSK[0] || outerPSK[1] {
		t.Fatalf("outer hellos carried pre_shared_key: %v", outerPSK)
	}
	// 0-RTT is not offered through ECH: the resumption still works.
	client.EarlyData = true
	third := testHandshake(t, client, server)
	third.mustSucceed(t)
	if !third.clientState.DidResume || third.clientState.EarlyDataAccepted {
		t.Fatalf("third: resumed %v, early data %v", third.clientState.DidResume, third.clientState.EarlyDataAccepted)
	}
}

// The story of an ECH handshake tells the inner hello, the sealed outer
// extension and the acceptance in every language; the JSON trace carries
// the extension's fields.
func TestECHTraceRenderers(t *testing.T) {
	key, list := echTestKey(t, 9)
	for _, lang := range []string{"en", "ru", "zh", "vi"} {
		var story bytes.Buffer
		tracer, err := trace.NewStoryTracer(&story, lang)
		if err != nil {
			t.Fatal(err)
		}
		client, server := echConfigs(t, list, key)
		client.Tracer = tracer
		testHandshake(t, client, server).mustSucceed(t)
		want := map[string][]string{
			"en": {"Encrypted Client Hello: the real ClientHello, sealed with HPKE", "this is the ClientHelloInner"},
			"ru": {"настоящий ClientHello, запечатанный HPKE", "это ClientHelloInner"},
			"zh": {"用 HPKE 针对 ECH 配置", "这是加密 Client Hello 提议中的 ClientHelloInner"},
			"vi": {"ClientHello thật, niêm phong bằng HPKE", "đây là ClientHelloInner"},
		}[lang]
		for _, w := range want {
			if !strings.Contains(story.String(), w) {
				t.Errorf("%s story lacks %q:\n%s", lang, w, story.String())
			}
		}
	}
	var js bytes.Buffer
	client, server := echConfigs(t, list, key)
	client.Tracer = trace.NewJSONTracer(&js)
	testHandshake(t, client, server).mustSucceed(t)
	for _, field := range []string{`"ech_type"`, `"payload_hex"`, `"config_id"`, `"what":"ech_inner_hello"`} {
		if !strings.Contains(js.String(), field) {
			t.Errorf("JSON trace lacks %s", field)
		}
	}
}

// RFC 9849 §6.2: a GREASE ECH client completes its handshake with a
// server that cannot decrypt it (here one with ECH keys, which answers with
// retry configs the client must check and ignore) and with one that has
// none; after a HelloRetryRequest the second hello carries the same
// extension (§6.2.1: "the client copies the entire ... extension").
func TestECHGREASE(t *testing.T) {
	key, _ := echTestKey(t, 10)
	for _, withKeys := range []bool{true, false} {
		for _, hrr := range []bool{false, true} {
			client, server := echConfigs(t, nil)
			client.ServerName = "localhost"
			// GREASE is the default.
			if withKeys {
				server.EncryptedClientHelloKeys = []EncryptedClientHelloKey{key}
			}
			if hrr {
				server.CurvePreferences = []CurveID{CurveP256}
			}
			var sent []*wire.EncryptedClientHelloExt
			client.Tracer = trace.TracerFunc(func(e trace.Event) {
				if m, ok := e.(*trace.Message); ok && m.Direction == trace.Sent {
					if ch, ok := m.Parsed.(*wire.ClientHello); ok {
						ext, _ := wire.FindExtension[*wire.EncryptedClientHelloExt](ch.Extensions)
						sent = append(sent, ext)
					}
				}
			})
			res := testHandshake(t, client, server)
			res.mustSucceed(t)
			if res.clientState.ECHAccepted || res.serverState.ECHAccepted {
				t.Fatal("GREASE ECH was accepted")
			}
			want := 1
			if hrr {
				want = 2
			}
			if len(sent) != want || sent[0] == nil || len(sent[0].Enc) != 32 || (hrr && !bytes.Equal(sent[1].Payload, sent[0].Payload)) {
				t.Fatalf("keys %v, hrr %v: GREASE extensions sent %+v", withKeys, hrr, sent)
			}
		}
	}
}

// The GREASE extension is the default only where the Config leaves the
// hello's shape to clasp: Config.EncryptedClientHelloGREASEDisabled turns it
// off, a ClientHelloExtensions list leaves it out (the list names every
// extension sent), and a hello without TLS 1.3 never carries it (RFC 9849
// §6.2 concerns TLS 1.3 offers).
func TestECHGREASEOnlyWhereTheConfigLeavesItOn(t *testing.T) {
	cases := []struct {
		name   string
		set    func(*Config)
		grease bool
	}{
		{"default", func(*Config) {}, true},
		{"disabled", func(c *Config) { c.EncryptedClientHelloGREASEDisabled = true }, false},
		{"TLS 1.2 only", func(c *Config) { c.MaxVersion = VersionTLS12 }, false},
		{"extensions chosen", func(c *Config) {
			c.ClientHelloExtensions = []uint16{uint16(wire.ExtServerName), uint16(wire.ExtSupportedGroups), uint16(wire.ExtSignatureAlgorithms), uint16(wire.ExtSupportedVersions), uint16(wire.ExtKeyShare)}
		}, false},
	}
	for _, tc := range cases {
		client, server := echConfigs(t, nil)
		client.ServerName = "localhost"
		tc.set(client)
		var sent *wire.ClientHello
		client.Tracer = trace.TracerFunc(func(e trace.Event) {
			if m, ok := e.(*trace.Message); ok && m.Direction == trace.Sent {
				if ch, ok := m.Parsed.(*wire.ClientHello); ok && sent == nil {
					sent = ch
				}
			}
		})
		res := testHandshake(t, client, server)
		res.mustSucceed(t)
		if sent == nil {
			t.Fatalf("%s: no ClientHello traced", tc.name)
		}
		_, found := wire.FindExtension[*wire.EncryptedClientHelloExt](sent.Extensions)
		if found != tc.grease {
			t.Errorf("%s: GREASE encrypted_client_hello sent %v, want %v", tc.name, found, tc.grease)
		}
	}
}

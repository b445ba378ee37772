package clasp

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
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

// A client with a cached ticket and an external PSK offers both (RFC 8446
// §4.2.11 allows several identities; the ticket first, each with its own
// binder), so that a PSK-only server that can no longer open the ticket
// (here, restarted with another ticket key) still takes the external key,
// at index 1, instead of failing the handshake.
func TestExternalPSKBesideStaleTicket(t *testing.T) {
	key := bytes.Repeat([]byte{0x6b}, 32)
	client := &Config{ServerName: "meter-9", MinVersion: VersionTLS13, ClientSessionCache: NewLRUClientSessionCache(4),
		ExternalPSKs: []ExternalPSK{{Identity: []byte("meter-9"), Key: key}}}
	lookup := func(identity []byte) (*ExternalPSK, error) {
		if string(identity) != "meter-9" {
			return nil, nil
		}
		return &ExternalPSK{Identity: identity, Key: key}, nil
	}
	server := &Config{MinVersion: VersionTLS13, GetExternalPSK: lookup, SessionTicketKey: [32]byte{1}}
	first, second := resumeTwice(t, client, server)
	if string(first.clientState.PSKIdentity) != "meter-9" || !second.clientState.DidResume || !second.serverState.DidResume {
		t.Fatalf("first identity %q; second resumed: client %v, server %v", first.clientState.PSKIdentity, second.clientState.DidResume, second.serverState.DidResume)
	}

	var selected []uint16
	var offered [][]wire.PSKIdentity
	client.Tracer = trace.TracerFunc(func(e trace.Event) {
		m, ok := e.(*trace.Message)
		if !ok {
			return
		}
		switch p := m.Parsed.(type) {
		case *wire.ClientHello:
			if ext, ok := wire.FindExtension[*wire.PreSharedKeyExt](p.Extensions); ok {
				offered = append(offered, ext.Identities)
			}
		case *wire.ServerHello:
			if ext, ok := wire.FindExtension[*wire.PreSharedKeyExt](p.Extensions); ok {
				selected = append(selected, ext.SelectedIdentity)
			}
		}
	})
	restarted := &Config{MinVersion: VersionTLS13, GetExternalPSK: lookup, SessionTicketKey: [32]byte{2}}
	res := testHandshake(t, client, restarted)
	res.mustSucceed(t)
	res.exchange(t)
	if len(offered) != 1 || len(offered[0]) != 2 || string(offered[0][1].Identity) != "meter-9" || offered[0][1].ObfuscatedTicketAge != 0 ||
		string(offered[0][0].Identity) == "meter-9" {
		t.Fatalf("the client's identities: %+v, want the ticket, then meter-9 with age 0", offered)
	}
	if !slices.Equal(selected, []uint16{1}) {
		t.Errorf("the server selected identities %v, want [1]", selected)
	}
	for side, st := range map[string]ConnectionState{"client": res.clientState, "server": res.serverState} {
		if string(st.PSKIdentity) != "meter-9" || st.DidResume {
			t.Errorf("%s: PSK identity %q, resumed %v", side, st.PSKIdentity, st.DidResume)
		}
	}
	// The new server's ticket replaced the stale one: the next handshake
	// resumes again.
	client.Tracer = nil
	res = testHandshake(t, client, restarted)
	res.mustSucceed(t)
	if !res.clientState.DidResume {
		t.Error("the ticket of the restarted server was not used")
	}
}

// Every entry of Config.ExternalPSKs is offered, in order; the server
// takes the first it knows.
func TestExternalPSKSecondEntry(t *testing.T) {
	key := bytes.Repeat([]byte{0x7c}, 32)
	client := &Config{ServerName: "x", MinVersion: VersionTLS13, ExternalPSKs: []ExternalPSK{
		{Identity: []byte("old-site"), Key: bytes.Repeat([]byte{1}, 32)},
		{Identity: []byte("new-site"), Key: key, CipherSuite: TLS_AES_256_GCM_SHA384}}}
	server := &Config{MinVersion: VersionTLS13, GetExternalPSK: func(identity []byte) (*ExternalPSK, error) {
		if string(identity) != "new-site" {
			return nil, nil
		}
		return &ExternalPSK{Identity: identity, Key: key, CipherSuite: TLS_AES_256_GCM_SHA384}, nil
	}, CipherSuites: []uint16{TLS_AES_256_GCM_SHA384}}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if string(res.clientState.PSKIdentity) != "new-site" || string(res.serverState.PSKIdentity) != "new-site" {
		t.Errorf("identities %q / %q, want new-site", res.clientState.PSKIdentity, res.serverState.PSKIdentity)
	}
}

// After a HelloRetryRequest the second ClientHello keeps only the PSKs
// whose hash is the chosen suite's (RFC 8446 §4.1.2 lets a client remove
// the incompatible ones), each with a fresh binder.
func TestExternalPSKsAfterHelloRetry(t *testing.T) {
	key := bytes.Repeat([]byte{0x2d}, 32)
	client := &Config{ServerName: "x", MinVersion: VersionTLS13, Groups: []CurveID{X25519, CurveP384},
		CipherSuites: []uint16{TLS_AES_256_GCM_SHA384, TLS_AES_128_GCM_SHA256},
		ExternalPSKs: []ExternalPSK{
			{Identity: []byte("sha384-key"), Key: key, CipherSuite: TLS_AES_256_GCM_SHA384},
			{Identity: []byte("sha256-key"), Key: key}}}
	var identities [][]string
	client.Tracer = trace.TracerFunc(func(e trace.Event) {
		if m, ok := e.(*trace.Message); ok {
			if ch, ok := m.Parsed.(*wire.ClientHello); ok {
				ext, _ := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
				var ids []string
				for _, id := range ext.Identities {
					ids = append(ids, string(id.Identity))
				}
				identities = append(identities, ids)
			}
		}
	})
	server := &Config{MinVersion: VersionTLS13, Groups: []CurveID{CurveP384}, CipherSuites: []uint16{TLS_AES_128_GCM_SHA256},
		GetExternalPSK: func(identity []byte) (*ExternalPSK, error) {
			if string(identity) != "sha256-key" {
				return nil, nil
			}
			return &ExternalPSK{Identity: identity, Key: key}, nil
		}}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if !res.clientState.DidHelloRetryRequest || string(res.serverState.PSKIdentity) != "sha256-key" {
		t.Errorf("HelloRetryRequest %v, server's identity %q", res.clientState.DidHelloRetryRequest, res.serverState.PSKIdentity)
	}
	if len(identities) != 2 || !slices.Equal(identities[0], []string{"sha384-key", "sha256-key"}) || !slices.Equal(identities[1], []string{"sha256-key"}) {
		t.Errorf("identities in the two ClientHellos: %q", identities)
	}
}

// An external identity has 1 to 65535 bytes (RFC 8446 §4.2.11: opaque
// identity<1..2^16-1>); a 65536-byte one is refused before anything is
// sent, as a configuration error that does not repeat the whole identity.
// Shorter ones can still overflow the ClientHello's extensions, which
// §4.1.2 limits to 65535 bytes together: those are refused the same way,
// not sent to the server as internal_error. One that fits works.
func TestExternalPSKLongIdentities(t *testing.T) {
	key := bytes.Repeat([]byte{0x19}, 32)
	server := &Config{MinVersion: VersionTLS13, GetExternalPSK: func(identity []byte) (*ExternalPSK, error) {
		return &ExternalPSK{Identity: identity, Key: key}, nil
	}}
	for _, tc := range []struct {
		n    int
		want string
	}{{1 << 16, "needs an identity of 1 to 65535 bytes"}, {1<<16 - 1, "do not fit in a ClientHello"}, {65000, "do not fit in a ClientHello"}} {
		client := &Config{ServerName: "x", MinVersion: VersionTLS13,
			ExternalPSKs: []ExternalPSK{{Identity: bytes.Repeat([]byte("i"), tc.n), Key: key}}}
		res := testHandshake(t, client, server)
		var ce *configError
		if !errors.As(res.clientErr, &ce) || !strings.Contains(ce.Error(), tc.want) || len(ce.Error()) > 400 {
			t.Errorf("%d-byte identity: client error %.300v, want a short configuration error with %q", tc.n, res.clientErr, tc.want)
		}
		if alertOf(res.clientErr) != -1 || receivedAlert(res.serverErr) != -1 {
			t.Errorf("%d-byte identity: an alert crossed (client sent %d, server received %d)", tc.n, alertOf(res.clientErr), receivedAlert(res.serverErr))
		}
	}
	identity := bytes.Repeat([]byte("i"), 60000)
	client := &Config{ServerName: "x", MinVersion: VersionTLS13, ExternalPSKs: []ExternalPSK{{Identity: identity, Key: key}}}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if !bytes.Equal(res.serverState.PSKIdentity, identity) {
		t.Errorf("a 60000-byte identity arrived as %d bytes", len(res.serverState.PSKIdentity))
	}
}

// Trace decisions show a printable identity as text and anything else
// (a ticket of another server's, offered again) as hex.
func TestIdentityText(t *testing.T) {
	for in, want := range map[string]string{
		"sensor-7":                 "sensor-7",
		strings.Repeat("a", 70):    strings.Repeat("a", 60),
		"\x00\x01\xff":             "0001ff",
		strings.Repeat("\x00", 40): strings.Repeat("00", 30) + "… (40 bytes)",
	} {
		if got := identityText([]byte(in)); got != want {
			t.Errorf("identityText(%q) = %q, want %q", in, got, want)
		}
	}
}

// RFC 8446 §4.2.10: early data goes with the first PSK only, and "If the
// server supplies an "early_data" extension, the client MUST verify that
// the server's selected_identity is 0. If any other value is returned,
// the client MUST abort the handshake with an "illegal_parameter"
// alert." A client offering its ticket (with 0-RTT data) and then its
// external PSK meets a server that takes the external PSK (identity 1)
// and claims the early data. That server has rejected the 0-RTT data
// whatever it claims, so it reads the client's handshake key, under which
// the alert must come.
func TestClientRefusesEarlyDataAcceptedWithTheSecondPSK(t *testing.T) {
	cfg, cs := resumingClient13(t)
	cs.maxEarlyData = 1024
	cfg.EarlyData = true
	extKey := bytes.Repeat([]byte{0x44}, 32)
	cfg.ExternalPSKs = []ExternalPSK{{Identity: []byte("meter-1"), Key: extKey}}
	a, b := loopbackPair(t)
	client := Client(a, cfg)
	done := make(chan error, 1)
	go func() {
		_, err := client.Write([]byte("early"))
		a.Close()
		done <- err
	}()
	p := newPeer13(t, b)
	ch, raw := p.readClientHello()
	ext, _ := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
	if _, early := wire.FindExtension[*wire.EarlyDataExt](ch.Extensions); !early || ext == nil || len(ext.Identities) != 2 {
		t.Fatalf("the client offered early data %v and identities %+v, want early data, the ticket and the external PSK", early, ext)
	}
	p.setSuite(cs.suite.ID)
	th := sha256.Sum256(raw)
	p.rd = p.protection(keys.NewSchedule13(cs.suite.PRFHash, cs.psk).ClientEarlyTrafficSecret(th[:]))
	skipEarlyData(t, p)
	sh, shared := serverHello13(t, ch)
	sh.Extensions = append(sh.Extensions, &wire.PreSharedKeyExt{SelectedIdentity: 1})
	p.setSuite(sh.CipherSuite)
	p.send(sh)
	p.writeRecord(wire.ContentChangeCipherSpec, wire.ChangeCipherSpec)
	p.deriveHandshake(extKey, shared)
	p.setKeys(p.cHS, p.sHS)
	p.send(&wire.EncryptedExtensions{Extensions: []wire.Extension{&wire.EarlyDataExt{}}})
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	if err := <-done; alertOf(err) != int(wire.AlertIllegalParameter) {
		t.Fatalf("client: %v, want illegal_parameter", err)
	}
}

// The same against a clasp server whose ticket key changed: it cannot
// open the ticket, takes the external PSK (identity 1), rejects the 0-RTT
// data because it did not come with the PSK it took, and the client sends
// those bytes again after the handshake; the server reads each byte once.
func TestEarlyDataWithStaleTicketFallsBackToExternalPSK(t *testing.T) {
	s := newEarlyDataSetup(t, 1024)
	key := bytes.Repeat([]byte{0x45}, 32)
	s.client.ExternalPSKs = []ExternalPSK{{Identity: []byte("meter-2"), Key: key}}
	s.server.GetExternalPSK = func(identity []byte) (*ExternalPSK, error) {
		if string(identity) != "meter-2" {
			return nil, nil
		}
		return &ExternalPSK{Identity: identity, Key: key}, nil
	}
	s.server.SessionTicketKey = [32]byte{1}
	s.ticket(t)
	s.server.SessionTicketKey = [32]byte{2}
	early, rest := []byte("early bytes under a stale ticket"), []byte(" and the rest")
	r := runEarlyData(t, s.client, s.server, early, rest, nil)
	r.mustDeliver(t, early, rest)
	r.wantRejected(t, "not the first the client offered", true)
	if string(r.serverState.PSKIdentity) != "meter-2" || string(r.clientState.PSKIdentity) != "meter-2" {
		t.Errorf("PSK identities %q / %q, want meter-2", r.clientState.PSKIdentity, r.serverState.PSKIdentity)
	}
}

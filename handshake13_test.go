package clasp

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// clasp↔clasp TLS 1.3 over net.Pipe: every suite, key type and group,
// HelloRetryRequest, resumption (and its ticket keys), KeyUpdate, the key
// log and the downgrade sentinel.

var suites13 = []suites.ID{suites.TLS_AES_128_GCM_SHA256, suites.TLS_AES_256_GCM_SHA384, suites.TLS_CHACHA20_POLY1305_SHA256}

func TestHandshake13EverySuiteKeyTypeAndGroup(t *testing.T) {
	p := testCerts(t)
	keyTypes := []struct {
		name string
		cert Certificate
	}{{"ECDSA", p.ecdsaLeaf}, {"RSA", p.rsaLeaf}, {"Ed25519", p.ed25519Leaf}}
	groups := []CurveID{suites.X25519MLKEM768, X25519, CurveP256, CurveP384, CurveP521, FFDHE2048}
	for _, id := range suites13 {
		for _, kt := range keyTypes {
			for _, g := range groups {
				t.Run(fmt.Sprintf("%s/%s/%s", id, kt.name, g), func(t *testing.T) {
					client, server := testClientConfig13(t), testServerConfig13(t, kt.cert)
					client.CipherSuites, server.CipherSuites = []uint16{uint16(id)}, []uint16{uint16(id)}
					client.Groups, server.Groups = []CurveID{g}, []CurveID{g}
					r := testHandshake(t, client, server)
					r.mustSucceed(t)
					st := r.clientState
					if st.Version != VersionTLS13 || st.CipherSuite != uint16(id) || st.CurveID != g || r.serverState.CurveID != g {
						t.Fatalf("negotiated %s %s %s (server %s)", VersionName(st.Version), st.CipherSuiteName, st.CurveID, r.serverState.CurveID)
					}
					if st.DidHelloRetryRequest || st.DidResume {
						t.Fatalf("HRR %v, resumed %v", st.DidHelloRetryRequest, st.DidResume)
					}
					r.exchange(t)
				})
			}
		}
	}
}

// RFC 8446 §4.1.4: the server asks for a share of a group the client
// supports but did not share; both sides report it.
func TestHandshake13HelloRetryRequest(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		clientGroups, server []CurveID
		want                 CurveID
	}{
		{"x25519 to P-256", []CurveID{X25519, CurveP256}, []CurveID{CurveP256}, CurveP256},
		{"default client to P-384", nil, []CurveID{CurveP384}, CurveP384},
		{"default client to ffdhe2048", append(suites.DefaultGroups(), FFDHE2048), []CurveID{FFDHE2048}, FFDHE2048},
		{"x25519 to hybrid", []CurveID{X25519, suites.X25519MLKEM768}, []CurveID{suites.X25519MLKEM768}, suites.X25519MLKEM768},
	} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := testClientConfig13(t), testServerConfig13(t)
			client.Groups, server.Groups = tc.clientGroups, tc.server
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			if !r.clientState.DidHelloRetryRequest || !r.serverState.DidHelloRetryRequest {
				t.Fatalf("DidHelloRetryRequest client %v server %v", r.clientState.DidHelloRetryRequest, r.serverState.DidHelloRetryRequest)
			}
			if r.clientState.CurveID != tc.want {
				t.Fatalf("group %s, want %s", r.clientState.CurveID, tc.want)
			}
			r.exchange(t)
		})
	}
}

// resume13 obtains a ticket with a full handshake and then resumes with it.
func resume13(t *testing.T, client, server *Config) *handshakeResult {
	t.Helper()
	if client.ClientSessionCache == nil {
		client.ClientSessionCache = NewLRUClientSessionCache(4)
	}
	obtainTicket(t, client, server)
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	return r
}

// psk_dhe_ke resumption (RFC 8446 §4.2.9), also after a HelloRetryRequest,
// which makes the client recompute its binder over the new transcript
// (§4.1.4) and the server check it again.
func TestHandshake13ResumptionPSKDHE(t *testing.T) {
	for _, tc := range []struct {
		name string
		hrr  bool
	}{{"plain", false}, {"after HelloRetryRequest", true}} {
		t.Run(tc.name, func(t *testing.T) {
			client, server := testClientConfig13(t), testServerConfig13(t)
			client.NextProtos, server.NextProtos = []string{"h2"}, []string{"h2"}
			client.ClientSessionCache = NewLRUClientSessionCache(4)
			obtainTicket(t, client, server)
			if tc.hrr {
				server.Groups = []CurveID{CurveP256}
			}
			st := &recordingTracer{}
			server.Tracer = st
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			if !r.clientState.DidResume || !r.serverState.DidResume {
				t.Fatalf("DidResume client %v server %v", r.clientState.DidResume, r.serverState.DidResume)
			}
			if r.clientState.DidHelloRetryRequest != tc.hrr {
				t.Fatalf("DidHelloRetryRequest %v", r.clientState.DidHelloRetryRequest)
			}
			if r.clientState.CurveID == 0 {
				t.Error("psk_dhe_ke resumption reports no group")
			}
			if len(r.clientState.PeerCertificates) == 0 {
				t.Error("a resumed client lost the server's certificates")
			}
			if r.clientState.NegotiatedProtocol != "h2" {
				t.Errorf("ALPN %q after resumption", r.clientState.NegotiatedProtocol)
			}
			if d := findDecision(st, "session"); d == nil || d.Chosen != "resumed (psk_dhe_ke)" {
				t.Errorf("server's session decision %+v", d)
			}
			r.exchange(t)
		})
	}
}

// psk_ke resumption (RFC 8446 §4.2.9): clasp's client offers only
// psk_dhe_ke (client_hello.go, makeClientHello), and Config has no switch
// for psk_ke, so a scripted client built from the clasp client's own
// cached session offers psk_ke alone. The server must answer with
// pre_shared_key and no key_share, and the key schedule then runs with a
// zero (EC)DHE input.
func TestServerResumesWithPSKKE(t *testing.T) {
	client, server := testClientConfig13(t), testServerConfig13(t)
	server.PSKKeyExchangeModes = []uint8{PSKModeDHEKE, PSKModePlainKE}
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	obtainTicket(t, client, server)
	cs, _ := client.ClientSessionCache.Get("localhost")

	run, p := startServer13(t, server)
	ch, _ := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	ch.CipherSuites = []suites.ID{cs.suite.ID}
	replaceExtension(ch.Extensions, &wire.PSKKeyExchangeModesExt{Modes: []uint8{wire.PSKModeKE}})
	offerTicket(t, ch, cs, time.Since(cs.receivedAt))
	p.send(ch)
	p.flush()

	msg, _ := p.readMessage()
	sh, ok := msg.(*wire.ServerHello)
	if !ok {
		t.Fatalf("server answered %v", msg.Type())
	}
	if _, ok := wire.FindExtension[*wire.KeyShareExt](sh.Extensions); ok {
		t.Fatal("psk_ke ServerHello carries a key_share")
	}
	if sel, ok := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions); !ok || sel.SelectedIdentity != 0 {
		t.Fatalf("ServerHello pre_shared_key %+v", sel)
	}
	p.setSuite(sh.CipherSuite)
	p.deriveHandshake(cs.psk, nil)
	p.setKeys(p.sHS, p.cHS)
	if m, _ := p.readMessage(); m.Type() != wire.TypeEncryptedExtensions {
		t.Fatalf("got %v, want EncryptedExtensions", m.Type())
	}
	want := p.finished(p.sHS)
	m, _ := p.readMessage()
	if fin, ok := m.(*wire.Finished); !ok || !bytes.Equal(fin.VerifyData, want.VerifyData) {
		t.Fatalf("server Finished %v does not verify", m.Type())
	}
	p.deriveApplication()
	p.send(p.finished(p.cHS))
	p.flush()
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	st := run.conn.ConnectionState()
	if !st.DidResume || st.CurveID != 0 {
		t.Fatalf("server state: resumed %v, group %s", st.DidResume, st.CurveID)
	}
}

// Tickets open under the current and the previous period's key (Config
// TicketKeyRotation): a ticket from the period before resumes, one from two
// periods before is refused. The client's own limit (the ticket lifetime,
// one period) would stop it offering the old ticket at all, so the test
// stretches the cached ticket's lifetime to reach the server's check.
func TestHandshake13ResumptionAcrossTicketKeyRotation(t *testing.T) {
	base := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC) // a period boundary
	var mu sync.Mutex
	now := base.Add(50 * time.Minute)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	setClock := func(d time.Duration) { mu.Lock(); now = base.Add(d); mu.Unlock() }

	client, server := testClientConfig13(t), testServerConfig13(t)
	client.Time, server.Time = clock, clock
	server.TicketKeyRotation = time.Hour
	server.SessionTicketKey = [32]byte{1, 2, 3}
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	obtainTicket(t, client, server)
	ticket, _ := client.ClientSessionCache.Get("localhost")

	attempt := func(d time.Duration) *handshakeResult {
		t.Helper()
		setClock(d)
		client.ClientSessionCache.Put("localhost", ticket) // the same ticket every time
		ct := &recordingTracer{}
		client.Tracer = ct
		r := testHandshake(t, client, server)
		r.mustSucceed(t)
		if !offeredPSK(ct) {
			t.Fatalf("at +%v the client did not offer the ticket", d)
		}
		return r
	}
	if r := attempt(70 * time.Minute); !r.serverState.DidResume || !r.clientState.DidResume {
		t.Fatal("a ticket from the previous period did not resume")
	}
	ticket.lifetime = 7 * 24 * time.Hour
	if r := attempt(130 * time.Minute); r.serverState.DidResume || r.clientState.DidResume {
		t.Fatal("a ticket from two periods before resumed")
	}
}

// Servers that share SessionTicketKey resume each other's tickets; a server
// with another key does a full handshake.
func TestHandshake13SharedSessionTicketKey(t *testing.T) {
	key := [32]byte{0xc1, 0xa5, 'p'}
	issuer, other := testServerConfig13(t), testServerConfig13(t)
	issuer.SessionTicketKey, other.SessionTicketKey = key, key
	client := testClientConfig13(t)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	obtainTicket(t, client, issuer)
	ticket, _ := client.ClientSessionCache.Get("localhost")

	r := testHandshake(t, client, other)
	r.mustSucceed(t)
	if !r.serverState.DidResume || !r.clientState.DidResume {
		t.Fatal("a second server with the same ticket key did not resume")
	}
	stranger := testServerConfig13(t)
	stranger.SessionTicketKey = [32]byte{0xff}
	client.ClientSessionCache.Put("localhost", ticket)
	r = testHandshake(t, client, stranger)
	r.mustSucceed(t)
	if r.serverState.DidResume || r.clientState.DidResume {
		t.Fatal("a server with another ticket key resumed")
	}
}

// keyLog collects NSS key log lines.
type keyLog struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (k *keyLog) Write(b []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.buf.Write(b)
}

// secrets returns label → secret (hex) for the log's lines, all of which
// must name clientRandom.
func (k *keyLog) secrets(t *testing.T, clientRandom []byte) map[string]string {
	t.Helper()
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(k.buf.String()), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[1] != fmt.Sprintf("%x", clientRandom) {
			t.Fatalf("key log line %q", line)
		}
		if _, dup := out[f[0]]; dup {
			t.Fatalf("key log repeats %s", f[0])
		}
		out[f[0]] = f[2]
	}
	return out
}

// clientRandomOf returns the random of the ClientHello a client traced.
func clientRandomOf(t *testing.T, ct *recordingTracer) []byte {
	t.Helper()
	for _, m := range ct.messages() {
		if ch, ok := m.Parsed.(*wire.ClientHello); ok {
			return ch.Random[:]
		}
	}
	t.Fatal("no ClientHello traced")
	return nil
}

// The key log of a TLS 1.3 connection has the five NSS labels, the same on
// both sides, each secret as long as the suite's hash.
func TestKeyLogWriter13(t *testing.T) {
	for _, id := range suites13 {
		t.Run(id.String(), func(t *testing.T) {
			ck, sk := &keyLog{}, &keyLog{}
			ct := &recordingTracer{}
			client, server := testClientConfig13(t), testServerConfig13(t)
			client.CipherSuites = []uint16{uint16(id)}
			client.KeyLogWriter, server.KeyLogWriter, client.Tracer = ck, sk, ct
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			random := clientRandomOf(t, ct)
			cs, ss := ck.secrets(t, random), sk.secrets(t, random)
			labels := []string{"CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
				"CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"}
			if len(cs) != len(labels) || len(ss) != len(labels) {
				t.Fatalf("client logged %d secrets, server %d, want %d", len(cs), len(ss), len(labels))
			}
			size := suites.SuiteByID(id).PRFHash.Size()
			for _, l := range labels {
				if cs[l] == "" || cs[l] != ss[l] || len(cs[l]) != 2*size {
					t.Errorf("%s: client %q server %q", l, cs[l], ss[l])
				}
			}
		})
	}
}

// KeyUpdate both ways (RFC 8446 §4.6.3): the client updates and asks the
// server to; the server answers with its own KeyUpdate before its next
// data; then the server updates alone. Data flows after each, and the key
// log gains generation 1 and 2 secrets that follow from generation 0 by
// "traffic upd".
func TestKeyUpdate13BothDirections(t *testing.T) {
	ck, sk := &keyLog{}, &keyLog{}
	ct := &recordingTracer{}
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.KeyLogWriter, server.KeyLogWriter, client.Tracer = ck, sk, ct
	r := testHandshake(t, client, server)
	r.mustSucceed(t)

	serverDone := make(chan error, 1)
	go func() {
		buf := make([]byte, 4)
		if _, err := io.ReadFull(r.server, buf); err != nil || string(buf) != "ping" {
			serverDone <- fmt.Errorf("server read %q, %v", buf, err)
			return
		}
		if _, err := r.server.Write([]byte("pong")); err != nil {
			serverDone <- err
			return
		}
		if err := r.server.KeyUpdate(false); err != nil {
			serverDone <- err
			return
		}
		_, err := r.server.Write([]byte("more"))
		serverDone <- err
	}()
	// net.Pipe has no buffer and the server answers the KeyUpdate from
	// inside its Read, so the client must be reading while it writes.
	clientRead := make(chan string, 1)
	go func() {
		buf := make([]byte, 8)
		if _, err := io.ReadFull(r.client, buf); err != nil {
			clientRead <- err.Error()
			return
		}
		clientRead <- string(buf)
	}()
	if err := r.client.KeyUpdate(true); err != nil {
		t.Fatal(err)
	}
	if _, err := r.client.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if got := <-clientRead; got != "pongmore" {
		t.Fatalf("client read %q", got)
	}
	if err := <-serverDone; err != nil {
		t.Fatal(err)
	}
	if r.client.writeGeneration != 1 || r.client.readGeneration != 2 || r.server.writeGeneration != 2 || r.server.readGeneration != 1 {
		t.Fatalf("generations: client write %d read %d, server write %d read %d",
			r.client.writeGeneration, r.client.readGeneration, r.server.writeGeneration, r.server.readGeneration)
	}
	random := clientRandomOf(t, ct)
	cs, ss := ck.secrets(t, random), sk.secrets(t, random)
	next := func(hexSecret string) string {
		var b []byte
		fmt.Sscanf(hexSecret, "%x", &b)
		return fmt.Sprintf("%x", keys.NextTrafficSecret(suiteHash(r.clientState), b))
	}
	for _, want := range []struct{ label, from string }{
		{"CLIENT_TRAFFIC_SECRET_1", "CLIENT_TRAFFIC_SECRET_0"},
		{"SERVER_TRAFFIC_SECRET_1", "SERVER_TRAFFIC_SECRET_0"},
		{"SERVER_TRAFFIC_SECRET_2", "SERVER_TRAFFIC_SECRET_1"},
	} {
		if cs[want.label] == "" || cs[want.label] != ss[want.label] || cs[want.label] != next(cs[want.from]) {
			t.Errorf("%s: client %q server %q", want.label, cs[want.label], ss[want.label])
		}
	}
	if _, ok := cs["CLIENT_TRAFFIC_SECRET_2"]; ok {
		t.Error("the client updated twice: it answered a KeyUpdate that did not ask for one")
	}
}

// suiteHash is the hash of a negotiated suite.
func suiteHash(st ConnectionState) crypto.Hash {
	return suites.SuiteByID(suites.ID(st.CipherSuite)).PRFHash
}

// The automatic KeyUpdate (keyupdate_tls13.go) fires after
// keyUpdateInterval (2^23) records under one key. Writing that many takes
// minutes, and the interval is a constant, but the counter is a field: the
// test sets it one short of the limit, so the next record triggers the
// update. No other test hook is needed.
func TestKeyUpdate13Automatic(t *testing.T) {
	r := handshake13(t)
	r.client.out.Lock()
	r.client.recordsWritten = keyUpdateInterval - 1
	r.client.out.Unlock()
	done := make(chan error, 1)
	go func() {
		_, err := r.client.Write([]byte("after"))
		done <- err
	}()
	buf := make([]byte, 5)
	if _, err := io.ReadFull(r.server, buf); err != nil || string(buf) != "after" {
		t.Fatalf("server read %q, %v", buf, err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if r.client.writeGeneration != 1 || r.server.readGeneration != 1 {
		t.Fatalf("client write generation %d, server read generation %d, want 1", r.client.writeGeneration, r.server.readGeneration)
	}
	if r.client.recordsWritten != 0 {
		t.Fatalf("records under the new key: %d, want 0 (the data record is counted before the update)", r.client.recordsWritten)
	}
	r.exchange(t)
}

// scriptedClient13 runs a TLS 1.3 handshake from a scripted client
// (clientHello13 with an X25519 share, psk_dhe_ke) to a clasp server with
// cfg, resuming cs when it is not nil, and returns the server's
// EncryptedExtensions. The peer is left with the application keys.
func scriptedClient13(t *testing.T, cfg *Config, cs *ClientSessionState) (*scriptedRun, *peer13, *wire.EncryptedExtensions) {
	t.Helper()
	run, p := startServer13(t, cfg)
	ch, privs := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	var psk []byte
	if cs != nil {
		ch.CipherSuites = []suites.ID{cs.suite.ID}
		offerTicket(t, ch, cs, time.Since(cs.receivedAt))
		psk = cs.psk
	}
	p.send(ch)
	p.flush()
	ee := p.readServerFlight(privs[suites.X25519], psk)
	p.finishAsClient(run)
	return run, p, ee
}

// RFC 6066 §3: "When resuming a session, the server MUST NOT include a
// server_name extension in the server hello"; in TLS 1.3 the
// acknowledgement travels in EncryptedExtensions (RFC 8446 §4.2). A full
// handshake that used the client's name acknowledges it with an empty
// server_name; a resumed one does not — unless the server is configured
// like RFC 8448's NSS (Config.ServerNameOnResumption).
func TestServerAcknowledgesServerNameOnlyOnFullHandshake13(t *testing.T) {
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	obtainTicket(t, client, server)
	cs, _ := client.ClientSessionCache.Get("localhost")
	for _, tc := range []struct {
		name      string
		session   *ClientSessionState
		nssStyle  bool
		wantAcked bool
	}{
		{"full handshake", nil, false, true},
		{"resumed", cs, false, false},
		{"resumed, ServerNameOnResumption", cs, true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := server.Clone()
			cfg.ServerNameOnResumption = tc.nssStyle
			_, _, ee := scriptedClient13(t, cfg, tc.session)
			sni, acked := wire.FindExtension[*wire.ServerNameExt](ee.Extensions)
			if acked != tc.wantAcked {
				t.Fatalf("EncryptedExtensions carries server_name: %v, want %v", acked, tc.wantAcked)
			}
			if acked && sni.HostName != "" {
				t.Errorf("server_name acknowledgement names %q, want it empty (RFC 6066 §3)", sni.HostName)
			}
		})
	}
}

// RFC 8446 §4.6.3: "If the request_update field is set to
// "update_requested", then the receiver MUST send a KeyUpdate of its own
// with request_update set to "update_not_requested" prior to sending its
// next Application Data record. This mechanism allows either side to force
// an update to the entire connection, but causes an implementation which
// receives multiple KeyUpdates while it is silent to respond with a single
// update." A scripted client sends three update_requested KeyUpdates (each
// under its next key) and data; clasp's next write is exactly one
// update_not_requested KeyUpdate, then the data under its next key.
func TestKeyUpdateRequestsWhileSilentAnsweredOnce(t *testing.T) {
	run, p := completeServer13(t)
	for range 3 {
		p.send(&wire.KeyUpdate{RequestUpdate: true})
		p.cAP = keys.NextTrafficSecret(p.suite.PRFHash, p.cAP)
		p.wr, p.wrSeq = p.protection(p.cAP), 0
	}
	p.writeRecord(wire.ContentApplicationData, []byte("ping"))
	p.flush()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(run.conn, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("clasp read %q, %v", buf, err)
	}
	if run.conn.readGeneration != 3 {
		t.Fatalf("clasp's read key generation %d, want 3", run.conn.readGeneration)
	}
	written := make(chan error, 1)
	go func() { _, err := run.conn.Write([]byte("pong")); written <- err }()
	msg, _ := p.readMessage()
	if ku, ok := msg.(*wire.KeyUpdate); !ok || ku.RequestUpdate {
		t.Fatalf("clasp sent %v first, want KeyUpdate(update_not_requested)", msg.Type())
	}
	p.rd, p.rdSeq = p.protection(keys.NextTrafficSecret(p.suite.PRFHash, p.sAP)), 0
	typ, body, err := p.readRecord()
	if err != nil || typ != wire.ContentApplicationData || string(body) != "pong" {
		t.Fatalf("after its KeyUpdate clasp sent %v %q (%v), want the application data under its next key", typ, body, err)
	}
	if err := <-written; err != nil {
		t.Fatal(err)
	}
	if run.conn.writeGeneration != 1 {
		t.Errorf("clasp's write key generation %d, want 1", run.conn.writeGeneration)
	}
}

// RFC 8446 §4.1.3: a server that supports TLS 1.3 but negotiates TLS 1.2
// marks its random; one configured for TLS 1.2 at most does not, and a
// TLS 1.3 client talks to it normally.
func TestDowngradeSentinel(t *testing.T) {
	serverRandomOf := func(ct *recordingTracer) []byte {
		for _, m := range ct.messages() {
			if sh, ok := m.Parsed.(*wire.ServerHello); ok {
				return sh.Random[:]
			}
		}
		t.Fatal("no ServerHello traced")
		return nil
	}
	t.Run("server pinned to TLS 1.2", func(t *testing.T) {
		ct := &recordingTracer{}
		client := testClientConfig13(t)
		client.Tracer = ct
		server := testServerConfig13(t)
		server.MaxVersion = VersionTLS12
		r := testHandshake(t, client, server)
		r.mustSucceed(t)
		if r.clientState.Version != VersionTLS12 {
			t.Fatalf("negotiated %s", VersionName(r.clientState.Version))
		}
		if tail := [8]byte(serverRandomOf(ct)[24:]); tail == wire.DowngradeTLS12 || tail == wire.DowngradeTLS11 {
			t.Fatal("a server with MaxVersion TLS 1.2 wrote the downgrade sentinel")
		}
		r.exchange(t)
	})
	t.Run("TLS 1.2 client", func(t *testing.T) {
		ct := &recordingTracer{}
		client := testClientConfig13(t)
		client.MaxVersion, client.Tracer = VersionTLS12, ct
		r := testHandshake(t, client, testServerConfig13(t))
		r.mustSucceed(t)
		if tail := [8]byte(serverRandomOf(ct)[24:]); tail != wire.DowngradeTLS12 {
			t.Fatalf("a TLS 1.3 server negotiating TLS 1.2 did not write the sentinel: %x", tail)
		}
	})
	for name, sentinel := range map[string][8]byte{"DOWNGRD01": wire.DowngradeTLS12, "DOWNGRD00": wire.DowngradeTLS11} {
		t.Run("scripted "+name, func(t *testing.T) {
			run := startScripted(t, true, testClientConfig13(t))
			run.peer.readClientHello()
			sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
			copy(sh.Random[24:], sentinel[:])
			run.peer.sendMessages(sh)
			run.peer.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
		})
	}
}

// A peer that sends handshake messages after the handshake without ever
// sending application data keeps Read busy deriving keys and making no
// progress. RFC 8446 sets no limit; clasp allows maxPostHandshakeRun in a
// row (as crypto/tls allows 16) and answers the next with
// unexpected_message, the alert OpenSSL 3 and crypto/tls use for a peer
// that sends too many records that do not advance the connection.
func TestPostHandshakeMessagesWithoutDataAreBounded13(t *testing.T) {
	sendKeyUpdates := func(p *peer13, n int) {
		for range n {
			p.send(&wire.KeyUpdate{})
			p.cAP = keys.NextTrafficSecret(p.suite.PRFHash, p.cAP)
			p.wr, p.wrSeq = p.protection(p.cAP), 0
		}
	}
	t.Run("at the limit, then data", func(t *testing.T) {
		run, p := completeServer13(t)
		sendKeyUpdates(p, maxPostHandshakeRun)
		p.writeRecord(wire.ContentApplicationData, []byte("ping"))
		sendKeyUpdates(p, maxPostHandshakeRun) // the data reset the count
		p.writeRecord(wire.ContentApplicationData, []byte("pong"))
		p.flush()
		buf := make([]byte, 8)
		if _, err := io.ReadFull(run.conn, buf); err != nil || string(buf) != "pingpong" {
			t.Fatalf("clasp read %q, %v", buf, err)
		}
	})
	t.Run("one past the limit", func(t *testing.T) {
		run, p := completeServer13(t)
		sendKeyUpdates(p, maxPostHandshakeRun+1)
		p.flush()
		readErr := make(chan error, 1)
		go func() { _, err := run.conn.Read(make([]byte, 1)); readErr <- err }()
		p.expectAlert(wire.AlertUnexpectedMessage)
		var we *wire.Error
		if err := <-readErr; !errors.As(err, &we) || we.Alert != wire.AlertUnexpectedMessage {
			t.Fatalf("Read returned %v, want unexpected_message", err)
		}
	})
}

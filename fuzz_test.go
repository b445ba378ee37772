package clasp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/cryptotest"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/trace"
)

// Fuzz targets for the two TLS 1.2 drivers. Each feeds the fuzz input to one
// side as everything its peer says, over a net.Conn that reads the input and
// discards writes, and checks that the handshake ends (the input is finite,
// so EOF ends it), without panicking, with an error of the documented shape.
//
// Getting deep. Random bytes never get past ServerHello/ClientHello, and a
// recorded peer flight only replays if this side draws exactly the
// randomness it drew when the flight was recorded. So every scenario is
// recorded clasp↔clasp with fixed randomness: Config.Rand is a ChaCha8
// stream, and the randomness crypto/ecdh, ecdsa and rsa take from the
// process (Go 1.26 ignores their reader argument) comes from
// cryptotest.SetGlobalRandom. Both sides share that global stream while the
// recording runs, so it is reset at the moment the client receives the
// server's first flight: by then the server has drawn everything it will
// ever draw that matters (its ephemeral key and ServerKeyExchange
// signature) and the client has drawn nothing from it yet. Replaying either
// side alone with a fresh SetGlobalRandom of the same seed then reproduces
// its keys, and the recorded Finished verifies. TestFuzzRecordingsReplay
// proves it.
//
// cryptotest.SetGlobalRandom needs a *testing.T, which a fuzz target only
// has inside f.Fuzz, so the recording is made there (once per process) and
// the fuzz input describes an edit of it:
//
//	input[0] & 0x0f  scenario (modulo the number of scenarios)
//	input[0] & 0x80  raw: input[1:] is the whole peer stream, no recording
//	input[0] & 0x40  insert rather than overwrite
//	input[0] & 0x20  traced: every tracer of the trace package watches
//	                 (JSON, messages, states, the story, the diagram and
//	                 its Mermaid and SVG renderings), since a peer's bytes
//	                 reach their decoders too when a user traces
//	input[1:3]       offset into the recording (big endian, modulo its length+1)
//	input[3:]        bytes written (or inserted) at the offset; none means
//	                 "cut the recording at the offset"
//
// An input of one byte replays the recording unchanged. Small inputs thus
// reach every step up to Finished, and the committed corpus stays tiny.

// fuzzGlobalSeed seeds cryptotest.SetGlobalRandom in recordings and replays.
const fuzzGlobalSeed = 0xc1a5b

// fuzzScenario is one recorded handshake: the configurations of both sides.
// Each call returns fresh Configs, so the Config.Rand streams start over.
type fuzzScenario struct {
	name           string
	client, server func(t testing.TB) *Config
	earlyData      []byte // what the client's first Write hands to the handshake
}

func fuzzConfigs(id suites.ID, serverCert func(*testPKI) Certificate, tweak func(p *testPKI, c, s *Config)) (func(testing.TB) *Config, func(testing.TB) *Config) {
	var mu sync.Mutex
	build := func(t testing.TB) (*Config, *Config) {
		mu.Lock()
		defer mu.Unlock()
		p := testCerts(t)
		// TLS 1.2 pinned: these are the TLS 1.2 drivers' targets.
		c := &Config{RootCAs: p.caPool, ServerName: "localhost", CipherSuites: []uint16{uint16(id)}, Rand: testRand(1), MaxVersion: VersionTLS12}
		s := &Config{Certificates: []Certificate{serverCert(p)}, CipherSuites: []uint16{uint16(id)}, Rand: testRand(2), MaxVersion: VersionTLS12}
		if tweak != nil {
			tweak(p, c, s)
		}
		return c, s
	}
	return func(t testing.TB) *Config { c, _ := build(t); return c },
		func(t testing.TB) *Config { _, s := build(t); return s }
}

var fuzzScenarios = func() []fuzzScenario {
	ecdsaCert := func(p *testPKI) Certificate { return p.ecdsaLeaf }
	rsaCert := func(p *testPKI) Certificate { return p.rsaLeaf }
	var out []fuzzScenario
	add := func(name string, id suites.ID, cert func(*testPKI) Certificate, tweak func(p *testPKI, c, s *Config)) {
		c, s := fuzzConfigs(id, cert, tweak)
		out = append(out, fuzzScenario{name: name, client: c, server: s})
	}
	add("ECDHE-ECDSA-AES128-GCM", suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, ecdsaCert, nil)
	add("ECDHE-RSA-AES128-CBC-SHA", suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, rsaCert, nil)
	add("DHE-RSA-AES128-GCM", suites.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256, rsaCert, func(_ *testPKI, c, s *Config) {
		c.Groups, s.Groups = []CurveID{FFDHE2048}, []CurveID{FFDHE2048}
	})
	add("RSA-AES128-CBC-SHA256", suites.TLS_RSA_WITH_AES_128_CBC_SHA256, rsaCert, nil)
	add("mutual-ECDHE-ECDSA-CHACHA20", suites.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, ecdsaCert, func(p *testPKI, c, s *Config) {
		c.Certificates = []Certificate{p.clientECDSA}
		s.ClientAuth, s.ClientCAs = RequireAndVerifyClientCert, p.caPool
	})
	add("TLS10-ECDHE-RSA-AES128-CBC-SHA-noEMS", suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, rsaCert, func(_ *testPKI, c, s *Config) {
		c.MinVersion, c.MaxVersion, s.MinVersion = VersionTLS10, VersionTLS10, VersionTLS10
		c.DisableExtendedMasterSecret = true
	})
	// TLS 1.3: the default groups (X25519MLKEM768 first, whose server-side
	// encapsulation draws from the global random stream before the
	// server's first flight leaves, so the reset rule above still holds),
	// HelloRetryRequest, resumption from a ticket made beforehand, and
	// client authentication (the client's ECDSA signature is drawn after
	// the reset, as in TLS 1.2).
	add13 := func(name string, tweak func(p *testPKI, c, s *Config)) {
		c, s := fuzzConfigs13(tweak)
		out = append(out, fuzzScenario{name: name, client: c, server: s})
	}
	add13("TLS13-full", nil)
	add13("TLS13-HRR-P256", func(_ *testPKI, c, s *Config) {
		c.Groups, s.Groups = []CurveID{X25519, CurveP256}, []CurveID{CurveP256}
	})
	add13("TLS13-resumed", func(p *testPKI, c, _ *Config) {
		c.ClientSessionCache = NewLRUClientSessionCache(2)
		c.ClientSessionCache.Put("localhost", fuzzTicket(p, 0))
	})
	add13("TLS13-mutual", func(p *testPKI, c, s *Config) {
		c.Certificates = []Certificate{p.clientECDSA}
		s.ClientAuth, s.ClientCAs = RequireAndVerifyClientCert, p.caPool
	})
	// 0-RTT: a ticket that allows early data, accepted. Each run gets a
	// store of its own, so that the replayed hello is not refused as the
	// replay it is.
	add13("TLS13-resumed-0RTT", func(p *testPKI, c, s *Config) {
		c.ClientSessionCache = NewLRUClientSessionCache(2)
		c.ClientSessionCache.Put("localhost", fuzzTicket(p, 1024))
		c.EarlyData = true
		s.MaxEarlyData, s.SessionStore = 1024, sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 8})
	})
	out[len(out)-1].earlyData = []byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
	// TLS 1.2 pre-shared keys (RFC 4279, RFC 5489), after the others so
	// that the corpus keeps its scenario numbers: plain PSK with a server
	// that has no certificate, ECDHE_PSK with an identity hint, DHE_PSK,
	// and RSA_PSK with the RSA certificate.
	add("PSK-AES128-GCM", suites.TLS_PSK_WITH_AES_128_GCM_SHA256, rsaCert, fuzzPSK(false, ""))
	add("ECDHE-PSK-CHACHA20-hint", suites.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256, rsaCert, fuzzPSK(false, "plant-7"))
	add("DHE-PSK-AES128-CBC-SHA256", suites.TLS_DHE_PSK_WITH_AES_128_CBC_SHA256, rsaCert, func(p *testPKI, c, s *Config) {
		fuzzPSK(false, "")(p, c, s)
		c.Groups, s.Groups = []CurveID{FFDHE2048}, []CurveID{FFDHE2048}
	})
	add("RSA-PSK-AES256-GCM", suites.TLS_RSA_PSK_WITH_AES_256_GCM_SHA384, rsaCert, fuzzPSK(true, ""))
	// SSL 3.0 (issue 13's opt-in legacy), the last of the sixteen slots: its
	// own MAC, Finished and CertificateVerify hashes, the DHE key exchange
	// and a client certificate.
	add("SSL3-DHE-RSA-AES128-CBC-SHA-mutual", suites.TLS_DHE_RSA_WITH_AES_128_CBC_SHA, rsaCert, func(p *testPKI, c, s *Config) {
		c.MinVersion, c.MaxVersion, s.MinVersion, s.MaxVersion = VersionSSL30, VersionSSL30, VersionSSL30, VersionSSL30
		c.Groups, s.Groups = []CurveID{FFDHE2048}, []CurveID{FFDHE2048}
		c.Certificates = []Certificate{p.clientECDSA}
		s.ClientAuth, s.ClientCAs = RequireAndVerifyClientCert, p.caPool
	})
	return out
}()

// fuzzPSK gives both sides of a scenario the key of "fuzz-device"; the
// server keeps its certificate only when the suite needs one (RSA_PSK).
func fuzzPSK(keepCert bool, hint string) func(p *testPKI, c, s *Config) {
	return func(_ *testPKI, c, s *Config) {
		key := bytes.Repeat([]byte{0x46}, 32)
		c.ExternalPSKs = []ExternalPSK{{Identity: []byte("fuzz-device"), Key: key}}
		s.GetExternalPSK = func(identity []byte) (*ExternalPSK, error) {
			if string(identity) != "fuzz-device" {
				return nil, nil
			}
			return &ExternalPSK{Identity: identity, Key: key}, nil
		}
		s.PSKIdentityHint = []byte(hint)
		if !keepCert {
			s.Certificates = nil
		}
	}
}

// fuzzClock and fuzzTicketKey make TLS 1.3 tickets reproducible: a ticket
// is sealed under a key derived from the base key and the clock's period,
// and its age is checked against the clock.
var (
	fuzzNow       = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	fuzzTicketKey = [32]byte{'c', 'l', 'a', 's', 'p', ' ', 'f', 'u', 'z', 'z'}
)

func fuzzClock() time.Time { return fuzzNow }

func fuzzConfigs13(tweak func(p *testPKI, c, s *Config)) (func(testing.TB) *Config, func(testing.TB) *Config) {
	var mu sync.Mutex
	build := func(t testing.TB) (*Config, *Config) {
		mu.Lock()
		defer mu.Unlock()
		p := testCerts(t)
		// No GREASE ECH: the committed corpus entries are recordings of
		// hellos made before it became the default, and its random bytes
		// would change every value the client draws after them. The ECH
		// extension has fuzzers of its own (internal/wire/ech_test.go).
		c := &Config{RootCAs: p.caPool, ServerName: "localhost", Rand: testRand(1), Time: fuzzClock, EncryptedClientHelloGREASEDisabled: true}
		s := &Config{Certificates: []Certificate{p.ecdsaLeaf}, Rand: testRand(2), Time: fuzzClock, SessionTicketKey: fuzzTicketKey}
		if tweak != nil {
			tweak(p, c, s)
		}
		return c, s
	}
	return func(t testing.TB) *Config { c, _ := build(t); return c },
		func(t testing.TB) *Config { _, s := build(t); return s }
}

var (
	fuzzTicketsMu sync.Mutex
	fuzzTickets   = map[uint32]*ClientSessionState{} // by the server's MaxEarlyData
)

// fuzzTicket is the session the resumption scenarios offer, from a server
// that allows maxEarlyData bytes of 0-RTT data, made once per process by a
// TLS 1.3 handshake that draws nothing from the global random stream
// (Ed25519 signs deterministically, X25519 keys come from Config.Rand, the
// ticket key is fixed), so that making it inside a recording or a replay
// does not shift that stream.
func fuzzTicket(p *testPKI, maxEarlyData uint32) *ClientSessionState {
	fuzzTicketsMu.Lock()
	defer fuzzTicketsMu.Unlock()
	if cs, ok := fuzzTickets[maxEarlyData]; ok {
		return cs
	}
	cs, err := makeFuzzTicket(p, maxEarlyData)
	if err != nil {
		panic("clasp: making the fuzz scenarios' ticket: " + err.Error())
	}
	fuzzTickets[maxEarlyData] = cs
	return cs
}

func makeFuzzTicket(p *testPKI, maxEarlyData uint32) (*ClientSessionState, error) {
	cache := NewLRUClientSessionCache(2)
	c := &Config{RootCAs: p.caPool, ServerName: "localhost", Rand: testRand(3), Time: fuzzClock,
		Groups: []CurveID{X25519}, ClientSessionCache: cache, EncryptedClientHelloGREASEDisabled: true}
	s := &Config{Certificates: []Certificate{p.ed25519Leaf}, Rand: testRand(4), Time: fuzzClock,
		Groups: []CurveID{X25519}, SessionTicketKey: fuzzTicketKey, MaxEarlyData: maxEarlyData}
	cRaw, sRaw := net.Pipe()
	defer cRaw.Close()
	defer sRaw.Close()
	deadline := time.Now().Add(20 * time.Second)
	_ = cRaw.SetDeadline(deadline)
	_ = sRaw.SetDeadline(deadline)
	client, server := Client(cRaw, c), Server(sRaw, s)
	serverErr := make(chan error, 1)
	go func() {
		err := server.Handshake()
		if err == nil {
			// The ticket is queued; a write sends it.
			_, err = server.Write([]byte{0})
		}
		serverErr <- err
	}()
	err := client.Handshake()
	if err == nil {
		_, err = client.Read(make([]byte, 1))
	}
	if err := errors.Join(err, <-serverErr); err != nil {
		return nil, err
	}
	cs, ok := cache.Get("localhost")
	if !ok {
		return nil, errors.New("no ticket after the handshake")
	}
	return cs, nil
}

// fuzzConn is the fuzzed side's transport: Read returns the peer's stream
// and then io.EOF; Write succeeds and keeps the bytes only when asked.
type fuzzConn struct {
	in      *bytes.Reader
	out     bytes.Buffer
	keepOut bool
}

func (c *fuzzConn) Read(b []byte) (int, error) { return c.in.Read(b) }
func (c *fuzzConn) Write(b []byte) (int, error) {
	if c.keepOut {
		c.out.Write(b)
	}
	return len(b), nil
}
func (c *fuzzConn) Close() error                     { return nil }
func (c *fuzzConn) LocalAddr() net.Addr              { return fuzzAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr             { return fuzzAddr{} }
func (c *fuzzConn) SetDeadline(time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(time.Time) error { return nil }

type fuzzAddr struct{}

func (fuzzAddr) Network() string { return "fuzz" }
func (fuzzAddr) String() string  { return "fuzz" }

// recordingConn keeps what its side writes and, on its first Read, calls
// firstRead (which resets the global random stream, see the top of file).
type recordingConn struct {
	net.Conn
	mu        sync.Mutex
	written   bytes.Buffer
	firstRead func()
}

func (c *recordingConn) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.written.Write(b)
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *recordingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 && c.firstRead != nil {
		c.firstRead()
		c.firstRead = nil
	}
	return n, err
}

// fuzzRecording is what each side of a scenario wrote.
type fuzzRecording struct {
	clientBytes, serverBytes []byte
}

// recordScenario runs the scenario's handshake clasp↔clasp with fixed
// randomness and returns what each side sent.
func recordScenario(t *testing.T, sc fuzzScenario) (*fuzzRecording, error) {
	cryptotest.SetGlobalRandom(t, fuzzGlobalSeed)
	cRaw, sRaw := net.Pipe()
	defer cRaw.Close()
	defer sRaw.Close()
	deadline := time.Now().Add(20 * time.Second)
	_ = cRaw.SetDeadline(deadline)
	_ = sRaw.SetDeadline(deadline)
	cConn := &recordingConn{Conn: cRaw, firstRead: func() { cryptotest.SetGlobalRandom(t, fuzzGlobalSeed) }}
	sConn := &recordingConn{Conn: sRaw}
	client, server := Client(cConn, sc.client(t)), Server(sConn, sc.server(t))
	client.earlyData = sc.earlyData
	serverErr := make(chan error, 1)
	go func() { serverErr <- server.Handshake() }()
	cErr := client.Handshake()
	sErr := <-serverErr
	if cErr != nil || sErr != nil {
		return nil, errors.Join(cErr, sErr)
	}
	if sc.earlyData != nil && !server.ConnectionState().EarlyDataAccepted {
		return nil, errors.New("the server did not accept the scenario's early data")
	}
	return &fuzzRecording{clientBytes: cConn.written.Bytes(), serverBytes: sConn.written.Bytes()}, nil
}

var (
	fuzzRecordingsMu sync.Mutex
	fuzzRecordings   = map[string]*fuzzRecording{}
)

// cachedRecording records a scenario once per process.
func cachedRecording(t *testing.T, sc fuzzScenario) *fuzzRecording {
	fuzzRecordingsMu.Lock()
	defer fuzzRecordingsMu.Unlock()
	if rec, ok := fuzzRecordings[sc.name]; ok {
		return rec
	}
	rec, err := recordScenario(t, sc)
	if err != nil {
		t.Fatalf("recording %s: %v", sc.name, err)
	}
	fuzzRecordings[sc.name] = rec
	return rec
}

// fuzzStream turns a fuzz input into the scenario and the peer's bytes;
// exact reports that the stream is the recording itself.
func fuzzStream(t *testing.T, data []byte, isClient bool) (sc fuzzScenario, stream []byte, exact bool) {
	sc = fuzzScenarios[int(data[0]&0x0f)%len(fuzzScenarios)]
	if data[0]&0x80 != 0 {
		return sc, data[1:], false
	}
	rec := cachedRecording(t, sc)
	recorded := rec.clientBytes // what the server under test hears
	if isClient {
		recorded = rec.serverBytes
	}
	if len(data) < 3 {
		return sc, recorded, true
	}
	off := int(binary.BigEndian.Uint16(data[1:3])) % (len(recorded) + 1)
	patch := data[3:]
	out := append([]byte{}, recorded[:off]...)
	switch {
	case len(patch) == 0:
		// cut
	case data[0]&0x40 != 0:
		out = append(append(out, patch...), recorded[off:]...)
	default:
		out = append(out, patch...)
		if end := off + len(patch); end < len(recorded) {
			out = append(out, recorded[end:]...)
		}
	}
	return sc, out, bytes.Equal(out, recorded)
}

// runFuzzSide runs one side's handshake on stream with the scenario's
// Config and the recording's randomness, and checks the properties every
// input must satisfy.
func runFuzzSide(t *testing.T, sc fuzzScenario, stream []byte, isClient, exact, traced bool) (*Conn, *fuzzConn, error) {
	cryptotest.SetGlobalRandom(t, fuzzGlobalSeed)
	conn := &fuzzConn{in: bytes.NewReader(stream), keepOut: exact}
	cfg := sc.server(t)
	if isClient {
		cfg = sc.client(t)
	}
	var diagram *trace.DiagramTracer
	if traced {
		cfg.Tracer, diagram = everyTracer(t)
	}
	var c *Conn
	if isClient {
		c = Client(conn, cfg)
		c.earlyData = sc.earlyData
	} else {
		c = Server(conn, cfg)
	}
	err := c.Handshake()
	checkFuzzOutcome(t, c, err, exact)
	if diagram != nil {
		if err := diagram.WriteMermaid(io.Discard); err != nil {
			t.Fatalf("Mermaid diagram: %v", err)
		}
		if err := diagram.WriteSVG(io.Discard); err != nil {
			t.Fatalf("SVG diagram: %v", err)
		}
	}
	return c, conn, err
}

// everyTracer is a Tee of every tracer the trace package has, writing to
// io.Discard, and the diagram among them for its renderings.
func everyTracer(t *testing.T) (trace.Tracer, *trace.DiagramTracer) {
	story, err := trace.NewStoryTracer(io.Discard, "en")
	if err != nil {
		t.Fatal(err)
	}
	diagram := trace.NewDiagramTracer(io.Discard)
	return trace.Tee(trace.NewJSONTracer(io.Discard), trace.NewMessageTracer(io.Discard),
		trace.NewStateTracer(io.Discard), story, diagram), diagram
}

func checkFuzzOutcome(t *testing.T, c *Conn, err error, exact bool) {
	t.Helper()
	if exact && err != nil {
		t.Fatalf("the unmodified recording did not replay: %v", err)
	}
	st := c.ConnectionState()
	if err == nil {
		// Only a complete, verified flight ends without an error; the
		// state must then be that of a finished handshake at a version
		// this side's Config allows.
		v := suites.Version(st.Version)
		if !st.HandshakeComplete || st.CipherSuite == 0 || v < c.config.minVersion() || v > c.config.maxVersion() {
			t.Fatalf("Handshake returned nil but the state is %+v", st)
		}
		return
	}
	if st.HandshakeComplete {
		t.Fatalf("Handshake failed (%v) but the state says complete", err)
	}
	var he *HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T) is not a *HandshakeError", err, err)
	}
	if he.Step == "" {
		t.Fatalf("error %v names no step", err)
	}
	// internal_error says clasp itself failed; nothing a peer sends may
	// cause that. The one known exception is reported by the negative
	// tests (...KeyExchangeInsteadOf...Hello) and excluded here so that the
	// fuzzer keeps looking for others.
	if he.AlertSent && wire.AlertDescription(he.Alert) == wire.AlertInternalError && !knownInternalErrorBug(err) {
		t.Fatalf("peer input made clasp send internal_error: %v", err)
	}
	// The first error is sticky.
	if err2 := c.Handshake(); err2 != err {
		t.Fatalf("second Handshake returned %v, want %v", err2, err)
	}
}

// knownInternalErrorBug matches the key exchange message that arrives
// before the hello named a key exchange (see the negative tests).
func knownInternalErrorBug(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "KeyExchange for key exchange 0")
}

// addFuzzSeeds adds, for every scenario, the plain replay and cuts of it at
// a few offsets, plus raw streams that need no recording.
func addFuzzSeeds(f *testing.F, raw ...[]byte) {
	for i := range fuzzScenarios {
		f.Add([]byte{byte(i)})
		f.Add([]byte{byte(i) | 0x20}) // traced
		f.Add([]byte{byte(i) | 0x20, 0xff, 0xff, 0x00})
		for _, off := range []uint16{5, 200, 1000, 3000} {
			f.Add([]byte{byte(i), byte(off >> 8), byte(off)})
		}
		// One flipped byte near the end: in the encrypted Finished.
		f.Add([]byte{byte(i), 0xff, 0xff, 0x00})
	}
	for _, r := range raw {
		f.Add(append([]byte{0x80}, r...))
	}
}

func FuzzServerHandshake(f *testing.F) {
	ch, err := scriptedClientHello().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	hello := rawRecord(wire.ContentHandshake, VersionTLS10, ch)
	addFuzzSeeds(f,
		hello,
		[]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"),
		[]byte{0x80, 0x2e, 0x01, 0x03, 0x01}, // SSL 2.0-style ClientHello header
		// Alerts and records around the ClientHello: ignored warnings up to
		// the limit and one past it, an unknown level, a wrong length, an
		// unasked-for no_renegotiation, empty application data, handshake
		// bytes after the hello in its record, a wrong ChangeCipherSpec.
		bytes.Join([][]byte{bytes.Repeat(fuzzAlert(1, 112), 4), hello}, nil),
		bytes.Join([][]byte{hello, bytes.Repeat(fuzzAlert(1, 90), 5)}, nil),
		bytes.Join([][]byte{hello, fuzzAlert(3, 0), fuzzAlert(1, 100)}, nil),
		bytes.Join([][]byte{hello, rawRecord(wire.ContentAlert, VersionTLS12, []byte{1, 112, 0})}, nil),
		bytes.Join([][]byte{hello, rawRecord(wire.ContentApplicationData, VersionTLS12, nil)}, nil),
		rawRecord(wire.ContentHandshake, VersionTLS10, append(ch, byte(wire.TypeClientKeyExchange), 0, 0)),
		bytes.Join([][]byte{hello, rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, []byte{2})}, nil),
	)
	// Version negotiation and ClientHello size (server_version_test.go),
	// raw against the TLS 1.2 server of scenario 0 and a TLS 1.3 one.
	tls13 := slices.IndexFunc(fuzzScenarios, func(sc fuzzScenario) bool { return sc.name == "TLS13-full" })
	for _, r := range serverVersionSeeds(f) {
		f.Add(append([]byte{0x80}, r...))
		f.Add(append([]byte{0x80 | byte(tls13)}, r...))
	}
	// Hellos the hardening tests refuse (negative_extensions_test.go).
	for _, bad := range hardeningClientHellos(f) {
		f.Add(append([]byte{0x80}, rawRecord(wire.ContentHandshake, VersionTLS10, bad)...))
	}
	// First flights of negative_first_flight_test.go, to both servers.
	for _, r := range firstFlightSeeds(f) {
		f.Add(append([]byte{0x80}, r...))
		f.Add(append([]byte{0x80 | byte(tls13)}, r...))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		sc, stream, exact := fuzzStream(t, data, false)
		runFuzzSide(t, sc, stream, false, exact, data[0]&0x20 != 0)
	})
}

// serverVersionSeeds are first flights that probe a server's version
// negotiation and ClientHello limit: legacy_version 0x0304 without
// supported_versions, supported_versions naming TLS 1.2 only or nothing
// known, legacy_version SSL 3.0 next to supported_versions, record version
// 0x03FE, the fallback SCSV with supported_versions, and a header one byte
// longer than any ClientHello.
func serverVersionSeeds(f *testing.F) [][]byte {
	hello := func(ch *wire.ClientHello, recordVersion uint16) []byte {
		return rawRecord(wire.ContentHandshake, recordVersion, mustMarshal(f, ch))
	}
	legacy13 := scriptedClientHello()
	legacy13.Version = suites.VersionTLS13
	fallback := helloOffering(suites.VersionTLS12, suites.VersionTLS12)
	fallback.CipherSuites = append(fallback.CipherSuites, suites.TLS_FALLBACK_SCSV)
	n := wire.MaxClientHelloLen + 1
	return [][]byte{
		hello(legacy13, VersionTLS10),
		hello(helloOffering(suites.VersionTLS12, suites.VersionTLS12), VersionTLS10),
		hello(helloOffering(suites.VersionTLS12, 0x0a0a, 0x7f1c), VersionTLS10),
		hello(helloOffering(suites.VersionSSL30, suites.VersionTLS13, suites.VersionTLS12), VersionTLS10),
		hello(helloOffering(suites.VersionTLS12, suites.VersionTLS13, suites.VersionTLS12), 0x03fe),
		hello(fallback, VersionTLS10),
		rawRecord(wire.ContentHandshake, VersionTLS10, []byte{byte(wire.TypeClientHello), byte(n >> 16), byte(n >> 8), byte(n)}),
	}
}

func FuzzClientHandshake(f *testing.F) {
	p := testCerts(f)
	sh, err := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	cert, err := (&wire.Certificate{Certificates: p.ecdsaLeaf.Certificate}).Marshal()
	if err != nil {
		f.Fatal(err)
	}
	alert := wire.Alert{Level: wire.AlertLevelFatal, Description: wire.AlertHandshakeFailure}.Marshal()
	for _, bad := range hardeningServerHellos(f) {
		f.Add(append([]byte{0x80}, rawRecord(wire.ContentHandshake, VersionTLS12, bad)...))
	}
	addFuzzSeeds(f,
		rawRecord(wire.ContentHandshake, VersionTLS12, append(sh, cert...)),
		rawRecord(wire.ContentAlert, VersionTLS12, alert),
		[]byte("HTTP/1.1 400 Bad Request\r\n\r\n"),
		// The warnings, levels, lengths and empty records of the server's
		// seeds, from the server's side.
		bytes.Join([][]byte{bytes.Repeat(fuzzAlert(1, 112), 5), rawRecord(wire.ContentHandshake, VersionTLS12, sh)}, nil),
		bytes.Join([][]byte{fuzzAlert(1, 112), rawRecord(wire.ContentHandshake, VersionTLS12, append(sh, cert...))}, nil),
		bytes.Join([][]byte{fuzzAlert(255, 40), rawRecord(wire.ContentAlert, VersionTLS12, []byte{2})}, nil),
		bytes.Join([][]byte{rawRecord(wire.ContentHandshake, VersionTLS12, sh), rawRecord(wire.ContentApplicationData, VersionTLS12, nil)}, nil),
	)
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		sc, stream, exact := fuzzStream(t, data, true)
		runFuzzSide(t, sc, stream, true, exact, data[0]&0x20 != 0)
	})
}

// fuzzAlert is an alert record with any level and description.
func fuzzAlert(level, desc byte) []byte {
	return rawRecord(wire.ContentAlert, VersionTLS12, []byte{level, desc})
}

// hardeningClientHellos are ClientHellos a server must refuse: a TLS 1.3
// one offering compression {0, 1}, a TLS 1.2 one whose ec_point_formats
// lacks uncompressed, and one carrying supported_groups twice.
func hardeningClientHellos(tb testing.TB) [][]byte {
	tls13 := &wire.ClientHello{Version: suites.VersionTLS12, CipherSuites: []suites.ID{suites.TLS_AES_128_GCM_SHA256},
		CompressionMethods: []uint8{0, 1},
		Extensions: []wire.Extension{
			&wire.SupportedGroupsExt{Groups: []suites.Group{suites.X25519}},
			&wire.SignatureAlgorithmsExt{Schemes: suites.DefaultSignatureSchemes()},
			&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
			&wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: suites.X25519, KeyExchange: bytes.Repeat([]byte{9}, 32)}}},
		}}
	points := scriptedClientHello()
	points.Extensions[2] = &wire.ECPointFormatsExt{Formats: []uint8{1}}
	dup := scriptedClientHello()
	dup.Extensions = append(dup.Extensions, &wire.UnknownExt{Code: dupPlaceholder, Data: []byte{0, 2, 0, 29}})
	return [][]byte{mustMarshal(tb, tls13), mustMarshal(tb, points), withDuplicate(tb, dup, wire.ExtSupportedGroups, 4).raw}
}

// hardeningServerHellos are TLS 1.2 ServerHellos a client must refuse:
// ec_point_formats without uncompressed, a TLS 1.3 key_share, and
// extended_master_secret twice.
func hardeningServerHellos(tb testing.TB) [][]byte {
	const suite = suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	points := scriptedServerHello(suite)
	points.Extensions = append(points.Extensions, &wire.ECPointFormatsExt{Formats: []uint8{1}})
	share := scriptedServerHello(suite)
	share.Extensions = append(share.Extensions, &wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: suites.X25519, KeyExchange: bytes.Repeat([]byte{9}, 32)}}})
	dup := scriptedServerHello(suite)
	dup.Extensions = append(dup.Extensions, &wire.UnknownExt{Code: dupPlaceholder})
	return [][]byte{mustMarshal(tb, points), mustMarshal(tb, share), withDuplicate(tb, dup, wire.ExtExtendedMasterSecret, 0).raw}
}

// TestFuzzRecordingsReplay proves that the fuzz seeds reach the end of the
// handshake: each side, replayed alone against the other's recorded bytes,
// completes and writes exactly what it wrote in the recording.
func TestFuzzRecordingsReplay(t *testing.T) {
	for _, sc := range fuzzScenarios {
		t.Run(sc.name, func(t *testing.T) {
			rec, err := recordScenario(t, sc)
			if err != nil {
				t.Fatalf("recording: %v", err)
			}
			for _, side := range []struct {
				name       string
				isClient   bool
				in, wanted []byte
			}{
				{"server", false, rec.clientBytes, rec.serverBytes},
				{"client", true, rec.serverBytes, rec.clientBytes},
			} {
				// Tracing watches and changes nothing on the wire.
				if _, conn, err := runFuzzSide(t, sc, side.in, side.isClient, true, true); err != nil || !bytes.Equal(conn.out.Bytes(), side.wanted) {
					t.Errorf("%s replay with every tracer: %v, or other bytes than the recording", side.name, err)
				}
				c, conn, err := runFuzzSide(t, sc, side.in, side.isClient, true, false)
				if err != nil {
					t.Fatalf("%s replay: %v", side.name, err)
				}
				if !bytes.Equal(conn.out.Bytes(), side.wanted) {
					t.Errorf("%s replay wrote %d bytes that differ from the recording's %d", side.name, conn.out.Len(), len(side.wanted))
				}
				st := c.ConnectionState()
				if st.CipherSuiteName == "" {
					t.Errorf("%s replay negotiated no suite", side.name)
				}
				if want := strings.HasPrefix(sc.name, "TLS13"); (st.Version == VersionTLS13) != want {
					t.Errorf("%s replay negotiated %s", side.name, VersionName(st.Version))
				}
				if want := strings.Contains(sc.name, "resumed"); st.DidResume != want {
					t.Errorf("%s replay: DidResume %v", side.name, st.DidResume)
				}
				if want := strings.Contains(sc.name, "0RTT"); st.EarlyDataAccepted != want {
					t.Errorf("%s replay: EarlyDataAccepted %v", side.name, st.EarlyDataAccepted)
				}
				if want := strings.Contains(sc.name, "HRR"); st.DidHelloRetryRequest != want {
					t.Errorf("%s replay: DidHelloRetryRequest %v", side.name, st.DidHelloRetryRequest)
				}
				if want := strings.Contains(sc.name, "mutual"); want && len(st.PeerCertificates) == 0 && !side.isClient {
					t.Errorf("%s replay: no client certificate", side.name)
				}
			}
			// A changed byte in the recorded Finished must not replay.
			bad := bytes.Clone(rec.clientBytes)
			bad[len(bad)-1] ^= 1
			if _, _, err := runFuzzSide(t, sc, bad, false, false, false); err == nil {
				t.Error("server accepted a client flight with a flipped byte")
			}
		})
	}
}

package clasp

// TLS 1.3 0-RTT early data (early_data.go) between a clasp client and a
// clasp server, and against a scripted client: acceptance, every reason a
// server rejects early data (after which the client sends the bytes again),
// replay of a recorded ClientHello, the max_early_data_size limit, and the
// client that has nothing to send early with.
//
// The connections run over loopback TCP (loopbackPair), not net.Pipe: a
// client sends its ClientHello and its 0-RTT records in one flight, and a
// server that writes its own flight before it has read all of that would
// block on a pipe. Both sides run on fixed clocks (Config.Time), so ticket
// ages are exact and no assertion depends on timing.

import (
	"bytes"
	"crypto/sha256"
	"io"
	"net"
	"runtime/debug"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/trace"
)

// earlyDataEpoch is when the tests' clocks start: noon, far from a ticket
// key rotation boundary (midnight UTC with the default 24 h period).
var earlyDataEpoch = time.Date(2026, 3, 14, 12, 0, 0, 0, time.UTC)

// edClock is a settable clock for Config.Time and the replay store.
type edClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *edClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *edClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// earlyDataSetup is a client that sends early data and a server that
// accepts up to maxEarly bytes, each on its own clock, the server with its
// own replay memory.
type earlyDataSetup struct {
	client, server           *Config
	clientClock, serverClock *edClock
	store                    sessions.Store
}

func newEarlyDataSetup(t testing.TB, maxEarly uint32) *earlyDataSetup {
	s := &earlyDataSetup{
		client:      testClientConfig13(t),
		server:      testServerConfig13(t),
		clientClock: &edClock{now: earlyDataEpoch},
		serverClock: &edClock{now: earlyDataEpoch},
	}
	s.store = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 64, Now: s.serverClock.Now})
	s.client.EarlyData = true
	s.client.ClientSessionCache = NewLRUClientSessionCache(4)
	s.client.Time = s.clientClock.Now
	s.server.MaxEarlyData = maxEarly
	s.server.Time = s.serverClock.Now
	s.server.SessionStore = s.store
	return s
}

// ticket runs the full handshake that gives the client its ticket and
// checks that the ticket carries the server's early data limit.
func (s *earlyDataSetup) ticket(t *testing.T) *ClientSessionState {
	t.Helper()
	obtainTicket(t, s.client, s.server)
	cs, _ := s.client.ClientSessionCache.Get(s.client.ServerName)
	if cs.maxEarlyData != s.server.MaxEarlyData {
		t.Fatalf("the ticket allows %d bytes of early data, want the server's %d", cs.maxEarlyData, s.server.MaxEarlyData)
	}
	return cs
}

// earlyRun is what both ends of one connection saw: the client's two
// Writes (early, then rest) and everything the server Read until EOF.
type earlyRun struct {
	client, server     *Conn
	clientTr, serverTr *recordingTracer

	written  int
	writeErr error

	firstRead []byte // the server's first Read
	read      []byte // all the server read, firstRead included
	readErr   error  // nil when the server read up to the client's close_notify

	clientState, serverState ConnectionState
}

// runEarlyData connects a clasp client and a clasp server over loopback
// TCP. The client's first Write is early (it runs the handshake, so with
// Config.EarlyData and a suitable ticket its bytes leave as 0-RTT data),
// its second Write, if rest is not empty, comes after the handshake; then
// it sends close_notify. The server Reads until EOF. wrap, when not nil,
// wraps the client's transport. A side that fails closes its socket so
// that the other is not left waiting.
func runEarlyData(t *testing.T, clientCfg, serverCfg *Config, early, rest []byte, wrap func(net.Conn) net.Conn) *earlyRun {
	t.Helper()
	a, b := loopbackPair(t)
	var ca net.Conn = a
	if wrap != nil {
		ca = wrap(a)
	}
	r := &earlyRun{clientTr: &recordingTracer{}, serverTr: &recordingTracer{}}
	clientCfg.Tracer, serverCfg.Tracer = r.clientTr, r.serverTr
	r.client, r.server = Client(ca, clientCfg), Server(b, serverCfg)
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, len(early)+len(rest)+1024)
		for {
			n, err := r.server.Read(buf)
			if n > 0 && r.firstRead == nil {
				r.firstRead = bytes.Clone(buf[:n])
			}
			r.read = append(r.read, buf[:n]...)
			if err == io.EOF {
				return
			}
			if err != nil {
				r.readErr = err
				b.Close()
				return
			}
		}
	}()
	// A panic in the client (a bug) fails this test instead of the whole
	// test binary. Its handshake lock may still be held, so nothing else
	// is asked of the client then.
	var stack []byte
	if p := func() (p any) {
		defer func() {
			if p = recover(); p != nil {
				stack = debug.Stack()
			}
		}()
		r.written, r.writeErr = r.client.Write(early)
		if r.writeErr == nil && len(rest) > 0 {
			var n int
			n, r.writeErr = r.client.Write(rest)
			r.written += n
		}
		return nil
	}(); p != nil {
		a.Close()
		b.Close()
		t.Fatalf("the client panicked in Write: %v\n%s", p, stack)
	}
	if r.writeErr == nil {
		r.writeErr = r.client.CloseWrite()
	}
	if r.writeErr != nil {
		a.Close()
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		t.Fatal("the server did not finish reading")
	}
	r.clientState, r.serverState = r.client.ConnectionState(), r.server.ConnectionState()
	return r
}

// mustDeliver checks that the connection worked and that the server read
// exactly the client's bytes, once, in order.
func (r *earlyRun) mustDeliver(t *testing.T, early, rest []byte) {
	t.Helper()
	if r.writeErr != nil || r.readErr != nil {
		t.Fatalf("client write: %v; server read: %v", r.writeErr, r.readErr)
	}
	want := append(slices.Clone(early), rest...)
	if r.written != len(want) {
		t.Errorf("the client's Writes reported %d bytes, want %d", r.written, len(want))
	}
	if !bytes.Equal(r.read, want) {
		t.Fatalf("the server read %q, want %q (each byte exactly once)", r.read, want)
	}
	if r.clientState.Version != VersionTLS13 || !r.clientState.HandshakeComplete || !r.serverState.HandshakeComplete {
		t.Fatalf("version %s, handshake complete client %v server %v", VersionName(r.clientState.Version),
			r.clientState.HandshakeComplete, r.serverState.HandshakeComplete)
	}
}

// earlyDecisions returns the traced decisions about early data, in order.
func earlyDecisions(tr *recordingTracer) []*trace.Decision {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []*trace.Decision
	for _, e := range tr.events {
		if d, ok := e.(*trace.Decision); ok && d.What == "early_data" {
			out = append(out, d)
		}
	}
	return out
}

// decisionCodes lists the reason codes of ds, for messages and comparisons.
func decisionCodes(ds []*trace.Decision) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.ReasonCode)
	}
	return out
}

// sentClientHello returns the ClientHello a client traced sending first.
func sentClientHello(t *testing.T, tr *recordingTracer) *wire.ClientHello {
	t.Helper()
	for _, m := range tr.messages() {
		if ch, ok := m.Parsed.(*wire.ClientHello); ok && m.Direction == trace.Sent {
			return ch
		}
	}
	t.Fatal("the client traced no ClientHello")
	return nil
}

func offersEarlyData(ch *wire.ClientHello) bool {
	_, ok := wire.FindExtension[*wire.EarlyDataExt](ch.Extensions)
	return ok
}

// tracedMessage reports whether tr saw a handshake message of type typ
// going in direction dir.
func tracedMessage(tr *recordingTracer, dir trace.Direction, typ wire.HandshakeType) bool {
	for _, m := range tr.messages() {
		if msg, ok := m.Parsed.(wire.Message); ok && m.Direction == dir && msg.Type() == typ {
			return true
		}
	}
	return false
}

// wantAccepted checks the states and traces of a connection whose early
// data the server accepted.
func (r *earlyRun) wantAccepted(t *testing.T, sentEarly int) {
	t.Helper()
	for _, side := range []struct {
		name string
		st   ConnectionState
	}{{"client", r.clientState}, {"server", r.serverState}} {
		if !side.st.DidResume || !side.st.EarlyDataAccepted {
			t.Errorf("%s: DidResume %v, EarlyDataAccepted %v; want both", side.name, side.st.DidResume, side.st.EarlyDataAccepted)
		}
		if !slices.Contains(side.st.Warnings, earlyDataWarning) {
			t.Errorf("%s: warnings %q lack the 0-RTT warning", side.name, side.st.Warnings)
		}
	}
	if !offersEarlyData(sentClientHello(t, r.clientTr)) || !sentEarlyApplicationData(r.clientTr) {
		t.Error("the client's ClientHello has no early_data extension, or no application data followed it")
	}
	cd := earlyDecisions(r.clientTr)
	if len(cd) != 1 || cd[0].ReasonCode != "early_data_sent" || cd[0].Warning != earlyDataWarning {
		t.Errorf("client early_data decisions %q, want one early_data_sent with the warning", decisionCodes(cd))
	} else if want := strconv.Itoa(sentEarly) + " bytes sent"; cd[0].Chosen != want {
		t.Errorf("client decision says %q, want %q", cd[0].Chosen, want)
	}
	sd := earlyDecisions(r.serverTr)
	if len(sd) != 1 || sd[0].ReasonCode != "early_data_accepted" || sd[0].Warning != earlyDataWarning {
		t.Errorf("server early_data decisions %q, want one early_data_accepted with the warning", decisionCodes(sd))
	}
	if !tracedMessage(r.clientTr, trace.Sent, wire.TypeEndOfEarlyData) || !tracedMessage(r.serverTr, trace.Received, wire.TypeEndOfEarlyData) {
		t.Error("EndOfEarlyData was not traced on both sides")
	}
}

// wantRejected checks the states and traces of a connection whose early
// data the client sent and the server rejected for reason.
func (r *earlyRun) wantRejected(t *testing.T, reason string, clientSaysRejected bool) {
	t.Helper()
	for _, side := range []struct {
		name string
		st   ConnectionState
	}{{"client", r.clientState}, {"server", r.serverState}} {
		if side.st.EarlyDataAccepted {
			t.Errorf("%s: EarlyDataAccepted true, want false", side.name)
		}
		if slices.Contains(side.st.Warnings, earlyDataWarning) {
			t.Errorf("%s: the 0-RTT warning is there although no early data was accepted", side.name)
		}
	}
	if !offersEarlyData(sentClientHello(t, r.clientTr)) {
		t.Fatal("the client's ClientHello has no early_data extension: the test proves nothing")
	}
	cd := decisionCodes(earlyDecisions(r.clientTr))
	want := []string{"early_data_sent"}
	if clientSaysRejected {
		want = append(want, "early_data_rejected")
	}
	if !slices.Equal(cd, want) {
		t.Errorf("client early_data decisions %q, want %q", cd, want)
	}
	sd := earlyDecisions(r.serverTr)
	if len(sd) != 1 || sd[0].ReasonCode != "early_data_rejected" || !strings.Contains(sd[0].Reason, reason) {
		var reasons []string
		for _, d := range sd {
			reasons = append(reasons, d.ReasonCode+": "+d.Reason)
		}
		t.Errorf("server early_data decisions %q, want one early_data_rejected saying %q", reasons, reason)
	}
	if tracedMessage(r.clientTr, trace.Sent, wire.TypeEndOfEarlyData) {
		t.Error("the client sent EndOfEarlyData for rejected early data")
	}
}

// The second connection resumes with the first one's ticket and sends
// the first Write's bytes as 0-RTT data; the server's first Read returns
// exactly them, its next Reads the bytes written after the handshake. Both
// sides report EarlyDataAccepted and the replay warning.
func TestEarlyDataAccepted(t *testing.T) {
	s := newEarlyDataSetup(t, 1024)
	s.ticket(t)
	early, rest := []byte("GET /early HTTP/1.1\r\nHost: localhost\r\n\r\n"), []byte("and this after the handshake")
	r := runEarlyData(t, s.client, s.server, early, rest, nil)
	r.mustDeliver(t, early, rest)
	if !bytes.Equal(r.firstRead, early) {
		t.Errorf("the server's first Read returned %q, want the early data %q", r.firstRead, early)
	}
	r.wantAccepted(t, len(early))
}

// A first Write longer than the ticket allows: its first max_early_data_size
// bytes leave as 0-RTT data, the rest after the handshake, and Write
// reports the whole length.
func TestEarlyDataLongerThanTheTicketAllows(t *testing.T) {
	s := newEarlyDataSetup(t, 16)
	s.ticket(t)
	early := []byte("0123456789abcdef-and-more-than-the-ticket-allows")
	r := runEarlyData(t, s.client, s.server, early, nil, nil)
	r.mustDeliver(t, early, nil)
	if !bytes.Equal(r.firstRead, early[:16]) {
		t.Errorf("the server's first Read returned %q, want the 16 bytes of early data %q", r.firstRead, early[:16])
	}
	r.wantAccepted(t, 16)
}

// Early data spanning several records (more than 2^14 bytes).
func TestEarlyDataSeveralRecords(t *testing.T) {
	s := newEarlyDataSetup(t, 40000)
	s.ticket(t)
	early := bytes.Repeat([]byte("0-RTT "), 6000) // 36000 bytes: three records
	rest := []byte("after")
	r := runEarlyData(t, s.client, s.server, early, rest, nil)
	r.mustDeliver(t, early, rest)
	if !bytes.Equal(r.firstRead, early) {
		t.Errorf("the server's first Read returned %d bytes, want the %d bytes of early data", len(r.firstRead), len(early))
	}
	r.wantAccepted(t, len(early))
}

// Each reason a server rejects early data (RFC 8446 §4.2.10): no early
// data configured any more, another ALPN protocol or suite than the
// ticket's, a ticket age too far from the server's view either way, a
// HelloRetryRequest. The handshake goes on and resumes; the server skips
// the early data records, and the client sends the bytes again after the
// handshake, so the server reads each byte exactly once. Both sides report
// EarlyDataAccepted false.
func TestEarlyDataRejected(t *testing.T) {
	for _, tc := range []struct {
		name string
		max  uint32
		// before runs before the ticket is issued, after between the
		// ticket and the 0-RTT connection.
		before, after func(s *earlyDataSetup)
		early         []byte
		reason        string
		// The client traces early_data_rejected when EncryptedExtensions
		// lacks early_data, or when a HelloRetryRequest drops it.
		clientSaysRejected bool
	}{
		{
			name:  "server accepts none (MaxEarlyData 0)",
			max:   1024,
			after: func(s *earlyDataSetup) { s.server.MaxEarlyData = 0 },
			early: []byte("early data for a server that no longer takes any"), reason: "accepts no early data",
			clientSaysRejected: true,
		},
		{
			name: "ALPN differs from the ticket's",
			max:  1024,
			before: func(s *earlyDataSetup) {
				s.client.NextProtos, s.server.NextProtos = []string{"a", "b"}, []string{"a"}
			},
			after: func(s *earlyDataSetup) { s.server.NextProtos = []string{"b"} },
			early: []byte("early data under ALPN a"), reason: "ALPN",
			clientSaysRejected: true,
		},
		{
			name:  "ticket age skew beyond 10 s",
			max:   1024,
			after: func(s *earlyDataSetup) { s.serverClock.Advance(earlyDataWindow + 20*time.Second) },
			early: []byte("early data with a stale ticket age"), reason: "ticket age",
			clientSaysRejected: true,
		},
		{
			name:  "ticket age skew beyond 10 s the other way",
			max:   1024,
			after: func(s *earlyDataSetup) { s.clientClock.Advance(earlyDataWindow + 20*time.Second) },
			early: []byte("early data with a ticket age from the future"), reason: "ticket age",
			clientSaysRejected: true,
		},
		{
			name:  "HelloRetryRequest",
			max:   1024,
			after: func(s *earlyDataSetup) { s.server.Groups = []CurveID{CurveP256} },
			early: []byte("early data before a HelloRetryRequest"), reason: "HelloRetryRequest",
			clientSaysRejected: true,
		},
		{
			name: "ticket suite differs",
			max:  1024,
			before: func(s *earlyDataSetup) {
				s.client.CipherSuites = []uint16{uint16(suites.TLS_AES_128_GCM_SHA256), uint16(suites.TLS_CHACHA20_POLY1305_SHA256)}
				s.server.CipherSuites = []uint16{uint16(suites.TLS_AES_128_GCM_SHA256)}
			},
			after: func(s *earlyDataSetup) {
				s.server.CipherSuites = []uint16{uint16(suites.TLS_CHACHA20_POLY1305_SHA256), uint16(suites.TLS_AES_128_GCM_SHA256)}
			},
			early: []byte("early data under AES-128-GCM"), reason: "cipher suite",
			clientSaysRejected: true,
		},
		{
			// RFC 8446 §4.2.10: a server that rejects early data skips
			// it "up to the configured max_early_data_size". This server
			// announced 256 KiB and rejects (stale ticket age) a client
			// that sent 100 KiB.
			name:  "large early data skipped",
			max:   256 << 10,
			after: func(s *earlyDataSetup) { s.serverClock.Advance(time.Minute / 2) },
			early: bytes.Repeat([]byte("large 0-RTT data "), 100<<10/17), reason: "ticket age",
			clientSaysRejected: true,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newEarlyDataSetup(t, tc.max)
			if tc.before != nil {
				tc.before(s)
			}
			s.ticket(t)
			tc.after(s)
			rest := []byte("written after the handshake")
			r := runEarlyData(t, s.client, s.server, tc.early, rest, nil)
			r.mustDeliver(t, tc.early, rest)
			r.wantRejected(t, tc.reason, tc.clientSaysRejected)
			if !r.clientState.DidResume || !r.serverState.DidResume {
				t.Errorf("DidResume client %v server %v, want both", r.clientState.DidResume, r.serverState.DidResume)
			}
		})
	}
}

// The ticket age check has a window: a skew within earlyDataWindow is
// accepted, so the rejections above come from the skew's size.
func TestEarlyDataAcceptedWithSmallTicketAgeSkew(t *testing.T) {
	for _, skew := range []time.Duration{5 * time.Second, -5 * time.Second} {
		t.Run(skew.String(), func(t *testing.T) {
			s := newEarlyDataSetup(t, 1024)
			s.ticket(t)
			if skew > 0 {
				s.serverClock.Advance(skew)
			} else {
				s.clientClock.Advance(-skew)
			}
			early := []byte("early data with a slightly skewed age")
			r := runEarlyData(t, s.client, s.server, early, nil, nil)
			r.mustDeliver(t, early, nil)
			r.wantAccepted(t, len(early))
		})
	}
}

// flightRecorder keeps a copy of every Write.
type flightRecorder struct {
	net.Conn
	mu     sync.Mutex
	writes [][]byte
}

func (c *flightRecorder) Write(b []byte) (int, error) {
	c.mu.Lock()
	c.writes = append(c.writes, bytes.Clone(b))
	c.mu.Unlock()
	return c.Conn.Write(b)
}

func (c *flightRecorder) firstWrite() []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.writes) == 0 {
		return nil
	}
	return c.writes[0]
}

// splitRecords splits b into records: content type and body.
func splitRecords(t *testing.T, b []byte) (types []wire.ContentType, bodies [][]byte) {
	t.Helper()
	for len(b) > 0 {
		if len(b) < 5 {
			t.Fatalf("%d bytes left, not a record", len(b))
		}
		n := int(b[3])<<8 | int(b[4])
		if len(b) < 5+n {
			t.Fatalf("record of %d bytes cut after %d", n, len(b)-5)
		}
		types, bodies = append(types, wire.ContentType(b[0])), append(bodies, b[5:5+n])
		b = b[5+n:]
	}
	return types, bodies
}

// RFC 8446 §8: an attacker who recorded a client's ClientHello and
// 0-RTT records sends them again. The server (same Config, so the same
// ticket key and replay memory) opens the ticket and verifies the binder,
// which the recording carries, but has seen this ClientHello: it rejects
// the early data, and since the attacker cannot finish the handshake,
// Read never returns the early bytes.
func TestEarlyDataReplayRejected(t *testing.T) {
	s := newEarlyDataSetup(t, 1024)
	s.ticket(t)
	early := []byte("POST /transfer?amount=100 HTTP/1.1\r\n\r\n")
	var rec *flightRecorder
	r := runEarlyData(t, s.client, s.server, early, nil, func(c net.Conn) net.Conn {
		rec = &flightRecorder{Conn: c}
		return rec
	})
	r.mustDeliver(t, early, nil)
	r.wantAccepted(t, len(early))

	// The client's first flight, in one write (docs/ARCHITECTURE.md: one
	// write per flight): ClientHello, the compatibility
	// change_cipher_spec, and the early data record.
	flight := rec.firstWrite()
	types, bodies := splitRecords(t, flight)
	if len(types) < 2 || types[0] != wire.ContentHandshake || types[len(types)-1] != wire.ContentApplicationData {
		t.Fatalf("the client's first write holds records %v, want the ClientHello first and the 0-RTT data last", types)
	}
	if ch, err := wire.ParseHandshake(bodies[0], wire.Context{}); err != nil {
		t.Fatalf("first record: %v", err)
	} else if hello, ok := ch.(*wire.ClientHello); !ok || !offersEarlyData(hello) {
		t.Fatalf("first record %T is not a ClientHello offering early data", ch)
	}

	st := &recordingTracer{}
	s.server.Tracer = st
	a, b := loopbackPair(t)
	victim := Server(b, s.server)
	type readResult struct {
		n   int
		err error
	}
	read := make(chan readResult, 1)
	go func() {
		n, err := victim.Read(make([]byte, 1024))
		if err != nil {
			b.Close()
		}
		read <- readResult{n, err}
	}()
	if _, err := a.Write(flight); err != nil {
		t.Fatal(err)
	}
	// The server's ServerHello (in the clear) shows it got past the
	// hello; then the attacker, who has no keys, gives up.
	var hdr [5]byte
	if _, err := io.ReadFull(a, hdr[:]); err != nil {
		t.Fatalf("no answer to the replayed hello: %v", err)
	}
	if wire.ContentType(hdr[0]) != wire.ContentHandshake {
		t.Fatalf("the server answered the replay with a %v record", wire.ContentType(hdr[0]))
	}
	a.Close()
	var res readResult
	select {
	case res = <-read:
	case <-time.After(15 * time.Second):
		t.Fatal("the server's Read did not return")
	}
	if res.err == nil || res.n != 0 {
		t.Fatalf("the server's Read returned %d bytes, %v, want no data and an error", res.n, res.err)
	}
	if victim.ConnectionState().EarlyDataAccepted {
		t.Error("the server accepted the replayed early data")
	}
	if d := findDecision(st, "session"); d == nil || d.ReasonCode != "ticket_accepted" {
		t.Fatalf("server's session decision %+v: the replay must get as far as resuming for the test to mean anything", d)
	}
	ds := earlyDecisions(st)
	if len(ds) != 1 || ds[0].ReasonCode != "early_data_rejected" || !strings.Contains(ds[0].Reason, "replay") {
		var reasons []string
		for _, d := range ds {
			reasons = append(reasons, d.ReasonCode+": "+d.Reason)
		}
		t.Fatalf("server early_data decisions %q, want one early_data_rejected naming a replay", reasons)
	}
}

// A replayed ClientHello is refused by another server of the same fleet:
// another Config with the same ticket key and the same replay store.
func TestEarlyDataReplayRejectedAcrossServersSharingAStore(t *testing.T) {
	s := newEarlyDataSetup(t, 1024)
	s.server.SessionTicketKey = [32]byte{'f', 'l', 'e', 'e', 't'}
	s.ticket(t)
	early := []byte("early data seen by server one")
	var rec *flightRecorder
	r := runEarlyData(t, s.client, s.server, early, nil, func(c net.Conn) net.Conn {
		rec = &flightRecorder{Conn: c}
		return rec
	})
	r.mustDeliver(t, early, nil)
	r.wantAccepted(t, len(early))

	other := testServerConfig13(t)
	other.MaxEarlyData, other.Time, other.SessionStore, other.SessionTicketKey = 1024, s.serverClock.Now, s.store, s.server.SessionTicketKey
	st := &recordingTracer{}
	other.Tracer = st
	a, b := loopbackPair(t)
	done := make(chan error, 1)
	go func() {
		err := Server(b, other).Handshake()
		b.Close()
		done <- err
	}()
	if _, err := a.Write(rec.firstWrite()); err != nil {
		t.Fatal(err)
	}
	var hdr [5]byte
	if _, err := io.ReadFull(a, hdr[:]); err != nil {
		t.Fatalf("no answer to the replayed hello: %v", err)
	}
	a.Close()
	if err := <-done; err == nil {
		t.Fatal("the replayed handshake completed")
	}
	ds := earlyDecisions(st)
	if len(ds) != 1 || ds[0].ReasonCode != "early_data_rejected" || !strings.Contains(ds[0].Reason, "replay") {
		t.Fatalf("server two's early_data decisions %q, want early_data_rejected for a replay", decisionCodes(ds))
	}
}

// ---- a scripted 0-RTT client ----

// earlyHello13 builds a resumption ClientHello for the ticket cs that offers
// early data, with its binder, and returns it with its bytes and the
// (EC)DHE private key of its X25519 share.
func earlyHello13(t *testing.T, cs *ClientSessionState, age time.Duration) (*wire.ClientHello, []byte, func(peer []byte) []byte) {
	t.Helper()
	ch, privs := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	ch.CipherSuites = []suites.ID{cs.suite.ID}
	ch.Extensions = append(ch.Extensions, &wire.EarlyDataExt{})
	raw := offerTicket(t, ch, cs, age)
	shared := func(peer []byte) []byte {
		pub, err := privs[suites.X25519].Curve().NewPublicKey(peer)
		if err != nil {
			t.Fatal(err)
		}
		secret, err := privs[suites.X25519].ECDH(pub)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	return ch, raw, shared
}

// startEarlyScript obtains a ticket for a clasp client, then starts the
// server facing a scripted client that sends a 0-RTT ClientHello for it
// and early data records of the given sizes under
// client_early_traffic_secret. It reads the server's answer up to its
// Finished (checking that the server accepted the early data) and leaves
// the peer reading under the server's application key and writing under
// the early key. With compatCCS a change_cipher_spec (record version
// 0x0303, RFC 8446 §5.1 and Appendix D.4) goes between the ClientHello and
// the early data, as a middlebox-compatible client sends it.
func startEarlyScript(t *testing.T, s *earlyDataSetup, compatCCS bool, records ...[]byte) (*scriptedRun, *peer13) {
	t.Helper()
	cs := s.ticket(t)
	run, p := startServer13(t, s.server)
	ch, raw, shared := earlyHello13(t, cs, 0)
	p.send(ch)
	if compatCCS {
		p.writeRecord(wire.ContentChangeCipherSpec, []byte{1})
	}
	h := cs.suite.PRFHash.New()
	h.Write(raw)
	p.suite = cs.suite
	p.wr = p.protection(keys.NewSchedule13(cs.suite.PRFHash, cs.psk).ClientEarlyTrafficSecret(h.Sum(nil)))
	for _, rec := range records {
		p.writeRecord(wire.ContentApplicationData, rec)
	}
	p.flush()
	msg, _ := p.readMessage()
	sh, ok := msg.(*wire.ServerHello)
	if !ok {
		t.Fatalf("server answered %v, want a ServerHello", msg.Type())
	}
	if _, ok := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions); !ok {
		t.Fatal("the server did not resume")
	}
	ks, _ := wire.FindExtension[*wire.KeyShareExt](sh.Extensions)
	p.setSuite(sh.CipherSuite)
	p.deriveHandshake(cs.psk, shared(ks.Entries[0].KeyExchange))
	p.rd, p.rdSeq = p.protection(p.sHS), 0
	msg, _ = p.readMessage()
	ee, ok := msg.(*wire.EncryptedExtensions)
	if !ok {
		t.Fatalf("server sent %v, want EncryptedExtensions", msg.Type())
	}
	if _, ok := wire.FindExtension[*wire.EarlyDataExt](ee.Extensions); !ok {
		t.Fatal("the server did not accept the early data: the test proves nothing")
	}
	if msg, _ = p.readMessage(); msg.Type() != wire.TypeFinished {
		t.Fatalf("server sent %v, want Finished", msg.Type())
	}
	p.deriveApplication()
	p.rd, p.rdSeq = p.protection(p.sAP), 0
	return run, p
}

// finishEarly sends, after startEarlyScript, EndOfEarlyData under the
// early key and the client's Finished under the handshake key, and waits
// for the clasp server's handshake to succeed.
func (p *peer13) finishEarly(run *scriptedRun) {
	p.t.Helper()
	p.send(&wire.EndOfEarlyData{})
	p.wr, p.wrSeq = p.protection(p.cHS), 0
	p.send(p.finished(p.cHS))
	p.flush()
	if err := run.wait(); err != nil {
		p.t.Fatalf("server: %v", err)
	}
}

// RFC 8446 §4.2.10: a server that receives more than
// max_early_data_size bytes of 0-RTT data "SHOULD terminate the connection
// with an "unexpected_message" alert". The scripted client sends one byte
// too many against a ticket that allows 16, in one record or in several.
func TestEarlyDataMoreThanMaxEarlyDataSize(t *testing.T) {
	for _, tc := range []struct {
		name    string
		records [][]byte
	}{
		{"one record", [][]byte{bytes.Repeat([]byte{'x'}, 17)}},
		{"second record crosses the limit", [][]byte{bytes.Repeat([]byte{'x'}, 10), bytes.Repeat([]byte{'y'}, 7)}},
		{"many small records", [][]byte{[]byte("abcd"), []byte("efgh"), []byte("ijkl"), []byte("mnop"), []byte("q")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newEarlyDataSetup(t, 16)
			run, p := startEarlyScript(t, s, true, tc.records...)
			p.expectAlert(wire.AlertUnexpectedMessage)
			wantClaspFailure(t, run.wait(), "read early data and EndOfEarlyData", wire.AlertUnexpectedMessage)
		})
	}
}

// Exactly max_early_data_size bytes, in two records, then EndOfEarlyData
// under the early key and Finished under the handshake key: the server
// completes and Read returns the early data. With and without the
// compatibility change_cipher_spec after the ClientHello.
func TestEarlyDataExactlyMaxEarlyDataSizeScripted(t *testing.T) {
	for _, ccs := range []bool{false, true} {
		t.Run("compatCCS="+strconv.FormatBool(ccs), func(t *testing.T) {
			s := newEarlyDataSetup(t, 16)
			run, p := startEarlyScript(t, s, ccs, []byte("0123456789"), []byte("abcdef"))
			p.finishEarly(run)
			st := run.conn.ConnectionState()
			if !st.EarlyDataAccepted || !st.DidResume {
				t.Fatalf("server: EarlyDataAccepted %v, DidResume %v", st.EarlyDataAccepted, st.DidResume)
			}
			got := make([]byte, 16)
			if _, err := io.ReadFull(run.conn, got); err != nil || string(got) != "0123456789abcdef" {
				t.Fatalf("server read %q, %v; want the 16 bytes of early data", got, err)
			}
		})
	}
}

// The server caps early data at min(the ticket's limit, Config.MaxEarlyData
// now): a ticket issued for 1024 bytes, then the server lowered to 8. A
// clasp client, trusting its ticket, sends 40 bytes; the server accepts
// early data (MaxEarlyData is not 0) but stops at 8 bytes with
// unexpected_message, which the client sees on its next Read.
func TestEarlyDataBeyondLoweredServerLimit(t *testing.T) {
	s := newEarlyDataSetup(t, 1024)
	s.ticket(t)
	s.server.MaxEarlyData = 8
	early := []byte("forty bytes of early data for 8 allowed.")
	a, b := loopbackPair(t)
	client, server := Client(a, s.client), Server(b, s.server)
	serverErr := make(chan error, 1)
	go func() { serverErr <- server.Handshake() }()
	// The client's handshake ends before the server reads the early data:
	// its Write succeeds, and the alert comes on its Read.
	if _, err := client.Write(early); err != nil {
		t.Fatalf("client write: %v", err)
	}
	select {
	case err := <-serverErr:
		wantClaspFailure(t, err, "read early data and EndOfEarlyData", wire.AlertUnexpectedMessage)
	case <-time.After(15 * time.Second):
		t.Fatal("the server's handshake did not end")
	}
	if _, err := client.Read(make([]byte, 1)); receivedAlert(err) != int(wire.AlertUnexpectedMessage) {
		t.Fatalf("client read: %v, want the server's unexpected_message alert", err)
	}
}

// RFC 8446 §4.1.2: the ClientHello after a HelloRetryRequest must not offer
// early data; a server that sees it does aborts with illegal_parameter.
func TestEarlyDataInSecondClientHello(t *testing.T) {
	cfg := testServerConfig13(t)
	cfg.Groups = []CurveID{X25519}
	cfg.MaxEarlyData = 1024
	groups := []suites.Group{suites.X25519, suites.Secp256r1}
	ch1, _ := clientHello13(t, groups, suites.Secp256r1)
	ch1.Extensions = append(ch1.Extensions, &wire.EarlyDataExt{})
	run, p, _ := startHelloRetry13(t, cfg, ch1)
	ch2, _ := clientHello13(t, groups, suites.X25519)
	ch2.Extensions = append(ch2.Extensions, &wire.EarlyDataExt{})
	p.send(ch2)
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "negotiate TLS 1.3 parameters", wire.AlertIllegalParameter)
}

// A client with Config.EarlyData offers early data only with a ticket
// that allows it: with no ticket, or a ticket issued without early_data,
// or without Config.EarlyData, its ClientHello has no early_data extension
// and the first Write's bytes go after the handshake.
func TestEarlyDataNotOffered(t *testing.T) {
	for _, tc := range []struct {
		name    string
		setup   func(t *testing.T, s *earlyDataSetup)
		resumes bool
	}{
		{"no ticket", func(t *testing.T, s *earlyDataSetup) {}, false},
		{"ticket without early_data", func(t *testing.T, s *earlyDataSetup) {
			s.server.MaxEarlyData = 0
			s.ticket(t)
		}, true},
		{"Config.EarlyData off", func(t *testing.T, s *earlyDataSetup) {
			s.ticket(t)
			s.client.EarlyData = false
		}, true},
		{"ticket's ALPN no longer offered", func(t *testing.T, s *earlyDataSetup) {
			s.client.NextProtos, s.server.NextProtos = []string{"a"}, []string{"a", "b"}
			s.ticket(t)
			s.client.NextProtos = []string{"b"}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newEarlyDataSetup(t, 1024)
			tc.setup(t, s)
			early, rest := []byte("first write"), []byte("second write")
			r := runEarlyData(t, s.client, s.server, early, rest, nil)
			r.mustDeliver(t, early, rest)
			if ch := sentClientHello(t, r.clientTr); offersEarlyData(ch) {
				t.Error("the ClientHello offers early data")
			}
			if r.clientState.DidResume != tc.resumes {
				t.Errorf("DidResume %v, want %v", r.clientState.DidResume, tc.resumes)
			}
			if r.clientState.EarlyDataAccepted || r.serverState.EarlyDataAccepted {
				t.Error("EarlyDataAccepted with no early data offered")
			}
			if d := append(earlyDecisions(r.clientTr), earlyDecisions(r.serverTr)...); len(d) != 0 {
				t.Errorf("early_data decisions %q with none offered", decisionCodes(d))
			}
			if sentEarlyApplicationData(r.clientTr) {
				t.Error("the client traced application data before its Finished")
			}
		})
	}
}

// sentEarlyApplicationData reports whether a client traced sending
// application data before its Finished.
func sentEarlyApplicationData(tr *recordingTracer) bool {
	for _, m := range tr.messages() {
		if m.Direction != trace.Sent {
			continue
		}
		if msg, ok := m.Parsed.(wire.Message); ok && msg.Type() == wire.TypeFinished {
			return false
		}
		if m.ContentType == uint8(wire.ContentApplicationData) {
			return true
		}
	}
	return false
}

// earlyDataClient starts a clasp client whose first Write offers 0-RTT
// data with a ticket that allows it, against a scripted TLS 1.3 server,
// and returns the peer with the ClientHello read and the early key
// installed for reading, so that an alert the client sends under that key
// (its write key while the server may be reading 0-RTT data) can be read.
func earlyDataClient(t *testing.T) (*peer13, *wire.ClientHello, *ClientSessionState, <-chan error) {
	t.Helper()
	cfg, cs := resumingClient13(t)
	cs.maxEarlyData = 1024
	cfg.EarlyData = true
	suite := cs.suite
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
	if _, ok := wire.FindExtension[*wire.EarlyDataExt](ch.Extensions); !ok {
		t.Fatal("the client offered no early data")
	}
	p.setSuite(suite.ID)
	th := sha256.Sum256(raw)
	p.rd = p.protection(keys.NewSchedule13(suite.PRFHash, cs.psk).ClientEarlyTrafficSecret(th[:]))
	return p, ch, cs, done
}

// skipEarlyData reads the client's 0-RTT data record (under the early key
// earlyDataClient installed), as a server that rejects it skips it.
func skipEarlyData(t *testing.T, p *peer13) {
	t.Helper()
	for typ := wire.ContentType(0); typ != wire.ContentApplicationData; {
		var err error
		if typ, _, err = p.readRecord(); err != nil {
			t.Fatalf("reading the client's early data: %v", err)
		}
	}
}

// RFC 8446 §4.2.10: early data is TLS 1.3's; a server that answers a
// hello carrying it with TLS 1.2 cannot be followed (the client has
// already sent records under TLS 1.3 keys): protocol_version.
func TestClientRefusesTLS12AnswerToEarlyData(t *testing.T) {
	p, ch, _, done := earlyDataClient(t)
	sh := &wire.ServerHello{Version: suites.VersionTLS12, SessionID: ch.SessionID,
		CipherSuite: suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, CompressionMethod: 0}
	p.send(sh)
	p.flush()
	p.expectAlert(wire.AlertProtocolVersion)
	if err := <-done; alertOf(err) != int(wire.AlertProtocolVersion) {
		t.Fatalf("client: %v, want protocol_version", err)
	}
}

// A server that did not resume cannot accept early data (RFC 8446
// §4.2.10: only with the first PSK): illegal_parameter. Such a server has
// rejected the 0-RTT data whatever it claims, so after its ServerHello it
// reads the client handshake key (RFC 8446 §4.2.10: it skips the early
// records it cannot decrypt), and the alert must come under that key.
func TestClientRefusesEarlyDataAcceptedWithoutTheTicket(t *testing.T) {
	p, ch, _, done := earlyDataClient(t)
	skipEarlyData(t, p)
	sh, shared := serverHello13(t, ch)
	p.acceptHello(sh, shared)
	p.send(&wire.EncryptedExtensions{Extensions: []wire.Extension{&wire.EarlyDataExt{}}})
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	if err := <-done; alertOf(err) != int(wire.AlertIllegalParameter) {
		t.Fatalf("client: %v, want illegal_parameter", err)
	}
}

// RFC 8446 §4.6.1: a session belongs to the server name it was made for.
// A ticket offered under another name gets a full handshake, with the
// reason in the trace.
func TestServerRefusesTicketForAnotherServerName(t *testing.T) {
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	obtainTicket(t, client, server)
	cs, _ := client.ClientSessionCache.Get("localhost")
	other := testClientConfig13(t)
	other.ServerName, other.InsecureSkipVerify = "other.example", true
	other.ClientSessionCache = NewLRUClientSessionCache(4)
	other.ClientSessionCache.Put("other.example", cs)
	tr := &recordingTracer{}
	server.Tracer = tr
	r := testHandshake(t, other, server)
	r.mustSucceed(t)
	if r.clientState.DidResume || r.serverState.DidResume {
		t.Fatal("a ticket for localhost resumed a connection to other.example")
	}
	found := false
	for _, e := range tr.events {
		if d, ok := e.(*trace.Decision); ok && d.ReasonCode == "ticket_refused" && strings.Contains(d.Reason, "another server name") {
			found = true
		}
	}
	if !found {
		t.Error("no ticket_refused decision naming the server name")
	}
}

// resumeForEarlyData answers earlyDataClient's hello with a psk_dhe_ke
// ServerHello and the compatibility change_cipher_spec, and switches the
// peer's writes to the server handshake key; its reads are left alone.
func resumeForEarlyData(t *testing.T, p *peer13, ch *wire.ClientHello, cs *ClientSessionState) {
	t.Helper()
	sh, shared := pskServerHello(t, ch, true)
	p.send(sh)
	p.writeRecord(wire.ContentChangeCipherSpec, wire.ChangeCipherSpec)
	p.deriveHandshake(cs.psk, shared)
	p.wr, p.wrSeq = p.protection(p.sHS), 0
}

// RFC 8446 §4.2.10: a server that accepts 0-RTT data reads it under
// client_early_traffic_secret up to EndOfEarlyData, so that is the key
// under which it can read an alert the client sends before then. Here the
// server accepts the early data in an EncryptedExtensions that also
// carries an ALPN the client never offered (RFC 8446 §4.2:
// unsupported_extension): the alert must decrypt under the early key, as
// the early data before it does.
func TestClientAlertsUnderEarlyKeyWhenEarlyDataAccepted(t *testing.T) {
	p, ch, cs, done := earlyDataClient(t)
	resumeForEarlyData(t, p, ch, cs)
	p.send(&wire.EncryptedExtensions{Extensions: []wire.Extension{&wire.EarlyDataExt{}, &wire.ALPNExt{Protocols: []string{"h2"}}}})
	p.flush()
	p.expectAlert(wire.AlertUnsupportedExtension)
	if err := <-done; alertOf(err) != int(wire.AlertUnsupportedExtension) {
		t.Fatalf("client: %v, want unsupported_extension", err)
	}
}

// The same resumption with the 0-RTT data rejected (no early_data in
// EncryptedExtensions): RFC 8446 §4.2.10, such a server skips the early
// records and reads under client_handshake_traffic_secret, so the alert
// must come under that key.
func TestClientAlertsUnderHandshakeKeyWhenEarlyDataRejected(t *testing.T) {
	p, ch, cs, done := earlyDataClient(t)
	skipEarlyData(t, p)
	resumeForEarlyData(t, p, ch, cs)
	p.rd, p.rdSeq = p.protection(p.cHS), 0
	p.send(&wire.EncryptedExtensions{Extensions: []wire.Extension{&wire.ALPNExt{Protocols: []string{"h2"}}}})
	p.flush()
	p.expectAlert(wire.AlertUnsupportedExtension)
	if err := <-done; alertOf(err) != int(wire.AlertUnsupportedExtension) {
		t.Fatalf("client: %v, want unsupported_extension", err)
	}
}

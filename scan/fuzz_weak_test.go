package scan

import (
	"bytes"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// FuzzSSL2Answer feeds the SSL 2.0 reader any server answer: it ends in a
// SERVER-HELLO or an error, never a panic, and a SERVER-HELLO's cipher
// kinds are whole three-byte codes.
func FuzzSSL2Answer(f *testing.F) {
	f.Add([]byte{0x80, 3, ssl2MsgError, 0, 1})
	f.Add([]byte{0x80, 14, ssl2MsgServerHello, 0, 1, 0, 2, 0, 0, 0, 3, 0, 0, 1, 0, 0x80})
	f.Add([]byte{0x00, 5, 1, ssl2MsgServerHello, 0, 0, 0})
	f.Add([]byte{21, 3, 3, 0, 2, 2, 70})
	f.Fuzz(func(t *testing.T, answer []byte) {
		msg, err := readSSL2Message(bytes.NewReader(answer))
		if err != nil {
			return
		}
		sh, err := parseSSL2ServerHello(msg)
		if err == nil && len(sh.ciphers) > len(msg)/3 {
			t.Fatalf("%d cipher kinds from a %d-byte message", len(sh.ciphers), len(msg))
		}
	})
}

// deadlineConn is an answerConn that accepts read deadlines; its reads
// never block, so a deadline has nothing to cut short.
type deadlineConn struct{ answerConn }

func (*deadlineConn) SetReadDeadline(time.Time) error { return nil }

// FuzzPostFlightAnswer feeds the post-flight probes (Heartbleed, CCS
// injection) any server answer after a hello: each ends in a finding with
// evidence, never a panic; an answer that simply ends is never vulnerable.
func FuzzPostFlightAnswer(f *testing.F) {
	record := func(typ wire.ContentType, body []byte) []byte {
		return append([]byte{byte(typ), 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
	}
	sh := &wire.ServerHello{Version: suites.VersionTLS12, CipherSuite: 0x002F, SessionID: []byte{}}
	raw, err := sh.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	flight := record(wire.ContentHandshake, append(raw, byte(wire.TypeServerHelloDone), 0, 0, 0))
	f.Add(flight, true)
	f.Add(append(flight, record(wire.ContentAlert, []byte{2, 10})...), false)
	f.Add(append(flight, record(wire.ContentHeartbeat, append([]byte{2, 0, 64}, make([]byte, 80)...))...), true)
	f.Fuzz(func(t *testing.T, answer []byte, heartbleed bool) {
		s := &scanner{runner: &Runner{Timeout: time.Second}}
		h := &wire.ClientHello{Version: suites.VersionTLS12, CipherSuites: []suites.ID{0x002F}, CompressionMethods: []uint8{0}}
		conn := &deadlineConn{answerConn{answer: bytes.NewReader(answer)}}
		var got Finding
		if heartbleed {
			v := s.heartbleedOn(conn, h, []byte{1, 0, 64, 0})
			got = weakFinding(weakHeartbleed, v.status, "%s", v.evidence)
		} else {
			got = s.ccsOn(conn, h, 0)
		}
		if got.Evidence == "" || got.ID == "" {
			t.Fatalf("a finding without evidence: %+v", got)
		}
		if got.Status == StatusVulnerable && bytes.HasSuffix(answer, flight) {
			t.Fatalf("vulnerable from a server that sent only its flight: %+v", got)
		}
	})
}

package scan

import (
	"bytes"
	"net"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// answerConn is a connection whose peer's bytes are fixed: the probe's
// hello goes nowhere and the answer is data, then EOF.
type answerConn struct {
	net.Conn
	answer *bytes.Reader
}

func (c *answerConn) Read(b []byte) (int, error)  { return c.answer.Read(b) }
func (c *answerConn) Write(b []byte) (int, error) { return len(b), nil }

// FuzzExchange feeds a probe any server answer: whatever a server sends,
// reading it ends in a classified Result, never a panic or a hang.
func FuzzExchange(f *testing.F) {
	record := func(typ wire.ContentType, body []byte) []byte {
		return append([]byte{byte(typ), 3, 3, byte(len(body) >> 8), byte(len(body))}, body...)
	}
	sh := &wire.ServerHello{Version: suites.VersionTLS12, CipherSuite: suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		SessionID: []byte{}, Extensions: []wire.Extension{&wire.SupportedGroupsExt{Groups: []suites.Group{suites.X25519}}}}
	raw, err := sh.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(record(wire.ContentHandshake, raw), true)
	f.Add(record(wire.ContentHandshake, append(raw, byte(wire.TypeServerHelloDone), 0, 0, 0)), true)
	f.Add(record(wire.ContentAlert, []byte{2, 40}), false)
	f.Add([]byte("HTTP/1.1 400 Bad Request\r\n\r\n"), false)
	f.Fuzz(func(t *testing.T, answer []byte, readFlight bool) {
		p := &Probe{Version: suites.VersionTLS12, CipherSuites: []suites.ID{suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256},
			Groups: []suites.Group{suites.X25519}, ReadFlight: readFlight}
		res := exchange(&answerConn{answer: bytes.NewReader(answer)}, []byte{1, 0, 0, 0}, p)
		if res == nil {
			t.Fatal("exchange returned no result")
		}
		if res.Outcome == OutcomeAccepted && res.ServerHello == nil {
			t.Fatal("accepted without a ServerHello")
		}
	})
}

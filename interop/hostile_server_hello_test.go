package interop

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Hostile servers, the mirror of hostile_hello_test.go: each case answers
// the ClientHello of a clasp client and of `openssl s_client` with the same
// malformed or unexpected ServerHello, HelloRetryRequest or record, and the
// first record the client sends back must match
// testdata/hostile_server_hellos.tsv (OpenSSL's answer beside clasp's, and
// the RFC text clasp follows where they differ).

// clientHelloSeen is what a hostile server keeps of the ClientHello.
type clientHelloSeen struct {
	sessionID []byte
}

// readClientHelloSeen reads the client's first ClientHello (a real
// client's, so well formed) and keeps its legacy_session_id.
func readClientHelloSeen(c net.Conn) (*clientHelloSeen, error) {
	var msg []byte
	for len(msg) < 4 || len(msg) < 4+(int(msg[1])<<16|int(msg[2])<<8|int(msg[3])) {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return nil, err
		}
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(c, body); err != nil {
			return nil, err
		}
		msg = append(msg, body...)
	}
	// type(1) length(3) legacy_version(2) random(32) session_id<0..32>
	if len(msg) < 39 || len(msg) < 39+int(msg[38]) {
		return nil, fmt.Errorf("ClientHello of %d bytes", len(msg))
	}
	return &clientHelloSeen{sessionID: bytes.Clone(msg[39 : 39+int(msg[38])])}, nil
}

type mutantServerHello struct {
	version     uint16
	random      []byte
	sid         []byte
	suite       uint16
	compression byte
	exts        []mutantExt
	trailing    []byte
	typ         byte
}

func (s *mutantServerHello) message() []byte {
	var b []byte
	b = append(b, mu16(int(s.version))...)
	b = append(b, s.random...)
	b = append(b, mvec8(s.sid)...)
	b = append(b, mu16(int(s.suite))...)
	b = append(b, s.compression)
	if s.exts != nil {
		var eb []byte
		for _, e := range s.exts {
			eb = append(eb, mu16(int(e.typ))...)
			eb = append(eb, mvec16(e.data)...)
		}
		b = append(b, mvec16(eb)...)
	}
	b = append(b, s.trailing...)
	t := s.typ
	if t == 0 {
		t = 2
	}
	return append(append([]byte{t}, mu24(len(b))...), b...)
}

func mrandom32() []byte { r := make([]byte, 32); rand.Read(r); return r }

func mbaseSH12(ch *clientHelloSeen) *mutantServerHello {
	return &mutantServerHello{version: 0x0303, random: mrandom32(), sid: mrandom32(), suite: 0xc02b,
		exts: []mutantExt{{0xff01, []byte{0}}, {23, nil}}}
}

func mbaseSH13(ch *clientHelloSeen) *mutantServerHello {
	k, _ := ecdh.X25519().GenerateKey(rand.Reader)
	return &mutantServerHello{version: 0x0303, random: mrandom32(), sid: ch.sessionID, suite: 0x1301,
		exts: []mutantExt{{43, mu16(0x0304)}, {51, mkeyShare(29, k.PublicKey().Bytes())}}}
}

func (s *mutantServerHello) set(t uint16, d []byte) *mutantServerHello {
	s.exts = setMutantExt(s.exts, t, d)
	return s
}

type serverMutantCase struct {
	name  string
	reply func(ch *clientHelloSeen) []byte
}

func msh12(f func(s *mutantServerHello)) func(ch *clientHelloSeen) []byte {
	return func(ch *clientHelloSeen) []byte { s := mbaseSH12(ch); f(s); return mrecord(22, 0x0303, s.message()) }
}
func msh13(f func(s *mutantServerHello)) func(ch *clientHelloSeen) []byte {
	return func(ch *clientHelloSeen) []byte { s := mbaseSH13(ch); f(s); return mrecord(22, 0x0303, s.message()) }
}

// runHostileServer serves one connection with reply and returns what the client sent back.
// runHostileServer answers one connection of the client that start starts
// (towards addr) with reply, and returns the first record the client
// sends back: "alert NAME", "closed", "timeout" (still waiting, as for the
// rest of a flight) or another record type.
func runHostileServer(start func(addr string) (stop func()), reply func(ch *clientHelloSeen) []byte) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "listen: " + err.Error()
	}
	defer ln.Close()
	stop := start(ln.Addr().String())
	defer stop()
	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second))
	c, err := ln.Accept()
	if err != nil {
		return "no connection"
	}
	defer c.Close()
	ch, err := readClientHelloSeen(c)
	if err != nil {
		return "read ClientHello: " + err.Error()
	}
	if _, err := c.Write(reply(ch)); err != nil {
		return "write: " + err.Error()
	}
	_ = c.SetDeadline(time.Now().Add(1500 * time.Millisecond))
	for {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				return "timeout"
			}
			return "closed"
		}
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		if _, err := io.ReadFull(c, body); err != nil {
			return "closed"
		}
		switch {
		case hdr[0] == 21 && len(body) == 2:
			return "alert " + mAlertName(body[1])
		case hdr[0] == 20:
			continue // a TLS 1.3 client's compatibility ChangeCipherSpec
		}
		return fmt.Sprintf("record type %d", hdr[0])
	}
}

func serverMutantCases() []serverMutantCase {
	var out []serverMutantCase
	add := func(name string, f func(ch *clientHelloSeen) []byte) { out = append(out, serverMutantCase{name, f}) }
	add("12 baseline (then silence)", msh12(func(s *mutantServerHello) {}))
	add("13 baseline (then silence)", msh13(func(s *mutantServerHello) {}))
	add("12 suite not offered 0xfefe", msh12(func(s *mutantServerHello) { s.suite = 0xfefe }))
	add("12 suite TLS13 in 1.2 SH", msh12(func(s *mutantServerHello) { s.suite = 0x1301 }))
	add("12 compression 1", msh12(func(s *mutantServerHello) { s.compression = 1 }))
	add("12 session id 33", msh12(func(s *mutantServerHello) { s.sid = make([]byte, 33) }))
	add("12 version 0x0300", msh12(func(s *mutantServerHello) { s.version = 0x0300 }))
	add("12 version 0x0304 no sv", msh12(func(s *mutantServerHello) { s.version = 0x0304 }))
	add("12 version 0x0305", msh12(func(s *mutantServerHello) { s.version = 0x0305 }))
	add("12 version 0x0200", msh12(func(s *mutantServerHello) { s.version = 0x0200 }))
	add("12 downgrade sentinel DOWNGRD01", msh12(func(s *mutantServerHello) { copy(s.random[24:], []byte("DOWNGRD\x01")) }))
	add("12 downgrade sentinel DOWNGRD00 (1.1)", msh12(func(s *mutantServerHello) { copy(s.random[24:], []byte("DOWNGRD\x00")) }))
	add("12 EMS with data", msh12(func(s *mutantServerHello) { s.set(23, []byte{0}) }))
	add("12 reneg_info non-empty", msh12(func(s *mutantServerHello) { s.set(0xff01, mvec8(make([]byte, 24))) }))
	add("12 unsolicited ALPN", msh12(func(s *mutantServerHello) { s.set(16, mvec16(mvec8([]byte("h2")))) }))
	add("12 unsolicited unknown ext", msh12(func(s *mutantServerHello) { s.set(0xfefe, nil) }))
	add("12 unsolicited key_share", msh12(func(s *mutantServerHello) { s.set(51, mkeyShare(29, make([]byte, 32))) }))
	add("12 unsolicited encrypt_then_mac", msh12(func(s *mutantServerHello) { s.set(22, nil) }))
	add("12 duplicate EMS", msh12(func(s *mutantServerHello) { s.exts = append(s.exts, mutantExt{23, nil}) }))
	add("12 SNI ack non-empty", msh12(func(s *mutantServerHello) { s.set(0, []byte{1}) }))
	add("12 ec_point_formats no uncompressed", msh12(func(s *mutantServerHello) { s.set(11, mvec8([]byte{1})) }))
	add("12 trailing byte", msh12(func(s *mutantServerHello) { s.trailing = []byte{0} }))
	add("12 no extensions (no reneg info)", msh12(func(s *mutantServerHello) { s.exts = nil }))
	add("12 ClientHello type to client", msh12(func(s *mutantServerHello) { s.typ = 1 }))
	add("12 sv 0x0303 in SH", msh12(func(s *mutantServerHello) { s.set(43, mu16(0x0303)) }))
	add("13 sv 0x0303 + 1.3 suite", msh13(func(s *mutantServerHello) { s.set(43, mu16(0x0303)) }))
	add("13 sv 0x0305", msh13(func(s *mutantServerHello) { s.set(43, mu16(0x0305)) }))
	add("13 TLS12 suite", msh13(func(s *mutantServerHello) { s.suite = 0xc02b }))
	add("13 suite not offered 0x1306", msh13(func(s *mutantServerHello) { s.suite = 0x1306 }))
	add("13 no key_share", msh13(func(s *mutantServerHello) { s.exts = s.exts[:1] }))
	add("13 key_share p256 (no share sent)", msh13(func(s *mutantServerHello) { s.set(51, mkeyShare(23, mp256())) }))
	add("13 key_share x25519 zero", msh13(func(s *mutantServerHello) { s.set(51, mkeyShare(29, make([]byte, 32))) }))
	add("13 key_share x25519 31 bytes", msh13(func(s *mutantServerHello) { s.set(51, mkeyShare(29, make([]byte, 31))) }))
	add("13 key_share unknown group", msh13(func(s *mutantServerHello) { s.set(51, mkeyShare(0xfefe, []byte{1})) }))
	add("13 session id not echoed", msh13(func(s *mutantServerHello) { s.sid = nil }))
	add("13 compression 1", msh13(func(s *mutantServerHello) { s.compression = 1 }))
	add("13 server_name in SH", msh13(func(s *mutantServerHello) { s.set(0, nil) }))
	add("13 EMS in SH", msh13(func(s *mutantServerHello) { s.set(23, nil) }))
	add("13 reneg_info in SH", msh13(func(s *mutantServerHello) { s.set(0xff01, []byte{0}) }))
	add("13 ALPN in SH", msh13(func(s *mutantServerHello) { s.set(16, mvec16(mvec8([]byte("h2")))) }))
	add("13 early_data in SH", msh13(func(s *mutantServerHello) { s.set(42, nil) }))
	add("13 pre_shared_key unsolicited", msh13(func(s *mutantServerHello) { s.set(41, mu16(0)) }))
	add("13 unknown ext 0xfefe", msh13(func(s *mutantServerHello) { s.set(0xfefe, nil) }))
	add("13 duplicate sv", msh13(func(s *mutantServerHello) { s.exts = append(s.exts, mutantExt{43, mu16(0x0304)}) }))
	add("13 cookie in SH", msh13(func(s *mutantServerHello) { s.set(44, mvec16([]byte("c"))) }))
	add("HRR x25519 (already shared)", msh13(func(s *mutantServerHello) {
		s.random = mHRRRandom
		s.exts = []mutantExt{{43, mu16(0x0304)}, {51, mu16(29)}}
	}))
	add("HRR no change (sv only)", msh13(func(s *mutantServerHello) { s.random = mHRRRandom; s.exts = []mutantExt{{43, mu16(0x0304)}} }))
	add("HRR group 0xfefe", msh13(func(s *mutantServerHello) {
		s.random = mHRRRandom
		s.exts = []mutantExt{{43, mu16(0x0304)}, {51, mu16(0xfefe)}}
	}))
	add("HRR empty cookie", msh13(func(s *mutantServerHello) {
		s.random = mHRRRandom
		s.exts = []mutantExt{{43, mu16(0x0304)}, {44, mvec16(nil)}}
	}))
	add("HRR suite not offered", msh13(func(s *mutantServerHello) {
		s.random = mHRRRandom
		s.suite = 0x1306
		s.exts = []mutantExt{{43, mu16(0x0304)}, {51, mu16(23)}}
	}))
	add("HRR with key_share entry (SH shape)", msh13(func(s *mutantServerHello) {
		s.random = mHRRRandom
		s.exts = []mutantExt{{43, mu16(0x0304)}, {51, mkeyShare(23, mp256())}}
	}))
	add("HRR p256 then silence", msh13(func(s *mutantServerHello) {
		s.random = mHRRRandom
		s.exts = []mutantExt{{43, mu16(0x0304)}, {51, mu16(23)}}
	}))
	add("rec unknown type first", func(ch *clientHelloSeen) []byte { return mrecord(0x30, 0x0303, []byte{1}) })
	add("rec appdata first", func(ch *clientHelloSeen) []byte { return mrecord(23, 0x0303, []byte{1}) })
	add("rec CCS first", func(ch *clientHelloSeen) []byte { return mrecord(20, 0x0303, []byte{1}) })
	add("rec HelloRequest first", func(ch *clientHelloSeen) []byte { return mrecord(22, 0x0303, []byte{0, 0, 0, 0}) })
	add("rec warning unrecognized_name first", func(ch *clientHelloSeen) []byte { return mrecord(21, 0x0303, []byte{1, 112}) })
	add("rec empty handshake record", func(ch *clientHelloSeen) []byte { return mrecord(22, 0x0303, nil) })
	add("rec 3-byte alert", func(ch *clientHelloSeen) []byte { return mrecord(21, 0x0303, []byte{2, 40, 0}) })
	add("rec record 2^14+1", func(ch *clientHelloSeen) []byte { return mrecord(22, 0x0303, make([]byte, 16385)) })
	add("rec record version 0x0301 (SH 1.2)", func(ch *clientHelloSeen) []byte { s := mbaseSH12(ch); return mrecord(22, 0x0301, s.message()) })
	add("rec record version 0x0200", func(ch *clientHelloSeen) []byte { s := mbaseSH12(ch); return mrecord(22, 0x0200, s.message()) })
	return out
}

// startOpenSSLClient runs `openssl s_client` towards addr until stop.
func startOpenSSLClient(t *testing.T) func(addr string) func() {
	return func(addr string) func() {
		cmd := exec.Command("openssl", "s_client", "-connect", addr, "-servername", "localhost")
		if err := cmd.Start(); err != nil {
			t.Error(err)
			return func() {}
		}
		return func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	}
}

// startClaspClient runs a clasp client with the default configuration
// towards addr; it ends when the hostile server closes the connection.
func startClaspClient(pki *peertest.PKI) func(addr string) func() {
	return func(addr string) func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			conn, err := clasp.Dial("tcp", addr, &clasp.Config{ServerName: "localhost", RootCAs: pki.CAPool})
			if err == nil {
				conn.Close()
			}
		}()
		return func() { <-done }
	}
}

// TestHostileServerHellosAgainstClaspAndOpenSSL runs eight cases at a time:
// most of the time goes into waiting for clients that wait for the rest
// of a flight.
func TestHostileServerHellosAgainstClaspAndOpenSSL(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	answers := loadHostileAnswers(t, "testdata/hostile_server_hellos.tsv")
	cases := serverMutantCases()
	got := make([][2]string, len(cases))
	var wg sync.WaitGroup
	slots := make(chan struct{}, 8)
	for i, c := range cases {
		wg.Add(1)
		go func() {
			defer wg.Done()
			slots <- struct{}{}
			defer func() { <-slots }()
			got[i][0] = runHostileServer(startClaspClient(pki), c.reply)
			got[i][1] = runHostileServer(startOpenSSLClient(t), c.reply)
		}()
	}
	wg.Wait()
	agree := 0
	for i, c := range cases {
		want, ok := answers[c.name]
		if !ok {
			t.Errorf("%s: no row in hostile_server_hellos.tsv", c.name)
			continue
		}
		if got[i][0] != want.clasp {
			t.Errorf("%s: clasp answered %q, want %q (%s)", c.name, got[i][0], want.clasp, want.why)
		}
		if got[i][1] != want.openssl {
			t.Errorf("%s: openssl s_client answered %q, the table says %q", c.name, got[i][1], want.openssl)
		}
		if want.clasp == want.openssl {
			agree++
		}
	}
	if len(cases) != len(answers) {
		t.Errorf("%d cases, %d rows in hostile_server_hellos.tsv", len(cases), len(answers))
	}
	t.Logf("%d hostile server answers: clasp reacts to %d as OpenSSL does, to %d differently for the RFC reasons in the table", len(cases), agree, len(cases)-agree)
}

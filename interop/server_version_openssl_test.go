package interop

import (
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Server version negotiation and the ClientHello limit, side by side with
// OpenSSL: the same hand-built first flights go to `openssl s_server` (TLS
// 1.2 and 1.3, as clasp's default) and to a default clasp server, and the
// two must answer alike: the same ServerHello version and
// supported_versions, the same alert, or both a silent close. The root
// package's server_version_test.go has the RFC text for each case.

// rawHello describes a ClientHello to build byte by byte, so that nothing
// (not even clasp's wire package) normalises what is sent.
type rawHello struct {
	legacy    uint16
	versions  []uint16 // supported_versions; none when nil
	scsv      bool     // TLS_FALLBACK_SCSV first
	longest   bool     // longest session ID and suite list, padded to the syntax's limit
	recordVer uint16   // 0x0301 when zero
}

func u16(v int) []byte { return []byte{byte(v >> 8), byte(v)} }

func rawExt(typ int, body []byte) []byte {
	return append(append(u16(typ), u16(len(body))...), body...)
}

// flight returns the records of the ClientHello.
func (h rawHello) flight() []byte {
	ids := []int{0x1301, 0xc02b, 0xc02f}
	if h.scsv {
		ids = append([]int{0x5600}, ids...)
	}
	sessionID, compression := 0, 1
	if h.longest {
		sessionID = 32
		if h.versions == nil {
			compression = 255 // TLS 1.3 allows exactly one (RFC 8446 §4.1.2)
		}
		for id := 0x6000; len(ids) < 0x7fff; id++ {
			ids = append(ids, id)
		}
	}
	b := append(u16(int(h.legacy)), make([]byte, 32)...)
	b = append(b, byte(sessionID))
	b = append(b, make([]byte, sessionID)...)
	b = append(b, u16(2*len(ids))...)
	for _, id := range ids {
		b = append(b, u16(id)...)
	}
	b = append(b, byte(compression))
	b = append(b, make([]byte, compression)...)
	exts := rawExt(10, []byte{0, 4, 0, 0x1d, 0, 0x17})                       // supported_groups: x25519, secp256r1
	exts = append(exts, rawExt(11, []byte{1, 0})...)                         // ec_point_formats: uncompressed
	exts = append(exts, rawExt(13, []byte{0, 4, 0x04, 0x03, 0x08, 0x04})...) // ecdsa_secp256r1_sha256, rsa_pss_rsae_sha256
	exts = append(exts, rawExt(0xff01, []byte{0})...)                        // renegotiation_info
	if h.versions != nil {
		sv := []byte{byte(2 * len(h.versions))}
		for _, v := range h.versions {
			sv = append(sv, u16(int(v))...)
		}
		exts = append(exts, rawExt(43, sv)...)
		share := append([]byte{0, 36, 0, 0x1d, 0, 32, 9}, make([]byte, 31)...) // X25519 base point
		exts = append(exts, rawExt(51, share)...)
		exts = append(exts, rawExt(45, []byte{1, 1})...) // psk_dhe_ke
	}
	if h.longest {
		exts = append(exts, rawExt(21, make([]byte, 0xffff-len(exts)-4))...) // padding
	}
	b = append(b, u16(len(exts))...)
	b = append(b, exts...)
	msg := append([]byte{1, byte(len(b) >> 16), byte(len(b) >> 8), byte(len(b))}, b...)
	return handshakeRecords(h.recordVer, msg)
}

// handshakeRecords frames msg in records of at most 2^14 bytes.
func handshakeRecords(vers uint16, msg []byte) []byte {
	if vers == 0 {
		vers = 0x0301
	}
	var out []byte
	for len(msg) > 0 {
		n := min(len(msg), 1<<14)
		out = append(out, 22, byte(vers>>8), byte(vers), byte(n>>8), byte(n))
		out = append(out, msg[:n]...)
		msg = msg[n:]
	}
	return out
}

// answer sends flight to addr and describes the first record that comes
// back: "ServerHello 0303 supported_versions 0304", "alert 70", "closed".
func answer(t *testing.T, addr string, flight []byte) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = conn.Write(flight) }()
	var hdr [5]byte
	if _, err := io.ReadFull(conn, hdr[:]); err != nil {
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("no answer within 10 s")
		}
		return "closed"
	}
	body := make([]byte, binary.BigEndian.Uint16(hdr[3:]))
	if _, err := io.ReadFull(conn, body); err != nil {
		t.Fatalf("short record: %v", err)
	}
	switch {
	case hdr[0] == 21 && len(body) == 2:
		return fmt.Sprintf("alert %d", body[1])
	case hdr[0] == 22 && len(body) > 40 && body[0] == 2:
		return describeServerHello(body[4:])
	}
	return fmt.Sprintf("record %x", hdr)
}

// describeServerHello names a ServerHello body's legacy_version and its
// supported_versions extension.
func describeServerHello(sh []byte) string {
	sv := "none"
	rest := sh[35+int(sh[34])+3:] // version, random, session ID, suite, compression
	if len(rest) >= 2 {
		for exts := rest[2:]; len(exts) >= 4; {
			typ, n := binary.BigEndian.Uint16(exts), int(binary.BigEndian.Uint16(exts[2:]))
			if typ == 43 && n == 2 {
				sv = fmt.Sprintf("%x", exts[4:6])
			}
			exts = exts[min(4+n, len(exts)):]
		}
	}
	return fmt.Sprintf("ServerHello %x supported_versions %s", sh[:2], sv)
}

// serveHandshakes runs a default clasp server (TLS 1.2 and 1.3) whose
// connections each end after the handshake.
func serveHandshakes(t *testing.T, leaf *peertest.Leaf) string {
	t.Helper()
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{Certificates: []clasp.Certificate{claspCert(leaf)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				_ = conn.(*clasp.Conn).Handshake()
			}()
		}
	}()
	return ln.Addr().String()
}

func TestServerVersionNegotiationAgreesWithOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	// -no_tls1 -no_tls1_1: the range of clasp's default, TLS 1.2 and 1.3.
	ossl := peertest.StartOpenSSLServer(t, pki.ECDSA, "-www", "-no_tls1", "-no_tls1_1")
	claspAddr := serveHandshakes(t, pki.ECDSA)
	for _, c := range []struct {
		name  string
		hello rawHello
		// Where the two differ on purpose: what each answers.
		openssl, clasp string
	}{
		{name: "legacy_version 0x0304, no supported_versions", hello: rawHello{legacy: 0x0304}},
		{name: "legacy_version 0x03FF, no supported_versions", hello: rawHello{legacy: 0x03ff}},
		{name: "supported_versions SSL 3.0", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0300}}},
		{name: "supported_versions unknown and GREASE", hello: rawHello{legacy: 0x0303, versions: []uint16{0x7f7f, 0x0a0a}}},
		{name: "supported_versions disabled TLS 1.1", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0302}}},
		{name: "supported_versions TLS 1.2", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0303}}},
		{name: "supported_versions TLS 1.2, legacy_version 0x0304", hello: rawHello{legacy: 0x0304, versions: []uint16{0x0303}}},
		{name: "supported_versions TLS 1.3, legacy_version TLS 1.0", hello: rawHello{legacy: 0x0301, versions: []uint16{0x0304}}},
		{name: "supported_versions GREASE and TLS 1.3", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0a0a, 0x0304}}},
		{name: "legacy_version 0x0200 with supported_versions", hello: rawHello{legacy: 0x0200, versions: []uint16{0x0304, 0x0303}}},
		// OpenSSL means protocol_version too, but answers in SSL 3.0,
		// which has no such alert, so handshake_failure goes out.
		{name: "legacy_version SSL 3.0 with supported_versions", hello: rawHello{legacy: 0x0300, versions: []uint16{0x0304, 0x0303}},
			openssl: "alert 40", clasp: "alert 70"},
		{name: "fallback SCSV, supported_versions TLS 1.2", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0303}, scsv: true}},
		{name: "fallback SCSV, legacy_version TLS 1.2", hello: rawHello{legacy: 0x0303, scsv: true}},
		{name: "fallback SCSV, legacy_version 0x0304", hello: rawHello{legacy: 0x0304, scsv: true}},
		{name: "fallback SCSV, supported_versions TLS 1.3", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0304}, scsv: true}},
		{name: "record version 0x0304", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0304, 0x0303}, recordVer: 0x0304}},
		{name: "record version 0x03FE", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0304, 0x0303}, recordVer: 0x03fe}},
		{name: "record version 0x0203", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0304, 0x0303}, recordVer: 0x0203}},
		{name: "longest TLS 1.2 ClientHello", hello: rawHello{legacy: 0x0303, longest: true}},
		{name: "longest TLS 1.3 ClientHello", hello: rawHello{legacy: 0x0303, versions: []uint16{0x0304, 0x0303}, longest: true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			flight := c.hello.flight()
			fromOpenSSL, fromClasp := answer(t, ossl.Addr, flight), answer(t, claspAddr, flight)
			t.Logf("OpenSSL: %s; clasp: %s", fromOpenSSL, fromClasp)
			if c.openssl == "" && fromOpenSSL != fromClasp {
				t.Errorf("OpenSSL: %s\nclasp:   %s", fromOpenSSL, fromClasp)
			}
			if c.openssl != "" && (fromOpenSSL != c.openssl || fromClasp != c.clasp) {
				t.Errorf("OpenSSL: %s (want %s)\nclasp:   %s (want %s)", fromOpenSSL, c.openssl, fromClasp, c.clasp)
			}
		})
	}
	// One byte over the longest ClientHello: both refuse the header at
	// once, OpenSSL with illegal_parameter, clasp with decode_error (RFC
	// 8446 §6.2: the length is incorrect).
	over := handshakeRecords(0, []byte{1, 0x02, 0x01, 0x45}) // 131397
	if got, want := answer(t, ossl.Addr, over), "alert 47"; got != want {
		t.Errorf("OpenSSL answered a 131397-byte ClientHello header with %s, want %s", got, want)
	}
	if got, want := answer(t, claspAddr, over), "alert 50"; got != want {
		t.Errorf("clasp answered a 131397-byte ClientHello header with %s, want %s", got, want)
	}
}

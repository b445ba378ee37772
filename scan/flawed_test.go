package scan

import (
	"bufio"
	"crypto/rand"
	"crypto/rsa"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// A deliberately flawed server, for the weaknesses no installable server
// still has. It speaks just enough TLS 1.2 for a scan (one suite,
// TLS_RSA_WITH_AES_128_CBC_SHA, and its first flight up to
// ServerHelloDone) and behaves on the wire as the vulnerable versions did
// for each flaw it is given. Test code only: nothing like it may exist in
// the library.

type flaws struct {
	// sslv2 answers an SSL 2.0 CLIENT-HELLO with a SERVER-HELLO, as
	// OpenSSL 1.0.1 with SSLv2 enabled did.
	sslv2 bool
	// heartbleed answers a heartbeat request with as many bytes as it
	// claims (OpenSSL 1.0.1–1.0.1f), read from a fake memory buffer.
	heartbleed bool
	// ccs takes a ChangeCipherSpec right after ServerHelloDone and then
	// fails to decrypt the next record with bad_record_mac (OpenSSL before
	// 1.0.1h).
	ccs bool
	// robot closes the connection at once when the premaster's PKCS #1
	// padding is wrong, and waits for the Finished (then bad_record_mac)
	// when it is right: a Bleichenbacher oracle.
	robot bool
	// robotWeak answers a premaster with wrong padding with bad_record_mac
	// at once, and a right one only after the Finished: alike when the
	// client sends ChangeCipherSpec and Finished with its key exchange, an
	// oracle when it does not (a "weak" oracle in the ROBOT paper).
	robotWeak bool
	// compression picks DEFLATE when offered.
	compression bool
	// noRenegInfo and noEMS leave those extensions out of the ServerHello.
	noRenegInfo, noEMS bool
	// export also speaks TLS 1.0 and 1.1 and prefers export suites there
	// (RSA_EXPORT and DHE_RSA_EXPORT, which the registry ends at TLS 1.0),
	// as servers open to FREAK and Logjam did.
	export bool
	// legacyVersions also speaks TLS 1.0 and 1.1 (with flawedSuite).
	legacyVersions bool
	// noFallbackSCSV ignores TLS_FALLBACK_SCSV in a hello below its
	// highest version; without the flaw such a hello gets the
	// inappropriate_fallback alert of RFC 7507 §3.
	noFallbackSCSV bool
	// silent reads and ignores everything after its flight, as a stalled
	// server (or an F5 BIG-IP given an early ChangeCipherSpec) does.
	silent bool
	// bleedsEncrypted completes the handshake (flawed_handshake_test.go),
	// drops heartbeats sent in the clear silently, and answers encrypted
	// ones with as many bytes as they claim: Heartbleed that only a probe
	// after the handshake sees.
	bleedsEncrypted bool
}

const flawedSuite suites.ID = 0x002F // TLS_RSA_WITH_AES_128_CBC_SHA

// fakeMemory is what the Heartbleed flaw "leaks".
var fakeMemory = []byte("-----BEGIN PRIVATE KEY----- this is what a real server would leak ")

func startFlawedServer(t *testing.T, f flaws) string {
	t.Helper()
	pki := peertest.NewPKI(t)
	return startListener(t, func(c net.Conn) {
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		fs := &flawedConn{f: f, conn: c, in: bufio.NewReader(c), leaf: pki.RSA}
		fs.serve()
	})
}

type flawedConn struct {
	f    flaws
	conn net.Conn
	in   *bufio.Reader
	leaf *peertest.Leaf
}

// rw joins the buffered reader and the connection for readRaw.
func (fc *flawedConn) Read(p []byte) (int, error) { return fc.in.Read(p) }

func (fc *flawedConn) alert(d wire.AlertDescription) {
	writeRaw(fc.conn, wire.ContentAlert, suites.VersionTLS12, wire.Alert{Level: wire.AlertLevelFatal, Description: d}.Marshal())
}

func (fc *flawedConn) serve() {
	first, err := fc.in.Peek(1)
	if err != nil {
		return
	}
	if first[0]&0x80 != 0 {
		fc.serveSSL2()
		return
	}
	rec, err := readRaw(fc)
	if err != nil || rec.typ != wire.ContentHandshake || len(rec.payload) < 4 {
		return
	}
	hello, err := wire.ParseClientHello(rec.payload[4:])
	if err != nil {
		fc.alert(wire.AlertDecodeError)
		return
	}
	version := min(hello.Version, suites.VersionTLS12)
	if version < suites.VersionTLS12 && (!fc.f.export && !fc.f.legacyVersions || version < suites.VersionTLS10) {
		fc.alert(wire.AlertProtocolVersion)
		return
	}
	if version < suites.VersionTLS12 && !fc.f.noFallbackSCSV && slices.Contains(hello.CipherSuites, tlsFallbackSCSV) {
		fc.alert(wire.AlertInappropriateFallback)
		return
	}
	suite, ok := fc.chooseSuite(hello, version)
	if !ok {
		fc.alert(wire.AlertHandshakeFailure)
		return
	}
	sh, flight, err := fc.sendFlight(hello, version, suite)
	if err != nil {
		return
	}
	switch {
	case fc.f.silent:
		io.Copy(io.Discard, fc.in)
	case fc.f.bleedsEncrypted:
		fc.finishHandshake(hello, rec.payload, sh, flight)
	default:
		fc.afterFlight()
	}
}

// exportSuites are the export suites the export flaw prefers:
// TLS_RSA_EXPORT_WITH_RC4_40_MD5 and TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA.
var exportSuites = []suites.ID{0x0003, 0x0014}

// chooseSuite picks by the server's order: export suites first (with the
// export flaw, where the version allows them), then flawedSuite.
func (fc *flawedConn) chooseSuite(hello *wire.ClientHello, v suites.Version) (suites.ID, bool) {
	var mine []suites.ID
	if fc.f.export && v == suites.VersionTLS10 {
		mine = exportSuites
	}
	for _, id := range append(slices.Clone(mine), flawedSuite) {
		if slices.Contains(hello.CipherSuites, id) {
			return id, true
		}
	}
	return 0, false
}

// sendFlight writes ServerHello, Certificate and ServerHelloDone in one
// record (no ServerKeyExchange, even where the suite calls for one: no
// probe gets that far with those suites), and returns the ServerHello and
// the flight's bytes.
func (fc *flawedConn) sendFlight(hello *wire.ClientHello, v suites.Version, suite suites.ID) (*wire.ServerHello, []byte, error) {
	sh := &wire.ServerHello{Version: v, CipherSuite: suite, SessionID: make([]byte, 32), Extensions: []wire.Extension{}}
	rand.Read(sh.Random[:])
	rand.Read(sh.SessionID)
	offered := func(t wire.ExtensionType) bool {
		return slices.ContainsFunc(hello.Extensions, func(e wire.Extension) bool { return e.ExtType() == t })
	}
	if !fc.f.noRenegInfo && (offered(wire.ExtRenegotiationInfo) || slices.Contains(hello.CipherSuites, suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)) {
		sh.Extensions = append(sh.Extensions, &wire.RenegotiationInfoExt{})
	}
	if !fc.f.noEMS && offered(wire.ExtExtendedMasterSecret) {
		sh.Extensions = append(sh.Extensions, &wire.ExtendedMasterSecretExt{})
	}
	if (fc.f.heartbleed || fc.f.bleedsEncrypted) && offered(wire.ExtHeartbeat) {
		sh.Extensions = append(sh.Extensions, &wire.UnknownExt{Code: wire.ExtHeartbeat, Data: []byte{1}})
	}
	if fc.f.compression && slices.Contains(hello.CompressionMethods, 1) {
		sh.CompressionMethod = 1
	}
	var out []byte
	for _, m := range []interface{ Marshal() ([]byte, error) }{sh, &wire.Certificate{Certificates: [][]byte{fc.leaf.Cert.Raw}}, &wire.ServerHelloDone{}} {
		raw, err := m.Marshal()
		if err != nil {
			return nil, nil, err
		}
		out = append(out, raw...)
	}
	return sh, out, writeRaw(fc.conn, wire.ContentHandshake, v, out)
}

// afterFlight reads what the client sends after the flight and reacts as
// the flaws say; a healthy reaction otherwise.
func (fc *flawedConn) afterFlight() {
	ccsEarly := false
	for {
		rec, err := readRaw(fc)
		if err != nil {
			return
		}
		switch {
		case ccsEarly:
			// Decrypting under keys from an empty master secret fails.
			fc.alert(wire.AlertBadRecordMAC)
			return
		case rec.typ == wire.ContentHeartbeat && fc.f.heartbleed:
			fc.bleed(rec.payload, func(b []byte) { writeRaw(fc.conn, wire.ContentHeartbeat, suites.VersionTLS12, b) })
		case rec.typ == wire.ContentChangeCipherSpec && fc.f.ccs:
			ccsEarly = true
		case rec.typ == wire.ContentHandshake && len(rec.payload) > 6 && rec.payload[0] == byte(wire.TypeClientKeyExchange):
			fc.keyExchange(rec.payload[6:])
			return
		default:
			fc.alert(wire.AlertUnexpectedMessage)
			return
		}
	}
}

// bleed answers a heartbeat request with payload_length bytes taken from
// the request and, past its end, from fakeMemory; write sends one record.
func (fc *flawedConn) bleed(req []byte, write func([]byte)) {
	if len(req) < 3 || req[0] != heartbeatRequest {
		return
	}
	n := int(req[1])<<8 | int(req[2])
	memory := append(slices.Clone(req[3:]), fakeMemory...)
	for len(memory) < n {
		memory = append(memory, fakeMemory...)
	}
	resp := append([]byte{heartbeatResponse, req[1], req[2]}, memory[:n]...)
	resp = append(resp, make([]byte, 16)...)
	// A response over 2^14 bytes goes out in several records, as
	// OpenSSL's record layer fragmented it.
	for len(resp) > 0 {
		n := min(len(resp), 1<<14)
		write(resp[:n])
		resp = resp[n:]
	}
}

// keyExchange decrypts the premaster. Healthy: whatever happened, wait
// for ChangeCipherSpec and Finished and fail the Finished with
// bad_record_mac (RFC 5246 §7.4.7.1). With the robot flaw a padding error
// closes the connection at once.
func (fc *flawedConn) keyExchange(encrypted []byte) {
	_, err := rsa.DecryptPKCS1v15(nil, fc.leaf.Key.(*rsa.PrivateKey), encrypted)
	if err != nil && fc.f.robot {
		return
	}
	if err != nil && fc.f.robotWeak {
		fc.alert(wire.AlertBadRecordMAC)
		return
	}
	for range 2 {
		if _, err := readRaw(fc); err != nil {
			return
		}
	}
	fc.alert(wire.AlertBadRecordMAC)
}

// serveSSL2 answers an SSL 2.0 CLIENT-HELLO with a SERVER-HELLO offering
// two cipher kinds, or an ERROR without the flaw. An SSL 2.0-format TLS
// hello (RFC 5246 Appendix E.2) is closed on.
func (fc *flawedConn) serveSSL2() {
	msg, err := readSSL2Message(fc)
	if err != nil || len(msg) < 3 || msg[0] != ssl2MsgClientHello || msg[1] != 0 || msg[2] != 2 {
		return
	}
	if !fc.f.sslv2 {
		fc.conn.Write([]byte{0x80, 3, ssl2MsgError, 0, 1}) // NO-CIPHER-ERROR
		return
	}
	cert := fc.leaf.Cert.Raw
	specs := []byte{0x01, 0x00, 0x80, 0x07, 0x00, 0xC0}
	connID := make([]byte, 16)
	body := []byte{ssl2MsgServerHello, 0, 1, 0, 2,
		byte(len(cert) >> 8), byte(len(cert)), 0, byte(len(specs)), 0, byte(len(connID))}
	body = append(append(append(body, cert...), specs...), connID...)
	fc.conn.Write(append([]byte{0x80 | byte(len(body)>>8), byte(len(body))}, body...))
	io.Copy(io.Discard, fc.in)
}

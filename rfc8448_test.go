package clasp

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// RFC 8448 ("Example Handshake Traces for TLS 1.3") through clasp's own
// drivers, with the trace's randomness, keys, clock and messages injected,
// and the records compared as they are on the wire
// (testdata/rfc8448/records.txt). All four traces are reproduced byte for
// byte from both sides: every record clasp writes is the trace's, while
// the script plays the other side's records unchanged.
//
//   - §3 (simple 1-RTT): TestRFC8448Simple1RTTServer,
//     TestRFC8448Simple1RTTClient; the ticket included.
//   - §4 (resumed 0-RTT): TestRFC8448Resumed0RTTServer and
//     TestRFC8448Resumed0RTTClient, each continuing from its §3 side: the
//     server opens the ticket it issued in §3, the client resumes from the
//     session cache §3 filled.
//   - §5 (HelloRetryRequest): TestRFC8448HelloRetryRequestServer,
//     TestRFC8448HelloRetryRequestClientTrace.
//   - §6 (client authentication): TestRFC8448ClientAuthenticationServer,
//     TestRFC8448ClientAuthenticationClient.
//
// What the trace's NSS did differently from clasp's defaults is set in the
// Config, never special-cased: the client's MiddleboxCompatDisabled and
// ClientHelloExtensions (NSS's extensions in NSS's order, with padding);
// the server's group order, TicketLifetime (30 s), MaxEarlyData (1024),
// HelloRetryForPreferredGroup, HelloRetryCookie and
// ResumptionTicketsDisabled. NSS's tickets and cookie are its own
// encrypted format, so a TicketSealer hands out the trace's bytes for the
// state clasp seals, and opens them again to that state. Two private keys
// are not in the RFC (§6's server ECDSA key and client RSA key): a
// traceSigner, which can only sign the digest of the trace's content,
// stands in for each.
//
// RSA-PSS is randomised, but clasp's signer reads the salt from
// Config.Rand (internal/signature passes it to rsa.SignPSS, which reads
// the salt from it): with the trace's salt, recovered from the trace's
// signature with the public key, the CertificateVerify is exact.

// rfc8448Message reads one handshake message of the trace from the copy
// internal/keys keeps (testdata/rfc8448, "#" comments, whitespace ignored).
func rfc8448Message(t testing.TB, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("internal", "keys", "testdata", "rfc8448", name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for line := range strings.Lines(string(text)) {
		if !strings.HasPrefix(line, "#") {
			digits.WriteString(line)
		}
	}
	return unhexRFC(digits.String())
}

// unhexRFC decodes hex as the RFC prints it, with spaces and line breaks.
func unhexRFC(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func parse13(t testing.TB, raw []byte) wire.Message {
	t.Helper()
	msg, err := wire.ParseHandshake(raw, wire.Context{Version: suites.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	return msg
}

// rfc8448RSAKey is the server's RSA key of RFC 8448 §2.
func rfc8448RSAKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	n := func(s string) *big.Int { return new(big.Int).SetBytes(unhexRFC(s)) }
	key := &rsa.PrivateKey{
		PublicKey: rsa.PublicKey{N: n(`b4 bb 49 8f 82 79 30 3d 98 08 36 39 9b 36 c6 98 8c 0c 68 de 55 e1 bd b8 26 d3
			90 1a 24 61 ea fd 2d e4 9a 91 d0 15 ab bc 9a 95 13 7a ce 6c 1a f1 9e aa 6a f9
			8c 7c ed 43 12 09 98 e1 87 a8 0e e0 cc b0 52 4b 1b 01 8c 3e 0b 63 26 4d 44 9a
			6d 38 e2 2a 5f da 43 08 46 74 80 30 53 0e f0 46 1c 8c a9 d9 ef bf ae 8e a6 d1
			d0 3e 2b d1 93 ef f0 ab 9a 80 02 c4 74 28 a6 d3 5a 8d 88 d7 9f 7f 1e 3f`), E: 0x010001},
		D: n(`04 de a7 05 d4 3a 6e a7 20 9d d8 07 21 11 a8 3c 81 e3 22 a5 92 78 b3 34 80 64
			1e af 7c 0a 69 85 b8 e3 1c 44 f6 de 62 e1 b4 c2 30 9f 61 26 e7 7b 7c 41 e9 23
			31 4b bf a3 88 13 05 dc 12 17 f1 6c 81 9c e5 38 e9 22 f3 69 82 8d 0e 57 19 5d
			8c 84 88 46 02 07 b2 fa a7 26 bc f7 08 bb d7 db 7f 67 9f 89 34 92 fc 2a 62 2e
			08 97 0a ac 44 1c e4 e0 c3 08 8d f2 5a e6 79 23 3d f8 a3 bd a2 ff 99 41`),
		Primes: []*big.Int{
			n(`e4 35 fb 7c c8 37 37 75 6d ac ea 96 ab 7f 59 a2 cc 10 69 db 7d eb 19 0e 17 e3
			3a 53 2b 27 3f 30 a3 27 aa 0a aa bc 58 cd 67 46 6a f9 84 5f ad c6 75 fe 09 4a
			f9 2c 4b d1 f2 c1 bc 33 dd 2e 05 15`),
			n(`ca bd 3b c0 e0 43 86 64 c8 d4 cc 9f 99 97 7a 94 d9 bb fe ad 8e 43 87 0a ba e3
			f7 eb 8b 4e 0e ee 8a f1 d9 b4 71 9b a6 19 6c f2 cb ba ee eb f8 b3 49 0a fe 9e
			9f fa 74 a8 8a a5 1f c6 45 62 93 03`),
		},
	}
	key.Precompute()
	if err := key.Validate(); err != nil {
		t.Fatalf("RFC 8448 RSA key: %v", err)
	}
	return key
}

// pssSalt recovers the salt of an RSA-PSS signature (RFC 8017 §9.1.2,
// EMSA-PSS-VERIFY steps 1–10) with the public key, so that the trace's
// salt can be fed to clasp through Config.Rand. Test-only: it extracts a
// test vector's input and computes nothing clasp relies on.
func pssSalt(t testing.TB, pub *rsa.PublicKey, h crypto.Hash, sig []byte) []byte {
	t.Helper()
	emBits := pub.N.BitLen() - 1
	emLen := (emBits + 7) / 8
	m := new(big.Int).Exp(new(big.Int).SetBytes(sig), big.NewInt(int64(pub.E)), pub.N)
	em := m.FillBytes(make([]byte, emLen))
	hLen := h.Size()
	if em[emLen-1] != 0xbc {
		t.Fatal("RSA-PSS: encoded message does not end in 0xbc")
	}
	db, hv := em[:emLen-hLen-1], em[emLen-hLen-1:emLen-1]
	var mask []byte
	for counter := uint32(0); len(mask) < len(db); counter++ {
		d := h.New()
		d.Write(hv)
		d.Write(binary.BigEndian.AppendUint32(nil, counter))
		mask = d.Sum(mask)
	}
	db = bytes.Clone(db)
	for i := range db {
		db[i] ^= mask[i]
	}
	db[0] &= 0xff >> (8*emLen - emBits)
	i := bytes.IndexByte(db, 1)
	if i < 0 || !bytes.Equal(db[:i], make([]byte, i)) {
		t.Fatal("RSA-PSS: no 0x01 separator in DB")
	}
	return db[i+1:]
}

// rawExt is one extension as it is on the wire.
type rawExt struct {
	typ  uint16
	data []byte
}

// splitHello splits a ClientHello or ServerHello into everything before
// the extensions block and the extensions, in order.
func splitHello(t testing.TB, raw []byte, client bool) ([]byte, []rawExt) {
	t.Helper()
	s := cryptobyte.String(raw[4:])
	var skip cryptobyte.String
	ok := s.Skip(2+32) && s.ReadUint8LengthPrefixed(&skip)
	if client {
		ok = ok && s.ReadUint16LengthPrefixed(&skip) && s.ReadUint8LengthPrefixed(&skip)
	} else {
		ok = ok && s.Skip(3)
	}
	prefix := raw[:len(raw)-len(s)]
	var block cryptobyte.String
	if !ok || !s.ReadUint16LengthPrefixed(&block) || !s.Empty() {
		t.Fatalf("cannot split hello %x", raw)
	}
	var out []rawExt
	for !block.Empty() {
		var typ uint16
		var data cryptobyte.String
		if !block.ReadUint16(&typ) || !block.ReadUint16LengthPrefixed(&data) {
			t.Fatalf("bad extension block in %x", raw)
		}
		out = append(out, rawExt{typ, data})
	}
	return prefix, out
}

// joinHello is the inverse of splitHello, with the lengths recomputed.
func joinHello(prefix []byte, exts []rawExt) []byte {
	var block []byte
	for _, e := range exts {
		block = binary.BigEndian.AppendUint16(block, e.typ)
		block = binary.BigEndian.AppendUint16(block, uint16(len(e.data)))
		block = append(block, e.data...)
	}
	out := bytes.Clone(prefix)
	out = binary.BigEndian.AppendUint16(out, uint16(len(block)))
	out = append(out, block...)
	n := len(out) - 4
	out[1], out[2], out[3] = byte(n>>16), byte(n>>8), byte(n)
	return out
}

func extTypes(exts []rawExt) []uint16 {
	var out []uint16
	for _, e := range exts {
		out = append(out, e.typ)
	}
	return out
}

func extData(exts []rawExt, typ uint16) ([]byte, bool) {
	for _, e := range exts {
		if e.typ == typ {
			return e.data, true
		}
	}
	return nil, false
}

// rfcRand yields the trace's values in the order clasp reads them, then a
// deterministic stream for whatever clasp reads later.
func rfcRand(parts ...[]byte) io.Reader {
	return io.MultiReader(bytes.NewReader(bytes.Join(parts, nil)), testRand(0x84))
}

// Values of RFC 8448 §3.
var (
	rfc3ClientPriv = unhexRFC(`49 af 42 ba 7f 79 94 85 2d 71 3e f2 78 4b cb ca a7 91 1d e2 6a dc 56 42 cb 63 45 40 e7 ea 50 05`)
	rfc3ServerPriv = unhexRFC(`b1 58 0e ea df 6d d5 89 b8 ef 4f 2d 56 52 57 8c c8 10 e9 98 01 91 ec 8d 05 83 08 ce a2 16 a2 1e`)
	rfc3Shared     = unhexRFC(`8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d 35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d`)
	rfc3HSSecret   = unhexRFC(`1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac`)
	rfc3ResMaster  = unhexRFC(`7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c`)
	rfc4ClientPriv = unhexRFC(`bf f9 11 88 28 38 46 dd 6a 21 34 ef 71 80 ca 2b 0b 14 fb 10 dc e7 07 b5 09 8c 0d dd c8 13 b2 df`)
	rfc5ServerPriv = unhexRFC(`8c 51 06 01 f9 76 5b fb 8e d6 93 44 9a 48 98 98 59 b5 cf a8 79 cb 9f 54 43 c4 1c 5f f1 06 34 ed`)
	rfc5HSSecret   = unhexRFC(`ce 02 2e 5e 6e 81 e5 07 36 d7 73 f2 d3 ad fc e8 22 0d 04 9b f5 10 f0 db fa c9 27 ef 42 43 b1 48`)
	rfcClock       = func() time.Time { return time.Date(2018, 6, 1, 0, 0, 0, 0, time.UTC) }
)

// rfc8448Server is a clasp server with the trace's RSA certificate and
// key, reading rand.
func rfc8448Server(t *testing.T, rand io.Reader, kl io.Writer) *Config {
	t.Helper()
	cert := parse13(t, rfc8448Message(t, "sec3_certificate")).(*wire.Certificate13)
	return &Config{
		Certificates:     []Certificate{{Certificate: [][]byte{cert.Entries[0].Data}, PrivateKey: rfc8448RSAKey(t)}},
		Rand:             rand,
		Time:             rfcClock,
		KeyLogWriter:     kl,
		SessionTicketKey: [32]byte{8, 4, 4, 8},
	}
}

// checkKeyLog compares the secrets a clasp side logged with the scripted
// peer's independent key schedule over the same transcript.
func checkKeyLog(t *testing.T, kl *keyLog, random []byte, want map[string][]byte) {
	t.Helper()
	got := kl.secrets(t, random)
	for label, secret := range want {
		if got[label] != fmt.Sprintf("%x", secret) {
			t.Errorf("%s: clasp logged %s, the key schedule over the transcript gives %x", label, got[label], secret)
		}
	}
}

// rfc8448Groups is the RFC 8448 server's (NSS's) group order, as its
// EncryptedExtensions lists it in §3, §4 and §6.
var rfc8448Groups = []CurveID{X25519, CurveP256, CurveP384, CurveP521, FFDHE2048, FFDHE3072, FFDHE4096, FFDHE6144, FFDHE8192}

// rfc8448Record reads one value of testdata/rfc8448/records.txt: a record
// as it is on the wire, or a message or key the internal/keys copy lacks.
func rfc8448Record(t testing.TB, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "rfc8448", "records.txt"))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(text)) {
		if k, v, ok := strings.Cut(line, " = "); ok && k == name {
			return unhexRFC(v)
		}
	}
	t.Fatalf("no %s in testdata/rfc8448/records.txt", name)
	return nil
}

// readWireRecord reads the next record clasp wrote, header included, as it
// is on the wire.
func readWireRecord(t testing.TB, conn net.Conn) []byte {
	t.Helper()
	rec := make([]byte, 5)
	if _, err := io.ReadFull(conn, rec); err != nil {
		t.Fatalf("reading clasp's record: %v", err)
	}
	rec = append(rec, make([]byte, int(rec[3])<<8|int(rec[4]))...)
	if _, err := io.ReadFull(conn, rec[5:]); err != nil {
		t.Fatalf("reading clasp's record: %v", err)
	}
	return rec
}

// openWireRecord removes a TLS 1.3 record's protection.
func openWireRecord(t testing.TB, prot record.InnerTypeProtection, seq uint64, rec []byte) (wire.ContentType, []byte) {
	t.Helper()
	typ, plain, err := prot.OpenInner(seq, wire.ContentType(rec[0]), suites.VersionTLS12, rec[5:])
	if err != nil {
		t.Fatalf("record %x… does not open: %v", rec[:min(len(rec), 16)], err)
	}
	return typ, bytes.Clone(plain)
}

// splitMessages splits a run of handshake messages.
func splitMessages(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 4 {
		n := min(4+(int(b[1])<<16|int(b[2])<<8|int(b[3])), len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

// checkProtectedRecord compares a protected record clasp wrote with the
// trace's. On a difference it opens both under the trace's key (prot, at
// seq) and names the messages that differ, which is what a reader needs.
func checkProtectedRecord(t *testing.T, what string, got, want []byte, prot func() record.InnerTypeProtection, seq uint64) {
	t.Helper()
	if bytes.Equal(got, want) {
		return
	}
	t.Errorf("%s: clasp's record differs from the trace's (%d bytes, want %d)", what, len(got), len(want))
	_, wantPlain := openWireRecord(t, prot(), seq, want)
	gotTyp, gotPlain, err := prot().OpenInner(seq, wire.ContentType(got[0]), suites.VersionTLS12, got[5:])
	if err != nil {
		t.Fatalf("%s: clasp's record does not open under the trace's key at sequence %d: %v", what, seq, err)
	}
	if gotTyp != wire.ContentHandshake {
		t.Fatalf("%s: clasp's record holds %v", what, gotTyp)
	}
	g, w := splitMessages(gotPlain), splitMessages(wantPlain)
	for i := range max(len(g), len(w)) {
		switch {
		case i >= len(g):
			t.Errorf("  message %d: clasp has none, the trace has %x", i, w[i])
		case i >= len(w):
			t.Errorf("  message %d: clasp has %x, the trace has none", i, g[i])
		case !bytes.Equal(g[i], w[i]):
			t.Errorf("  message %d (type %d):\n   got %x\n  want %x", i, g[i][0], g[i], w[i])
		}
	}
	t.FailNow()
}

// rfc3Secrets are RFC 8448 §3's traffic, exporter and resumption secrets.
var rfc3Secrets = map[string][]byte{
	"CLIENT_HANDSHAKE_TRAFFIC_SECRET": unhexRFC(`b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21`),
	"SERVER_HANDSHAKE_TRAFFIC_SECRET": unhexRFC(`b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38`),
	"CLIENT_TRAFFIC_SECRET_0":         unhexRFC(`9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5`),
	"SERVER_TRAFFIC_SECRET_0":         unhexRFC(`a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43`),
	"EXPORTER_SECRET":                 unhexRFC(`fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50`),
}

// TestRFC8448Simple1RTTServer is RFC 8448 §3 from the server's side, on
// the wire: the trace's ClientHello goes to a clasp server that has the
// trace's certificate, RSA key, server random, X25519 key, PSS salt and
// group order, and every record clasp writes in the handshake is the
// trace's, byte for byte: the ServerHello record, and the one protected
// record with EncryptedExtensions (supported_groups, record_size_limit,
// the empty server_name), Certificate, CertificateVerify and Finished. The
// trace's client Finished record then completes the handshake, and every
// secret clasp logs is the trace's.
//
// After the handshake the NewSessionTicket record is the trace's too: the
// server announces NSS's 30-second lifetime (Config.TicketLifetime) and
// 1024 bytes of 0-RTT data (Config.MaxEarlyData), its age_add comes from
// Config.Rand, and the ticket itself is NSS's opaque bytes, which a
// TicketSealer hands out for the state clasp seals (and which §4's server
// opens again). Then the application data and close_notify records.
func TestRFC8448Simple1RTTServer(t *testing.T) {
	sealer := rfc8448Section3Server(t)
	ss, err := ParseSessionState(sealer.state)
	if err != nil || ss.s13 == nil || !ss.EarlyData {
		t.Fatalf("the sealed state does not parse as a TLS 1.3 session allowing early data: %v", err)
	}
	state := ss.s13
	if !bytes.Equal(state.psk, keys.ResumptionPSK(crypto.SHA256, rfc3ResMaster, []byte{0, 0})) || state.serverName != "server" || state.maxEarlyData != 1024 {
		t.Errorf("sealed session: PSK %x, server name %q, max early data %d", state.psk, state.serverName, state.maxEarlyData)
	}
}

// rfcTicketSealer stands in for NSS's ticket encryption: it seals any
// state into the trace's ticket, remembering the state, and opens the
// trace's ticket to it again.
type rfcTicketSealer struct {
	ticket, state []byte
}

func (s *rfcTicketSealer) Seal(state []byte) ([]byte, error) {
	s.state = bytes.Clone(state)
	return s.ticket, nil
}

func (s *rfcTicketSealer) Open(ticket []byte) ([]byte, error) {
	if !bytes.Equal(ticket, s.ticket) || s.state == nil {
		return nil, fmt.Errorf("not the trace's ticket")
	}
	return s.state, nil
}

// rfc8448Section3Server runs §3's server to the end and returns the sealer
// holding the session its ticket carries.
func rfc8448Section3Server(t *testing.T) *rfcTicketSealer {
	t.Helper()
	chRaw := rfc8448Message(t, "sec3_client_hello")
	wantCV := rfc8448Message(t, "sec3_certificate_verify")
	nst := parse13(t, rfc8448Message(t, "sec3_new_session_ticket")).(*wire.NewSessionTicket13)
	key := rfc8448RSAKey(t)
	salt := pssSalt(t, &key.PublicKey, crypto.SHA256, parse13(t, wantCV).(*wire.CertificateVerify).Signature.Signature)
	serverRandom := parse13(t, rfc8448Message(t, "sec3_server_hello")).(*wire.ServerHello).Random

	// Config.Rand, in the order the server reads it: ServerHello.random,
	// the X25519 scalar, the PSS salt, then the ticket's age_add.
	kl := &keyLog{}
	var ageAdd [4]byte
	binary.BigEndian.PutUint32(ageAdd[:], nst.AgeAdd)
	server := rfc8448Server(t, rfcRand(serverRandom[:], rfc3ServerPriv, salt, ageAdd[:]), kl)
	server.Groups = rfc8448Groups
	sealer := &rfcTicketSealer{ticket: nst.Ticket}
	server.TicketSealer, server.TicketLifetime, server.MaxEarlyData = sealer, 30*time.Second, 1024
	run, p := startServer13(t, server)
	p.tr.Write(chRaw)
	p.writeRecord(wire.ContentHandshake, chRaw)
	p.flush()

	shRec := readWireRecord(t, p.conn)
	if want := rfc8448Record(t, "s3_server_hello_record"); !bytes.Equal(shRec, want) {
		t.Fatalf("ServerHello record:\n got %x\nwant %x", shRec, want)
	}
	p.tr.Write(shRec[5:])
	p.setSuite(suites.TLS_AES_128_GCM_SHA256)
	p.deriveHandshake(nil, rfc3Shared)
	if !bytes.Equal(p.sched.HandshakeSecret(), rfc3HSSecret) {
		t.Fatal("handshake secret from the trace's shared secret differs from the trace's")
	}

	flight := readWireRecord(t, p.conn)
	wantFlight := rfc8448Record(t, "s3_server_flight_record")
	checkProtectedRecord(t, "server flight (EncryptedExtensions..Finished)", flight, wantFlight, func() record.InnerTypeProtection { return p.protection(p.sHS) }, 0)
	_, plain := openWireRecord(t, p.protection(p.sHS), 0, flight)
	var msgs []byte
	for _, name := range []string{"sec3_encrypted_extensions", "sec3_certificate", "sec3_certificate_verify", "sec3_server_finished"} {
		msgs = append(msgs, rfc8448Message(t, name)...)
	}
	if !bytes.Equal(plain, msgs) {
		t.Fatal("testdata: the trace's flight record does not hold the trace's messages")
	}
	p.tr.Write(plain)
	p.deriveApplication()

	// The ticket: its own record, under the server's application key at
	// sequence 0, as the trace's.
	checkProtectedRecord(t, "NewSessionTicket", readWireRecord(t, p.conn), rfc8448Record(t, "s3_new_session_ticket_record"),
		func() record.InnerTypeProtection { return p.protection(p.sAP) }, 0)

	// The trace's client Finished completes the handshake.
	if _, err := p.conn.Write(rfc8448Record(t, "s3_client_finished_record")); err != nil {
		t.Fatal(err)
	}
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	checkKeyLog(t, kl, chRaw[6:38], rfc3Secrets)
	if !bytes.Equal(run.conn.resumptionSecret, rfc3ResMaster) {
		t.Errorf("resumption master secret %x, want the trace's %x", run.conn.resumptionSecret, rfc3ResMaster)
	}

	// Application data, both ways, then close_notify both ways.
	(&tracePeer{t: t, conn: p.conn, claspSide: "server"}).exchangeAppData(run.conn, "s3")
	return sealer
}

// TestRFC8448CertificateVerifyConstruction signs RFC 8448 §3's transcript
// with clasp's CertificateVerify code (signedContent13, sign13, the wire
// encoding) and the trace's salt: the message is the trace's, byte for
// byte.
func TestRFC8448CertificateVerifyConstruction(t *testing.T) {
	key := rfc8448RSAKey(t)
	wantCV := rfc8448Message(t, "sec3_certificate_verify")
	salt := pssSalt(t, &key.PublicKey, crypto.SHA256, parse13(t, wantCV).(*wire.CertificateVerify).Signature.Signature)
	th := sha256.New()
	for _, name := range []string{"sec3_client_hello", "sec3_server_hello", "sec3_encrypted_extensions", "sec3_certificate"} {
		th.Write(rfc8448Message(t, name))
	}
	cert := &Certificate{PrivateKey: key}
	cv, err := sign13(cert, suites.PSSWithSHA256, &Config{Rand: bytes.NewReader(salt)}, signedContent13(serverSignatureContext, th.Sum(nil)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := cv.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, wantCV) {
		t.Fatalf("CertificateVerify:\n got %x\nwant %x", got, wantCV)
	}
}

// TestRFC8448ResumedClientHelloBinder checks clasp's binder code on RFC
// 8448 §4: the PSK from §3's resumption master secret and ticket nonce,
// and computeBinder over the trace's ClientHello truncated before its
// binders (PSKBindersSuffixLen), give the binder the trace's client sent.
func TestRFC8448ResumedClientHelloBinder(t *testing.T) {
	raw := rfc8448Message(t, "sec4_client_hello")
	ch := parse13(t, raw).(*wire.ClientHello)
	nst := parse13(t, rfc8448Message(t, "sec3_new_session_ticket")).(*wire.NewSessionTicket13)
	psk, ok := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
	if !ok || len(psk.Identities) != 1 || !bytes.Equal(psk.Identities[0].Identity, nst.Ticket) {
		t.Fatal("the trace's resumed ClientHello does not offer §3's ticket")
	}
	n, err := ch.PSKBindersSuffixLen()
	if err != nil {
		t.Fatal(err)
	}
	suite := suites.SuiteByID(suites.TLS_AES_128_GCM_SHA256)
	binder := computeBinder(keys.NewSchedule13(suite.PRFHash, keys.ResumptionPSK(crypto.SHA256, rfc3ResMaster, nst.Nonce)), true, nil, raw[:len(raw)-n])
	if !bytes.Equal(binder, psk.Binders[0]) {
		t.Fatalf("binder %x, want the trace's %x", binder, psk.Binders[0])
	}
}

// rfc8448ResumedServer feeds §4's ClientHello to a clasp server with the
// trace's RSA key. The ticket in it is NSS's, which clasp cannot open, so
// the server must carry on with a full handshake: no pre_shared_key in the
// ServerHello, no early_data in EncryptedExtensions. earlyData, when set,
// is sent after the hello as the trace's client would send its 0-RTT data,
// under client_early_traffic_secret.
func rfc8448ResumedServer(t *testing.T, earlyData []byte) {
	raw := rfc8448Message(t, "sec4_client_hello")
	run, p := startServer13(t, rfc8448Server(t, testRand(0x44), nil))
	p.tr.Write(raw)
	p.writeRecord(wire.ContentHandshake, raw)
	if earlyData != nil {
		nst := parse13(t, rfc8448Message(t, "sec3_new_session_ticket")).(*wire.NewSessionTicket13)
		early := keys.NewSchedule13(crypto.SHA256, keys.ResumptionPSK(crypto.SHA256, rfc3ResMaster, nst.Nonce))
		th := sha256.Sum256(raw)
		p.suite = suites.SuiteByID(suites.TLS_AES_128_GCM_SHA256)
		p.wr = p.protection(early.ClientEarlyTrafficSecret(th[:]))
		p.writeRecord(wire.ContentApplicationData, earlyData)
		p.wr, p.wrSeq = nil, 0
	}
	p.flush()
	msg, _ := p.readMessage()
	sh := msg.(*wire.ServerHello)
	if _, ok := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions); ok {
		t.Fatal("the server accepted a ticket it cannot have sealed")
	}
	ks, _ := wire.FindExtension[*wire.KeyShareExt](sh.Extensions)
	priv, err := ecdh.X25519().NewPrivateKey(rfc4ClientPriv)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := ecdh.X25519().NewPublicKey(ks.Entries[0].KeyExchange)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		t.Fatal(err)
	}
	p.setSuite(sh.CipherSuite)
	p.deriveHandshake(nil, shared)
	p.setKeys(p.sHS, p.cHS)
	msg, _ = p.readMessage()
	if _, ok := wire.FindExtension[*wire.EarlyDataExt](msg.(*wire.EncryptedExtensions).Extensions); ok {
		t.Fatal("the server accepted early data")
	}
	for {
		if msg, _ = p.readMessage(); msg.Type() == wire.TypeFinished {
			break
		}
	}
	p.deriveApplication()
	p.send(p.finished(p.cHS))
	// A server that fails writes its alert while the Finished is being
	// written; net.Pipe needs the two to run side by side.
	go func() { _, _ = p.conn.Write(p.out) }()
	go func() { _, _ = io.Copy(io.Discard, p.conn) }()
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	if run.conn.ConnectionState().DidResume {
		t.Fatal("DidResume with a ticket the server cannot open")
	}
}

func TestRFC8448ResumedClientHelloToServerWithoutTheTicket(t *testing.T) {
	rfc8448ResumedServer(t, nil)
}

// RFC 8446 §4.2.10: a server that receives early_data and does not accept
// it must "Ignore the extension and return a regular 1-RTT response. The
// server then skips past early data by attempting to deprotect received
// records using the handshake traffic key, discarding records which fail
// deprotection (up to the configured max_early_data_size)." §4's client
// sends its 0-RTT data right after the hello, before it has seen the
// server's answer.
func TestServerSkipsRejectedEarlyData(t *testing.T) {
	rfc8448ResumedServer(t, []byte("0-RTT data the server cannot read"))
}

// TestRFC8448HelloRetryRequestServer is RFC 8448 §5 from the server's
// side: a clasp server with NSS's group order (P-256, P-384, X25519),
// HelloRetryForPreferredGroup (NSS asks for P-256 although the client sent
// an X25519 share, because P-256 is its favourite) and HelloRetryCookie,
// whose TicketSealer hands out NSS's cookie for the state clasp seals and
// opens it again. With the trace's server random, P-256 key and PSS salt,
// every record it writes is the trace's, byte for byte: the
// HelloRetryRequest (key_share, cookie, supported_versions), the
// ServerHello, and the record with EncryptedExtensions, Certificate,
// CertificateVerify and Finished; it accepts the trace's client Finished,
// and the close_notify records are the trace's. Like NSS in this trace,
// the server issues no ticket.
func TestRFC8448HelloRetryRequestServer(t *testing.T) {
	hrrTrace := rfc8448Record(t, "s5_hello_retry_request_record")
	cookie, ok := wire.FindExtension[*wire.CookieExt](parse13(t, hrrTrace[5:]).(*wire.ServerHello).Extensions)
	if !ok {
		t.Fatal("testdata: the trace's HelloRetryRequest has no cookie")
	}
	wantSH := rfc8448Message(t, "sec5_server_hello")
	serverRandom := parse13(t, wantSH).(*wire.ServerHello).Random
	key := rfc8448RSAKey(t)
	salt := pssSalt(t, &key.PublicKey, crypto.SHA256, parse13(t, rfc8448Message(t, "sec5_certificate_verify")).(*wire.CertificateVerify).Signature.Signature)
	kl := &keyLog{}
	server := rfc8448Server(t, rfcRand(serverRandom[:], rfc5ServerPriv, salt), kl)
	server.Groups = []CurveID{CurveP256, CurveP384, X25519}
	server.HelloRetryForPreferredGroup, server.HelloRetryCookie = true, true
	sealer := &rfcTicketSealer{ticket: cookie.Cookie}
	server.TicketSealer, server.SessionTicketsDisabled = sealer, true
	run, p := startServer13(t, server)
	peer := &tracePeer{t: t, conn: p.conn, claspSide: "server"}
	peer.send("s5_client_hello1_record")
	if rec := readWireRecord(t, p.conn); !bytes.Equal(rec, hrrTrace) {
		t.Fatalf("HelloRetryRequest record:\n got %x\nwant %x", rec, hrrTrace)
	}
	peer.send("s5_client_hello2_record")
	if rec, want := readWireRecord(t, p.conn), rfc8448Record(t, "s5_server_hello_record"); !bytes.Equal(rec, want) {
		t.Fatalf("ServerHello record:\n got %x\nwant %x", rec, want)
	}
	flight := readWireRecord(t, p.conn)
	if want := rfc8448Record(t, "s5_server_flight_record"); !bytes.Equal(flight, want) {
		secret, _ := hex.DecodeString(kl.secrets(t, rfc8448Record(t, "s5_client_hello1_record")[11:43])["SERVER_HANDSHAKE_TRAFFIC_SECRET"])
		p.setSuite(suites.TLS_AES_128_GCM_SHA256)
		checkProtectedRecord(t, "server flight", flight, want, func() record.InnerTypeProtection { return p.protection(secret) }, 0)
	}
	peer.send("s5_client_finished_record")
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	if hs := kl.secrets(t, rfc8448Record(t, "s5_client_hello1_record")[11:43])["SERVER_HANDSHAKE_TRAFFIC_SECRET"]; hs == "" {
		t.Error("no handshake secret logged")
	}
	if !run.conn.ConnectionState().DidHelloRetryRequest || run.conn.ConnectionState().CurveID != CurveP256 {
		t.Error("the server does not report its HelloRetryRequest for P-256")
	}
	peer.closeBothWays(run.conn, "s5")
}

// traceSigner is a private key that can make one signature: the trace's,
// over the trace's content. RFC 8448 §6's server certificate is ECDSA and
// the RFC does not print its private key, and ECDSA signatures are
// randomised, so no key could reproduce the trace's; this signer refuses
// anything but the digest of the trace's signed content, so the
// CertificateVerify it lets clasp send is still proof that clasp's
// transcript up to its Certificate is the trace's.
type traceSigner struct {
	pub         crypto.PublicKey
	digest, sig []byte
}

func (s traceSigner) Public() crypto.PublicKey { return s.pub }

func (s traceSigner) Sign(_ io.Reader, digest []byte, _ crypto.SignerOpts) ([]byte, error) {
	if !bytes.Equal(digest, s.digest) {
		return nil, fmt.Errorf("asked to sign %x, not the digest of the trace's content %x", digest, s.digest)
	}
	return s.sig, nil
}

// TestRFC8448ClientAuthenticationServer is RFC 8448 §6 from the server's
// side: a clasp server with the trace's ECDSA certificate (see traceSigner
// for its key), server random and X25519 key, NSS's group order, NSS's
// signature schemes (which go into the CertificateRequest) and ClientAuth
// RequireAnyClientCert (the trace's client certificate is self-signed).
// The ServerHello record and the protected record with
// EncryptedExtensions, CertificateRequest, Certificate, CertificateVerify
// and Finished are the trace's, byte for byte; the trace's client record
// (Certificate, CertificateVerify, Finished) authenticates the client;
// clasp's close_notify is the trace's. The trace's server sends no ticket,
// so SessionTicketsDisabled keeps clasp's close_notify at the trace's
// sequence number.
func TestRFC8448ClientAuthenticationServer(t *testing.T) {
	chRec := rfc8448Record(t, "s6_client_hello_record")
	chRaw := chRec[5:]
	ch := parse13(t, chRaw).(*wire.ClientHello)
	wantSHRec := rfc8448Record(t, "s6_server_hello_record")
	serverRandom := parse13(t, wantSHRec[5:]).(*wire.ServerHello).Random
	certMsg := rfc8448Record(t, "s6_server_certificate")
	der := parse13(t, certMsg).(*wire.Certificate13).Entries[0].Data
	leafCert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	th := sha256.New()
	for _, m := range [][]byte{chRaw, wantSHRec[5:], rfc8448Record(t, "s6_encrypted_extensions"), rfc8448Record(t, "s6_certificate_request"), certMsg} {
		th.Write(m)
	}
	digest := sha256.Sum256(signedContent13(serverSignatureContext, th.Sum(nil)))
	cv := parse13(t, rfc8448Record(t, "s6_server_certificate_verify")).(*wire.CertificateVerify)
	if err := signature.Verify(leafCert.PublicKey, cv.Signature.Scheme, signedContent13(serverSignatureContext, th.Sum(nil)), cv.Signature.Signature); err != nil {
		t.Fatalf("testdata: the trace's CertificateVerify does not verify over the trace's messages: %v", err)
	}
	sa, _ := wire.FindExtension[*wire.SignatureAlgorithmsExt](ch.Extensions)
	kl := &keyLog{}
	server := &Config{
		Certificates:           []Certificate{{Certificate: [][]byte{der}, PrivateKey: traceSigner{leafCert.PublicKey, digest[:], cv.Signature.Signature}}},
		Rand:                   rfcRand(serverRandom[:], rfc8448Record(t, "s6_server_x25519_private")),
		Time:                   rfcClock,
		KeyLogWriter:           kl,
		Groups:                 rfc8448Groups,
		SignatureSchemes:       sa.Schemes,
		ClientAuth:             RequireAnyClientCert,
		SessionTicketsDisabled: true,
	}
	run, p := startServer13(t, server)
	if _, err := p.conn.Write(chRec); err != nil {
		t.Fatal(err)
	}
	shRec := readWireRecord(t, p.conn)
	if !bytes.Equal(shRec, wantSHRec) {
		t.Fatalf("ServerHello record:\n got %x\nwant %x", shRec, wantSHRec)
	}
	p.tr.Write(chRaw)
	p.tr.Write(shRec[5:])
	p.setSuite(suites.TLS_AES_128_GCM_SHA256)
	serverKey, err := ecdh.X25519().NewPrivateKey(rfc8448Record(t, "s6_server_x25519_private"))
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := wire.FindExtension[*wire.KeyShareExt](ch.Extensions)
	clientPub, err := ecdh.X25519().NewPublicKey(ks.Entries[0].KeyExchange)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := serverKey.ECDH(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	p.deriveHandshake(nil, shared)

	flight := readWireRecord(t, p.conn)
	checkProtectedRecord(t, "server flight (EncryptedExtensions..Finished)", flight, rfc8448Record(t, "s6_server_flight_record"),
		func() record.InnerTypeProtection { return p.protection(p.sHS) }, 0)
	_, plain := openWireRecord(t, p.protection(p.sHS), 0, flight)
	var msgs []byte
	for _, name := range []string{"s6_encrypted_extensions", "s6_certificate_request", "s6_server_certificate", "s6_server_certificate_verify", "s6_server_finished"} {
		msgs = append(msgs, rfc8448Record(t, name)...)
	}
	if !bytes.Equal(plain, msgs) {
		t.Fatal("testdata: the trace's flight record does not hold the trace's messages")
	}
	p.tr.Write(plain)
	p.deriveApplication()

	clientFlight := rfc8448Record(t, "s6_client_flight_record")
	if _, err := p.conn.Write(clientFlight); err != nil {
		t.Fatal(err)
	}
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	checkKeyLog(t, kl, ch.Random[:], map[string][]byte{
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET": p.cHS, "SERVER_HANDSHAKE_TRAFFIC_SECRET": p.sHS,
		"CLIENT_TRAFFIC_SECRET_0": p.cAP, "SERVER_TRAFFIC_SECRET_0": p.sAP,
	})
	_, clientPlain := openWireRecord(t, p.protection(p.cHS), 0, clientFlight)
	clientCert := parse13(t, splitMessages(clientPlain)[0]).(*wire.Certificate13)
	peers := run.conn.ConnectionState().PeerCertificates
	if len(peers) != 1 || !bytes.Equal(peers[0].Raw, clientCert.Entries[0].Data) {
		t.Fatalf("the server's peer certificates are not the trace's client certificate")
	}

	(&tracePeer{t: t, conn: p.conn, claspSide: "server"}).closeBothWays(run.conn, "s6")
}

func mustMarshal(t testing.TB, m wire.Message) []byte {
	t.Helper()
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestRFC8448Resumed0RTTServer is RFC 8448 §4 from the server's side: the
// server of §3 (its ticket sealer holds the session behind the trace's
// ticket) gets the trace's resumed ClientHello and 0-RTT data, six
// milliseconds after it issued the ticket, as in the trace. It accepts
// the ticket and the early data, and writes the trace's ServerHello
// record (pre_shared_key, key_share, supported_versions) and its
// EncryptedExtensions and Finished record (early_data accepted), byte for
// byte; it reads the trace's EndOfEarlyData and client Finished, Read
// returns "ABCDEF" first, and the application data and close_notify
// records are the trace's. Like NSS in the trace, the server sends no new
// ticket on a resumed connection (Config.ResumptionTicketsDisabled).
func TestRFC8448Resumed0RTTServer(t *testing.T) {
	sealer := rfc8448Section3Server(t)
	serverRandom := rfc8448Record(t, "s4_server_hello_record")[11:43]
	kl := &keyLog{}
	server := rfc8448Server(t, rfcRand(serverRandom, rfc8448Record(t, "s4_server_x25519_private")), kl)
	server.Groups = rfc8448Groups
	server.TicketSealer, server.TicketLifetime, server.MaxEarlyData = sealer, 30*time.Second, 1024
	server.ResumptionTicketsDisabled = true
	server.ServerNameOnResumption = true // NSS acknowledges the name on resumption too
	server.Time = func() time.Time { return rfcClock().Add(6 * time.Millisecond) }
	run, p := startServer13(t, server)
	if _, err := p.conn.Write(append(rfc8448Record(t, "s4_client_hello_record"), rfc8448Record(t, "s4_client_early_data_record")...)); err != nil {
		t.Fatal(err)
	}
	if rec, want := readWireRecord(t, p.conn), rfc8448Record(t, "s4_server_hello_record"); !bytes.Equal(rec, want) {
		t.Fatalf("ServerHello record:\n got %x\nwant %x", rec, want)
	}
	flight := readWireRecord(t, p.conn)
	if want := rfc8448Record(t, "s4_server_flight_record"); !bytes.Equal(flight, want) {
		secret, _ := hex.DecodeString(kl.secrets(t, rfc8448Record(t, "s4_client_hello_record")[11:43])["SERVER_HANDSHAKE_TRAFFIC_SECRET"])
		p.setSuite(suites.TLS_AES_128_GCM_SHA256)
		checkProtectedRecord(t, "server flight (EncryptedExtensions, Finished)", flight, want, func() record.InnerTypeProtection { return p.protection(secret) }, 0)
	}
	if _, err := p.conn.Write(append(rfc8448Record(t, "s4_client_end_of_early_data_record"), rfc8448Record(t, "s4_client_finished_record")...)); err != nil {
		t.Fatal(err)
	}
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	st := run.conn.ConnectionState()
	if !st.DidResume || !st.EarlyDataAccepted || !slices.Contains(st.Warnings, earlyDataWarning) {
		t.Fatalf("resumed %v, early data accepted %v, warnings %q", st.DidResume, st.EarlyDataAccepted, st.Warnings)
	}
	early := make([]byte, 6)
	if _, err := io.ReadFull(run.conn, early); err != nil || string(early) != "ABCDEF" {
		t.Fatalf("server read %q (%v) first, want the trace's early data ABCDEF", early, err)
	}
	(&tracePeer{t: t, conn: p.conn, claspSide: "server"}).exchangeAppData(run.conn, "s4")
}

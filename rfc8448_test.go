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
// drivers, with the trace's randomness, keys and messages injected, and the
// records compared as they are on the wire (testdata/rfc8448/records.txt).
//
// Byte for byte, as the server:
//
//   - §3 (simple 1-RTT): the ServerHello record, the protected record with
//     EncryptedExtensions, Certificate, CertificateVerify and Finished,
//     every secret, and after the trace's client Finished the application
//     data and close_notify records. Only the NewSessionTicket differs
//     (NSS's ticket format, nonce, lifetime and early_data extension).
//   - §6 (client authentication): the ServerHello record and the record
//     with EncryptedExtensions, CertificateRequest, Certificate,
//     CertificateVerify and Finished; the trace's client Certificate,
//     CertificateVerify and Finished are accepted; close_notify. The
//     server's ECDSA key is not in the RFC: a signer that can only make the
//     trace's signature over the trace's transcript stands in for it.
//   - §5 (HelloRetryRequest): the HelloRetryRequest minus NSS's cookie, and
//     the ServerHello. From the HelloRetryRequest on the transcript
//     differs, and EncryptedExtensions lists clasp's groups, not NSS's
//     (see the test for the group policy that would take).
//   - §4 (resumed 0-RTT): the ticket is NSS's, which clasp's server cannot
//     open; it falls back to a full handshake and skips the 0-RTT data.
//
// As the client, clasp's ClientHello cannot be the trace's without
// switches Config does not have (see compareClientHello, which pins every
// difference): the legacy_session_id (clasp always uses middlebox
// compatibility mode, 32 random bytes; NSS sends none), renegotiation_info
// and session_ticket (NSS offers TLS 1.2 machinery in a TLS 1.3-only hello;
// clasp does not), and the extension order. Every extension both send,
// record_size_limit included, is byte-exact, as are random and key share.
// The binder checks of §4 and the CertificateVerify construction of §3 are
// tested on their own.
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
	state, ok := parseSessionState13(sealer.state)
	if !ok {
		t.Fatal("the sealed state does not parse")
	}
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
	appData := make([]byte, 50)
	for i := range appData {
		appData[i] = byte(i)
	}
	if _, err := p.conn.Write(rfc8448Record(t, "s3_client_application_data_record")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 100)
	n, err := run.conn.Read(buf)
	if err != nil || !bytes.Equal(buf[:n], appData) {
		t.Fatalf("server read %x (%v), want the trace's client data", buf[:n], err)
	}
	if _, err := run.conn.Write(appData); err != nil {
		t.Fatal(err)
	}
	if rec, want := readWireRecord(t, p.conn), rfc8448Record(t, "s3_server_application_data_record"); !bytes.Equal(rec, want) {
		t.Errorf("server application data record:\n got %x\nwant %x", rec, want)
	}
	if _, err := p.conn.Write(rfc8448Record(t, "s3_client_close_notify_record")); err != nil {
		t.Fatal(err)
	}
	if n, err := run.conn.Read(buf); err != io.EOF {
		t.Fatalf("server read %d bytes, %v after the trace's close_notify, want EOF", n, err)
	}
	_ = run.conn.Close()
	if rec, want := readWireRecord(t, p.conn), rfc8448Record(t, "s3_server_close_notify_record"); !bytes.Equal(rec, want) {
		t.Errorf("server close_notify record:\n got %x\nwant %x", rec, want)
	}
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

// TestRFC8448Simple1RTTClientHello drives a clasp client with §3's client
// random and X25519 key and the trace's offer (suites, groups and
// signature schemes in its order), and compares the ClientHello with the
// trace's field by field. The differences are pinned exactly, so that any
// change to clasp's hello shows up here.
func TestRFC8448Simple1RTTClientHello(t *testing.T) {
	want := rfc8448Message(t, "sec3_client_hello")
	wantCH := parse13(t, want).(*wire.ClientHello)
	cfg := &Config{ServerName: "server", MinVersion: VersionTLS13, Time: rfcClock,
		Rand:         rfcRand(wantCH.Random[:], bytes.Repeat([]byte{0xcc}, 32), rfc3ClientPriv),
		CipherSuites: []uint16{0x1301, 0x1303, 0x1302},
		Groups:       []CurveID{X25519, CurveP256, CurveP384, CurveP521, FFDHE2048, FFDHE3072, FFDHE4096, FFDHE6144, FFDHE8192},
	}
	sa, _ := wire.FindExtension[*wire.SignatureAlgorithmsExt](wantCH.Extensions)
	cfg.SignatureSchemes = sa.Schemes
	run := startScripted(t, true, cfg)
	p := newPeer13(t, run.peer.conn)
	ch, got := p.readClientHello()
	compareClientHello(t, ch, got, wantCH, want,
		[]wire.ExtensionType{wire.ExtServerName, wire.ExtSupportedGroups, wire.ExtSignatureAlgorithms, wire.ExtSupportedVersions,
			wire.ExtKeyShare, wire.ExtPSKKeyExchangeModes, wire.ExtRecordSizeLimit},
		[]wire.ExtensionType{wire.ExtRenegotiationInfo, wire.ExtSessionTicket})
}

// compareClientHello pins, exactly, how a clasp ClientHello differs from
// the trace's; every other byte must be the trace's. The differences, all
// of which Config has no switch for:
//
//  1. legacy_session_id: clasp always uses middlebox compatibility mode
//     (RFC 8446 Appendix D.4: 32 random bytes); NSS sends none.
//  2. Extensions only NSS sends (onlyTrace): renegotiation_info and
//     session_ticket (TLS 1.2 machinery that a TLS 1.3-only clasp hello
//     leaves out), and in §4's resumed hello early_data (clasp has no
//     0-RTT) and padding (clasp pads no hello).
//  3. Order: clasp sends signature_algorithms, supported_versions,
//     key_share; NSS key_share, (early_data,) supported_versions,
//     signature_algorithms. claspOrder pins clasp's whole order.
//
// A byte-exact ClientHello would take a compatibility-mode switch, a
// switch to send the TLS 1.2 extensions in a TLS 1.3-only hello (and to
// pad, and 0-RTT for §4), and NSS's extension order.
func compareClientHello(t *testing.T, ch *wire.ClientHello, got []byte, wantCH *wire.ClientHello, want []byte, claspOrder, onlyTrace []wire.ExtensionType) {
	t.Helper()
	if ch.Random != wantCH.Random {
		t.Errorf("random %x, want %x", ch.Random, wantCH.Random)
	}
	if len(ch.SessionID) != 32 || len(wantCH.SessionID) != 0 {
		t.Errorf("legacy_session_id: clasp %d bytes, trace %d; expected 32 (compatibility mode) and 0", len(ch.SessionID), len(wantCH.SessionID))
	}
	gotPrefix, gotExts := splitHello(t, got, true)
	wantPrefix, wantExts := splitHello(t, want, true)
	// Outside the extensions only the session ID differs.
	stripped := append(bytes.Clone(gotPrefix[:4+2+32]), 0)
	stripped = append(stripped, gotPrefix[4+2+32+1+32:]...)
	if !bytes.Equal(stripped[4:], wantPrefix[4:]) {
		t.Errorf("ClientHello before the extensions, session ID left out:\n got %x\nwant %x", stripped[4:], wantPrefix[4:])
	}
	types := func(ts []wire.ExtensionType) []uint16 {
		var out []uint16
		for _, t := range ts {
			out = append(out, uint16(t))
		}
		return out
	}
	if !slices.Equal(extTypes(gotExts), types(claspOrder)) {
		t.Errorf("clasp's extensions %#04x, want %#04x", extTypes(gotExts), types(claspOrder))
	}
	var common []uint16
	for _, e := range gotExts {
		d, ok := extData(wantExts, e.typ)
		if !ok {
			t.Errorf("clasp sends extension %#04x, which the trace's client does not", e.typ)
			continue
		}
		common = append(common, e.typ)
		// The binder covers the hello, which differs as above.
		if !bytes.Equal(e.data, d) && e.typ != uint16(wire.ExtPreSharedKey) {
			t.Errorf("extension %#04x:\n got %x\nwant %x", e.typ, e.data, d)
		}
	}
	var gotOnlyTrace []uint16
	for _, e := range wantExts {
		if !slices.Contains(common, e.typ) {
			gotOnlyTrace = append(gotOnlyTrace, e.typ)
		}
	}
	if !slices.Equal(gotOnlyTrace, types(onlyTrace)) {
		t.Errorf("extensions only the trace's client sends: %#04x, want %#04x", gotOnlyTrace, types(onlyTrace))
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
	binder := computeBinder(suite, keys.ResumptionPSK(crypto.SHA256, rfc3ResMaster, nst.Nonce), nil, raw[:len(raw)-n])
	if !bytes.Equal(binder, psk.Binders[0]) {
		t.Fatalf("binder %x, want the trace's %x", binder, psk.Binders[0])
	}
}

// rfc8448Session is §3's ticket as a clasp client would have stored it.
func rfc8448Session(t testing.TB, receivedAt time.Time) *ClientSessionState {
	nst := parse13(t, rfc8448Message(t, "sec3_new_session_ticket")).(*wire.NewSessionTicket13)
	return &ClientSessionState{version: suites.VersionTLS13, suite: suites.SuiteByID(suites.TLS_AES_128_GCM_SHA256),
		psk: keys.ResumptionPSK(crypto.SHA256, rfc3ResMaster, nst.Nonce), ticket: nst.Ticket, ageAdd: nst.AgeAdd,
		lifetime: time.Duration(nst.Lifetime) * time.Second, receivedAt: receivedAt}
}

// TestRFC8448ResumedClientHello gives a clasp client §3's ticket, §4's
// client random and X25519 key and a clock at the trace's ticket age. The
// pre_shared_key identity (ticket and obfuscated age) is the trace's byte
// for byte, and so is every other extension both send; the binder cannot
// be, since it covers clasp's own hello (see compareClientHello for why
// that differs), so it is checked against computeBinder over clasp's bytes.
// clasp sends no early_data: 0-RTT is not implemented.
func TestRFC8448ResumedClientHello(t *testing.T) {
	want := rfc8448Message(t, "sec4_client_hello")
	wantCH := parse13(t, want).(*wire.ClientHello)
	wantPSK, _ := wire.FindExtension[*wire.PreSharedKeyExt](wantCH.Extensions)
	cs := rfc8448Session(t, rfcClock())
	age := time.Duration(wantPSK.Identities[0].ObfuscatedTicketAge-cs.ageAdd) * time.Millisecond
	if age >= cs.lifetime {
		t.Fatalf("the trace's ticket age %v exceeds the lifetime %v", age, cs.lifetime)
	}
	cache := NewLRUClientSessionCache(1)
	cache.Put("server", cs)
	sa, _ := wire.FindExtension[*wire.SignatureAlgorithmsExt](wantCH.Extensions)
	cfg := &Config{ServerName: "server", MinVersion: VersionTLS13, ClientSessionCache: cache,
		Time:             func() time.Time { return rfcClock().Add(age) },
		Rand:             rfcRand(wantCH.Random[:], bytes.Repeat([]byte{0xcc}, 32), rfc4ClientPriv),
		CipherSuites:     []uint16{0x1301, 0x1303, 0x1302},
		Groups:           []CurveID{X25519, CurveP256, CurveP384, CurveP521, FFDHE2048, FFDHE3072, FFDHE4096, FFDHE6144, FFDHE8192},
		SignatureSchemes: sa.Schemes,
	}
	run := startScripted(t, true, cfg)
	p := newPeer13(t, run.peer.conn)
	ch, got := p.readClientHello()
	compareClientHello(t, ch, got, wantCH, want,
		[]wire.ExtensionType{wire.ExtServerName, wire.ExtSupportedGroups, wire.ExtSignatureAlgorithms, wire.ExtSupportedVersions,
			wire.ExtKeyShare, wire.ExtPSKKeyExchangeModes, wire.ExtRecordSizeLimit, wire.ExtPreSharedKey},
		[]wire.ExtensionType{wire.ExtRenegotiationInfo, wire.ExtEarlyData, wire.ExtPadding})
	psk, ok := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
	if !ok {
		t.Fatal("clasp did not offer the ticket")
	}
	if !slices.EqualFunc(psk.Identities, wantPSK.Identities, func(a, b wire.PSKIdentity) bool {
		return bytes.Equal(a.Identity, b.Identity) && a.ObfuscatedTicketAge == b.ObfuscatedTicketAge
	}) {
		t.Errorf("PSK identities %+v, want the trace's %+v", psk.Identities, wantPSK.Identities)
	}
	n, err := ch.PSKBindersSuffixLen()
	if err != nil {
		t.Fatal(err)
	}
	if want := computeBinder(cs.suite, cs.psk, nil, got[:len(got)-n]); !bytes.Equal(psk.Binders[0], want) {
		t.Errorf("binder %x, want %x over clasp's truncated hello", psk.Binders[0], want)
	}
	if _, ok := wire.FindExtension[*wire.EarlyDataExt](ch.Extensions); ok {
		t.Error("clasp offered early data, which it does not implement")
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

// TestRFC8448HelloRetryRequestServer feeds RFC 8448 §5's two ClientHellos
// to a clasp server with the trace's server random and P-256 key.
//
// What is the trace's, byte for byte: the HelloRetryRequest record once
// NSS's cookie is taken out (clasp's server keeps no state in a cookie:
// NSS's is its own encrypted format, which no other server can produce),
// and the ServerHello record. What cannot be: everything the transcript
// covers after the HelloRetryRequest, since the transcript holds it. And
// the server's EncryptedExtensions differs in one more place, its
// supported_groups: NSS lists P-256, P-384, X25519 and still asks for
// P-256 although the client sent an X25519 share, because NSS picks its
// most preferred group among those the client supports and asks for a
// share when it has none. clasp's server takes the first of its groups for
// which the client sent a share (saving the round trip), so to ask for
// P-256 it must not have X25519 at all: Groups is P-256 alone, and so is
// its supported_groups. Matching NSS would take a server policy knob
// ("prefer my group order over the client's key shares"), which Config does
// not have.
func TestRFC8448HelloRetryRequestServer(t *testing.T) {
	ch1 := rfc8448Message(t, "sec5_client_hello1")
	ch2 := rfc8448Message(t, "sec5_client_hello2")
	wantSH := rfc8448Message(t, "sec5_server_hello")
	serverRandom := parse13(t, wantSH).(*wire.ServerHello).Random
	kl := &keyLog{}
	server := rfc8448Server(t, rfcRand(serverRandom[:], rfc5ServerPriv), kl)
	server.Groups = []CurveID{CurveP256}
	run, p := startServer13(t, server)
	p.tr.Write(ch1)
	p.writeRecord(wire.ContentHandshake, ch1)
	p.flush()

	// The trace's HelloRetryRequest (key_share, cookie, supported_versions)
	// without its cookie.
	hrrRec := readWireRecord(t, p.conn)
	prefix, exts := splitHello(t, rfc8448Record(t, "s5_hello_retry_request_record")[5:], false)
	exts = slices.DeleteFunc(exts, func(e rawExt) bool { return e.typ == uint16(wire.ExtCookie) })
	wantHRR := joinHello(prefix, exts)
	if want := append([]byte{22, 3, 3, byte(len(wantHRR) >> 8), byte(len(wantHRR))}, wantHRR...); !bytes.Equal(hrrRec, want) {
		t.Fatalf("HelloRetryRequest record:\n got %x\nwant %x (the trace's without NSS's cookie)", hrrRec, want)
	}
	hrrRaw := hrrRec[5:]
	p.setSuite(parse13(t, hrrRaw).(*wire.ServerHello).CipherSuite)
	p.tr.ReplaceWithMessageHash()
	p.tr.Write(hrrRaw)

	// The trace's second hello echoes NSS's cookie; clasp's server, which
	// sent none, does not look at it.
	p.tr.Write(ch2)
	p.writeRecord(wire.ContentHandshake, ch2)
	p.flush()
	shRec := readWireRecord(t, p.conn)
	if want := rfc8448Record(t, "s5_server_hello_record"); !bytes.Equal(shRec, want) {
		t.Fatalf("ServerHello record:\n got %x\nwant %x", shRec, want)
	}
	p.tr.Write(shRec[5:])

	ch2Msg := parse13(t, ch2).(*wire.ClientHello)
	ks, _ := wire.FindExtension[*wire.KeyShareExt](ch2Msg.Extensions)
	serverKey, err := ecdh.P256().NewPrivateKey(rfc5ServerPriv)
	if err != nil {
		t.Fatal(err)
	}
	clientPub, err := ecdh.P256().NewPublicKey(ks.Entries[0].KeyExchange)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := serverKey.ECDH(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	p.deriveHandshake(nil, shared)
	if !bytes.Equal(p.sched.HandshakeSecret(), rfc5HSSecret) {
		t.Fatal("handshake secret from the trace's P-256 keys differs from the trace's")
	}
	p.setKeys(p.sHS, p.cHS)

	// EncryptedExtensions: the trace's, but for supported_groups.
	_, eeRaw := p.readMessage()
	ee := parse13(t, rfc8448Message(t, "sec5_encrypted_extensions")).(*wire.EncryptedExtensions)
	for i, e := range ee.Extensions {
		if _, ok := e.(*wire.SupportedGroupsExt); ok {
			ee.Extensions[i] = &wire.SupportedGroupsExt{Groups: []suites.Group{suites.Secp256r1}}
		}
	}
	if want := mustMarshal(t, ee); !bytes.Equal(eeRaw, want) {
		t.Errorf("EncryptedExtensions:\n got %x\nwant %x (the trace's with supported_groups P-256 alone)", eeRaw, want)
	}
	for {
		if msg, _ := p.readMessage(); msg.Type() == wire.TypeFinished {
			break
		}
	}
	p.deriveApplication()
	p.send(p.finished(p.cHS))
	p.flush()
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	checkKeyLog(t, kl, ch1[6:38], map[string][]byte{
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET": p.cHS, "SERVER_HANDSHAKE_TRAFFIC_SECRET": p.sHS,
		"CLIENT_TRAFFIC_SECRET_0": p.cAP, "SERVER_TRAFFIC_SECRET_0": p.sAP,
	})
	if !run.conn.ConnectionState().DidHelloRetryRequest {
		t.Error("the server does not report its HelloRetryRequest")
	}
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

	if _, err := p.conn.Write(rfc8448Record(t, "s6_client_close_notify_record")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 10)
	if n, err := run.conn.Read(buf); err != io.EOF {
		t.Fatalf("server read %d bytes, %v after the trace's close_notify, want EOF", n, err)
	}
	_ = run.conn.Close()
	if rec, want := readWireRecord(t, p.conn), rfc8448Record(t, "s6_server_close_notify_record"); !bytes.Equal(rec, want) {
		t.Errorf("server close_notify record:\n got %x\nwant %x", rec, want)
	}
}

// TestRFC8448HelloRetryRequestClient answers a clasp client's hello with
// RFC 8448 §5's HelloRetryRequest (NSS's, with its cookie), its session ID
// replaced by the client's (the trace's client sends none, clasp's sends 32
// bytes in compatibility mode). The second hello must carry the cookie
// exactly as the trace's second hello does, one P-256 share, and otherwise
// the first hello's extensions unchanged.
func TestRFC8448HelloRetryRequestClient(t *testing.T) {
	hrr := parse13(t, rfc8448Message(t, "sec5_hello_retry_request")).(*wire.ServerHello)
	ch2Trace := rfc8448Message(t, "sec5_client_hello2")
	cfg := testClientConfig13(t)
	cfg.Groups = []CurveID{X25519, CurveP256, CurveP384}
	run, p, ch1 := startClient13(t, cfg)
	_, ch1Raw := splitHello(t, mustMarshal(t, ch1), true)
	hrr.SessionID = ch1.SessionID
	p.send(hrr)
	p.flush()
	ch2, ch2Raw := p.readClientHello()
	_, gotExts := splitHello(t, ch2Raw, true)
	_, traceExts := splitHello(t, ch2Trace, true)
	gotCookie, _ := extData(gotExts, uint16(wire.ExtCookie))
	traceCookie, _ := extData(traceExts, uint16(wire.ExtCookie))
	if gotCookie == nil || !bytes.Equal(gotCookie, traceCookie) {
		t.Fatalf("cookie extension %x, want the trace's %x", gotCookie, traceCookie)
	}
	if ks, _ := wire.FindExtension[*wire.KeyShareExt](ch2.Extensions); ks == nil || len(ks.Entries) != 1 || ks.Entries[0].Group != suites.Secp256r1 {
		t.Fatalf("second hello key_share %+v, want one P-256 share", ks)
	}
	for _, e := range ch1Raw {
		if e.typ == uint16(wire.ExtKeyShare) {
			continue
		}
		if d, ok := extData(gotExts, e.typ); !ok || !bytes.Equal(d, e.data) {
			t.Errorf("extension %#04x changed in the second hello", e.typ)
		}
	}
	run.peer.conn.Close()
	run.wait()
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
	if _, err := p.conn.Write(rfc8448Record(t, "s4_client_application_data_record")); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 50)
	if _, err := io.ReadFull(run.conn, data); err != nil || !bytes.Equal(data, rfc8448AppData()) {
		t.Fatalf("server read %x (%v), want the trace's client data", data, err)
	}
	if _, err := run.conn.Write(rfc8448AppData()); err != nil {
		t.Fatal(err)
	}
	if rec, want := readWireRecord(t, p.conn), rfc8448Record(t, "s4_server_application_data_record"); !bytes.Equal(rec, want) {
		t.Errorf("server application data record:\n got %x\nwant %x", rec, want)
	}
	if _, err := p.conn.Write(rfc8448Record(t, "s4_client_close_notify_record")); err != nil {
		t.Fatal(err)
	}
	if n, err := run.conn.Read(data); err != io.EOF {
		t.Fatalf("server read %d bytes, %v after the trace's close_notify, want EOF", n, err)
	}
	_ = run.conn.Close()
	if rec, want := readWireRecord(t, p.conn), rfc8448Record(t, "s4_server_close_notify_record"); !bytes.Equal(rec, want) {
		t.Errorf("server close_notify record:\n got %x\nwant %x", rec, want)
	}
}

package clasp

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// RFC 8448 ("Example Handshake Traces for TLS 1.3") through clasp's own
// drivers, with the trace's randomness, keys and messages injected.
//
// What can be byte-exact, and what cannot (each test says why in place):
//
//   - clasp's ClientHello cannot equal the trace's: NSS's hello carries
//     renegotiation_info, session_ticket and record_size_limit, which a
//     TLS 1.3-only clasp client never sends (record_size_limit is not
//     implemented at all), in an order clasp does not use, and an empty
//     legacy_session_id where clasp always uses middlebox compatibility
//     mode (32 random bytes; Config has no switch). Every extension the two
//     have in common is byte-exact, as are random and key share.
//   - clasp's ServerHello carries the trace's random, key share, suite and
//     session ID byte for byte, but puts supported_versions before key_share
//     (the trace has the opposite order); reordering is all that separates
//     it from the trace's bytes. §5's HelloRetryRequest also lacks NSS's
//     cookie.
//   - clasp's EncryptedExtensions is empty where NSS's lists
//     supported_groups, record_size_limit and an empty server_name. From
//     there on the transcript differs, so no secret that hashes it, and no
//     encrypted byte, can match the trace. The tests then check the driver
//     against an independent key schedule over the real transcript, the
//     transcript-free secrets (handshake secret) against the trace, and
//     each message that does not depend on the transcript against the
//     trace's bytes (the server Certificate), and the CertificateVerify
//     construction byte for byte over the trace's own transcript.
//   - RSA-PSS is randomised, but clasp's signer reads the salt from
//     Config.Rand (internal/signature passes it to rsa.SignPSS, which reads
//     the salt from it): with the trace's salt, recovered from the trace's
//     signature with the public key, the CertificateVerify is exact.
//   - 0-RTT is not implemented, so §4 stops at the resumed ClientHello's
//     binder, plus what a server that cannot open NSS's ticket does with it.
//   - §6 (client authentication) is not transcribed in this repository and
//     is not tested here; see the report of the change that added this file.

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

// reorderExts returns exts in the order of the types in order.
func reorderExts(t testing.TB, exts []rawExt, order []uint16) []rawExt {
	t.Helper()
	var out []rawExt
	for _, typ := range order {
		d, ok := extData(exts, typ)
		if !ok {
			t.Fatalf("no extension %#04x", typ)
		}
		out = append(out, rawExt{typ, d})
	}
	return out
}

// checkServerHelloAgainstTrace checks that clasp's ServerHello differs
// from the trace's only in the order of its extensions: reordered as in the
// trace, it is the trace's bytes.
func checkServerHelloAgainstTrace(t *testing.T, got, want []byte, claspOrder []uint16) {
	t.Helper()
	gotPrefix, gotExts := splitHello(t, got, false)
	_, wantExts := splitHello(t, want, false)
	if !slices.Equal(extTypes(gotExts), claspOrder) {
		t.Errorf("clasp's ServerHello extensions %#04x, want %#04x", extTypes(gotExts), claspOrder)
	}
	if rebuilt := joinHello(gotPrefix, reorderExts(t, gotExts, extTypes(wantExts))); !bytes.Equal(rebuilt, want) {
		t.Errorf("clasp's ServerHello, extensions in the trace's order:\n got %x\nwant %x", rebuilt, want)
	}
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

// TestRFC8448Simple1RTTServer feeds RFC 8448 §3's ClientHello to a clasp
// server that has the trace's certificate, key, server random, X25519 key
// and RSA-PSS salt, and completes the handshake as the trace's client.
func TestRFC8448Simple1RTTServer(t *testing.T) {
	chRaw := rfc8448Message(t, "sec3_client_hello")
	wantSH := rfc8448Message(t, "sec3_server_hello")
	wantCert := rfc8448Message(t, "sec3_certificate")
	wantCV := rfc8448Message(t, "sec3_certificate_verify")
	nst := parse13(t, rfc8448Message(t, "sec3_new_session_ticket")).(*wire.NewSessionTicket13)
	key := rfc8448RSAKey(t)
	salt := pssSalt(t, &key.PublicKey, crypto.SHA256, parse13(t, wantCV).(*wire.CertificateVerify).Signature.Signature)
	serverRandom := parse13(t, wantSH).(*wire.ServerHello).Random

	// Config.Rand, in the order the server reads it: ServerHello.random,
	// the X25519 scalar, the PSS salt, then the ticket's age_add.
	kl := &keyLog{}
	var ageAdd [4]byte
	binary.BigEndian.PutUint32(ageAdd[:], nst.AgeAdd)
	server := rfc8448Server(t, rfcRand(serverRandom[:], rfc3ServerPriv, salt, ageAdd[:]), kl)
	run, p := startServer13(t, server)
	p.tr.Write(chRaw)
	p.writeRecord(wire.ContentHandshake, chRaw)
	p.flush()

	msg, shRaw := p.readMessage()
	sh := msg.(*wire.ServerHello)
	if sh.Random != serverRandom {
		t.Fatalf("ServerHello.random %x, want the trace's %x: Config.Rand is not read first", sh.Random, serverRandom)
	}
	checkServerHelloAgainstTrace(t, shRaw, wantSH, []uint16{uint16(wire.ExtSupportedVersions), uint16(wire.ExtKeyShare)})

	p.setSuite(sh.CipherSuite)
	p.deriveHandshake(nil, rfc3Shared)
	// The handshake secret does not hash the transcript: it is the trace's.
	if !bytes.Equal(p.sched.HandshakeSecret(), rfc3HSSecret) {
		t.Fatal("handshake secret from the trace's shared secret differs from the trace's")
	}
	p.setKeys(p.sHS, p.cHS)

	// EncryptedExtensions: NSS sends supported_groups, record_size_limit
	// and server_name; clasp sends none of them.
	msg, _ = p.readMessage()
	if ee, ok := msg.(*wire.EncryptedExtensions); !ok || len(ee.Extensions) != 0 {
		t.Fatalf("EncryptedExtensions %+v, want an empty one", msg)
	}
	_, certRaw := p.readMessage()
	if !bytes.Equal(certRaw, wantCert) {
		t.Errorf("Certificate:\n got %x\nwant %x", certRaw, wantCert)
	}
	signed := signedContent13(serverSignatureContext, p.tr.Sum())
	msg, _ = p.readMessage()
	cv := msg.(*wire.CertificateVerify)
	if cv.Signature.Scheme != suites.PSSWithSHA256 {
		t.Errorf("CertificateVerify scheme %s, want rsa_pss_rsae_sha256", cv.Signature.Scheme)
	}
	if err := signature.Verify(&key.PublicKey, cv.Signature.Scheme, signed, cv.Signature.Signature); err != nil {
		t.Errorf("clasp's CertificateVerify does not verify: %v", err)
	}
	if got := pssSalt(t, &key.PublicKey, crypto.SHA256, cv.Signature.Signature); !bytes.Equal(got, salt) {
		t.Errorf("clasp's PSS salt %x, want the trace's %x from Config.Rand", got, salt)
	}
	want := p.finished(p.sHS)
	msg, _ = p.readMessage()
	if fin, ok := msg.(*wire.Finished); !ok || !bytes.Equal(fin.VerifyData, want.VerifyData) {
		t.Fatal("server Finished does not match the key schedule over the transcript")
	}
	p.deriveApplication()
	exporter := p.sched.ExporterMasterSecret(p.tr.Sum())
	p.send(p.finished(p.cHS))
	p.flush()
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	checkKeyLog(t, kl, chRaw[6:38], map[string][]byte{
		"CLIENT_HANDSHAKE_TRAFFIC_SECRET": p.cHS, "SERVER_HANDSHAKE_TRAFFIC_SECRET": p.sHS,
		"CLIENT_TRAFFIC_SECRET_0": p.cAP, "SERVER_TRAFFIC_SECRET_0": p.sAP, "EXPORTER_SECRET": exporter,
	})
	if rms := p.sched.ResumptionMasterSecret(p.tr.Sum()); !bytes.Equal(run.conn.resumptionSecret, rms) {
		t.Errorf("resumption master secret %x, want %x", run.conn.resumptionSecret, rms)
	}

	// NewSessionTicket: age_add comes from Config.Rand and is the trace's;
	// the lifetime (clasp: one ticket key period, NSS: 30 s), the nonce
	// (clasp: one byte, NSS: two), the ticket (each server's own sealed
	// format) and NSS's early_data extension cannot match.
	p.setKeys(p.sAP, p.cAP)
	go func() { _, _ = run.conn.Write([]byte("x")) }()
	msg, _ = p.readMessage()
	got, ok := msg.(*wire.NewSessionTicket13)
	if !ok {
		t.Fatalf("got %v, want NewSessionTicket", msg.Type())
	}
	if got.AgeAdd != nst.AgeAdd {
		t.Errorf("ticket_age_add %#x, want the trace's %#x", got.AgeAdd, nst.AgeAdd)
	}
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
	compareClientHello(t, ch, got, wantCH, want)
}

// compareClientHello pins how a clasp ClientHello differs from the
// trace's: the compatibility-mode session ID, and NSS's extra extensions
// and order. Every other byte must be the trace's.
func compareClientHello(t *testing.T, ch *wire.ClientHello, got []byte, wantCH *wire.ClientHello, want []byte) {
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
	var common []uint16
	for _, e := range gotExts {
		d, ok := extData(wantExts, e.typ)
		if !ok {
			if e.typ != uint16(wire.ExtPreSharedKey) {
				t.Errorf("clasp sends extension %#04x, which the trace's client does not", e.typ)
			}
			continue
		}
		common = append(common, e.typ)
		if !bytes.Equal(e.data, d) && e.typ != uint16(wire.ExtPreSharedKey) {
			t.Errorf("extension %#04x:\n got %x\nwant %x", e.typ, e.data, d)
		}
	}
	var onlyTrace []uint16
	for _, e := range wantExts {
		if !slices.Contains(common, e.typ) {
			onlyTrace = append(onlyTrace, e.typ)
		}
	}
	// renegotiation_info, session_ticket and record_size_limit (and, in
	// §4's resumed hello, early_data and padding): clasp does not send them
	// in a TLS 1.3-only hello, or does not implement them.
	allowed := []uint16{0xff01, uint16(wire.ExtSessionTicket), uint16(wire.ExtRecordSizeLimit), uint16(wire.ExtEarlyData), uint16(wire.ExtPadding)}
	for _, typ := range onlyTrace {
		if !slices.Contains(allowed, typ) {
			t.Errorf("the trace's client sends %#04x, which clasp does not", typ)
		}
	}
	t.Logf("extension order: clasp %#04x, trace %#04x; only in the trace: %#04x", extTypes(gotExts), extTypes(wantExts), onlyTrace)
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
	compareClientHello(t, ch, got, wantCH, want)
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
// to a clasp server that prefers P-256 (and supports nothing else, since
// clasp's server picks the first of its groups the client sent a share for
// and would otherwise take the client's X25519), with the trace's server
// random and P-256 key. The HelloRetryRequest carries no cookie (NSS's
// does); the ServerHello is the trace's up to extension order.
func TestRFC8448HelloRetryRequestServer(t *testing.T) {
	ch1 := rfc8448Message(t, "sec5_client_hello1")
	ch2 := rfc8448Message(t, "sec5_client_hello2")
	wantHRR := rfc8448Message(t, "sec5_hello_retry_request")
	wantSH := rfc8448Message(t, "sec5_server_hello")
	serverRandom := parse13(t, wantSH).(*wire.ServerHello).Random
	kl := &keyLog{}
	server := rfc8448Server(t, rfcRand(serverRandom[:], rfc5ServerPriv), kl)
	server.Groups = []CurveID{CurveP256}
	run, p := startServer13(t, server)
	p.tr.Write(ch1)
	p.writeRecord(wire.ContentHandshake, ch1)
	p.flush()

	// The transcript's first ClientHello becomes message_hash once the
	// suite is known; the scripted client reads the HRR by hand to do that
	// before hashing it.
	var hrrRaw []byte
	for hrrRaw == nil {
		typ, body, err := p.readRecord()
		if err != nil {
			t.Fatal(err)
		}
		if typ == wire.ContentHandshake {
			hrrRaw = body
		}
	}
	hrr := parse13(t, hrrRaw).(*wire.ServerHello)
	if !hrr.IsHelloRetryRequest() {
		t.Fatal("no HelloRetryRequest")
	}
	gotPrefix, gotExts := splitHello(t, hrrRaw, false)
	wantPrefix, wantExts := splitHello(t, wantHRR, false)
	if !bytes.Equal(gotPrefix[4:], wantPrefix[4:]) {
		t.Errorf("HelloRetryRequest before the extensions:\n got %x\nwant %x", gotPrefix[4:], wantPrefix[4:])
	}
	for _, typ := range []wire.ExtensionType{wire.ExtSupportedVersions, wire.ExtKeyShare} {
		g, _ := extData(gotExts, uint16(typ))
		w, _ := extData(wantExts, uint16(typ))
		if !bytes.Equal(g, w) {
			t.Errorf("HelloRetryRequest %s: got %x, want %x", typ, g, w)
		}
	}
	if _, ok := extData(gotExts, uint16(wire.ExtCookie)); ok {
		t.Error("clasp's HelloRetryRequest has a cookie")
	}
	p.setSuite(hrr.CipherSuite)
	p.tr.ReplaceWithMessageHash()
	p.tr.Write(hrrRaw)

	// The trace's second hello echoes NSS's cookie; clasp's server, which
	// sent none, does not look at it.
	p.tr.Write(ch2)
	p.writeRecord(wire.ContentHandshake, ch2)
	p.flush()
	msg, shRaw := p.readMessage()
	if msg.(*wire.ServerHello).Random != serverRandom {
		t.Fatal("ServerHello.random is not the trace's")
	}
	checkServerHelloAgainstTrace(t, shRaw, wantSH, []uint16{uint16(wire.ExtSupportedVersions), uint16(wire.ExtKeyShare)})

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
	for {
		if msg, _ = p.readMessage(); msg.Type() == wire.TypeFinished {
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

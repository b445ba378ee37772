package kex

import (
	"bytes"
	"crypto/mlkem"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"io"
	"math/big"
	mathrand "math/rand/v2"
	"net"
	"testing"
	"testing/cryptotest"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// groups13 lists every group NewClientKeyShare supports, with the sizes of
// the client's and server's key_exchange values and of the shared secret.
var groups13 = []struct {
	name              string
	group             suites.Group
	client, server, z int
}{
	{"x25519", suites.X25519, 32, 32, 32},
	{"secp256r1", suites.Secp256r1, 65, 65, 32},
	{"secp384r1", suites.Secp384r1, 97, 97, 48},
	{"secp521r1", suites.Secp521r1, 133, 133, 66},
	{"ffdhe2048", suites.FFDHE2048, 256, 256, 256},
	{"ffdhe3072", suites.FFDHE3072, 384, 384, 384},
	{"ffdhe4096", suites.FFDHE4096, 512, 512, 512},
	{"ffdhe6144", suites.FFDHE6144, 768, 768, 768},
	{"ffdhe8192", suites.FFDHE8192, 1024, 1024, 1024},
	{"X25519MLKEM768", suites.X25519MLKEM768, 1216, 1120, 64},
	// draft-ietf-tls-ecdhe-mlkem: P-256 point (65) + ML-KEM-768 key (1184)
	// or ciphertext (1088); the secrets 32 + 32.
	{"SecP256r1MLKEM768", suites.SecP256r1MLKEM768, 1249, 1153, 64},
	// P-384 point (97) + ML-KEM-1024 key (1568) or ciphertext (1568);
	// the secrets 48 + 32.
	{"SecP384r1MLKEM1024", suites.SecP384r1MLKEM1024, 1665, 1665, 80},
}

// seededRand is a deterministic reader for tests: the same seed gives the
// same stream.
func seededRand(seed byte) io.Reader {
	var s [32]byte
	s[0] = seed
	return mathrand.NewChaCha8(s)
}

func TestKeyShareAgreementEveryGroup(t *testing.T) {
	for _, g := range groups13 {
		t.Run(g.name, func(t *testing.T) {
			c, err := NewClientKeyShare(g.group, rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if c.Group() != g.group || len(c.Public()) != g.client {
				t.Fatalf("client share: group %v, %d bytes; want %v, %d", c.Group(), len(c.Public()), g.group, g.client)
			}
			ss, zs, err := ServerKeyShare(g.group, c.Public(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss) != g.server || len(zs) != g.z {
				t.Fatalf("server share %d bytes, secret %d; want %d, %d", len(ss), len(zs), g.server, g.z)
			}
			zc, err := c.SharedSecret(ss)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(zc, zs) {
				t.Fatalf("secrets differ:\nclient %x\nserver %x", zc, zs)
			}
		})
	}
}

func TestKeyShareUnknownGroups(t *testing.T) {
	for _, g := range []suites.Group{0, 0x001e /* x448 */, 0x11E9 /* SecP256r1MLKEM512 */, 0x0201 /* MLKEM768 alone */} {
		if _, err := NewClientKeyShare(g, rand.Reader); err == nil {
			t.Errorf("NewClientKeyShare(%v) succeeded", g)
		}
		if _, _, err := ServerKeyShare(g, make([]byte, 32), rand.Reader); err == nil {
			t.Errorf("ServerKeyShare(%v) succeeded", g)
		}
	}
}

func TestKeyShareRejectsBadShares(t *testing.T) {
	for _, g := range groups13 {
		c, err := NewClientKeyShare(g.group, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		good := c.Public()
		ss, _, err := ServerKeyShare(g.group, good, rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		bad := map[string][2][]byte{ // client share for ServerKeyShare, server share for SharedSecret
			"empty":     {nil, nil},
			"one short": {good[:len(good)-1], ss[:len(ss)-1]},
			"one long":  {append(bytes.Clone(good), 0), append(bytes.Clone(ss), 0)},
			"zeros":     {make([]byte, g.client), make([]byte, g.server)},
		}
		switch g.group {
		case suites.Secp256r1, suites.Secp384r1, suites.Secp521r1:
			off := bytes.Clone(good)
			off[len(off)-1] ^= 1
			compressed := append([]byte{2}, good[1:1+(len(good)-1)/2]...)
			bad["off curve"] = [2][]byte{off, off}
			bad["compressed"] = [2][]byte{compressed, compressed}
		case suites.FFDHE2048, suites.FFDHE3072, suites.FFDHE4096, suites.FFDHE6144, suites.FFDHE8192:
			dh, _ := FFDHEGroup(g.group)
			one := leftPad([]byte{1}, g.client)
			pMinus1 := leftPad(new(big.Int).Sub(dh.P, big.NewInt(1)).Bytes(), g.client)
			unpadded := []byte{2} // the TLS 1.2 minimal encoding of 2
			bad["one"] = [2][]byte{one, one}
			bad["p-1"] = [2][]byte{pMinus1, pMinus1}
			bad["p"] = [2][]byte{dh.P.Bytes(), dh.P.Bytes()}
			bad["unpadded"] = [2][]byte{unpadded, unpadded}
		case suites.X25519MLKEM768:
			// ML-KEM-768 encapsulation key with a coefficient of 0xfff >= q:
			// FIPS 203 §7.2's modulus check must reject it.
			badKey := bytes.Clone(good)
			badKey[0], badKey[1] = 0xff, 0x0f
			lowOrderC := bytes.Clone(good)
			clear(lowOrderC[mlkem.EncapsulationKeySize768:])
			lowOrderS := bytes.Clone(ss)
			clear(lowOrderS[mlkem.CiphertextSize768:])
			bad["unreduced encapsulation key"] = [2][]byte{badKey, nil}
			bad["low-order X25519 half"] = [2][]byte{lowOrderC, lowOrderS}
			bad["X25519 share alone"] = [2][]byte{good[mlkem.EncapsulationKeySize768:], ss[mlkem.CiphertextSize768:]}
		case suites.SecP256r1MLKEM768, suites.SecP384r1MLKEM1024:
			// These put the ECDH point first: an encapsulation key with an
			// unreduced coefficient right after it, and a point that is not
			// on the curve (its first byte says "uncompressed", the rest is
			// zero), must both be refused.
			ecLen := map[suites.Group]int{suites.SecP256r1MLKEM768: 65, suites.SecP384r1MLKEM1024: 97}[g.group]
			badKey := bytes.Clone(good)
			badKey[ecLen], badKey[ecLen+1] = 0xff, 0x0f
			offCurveC, offCurveS := bytes.Clone(good), bytes.Clone(ss)
			clear(offCurveC[1:ecLen])
			clear(offCurveS[1:ecLen])
			bad["unreduced encapsulation key"] = [2][]byte{badKey, nil}
			bad["point off the curve"] = [2][]byte{offCurveC, offCurveS}
			bad["ECDH share alone"] = [2][]byte{good[:ecLen], ss[:ecLen]}
		case suites.X25519:
			order8 := mustUnhex("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800")
			bad["order 8"] = [2][]byte{order8, order8}
		}
		for name, shares := range bad {
			t.Run(g.name+" "+name, func(t *testing.T) {
				_, _, err := ServerKeyShare(g.group, shares[0], rand.Reader)
				wantAlert(t, err, wire.AlertIllegalParameter)
				if shares[1] != nil || name == "empty" {
					_, err = c.SharedSecret(shares[1])
					wantAlert(t, err, wire.AlertIllegalParameter)
				}
			})
		}
	}
}

// TestKeyShareDeterministic checks that the same rand stream gives the same
// share, which is what makes Config.Rand reproduce a handshake despite Go
// 1.26's crypto packages ignoring a caller's reader.
func TestKeyShareDeterministic(t *testing.T) {
	for _, g := range groups13 {
		t.Run(g.name, func(t *testing.T) {
			a, err := NewClientKeyShare(g.group, seededRand(7))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := NewClientKeyShare(g.group, seededRand(7))
			c, _ := NewClientKeyShare(g.group, seededRand(8))
			if !bytes.Equal(a.Public(), b.Public()) {
				t.Fatal("same rand stream, different client shares")
			}
			if bytes.Equal(a.Public(), c.Public()) {
				t.Fatal("different rand streams, same client share")
			}
			if suites.GroupByID(g.group).Kind == suites.GroupHybridPQ {
				return // the server's encapsulation is random; see below
			}
			s1, z1, err := ServerKeyShare(g.group, a.Public(), seededRand(9))
			if err != nil {
				t.Fatal(err)
			}
			s2, z2, _ := ServerKeyShare(g.group, a.Public(), seededRand(9))
			if !bytes.Equal(s1, s2) || !bytes.Equal(z1, z2) {
				t.Fatal("same rand stream, different server shares")
			}
		})
	}
	// GenerateECDHE, used by TLS 1.2, draws from the reader the same way.
	k1, _ := GenerateECDHE(suites.Secp256r1, seededRand(1))
	k2, _ := GenerateECDHE(suites.Secp256r1, seededRand(1))
	if !bytes.Equal(k1.PublicKey(), k2.PublicKey()) {
		t.Fatal("GenerateECDHE ignores its reader")
	}
}

// TestHybridServerShareUnderGlobalRandom documents what is and is not
// reproducible for X25519MLKEM768: the server's X25519 half comes from the
// caller's reader, but crypto/mlkem's Encapsulate draws its randomness from
// the system source, which only testing/cryptotest.SetGlobalRandom fixes.
func TestHybridServerShareUnderGlobalRandom(t *testing.T) {
	c, err := NewClientKeyShare(suites.X25519MLKEM768, seededRand(3))
	if err != nil {
		t.Fatal(err)
	}
	run := func() (share, secret []byte) {
		s, z, err := ServerKeyShare(suites.X25519MLKEM768, c.Public(), seededRand(4))
		if err != nil {
			t.Fatal(err)
		}
		return s, z
	}
	s1, _ := run()
	s2, _ := run()
	if !bytes.Equal(s1[mlkem.CiphertextSize768:], s2[mlkem.CiphertextSize768:]) {
		t.Fatal("server X25519 half does not follow the reader")
	}
	if bytes.Equal(s1[:mlkem.CiphertextSize768], s2[:mlkem.CiphertextSize768]) {
		t.Fatal("ML-KEM ciphertext repeated without SetGlobalRandom")
	}

	cryptotest.SetGlobalRandom(t, 42)
	s3, z3 := run()
	cryptotest.SetGlobalRandom(t, 42)
	s4, z4 := run()
	if !bytes.Equal(s3, s4) || !bytes.Equal(z3, z4) {
		t.Fatal("server share differs under the same SetGlobalRandom seed")
	}
}

func TestPrivateKeyFromRandGivesUpOnBrokenReader(t *testing.T) {
	// A scalar of all one bits is above the order of every NIST curve,
	// even after masking, so a reader that only gives 0xff never yields a
	// key: GenerateECDHE must fail rather than loop.
	for _, g := range []suites.Group{suites.Secp256r1, suites.Secp384r1, suites.Secp521r1} {
		if _, err := GenerateECDHE(g, constReader(0xff)); err == nil {
			t.Errorf("%v: key from an all-ones reader", g)
		}
		if _, err := NewClientKeyShare(g, bytes.NewReader(nil)); err == nil {
			t.Errorf("%v: key from an empty reader", g)
		}
	}
	if _, err := NewClientKeyShare(suites.X25519MLKEM768, bytes.NewReader(make([]byte, 70))); err == nil {
		t.Error("hybrid key from 70 bytes (64 seed + 32 X25519 needed)")
	}
}

type constReader byte

func (c constReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(c)
	}
	return len(p), nil
}

// TestRFC8448KeyShareX25519 replays the key exchange of RFC 8448 §3
// ("Simple 1-RTT Handshake"): each side's X25519 private key, fed through
// rand, must give the key_share values and the (EC)DHE shared secret the
// trace prints.
func TestRFC8448KeyShareX25519(t *testing.T) {
	clientPriv := mustUnhex("49af42ba7f7994852d713ef2784bcbcaa7911de26adc5642cb634540e7ea5005")
	serverPriv := mustUnhex("b1580eeadf6dd589b8ef4f2d5652578cc810e9980191ec8d058308cea216a21e")
	clientPub := mustUnhex("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c")
	serverPub := mustUnhex("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f")
	ikm := mustUnhex("8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d")

	c, err := NewClientKeyShare(suites.X25519, bytes.NewReader(clientPriv))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(c.Public(), clientPub) {
		t.Fatalf("client key_share %x, RFC %x", c.Public(), clientPub)
	}
	ss, zs, err := ServerKeyShare(suites.X25519, c.Public(), bytes.NewReader(serverPriv))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(ss, serverPub) || !bytes.Equal(zs, ikm) {
		t.Fatalf("server key_share %x, secret %x; RFC %x, %x", ss, zs, serverPub, ikm)
	}
	zc, err := c.SharedSecret(serverPub)
	if err != nil || !bytes.Equal(zc, ikm) {
		t.Fatalf("client secret %x (%v), RFC %x", zc, err, ikm)
	}

	// The same keys through NewECDHEFromPrivate, for TLS 1.2-style callers.
	k, err := NewECDHEFromPrivate(suites.X25519, serverPriv)
	if err != nil || !bytes.Equal(k.PublicKey(), serverPub) {
		t.Fatalf("NewECDHEFromPrivate: %x, %v", k.PublicKey(), err)
	}
	// RFC 8448 §4's client key, for a second vector.
	c4, _ := NewClientKeyShare(suites.X25519, bytes.NewReader(mustUnhex("bff91188283846dd6a2134ef7180ca2b0b14fb10dce707b5098c0dddc813b2df")))
	if want := mustUnhex("e4ffb68ac05f8d96c99da26698346c6be16482badddafe051a66b4f18d668f0b"); !bytes.Equal(c4.Public(), want) {
		t.Fatalf("RFC 8448 §4 client key_share %x, want %x", c4.Public(), want)
	}
}

func TestNewECDHEFromPrivateRejects(t *testing.T) {
	if _, err := NewECDHEFromPrivate(suites.X25519, make([]byte, 31)); err == nil {
		t.Error("31-byte X25519 key accepted")
	}
	if _, err := NewECDHEFromPrivate(suites.Secp256r1, make([]byte, 32)); err == nil {
		t.Error("zero P-256 scalar accepted")
	}
	if _, err := NewECDHEFromPrivate(suites.FFDHE2048, make([]byte, 32)); err == nil {
		t.Error("FFDHE group accepted")
	}
}

// TestHybridInteropCryptoTLSClientHello takes the ClientHello of a
// crypto/tls client that offers only X25519MLKEM768, finds its key share,
// and answers it with ServerKeyShare: the share must have the layout clasp
// expects, and the answer the length crypto/tls expects. (A full handshake
// is checked with the TLS 1.3 drivers.)
func TestHybridInteropCryptoTLSClientHello(t *testing.T) {
	cRaw, sRaw := net.Pipe()
	defer sRaw.Close()
	go func() {
		client := tls.Client(cRaw, &tls.Config{
			ServerName:       "clasp.test",
			MinVersion:       tls.VersionTLS13,
			CurvePreferences: []tls.CurveID{tls.X25519MLKEM768},
		})
		_ = client.Handshake() // fails once the pipe closes
		cRaw.Close()
	}()
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(sRaw, hdr); err != nil {
		t.Fatal(err)
	}
	rec := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(sRaw, rec); err != nil {
		t.Fatal(err)
	}
	share := findKeyShare(t, rec, suites.X25519MLKEM768)
	if len(share) != 1216 {
		t.Fatalf("crypto/tls X25519MLKEM768 share is %d bytes, want 1216", len(share))
	}
	ss, z, err := ServerKeyShare(suites.X25519MLKEM768, share, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 1120 || len(z) != 64 {
		t.Fatalf("server share %d bytes, secret %d", len(ss), len(z))
	}
}

// findKeyShare parses a ClientHello handshake message (RFC 8446 §4.1.2) far
// enough to return the key_exchange of the client's share for group.
func findKeyShare(t *testing.T, msg []byte, group suites.Group) []byte {
	t.Helper()
	s := cryptobyte.String(msg)
	var typ uint8
	var body, sessionID, suitesList, compression, exts cryptobyte.String
	if !s.ReadUint8(&typ) || typ != 1 || !s.ReadUint24LengthPrefixed(&body) ||
		!body.Skip(2+32) || !body.ReadUint8LengthPrefixed(&sessionID) ||
		!body.ReadUint16LengthPrefixed(&suitesList) || !body.ReadUint8LengthPrefixed(&compression) ||
		!body.ReadUint16LengthPrefixed(&exts) {
		t.Fatal("malformed ClientHello")
	}
	for !exts.Empty() {
		var ext uint16
		var data cryptobyte.String
		if !exts.ReadUint16(&ext) || !exts.ReadUint16LengthPrefixed(&data) {
			t.Fatal("malformed extension")
		}
		if ext != 51 { // key_share
			continue
		}
		var shares cryptobyte.String
		if !data.ReadUint16LengthPrefixed(&shares) {
			t.Fatal("malformed key_share")
		}
		for !shares.Empty() {
			var g uint16
			var kx []byte
			if !shares.ReadUint16(&g) || !shares.ReadUint16LengthPrefixed((*cryptobyte.String)(&kx)) {
				t.Fatal("malformed KeyShareEntry")
			}
			if suites.Group(g) == group {
				return kx
			}
		}
	}
	t.Fatalf("no %v key share in the ClientHello", group)
	return nil
}

func FuzzServerKeyShare(f *testing.F) {
	for i, g := range groups13 {
		c, err := NewClientKeyShare(g.group, seededRand(byte(i)))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(i), c.Public())
		f.Add(uint8(i), []byte{})
		f.Add(uint8(i), make([]byte, g.client))
		f.Add(uint8(i), bytes.Repeat([]byte{0xff}, g.client))
	}
	f.Fuzz(func(t *testing.T, which uint8, share []byte) {
		g := groups13[int(which)%len(groups13)]
		ss, z, err := ServerKeyShare(g.group, share, seededRand(which))
		if err != nil {
			var we *wire.Error
			if !errors.As(err, &we) || we.Alert != wire.AlertIllegalParameter {
				t.Fatalf("%s: error %v is not illegal_parameter", g.name, err)
			}
			return
		}
		if len(ss) != g.server || len(z) != g.z {
			t.Fatalf("%s: accepted a %d-byte share and answered %d bytes, secret %d", g.name, len(share), len(ss), len(z))
		}
	})
}

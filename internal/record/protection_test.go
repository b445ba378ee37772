package record

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"hash"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

// seqReader is a deterministic "random" source for tests: it returns the
// bytes it was given, then repeats them.
type seqReader struct {
	b []byte
	i int
}

func (r *seqReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b[r.i%len(r.b)]
		r.i++
	}
	return len(p), nil
}

func fill(n int, start byte) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = start + byte(i)
	}
	return b
}

// handAD builds the RFC 5246 §6.2.3.1/§6.2.3.3 additional data by hand,
// independently of putAdditionalData.
func handAD(seq uint64, typ wire.ContentType, v suites.Version, n int) []byte {
	ad := binary.BigEndian.AppendUint64(nil, seq)
	ad = append(ad, byte(typ))
	ad = binary.BigEndian.AppendUint16(ad, uint16(v))
	return binary.BigEndian.AppendUint16(ad, uint16(n))
}

func wantAlert(t *testing.T, err error, alert wire.AlertDescription) {
	t.Helper()
	var we *wire.Error
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T), want *wire.Error with %v", err, err, alert)
	}
	if we.Alert != alert {
		t.Fatalf("alert %v (%q), want %v", we.Alert, we.Message, alert)
	}
}

// TestGCMKnownAnswer builds an AES-GCM record by hand per RFC 5288 §3 and
// RFC 5246 §6.2.3.3 and checks that Seal produces it and Open accepts it.
func TestGCMKnownAnswer(t *testing.T) {
	key, salt := fill(16, 0x10), []byte{0xa0, 0xa1, 0xa2, 0xa3}
	const seq = 0x0102030405060708
	plaintext := []byte("GET / HTTP/1.1\r\n\r\n")

	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	explicit := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	nonce := append(append([]byte{}, salt...), explicit...)
	want := gcm.Seal(append([]byte{}, explicit...), nonce, plaintext,
		handAD(seq, wire.ContentApplicationData, suites.VersionTLS12, len(plaintext)))

	p, err := NewProtection(suites.VersionTLS12, suites.CipherAES128GCM, suites.MACAEAD, key, salt, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, err := p.Seal(nil, seq, wire.ContentApplicationData, suites.VersionTLS12, plaintext)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Seal = %x, %v\nwant %x", got, err, want)
	}
	if p.MaxOverhead() != len(want)-len(plaintext) {
		t.Errorf("MaxOverhead %d, record overhead %d", p.MaxOverhead(), len(want)-len(plaintext))
	}
	// The receiver takes the explicit nonce from the record, whatever the
	// sequence number: use a record whose explicit part is not the seq.
	other := []byte{9, 9, 9, 9, 9, 9, 9, 9}
	rec := gcm.Seal(append([]byte{}, other...), append(append([]byte{}, salt...), other...), plaintext,
		handAD(7, wire.ContentHandshake, suites.VersionTLS12, len(plaintext)))
	pt, err := p.Open(7, wire.ContentHandshake, suites.VersionTLS12, rec)
	if err != nil || !bytes.Equal(pt, plaintext) {
		t.Fatalf("Open = %q, %v", pt, err)
	}
}

// TestChaChaKnownAnswer builds a ChaCha20-Poly1305 record by hand per RFC
// 7905 §2 (nonce = IV XOR padded seq).
func TestChaChaKnownAnswer(t *testing.T) {
	key, iv := fill(32, 0x40), fill(12, 0x80)
	const seq = 0x1122334455667788
	plaintext := fill(100, 0)

	aead, _ := chacha20poly1305.New(key)
	nonce := append([]byte{}, iv...)
	var padded [12]byte
	binary.BigEndian.PutUint64(padded[4:], seq)
	for i := range nonce {
		nonce[i] ^= padded[i]
	}
	want := aead.Seal(nil, nonce, plaintext, handAD(seq, wire.ContentAlert, suites.VersionTLS12, len(plaintext)))

	p, err := NewProtection(suites.VersionTLS12, suites.CipherChaCha20Poly1305, suites.MACAEAD, key, iv, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := p.Seal(nil, seq, wire.ContentAlert, suites.VersionTLS12, plaintext)
	if !bytes.Equal(got, want) {
		t.Fatalf("Seal = %x\nwant %x", got, want)
	}
	pt, err := p.Open(seq, wire.ContentAlert, suites.VersionTLS12, want)
	if err != nil || !bytes.Equal(pt, plaintext) {
		t.Fatalf("Open = %x, %v", pt, err)
	}
}

// handCBC builds a CBC record by hand: MAC, then padLen+1 bytes of padding,
// then CBC encryption with iv; explicit puts iv in front (TLS 1.1+).
func handCBC(key, iv []byte, newHash func() hash.Hash, macKey []byte, seq uint64, typ wire.ContentType, v suites.Version, content []byte, padLen int, explicit bool) []byte {
	m := hmac.New(newHash, macKey)
	m.Write(handAD(seq, typ, v, len(content)))
	m.Write(content)
	pt := m.Sum(append([]byte{}, content...))
	for i := 0; i <= padLen; i++ {
		pt = append(pt, byte(padLen))
	}
	if len(pt)%16 != 0 {
		panic("handCBC: padding does not fill the block")
	}
	block, _ := aes.NewCipher(key)
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, pt)
	if explicit {
		return append(append([]byte{}, iv...), ct...)
	}
	return ct
}

type cbcCase struct {
	name    string
	mac     suites.MAC
	newHash func() hash.Hash
}

var cbcCases = []cbcCase{
	{"SHA1", suites.MACSHA1, sha1.New},
	{"SHA256", suites.MACSHA256, sha256.New},
	{"SHA384", suites.MACSHA384, sha512.New384},
}

// TestCBCKnownAnswer checks Seal against a hand-built TLS 1.2 record and
// that Open accepts every legal padding length, which exercises the
// constant-time MAC extraction at every possible offset.
func TestCBCKnownAnswer(t *testing.T) {
	for _, c := range cbcCases {
		t.Run(c.name, func(t *testing.T) {
			key, macKey, iv := fill(16, 1), fill(c.newHash().Size(), 0x33), fill(16, 0x77)
			content := fill(37, 0x20)
			p, err := NewProtection(suites.VersionTLS12, suites.CipherAES128CBC, c.mac, key, nil, macKey, &seqReader{b: iv})
			if err != nil {
				t.Fatal(err)
			}
			minPad := 15 - (len(content)+len(macKey))%16
			want := handCBC(key, iv, c.newHash, macKey, 5, wire.ContentHandshake, suites.VersionTLS12, content, minPad, true)
			got, err := p.Seal(nil, 5, wire.ContentHandshake, suites.VersionTLS12, content)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("Seal = %x, %v\nwant %x", got, err, want)
			}
			for padLen := minPad; padLen < 256; padLen += 16 {
				rec := handCBC(key, iv, c.newHash, macKey, 9, wire.ContentHandshake, suites.VersionTLS12, content, padLen, true)
				pt, err := p.Open(9, wire.ContentHandshake, suites.VersionTLS12, rec)
				if err != nil || !bytes.Equal(pt, content) {
					t.Fatalf("padLen %d: Open = %x, %v", padLen, pt, err)
				}
			}
		})
	}
}

// TestCBCOpenAllLengths round-trips every content length around the block
// and padding boundaries, including empty content.
func TestCBCOpenAllLengths(t *testing.T) {
	for _, c := range cbcCases {
		macKey := fill(c.newHash().Size(), 3)
		p, _ := NewProtection(suites.VersionTLS12, suites.CipherAES256CBC, c.mac, fill(32, 0), nil, macKey, &seqReader{b: fill(7, 1)})
		for n := 0; n < 300; n++ {
			content := fill(n, byte(n))
			rec, err := p.Seal(nil, uint64(n), wire.ContentApplicationData, suites.VersionTLS12, content)
			if err != nil {
				t.Fatal(err)
			}
			pt, err := p.Open(uint64(n), wire.ContentApplicationData, suites.VersionTLS12, rec)
			if err != nil || !bytes.Equal(pt, content) {
				t.Fatalf("%s n=%d: Open = %x, %v", c.name, n, pt, err)
			}
		}
	}
}

// TestCBCTLS10ChainsIV checks RFC 2246 §6.2.3.2: the first record uses the
// key-block IV and each later record the last ciphertext block before it.
func TestCBCTLS10ChainsIV(t *testing.T) {
	key, macKey, iv := fill(16, 9), fill(20, 8), fill(16, 7)
	seal, _ := NewProtection(suites.VersionTLS10, suites.CipherAES128CBC, suites.MACSHA1, key, iv, macKey, nil)
	open, _ := NewProtection(suites.VersionTLS10, suites.CipherAES128CBC, suites.MACSHA1, key, iv, macKey, nil)
	chain := iv
	for seq, n := range []int{0, 11, 12, 100} {
		content := fill(n, byte(seq))
		padLen := 15 - (n+20)%16
		want := handCBC(key, chain, sha1.New, macKey, uint64(seq), wire.ContentHandshake, suites.VersionTLS10, content, padLen, false)
		got, _ := seal.Seal(nil, uint64(seq), wire.ContentHandshake, suites.VersionTLS10, content)
		if !bytes.Equal(got, want) {
			t.Fatalf("record %d: Seal = %x\nwant %x", seq, got, want)
		}
		chain = want[len(want)-16:]
		pt, err := open.Open(uint64(seq), wire.ContentHandshake, suites.VersionTLS10, got)
		if err != nil || !bytes.Equal(pt, content) {
			t.Fatalf("record %d: Open = %x, %v", seq, pt, err)
		}
	}
}

func newTestProtections(t testing.TB) map[string]func() Protection {
	t.Helper()
	mk := func(v suites.Version, c suites.Cipher, m suites.MAC, keyLen, ivLen, macLen int) func() Protection {
		return func() Protection {
			p, err := NewProtection(v, c, m, fill(keyLen, 1), fill(ivLen, 2), fill(macLen, 3), &seqReader{b: fill(16, 4)})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	etm := func(v suites.Version, keyLen, ivLen, macLen int, m suites.MAC) func() Protection {
		return func() Protection {
			p, err := NewProtectionEncryptThenMAC(v, suites.CipherAES128CBC, m, fill(keyLen, 1), fill(ivLen, 2), fill(macLen, 3), &seqReader{b: fill(16, 4)})
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
	}
	return map[string]func() Protection{
		"ETMAES128CBCSHA256": etm(suites.VersionTLS12, 16, 0, 32, suites.MACSHA256),
		"ETMTLS10AES128CBC":  etm(suites.VersionTLS10, 16, 16, 20, suites.MACSHA1),
		"AES128GCM":          mk(suites.VersionTLS12, suites.CipherAES128GCM, suites.MACAEAD, 16, 4, 0),
		"AES256GCM":          mk(suites.VersionTLS12, suites.CipherAES256GCM, suites.MACAEAD, 32, 4, 0),
		"ChaCha20":           mk(suites.VersionTLS12, suites.CipherChaCha20Poly1305, suites.MACAEAD, 32, 12, 0),
		"AES128CBCSHA":       mk(suites.VersionTLS12, suites.CipherAES128CBC, suites.MACSHA1, 16, 0, 20),
		"AES128CBCSHA256":    mk(suites.VersionTLS12, suites.CipherAES128CBC, suites.MACSHA256, 16, 0, 32),
		"AES256CBCSHA384":    mk(suites.VersionTLS12, suites.CipherAES256CBC, suites.MACSHA384, 32, 0, 48),
		"TLS10AES128CBC":     mk(suites.VersionTLS10, suites.CipherAES128CBC, suites.MACSHA1, 16, 16, 20),
		"3DESCBCSHA":         mk(suites.VersionTLS12, suites.Cipher3DES, suites.MACSHA1, 24, 0, 20),
		"TLS103DESCBCSHA":    mk(suites.VersionTLS10, suites.Cipher3DES, suites.MACSHA1, 24, 8, 20),
		"RC4SHA":             mk(suites.VersionTLS12, suites.CipherRC4_128, suites.MACSHA1, 16, 0, 20),
		"RC4MD5":             mk(suites.VersionTLS12, suites.CipherRC4_128, suites.MACMD5, 16, 0, 16),
		"NULLMD5":            mk(suites.VersionTLS12, suites.CipherNULL, suites.MACMD5, 0, 0, 16),
		"NULLSHA":            mk(suites.VersionTLS12, suites.CipherNULL, suites.MACSHA1, 0, 0, 20),
		"NULLSHA256":         mk(suites.VersionTLS12, suites.CipherNULL, suites.MACSHA256, 0, 0, 32),
		"SSL3AES128CBCSHA":   mk(suites.VersionSSL30, suites.CipherAES128CBC, suites.MACSHA1, 16, 16, 20),
		"SSL3RC4MD5":         mk(suites.VersionSSL30, suites.CipherRC4_128, suites.MACMD5, 16, 0, 16),
	}
}

// TestOpenRejectsFlippedBit flips every bit of a record in turn, and
// changes the sequence number, type and version: each is bad_record_mac.
func TestOpenRejectsFlippedBit(t *testing.T) {
	for name, mk := range newTestProtections(t) {
		t.Run(name, func(t *testing.T) {
			seal := mk()
			rec, _ := seal.Seal(nil, 3, wire.ContentApplicationData, suites.VersionTLS12, fill(40, 0))
			for bit := 0; bit < 8*len(rec); bit++ {
				bad := bytes.Clone(rec)
				bad[bit/8] ^= 1 << (bit % 8)
				_, err := mk().Open(3, wire.ContentApplicationData, suites.VersionTLS12, bad)
				wantAlert(t, err, wire.AlertBadRecordMAC)
			}
			_, err := mk().Open(4, wire.ContentApplicationData, suites.VersionTLS12, bytes.Clone(rec))
			wantAlert(t, err, wire.AlertBadRecordMAC)
			_, err = mk().Open(3, wire.ContentHandshake, suites.VersionTLS12, bytes.Clone(rec))
			wantAlert(t, err, wire.AlertBadRecordMAC)
			if !strings.HasPrefix(name, "SSL3") { // RFC 6101 §5.2.3.1: the SSL 3.0 MAC leaves the version out
				_, err = mk().Open(3, wire.ContentApplicationData, suites.VersionTLS11, bytes.Clone(rec))
				wantAlert(t, err, wire.AlertBadRecordMAC)
			}
			if _, err := mk().Open(3, wire.ContentApplicationData, suites.VersionTLS12, bytes.Clone(rec)); err != nil {
				t.Fatalf("unmodified record: %v", err)
			}
		})
	}
}

// TestOpenRejectsShortFragment: every length too short to hold the
// protection is bad_record_mac, like any other authentication failure.
func TestOpenRejectsShortFragment(t *testing.T) {
	for name, mk := range newTestProtections(t) {
		p := mk()
		for n := 0; n < p.MaxOverhead(); n++ {
			if _, err := p.Open(0, wire.ContentHandshake, suites.VersionTLS12, make([]byte, n)); err == nil {
				t.Fatalf("%s: %d-byte fragment accepted", name, n)
			} else {
				wantAlert(t, err, wire.AlertBadRecordMAC)
			}
		}
	}
}

// TestCBCOpenRejectsBadPaddingAsBadRecordMAC builds records whose MAC is
// right but whose padding is wrong in several ways; each must fail exactly
// like a bad MAC, with the same error value.
func TestCBCOpenRejectsBadPaddingAsBadRecordMAC(t *testing.T) {
	key, macKey, iv := fill(16, 1), fill(32, 2), fill(16, 3)
	content := fill(30, 0)
	build := func(mutate func(pt []byte) []byte) []byte {
		m := hmac.New(sha256.New, macKey)
		m.Write(handAD(0, wire.ContentHandshake, suites.VersionTLS12, len(content)))
		m.Write(content)
		pt := mutate(m.Sum(bytes.Clone(content)))
		block, _ := aes.NewCipher(key)
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(pt, pt)
		return append(bytes.Clone(iv), pt...)
	}
	pad := func(pt []byte, vals ...byte) []byte { return append(pt, vals...) }
	cases := map[string]func([]byte) []byte{
		// 62 bytes so far: 2 bytes of padding fill the block.
		"padding byte differs":     func(pt []byte) []byte { return pad(pt, 0, 1) },
		"length larger than data":  func(pt []byte) []byte { return pad(pt, 0xff, 0xff) },
		"length eats into the MAC": func(pt []byte) []byte { return pad(pt, 17, 17) },
		"long padding one byte off": func(pt []byte) []byte {
			p := make([]byte, 18)
			for i := range p {
				p[i] = 17
			}
			p[0] = 16
			return append(pt, p...)
		},
	}
	p, _ := NewProtection(suites.VersionTLS12, suites.CipherAES128CBC, suites.MACSHA256, key, nil, macKey, &seqReader{b: iv})
	good := build(func(pt []byte) []byte { return pad(pt, 1, 1) })
	if _, err := p.Open(0, wire.ContentHandshake, suites.VersionTLS12, good); err != nil {
		t.Fatalf("control record rejected: %v", err)
	}
	for name, mutate := range cases {
		_, err := p.Open(0, wire.ContentHandshake, suites.VersionTLS12, build(mutate))
		wantAlert(t, err, wire.AlertBadRecordMAC)
		if err != errBadRecordMAC {
			t.Errorf("%s: error %v is not the shared bad_record_mac error", name, err)
		}
	}
}

// compressionCounter counts hash compression-function calls made through
// countingHash, which models the Merkle–Damgård block structure on top of a
// real hash.
type compressionCounter struct{ n int }

type countingHash struct {
	hash.Hash
	c        *compressionCounter
	lenField int
	buffered int
}

func (h *countingHash) Write(p []byte) (int, error) {
	total := h.buffered + len(p)
	h.c.n += total / h.BlockSize()
	h.buffered = total % h.BlockSize()
	return h.Hash.Write(p)
}

func (h *countingHash) Sum(b []byte) []byte {
	h.c.n += (h.buffered + 1 + h.lenField + h.BlockSize() - 1) / h.BlockSize()
	return h.Hash.Sum(b)
}

func (h *countingHash) Reset() { h.buffered = 0; h.Hash.Reset() }

// TestCBCOpenHashesTheSameAmount checks the Lucky13 countermeasure: for
// records of one length, the number of compression-function calls spent
// on the MAC is the same whatever the padding length, and whether the
// padding is valid or not.
func TestCBCOpenHashesTheSameAmount(t *testing.T) {
	for _, c := range cbcCases {
		t.Run(c.name, func(t *testing.T) {
			key, macKey, iv := fill(16, 1), fill(c.newHash().Size(), 2), fill(16, 3)
			counter := &compressionCounter{}
			lenField := 8
			if c.newHash().BlockSize() == 128 {
				lenField = 16
			}
			newHash := func() hash.Hash { return &countingHash{Hash: c.newHash(), c: counter, lenField: lenField} }
			block, _ := aes.NewCipher(key)
			p, err := newCBC(suites.VersionTLS12, block, nil, newHash, macKey, &seqReader{b: iv})
			if err != nil {
				t.Fatal(err)
			}
			const bodyLen = 320 // fixed record length: only the padding varies
			counts := map[int]bool{}
			for _, padLen := range []int{0, 1, 2, 15, 16, 17, 63, 64, 100, 200, 255} {
				contentLen := bodyLen - len(macKey) - padLen - 1
				rec := handCBC(key, iv, c.newHash, macKey, 0, wire.ContentHandshake, suites.VersionTLS12, fill(contentLen, 0), padLen, true)
				counter.n = 0
				if _, err := p.Open(0, wire.ContentHandshake, suites.VersionTLS12, bytes.Clone(rec)); err != nil {
					t.Fatalf("padLen %d: %v", padLen, err)
				}
				counts[counter.n] = true
				// Break the last padding byte's neighbour: invalid padding.
				if padLen > 0 {
					rec[len(rec)-1-16] ^= 0x80
					counter.n = 0
					if _, err := p.Open(0, wire.ContentHandshake, suites.VersionTLS12, rec); err == nil {
						t.Fatalf("padLen %d: corrupted record accepted", padLen)
					}
					counts[counter.n] = true
				}
			}
			if len(counts) != 1 {
				t.Fatalf("compression calls per record vary with padding: %v", counts)
			}
		})
	}
}

package record

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"golang.org/x/crypto/chacha20poly1305"
)

var perfSuites = []struct {
	name    string
	version suites.Version
	cipher  suites.Cipher
	mac     suites.MAC
	keyLen  int
	ivLen   int
	macLen  int
}{
	{"AES128GCM", suites.VersionTLS12, suites.CipherAES128GCM, suites.MACAEAD, 16, 4, 0},
	{"ChaCha20Poly1305", suites.VersionTLS12, suites.CipherChaCha20Poly1305, suites.MACAEAD, 32, 12, 0},
	// TLS 1.3 (NewProtectionTLS13): the content type inside the record.
	{"TLS13AES128GCM", suites.VersionTLS13, suites.CipherAES128GCM, suites.MACAEAD, 16, 12, 0},
	{"AES128CBCSHA256", suites.VersionTLS12, suites.CipherAES128CBC, suites.MACSHA256, 16, 0, 32},
	{"AES128CBCSHA", suites.VersionTLS12, suites.CipherAES128CBC, suites.MACSHA1, 16, 0, 20},
	// The legacy protections (issue 13), for comparison only.
	{"3DESCBCSHA", suites.VersionTLS12, suites.Cipher3DES, suites.MACSHA1, 24, 0, 20},
	{"RC4SHA", suites.VersionTLS12, suites.CipherRC4_128, suites.MACSHA1, 16, 0, 20},
	{"NULLSHA", suites.VersionTLS12, suites.CipherNULL, suites.MACSHA1, 0, 0, 20},
	// SSL 3.0's own MAC (pad1/pad2) and CBC padding (internal/record/ssl3.go);
	// the IV is chained, so Layer splits application data 1/n-1.
	{"SSL30AES128CBCSHA", suites.VersionSSL30, suites.CipherAES128CBC, suites.MACSHA1, 16, 16, 20},
	{"SSL303DESCBCSHA", suites.VersionSSL30, suites.Cipher3DES, suites.MACSHA1, 24, 8, 20},
}

// layerPair returns a writer and a reader Layer joined by an in-memory
// pipe, both under the named protection.
func layerPair(tb testing.TB, i int) (w, r *Layer) {
	s := perfSuites[i]
	mk := func() Protection { return perfProtection(tb, i) }
	pipe := &loop{}
	w, r = NewLayer(pipe), NewLayer(pipe)
	for _, l := range []*Layer{w, r} {
		l.SetVersion(s.version)
	}
	w.SetWriteProtection(mk())
	r.SetReadProtection(mk())
	return w, r
}

// perfProtection is perfSuites[i]'s protection, with fixed keys.
func perfProtection(tb testing.TB, i int) Protection {
	s := perfSuites[i]
	var p Protection
	var err error
	if s.version == suites.VersionTLS13 {
		p, err = NewProtectionTLS13(s.cipher, fill(s.keyLen, 1), fill(s.ivLen, 2))
	} else {
		p, err = NewProtection(s.version, s.cipher, s.mac, fill(s.keyLen, 1), fill(s.ivLen, 2), fill(s.macLen, 3), rand.Reader)
	}
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// exchange writes one application-data payload and reads it back: one
// record, or two where the Layer splits CBC data 1/n-1 (SSL 3.0, TLS 1.0).
func exchange(tb testing.TB, w, r *Layer, payload []byte) {
	if err := w.WriteRecord(wire.ContentApplicationData, payload); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	for got := 0; got < len(payload); {
		typ, b, err := r.ReadRecord()
		if err != nil || typ != wire.ContentApplicationData || got+len(b) > len(payload) {
			tb.Fatalf("read %v %d bytes after %d: %v", typ, len(b), got, err)
		}
		got += len(b)
	}
}

// TestSteadyStateDoesNotAllocate: once buffers exist, writing, flushing and
// reading a full 16 KiB record allocates nothing.
func TestSteadyStateDoesNotAllocate(t *testing.T) {
	payload := fill(MaxPlaintext, 0)
	for i, s := range perfSuites {
		w, r := layerPair(t, i)
		exchange(t, w, r, payload) // warm up: buffers are allocated here
		allocs := testing.AllocsPerRun(200, func() { exchange(t, w, r, payload) })
		t.Logf("%s: %.1f allocs per 16 KiB record", s.name, allocs)
		if allocs != 0 {
			t.Errorf("%s: %.1f allocs per record, want 0", s.name, allocs)
		}
	}
}

// BenchmarkSealOpen measures one 16 KiB record through Seal and Open.
func BenchmarkSealOpen(b *testing.B) {
	plaintext := fill(MaxPlaintext, 0)
	for i, s := range perfSuites {
		b.Run(s.name, func(b *testing.B) {
			seal, open := perfProtection(b, i), perfProtection(b, i)
			buf := make([]byte, 0, len(plaintext)+seal.MaxOverhead())
			b.SetBytes(int64(len(plaintext)))
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				rec, err := seal.Seal(buf[:0], uint64(i), wire.ContentApplicationData, s.version, plaintext)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := open.Open(uint64(i), wire.ContentApplicationData, s.version, rec); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkLayer measures a 16 KiB record written, flushed and read through
// a pair of Layers.
func BenchmarkLayer(b *testing.B) {
	payload := fill(MaxPlaintext, 0)
	for i, s := range perfSuites {
		b.Run(s.name, func(b *testing.B) {
			w, r := layerPair(b, i)
			b.SetBytes(int64(len(payload)))
			b.ReportAllocs()
			for b.Loop() {
				exchange(b, w, r, payload)
			}
		})
	}
}

// BenchmarkSealOpenBaseline does the same cryptographic work as
// BenchmarkSealOpen with the primitives called directly and no record
// handling (for CBC: a plain, variable-time MAC check), so that the ratio
// of the two shows what clasp's record code costs, including the Lucky13
// countermeasure, on whatever machine runs them.
func BenchmarkSealOpenBaseline(b *testing.B) {
	plaintext := fill(MaxPlaintext, 0)
	ad := make([]byte, 13)
	b.Run("AES128GCM", func(b *testing.B) {
		block, _ := aes.NewCipher(fill(16, 1))
		aead, _ := cipher.NewGCM(block)
		nonce, buf := make([]byte, 12), make([]byte, 0, len(plaintext)+16)
		b.SetBytes(int64(len(plaintext)))
		for b.Loop() {
			ct := aead.Seal(buf[:0], nonce, plaintext, ad)
			if _, err := aead.Open(ct[:0], nonce, ct, ad); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ChaCha20Poly1305", func(b *testing.B) {
		aead, _ := chacha20poly1305.New(fill(32, 1))
		nonce, buf := make([]byte, 12), make([]byte, 0, len(plaintext)+16)
		b.SetBytes(int64(len(plaintext)))
		for b.Loop() {
			ct := aead.Seal(buf[:0], nonce, plaintext, ad)
			if _, err := aead.Open(ct[:0], nonce, ct, ad); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, c := range []struct {
		name    string
		newHash func() hash.Hash
	}{{"AES128CBCSHA256", sha256.New}, {"AES128CBCSHA", sha1.New}} {
		b.Run(c.name, func(b *testing.B) {
			block, _ := aes.NewCipher(fill(16, 1))
			m := hmac.New(c.newHash, fill(c.newHash().Size(), 3))
			iv := fill(16, 2)
			enc := cipher.NewCBCEncrypter(block, iv).(cbcMode)
			dec := cipher.NewCBCDecrypter(block, iv).(cbcMode)
			n := (len(plaintext) + m.Size() + 16) / 16 * 16
			buf := make([]byte, n)
			sum := make([]byte, 0, 64)
			b.SetBytes(int64(len(plaintext)))
			for b.Loop() {
				copy(buf, plaintext)
				m.Reset()
				m.Write(ad)
				m.Write(plaintext)
				m.Sum(buf[len(plaintext):len(plaintext)])
				for i := len(plaintext) + m.Size(); i < n; i++ {
					buf[i] = byte(n - len(plaintext) - m.Size() - 1)
				}
				enc.SetIV(iv)
				enc.CryptBlocks(buf, buf)
				dec.SetIV(iv)
				dec.CryptBlocks(buf, buf)
				pad := int(buf[n-1]) + 1
				content := buf[:n-pad-m.Size()]
				m.Reset()
				m.Write(ad)
				m.Write(content)
				if !hmac.Equal(m.Sum(sum[:0]), buf[len(content):len(content)+m.Size()]) {
					b.Fatal("MAC mismatch")
				}
			}
		})
	}
}

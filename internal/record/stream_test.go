package record

import (
	"bytes"
	"crypto/cipher"
	"crypto/des"
	"crypto/hmac"
	"crypto/md5"
	"crypto/rc4"
	"crypto/sha1"
	"crypto/sha256"
	"hash"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The legacy protections checked against records built here from the
// primitives alone (crypto/rc4, crypto/des, crypto/hmac), following the
// RFC text rather than the code under test.

// handMAC is RFC 5246 §6.2.3.1's MAC: HMAC over seq_num, type, version,
// length and content.
func handMAC(newHash func() hash.Hash, macKey []byte, seq uint64, typ wire.ContentType, v suites.Version, content []byte) []byte {
	m := hmac.New(newHash, macKey)
	m.Write(handAD(seq, typ, v, len(content)))
	m.Write(content)
	return m.Sum(nil)
}

// TestStreamKnownAnswer: RC4 and NULL records are content || MAC, run
// through the RC4 keystream (which continues from record to record, RFC
// 5246 §6.2.3.1) or sent as they are.
func TestStreamKnownAnswer(t *testing.T) {
	cases := []struct {
		name    string
		c       suites.Cipher
		mac     suites.MAC
		newHash func() hash.Hash
		keyLen  int
	}{
		{"RC4-MD5", suites.CipherRC4_128, suites.MACMD5, md5.New, 16},
		{"RC4-SHA", suites.CipherRC4_128, suites.MACSHA1, sha1.New, 16},
		{"NULL-MD5", suites.CipherNULL, suites.MACMD5, md5.New, 0},
		{"NULL-SHA", suites.CipherNULL, suites.MACSHA1, sha1.New, 0},
		{"NULL-SHA256", suites.CipherNULL, suites.MACSHA256, sha256.New, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, macKey := fill(tc.keyLen, 0x41), fill(tc.newHash().Size(), 0x52)
			seal, err := NewProtection(suites.VersionTLS10, tc.c, tc.mac, key, nil, macKey, nil)
			if err != nil {
				t.Fatal(err)
			}
			open, _ := NewProtection(suites.VersionTLS10, tc.c, tc.mac, key, nil, macKey, nil)
			var ks cipher.Stream
			if tc.c == suites.CipherRC4_128 {
				ks, _ = rc4.NewCipher(key)
			}
			for seq, n := range []int{0, 1, 17, 300} {
				content := fill(n, byte(seq))
				want := append(bytes.Clone(content), handMAC(tc.newHash, macKey, uint64(seq), wire.ContentApplicationData, suites.VersionTLS10, content)...)
				if ks != nil {
					ks.XORKeyStream(want, want)
				}
				got, err := seal.Seal(nil, uint64(seq), wire.ContentApplicationData, suites.VersionTLS10, content)
				if err != nil || !bytes.Equal(got, want) {
					t.Fatalf("record %d: Seal = %x, %v\nwant %x", seq, got, err, want)
				}
				pt, err := open.Open(uint64(seq), wire.ContentApplicationData, suites.VersionTLS10, got)
				if err != nil || !bytes.Equal(pt, content) {
					t.Fatalf("record %d: Open = %x, %v", seq, pt, err)
				}
			}
		})
	}
}

// TestNULLRecordIsPlaintext: a NULL suite encrypts nothing (RFC 5246
// §6.2.3.1 with the null stream cipher): the content is readable on the
// wire, and only the MAC follows it.
func TestNULLRecordIsPlaintext(t *testing.T) {
	p, _ := NewProtection(suites.VersionTLS12, suites.CipherNULL, suites.MACSHA1, nil, nil, fill(20, 1), nil)
	rec, _ := p.Seal(nil, 0, wire.ContentApplicationData, suites.VersionTLS12, []byte("in the clear"))
	if !bytes.HasPrefix(rec, []byte("in the clear")) || len(rec) != len("in the clear")+20 {
		t.Fatalf("NULL-SHA record %q", rec)
	}
}

// Test3DESKnownAnswer: 3DES-EDE-CBC records are built like AES-CBC ones
// with an 8-byte block (RFC 5246 §6.2.3.2; RFC 2246 for TLS 1.0's chained
// IV), checked against crypto/des directly.
func Test3DESKnownAnswer(t *testing.T) {
	key, macKey, iv := fill(24, 0x10), fill(20, 0x20), fill(8, 0x30)
	block, err := des.NewTripleDESCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	hand := func(seq uint64, v suites.Version, chain, content []byte) []byte {
		pt := append(bytes.Clone(content), handMAC(sha1.New, macKey, seq, wire.ContentApplicationData, v, content)...)
		padLen := 7 - len(pt)%8
		for i := 0; i <= padLen; i++ {
			pt = append(pt, byte(padLen))
		}
		ct := make([]byte, len(pt))
		cipher.NewCBCEncrypter(block, chain).CryptBlocks(ct, pt)
		return ct
	}
	t.Run("TLS 1.0 chained IV", func(t *testing.T) {
		seal, _ := NewProtection(suites.VersionTLS10, suites.Cipher3DES, suites.MACSHA1, key, iv, macKey, nil)
		open, _ := NewProtection(suites.VersionTLS10, suites.Cipher3DES, suites.MACSHA1, key, iv, macKey, nil)
		chain := iv
		for seq, n := range []int{1, 3, 4, 100} {
			content := fill(n, byte(seq))
			want := hand(uint64(seq), suites.VersionTLS10, chain, content)
			got, _ := seal.Seal(nil, uint64(seq), wire.ContentApplicationData, suites.VersionTLS10, content)
			if !bytes.Equal(got, want) {
				t.Fatalf("record %d: Seal = %x\nwant %x", seq, got, want)
			}
			chain = want[len(want)-8:]
			if pt, err := open.Open(uint64(seq), wire.ContentApplicationData, suites.VersionTLS10, got); err != nil || !bytes.Equal(pt, content) {
				t.Fatalf("record %d: Open = %x, %v", seq, pt, err)
			}
		}
	})
	t.Run("TLS 1.2 explicit IV", func(t *testing.T) {
		explicit := fill(8, 0x99)
		p, _ := NewProtection(suites.VersionTLS12, suites.Cipher3DES, suites.MACSHA1, key, nil, macKey, &seqReader{b: explicit})
		content := fill(29, 7)
		want := append(bytes.Clone(explicit), hand(4, suites.VersionTLS12, explicit, content)...)
		got, _ := p.Seal(nil, 4, wire.ContentApplicationData, suites.VersionTLS12, content)
		if !bytes.Equal(got, want) {
			t.Fatalf("Seal = %x\nwant %x", got, want)
		}
	})
}

// TestLegacyProtectionsRejectWrongKeys: key and MAC key lengths are those
// of RFC 5246 §6.3 / Appendix C; anything else is refused before use.
func TestLegacyProtectionsRejectWrongKeys(t *testing.T) {
	bad := []struct {
		c           suites.Cipher
		mac         suites.MAC
		key, macKey int
	}{
		{suites.Cipher3DES, suites.MACSHA1, 16, 20},
		{suites.Cipher3DES, suites.MACMD5, 24, 16},
		{suites.CipherRC4_128, suites.MACSHA1, 5, 20},
		{suites.CipherRC4_128, suites.MACSHA1, 16, 16},
		{suites.CipherNULL, suites.MACSHA1, 16, 20},
		{suites.CipherNULL, suites.MACSHA384, 0, 48},
	}
	for _, b := range bad {
		if _, err := NewProtection(suites.VersionTLS12, b.c, b.mac, fill(b.key, 1), fill(8, 2), fill(b.macKey, 3), nil); err == nil {
			t.Errorf("%s with %s, key %d, MAC key %d: accepted", b.c, b.mac, b.key, b.macKey)
		}
	}
}

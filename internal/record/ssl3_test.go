package record

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

type ssl3MACVector struct {
	MAC, Secret, Content, Want string
	Seq                        uint64
	Type                       uint8
}

func loadSSL3MACVectors(t *testing.T) []ssl3MACVector {
	raw, err := os.ReadFile("testdata/ssl3_mac_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v []ssl3MACVector
	if err := json.Unmarshal(raw, &v); err != nil || len(v) == 0 {
		t.Fatalf("vectors: %v", err)
	}
	return v
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestSSL3NULLRecordKnownAnswer: an SSL 3.0 NULL record is content + MAC,
// the MAC being RFC 6101 §5.2.3.1's, computed independently by
// testdata/ssl3_mac_vectors.py with Python's hashlib.
func TestSSL3NULLRecordKnownAnswer(t *testing.T) {
	for _, v := range loadSSL3MACVectors(t) {
		mac := map[string]suites.MAC{"MD5": suites.MACMD5, "SHA1": suites.MACSHA1}[v.MAC]
		seal, err := NewProtection(suites.VersionSSL30, suites.CipherNULL, mac, nil, nil, unhex(t, v.Secret), nil)
		if err != nil {
			t.Fatal(err)
		}
		content := unhex(t, v.Content)
		want := append(bytes.Clone(content), unhex(t, v.Want)...)
		got, _ := seal.Seal(nil, v.Seq, wire.ContentType(v.Type), suites.VersionSSL30, content)
		if !bytes.Equal(got, want) {
			t.Fatalf("%s seq %d: Seal = %x\nwant %x", v.MAC, v.Seq, got, want)
		}
		open, _ := NewProtection(suites.VersionSSL30, suites.CipherNULL, mac, nil, nil, unhex(t, v.Secret), nil)
		// The MAC leaves the version out: any version in the call opens it.
		if pt, err := open.Open(v.Seq, wire.ContentType(v.Type), suites.VersionTLS12, got); err != nil || !bytes.Equal(pt, content) {
			t.Fatalf("%s seq %d: Open = %x, %v", v.MAC, v.Seq, pt, err)
		}
	}
}

// TestSSL3CBCPaddingRules: RFC 6101 §5.2.3.2 lets the padding bytes hold
// anything and requires padding_length < block length. A record with
// arbitrary padding bytes opens; one whose padding_length reaches the block
// length (legal in TLS, RFC 5246 §6.2.3.2 allows up to 255) is refused as
// bad_record_mac.
func TestSSL3CBCPaddingRules(t *testing.T) {
	var sha1Vec ssl3MACVector
	for _, v := range loadSSL3MACVectors(t) {
		if v.MAC == "SHA1" && v.Seq == 7 {
			sha1Vec = v
		}
	}
	key, iv := fill(16, 5), fill(16, 6)
	block, _ := aes.NewCipher(key)
	content, mac := unhex(t, sha1Vec.Content), unhex(t, sha1Vec.Want)
	build := func(padding []byte) []byte {
		pt := append(append(bytes.Clone(content), mac...), padding...)
		ct := make([]byte, len(pt))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, pt)
		return ct
	}
	open := func(rec []byte) error {
		p, err := NewProtection(suites.VersionSSL30, suites.CipherAES128CBC, suites.MACSHA1, key, iv, unhex(t, sha1Vec.Secret), nil)
		if err != nil {
			t.Fatal(err)
		}
		pt, err := p.Open(sha1Vec.Seq, wire.ContentType(sha1Vec.Type), suites.VersionSSL30, rec)
		if err == nil && !bytes.Equal(pt, content) {
			t.Fatalf("Open = %x", pt)
		}
		return err
	}
	// 100 + 20 = 120 bytes: 7 bytes of padding and the length byte.
	if err := open(build([]byte{0xde, 0xad, 0xbe, 0xef, 0, 1, 2, 7})); err != nil {
		t.Fatalf("arbitrary padding bytes refused: %v", err)
	}
	tooLong := append(bytes.Repeat([]byte{23}, 23), 23) // padding_length 23 ≥ 16
	wantAlert(t, open(build(tooLong)), wire.AlertBadRecordMAC)

	// Seal then Open round-trips, and the TLS 1.0 1/n-1 split applies
	// (chained IV): the protection is the CBC one without an explicit IV.
	p, _ := NewProtection(suites.VersionSSL30, suites.Cipher3DES, suites.MACSHA1, fill(24, 1), fill(8, 2), fill(20, 3), nil)
	if cbc, ok := p.(*cbcProtection); !ok || cbc.explicitIV || !cbc.ssl3 {
		t.Fatalf("SSL 3.0 3DES protection is %T", p)
	}
}

// TestSSL3RefusesWhatItLacks: no AEAD, no SHA-256 MAC and no
// encrypt-then-MAC exist in SSL 3.0 (RFC 6101 Appendix A.6 lists its
// suites; RFC 7366 is a TLS extension).
func TestSSL3RefusesWhatItLacks(t *testing.T) {
	if _, err := NewProtection(suites.VersionSSL30, suites.CipherAES128GCM, suites.MACAEAD, fill(16, 1), fill(4, 1), nil, nil); err == nil {
		t.Error("AES-GCM accepted in SSL 3.0")
	}
	if _, err := NewProtection(suites.VersionSSL30, suites.CipherNULL, suites.MACSHA256, nil, nil, fill(32, 1), nil); err == nil {
		t.Error("SHA-256 MAC accepted in SSL 3.0")
	}
	if _, err := NewProtectionEncryptThenMAC(suites.VersionSSL30, suites.CipherAES128CBC, suites.MACSHA1, fill(16, 1), fill(16, 1), fill(20, 1), nil); err == nil {
		t.Error("encrypt-then-MAC accepted in SSL 3.0")
	}
}

package record

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// handETM builds an RFC 7366 §3 record by hand from the primitives:
// IV || AES-CBC(content || padding) || HMAC-SHA256(AD(len(IV||ct)) || IV || ct).
func handETM(key, macKey, iv []byte, seq uint64, content []byte, padLen int) []byte {
	body := append(bytes.Clone(content), bytes.Repeat([]byte{byte(padLen)}, padLen+1)...)
	block, _ := aes.NewCipher(key)
	cipher.NewCBCEncrypter(block, iv).CryptBlocks(body, body)
	rec := append(bytes.Clone(iv), body...)
	m := hmac.New(sha256.New, macKey)
	m.Write(handAD(seq, wire.ContentApplicationData, suites.VersionTLS12, len(rec)))
	m.Write(rec)
	return m.Sum(rec)
}

func TestETMKnownAnswer(t *testing.T) {
	key, macKey, iv := fill(16, 1), fill(32, 3), fill(16, 4)
	p := newTestProtections(t)["ETMAES128CBCSHA256"]()
	content := []byte("encrypt, then MAC the ciphertext")
	sealed, err := p.Seal(nil, 7, wire.ContentApplicationData, suites.VersionTLS12, content)
	if err != nil {
		t.Fatal(err)
	}
	// Seal pads minimally: 32 bytes of content need a full block of 16.
	if want := handETM(key, macKey, iv, 7, content, 15); !bytes.Equal(sealed, want) {
		t.Fatalf("sealed\n %x\nwant\n %x", sealed, want)
	}
	opened, err := newTestProtections(t)["ETMAES128CBCSHA256"]().Open(7, wire.ContentApplicationData, suites.VersionTLS12, sealed)
	if err != nil || !bytes.Equal(opened, content) {
		t.Fatalf("Open: %q, %v", opened, err)
	}
	// A longer padding (RFC 5246 allows up to 255 bytes) opens too.
	long := handETM(key, macKey, iv, 8, content[:5], 42)
	if got, err := p.Open(8, wire.ContentApplicationData, suites.VersionTLS12, long); err != nil || !bytes.Equal(got, content[:5]) {
		t.Errorf("Open with 42 bytes of padding: %q, %v", got, err)
	}
}

// With a valid MAC over a badly padded body the peer itself is broken:
// still bad_record_mac (RFC 7366 §3 keeps RFC 5246 §7.2.2's alert).
func TestETMOpenRejectsBadPaddingUnderAGoodMAC(t *testing.T) {
	key, macKey, iv := fill(16, 1), fill(32, 3), fill(16, 4)
	for name, body := range map[string][]byte{
		"padding bytes differ":           append(fill(13, 0), 2, 1, 2),
		"padding longer than the record": append(fill(15, 0), 200),
	} {
		t.Run(name, func(t *testing.T) {
			enc := bytes.Clone(body)
			block, _ := aes.NewCipher(key)
			cipher.NewCBCEncrypter(block, iv).CryptBlocks(enc, enc)
			rec := append(bytes.Clone(iv), enc...)
			m := hmac.New(sha256.New, macKey)
			m.Write(handAD(1, wire.ContentApplicationData, suites.VersionTLS12, len(rec)))
			m.Write(rec)
			rec = m.Sum(rec)
			_, err := newTestProtections(t)["ETMAES128CBCSHA256"]().Open(1, wire.ContentApplicationData, suites.VersionTLS12, rec)
			wantAlert(t, err, wire.AlertBadRecordMAC)
		})
	}
}

// ETM applies to CBC only.
func TestETMRefusesAEAD(t *testing.T) {
	if _, err := NewProtectionEncryptThenMAC(suites.VersionTLS12, suites.CipherAES128GCM, suites.MACAEAD, fill(16, 1), fill(4, 2), nil, nil); err == nil {
		t.Error("an AEAD protection accepted encrypt-then-MAC")
	}
}

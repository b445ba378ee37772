package wire

import (
	"bytes"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// TestSSL30RSAClientKeyExchangeHasNoLengthPrefix: RFC 6101 §5.6.7.1 sends
// the encrypted premaster bare; TLS 1.0 (RFC 2246 §7.4.7.1) prefixes it
// with two length bytes. Both parse to the same Data.
func TestSSL30RSAClientKeyExchangeHasNoLengthPrefix(t *testing.T) {
	ct := bytes.Repeat([]byte{0xab}, 256)
	m := &ClientKeyExchange{KeyExchange: suites.KexRSA, Data: ct, SSL30RSA: true}
	raw, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if want := append([]byte{byte(TypeClientKeyExchange), 0, 1, 0}, ct...); !bytes.Equal(raw, want) {
		t.Fatalf("SSL 3.0 RSA ClientKeyExchange = %x...", raw[:8])
	}
	got, err := ParseClientKeyExchange(raw[4:], Context{Version: suites.VersionSSL30, KeyExchange: suites.KexRSA})
	if err != nil || !bytes.Equal(got.Data, ct) || !got.SSL30RSA {
		t.Fatalf("parse: %v", err)
	}
	// Under TLS 1.0 the same body is read as a length prefix (0xabab)
	// that overruns it: decode_error.
	if _, err := ParseClientKeyExchange(raw[4:], Context{Version: suites.VersionTLS10, KeyExchange: suites.KexRSA}); err == nil {
		t.Fatal("TLS 1.0 parser accepted an unprefixed RSA ClientKeyExchange")
	}
	if _, err := ParseClientKeyExchange(nil, Context{Version: suites.VersionSSL30, KeyExchange: suites.KexRSA}); err == nil {
		t.Fatal("empty SSL 3.0 RSA ClientKeyExchange accepted")
	}
}

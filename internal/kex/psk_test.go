package kex

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// RFC 4279 §2: plain PSK's other_secret is as many zero bytes as the key
// is long; the others carry their own secret. Both vectors have a uint16
// length.
func TestPSKPremasterLayout(t *testing.T) {
	psk := []byte{0xaa, 0xbb, 0xcc}
	got, err := PSKPremaster(suites.KexPSK, []byte("ignored"), psk)
	if want, _ := hex.DecodeString("0003000000" + "0003aabbcc"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("plain PSK premaster %x, %v; want %x", got, err, want)
	}
	got, err = PSKPremaster(suites.KexDHEPSK, []byte{1, 2}, psk)
	if want, _ := hex.DecodeString("00020102" + "0003aabbcc"); err != nil || !bytes.Equal(got, want) {
		t.Errorf("DHE_PSK premaster %x, %v; want %x", got, err, want)
	}
	if _, err := PSKPremaster(suites.KexECDHEPSK, nil, make([]byte, MaxPSKLength+1)); err == nil {
		t.Error("a key of 2^16 bytes was accepted")
	}
}

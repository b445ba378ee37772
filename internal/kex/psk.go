package kex

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// MaxPSKLength bounds a pre-shared key and a PSK identity: each is a
// vector<0..2^16-1> (RFC 4279 §2, RFC 8446 §4.2.11).
const MaxPSKLength = 1<<16 - 1

// PSKPremaster builds the premaster secret of the TLS 1.2 PSK key
// exchanges (RFC 4279 §2):
//
//	struct {
//	    opaque other_secret<0..2^16-1>;
//	    opaque psk<0..2^16-1>;
//	};
//
// otherSecret is what the key exchange besides the PSK produced: the
// Diffie-Hellman Z without leading zero bytes for DHE_PSK (RFC 4279 §3),
// the ECDH x-coordinate for ECDHE_PSK (RFC 5489 §2), the 48-byte
// RSA-transported secret for RSA_PSK (RFC 4279 §4). Plain PSK passes nil
// and gets RFC 4279 §2's "N octets of zero" where N is the key's length.
func PSKPremaster(kx suites.KeyExchange, otherSecret, psk []byte) ([]byte, error) {
	if len(psk) > MaxPSKLength || len(otherSecret) > MaxPSKLength {
		return nil, wire.Errorf(wire.AlertInternalError, "kex: pre-shared key or other secret longer than 2^16-1 bytes")
	}
	if kx == suites.KexPSK {
		otherSecret = make([]byte, len(psk))
	}
	b := cryptobyte.NewFixedBuilder(make([]byte, 0, 4+len(otherSecret)+len(psk)))
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(otherSecret) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(psk) })
	return b.Bytes()
}

package trace

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"fmt"

	"github.com/clasp-tls/clasp/internal/wire"
)

// Raw public keys (RFC 7250): a Certificate that carries a
// SubjectPublicKeyInfo alone. TLS 1.2 has a message shape of its own for
// it; in TLS 1.3 the entry looks like any other and only the certificate
// type agreed in EncryptedExtensions says what it holds, which the
// renderers learn through versions.observe.

// rawKeyInfo is what a person checks in a raw public key: its algorithm,
// its size and the SHA-256 of the SubjectPublicKeyInfo, which is how
// clasp prints a pinned key (clasp connect/serve --peer-key).
type rawKeyInfo struct {
	algorithm string
	bits      int
	sha256    []byte
	err       error // the SubjectPublicKeyInfo did not parse
}

func describeRawKey(spki []byte) rawKeyInfo {
	sum := sha256.Sum256(spki)
	info := rawKeyInfo{sha256: sum[:]}
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		info.err = err
		return info
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		info.algorithm, info.bits = "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		info.algorithm, info.bits = "ECDSA "+k.Curve.Params().Name, k.Curve.Params().BitSize
	case ed25519.PublicKey:
		info.algorithm, info.bits = "Ed25519", 8*len(k)
	default:
		info.algorithm = fmt.Sprintf("%T", pub)
	}
	return info
}

// rawPublicKey13 tells a TLS 1.3 Certificate whose entry is a raw public
// key, and what the peer checks instead of a chain.
func (t *storyTracer) rawPublicKey13(from Side, spki []byte) {
	t.line(1, "cert.raw_key13", "side", t.side(from), "bytes", len(spki), "hex", hexString(spki))
	t.rawKeyDetail(spki)
	t.line(1, "cert.raw_checks", "peer", t.side(from.Peer()))
}

// rawKeyDetail tells a raw public key's algorithm and size.
func (t *storyTracer) rawKeyDetail(spki []byte) {
	info := describeRawKey(spki)
	if info.err != nil {
		t.line(2, "cert.raw_key_unparsed", "error", info.err.Error())
		return
	}
	t.line(2, "cert.raw_key_detail", "key", info.algorithm, "bits", info.bits, "sha256", hexString(info.sha256))
}

// decodeRawKey is a raw public key in the JSON trace: shaped as a
// certificate entry (sha256_hex and der_hex, here of the
// SubjectPublicKeyInfo) and marked raw_public_key.
func decodeRawKey(spki []byte) object {
	info := describeRawKey(spki)
	o := object{{"sha256_hex", hexString(info.sha256)}, {"raw_public_key", true}}
	if info.err != nil {
		o.add("parse_error", info.err.Error())
	} else {
		o.add("public_key_algorithm", info.algorithm)
		o.add("public_key_bits", info.bits)
	}
	o.add("der_hex", hexString(spki))
	return o
}

// decodeRawKeyCertificate13 is a TLS 1.3 Certificate whose entries are
// raw public keys.
func decodeRawKeyCertificate13(m *wire.Certificate13) object {
	return decodeCertificateEntries13(m, decodeRawKey)
}

// Package signature signs and verifies the handshake signatures of TLS: the
// ServerKeyExchange parameters (RFC 5246 §7.4.3) and CertificateVerify
// (RFC 5246 §7.4.8, RFC 8446 §4.4.3), under a negotiated SignatureScheme in
// TLS 1.2 and 1.3, or the fixed legacy constructions of TLS 1.0 and 1.1.
//
// It decides nothing about which scheme to use beyond what a key can do
// (SchemesForKey); choosing among the peer's offers is the handshake's job.
package signature

import (
	"crypto"
	"crypto/dsa" //nolint:staticcheck // see dsa.go
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/md5"
	"crypto/rsa"
	"crypto/sha1"
	"fmt"
	"io"
	"slices"

	// Link in the hashes the schemes name, so crypto.Hash.New works.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// algorithm is the signature primitive of a scheme.
type algorithm uint8

const (
	algRSAPKCS1 algorithm = iota + 1
	algRSAPSS
	algECDSA
	algEd25519
	// algDSA is DSA for the DHE_DSS suites of old peers (RFC 5246
	// §7.4.1.4.1 dsa_*; crypto/dsa), used only when named.
	algDSA
)

// scheme describes how to compute one SignatureScheme.
type scheme struct {
	alg  algorithm
	hash crypto.Hash    // digest signed; 0 for Ed25519, which signs the message
	tls  elliptic.Curve // the curve TLS 1.3 binds an ECDSA scheme to (RFC 8446 §4.2.3)
}

// schemes lists the SignatureSchemes clasp implements (RFC 8446 §4.2.3; the
// legacy TLS 1.2 pairs of RFC 5246 §7.4.1.4.1 that keep those code points).
var schemes = map[suites.SignatureScheme]scheme{
	suites.PKCS1WithSHA1:          {algRSAPKCS1, crypto.SHA1, nil},
	suites.PKCS1WithSHA256:        {algRSAPKCS1, crypto.SHA256, nil},
	suites.PKCS1WithSHA384:        {algRSAPKCS1, crypto.SHA384, nil},
	suites.PKCS1WithSHA512:        {algRSAPKCS1, crypto.SHA512, nil},
	suites.PSSWithSHA256:          {algRSAPSS, crypto.SHA256, nil},
	suites.PSSWithSHA384:          {algRSAPSS, crypto.SHA384, nil},
	suites.PSSWithSHA512:          {algRSAPSS, crypto.SHA512, nil},
	suites.ECDSAWithSHA1:          {algECDSA, crypto.SHA1, nil},
	suites.ECDSAWithP256AndSHA256: {algECDSA, crypto.SHA256, elliptic.P256()},
	suites.ECDSAWithP384AndSHA384: {algECDSA, crypto.SHA384, elliptic.P384()},
	suites.ECDSAWithP521AndSHA512: {algECDSA, crypto.SHA512, elliptic.P521()},
	suites.Ed25519:                {algEd25519, 0, nil},
	suites.DSAWithSHA1:            {algDSA, crypto.SHA1, nil},
	suites.DSAWithSHA224:          {algDSA, crypto.SHA224, nil},
	suites.DSAWithSHA256:          {algDSA, crypto.SHA256, nil},
	suites.DSAWithSHA384:          {algDSA, crypto.SHA384, nil},
	suites.DSAWithSHA512:          {algDSA, crypto.SHA512, nil},
}

// lookup returns the scheme or an illegal_parameter error: a peer that signs
// with a scheme clasp did not offer breaks RFC 8446 §4.4.3 / RFC 5246
// §7.4.1.4.1, and a caller asking for one made a selection bug.
func lookup(s suites.SignatureScheme) (scheme, error) {
	if p, ok := schemes[s]; ok {
		return p, nil
	}
	switch s {
	case suites.PSSPSSWithSHA256, suites.PSSPSSWithSHA384, suites.PSSPSSWithSHA512:
		// RFC 8446 §4.2.3: rsa_pss_pss_* need a certificate whose key is
		// an RSASSA-PSS key (OID id-RSASSA-PSS), which crypto/x509 cannot
		// parse, so clasp never holds such a key.
		return scheme{}, wire.Errorf(wire.AlertIllegalParameter, "signature scheme %v is not supported: it needs an RSASSA-PSS certificate, which crypto/x509 cannot parse", s)
	}
	return scheme{}, wire.Errorf(wire.AlertIllegalParameter, "signature scheme %v is not supported", s)
}

// keyFits reports whether pub has the key type p signs with. TLS 1.3's
// curve binding is not checked here; see KeyCanUse.
func keyFits(pub crypto.PublicKey, p scheme) bool {
	switch pub.(type) {
	case *rsa.PublicKey:
		return p.alg == algRSAPKCS1 || p.alg == algRSAPSS
	case *ecdsa.PublicKey:
		return p.alg == algECDSA
	case ed25519.PublicKey:
		return p.alg == algEd25519
	case *dsa.PublicKey:
		return p.alg == algDSA
	}
	return false
}

func digest(h crypto.Hash, msg []byte) []byte {
	d := h.New()
	d.Write(msg)
	return d.Sum(nil)
}

// pssOptions fixes the salt length to the hash length, as RFC 8446 §4.2.3
// requires of rsa_pss_rsae_* ("The length of the Salt MUST be equal to the
// length of the output of the digest algorithm"); verification then rejects
// any other salt length rather than auto-detecting it.
func pssOptions(h crypto.Hash) *rsa.PSSOptions {
	return &rsa.PSSOptions{SaltLength: rsa.PSSSaltLengthEqualsHash, Hash: h}
}

// Sign signs msg, the raw signed content (for TLS 1.2 ServerKeyExchange
// client_random + server_random + params, RFC 5246 §7.4.3; for a TLS 1.3
// CertificateVerify the 64-space-prefixed context string and transcript hash,
// RFC 8446 §4.4.3), with scheme. Sign hashes msg with the scheme's hash;
// Ed25519 signs msg itself (RFC 8032 PureEdDSA, RFC 8422 §5.10). ECDSA
// signatures are DER-encoded, as TLS carries them (RFC 8422 §5.4).
//
// The signer's key must be of the scheme's type; TLS 1.3 curve binding is the
// caller's to check with KeyCanUse.
func Sign(signer crypto.Signer, scheme suites.SignatureScheme, rand io.Reader, msg []byte) ([]byte, error) {
	p, err := lookup(scheme)
	if err != nil {
		return nil, err
	}
	if !keyFits(signer.Public(), p) {
		return nil, fmt.Errorf("signature: a %T cannot sign with %v", signer.Public(), scheme)
	}
	var sig []byte
	switch p.alg {
	case algRSAPKCS1, algECDSA, algDSA:
		sig, err = signer.Sign(rand, digest(p.hash, msg), p.hash)
	case algRSAPSS:
		sig, err = signer.Sign(rand, digest(p.hash, msg), pssOptions(p.hash))
	case algEd25519:
		sig, err = signer.Sign(rand, msg, crypto.Hash(0))
	}
	if err != nil {
		return nil, fmt.Errorf("signature: signing with %v: %w", scheme, err)
	}
	return sig, nil
}

// Verify checks the peer's signature sig over msg (see Sign) with scheme.
//
// A signature that does not verify is a decrypt_error (RFC 5246 §7.2.2, RFC
// 8446 §6.2: "a handshake (not record layer) cryptographic operation failed,
// including being unable to correctly verify a signature"). A scheme clasp
// does not implement, or one that does not fit the certificate's key type, is
// an illegal_parameter. Verify does not know the version: TLS 1.3's
// restrictions (curve binding, no PKCS#1 v1.5, no SHA-1) are checked with
// KeyCanUse before calling it.
func Verify(pub crypto.PublicKey, scheme suites.SignatureScheme, msg, sig []byte) error {
	p, err := lookup(scheme)
	if err != nil {
		return err
	}
	if !keyFits(pub, p) {
		return wire.Errorf(wire.AlertIllegalParameter, "peer signed with %v, which a %s key cannot produce", scheme, keyName(pub))
	}
	ok := false
	switch p.alg {
	case algRSAPKCS1:
		ok = rsa.VerifyPKCS1v15(pub.(*rsa.PublicKey), p.hash, digest(p.hash, msg), sig) == nil
	case algRSAPSS:
		ok = rsa.VerifyPSS(pub.(*rsa.PublicKey), p.hash, digest(p.hash, msg), sig, pssOptions(p.hash)) == nil
	case algECDSA:
		ok = ecdsa.VerifyASN1(pub.(*ecdsa.PublicKey), digest(p.hash, msg), sig)
	case algEd25519:
		// ed25519.Verify panics on a public key of the wrong length.
		k := pub.(ed25519.PublicKey)
		ok = len(k) == ed25519.PublicKeySize && ed25519.Verify(k, msg, sig)
	case algDSA:
		ok = verifyDSA(pub.(*dsa.PublicKey), digest(p.hash, msg), sig)
	}
	if !ok {
		return wire.Errorf(wire.AlertDecryptError, "%v signature from the peer does not verify", scheme)
	}
	return nil
}

// legacyDigest is what TLS 1.0 and 1.1 sign: for RSA the 36-byte MD5 || SHA-1
// concatenation (RFC 2246 §7.4.3 and §7.4.8), for ECDSA the SHA-1 hash
// (RFC 4492 §5.4 and §5.8).
func legacyDigest(pub crypto.PublicKey, msg []byte) ([]byte, crypto.Hash, bool) {
	switch pub.(type) {
	case *rsa.PublicKey:
		m, s := md5.Sum(msg), sha1.Sum(msg)
		return append(m[:], s[:]...), crypto.MD5SHA1, true
	case *ecdsa.PublicKey, *dsa.PublicKey:
		// DSA too: "the 20 bytes of the SHA-1 hash are run directly
		// through the Digital Signing Algorithm" (RFC 2246 §7.4.3).
		s := sha1.Sum(msg)
		return s[:], crypto.SHA1, true
	}
	return nil, 0, false
}

// SignLegacy signs msg as TLS 1.0 and 1.1 do, where no scheme is negotiated:
// an RSA key signs MD5(msg) || SHA-1(msg) with PKCS#1 v1.5 padding and no
// DigestInfo (RFC 2246 §4.7), an ECDSA key signs SHA-1(msg) (RFC 4492 §5.4).
// Other keys (Ed25519 among them, RFC 8422 §5.1.3) cannot sign there.
func SignLegacy(signer crypto.Signer, rand io.Reader, msg []byte) ([]byte, error) {
	d, h, ok := legacyDigest(signer.Public(), msg)
	if !ok {
		return nil, fmt.Errorf("signature: a %T key cannot sign in TLS 1.0/1.1", signer.Public())
	}
	sig, err := signer.Sign(rand, d, h) // crypto/rsa signs MD5SHA1 without a DigestInfo prefix
	if err != nil {
		return nil, fmt.Errorf("signature: legacy signing: %w", err)
	}
	return sig, nil
}

// VerifyLegacy checks a TLS 1.0/1.1 signature made as SignLegacy makes it. A
// signature that does not verify is a decrypt_error; a key that cannot sign in
// those versions is an illegal_parameter.
func VerifyLegacy(pub crypto.PublicKey, msg, sig []byte) error {
	d, h, ok := legacyDigest(pub, msg)
	if !ok {
		return wire.Errorf(wire.AlertIllegalParameter, "a %s key cannot sign in TLS 1.0/1.1", keyName(pub))
	}
	switch k := pub.(type) {
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, h, d, sig) == nil
	case *ecdsa.PublicKey:
		ok = ecdsa.VerifyASN1(k, d, sig)
	case *dsa.PublicKey:
		ok = verifyDSA(k, d, sig)
	}
	if !ok {
		return wire.Errorf(wire.AlertDecryptError, "TLS 1.0/1.1 signature from the peer does not verify")
	}
	return nil
}

// SchemesForKey lists the schemes a key can sign with in version, in clasp's
// order of preference; nil for TLS 1.0/1.1, which negotiate no scheme (use
// SignLegacy), and for keys clasp cannot sign with.
//
// TLS 1.2 (RFC 5246 §7.4.1.4.1, RFC 8422 §5.1.3): an ECDSA scheme names only
// the hash, so any ECDSA key may use any of them; the one matching the key's
// curve comes first. RSA prefers PSS (RFC 8446 §4.2.3 rsa_pss_rsae, usable in
// 1.2) over PKCS#1 v1.5; SHA-1 schemes come last.
//
// TLS 1.3 (RFC 8446 §4.2.3, §4.4.3): ECDSA schemes are bound to their curve,
// RSA must use PSS, and PKCS#1 v1.5 and SHA-1 may not sign a handshake.
//
// RSA-PSS with salt = hash length needs a modulus of at least 2·hLen+2 bytes
// (RFC 8017 §9.1.1), so small RSA keys lose the larger PSS hashes.
func SchemesForKey(pub crypto.PublicKey, version suites.Version) []suites.SignatureScheme {
	tls13 := version >= suites.VersionTLS13
	if version < suites.VersionTLS12 {
		return nil
	}
	var out []suites.SignatureScheme
	switch k := pub.(type) {
	case *rsa.PublicKey:
		for _, s := range []suites.SignatureScheme{suites.PSSWithSHA256, suites.PSSWithSHA384, suites.PSSWithSHA512} {
			if k.Size() >= 2*schemes[s].hash.Size()+2 {
				out = append(out, s)
			}
		}
		if !tls13 {
			out = append(out, suites.PKCS1WithSHA256, suites.PKCS1WithSHA384, suites.PKCS1WithSHA512, suites.PKCS1WithSHA1)
		}
	case *ecdsa.PublicKey:
		var own suites.SignatureScheme
		for _, s := range []suites.SignatureScheme{suites.ECDSAWithP256AndSHA256, suites.ECDSAWithP384AndSHA384, suites.ECDSAWithP521AndSHA512} {
			if k.Curve == schemes[s].tls {
				own = s
			}
		}
		if own != 0 {
			out = append(out, own)
		}
		if !tls13 {
			// A key on a curve clasp does not negotiate (P-224, say) gets
			// nothing: such a certificate is a misconfiguration to report,
			// not something to sign with.
			if own == 0 {
				return nil
			}
			for _, s := range []suites.SignatureScheme{suites.ECDSAWithP256AndSHA256, suites.ECDSAWithP384AndSHA384, suites.ECDSAWithP521AndSHA512} {
				if s != own {
					out = append(out, s)
				}
			}
			out = append(out, suites.ECDSAWithSHA1)
		}
	case ed25519.PublicKey:
		if len(k) == ed25519.PublicKeySize {
			out = append(out, suites.Ed25519)
		}
	case *dsa.PublicKey:
		// TLS 1.2 only: TLS 1.3 has no DSA (RFC 8446 §4.2.3).
		if !tls13 {
			out = append(out, suites.DSAWithSHA256, suites.DSAWithSHA384, suites.DSAWithSHA512, suites.DSAWithSHA224, suites.DSAWithSHA1)
		}
	}
	return out
}

// KeyCanUse reports whether pub may sign with scheme in version, under the
// rules of SchemesForKey. The handshake calls it on the peer's choice before
// Verify, and on its own before Sign.
func KeyCanUse(pub crypto.PublicKey, scheme suites.SignatureScheme, version suites.Version) bool {
	return slices.Contains(SchemesForKey(pub, version), scheme)
}

// keyName describes a key type for error messages.
func keyName(pub crypto.PublicKey) string {
	switch pub.(type) {
	case *rsa.PublicKey:
		return "RSA"
	case *ecdsa.PublicKey:
		return "ECDSA"
	case ed25519.PublicKey:
		return "Ed25519"
	case *dsa.PublicKey:
		return "DSA"
	}
	return fmt.Sprintf("%T", pub)
}

// SignSSL3 signs an SSL 3.0 CertificateVerify digest (RFC 6101 §5.6.8:
// md5_hash || sha_hash, 36 bytes): an RSA key signs all 36 bytes, PKCS#1
// v1.5 without a DigestInfo, as TLS 1.0 signs MD5 || SHA-1; an ECDSA key
// signs sha_hash alone, as DSA does in RFC 6101 and as NSS does for ECDSA
// client certificates in SSL 3.0 (RFC 6101 defines no ECDSA).
func SignSSL3(signer crypto.Signer, rand io.Reader, digest []byte) ([]byte, error) {
	if len(digest) != 36 {
		return nil, fmt.Errorf("signature: an SSL 3.0 CertificateVerify digest is 36 bytes, not %d", len(digest))
	}
	switch signer.Public().(type) {
	case *rsa.PublicKey:
		return signer.Sign(rand, digest, crypto.MD5SHA1)
	case *ecdsa.PublicKey, *dsa.PublicKey:
		return signer.Sign(rand, digest[16:], crypto.SHA1)
	}
	return nil, fmt.Errorf("signature: a %T key cannot sign an SSL 3.0 CertificateVerify", signer.Public())
}

// VerifySSL3 checks a signature made as SignSSL3 makes it; a bad one is
// decrypt_error, a key other than RSA illegal_parameter.
func VerifySSL3(pub crypto.PublicKey, digest, sig []byte) error {
	var ok bool
	switch pub := pub.(type) {
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(pub, crypto.MD5SHA1, digest, sig) == nil
	case *ecdsa.PublicKey:
		ok = len(digest) == 36 && ecdsa.VerifyASN1(pub, digest[16:], sig)
	case *dsa.PublicKey:
		ok = len(digest) == 36 && verifyDSA(pub, digest[16:], sig)
	default:
		return wire.Errorf(wire.AlertIllegalParameter, "a %s key cannot sign an SSL 3.0 CertificateVerify", keyName(pub))
	}
	if !ok {
		return wire.Errorf(wire.AlertDecryptError, "SSL 3.0 CertificateVerify signature does not verify")
	}
	return nil
}

package diagnose

import (
	"crypto/rsa"
	"errors"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/wire"
)

// CauseCertificateWeakKey: a certificate of the peer's chain has an RSA key
// too short to be used at all, so the handshake failed where this side had
// to check a signature with it or encrypt to it.
const CauseCertificateWeakKey Cause = "certificate_weak_key"

// minRSAKeyBits is the shortest RSA key crypto/rsa works with (Go 1.24 and
// later, unless GODEBUG=rsa1024min=0): with a shorter one every signature
// check and every encryption fails.
const minRSAKeyBits = 1024

// rsaTooShort is the words crypto/rsa fails with on such a key ("crypto/rsa:
// 512-bit keys are insecure"), which x509 keeps in its errors.
const rsaTooShort = "-bit keys are insecure"

// weakKey recognises a failure caused by an RSA key below minRSAKeyBits in
// the peer's chain: crypto/rsa's own refusal (encrypting the premaster secret,
// checking a certificate's signature), or a handshake signature from a
// leaf with such a key that "does not verify" because crypto/rsa refused
// to check it.
func (x *explainer) weakKey() *Diagnosis {
	chain := x.f.peerChain
	if ve := (*clasp.CertificateVerificationError)(nil); errors.As(x.err, &ve) && len(ve.UnverifiedCertificates) > 0 {
		chain = ve.UnverifiedCertificates
	}
	if len(chain) == 0 {
		return nil
	}
	refused := strings.Contains(x.err.Error(), rsaTooShort)
	var we *wire.Error
	signature := errors.As(x.err, &we) && we.Alert == wire.AlertDecryptError && strings.Contains(we.Message, "signature from the peer does not verify")
	if !refused && !signature {
		return nil
	}
	candidates := chain
	if !refused {
		candidates = chain[:1] // a handshake signature is the leaf's
	}
	for _, c := range candidates {
		k, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok || k.N.BitLen() >= minRSAKeyBits {
			continue
		}
		bits, pos := k.N.BitLen(), x.position(c, chain)
		d := &Diagnosis{Cause: CauseCertificateWeakKey, Evidence: map[string]any{
			"certificate": certFacts(c), "key_type": "RSA", "key_bits": bits, "min_key_bits": minRSAKeyBits}}
		peer := x.t.T(peerWords[x.peer()])
		d.Summary = x.t.T("cert.weak_key.summary", "peer", peer, "position", pos, "subject", certName(c), "bits", bits)
		d.Explanation = capitalize(x.t.T("cert.weak_key.explain", "position", pos, "subject", certName(c), "bits", bits, "error", x.err.Error()))
		d.Fix = x.t.T("cert.weak_key.fix", "peer", peer)
		x.addTraffic(d)
		return d
	}
	return nil
}

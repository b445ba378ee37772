package diagnose

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"strings"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Warning is one way a completed connection is weaker than it should be.
type Warning struct {
	// Code is stable: weak_rsa_key, weak_dh_group, no_secure_renegotiation,
	// no_extended_master_secret, weak_signature_in_chain, expiring_soon,
	// old_version, cbc_without_etm, weak_cipher, no_forward_secrecy,
	// weak_handshake_signature.
	Code string `json:"code"`
	Text string `json:"text"`
}

// expiryWarning is how close to its end a certificate draws a warning.
const expiryWarning = 30 * 24 * time.Hour

// ConnectionWarnings lists the weaknesses of a completed client connection
// from its state and what rec recorded (the DH prime the server sent), in
// lang's words. now is the clock certificate dates are read against.
func ConnectionWarnings(lang string, st clasp.ConnectionState, rec *Recorder, now time.Time) []Warning {
	t := Language(lang)
	var out []Warning
	add := func(code, key string, args ...any) { out = append(out, Warning{Code: code, Text: t.T(key, args...)}) }
	if len(st.PeerCertificates) > 0 {
		leaf := st.PeerCertificates[0]
		if k, ok := leaf.PublicKey.(*rsa.PublicKey); ok && k.N.BitLen() < 2048 {
			add("weak_rsa_key", "warn.weak_rsa_key", "bits", k.N.BitLen(), "subject", certName(leaf))
		}
		if left := leaf.NotAfter.Sub(now); left < expiryWarning {
			add("expiring_soon", "warn.expiring_soon", "subject", certName(leaf),
				"date", leaf.NotAfter.UTC().Format(time.RFC3339), "left", humanDuration(t, max(left, 0)))
		}
	}
	for i, c := range st.PeerCertificates {
		if alg := weakSignature(c); alg != "" && !(i > 0 && selfSigned(c)) {
			add("weak_signature_in_chain", "warn.weak_signature", "subject", certName(c), "algorithm", alg)
		}
	}
	if bits := dhPrimeBits(rec); bits > 0 && bits < 2048 {
		add("weak_dh_group", "warn.weak_dh_group", "bits", bits)
	}
	v := suites.Version(st.Version)
	if v < suites.VersionTLS13 {
		if v < suites.VersionTLS12 {
			add("old_version", "warn.old_version", "version", v.String())
		}
		if !st.SecureRenegotiation {
			add("no_secure_renegotiation", "warn.no_secure_renegotiation")
		}
		if !st.ExtendedMasterSecret && !st.DidResume {
			add("no_extended_master_secret", "warn.no_ems")
		}
	}
	if s := suites.SuiteByID(suites.ID(st.CipherSuite)); s != nil {
		switch {
		case s.Cipher == suites.CipherRC4_128 || s.Cipher == suites.Cipher3DES:
			add("weak_cipher", "warn.weak_cipher", "suite", s.Name)
		case !s.IsAEAD() && s.Cipher != suites.CipherNULL && !st.EncryptThenMAC:
			// With encrypt_then_mac agreed (RFC 7366) the MAC covers the
			// CBC ciphertext and there is no padding oracle to warn about.
			add("cbc_without_etm", "warn.cbc_without_etm", "suite", s.Name)
		}
		if v < suites.VersionTLS13 && !s.ForwardSecret() {
			add("no_forward_secrecy", "warn.no_forward_secrecy", "suite", s.Name)
		}
	}
	if info := suites.SchemeByID(suites.SignatureScheme(st.SignatureScheme)); info != nil && (info.Hash == crypto.SHA1 || info.Hash == crypto.MD5) {
		add("weak_handshake_signature", "warn.weak_handshake_signature", "scheme", info.Name)
	}
	if st.ResumedBy == "psk_ke" {
		add("no_forward_secrecy", "warn.psk_ke")
	}
	return out
}

// weakSignature names a certificate's signature algorithm when it is SHA-1
// or MD5 based, "" otherwise.
func weakSignature(c *x509.Certificate) string {
	switch c.SignatureAlgorithm {
	case x509.SHA1WithRSA, x509.DSAWithSHA1, x509.ECDSAWithSHA1, x509.MD5WithRSA, x509.MD2WithRSA:
		return c.SignatureAlgorithm.String()
	}
	return ""
}

// dhPrimeBits is the size of the DHE prime the server sent in its
// ServerKeyExchange, 0 when there was none.
func dhPrimeBits(rec *Recorder) int {
	if rec == nil {
		return 0
	}
	return gather(rec, "client").peerDHBits
}

// coveredBy says, for each code, the words of the stack's own warning
// (ConnectionState.Warnings) that already tell the same thing, so that a
// command printing both prints each weakness once.
var coveredBy = map[string][]string{
	"old_version":               {"RFC 8996"},
	"no_extended_master_secret": {"extended master secret"},
	"weak_cipher":               {"RC4", "64-bit block"},
	"cbc_without_etm":           {"MAC-then-encrypt"},
	"no_forward_secrecy":        {"forward secrecy"},
}

// Covered reports whether one of existing already states w.
func (w Warning) Covered(existing []string) bool {
	for _, e := range existing {
		for _, words := range coveredBy[w.Code] {
			if strings.Contains(e, words) {
				return true
			}
		}
	}
	return false
}

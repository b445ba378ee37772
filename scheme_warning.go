package clasp

import (
	"crypto"
	"fmt"

	"github.com/clasp-tls/clasp/internal/suites"
)

// schemeWarning is the warning of a connection whose handshake signature
// uses SHA-1 (rsa_pkcs1_sha1, ecdsa_sha1, dsa_sha1): RFC 9155 deprecates
// them in TLS 1.2, and clasp uses one only when Config.SignatureSchemes
// names it. It is "" for every other scheme.
func schemeWarning(s suites.SignatureScheme) string {
	info := suites.SchemeByID(s)
	if info == nil || info.Hash != crypto.SHA1 {
		return ""
	}
	return fmt.Sprintf("signature scheme %s signs with SHA-1, which RFC 9155 deprecates in TLS 1.2 (chosen-prefix collisions); used because Config.SignatureSchemes names it", info.Name)
}

// warnScheme records schemeWarning(s) when there is one.
func (c *Conn) warnScheme(s suites.SignatureScheme) {
	if w := schemeWarning(s); w != "" {
		c.warn(w)
	}
}

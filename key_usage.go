package clasp

import (
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// keyUse is what a peer's leaf key does in a handshake.
type keyUse int

const (
	// keyUseSign: the key signs a ServerKeyExchange (ECDHE, DHE) or a
	// CertificateVerify (either side, TLS 1.2 and 1.3).
	keyUseSign keyUse = iota
	// keyUseEncipher: the key decrypts the premaster secret of RSA key
	// exchange.
	keyUseEncipher
)

// oidKeyUsage is id-ce-keyUsage (RFC 5280 §4.2.1.3).
var oidKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 15}

// checkPeerKeyUsage applies RFC 5280 §4.2.1.3 to the peer's leaf: when the
// keyUsage extension is present, the key may be used only as it says —
// digitalSignature to sign handshake messages (RFC 8446 §4.4.2.2: the
// server's certificate "MUST allow the key to be used for signing ... with
// a signature scheme indicated in the client's "signature_algorithms""),
// keyEncipherment to receive an RSA-encrypted premaster (RFC 5246 §7.4.2:
// "RSA public key; the certificate MUST allow the key to be used for
// encryption (the keyEncipherment bit MUST be set if the key usage
// extension is present)"). A leaf without the extension may be used for
// anything. The alert is unsupported_certificate, which OpenSSL 3 sends
// when a peer's keyUsage rules out TLS. Config.InsecureSkipKeyUsageCheck
// lets such a leaf through with a warning.
func (c *Conn) checkPeerKeyUsage(leaf *x509.Certificate, use keyUse) error {
	need, bit := x509.KeyUsageDigitalSignature, "digitalSignature"
	if use == keyUseEncipher {
		need, bit = x509.KeyUsageKeyEncipherment, "keyEncipherment"
	}
	present := slices.ContainsFunc(leaf.Extensions, func(e pkix.Extension) bool { return e.Id.Equal(oidKeyUsage) })
	if !present || leaf.KeyUsage&need != 0 {
		return nil
	}
	side := "server"
	if !c.isClient {
		side = "client"
	}
	what := fmt.Sprintf("the %s certificate's keyUsage lacks %s", side, bit)
	if !c.config.InsecureSkipKeyUsageCheck {
		return wire.Errorf(wire.AlertUnsupportedCertificate, "%s (RFC 5280 §4.2.1.3), which this handshake needs", what)
	}
	warning := "InsecureSkipKeyUsageCheck: " + what + ", and the key was used for it anyway"
	c.warn(warning)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "peer_key_usage", Chosen: "accepted", ReasonCode: "key_usage_not_checked",
			Reason: what + "; accepted because InsecureSkipKeyUsageCheck is set", Warning: warning})
	}
	return nil
}

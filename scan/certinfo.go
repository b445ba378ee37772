package scan

import (
	"bytes"
	"crypto/dsa"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/ocsp"
)

// CertInfo is what one certificate of a chain says.
type CertInfo struct {
	Subject string   `json:"subject"`
	Issuer  string   `json:"issuer"`
	SANs    []string `json:"sans,omitempty"`
	Serial  string   `json:"serial"`
	// NotBefore and NotAfter bound the validity; DaysLeft is whole days
	// from the scan to NotAfter, negative once it has passed.
	NotBefore time.Time `json:"not_before"`
	NotAfter  time.Time `json:"not_after"`
	DaysLeft  int       `json:"days_left"`
	// KeyType is "RSA", "ECDSA", "Ed25519", "DSA" or "unknown"; KeyBits
	// the modulus or field size; Key both for people ("ECDSA P-256").
	KeyType string `json:"key_type"`
	KeyBits int    `json:"key_bits"`
	Key     string `json:"key"`
	// SignatureAlgorithm is crypto/x509's name for the issuer's signature
	// ("SHA256-RSA", "ECDSA-SHA384").
	SignatureAlgorithm string `json:"signature_algorithm"`
	SHA256             string `json:"sha256"`
	IsCA               bool   `json:"is_ca"`
	SelfSigned         bool   `json:"self_signed"`
}

// Object identifiers read from the leaf: the TLS feature extension (RFC
// 7633 §6, id-pe-tlsfeature), whose status_request (5) feature is
// "must-staple", and the embedded SCT list (RFC 6962 §3.3).
var (
	oidTLSFeature  = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 1, 24}
	oidEmbeddedSCT = asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11129, 2, 4, 2}
)

const featureStatusRequest = 5

func certInfo(c *x509.Certificate, now time.Time) CertInfo {
	sum := sha256.Sum256(c.Raw)
	info := CertInfo{
		Subject:            c.Subject.String(),
		Issuer:             c.Issuer.String(),
		Serial:             c.SerialNumber.Text(16),
		NotBefore:          c.NotBefore.UTC(),
		NotAfter:           c.NotAfter.UTC(),
		DaysLeft:           int(math.Floor(c.NotAfter.Sub(now).Hours() / 24)),
		SignatureAlgorithm: c.SignatureAlgorithm.String(),
		SHA256:             hex.EncodeToString(sum[:]),
		IsCA:               c.IsCA,
		SelfSigned:         selfSigned(c),
	}
	info.KeyType, info.KeyBits = keyOf(c)
	info.Key = describeKey(info.KeyType, info.KeyBits, c)
	info.SANs = append(info.SANs, c.DNSNames...)
	for _, ip := range c.IPAddresses {
		info.SANs = append(info.SANs, "IP:"+ip.String())
	}
	for _, e := range c.EmailAddresses {
		info.SANs = append(info.SANs, "email:"+e)
	}
	for _, u := range c.URIs {
		info.SANs = append(info.SANs, "URI:"+u.String())
	}
	return info
}

// keyOf names the certificate's public key type and size.
func keyOf(c *x509.Certificate) (string, int) {
	switch k := c.PublicKey.(type) {
	case *rsa.PublicKey:
		return "RSA", k.N.BitLen()
	case *ecdsa.PublicKey:
		return "ECDSA", k.Curve.Params().BitSize
	case ed25519.PublicKey:
		return "Ed25519", 255
	case *dsa.PublicKey:
		return "DSA", k.P.BitLen()
	}
	return "unknown", 0
}

func describeKey(typ string, bits int, c *x509.Certificate) string {
	switch typ {
	case "ECDSA":
		return "ECDSA " + c.PublicKey.(*ecdsa.PublicKey).Curve.Params().Name
	case "Ed25519":
		return "Ed25519"
	case "unknown":
		return c.PublicKeyAlgorithm.String()
	}
	return fmt.Sprintf("%s %d", typ, bits)
}

// leafKey describes the key of a chain's leaf, "" when it does not parse.
func leafKey(chain [][]byte) string {
	if len(chain) == 0 {
		return ""
	}
	c, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return ""
	}
	typ, bits := keyOf(c)
	return describeKey(typ, bits, c)
}

// selfSigned reports whether c names itself as issuer and its signature
// verifies with its own key.
func selfSigned(c *x509.Certificate) bool {
	return bytes.Equal(c.RawIssuer, c.RawSubject) && c.CheckSignatureFrom(c) == nil
}

// issues reports whether parent signed child.
func issues(parent, child *x509.Certificate) bool {
	return bytes.Equal(child.RawIssuer, parent.RawSubject) && child.CheckSignatureFrom(parent) == nil
}

// chainPath follows the issuers of the leaf through the certificates sent
// and returns their positions, leaf first; certificates off the path are
// unused.
func chainPath(certs []*x509.Certificate) []int {
	path := []int{0}
	for {
		cur := certs[path[len(path)-1]]
		if selfSigned(cur) {
			return path
		}
		next := slices.IndexFunc(certs, func(c *x509.Certificate) bool { return issues(c, cur) })
		if next < 0 || slices.Contains(path, next) {
			return path
		}
		path = append(path, next)
	}
}

// MustStaple reports whether the leaf's TLS feature extension asks for
// status_request (RFC 7633 §4.2.3.1): the "must-staple" certificates.
func MustStaple(c *x509.Certificate) bool {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidTLSFeature) {
			continue
		}
		var features []int
		if rest, err := asn1.Unmarshal(ext.Value, &features); err == nil && len(rest) == 0 {
			return slices.Contains(features, featureStatusRequest)
		}
	}
	return false
}

// embeddedSCTs counts the SCTs in the leaf's extension: an OCTET STRING
// holding a SignedCertificateTimestampList (RFC 6962 §3.3), itself a
// uint16-length list of uint16-length SCTs. -1 when it is malformed.
func embeddedSCTs(c *x509.Certificate) int {
	for _, ext := range c.Extensions {
		if !ext.Id.Equal(oidEmbeddedSCT) {
			continue
		}
		var list []byte
		if rest, err := asn1.Unmarshal(ext.Value, &list); err != nil || len(rest) != 0 {
			return -1
		}
		return countSCTs(list)
	}
	return 0
}

// countSCTs counts the entries of a SignedCertificateTimestampList, -1
// when it does not parse.
func countSCTs(list []byte) int {
	s := cryptobyte.String(list)
	var scts cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&scts) || !s.Empty() {
		return -1
	}
	n := 0
	for !scts.Empty() {
		var sct cryptobyte.String
		if !scts.ReadUint16LengthPrefixed(&sct) || sct.Empty() {
			return -1
		}
		n++
	}
	return n
}

// OCSPInfo is a stapled OCSP response as the scan read it.
type OCSPInfo struct {
	// Status is "good", "revoked", "unknown", or "unparseable: why".
	Status     string    `json:"status"`
	ProducedAt time.Time `json:"produced_at,omitzero"`
	ThisUpdate time.Time `json:"this_update,omitzero"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	// SignatureValid is whether the response verifies against the leaf's
	// issuer as sent (false when the issuer was not sent).
	SignatureValid bool `json:"signature_valid"`
}

var ocspStatus = map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked", ocsp.Unknown: "unknown"}

// readOCSP parses a stapled response for the leaf, checking its signature
// against issuer when there is one.
func readOCSP(der []byte, leaf, issuer *x509.Certificate) *OCSPInfo {
	var resp *ocsp.Response
	var err error
	if issuer != nil {
		resp, err = ocsp.ParseResponseForCert(der, leaf, issuer)
	}
	info := &OCSPInfo{SignatureValid: issuer != nil && err == nil}
	if issuer == nil || err != nil {
		// Read it without checking the signature, to say what it claims.
		var serr error
		if resp, serr = ocsp.ParseResponse(der, nil); serr != nil {
			if err == nil {
				err = serr
			}
			info.Status = "unparseable: " + err.Error()
			return info
		}
	}
	info.Status = ocspStatus[resp.Status]
	info.ProducedAt, info.ThisUpdate, info.NextUpdate = resp.ProducedAt.UTC(), resp.ThisUpdate.UTC(), resp.NextUpdate.UTC()
	if resp.SerialNumber != nil && resp.SerialNumber.Cmp(leaf.SerialNumber) != 0 {
		info.Status = "unknown: the response is for serial " + resp.SerialNumber.Text(16)
	}
	return info
}

// verifyError says in one phrase why crypto/x509 refused a chain.
func verifyError(err error) string {
	var inv x509.CertificateInvalidError
	var ua x509.UnknownAuthorityError
	switch {
	case errors.As(err, &inv) && inv.Reason == x509.Expired:
		return "expired or not yet valid: " + inv.Detail
	case errors.As(err, &ua):
		return "no path to a trusted root: " + ua.Error()
	}
	return err.Error()
}

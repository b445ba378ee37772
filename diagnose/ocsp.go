package diagnose

import (
	"crypto/x509"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/clasp-tls/clasp"
)

// CauseCertificateRevoked: the OCSP response the server stapled says its
// own certificate is revoked.
const CauseCertificateRevoked Cause = "certificate_revoked"

// revocationReasons names RFC 5280 §5.3.1 CRLReason values.
var revocationReasons = map[int]string{
	ocsp.Unspecified: "unspecified", ocsp.KeyCompromise: "keyCompromise", ocsp.CACompromise: "cACompromise",
	ocsp.AffiliationChanged: "affiliationChanged", ocsp.Superseded: "superseded",
	ocsp.CessationOfOperation: "cessationOfOperation", ocsp.CertificateHold: "certificateHold",
	ocsp.RemoveFromCRL: "removeFromCRL", ocsp.PrivilegeWithdrawn: "privilegeWithdrawn", ocsp.AACompromise: "aACompromise",
}

// StapledRevocation reads the OCSP response a server stapled (RFC 6066 §8,
// RFC 8446 §4.4.2.1) and returns the diagnosis of a revoked certificate,
// or nil when there is no response, it cannot be checked against the
// leaf's issuer, or it does not say revoked. The stack hands the response
// over unjudged, as crypto/tls does; this is where it is read.
func StapledRevocation(lang string, st clasp.ConnectionState, now time.Time) *Diagnosis {
	if len(st.OCSPResponse) == 0 || len(st.PeerCertificates) == 0 {
		return nil
	}
	leaf := st.PeerCertificates[0]
	issuer := issuerOf(leaf, st)
	if issuer == nil {
		return nil
	}
	resp, err := ocsp.ParseResponseForCert(st.OCSPResponse, leaf, issuer)
	if err != nil || resp.Status != ocsp.Revoked {
		return nil
	}
	t := Language(lang)
	reason := revocationReasons[resp.RevocationReason]
	d := &Diagnosis{Cause: CauseCertificateRevoked, Evidence: map[string]any{
		"certificate": certFacts(leaf), "revoked_at": resp.RevokedAt.UTC(), "revocation_reason": reason,
		"ocsp_produced_at": resp.ProducedAt.UTC(), "ocsp_responder": issuer.Subject.String(), "local_time": now.UTC()}}
	d.Summary = t.T("cert.revoked.summary", "subject", certName(leaf), "date", resp.RevokedAt.UTC().Format(time.RFC3339), "reason", reason)
	d.Explanation = t.T("cert.revoked.explain", "subject", certName(leaf), "serial", leaf.SerialNumber.String(),
		"issuer", issuer.Subject.String(), "date", resp.RevokedAt.UTC().Format(time.RFC3339), "reason", reason)
	d.Fix = t.T("cert.revoked.fix")
	return d
}

// issuerOf finds the certificate that issued leaf: in the verified chain,
// else among the certificates the server sent.
func issuerOf(leaf *x509.Certificate, st clasp.ConnectionState) *x509.Certificate {
	for _, chain := range st.VerifiedChains {
		if len(chain) > 1 {
			return chain[1]
		}
	}
	for _, c := range st.PeerCertificates[1:] {
		if leaf.CheckSignatureFrom(c) == nil {
			return c
		}
	}
	return nil
}

package scan

import (
	"crypto/x509"
	"fmt"
	"slices"
	"time"
)

// Chain is one certificate chain the server presented, with what the scan
// made of it.
type Chain struct {
	// SeenWith lists the probes that got this chain: the version, the
	// kind of key asked for, and the SNI ("TLS 1.2, ECDSA schemes, SNI
	// example.com"; "no SNI").
	SeenWith []string `json:"seen_with"`
	// Certificates are as sent, leaf first.
	Certificates []CertInfo `json:"certificates"`
	// Trusted: crypto/x509 builds a path from the leaf to a trusted root
	// (the system's, or --cafile's) with the certificates sent, for server
	// authentication, valid now. TrustError says why not.
	Trusted    bool   `json:"trusted"`
	TrustError string `json:"trust_error,omitempty"`
	// Hostname is the name checked against the leaf (the SNI sent, else
	// the target's host); HostnameMatch whether the leaf covers it.
	Hostname      string `json:"hostname"`
	HostnameMatch bool   `json:"hostname_match"`
	// InOrder: each certificate sent after the leaf issued the one before
	// it (RFC 5246 §7.4.2; RFC 8446 §4.4.2 only asks that the leaf come
	// first, but many clients still expect order).
	InOrder bool `json:"in_order"`
	// Complete: the issuers sent reach a self-signed certificate or one a
	// trusted root issued. MissingIssuer names the issuer of the last
	// certificate on the path when that is neither (a missing
	// intermediate, or a CA the roots do not hold).
	Complete      bool   `json:"complete"`
	MissingIssuer string `json:"missing_issuer,omitempty"`
	// RootSent: the chain ends with a self-signed root, which clients
	// must already have (RFC 8446 §4.4.2 lets a server omit it).
	RootSent bool `json:"root_sent"`
	// Unused counts certificates sent that are not on the leaf's path.
	Unused int `json:"unused"`
	// OCSPStapled: the server stapled an OCSP response when asked (the
	// scan sends status_request); OCSP is that response.
	OCSPStapled bool      `json:"ocsp_stapled"`
	OCSP        *OCSPInfo `json:"ocsp,omitempty"`
	// StaplingAsked is false when the chain was seen only through a TLS
	// 1.3 handshake of clasp's own client, which does not send
	// status_request or signed_certificate_timestamp: OCSPStapled and
	// SCTs.TLSExtension then say nothing.
	StaplingAsked bool `json:"stapling_asked"`
	// MustStaple: the leaf's TLS feature extension requires stapling
	// (RFC 7633).
	MustStaple bool `json:"must_staple"`
	// SCTs counts signed certificate timestamps by where they came:
	// embedded in the leaf, and in the TLS extension.
	SCTs SCTCount `json:"scts"`
	// Problems lists, one sentence each, what is wrong with the chain.
	Problems []string `json:"problems,omitempty"`

	// leafKey is the leaf's key description, for matching schemes.
	leafKey string
	leaf    *x509.Certificate
}

// SCTCount is how many SCTs the server delivered, by way.
type SCTCount struct {
	Embedded     int `json:"embedded"`
	TLSExtension int `json:"tls_extension"`
}

// presented is one chain as a probe got it, before analysis.
type presented struct {
	der      [][]byte
	ocsp     []byte
	tlsSCTs  int
	seenWith string
	// asked is whether the probe sent status_request and
	// signed_certificate_timestamp.
	asked bool
}

// analyseChain works out what Chain says about certs (leaf first) for a
// client that checks hostname against roots (nil: the system's) at now.
func analyseChain(p presented, hostname string, roots *x509.CertPool, now time.Time) (*Chain, error) {
	certs := make([]*x509.Certificate, len(p.der))
	for i, der := range p.der {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Errorf("certificate %d of the chain does not parse: %w", i, err)
		}
		certs[i] = c
	}
	leaf := certs[0]
	ch := &Chain{SeenWith: []string{p.seenWith}, Hostname: hostname, StaplingAsked: p.asked, leaf: leaf}
	for _, c := range certs {
		ch.Certificates = append(ch.Certificates, certInfo(c, now))
	}
	ch.leafKey = ch.Certificates[0].Key
	ch.MustStaple, ch.SCTs = MustStaple(leaf), SCTCount{Embedded: embeddedSCTs(leaf), TLSExtension: p.tlsSCTs}
	ch.HostnameMatch = hostname != "" && leaf.VerifyHostname(hostname) == nil
	ch.checkPath(certs, roots, now)
	ch.checkTrust(certs, roots, now)
	if len(p.ocsp) > 0 {
		ch.OCSPStapled = true
		var issuer *x509.Certificate
		if len(certs) > 1 && issues(certs[1], leaf) {
			issuer = certs[1]
		}
		ch.OCSP = readOCSP(p.ocsp, leaf, issuer)
	}
	ch.listProblems(now)
	return ch, nil
}

// checkPath judges order, completeness and extra certificates.
func (ch *Chain) checkPath(certs []*x509.Certificate, roots *x509.CertPool, now time.Time) {
	path := chainPath(certs)
	ch.InOrder = slices.Equal(path, inOrder(len(path)))
	ch.Unused = len(certs) - len(path)
	top := certs[path[len(path)-1]]
	switch {
	case selfSigned(top):
		ch.Complete = true
		ch.RootSent = len(path) > 1
	case issuedByRoot(top, roots, now):
		ch.Complete = true
	default:
		ch.MissingIssuer = top.Issuer.String()
	}
}

func inOrder(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// issuedByRoot reports whether a root in roots issued c.
func issuedByRoot(c *x509.Certificate, roots *x509.CertPool, now time.Time) bool {
	_, err := c.Verify(x509.VerifyOptions{Roots: roots, CurrentTime: now, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny}})
	return err == nil
}

// checkTrust runs crypto/x509's path building as a client would, without
// the host name (reported on its own).
func (ch *Chain) checkTrust(certs []*x509.Certificate, roots *x509.CertPool, now time.Time) {
	inter := x509.NewCertPool()
	for _, c := range certs[1:] {
		inter.AddCert(c)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: now,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}})
	ch.Trusted = err == nil
	if err != nil {
		ch.TrustError = verifyError(err)
	}
}

// listProblems writes what is wrong, one sentence each, most serious first.
func (ch *Chain) listProblems(now time.Time) {
	add := func(format string, args ...any) { ch.Problems = append(ch.Problems, fmt.Sprintf(format, args...)) }
	leaf := ch.Certificates[0]
	switch {
	case now.After(ch.leaf.NotAfter):
		add("the leaf expired on %s (%d days ago)", leaf.NotAfter.Format(time.DateOnly), -leaf.DaysLeft)
	case now.Before(ch.leaf.NotBefore):
		add("the leaf is not valid before %s", leaf.NotBefore.Format(time.DateOnly))
	}
	if ch.Hostname != "" && !ch.HostnameMatch {
		add("the leaf does not cover %q (subject %s, SANs %v)", ch.Hostname, leaf.Subject, leaf.SANs)
	}
	if ch.MissingIssuer != "" {
		add("incomplete chain: the issuer %q of the last certificate sent was not sent and is not a trusted root (a missing intermediate, or an untrusted CA)", ch.MissingIssuer)
	}
	if !ch.InOrder {
		add("wrong order: the certificates after the leaf are not each the issuer of the one before")
	}
	if ch.Unused > 0 {
		add("%d certificate(s) sent that are not on the leaf's path", ch.Unused)
	}
	if ch.RootSent {
		add("the root certificate is sent; clients must have it already, so it only adds bytes")
	}
	if !ch.Trusted && ch.MissingIssuer == "" {
		add("not trusted: %s", ch.TrustError)
	}
	if ch.MustStaple && ch.StaplingAsked && !ch.OCSPStapled {
		add("the leaf is must-staple (RFC 7633) but no OCSP response was stapled: clients that honour it refuse the connection")
	}
	for i, c := range ch.Certificates {
		if i < len(ch.Certificates)-1 || !c.SelfSigned {
			if weakSignature(c.SignatureAlgorithm) {
				add("%s is signed with %s", c.Subject, c.SignatureAlgorithm)
			}
		}
	}
}

// weakSignature reports a certificate signature algorithm whose hash is
// broken for signatures (MD5, SHA-1). A root's own self-signature does
// not count: nobody checks it.
func weakSignature(alg string) bool {
	switch alg {
	case x509.MD2WithRSA.String(), x509.MD5WithRSA.String(), x509.SHA1WithRSA.String(),
		x509.DSAWithSHA1.String(), x509.ECDSAWithSHA1.String():
		return true
	}
	return false
}

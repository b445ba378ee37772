package diagnose

import (
	"crypto/x509"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/clasp-tls/clasp"
)

// certificate explains a CertificateVerificationError: which certificate of
// the peer's chain failed which check, against what.
func (x *explainer) certificate(ve *clasp.CertificateVerificationError) *Diagnosis {
	chain := ve.UnverifiedCertificates
	if len(chain) == 0 {
		chain = x.f.peerChain
	}
	d := &Diagnosis{Evidence: map[string]any{"peer_chain": chainFacts(chain)}}
	whose := "the server's"
	if x.side == "server" {
		whose = "the client's"
	}
	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	var sysRoots x509.SystemRootsError
	if weak := x.weakSignatureIn(d, chain, ve.Err); weak != nil {
		return weak
	}
	switch {
	case errors.As(ve.Err, &hostErr):
		return x.hostname(d, hostErr)
	case errors.As(ve.Err, &invalid) && invalid.Reason == x509.Expired:
		return x.validity(d, invalid.Cert, chain, whose)
	case errors.As(ve.Err, &invalid):
		d.Cause = CauseCertificateInvalid
		pos := positionIn(invalid.Cert, chain)
		d.Summary = fmt.Sprintf("%s certificate was rejected: %v", whose, invalid)
		d.Explanation = fmt.Sprintf("The %s %s failed a check: %v.", pos, certName(invalid.Cert), invalid)
		if invalid.Reason == x509.IncompatibleUsage {
			need := map[string]string{"client": "serverAuth", "server": "clientAuth"}[x.side]
			d.Cause = CauseCertificateWrongUsage
			d.Evidence["extended_key_usage"] = ekuNames(invalid.Cert)
			d.Summary = x.t.T("cert.eku.summary", "peer", x.t.T(peerWords[x.peer()]), "position", pos, "subject", certName(invalid.Cert),
				"eku", ekuNames(invalid.Cert), "need", need)
			d.Explanation += fmt.Sprintf(" Its extended key usage is %s, and %s requires %s.", ekuNames(invalid.Cert), x.side, need)
			d.Fix = fmt.Sprintf("On the %s: use a certificate issued for %s authentication.", x.peer(), x.peer())
		} else {
			d.Fix = fmt.Sprintf("On the %s: use a certificate chain that passes this check; reissue the certificate if needed.", x.peer())
		}
		return d
	case errors.As(ve.Err, &unknown):
		return x.untrusted(d, chain, whose)
	case errors.As(ve.Err, &sysRoots):
		d.Cause = CauseCertificateUntrusted
		d.Summary = "no trusted roots: the system's CA certificates could not be loaded"
		d.Explanation = fmt.Sprintf("%s chain (%s) could not be checked because this system has no usable root certificates: %v.", capitalize(whose), describeChain(chain), sysRoots)
		d.Fix = "Install the system's CA certificates (Debian: apt-get install ca-certificates), or pass the CA to trust with --cafile."
		return d
	}
	d.Cause = CauseCertificateInvalid
	d.Summary = fmt.Sprintf("%s certificate was rejected: %v", whose, ve.Err)
	d.Explanation = fmt.Sprintf("%s chain (%s) was rejected: %v.", capitalize(whose), describeChain(chain), ve.Err)
	d.Fix = "Check the certificate against the reason above; when a VerifyPeerCertificate hook rejected it, the hook's own checks apply."
	return d
}

func ekuNames(c *x509.Certificate) string {
	names := map[x509.ExtKeyUsage]string{x509.ExtKeyUsageServerAuth: "serverAuth", x509.ExtKeyUsageClientAuth: "clientAuth",
		x509.ExtKeyUsageCodeSigning: "codeSigning", x509.ExtKeyUsageEmailProtection: "emailProtection", x509.ExtKeyUsageAny: "any"}
	var out []string
	for _, u := range c.ExtKeyUsage {
		if n, ok := names[u]; ok {
			out = append(out, n)
		} else {
			out = append(out, fmt.Sprint(int(u)))
		}
	}
	if len(out) == 0 {
		return "(none)"
	}
	return strings.Join(out, ", ")
}

// positionIn names a certificate's place in the chain: "leaf certificate",
// "intermediate certificate [1]".
func positionIn(c *x509.Certificate, chain []*x509.Certificate) string {
	for i, cc := range chain {
		if c != nil && cc.Equal(c) {
			if i == 0 {
				return "leaf certificate"
			}
			if selfSigned(cc) {
				return fmt.Sprintf("root certificate [%d]", i)
			}
			return fmt.Sprintf("intermediate certificate [%d]", i)
		}
	}
	return "certificate"
}

func (x *explainer) hostname(d *Diagnosis, he x509.HostnameError) *Diagnosis {
	c := he.Certificate
	d.Cause = CauseCertificateHostnameMismatch
	names := append(append([]string{}, c.DNSNames...), ipStrings(c)...)
	d.Evidence["host"] = he.Host
	d.Evidence["certificate_names"] = names
	d.Evidence["certificate_subject"] = c.Subject.String()
	d.Summary = fmt.Sprintf("the certificate is not valid for %q: it names %s", he.Host, quoteList(names))
	d.Explanation = fmt.Sprintf("This client checked the server's certificate %s for the name %q, but the certificate is valid only for [%s].",
		certName(c), he.Host, quoteList(names))
	if len(names) == 0 && c.Subject.CommonName != "" {
		d.Explanation += fmt.Sprintf(" It carries the name %q only in its Common Name, which is no longer used for name checks (RFC 6125, and every current browser and library): names must be in the Subject Alternative Name extension.", c.Subject.CommonName)
	}
	if sni := serverNameOf(x.f.clientHello); sni != "" && sni == he.Host {
		d.Explanation += fmt.Sprintf(" The same name was sent as SNI, so a server hosting several names chose this certificate for %q (or has no certificate for it).", sni)
	}
	fix := "On this client: connect with a name the certificate holds"
	if len(names) > 0 {
		fix += fmt.Sprintf(" (--servername %s)", names[0])
	}
	d.Fix = fix + fmt.Sprintf(". Or on the server: install a certificate whose Subject Alternative Names include %q (or serve it for that SNI name).", he.Host)
	return d
}

// validity explains an expired or not-yet-valid certificate, from its
// dates against the local clock.
func (x *explainer) validity(d *Diagnosis, c *x509.Certificate, chain []*x509.Certificate, whose string) *Diagnosis {
	if c == nil && len(chain) > 0 {
		c = chain[0]
	}
	now := x.now
	pos := positionIn(c, chain)
	d.Evidence["certificate"] = certFacts(c)
	d.Evidence["position"] = pos
	d.Evidence["local_time"] = now.UTC()
	dates := fmt.Sprintf("valid from %s until %s", c.NotBefore.UTC().Format(time.RFC3339), c.NotAfter.UTC().Format(time.RFC3339))
	peer := x.peer()
	switch {
	case now.Before(c.NotBefore):
		d.Cause = CauseCertificateNotYetValid
		gap := c.NotBefore.Sub(now)
		d.Evidence["not_yet_valid_for"] = gap.String()
		d.Summary = fmt.Sprintf("%s %s %s is not valid yet: it starts %s", whose, pos, certName(c), c.NotBefore.UTC().Format(time.RFC3339))
		d.Explanation = fmt.Sprintf("The %s %s is %s; the local clock says %s, %s before it becomes valid.",
			pos, certName(c), dates, now.UTC().Format(time.RFC3339), humanDuration(gap))
		d.Fix = fmt.Sprintf("If this machine's clock is right, the %s uses a certificate issued for the future: on the %s, install one valid now. If the clock is wrong (a machine without NTP, a VM restored from a snapshot), fix the clock here.", peer, peer)
	default:
		d.Cause = CauseCertificateExpired
		gap := now.Sub(c.NotAfter)
		d.Evidence["expired_for"] = gap.String()
		d.Summary = fmt.Sprintf("%s %s %s expired on %s", whose, pos, certName(c), c.NotAfter.UTC().Format(time.RFC3339))
		d.Explanation = fmt.Sprintf("The %s %s is %s; the local clock says %s, %s after it expired.",
			pos, certName(c), dates, now.UTC().Format(time.RFC3339), humanDuration(gap))
		d.Fix = fmt.Sprintf("On the %s: renew the certificate and install the new one (and reload the service).", peer)
		if pos != "leaf certificate" {
			d.Fix = fmt.Sprintf("On the %s: the chain it sends contains an expired CA certificate; replace it with the CA's current certificate (download the current chain from the CA).", peer)
		}
		d.Fix += " If this machine's clock is wrong, fix the clock here instead."
	}
	return d
}

func humanDuration(d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%d days", int(math.Round(d.Hours()/24)))
	case d >= 2*time.Hour:
		return fmt.Sprintf("%d hours", int(math.Round(d.Hours())))
	case d >= 2*time.Minute:
		return fmt.Sprintf("%d minutes", int(math.Round(d.Minutes())))
	}
	return fmt.Sprintf("%d seconds", int(math.Round(d.Seconds())))
}

// untrusted follows the chain the peer sent from its leaf upward, and
// says where it stops: at a self-signed root this side does not trust, at
// a CA certificate whose issuer (a root) is not trusted, or at the leaf
// itself because the peer left out the intermediate that issued it.
func (x *explainer) untrusted(d *Diagnosis, chain []*x509.Certificate, whose string) *Diagnosis {
	if len(chain) == 0 {
		d.Cause = CauseCertificateUntrusted
		d.Summary = whose + " certificate is not trusted"
		d.Explanation = "The peer's certificate was signed by an authority this side does not trust (" + x.err.Error() + ")."
		d.Fix = "Pass the issuing CA's certificate with --cafile."
		return d
	}
	// Follow issuer links through the chain as sent.
	path := []*x509.Certificate{chain[0]}
	used := map[int]bool{0: true}
	for {
		top := path[len(path)-1]
		if selfSigned(top) {
			break
		}
		next := -1
		for i, c := range chain {
			if !used[i] && string(c.RawSubject) == string(top.RawIssuer) && top.CheckSignatureFrom(c) == nil {
				next = i
				break
			}
		}
		if next < 0 {
			break
		}
		used[next] = true
		path = append(path, chain[next])
	}
	var unused []string
	for i, c := range chain {
		if !used[i] {
			unused = append(unused, fmt.Sprintf("[%d] %s", i, certName(c)))
		}
	}
	leaf, top := chain[0], path[len(path)-1]
	store, storeFacts := x.trustStore()
	d.Evidence["trust_store"] = storeFacts
	d.Evidence["chain_sent_length"] = len(chain)
	d.Evidence["path_followed"] = len(path)
	if len(unused) > 0 {
		d.Evidence["unrelated_certificates_sent"] = unused
	}
	sent := fmt.Sprintf("The %s sent %d certificate(s): %s.", x.peer(), len(chain), describeChain(chain))
	unusedNote := ""
	if len(unused) > 0 {
		unusedNote = fmt.Sprintf(" It also sent certificates that did not issue anything in the chain (%s): probably the wrong intermediate.", strings.Join(unused, "; "))
	}
	caFlag := "--cafile"
	if x.side == "server" {
		caFlag = "the server's client CA list (ClientCAs)"
	}
	switch {
	case selfSigned(top) && top == leaf:
		d.Cause = CauseCertificateUntrusted
		d.Evidence["untrusted_root"] = certFacts(top)
		d.Summary = fmt.Sprintf("%s certificate %s is self-signed and not trusted", whose, certName(leaf))
		d.Explanation = sent + fmt.Sprintf(" The certificate is self-signed (its own issuer), and it is not among the certificates this side trusts (%s).", store) + unusedNote
		d.Fix = fmt.Sprintf("If you expect this certificate (a test or internal server), trust it explicitly: save it as PEM and pass it with %s (SHA-256 %s). Otherwise, on the %s: use a certificate issued by a CA the clients trust.", caFlag, fingerprint(top), x.peer())
	case selfSigned(top):
		d.Cause = CauseCertificateUntrusted
		d.Evidence["untrusted_root"] = certFacts(top)
		d.Summary = fmt.Sprintf("%s certificate chains to the root %s, which is not trusted here", whose, certName(top))
		d.Explanation = sent + fmt.Sprintf(" The chain is complete up to the self-signed root %s, but that root is not among the certificates this side trusts (%s).", certName(top), store) + unusedNote
		d.Fix = fmt.Sprintf("If %s is a CA you mean to trust (a private or corporate CA), pass its certificate with %s (SHA-256 %s). Otherwise, on the %s: use a certificate from a CA the clients trust.", certName(top), caFlag, fingerprint(top), x.peer())
	case top == leaf:
		d.Cause = CauseCertificateIntermediateMissing
		d.Evidence["missing_issuer"] = leaf.Issuer.String()
		d.Summary = fmt.Sprintf("%s chain is incomplete: the issuer of %s (%s) was not sent and is not trusted here", whose, certName(leaf), leaf.Issuer.String())
		d.Explanation = sent + fmt.Sprintf(" The leaf's issuer %s is not in that chain, and not among the certificates this side trusts (%s), so no path to a trusted root can be built.", leaf.Issuer.String(), store)
		if len(leaf.IssuingCertificateURL) > 0 {
			d.Explanation += fmt.Sprintf(" The leaf says its issuer's certificate is published at %s.", strings.Join(leaf.IssuingCertificateURL, ", "))
			d.Summary += " (the leaf's AIA names it at " + strings.Join(leaf.IssuingCertificateURL, ", ") + ")"
			d.Evidence["issuer_aia_url"] = leaf.IssuingCertificateURL
		}
		d.Explanation += unusedNote
		d.Fix = fmt.Sprintf("On the %s: send the full chain — the leaf followed by the intermediate CA certificate(s) up to the root (e.g. fullchain.pem instead of cert.pem; nginx ssl_certificate with the chain appended, Apache SSLCertificateFile with the chain). If %s is itself a root CA you mean to trust, pass its certificate with %s instead.", x.peer(), leaf.Issuer.String(), caFlag)
	default:
		d.Cause = CauseCertificateUntrusted
		d.Evidence["missing_issuer"] = top.Issuer.String()
		d.Summary = fmt.Sprintf("%s chain ends at %s, whose issuer %s is not trusted here", whose, certName(top), top.Issuer.String())
		d.Explanation = sent + fmt.Sprintf(" The chain leads up to the CA %s, issued by %s; that root is not among the certificates this side trusts (%s).", certName(top), top.Issuer.String(), store) + unusedNote
		d.Fix = fmt.Sprintf("If %s is a CA you mean to trust, pass its certificate with %s. Otherwise, on the %s: use a certificate from a CA the clients trust.", top.Issuer.String(), caFlag, x.peer())
	}
	return d
}

// trustStore describes the pool the peer's chain was checked against.
func (x *explainer) trustStore() (string, map[string]any) {
	if x.cfg == nil {
		return "the configured roots", map[string]any{"kind": "unknown"}
	}
	pool := x.cfg.RootCAs
	if x.side == "server" {
		pool = x.cfg.ClientCAs
	}
	if pool == nil {
		if x.side == "server" {
			return "no client CAs are configured", map[string]any{"kind": "none"}
		}
		return "the system's root CAs", map[string]any{"kind": "system"}
	}
	//lint:ignore SA1019 the pool is one the caller built, so Subjects lists it
	subjects := pool.Subjects() //nolint:staticcheck
	names := dnStrings(subjects)
	desc := fmt.Sprintf("the %d configured CA certificate(s): %s", len(names), quoteList(names))
	if len(names) > 5 {
		desc = fmt.Sprintf("the %d configured CA certificates", len(names))
	}
	return desc, map[string]any{"kind": "configured", "subjects": names}
}

// CauseCertificateWeakSignature: a certificate of the chain is signed with
// SHA-1 or MD5, which crypto/x509 no longer accepts.
const CauseCertificateWeakSignature Cause = "certificate_weak_signature"

// weakSignatureIn recognises a chain refused because a certificate in it is
// signed with SHA-1 or MD5: crypto/x509 reports it as an insecure
// algorithm, directly or as the hint of an unknown authority (the parent
// was found, but its signature on the child could not be accepted). A
// self-signed root's own signature is not checked and does not count.
func (x *explainer) weakSignatureIn(d *Diagnosis, chain []*x509.Certificate, err error) *Diagnosis {
	var insecure x509.InsecureAlgorithmError
	if !errors.As(err, &insecure) && !strings.Contains(err.Error(), "insecure algorithm") {
		return nil
	}
	for i, c := range chain {
		alg := weakSignature(c)
		if alg == "" || i > 0 && selfSigned(c) {
			continue
		}
		pos := positionIn(c, chain)
		d.Cause = CauseCertificateWeakSignature
		d.Evidence["certificate"] = certFacts(c)
		d.Evidence["signature_algorithm"] = alg
		d.Summary = x.t.T("cert.weak_signature.summary", "position", pos, "subject", certName(c), "algorithm", alg)
		d.Explanation = x.t.T("cert.weak_signature.explain", "position", pos, "subject", certName(c), "algorithm", alg, "issuer", c.Issuer.String())
		d.Fix = x.t.T("cert.weak_signature.fix", "peer", x.t.T(peerWords[x.peer()]), "issuer", c.Issuer.String())
		return d
	}
	return nil
}

// CauseCertificateWrongUsage: the certificate's extended key usage does not
// allow the role it was used in (a client-only certificate on a server).
const CauseCertificateWrongUsage Cause = "certificate_wrong_usage"

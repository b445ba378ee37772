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
	t := x.t
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
		return x.validity(d, invalid.Cert, chain)
	case errors.As(ve.Err, &invalid):
		return x.invalid(d, invalid, chain)
	case errors.As(ve.Err, &unknown):
		return x.untrusted(d, chain)
	case errors.As(ve.Err, &sysRoots):
		d.Cause = CauseCertificateUntrusted
		d.Summary = t.T("cert.no_roots.summary")
		d.Explanation = t.T("cert.no_roots.explain", x.peerArgs("chain", x.describeChain(chain), "error", sysRoots)...)
		d.Fix = t.T("cert.no_roots.fix")
		return d
	}
	d.Cause = CauseCertificateInvalid
	d.Summary = t.T("cert.invalid.summary", x.peerArgs("error", ve.Err)...)
	d.Explanation = t.T("cert.rejected.explain", x.peerArgs("chain", x.describeChain(chain), "error", ve.Err)...)
	d.Fix = t.T("cert.rejected.fix")
	return d
}

// invalid explains a certificate that failed one of crypto/x509's checks
// other than its dates: a wrong extended key usage, and the rest.
func (x *explainer) invalid(d *Diagnosis, invalid x509.CertificateInvalidError, chain []*x509.Certificate) *Diagnosis {
	t := x.t
	d.Cause = CauseCertificateInvalid
	pos := x.position(invalid.Cert, chain)
	d.Summary = t.T("cert.invalid.summary", x.peerArgs("error", invalid)...)
	d.Explanation = capitalize(t.T("cert.invalid.explain", "position", pos, "subject", certName(invalid.Cert), "error", invalid))
	if invalid.Reason != x509.IncompatibleUsage {
		d.Fix = t.T("cert.invalid.fix", x.peerArgs()...)
		return d
	}
	need := map[string]string{"client": "serverAuth", "server": "clientAuth"}[x.side]
	eku := ekuNames(invalid.Cert, t.T("cert.eku.none"))
	d.Cause = CauseCertificateWrongUsage
	d.Evidence["extended_key_usage"] = ekuNames(invalid.Cert, "(none)")
	d.Summary = t.T("cert.eku.summary", "peer", t.T(peerWords[x.peer()]), "position", pos, "subject", certName(invalid.Cert),
		"eku", eku, "need", need)
	d.Explanation = also(d.Explanation, t.T("cert.eku.explain", "eku", eku, "side", t.T(peerWords[x.side]), "need", need))
	d.Fix = t.T("cert.eku.fix", x.peerArgs()...)
	return d
}

// ekuNames lists a certificate's extended key usages, or none when it has
// none.
func ekuNames(c *x509.Certificate, none string) string {
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
		return none
	}
	return strings.Join(out, ", ")
}

// position names a certificate's place in the chain in the catalogue's
// words.
func (x *explainer) position(c *x509.Certificate, chain []*x509.Certificate) string {
	for i, cc := range chain {
		if c != nil && cc.Equal(c) {
			switch {
			case i == 0:
				return x.t.T("cert.position.leaf")
			case selfSigned(cc):
				return x.t.T("cert.position.root", "i", i)
			}
			return x.t.T("cert.position.intermediate", "i", i)
		}
	}
	return x.t.T("cert.position.other")
}

// positionIn names a certificate's place in the chain for the evidence,
// in English: "leaf certificate", "intermediate certificate [1]".
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
	t := x.t
	host := quote(he.Host)
	d.Summary = t.T("cert.hostname.summary", "host", host, "names", x.list(names))
	d.Explanation = t.T("cert.hostname.explain", "subject", certName(c), "host", host, "names", x.list(names))
	if len(names) == 0 && c.Subject.CommonName != "" {
		d.Explanation = also(d.Explanation, t.T("cert.hostname.explain.cn_only", "cn", quote(c.Subject.CommonName)))
	}
	if sni := serverNameOf(x.f.clientHello); sni != "" && sni == he.Host {
		d.Explanation = also(d.Explanation, t.T("cert.hostname.explain.sni", "host", quote(sni)))
	}
	if len(names) > 0 {
		d.Fix = t.T("cert.hostname.fix.name", "name", names[0], "host", host)
	} else {
		d.Fix = t.T("cert.hostname.fix", "host", host)
	}
	return d
}

// validity explains an expired or not-yet-valid certificate, from its
// dates against the local clock.
func (x *explainer) validity(d *Diagnosis, c *x509.Certificate, chain []*x509.Certificate) *Diagnosis {
	if c == nil && len(chain) > 0 {
		c = chain[0]
	}
	t, now := x.t, x.now
	posEN := positionIn(c, chain)
	d.Evidence["certificate"] = certFacts(c)
	d.Evidence["position"] = posEN
	d.Evidence["local_time"] = now.UTC()
	args := x.peerArgs("position", x.position(c, chain), "subject", certName(c), "now", now.UTC().Format(time.RFC3339),
		"dates", t.T("cert.dates", "from", c.NotBefore.UTC().Format(time.RFC3339), "until", c.NotAfter.UTC().Format(time.RFC3339)))
	switch {
	case now.Before(c.NotBefore):
		d.Cause = CauseCertificateNotYetValid
		gap := c.NotBefore.Sub(now)
		d.Evidence["not_yet_valid_for"] = gap.String()
		args = append(args, "date", c.NotBefore.UTC().Format(time.RFC3339), "gap", humanDuration(t, gap))
		d.Summary = t.T("cert.not_yet_valid.summary", args...)
		d.Explanation = capitalize(t.T("cert.not_yet_valid.explain", args...))
		d.Fix = t.T("cert.not_yet_valid.fix", args...)
	default:
		d.Cause = CauseCertificateExpired
		gap := now.Sub(c.NotAfter)
		d.Evidence["expired_for"] = gap.String()
		args = append(args, "date", c.NotAfter.UTC().Format(time.RFC3339), "gap", humanDuration(t, gap))
		d.Summary = t.T("cert.expired.summary", args...)
		d.Explanation = capitalize(t.T("cert.expired.explain", args...))
		d.Fix = t.T("cert.expired.fix.leaf", args...)
		if posEN != "leaf certificate" {
			d.Fix = t.T("cert.expired.fix.ca", args...)
		}
		d.Fix = also(d.Fix, t.T("cert.expired.fix.clock"))
	}
	return d
}

// humanDuration words a duration in its largest sensible unit.
func humanDuration(t *Texts, d time.Duration) string {
	switch {
	case d >= 48*time.Hour:
		return t.T("duration.days", "n", int(math.Round(d.Hours()/24)))
	case d >= 2*time.Hour:
		return t.T("duration.hours", "n", int(math.Round(d.Hours())))
	case d >= 2*time.Minute:
		return t.T("duration.minutes", "n", int(math.Round(d.Minutes())))
	}
	return t.T("duration.seconds", "n", int(math.Round(d.Seconds())))
}

// untrusted follows the chain the peer sent from its leaf upward, and
// says where it stops: at a self-signed root this side does not trust, at
// a CA certificate whose issuer (a root) is not trusted, or at the leaf
// itself because the peer left out the intermediate that issued it.
func (x *explainer) untrusted(d *Diagnosis, chain []*x509.Certificate) *Diagnosis {
	t := x.t
	if len(chain) == 0 {
		d.Cause = CauseCertificateUntrusted
		d.Summary = t.T("cert.untrusted.summary", x.peerArgs()...)
		d.Explanation = t.T("cert.untrusted.explain", "error", x.err.Error())
		d.Fix = t.T("cert.untrusted.fix")
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
	caFlag := "--cafile"
	if x.side == "server" {
		caFlag = t.T("cert.ca_flag.server")
	}
	args := x.peerArgs("n", len(chain), "chain", x.describeChain(chain), "store", store, "ca_flag", caFlag,
		"subject", certName(leaf), "root", certName(top), "fingerprint", fingerprint(top), "top", certName(top),
		"issuer", top.Issuer.String(), "certificates", strings.Join(unused, "; "))
	var key string
	switch {
	case selfSigned(top) && top == leaf:
		d.Cause, key = CauseCertificateUntrusted, "cert.self_signed"
		d.Evidence["untrusted_root"] = certFacts(top)
	case selfSigned(top):
		d.Cause, key = CauseCertificateUntrusted, "cert.root_untrusted"
		d.Evidence["untrusted_root"] = certFacts(top)
	case top == leaf:
		d.Cause, key = CauseCertificateIntermediateMissing, "cert.intermediate_missing"
		d.Evidence["missing_issuer"] = leaf.Issuer.String()
	default:
		d.Cause, key = CauseCertificateUntrusted, "cert.chain_untrusted"
		d.Evidence["missing_issuer"] = top.Issuer.String()
	}
	d.Summary = t.T(untrustedKeys[key][0], args...)
	d.Explanation = also(capitalize(t.T("cert.chain.sent", args...)), t.T(untrustedKeys[key][1], args...))
	d.Fix = t.T(untrustedKeys[key][2], args...)
	if urls := leaf.IssuingCertificateURL; key == "cert.intermediate_missing" && len(urls) > 0 {
		url := strings.Join(urls, ", ")
		d.Explanation = also(d.Explanation, t.T("cert.intermediate_missing.explain_aia", "url", url))
		d.Summary += t.T("cert.intermediate_missing.summary_aia", "url", url)
		d.Evidence["issuer_aia_url"] = urls
	}
	if len(unused) > 0 {
		d.Explanation = also(d.Explanation, t.T("cert.chain.unused", args...))
	}
	return d
}

// untrustedKeys are the summary, explanation and fix keys of each way a
// chain fails to reach a trusted root.
var untrustedKeys = map[string][3]string{
	"cert.self_signed":          {"cert.self_signed.summary", "cert.self_signed.explain", "cert.self_signed.fix"},
	"cert.root_untrusted":       {"cert.root_untrusted.summary", "cert.root_untrusted.explain", "cert.root_untrusted.fix"},
	"cert.intermediate_missing": {"cert.intermediate_missing.summary", "cert.intermediate_missing.explain", "cert.intermediate_missing.fix"},
	"cert.chain_untrusted":      {"cert.chain_untrusted.summary", "cert.chain_untrusted.explain", "cert.chain_untrusted.fix"},
}

// trustStore describes the pool the peer's chain was checked against.
func (x *explainer) trustStore() (string, map[string]any) {
	if x.cfg == nil {
		return x.t.T("store.unknown"), map[string]any{"kind": "unknown"}
	}
	pool := x.cfg.RootCAs
	if x.side == "server" {
		pool = x.cfg.ClientCAs
	}
	if pool == nil {
		if x.side == "server" {
			return x.t.T("store.no_client_cas"), map[string]any{"kind": "none"}
		}
		return x.t.T("store.system"), map[string]any{"kind": "system"}
	}
	//lint:ignore SA1019 the pool is one the caller built, so Subjects lists it
	subjects := pool.Subjects() //nolint:staticcheck
	names := dnStrings(subjects)
	desc := x.t.T("store.configured_list", "n", len(names), "names", x.list(names))
	if len(names) > 5 {
		desc = x.t.T("store.configured_many", "n", len(names))
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
		pos := x.position(c, chain)
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

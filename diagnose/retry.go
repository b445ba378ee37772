package diagnose

import (
	"maps"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// A server that speaks TLS 1.2 but refuses a ClientHello offering TLS 1.3
// as well, instead of answering it with TLS 1.2 as RFC 8446 Appendix D
// expects, hides why: the probes find it "accepts the offer". OpenSSL does
// so when it picks TLS 1.3 and then finds nothing to sign with (an RSA key
// too short for RSA-PSS). One more handshake limited to the version the
// probes found either connects, which makes --max-version the client's way
// out, or fails further on, with a cause of its own.

// RetryVersion is the version to run one more handshake at, after
// ApplyAcceptance concluded that the server accepts the offer when probed:
// the probed version, when it is below the highest this client offered;
// 0 when there is nothing to retry.
func RetryVersion(d *Diagnosis, a *Acceptance, cfg *clasp.Config) suites.Version {
	if d == nil || a == nil || d.Cause != CauseOfferRejected || a.Version == 0 {
		return 0
	}
	o := offerOf(&facts{}, cfg)
	if a.Version >= o.maxVersion || !o.offersVersion(a.Version) {
		return 0
	}
	return a.Version
}

// vagueCauses say no more than the refusal itself did.
var vagueCauses = []Cause{CauseOfferRejected, CauseUnknown, CauseConnectionClosed, CauseConnectionReset, CauseTimeout}

// ApplyRetry rewrites d with the outcome of the handshake at version:
// retry is its diagnosis, nil when it connected. A failure with a cause of
// its own becomes the diagnosis (the refusal's probes kept in its
// evidence); a connection makes the verdict "refuses the higher offer",
// with --max-version to connect. A vague failure leaves d as it was.
func ApplyRetry(d *Diagnosis, version suites.Version, retry *Diagnosis, cfg *clasp.Config, lang string) {
	t := Language(lang)
	o := offerOf(&facts{}, cfg)
	offered, short := o.maxVersion.String(), shortVersion(version)
	step := ProbeStep{Check: version.String() + " handshake", Connections: 1, Found: []string{"connected"}}
	if retry != nil {
		step.Found = []string{string(retry.Cause)}
	}
	probes, _ := d.Evidence["probes"].([]ProbeStep)
	probes = append(probes, step)
	d.Evidence["probes"] = probes
	d.Evidence["retry_version"] = version.String()
	switch {
	case retry == nil:
		d.Summary = t.T("retry.connects.summary", "offered", offered, "version", version.String(), "short", short)
		d.Explanation = t.T("retry.connects.explain", "offered", offered, "version", version.String()) + "\n" + d.Explanation
		d.Fix = t.T("retry.connects.fix", "offered", offered, "version", version.String(), "short", short)
	case !containsCause(vagueCauses, retry.Cause):
		evidence := maps.Clone(retry.Evidence)
		if evidence == nil {
			evidence = map[string]any{}
		}
		evidence["probes"], evidence["retry_version"] = probes, version.String()
		evidence["refused_error"] = d.Evidence["error"]
		*d = *retry
		d.Evidence = evidence
		d.Explanation = t.T("retry.fails.explain", "offered", offered, "version", version.String()) + "\n" + d.Explanation
	}
}

func containsCause(list []Cause, c Cause) bool {
	for _, x := range list {
		if x == c {
			return true
		}
	}
	return false
}

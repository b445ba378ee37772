package scan

import (
	"fmt"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Why a client's hello was refused, in the terms of the handshake: the
// first of versions, suites and groups that the client and the server (as
// the scan found it) have none of in common.

// maxListed bounds how many of a client's suites a reason names.
const maxListed = 4

func explainRefusal(p *ClientProfile, rep *Report, res *Result) string {
	answer := "the server answered " + res.Summary()
	if rep == nil || len(rep.Supported()) == 0 {
		return answer
	}
	offered, served := p.AcceptedVersions(), rep.Supported()
	common := intersect(offered, served)
	if len(common) == 0 {
		return fmt.Sprintf("offers %s; the server speaks %s", versionOffer(offered, served), versionList(served))
	}
	slices.Reverse(common) // highest first, as the server would choose
	var noSuite []string
	for _, v := range common {
		mine, theirs := p.suitesFor(v), rep.suitesFor(v)
		shared := intersect(mine, theirs)
		if len(shared) == 0 {
			noSuite = append(noSuite, fmt.Sprintf("in %v it offers only %s; the server accepts only %s",
				v, suiteList(mine, maxListed), suiteList(theirs, len(theirs))))
			continue
		}
		if reason := groupMismatch(p, rep, v, shared); reason != "" {
			return reason
		}
		return fmt.Sprintf("%s, although both have %v and suite %v in common: the cause is elsewhere (signature algorithms, the certificate or an extension)",
			answer, v, shared[0])
	}
	return "no common cipher suite: " + strings.Join(noSuite, "; ")
}

// groupMismatch reports no common group for version v when every shared
// suite needs one: all in TLS 1.3, the ECDHE suites below it.
func groupMismatch(p *ClientProfile, rep *Report, v suites.Version, shared []suites.ID) string {
	list := rep.Groups.ECDHE
	if v >= suites.VersionTLS13 {
		list = rep.Groups.TLS13
	} else {
		for _, id := range shared {
			if s := suites.SuiteByID(id); s == nil || s.KeyExchange != suites.KexECDHE {
				return ""
			}
		}
	}
	if list == nil || len(list.Groups) == 0 {
		return ""
	}
	var theirs []suites.Group
	for _, g := range list.Groups {
		theirs = append(theirs, g.ID)
	}
	mine := p.Hello.groups()
	if len(mine) == 0 || len(intersect(mine, theirs)) > 0 {
		return ""
	}
	return fmt.Sprintf("no common group in %v: the client offers %s; the server accepts only %s",
		v, names(mine, maxListed), names(theirs, len(theirs)))
}

// suitesFor lists the client's suites that can be negotiated in v, without
// signalling values.
func (p *ClientProfile) suitesFor(v suites.Version) []suites.ID {
	var out []suites.ID
	for _, id := range p.Hello.suiteIDs() {
		if s := suites.SuiteByID(id); s != nil && !s.SCSV && s.SupportsVersion(v) {
			out = append(out, id)
		}
	}
	return out
}

// suitesFor lists the suites the scan found for v.
func (r *Report) suitesFor(v suites.Version) []suites.ID {
	for _, vs := range r.CipherSuites {
		if vs.Version == v {
			var out []suites.ID
			for _, e := range vs.Suites {
				out = append(out, e.ID)
			}
			return out
		}
	}
	return nil
}

func intersect[T comparable](a, b []T) []T {
	var out []T
	for _, x := range a {
		if slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// versionOffer says how the client's versions miss the server's: "TLS 1.0
// at most" when all are older, "TLS 1.3 only" and the like otherwise.
func versionOffer(offered, served []suites.Version) string {
	if slices.Max(offered) < slices.Min(served) {
		return slices.Max(offered).String() + " at most"
	}
	if slices.Min(offered) > slices.Max(served) {
		return slices.Min(offered).String() + " at least"
	}
	return versionList(offered)
}

// versionList writes "TLS 1.2 and TLS 1.3", "TLS 1.0, TLS 1.1 and TLS 1.2".
func versionList(vs []suites.Version) string {
	return names(vs, len(vs))
}

func suiteList(ids []suites.ID, limit int) string {
	if len(ids) == 0 {
		return "none"
	}
	return names(ids, limit)
}

// names joins the first limit names of list, saying how many there are in
// all when some are left out.
func names[T fmt.Stringer](list []T, limit int) string {
	var parts []string
	for i, x := range list {
		if i == limit {
			return strings.Join(parts, ", ") + fmt.Sprintf(" … (%d in all)", len(list))
		}
		parts = append(parts, x.String())
	}
	if len(parts) < 2 {
		return strings.Join(parts, "")
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " and " + parts[len(parts)-1]
}

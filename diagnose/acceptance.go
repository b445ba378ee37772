package diagnose

import (
	"crypto"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// After a server refuses a ClientHello without saying which part of it
// (handshake_failure, protocol_version, insufficient_security, or a close),
// the one connection shows only the refusal. A few more handshakes, each
// offering one thing at a time, show what the server does accept; the
// caller runs them (cmd/clasp uses the scan package's checks) and hands the
// answers over as an Acceptance, which this file turns into the cause, the
// flags that connect and the server change that would have made the
// original offer work.

// Acceptance is what extra probes found a server accepts.
type Acceptance struct {
	// Versions are the versions the server speaks, lowest first.
	Versions []suites.Version
	// Version is the version whose suites and groups were probed: the
	// highest one both sides allow, or the server's highest when there is
	// none; 0 when no suites were probed.
	Version suites.Version
	// Suites are the suites the server accepts in Version, its preference
	// first when it has one.
	Suites []suites.ID
	// Groups are the groups the server accepts in Version (TLS 1.3 key
	// shares, or the curves of its TLS 1.2 ECDHE suites); GroupsProbed says
	// they were looked for at all.
	Groups       []suites.Group
	GroupsProbed bool
	// Schemes are the signature schemes the server accepts in Version;
	// SchemesProbed says they were looked for (after a probe with this
	// client's own schemes, and nothing else of its offer missing, was
	// refused).
	Schemes       []suites.SignatureScheme
	SchemesProbed bool
	// DHBits is the size of the prime in the server's DHE ServerKeyExchange
	// in Version; 0 when it was not looked for (no DHE suite accepted) or
	// not shown. A suite to connect with is no use if this client then
	// refuses the prime.
	DHBits int
	// Probes lists the checks run, for --json.
	Probes []ProbeStep
}

// ProbeStep is one check of the extra probes.
type ProbeStep struct {
	Check       string   `json:"check"`
	Found       []string `json:"found"`
	Connections int      `json:"connections"`
	Notes       []string `json:"notes,omitempty"`
}

// ShouldProbe reports whether a client's failure is a refusal of its
// ClientHello that probes can explain: the server answered it with
// handshake_failure, protocol_version or insufficient_security, or closed
// or reset the connection, before any ServerHello arrived.
func ShouldProbe(err error, rec *Recorder) bool {
	if err == nil || rec == nil {
		return false
	}
	f := gather(rec, "client")
	if f.clientHello == nil || f.serverHello != nil || f.sawHRR || f.lastReceived != nil {
		return false
	}
	var ae *clasp.AlertReceivedError
	switch {
	case errors.As(err, &ae):
		switch wire.AlertDescription(ae.Description) {
		case wire.AlertHandshakeFailure, wire.AlertProtocolVersion, wire.AlertInsufficientSecurity:
			return true
		}
		return false
	}
	x := &explainer{err: err, f: f, side: "client", t: Language(DefaultLanguage)}
	d := x.transport()
	return d != nil && (d.Cause == CauseConnectionClosed || d.Cause == CauseConnectionReset)
}

// clientOffer is what the refused ClientHello offered, read from the
// recorder, with the versions from the Config (the hello shows only the
// highest one before TLS 1.3).
type clientOffer struct {
	minVersion, maxVersion suites.Version
	suites                 []suites.ID
	groups                 []suites.Group
	schemes                []suites.SignatureScheme
	minDHBits              int // the smallest DHE prime the client accepts
}

// defaultMinDHBits is the smallest DHE prime a clasp client accepts when
// its Config sets no MinDHBits.
const defaultMinDHBits = 2048

func offerOf(f *facts, cfg *clasp.Config) clientOffer {
	o := clientOffer{minVersion: suites.VersionTLS12, maxVersion: suites.VersionTLS13, minDHBits: defaultMinDHBits}
	if cfg != nil && cfg.MinDHBits > 0 {
		o.minDHBits = cfg.MinDHBits
	}
	if cfg != nil && cfg.MinVersion != 0 {
		o.minVersion = suites.Version(cfg.MinVersion)
	}
	if cfg != nil && cfg.MaxVersion != 0 {
		o.maxVersion = suites.Version(cfg.MaxVersion)
	}
	if ch := f.clientHello; ch != nil {
		for _, id := range ch.CipherSuites {
			if s := suites.SuiteByID(id); s != nil && !s.SCSV {
				o.suites = append(o.suites, id)
			}
		}
		if sa, ok := wire.FindExtension[*wire.SignatureAlgorithmsExt](ch.Extensions); ok {
			for _, sc := range sa.Schemes {
				if !suites.IsGREASE(uint16(sc)) {
					o.schemes = append(o.schemes, sc)
				}
			}
		}
		if sg, ok := wire.FindExtension[*wire.SupportedGroupsExt](ch.Extensions); ok {
			for _, g := range sg.Groups {
				if !suites.IsGREASE(uint16(g)) {
					o.groups = append(o.groups, g)
				}
			}
		}
	}
	return o
}

func (o clientOffer) offersVersion(v suites.Version) bool {
	return v >= o.minVersion && v <= o.maxVersion
}

// ProbeVersion picks the version whose suites and groups to probe from the
// versions the server speaks: the highest the client allows, or the
// server's highest when they share none. 0 when the server speaks none.
func ProbeVersion(server []suites.Version, cfg *clasp.Config) suites.Version {
	o := offerOf(&facts{}, cfg)
	var best, highest suites.Version
	for _, v := range server {
		highest = max(highest, v)
		if o.offersVersion(v) {
			best = max(best, v)
		}
	}
	if best != 0 {
		return best
	}
	return highest
}

// ApplyAcceptance rewrites d, the diagnosis of a refused ClientHello, with
// what the probes found: the first thing the server does not share with the
// offer (version, then suites, then groups), the flags of `clasp connect`
// that would connect, and the change on the server that would have accepted
// the original offer. Texts come from lang's catalogue.
func ApplyAcceptance(d *Diagnosis, a *Acceptance, rec *Recorder, cfg *clasp.Config, lang string) {
	if d == nil || a == nil {
		return
	}
	t := Language(lang)
	f := gather(rec, "client")
	o := offerOf(f, cfg)
	v := &acceptanceVerdict{t: t, a: a, o: o}
	v.judge()
	if d.Evidence == nil {
		d.Evidence = map[string]any{}
	}
	d.Evidence["probes"] = a.Probes
	d.Evidence["server_versions"] = versionNames(a.Versions)
	if a.Version != 0 {
		d.Evidence["probed_version"] = a.Version.String()
		d.Evidence["server_suites"] = suiteNames(a.Suites)
	}
	if a.GroupsProbed {
		d.Evidence["server_groups"] = groupNames(a.Groups)
	}
	if a.DHBits > 0 {
		d.Evidence["server_dh_prime_bits"] = a.DHBits
	}
	if a.SchemesProbed {
		d.Evidence["server_signature_schemes"] = schemeNames(a.Schemes)
	}
	if len(v.flags) > 0 {
		d.Evidence["connect_flags"] = strings.Join(v.flags, " ")
	}
	d.Cause, d.Summary = v.cause, v.summary
	d.Explanation = v.explanation() + "\n" + d.Explanation
	d.Fix = v.fix
}

// acceptanceVerdict composes the verdict.
type acceptanceVerdict struct {
	t *Texts
	a *Acceptance
	o clientOffer

	cause   Cause
	summary string
	flags   []string // the flags of clasp connect that would connect
	fix     string
}

func (v *acceptanceVerdict) judge() {
	a, o, t := v.a, v.o, v.t
	if len(a.Versions) == 0 {
		v.cause = CauseOfferRejected
		v.summary = t.T("probe.summary.no_version")
		v.fix = t.T("probe.fix.no_version")
		return
	}
	v.connectFlags()
	clientFix := t.T("probe.to_connect", "flags", strings.Join(v.flags, " "))
	if len(v.flags) == 0 {
		clientFix = t.T("probe.no_client_fix")
	}
	switch {
	case !slices.ContainsFunc(a.Versions, o.offersVersion):
		v.cause = CauseNoCommonVersion
		v.summary = t.T("probe.summary.version", "versions", strings.Join(versionNames(a.Versions), ", "),
			"offered", strings.Join(versionNames(o.versions()), ", "))
		if a.Versions[len(a.Versions)-1] < suites.VersionTLS12 {
			v.summary += t.T("probe.obsolete")
		}
		v.fix = t.T("probe.fix.version")
	case a.Version != 0 && len(a.Suites) > 0 && !v.sharesSuite():
		v.cause = CauseNoCommonCipherSuite
		v.summary = t.T("probe.summary.suites", "suites", suiteList(t, a.Suites, 4), "version", a.Version.String(),
			"offered", suiteList(t, v.offeredFor(a.Version), 3))
		v.fix = t.T("probe.fix.suites", "suite", recommendedSuite(a.Version, a.Suites).String())
	case a.GroupsProbed && len(a.Groups) > 0 && !v.sharesGroup():
		v.cause = CauseNoCommonGroup
		key := "probe.summary.groups"
		if allFFDHE(a.Groups) {
			key = "probe.summary.groups_ffdhe"
		}
		v.summary = t.T(key, "groups", strings.Join(groupNames(a.Groups), ", "), "version", a.Version.String(),
			"offered", strings.Join(groupNames(o.groups), ", "))
		v.fix = t.T("probe.fix.groups")
	case a.SchemesProbed && len(a.Schemes) > 0 && !v.sharesScheme():
		v.cause = CauseNoCommonSignatureScheme
		key := "probe.summary.schemes"
		if allWeakSchemes(a.Schemes) {
			key = "probe.summary.schemes_sha1"
		}
		v.summary = t.T(key, "schemes", strings.Join(schemeNames(a.Schemes), ", "), "version", a.Version.String(),
			"offered", strings.Join(schemeNames(v.o.schemes), ", "))
		v.fix = t.T("probe.fix.schemes")
	default:
		v.cause = CauseOfferRejected
		v.summary = t.T("probe.summary.accepts_offer", "version", a.Version.String())
		v.fix = t.T("probe.fix.accepts_offer")
		return
	}
	sep := t.T("list.clause_sep")
	v.summary += sep + clientFix + sep + t.T("probe.to_fix_server", "fix", v.fix)
	if len(v.flags) == 0 {
		v.fix = t.T("probe.fix.server_only", "fix", v.fix)
		return
	}
	v.fix = t.T("probe.fix.both", "flags", strings.Join(v.flags, " "), "fix", v.fix)
}

// connectFlags finds the flags of clasp connect that make the offer meet
// the server: a version bound, a suite and a group clasp can run.
func (v *acceptanceVerdict) connectFlags() {
	a, o := v.a, v.o
	if ver := a.Version; ver != 0 && !o.offersVersion(ver) {
		if ver < o.minVersion {
			v.flags = append(v.flags, "--min-version "+shortVersion(ver))
		} else {
			v.flags = append(v.flags, "--max-version "+shortVersion(ver))
		}
	}
	if a.Version != 0 && len(a.Suites) > 0 && !v.sharesSuite() {
		if s := runnableSuite(a.Version, a.Suites); s != nil && a.Version < suites.VersionTLS13 {
			v.flags = append(v.flags, "--ciphers "+orIANA(s.OpenSSLName, s.Name))
			// The suite alone would fail at the ServerKeyExchange: this
			// client refuses the server's prime (Logjam).
			if s.KeyExchange == suites.KexDHE && a.DHBits > 0 && a.DHBits < o.minDHBits {
				v.flags = append(v.flags, fmt.Sprintf("--min-dh-bits %d", a.DHBits))
			}
		}
	}
	if a.SchemesProbed && len(a.Schemes) > 0 && !v.sharesScheme() {
		for _, sc := range a.Schemes {
			if info := suites.SchemeByID(sc); info != nil && info.Implemented {
				v.flags = append(v.flags, "--sigalgs "+info.Name)
				break
			}
		}
	}
	if a.GroupsProbed && len(a.Groups) > 0 && !v.sharesGroup() {
		for _, g := range a.Groups {
			if info := suites.GroupByID(g); info != nil && info.Implemented {
				v.flags = append(v.flags, "--groups "+info.Name)
				break
			}
		}
	}
}

func (o clientOffer) versions() []suites.Version {
	var out []suites.Version
	for _, ver := range []suites.Version{suites.VersionSSL30, suites.VersionTLS10, suites.VersionTLS11, suites.VersionTLS12, suites.VersionTLS13} {
		if o.offersVersion(ver) {
			out = append(out, ver)
		}
	}
	return out
}

// offeredFor lists the offered suites that may be negotiated in ver.
func (v *acceptanceVerdict) offeredFor(ver suites.Version) []suites.ID {
	var out []suites.ID
	for _, id := range v.o.suites {
		if s := suites.SuiteByID(id); s != nil && s.SupportsVersion(ver) {
			out = append(out, id)
		}
	}
	return out
}

func (v *acceptanceVerdict) sharesSuite() bool {
	for _, id := range v.a.Suites {
		if slices.Contains(v.o.suites, id) {
			return true
		}
	}
	return false
}

func (v *acceptanceVerdict) sharesGroup() bool {
	for _, g := range v.a.Groups {
		if slices.Contains(v.o.groups, g) {
			return true
		}
	}
	return false
}

func (v *acceptanceVerdict) sharesScheme() bool {
	for _, sc := range v.a.Schemes {
		if slices.Contains(v.o.schemes, sc) {
			return true
		}
	}
	return false
}

// SharedOffer is this client's offer narrowed to what the probes found the
// server accepts in a.Version — the suites and groups both have — with the
// client's own signature schemes; ok is false when the offer shares no
// version, suite or group with the server (the verdict is then about
// that). A probe of it tells whether the signature schemes are what the
// server refused.
func (a *Acceptance) SharedOffer(rec *Recorder, cfg *clasp.Config) (ids []suites.ID, groups []suites.Group, schemes []suites.SignatureScheme, ok bool) {
	o := offerOf(gather(rec, "client"), cfg)
	if a.Version == 0 || !o.offersVersion(a.Version) || len(o.schemes) == 0 {
		return nil, nil, nil, false
	}
	for _, id := range a.Suites {
		if slices.Contains(o.suites, id) {
			ids = append(ids, id)
		}
	}
	for _, g := range o.groups {
		if !a.GroupsProbed || slices.Contains(a.Groups, g) {
			groups = append(groups, g)
		}
	}
	return ids, groups, o.schemes, len(ids) > 0 && (len(groups) > 0 || !a.GroupsProbed)
}

func allWeakSchemes(schemes []suites.SignatureScheme) bool {
	for _, sc := range schemes {
		info := suites.SchemeByID(sc)
		if info == nil || (info.Hash != crypto.SHA1 && info.Hash != crypto.MD5 && info.Hash != crypto.MD5SHA1) {
			return false
		}
	}
	return len(schemes) > 0
}

func schemeNames(ss []suites.SignatureScheme) []string {
	out := []string{}
	for _, sc := range ss {
		out = append(out, sc.String())
	}
	return out
}

// explanation lists what the probes found, one fact per sentence.
func (v *acceptanceVerdict) explanation() string {
	a, t := v.a, v.t
	conns := 0
	for _, p := range a.Probes {
		conns += p.Connections
	}
	parts := []string{t.T("probe.explain.intro", "connections", conns,
		"versions", strings.Join(versionNames(a.Versions), ", "))}
	if a.Version != 0 {
		parts = append(parts, t.T("probe.explain.suites", "version", a.Version.String(), "suites", suiteList(t, a.Suites, 12)))
	}
	if a.GroupsProbed {
		parts = append(parts, t.T("probe.explain.groups", "version", a.Version.String(), "groups", orNothing(t, groupNames(a.Groups))))
	}
	if a.SchemesProbed {
		parts = append(parts, t.T("probe.explain.schemes", "version", a.Version.String(), "schemes", orNothing(t, schemeNames(a.Schemes))))
	}
	return strings.Join(parts, " ")
}

// recommendedSuite is the suite the server should enable for the offer to
// work: an ECDHE suite with AES-128-GCM for ver, with the signature
// algorithm the server's own suites use.
func recommendedSuite(ver suites.Version, server []suites.ID) suites.ID {
	if ver >= suites.VersionTLS13 {
		return suites.TLS_AES_128_GCM_SHA256
	}
	for _, id := range server {
		if s := suites.SuiteByID(id); s != nil && s.Auth == suites.AuthECDSA {
			return suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
		}
	}
	// A server that accepts only PSK suites has no certificate for an
	// ECDHE_RSA one: recommend the forward-secret PSK suite instead.
	if len(server) > 0 && !slices.ContainsFunc(server, func(id suites.ID) bool {
		s := suites.SuiteByID(id)
		return s == nil || !s.IsPSK()
	}) && ver == suites.VersionTLS12 {
		return suites.TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256
	}
	if ver < suites.VersionTLS12 {
		return suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA
	}
	return suites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
}

// runnableSuite is the best of the server's suites that clasp can run in
// ver: forward secret and AEAD first, then forward secret, then the rest.
func runnableSuite(ver suites.Version, server []suites.ID) *suites.Suite {
	var best *suites.Suite
	score := func(s *suites.Suite) int {
		n := 0
		if s.ForwardSecret() {
			n += 4
		}
		if s.KeyExchange == suites.KexECDHE {
			n += 2
		}
		if s.IsAEAD() {
			n++
		}
		return n
	}
	for _, id := range server {
		s := suites.SuiteByID(id)
		if s == nil || !s.Implemented || !s.SupportsVersion(ver) {
			continue
		}
		if best == nil || score(s) > score(best) {
			best = s
		}
	}
	return best
}

func allFFDHE(groups []suites.Group) bool {
	for _, g := range groups {
		if info := suites.GroupByID(g); info == nil || info.Kind != suites.GroupFFDHE {
			return false
		}
	}
	return len(groups) > 0
}

// suiteList names at most n suites, IANA name with the OpenSSL name beside
// it, and says how many more there are.
func suiteList(t *Texts, ids []suites.ID, n int) string {
	var parts []string
	for i, id := range ids {
		if i == n {
			parts = append(parts, t.T("list.in_all", "n", len(ids)))
			break
		}
		name := id.String()
		if s := suites.SuiteByID(id); s != nil && s.OpenSSLName != "" && s.OpenSSLName != s.Name {
			name += " (" + s.OpenSSLName + ")"
		}
		parts = append(parts, name)
	}
	if len(parts) == 0 {
		return t.T("list.nothing")
	}
	return strings.Join(parts, ", ")
}

func suiteNames(ids []suites.ID) []string {
	out := []string{}
	for _, id := range ids {
		out = append(out, id.String())
	}
	return out
}

func groupNames(gs []suites.Group) []string {
	out := []string{}
	for _, g := range gs {
		out = append(out, g.String())
	}
	return out
}

func versionNames(vs []suites.Version) []string {
	out := []string{}
	for _, v := range vs {
		out = append(out, v.String())
	}
	return out
}

// shortVersion is a version as --min-version takes it: "1.0".
func shortVersion(v suites.Version) string {
	return strings.TrimPrefix(strings.TrimPrefix(v.String(), "TLS "), "SSL ")
}

func orIANA(openssl, iana string) string {
	if openssl != "" {
		return openssl
	}
	return iana
}

func orNothing(t *Texts, items []string) string {
	if len(items) == 0 {
		return t.T("list.nothing")
	}
	return strings.Join(items, ", ")
}

package scan

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Mozilla's server-side TLS recommendations (modern, intermediate, old) as
// data, and the check of a scanned server against one of them. The facts
// are Mozilla's guidelines version 5.7, copied into
// compliance/mozilla-5.7.json with their source.

//go:embed compliance/mozilla-5.7.json
var mozillaGuidelinesFile []byte

// MozillaGuidelines is one version of Mozilla's server-side TLS
// recommendations.
type MozillaGuidelines struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Source  struct {
		Reference string `json:"reference"`
		Date      string `json:"date"`
		Note      string `json:"note"`
	} `json:"source"`
	Profiles map[string]*MozillaProfile `json:"profiles"`
}

// MozillaProfile is one configuration (modern, intermediate or old), with
// Mozilla's field names and spellings.
type MozillaProfile struct {
	TLSVersions           []string `json:"tls_versions"`
	CipherSuites          []string `json:"ciphersuites"`
	Ciphers               []string `json:"ciphers"`
	TLSCurves             []string `json:"tls_curves"`
	CertificateTypes      []string `json:"certificate_types"`
	CertificateCurves     []string `json:"certificate_curves"`
	CertificateSignatures []string `json:"certificate_signatures"`
	RSAKeySize            int      `json:"rsa_key_size"`
	DHParamSize           int      `json:"dh_param_size"`
	ECDHParamSize         int      `json:"ecdh_param_size"`
	ServerPreferredOrder  bool     `json:"server_preferred_order"`
	// MaximumCertificateLifespan is in days.
	MaximumCertificateLifespan int      `json:"maximum_certificate_lifespan"`
	OCSPStaple                 bool     `json:"ocsp_staple"`
	HSTSMinAge                 int      `json:"hsts_min_age"`
	OldestClients              []string `json:"oldest_clients"`

	versions   []suites.Version
	tls13      []suites.ID
	tls12      []suites.ID
	groups     []suites.Group
	certCurves []suites.Group
}

// ProfileNames lists Mozilla's configurations, strictest first.
var ProfileNames = []string{"modern", "intermediate", "old"}

// LoadMozillaGuidelines reads the embedded guidelines and resolves every
// name in them through clasp's registry; a name it does not know is an
// error, so that a check never silently ignores a requirement.
func LoadMozillaGuidelines() (*MozillaGuidelines, error) {
	g := &MozillaGuidelines{}
	if err := json.Unmarshal(mozillaGuidelinesFile, g); err != nil {
		return nil, fmt.Errorf("scan: Mozilla guidelines: %w", err)
	}
	if g.Source.Reference == "" || g.Source.Date == "" {
		return nil, fmt.Errorf("scan: Mozilla guidelines: no source")
	}
	for _, name := range ProfileNames {
		p, ok := g.Profiles[name]
		if !ok {
			return nil, fmt.Errorf("scan: Mozilla guidelines: no %q profile", name)
		}
		if err := p.resolve(); err != nil {
			return nil, fmt.Errorf("scan: Mozilla %s profile: %w", name, err)
		}
	}
	return g, nil
}

func (p *MozillaProfile) resolve() error {
	for _, name := range p.TLSVersions {
		v, err := suites.ParseVersion(name)
		if err != nil {
			return err
		}
		p.versions = append(p.versions, v)
	}
	for _, list := range []struct {
		names []string
		ids   *[]suites.ID
	}{{p.CipherSuites, &p.tls13}, {p.Ciphers, &p.tls12}} {
		for _, name := range list.names {
			s, ok := suites.SuiteByName(name)
			if !ok {
				return fmt.Errorf("unknown cipher suite %q", name)
			}
			*list.ids = append(*list.ids, s.ID)
		}
	}
	var err error
	if p.groups, err = groupsNamed(p.TLSCurves); err != nil {
		return err
	}
	p.certCurves, err = groupsNamed(p.CertificateCurves)
	return err
}

func groupsNamed(names []string) ([]suites.Group, error) {
	var out []suites.Group
	for _, name := range names {
		info, ok := suites.GroupByName(name)
		if !ok {
			return nil, fmt.Errorf("unknown group %q", name)
		}
		out = append(out, info.ID)
	}
	return out, nil
}

// ComplianceResult is a server checked against one Mozilla profile.
type ComplianceResult struct {
	Profile string `json:"profile"`
	// Guidelines names the recommendations and their version.
	Guidelines string      `json:"guidelines"`
	Pass       bool        `json:"pass"`
	Deviations []Deviation `json:"deviations,omitempty"`
	// NotChecked names the profile's requirements this check does not
	// judge.
	NotChecked []string `json:"not_checked,omitempty"`
}

// Deviation is one way the server differs from the profile.
type Deviation struct {
	// Kind is version, cipher_suite, group, certificate, key_size or
	// order.
	Kind string `json:"kind"`
	Text string `json:"text"`
}

// Kinds of deviation.
const (
	DeviationVersion     = "version"
	DeviationSuite       = "cipher_suite"
	DeviationGroup       = "group"
	DeviationCertificate = "certificate"
	DeviationKeySize     = "key_size"
	DeviationOrder       = "order"
)

// Check compares a scanned server with profile name. facts carries what
// the Report does not: the certificate and the DH group size.
func (g *MozillaGuidelines) Check(name string, rep *Report, facts ServerFacts) (ComplianceResult, error) {
	p, ok := g.Profiles[name]
	if !ok {
		return ComplianceResult{}, fmt.Errorf("no Mozilla profile %q (want one of %v)", name, ProfileNames)
	}
	c := &complianceCheck{profile: name, p: p}
	c.versions(rep)
	c.suites(rep)
	c.groups(rep)
	c.order(rep)
	c.certificate(facts)
	c.dh(facts)
	res := ComplianceResult{Profile: name, Guidelines: g.Name + " " + g.Version, Pass: len(c.deviations) == 0,
		Deviations: c.deviations, NotChecked: []string{"ocsp_staple", "hsts_min_age"}}
	if facts.Leaf == nil {
		res.NotChecked = append(res.NotChecked, "certificate (none was read)")
	}
	return res, nil
}

type complianceCheck struct {
	profile    string
	p          *MozillaProfile
	deviations []Deviation
}

func (c *complianceCheck) add(kind, format string, args ...any) {
	c.deviations = append(c.deviations, Deviation{Kind: kind, Text: fmt.Sprintf(format, args...)})
}

// versions: every version the server speaks must be in the profile, and
// every version of the profile must be enabled.
func (c *complianceCheck) versions(rep *Report) {
	served := rep.Supported()
	for _, v := range served {
		if !slices.Contains(c.p.versions, v) {
			c.add(DeviationVersion, "%v is enabled; %s allows only %s", v, c.profile, versionList(c.p.versions))
		}
	}
	for _, v := range c.p.versions {
		if !slices.Contains(served, v) {
			c.add(DeviationVersion, "%v is not enabled; %s enables %s", v, c.profile, versionList(c.p.versions))
		}
	}
}

// suites: every accepted suite must be in the profile's list for its
// version (TLS 1.3 suites, or the TLS 1.2 list for TLS 1.2 and earlier).
func (c *complianceCheck) suites(rep *Report) {
	seen := map[suites.ID]bool{}
	for _, vs := range rep.CipherSuites {
		allowed := c.p.tls12
		if vs.Version >= suites.VersionTLS13 {
			allowed = c.p.tls13
		}
		for _, e := range vs.Suites {
			if seen[e.ID] || slices.Contains(allowed, e.ID) {
				continue
			}
			seen[e.ID] = true
			c.add(DeviationSuite, "%v (%s) is accepted in %v; %s does not list it", e.ID, e.OpenSSL, vs.Version, c.profile)
		}
	}
}

// groups: every group accepted for key exchange must be in tls_curves.
func (c *complianceCheck) groups(rep *Report) {
	seen := map[suites.Group]bool{}
	for _, l := range []*GroupList{rep.Groups.TLS13, rep.Groups.ECDHE} {
		if l == nil {
			continue
		}
		for _, e := range l.Groups {
			if seen[e.ID] || slices.Contains(c.p.groups, e.ID) {
				continue
			}
			seen[e.ID] = true
			c.add(DeviationGroup, "group %v is accepted in %s; %s allows only %s", e.ID, l.Name, c.profile, names(c.p.groups, len(c.p.groups)))
		}
	}
}

// order: where the profile wants the server's order (old), a server that
// follows the client's order below TLS 1.3 deviates. Where it does not
// (modern, intermediate), either order passes.
func (c *complianceCheck) order(rep *Report) {
	if !c.p.ServerPreferredOrder {
		return
	}
	for _, vs := range rep.CipherSuites {
		if vs.Version < suites.VersionTLS13 && vs.Order == OrderClient {
			c.add(DeviationOrder, "in %v the server follows the client's suite order; %s wants the server's order", vs.Version, c.profile)
		}
	}
}

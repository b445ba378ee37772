package scan

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Client profiles are data, one JSON file per client in scan/clients: the
// ClientHello the client sends (without what changes from one connection
// to the next: GREASE values, randoms, key share bytes, the host name) and
// the limits it applies to what the server answers, each with its source.
// Profiles of clients installed on the test machine are captured from the
// real client by clients_capture_test.go, which fails when a file drifts
// from what the client sends.

//go:embed clients/*.json
var clientFiles embed.FS

// ClientProfile is one real client.
type ClientProfile struct {
	// ID is the file name without .json ("java-17"); filled on loading.
	ID      string `json:"-"`
	Name    string `json:"name"`
	Version string `json:"version"`
	// Platform says what the client runs on or is built with, where that
	// shapes its hello ("Debian 12, OpenSSL 3.0.19").
	Platform string        `json:"platform,omitempty"`
	Source   ProfileSource `json:"source"`
	// Uncertain names each fact of the file that its source does not
	// establish for certain, one sentence each.
	Uncertain []string     `json:"uncertain,omitempty"`
	Hello     HelloProfile `json:"hello"`
	Limits    ClientLimits `json:"limits"`
}

// ProfileSource says where a profile's facts come from.
type ProfileSource struct {
	// Kind is "captured" (the ClientHello of the client installed here,
	// recorded by the tests) or "published" (a public document or data
	// set).
	Kind string `json:"kind"`
	// Reference is the URL or document the facts come from; for a
	// captured profile, the test that captures it.
	Reference string `json:"reference"`
	// Date is when the source was read or the hello captured (YYYY-MM-DD).
	Date string `json:"date"`
	// Command is how a captured client was run.
	Command string `json:"command,omitempty"`
	Note    string `json:"note,omitempty"`
}

// HelloProfile is a ClientHello without the values that change per
// connection. Code points are written "0x1301 TLS_AES_128_GCM_SHA256": the
// number is the fact, the name is for people and is checked against the
// registry by the tests.
type HelloProfile struct {
	RecordVersion CodePoint `json:"record_version"`
	LegacyVersion CodePoint `json:"legacy_version"`
	// SessionID is whether the hello carries a non-empty legacy_session_id
	// (a TLS 1.3 client's compatibility-mode ID, RFC 8446 Appendix D.4).
	SessionID          bool        `json:"session_id,omitempty"`
	CipherSuites       []CodePoint `json:"cipher_suites"`
	CompressionMethods []int       `json:"compression_methods"`
	// Extensions lists the extensions in the order sent; nil when the
	// hello has no extensions block at all.
	Extensions        []ExtensionProfile `json:"extensions"`
	SupportedVersions []CodePoint        `json:"supported_versions,omitempty"`
	Groups            []CodePoint        `json:"supported_groups,omitempty"`
	// KeyShares is the groups of the key_share entries, in order.
	KeyShares            []CodePoint `json:"key_shares,omitempty"`
	SignatureSchemes     []CodePoint `json:"signature_algorithms,omitempty"`
	SignatureSchemesCert []CodePoint `json:"signature_algorithms_cert,omitempty"`
	ALPN                 []string    `json:"alpn,omitempty"`
	// GREASE is whether the client sends RFC 8701 GREASE values (left
	// out of the lists above, which hold what the client really offers).
	GREASE bool `json:"grease,omitempty"`
}

// ExtensionProfile is one extension of the hello: its code point and, for
// an extension whose body is the same on every connection and is not one
// of the typed lists of HelloProfile, the body in hex.
type ExtensionProfile struct {
	Code CodePoint `json:"code"`
	Data string    `json:"data,omitempty"`
}

// ClientLimits are what the client checks in the server's answer beyond
// "did I offer it". Zero means unknown or no limit.
type ClientLimits struct {
	// LowestVersion and HighestVersion bound the versions the client
	// accepts. With supported_versions in the hello, that list decides.
	LowestVersion  CodePoint `json:"lowest_version"`
	HighestVersion CodePoint `json:"highest_version"`
	MinDHBits      int       `json:"min_dh_bits,omitempty"`
	MaxDHBits      int       `json:"max_dh_bits,omitempty"`
	MinRSABits     int       `json:"min_rsa_bits,omitempty"`
	MaxRSABits     int       `json:"max_rsa_bits,omitempty"`
	MinECDSABits   int       `json:"min_ecdsa_bits,omitempty"`
	// RequiresSHA2 is set for clients that refuse certificates signed
	// with SHA-1.
	RequiresSHA2 bool `json:"requires_sha2,omitempty"`
}

// CodePoint is a 16-bit code point, written in JSON as "0xNNNN" followed
// optionally by a space and a name for people.
type CodePoint struct {
	Value uint16
	// Label is the name written after the number, if any.
	Label string
}

// UnmarshalText reads "0x1301" or "0x1301 TLS_AES_128_GCM_SHA256".
func (c *CodePoint) UnmarshalText(text []byte) error {
	num, label, _ := strings.Cut(string(text), " ")
	if !strings.HasPrefix(num, "0x") || len(num) != 6 {
		return fmt.Errorf("code point %q: want 0xNNNN", text)
	}
	v, err := strconv.ParseUint(num[2:], 16, 16)
	if err != nil {
		return fmt.Errorf("code point %q: %v", text, err)
	}
	c.Value, c.Label = uint16(v), strings.TrimSpace(label)
	return nil
}

// MarshalText writes the number and the label.
func (c CodePoint) MarshalText() ([]byte, error) {
	s := fmt.Sprintf("0x%04X", c.Value)
	if c.Label != "" {
		s += " " + c.Label
	}
	return []byte(s), nil
}

// Code-point constructors that label the number with the registry's name.
func suiteCode(id suites.ID) CodePoint { return CodePoint{uint16(id), registeredName(id.String())} }
func groupCode(g suites.Group) CodePoint {
	return CodePoint{uint16(g), registeredName(g.String())}
}
func schemeCode(s suites.SignatureScheme) CodePoint {
	return CodePoint{uint16(s), registeredName(s.String())}
}
func versionCode(v suites.Version) CodePoint {
	return CodePoint{uint16(v), registeredName(v.String())}
}
func extensionCode(t wire.ExtensionType) CodePoint {
	return CodePoint{uint16(t), registeredName(t.String())}
}

// registeredName drops the placeholder names the registries give values
// they do not hold, so that only real names are written.
func registeredName(s string) string {
	if strings.HasPrefix(s, "unknown") || strings.HasPrefix(s, "0x") || strings.HasPrefix(s, "GREASE") {
		return ""
	}
	return s
}

// Typed views of the profile's lists.

func (h *HelloProfile) suiteIDs() []suites.ID { return convert[suites.ID](h.CipherSuites) }
func (h *HelloProfile) groups() []suites.Group {
	return convert[suites.Group](h.Groups)
}
func (h *HelloProfile) keyShares() []suites.Group { return convert[suites.Group](h.KeyShares) }
func (h *HelloProfile) schemes() []suites.SignatureScheme {
	return convert[suites.SignatureScheme](h.SignatureSchemes)
}
func (h *HelloProfile) versions() []suites.Version {
	return convert[suites.Version](h.SupportedVersions)
}

func convert[T ~uint16](cs []CodePoint) []T {
	out := make([]T, 0, len(cs))
	for _, c := range cs {
		out = append(out, T(c.Value))
	}
	return out
}

// hasExtension reports whether the hello carries extension t.
func (h *HelloProfile) hasExtension(t wire.ExtensionType) bool {
	return slices.ContainsFunc(h.Extensions, func(e ExtensionProfile) bool { return e.Code.Value == uint16(t) })
}

// AcceptedVersions returns the versions the client agrees to, lowest first:
// its supported_versions when it sends them, else the range from its
// lowest version to legacy_version.
func (c *ClientProfile) AcceptedVersions() []suites.Version {
	if vs := c.Hello.versions(); len(vs) > 0 {
		vs = slices.Clone(vs)
		slices.Sort(vs)
		return slices.Compact(vs)
	}
	low := suites.Version(c.Limits.LowestVersion.Value)
	high := suites.Version(c.Hello.LegacyVersion.Value)
	if low == 0 || low > high {
		low = high
	}
	var out []suites.Version
	for v := low; v <= high; v++ {
		out = append(out, v)
	}
	return out
}

// ClientProfiles returns every embedded client profile, sorted by name.
func ClientProfiles() ([]*ClientProfile, error) {
	entries, err := clientFiles.ReadDir("clients")
	if err != nil {
		return nil, err
	}
	var out []*ClientProfile
	for _, e := range entries {
		data, err := clientFiles.ReadFile(path.Join("clients", e.Name()))
		if err != nil {
			return nil, err
		}
		p, err := ParseClientProfile(data)
		if err != nil {
			return nil, fmt.Errorf("scan: client profile %s: %w", e.Name(), err)
		}
		p.ID = strings.TrimSuffix(e.Name(), ".json")
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Name) < strings.ToLower(out[j].Name) })
	return out, nil
}

// ParseClientProfile reads one profile file and checks that it can drive a
// simulation: a name, a source, cipher suites, and versions to accept.
func ParseClientProfile(data []byte) (*ClientProfile, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	p := &ClientProfile{}
	if err := dec.Decode(p); err != nil {
		return nil, err
	}
	switch {
	case p.Name == "":
		return nil, fmt.Errorf("no name")
	case p.Source.Kind != "captured" && p.Source.Kind != "published":
		return nil, fmt.Errorf("source kind %q: want captured or published", p.Source.Kind)
	case p.Source.Reference == "" || p.Source.Date == "":
		return nil, fmt.Errorf("the source needs a reference and a date")
	case len(p.Hello.CipherSuites) == 0:
		return nil, fmt.Errorf("no cipher suites")
	case p.Hello.LegacyVersion.Value == 0:
		return nil, fmt.Errorf("no legacy_version")
	}
	return p, nil
}

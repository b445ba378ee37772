package scan

import (
	"fmt"

	"github.com/clasp-tls/clasp/internal/suites"
)

// SchemaVersion is the version of the JSON a Report marshals to
// (docs/scan-json.md). It changes when a field changes meaning or goes
// away, not when one is added.
const SchemaVersion = 1

// Report is what a scan found about one server. Typed values (ID, Group,
// Version) are for Go callers; the string fields beside them are what the
// JSON carries, filled from the suites registry.
type Report struct {
	SchemaVersion int    `json:"schema_version"`
	Target        string `json:"target"`
	ServerName    string `json:"server_name,omitempty"`
	// StartTLS is the protocol upgraded before each probe, empty for none.
	StartTLS string `json:"starttls,omitempty"`
	// Versions has one entry per version probed, SSL 3.0 to TLS 1.3.
	Versions []VersionSupport `json:"versions"`
	// CipherSuites has one entry per supported version, highest first.
	CipherSuites []VersionSuites `json:"cipher_suites"`
	Groups       Groups          `json:"groups"`
	// Notes are things the server did that a scan did not expect (a suite
	// it was not offered, a group it was not asked for, a list it choked
	// on), each one sentence.
	Notes       []string `json:"notes,omitempty"`
	Connections int      `json:"connections"`
	DurationMS  int64    `json:"duration_ms"`

	// Clients is the client simulation: one verdict per client profile,
	// when Options.Clients asked for it.
	Clients []ClientVerdict `json:"clients,omitempty"`
	// Compliance is the check against Mozilla's profiles, when
	// Options.Compliance asked for it.
	Compliance []ComplianceResult `json:"compliance,omitempty"`
	// Signatures is the signature schemes the server signs with, per
	// version (signatures.go); nil when no version has signatures to find.
	Signatures *Signatures `json:"signatures,omitempty"`
	// Certificates is every chain the server presented (certificates.go).
	Certificates *Certificates `json:"certificates,omitempty"`
	// Resumption is how the server resumes sessions (resumption.go).
	Resumption *Resumption `json:"resumption,omitempty"`
	// Extensions is what the server answers to extensions (extensions.go).
	Extensions *Extensions `json:"extensions,omitempty"`
	// Renegotiation is RFC 5746 and client-initiated renegotiation
	// (renegotiation.go); absent without TLS 1.0 to 1.2.
	Renegotiation *Renegotiation `json:"renegotiation,omitempty"`
	// Fleet is what --fleet N connections showed (fleet.go); absent
	// without it.
	Fleet *Fleet `json:"fleet,omitempty"`
	// SSLv2 is the SSL 2.0 probes' result (sslv2.go).
	SSLv2 *SSLv2 `json:"sslv2,omitempty"`
	// Intolerance is the version-intolerance and TLS_FALLBACK_SCSV
	// probes' result (intolerance.go).
	Intolerance *Intolerance `json:"intolerance,omitempty"`
	// Findings is one entry per known weakness checked, each with its
	// status, severity and evidence (severity.go).
	Findings []Finding `json:"findings,omitempty"`
	// Grade is read from the worst finding (grade.go).
	Grade *Grade `json:"grade,omitempty"`
	// weaknessConnections is how many of Connections the weakness
	// checks opened.
	weaknessConnections int
}

// VersionSupport says whether the server speaks one protocol version, and
// which answer decided it.
type VersionSupport struct {
	Version   suites.Version `json:"-"`
	Name      string         `json:"version"`
	Supported bool           `json:"supported"`
	// Answer is the server's answer to the hello that offered this
	// version alone: "ServerHello TLS 1.2 ...", "alert protocol_version".
	Answer string `json:"answer"`
	// chunked is set when only shorter suite lists got an answer.
	chunked bool
}

// Order says whose preference decides the server's choice.
type Order string

// Orders.
const (
	// OrderServer: the server picks by its own preference; the list is in
	// that order.
	OrderServer Order = "server"
	// OrderClient: the server takes the first of the client's it accepts;
	// the list is in the order the scan offered.
	OrderClient Order = "client"
	// OrderSingle: one entry; there is no order to tell.
	OrderSingle Order = "single"
	// OrderInconsistent: the two orders of two accepted entries gave
	// answers that fit neither rule (equal-preference groups, say).
	OrderInconsistent Order = "inconsistent"
	// OrderUnknown: the probes that would tell failed.
	OrderUnknown Order = "unknown"
)

// VersionSuites is the cipher suites a server accepts in one version.
type VersionSuites struct {
	Version suites.Version `json:"-"`
	Name    string         `json:"version"`
	Order   Order          `json:"order"`
	Suites  []SuiteEntry   `json:"suites"`
}

// SuiteEntry names one cipher suite.
type SuiteEntry struct {
	ID      suites.ID `json:"-"`
	Code    string    `json:"code"`
	IANA    string    `json:"iana"`
	OpenSSL string    `json:"openssl,omitempty"`
	// Strength is what the suite gives a connection (strength.go).
	Strength *Strength `json:"strength,omitempty"`
}

// Groups is the key exchange groups a server accepts.
type Groups struct {
	// TLS13 is the groups accepted in a TLS 1.3 key_share (a
	// HelloRetryRequest for the group counts), in the server's order when
	// it has one (offered all at once, with a key share each where one can
	// be built); nil when the server has no TLS 1.3.
	TLS13 *GroupList `json:"tls13,omitempty"`
	// ECDHE is the named curves of the TLS 1.2 (or the highest earlier
	// version's) ECDHE ServerKeyExchange, in the server's order when it
	// has one; nil when no ECDHE suite is accepted there.
	ECDHE *GroupList `json:"ecdhe,omitempty"`
	// FFDHE is the RFC 7919 groups the server agrees to for DHE when
	// named in supported_groups, in the version of ECDHE (dhparams.go);
	// nil when no DHE suite is accepted there, empty when the server
	// ignores the groups offered.
	FFDHE *GroupList `json:"ffdhe,omitempty"`
	// DHE is the group of a DHE ServerKeyExchange when the client names
	// no finite-field group; nil when no DHE suite is accepted.
	DHE *DHParams `json:"dhe,omitempty"`
}

// GroupList is the groups accepted in one version.
type GroupList struct {
	Version suites.Version `json:"-"`
	Name    string         `json:"version"`
	// Order is whose preference decides among the groups.
	Order  Order        `json:"order"`
	Groups []GroupEntry `json:"groups"`
}

// GroupEntry names one group.
type GroupEntry struct {
	ID      suites.Group `json:"-"`
	Code    string       `json:"code"`
	IANA    string       `json:"iana"`
	OpenSSL string       `json:"openssl,omitempty"`
}

func suiteEntry(id suites.ID) SuiteEntry {
	e := SuiteEntry{ID: id, Code: fmt.Sprintf("0x%04X", uint16(id)), IANA: id.String()}
	if s := suites.SuiteByID(id); s != nil {
		e.OpenSSL = s.OpenSSLName
	}
	return e
}

func groupEntry(g suites.Group) GroupEntry {
	e := GroupEntry{ID: g, Code: fmt.Sprintf("0x%04X", uint16(g)), IANA: g.String()}
	if info := suites.GroupByID(g); info != nil {
		e.OpenSSL = info.OpenSSLName
	}
	return e
}

// Supported returns the versions the server speaks, lowest first.
func (r *Report) Supported() []suites.Version {
	var out []suites.Version
	for _, v := range r.Versions {
		if v.Supported {
			out = append(out, v.Version)
		}
	}
	return out
}

// Error is a scan that could not run: the server could not be reached, or
// does not speak TLS, or never answered a ClientHello.
type Error struct {
	Target string
	// Outcome is the probes' common answer: OutcomeUnreachable,
	// OutcomeNotTLS, OutcomeClosed, OutcomeTimeout or OutcomeMalformed.
	Outcome Outcome
	Err     error
}

func (e *Error) Error() string {
	switch e.Outcome {
	case OutcomeUnreachable:
		return fmt.Sprintf("scan %s: cannot connect: %v", e.Target, e.Err)
	case OutcomeNotTLS:
		return fmt.Sprintf("scan %s: not a TLS server: %v", e.Target, e.Err)
	case OutcomeClosed:
		return fmt.Sprintf("scan %s: the server closed the connection after every ClientHello without a TLS answer", e.Target)
	case OutcomeTimeout:
		return fmt.Sprintf("scan %s: the server did not answer any ClientHello before the timeout", e.Target)
	}
	return fmt.Sprintf("scan %s: no usable TLS answer: %v", e.Target, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

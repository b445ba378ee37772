package scan

import (
	"fmt"
	"strings"
)

// Severity ranks a finding. The order matters: --fail-on compares with it
// and the grade is read from the worst one (docs/scan-grading.md).
type Severity uint8

// Severities, least to most serious.
const (
	// SeverityOK: the check passed, or did not apply.
	SeverityOK Severity = iota
	// SeverityLow: a weakness that needs an unlikely setting to matter,
	// or an interoperability fault.
	SeverityLow
	// SeverityMedium: a weakness with a known attack that needs much
	// traffic or a strong position (SWEET32, RC4, CRIME).
	SeverityMedium
	// SeverityHigh: a practical attack on the connections' secrecy or
	// integrity (POODLE, FREAK, Logjam, ROBOT, CCS injection, anonymous
	// or NULL or sub-112-bit suites).
	SeverityHigh
	// SeverityCritical: the server's memory or private key is exposed
	// (Heartbleed, DROWN).
	SeverityCritical
)

var severityNames = [...]string{"ok", "low", "medium", "high", "critical"}

// String returns the severity's name as in JSON and on the command line.
func (s Severity) String() string {
	if int(s) < len(severityNames) {
		return severityNames[s]
	}
	return fmt.Sprintf("Severity(%d)", uint8(s))
}

// MarshalText makes a Severity a JSON string.
func (s Severity) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a Severity back from its name, so that a Report
// round-trips through JSON.
func (s *Severity) UnmarshalText(text []byte) error {
	v, err := ParseSeverity(string(text))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// ParseSeverity reads a severity name (case does not matter).
func ParseSeverity(name string) (Severity, error) {
	for i, n := range severityNames {
		if strings.EqualFold(name, n) {
			return Severity(i), nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q: want one of %s", name, strings.Join(severityNames[:], ", "))
}

// Status says what a check concluded.
type Status string

// Statuses of a finding.
const (
	// StatusVulnerable: the server has the weakness; Evidence shows it.
	StatusVulnerable Status = "vulnerable"
	// StatusNotVulnerable: the probe ran and the server behaved well.
	StatusNotVulnerable Status = "not_vulnerable"
	// StatusNotApplicable: the server lacks what the weakness needs (no
	// RSA key exchange for ROBOT, no tickets for Ticketbleed).
	StatusNotApplicable Status = "not_applicable"
	// StatusUnknown: the probe could not decide (it failed on the way).
	StatusUnknown Status = "unknown"
)

// Finding is one known weakness checked on the server.
type Finding struct {
	// ID is a stable short name: "heartbleed", "robot", ...
	ID string `json:"id"`
	// Name is how people call it.
	Name   string `json:"name"`
	Status Status `json:"status"`
	// Severity is SeverityOK unless Status is StatusVulnerable.
	Severity Severity `json:"severity"`
	// Evidence says what the server did that decided the status.
	Evidence string `json:"evidence"`
	// Reference is the CVE, RFC or paper that describes the weakness.
	Reference string `json:"reference"`
}

// weakFinding builds a Finding: vulnerable ones take the weakness's severity,
// the others SeverityOK.
func weakFinding(w weakness, status Status, evidence string, args ...any) Finding {
	f := Finding{ID: w.id, Name: w.name, Status: status, Evidence: fmt.Sprintf(evidence, args...), Reference: w.reference}
	if status == StatusVulnerable {
		f.Severity = w.severity
	}
	return f
}

// weakness is the fixed description of one check.
type weakness struct {
	id, name  string
	severity  Severity
	reference string
}

// The weaknesses a scan checks, with the severity each gets when found.
var (
	weakHeartbleed  = weakness{"heartbleed", "Heartbleed", SeverityCritical, "CVE-2014-0160; RFC 6520 §4"}
	weakCCS         = weakness{"ccs_injection", "CCS injection", SeverityHigh, "CVE-2014-0224"}
	weakROBOT       = weakness{"robot", "ROBOT (RSA padding oracle)", SeverityHigh, "Böck, Somorovsky, Young: Return Of Bleichenbacher's Oracle Threat, USENIX Security 2018; CVE-2017-13099 and others; RFC 5246 §7.4.7.1"}
	weakTicketbleed = weakness{"ticketbleed", "Ticketbleed", SeverityHigh, "CVE-2016-9244; RFC 5077 §3.4"}
	weakDROWN       = weakness{"drown", "DROWN (SSL 2.0)", SeverityCritical, "CVE-2016-0800; Aviram et al., USENIX Security 2016; RFC 6176"}
	weakPOODLE      = weakness{"poodle", "POODLE (SSL 3.0 CBC)", SeverityHigh, "CVE-2014-3566; RFC 7568"}
	weakSWEET32     = weakness{"sweet32", "SWEET32 (64-bit block ciphers)", SeverityMedium, "CVE-2016-2183; Bhargavan, Leurent, CCS 2016"}
	weakFREAK       = weakness{"freak", "FREAK (export RSA)", SeverityHigh, "CVE-2015-0204; Beurdouche et al., IEEE S&P 2015"}
	weakLogjam      = weakness{"logjam", "Logjam (export or weak DH)", SeverityHigh, "CVE-2015-4000; Adrian et al., CCS 2015"}
	weakBEAST       = weakness{"beast", "BEAST (TLS 1.0 CBC)", SeverityLow, "CVE-2011-3389; RFC 4346 §1.1"}
	weakRC4         = weakness{"rc4", "RC4", SeverityMedium, "RFC 7465; CVE-2013-2566, CVE-2015-2808"}
	weakCRIME       = weakness{"crime", "CRIME (TLS compression)", SeverityMedium, "CVE-2012-4929; RFC 7457 §2.6"}
	weakReneg       = weakness{"insecure_renegotiation", "Insecure renegotiation (no RFC 5746)", SeverityMedium, "CVE-2009-3555; RFC 5746"}
	weakEMS         = weakness{"no_extended_master_secret", "No extended master secret", SeverityLow, "RFC 7627 (triple handshake, Bhargavan et al., IEEE S&P 2014)"}
	weakIntolerance = weakness{"version_intolerance", "Version or hello intolerance", SeverityLow, "RFC 8446 §4.1.2, §9.3; RFC 8701; RFC 7685 §1"}
	weakFallback    = weakness{"no_fallback_scsv", "No TLS_FALLBACK_SCSV", SeverityLow, "RFC 7507"}
	weakAnon        = weakness{"anonymous_suites", "Anonymous suites (no server authentication)", SeverityHigh, "RFC 5246 Appendix F.1.1.1; RFC 4492 §2.5; RFC 9325 §4.1"}
	weakNULL        = weakness{"null_encryption", "NULL encryption (records in the clear)", SeverityHigh, "RFC 5246 Appendix A.5; RFC 9325 §4.1"}
	weakShortKey    = weakness{"weak_encryption", "Encryption under 112 bits (export, DES)", SeverityHigh, "RFC 9325 §4.1; NIST SP 800-57 Part 1 Rev. 5 Table 2"}
)

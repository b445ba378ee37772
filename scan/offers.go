package scan

import (
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
)

// What the probes offer: everything the registries hold for a version, so
// that a scan finds suites and groups clasp itself cannot run.

// ScannedVersions returns the versions a scan probes, lowest first. SSL
// 2.0 has its own hello format and its own probe (sslv2.go).
func ScannedVersions() []suites.Version {
	return []suites.Version{suites.VersionSSL30, suites.VersionTLS10, suites.VersionTLS11, suites.VersionTLS12, suites.VersionTLS13}
}

// suitesFor lists every registered suite that may be negotiated in v, in
// code-point order, without the signalling values.
func suitesFor(v suites.Version) []suites.ID {
	var out []suites.ID
	for _, s := range suites.AllSuites() {
		if !s.SCSV && s.SupportsVersion(v) {
			out = append(out, s.ID)
		}
	}
	return out
}

// tls13Groups lists the groups that may appear in a TLS 1.3 key_share:
// every registered group but RFC 8446 §4.2.7's obsolete curves (the
// sect*, secp160/192/224 and secp256k1 curves and the TLS 1.2 brainpool
// code points, 0x0001–0x001C apart from the three NIST curves) and the
// explicit-curve placeholders.
func tls13Groups() []suites.Group {
	var out []suites.Group
	for _, g := range suites.AllGroups() {
		switch {
		case g.Kind == suites.GroupOther:
		case g.ID <= 0x001C && !slices.Contains([]suites.Group{suites.Secp256r1, suites.Secp384r1, suites.Secp521r1}, g.ID):
		default:
			out = append(out, g.ID)
		}
	}
	return out
}

// ecdheGroups lists the elliptic curves a TLS 1.2 ECDHE ServerKeyExchange
// may name (RFC 8422 §5.1.1 and the registry's later curves), without the
// TLS 1.3-only brainpool code points.
func ecdheGroups() []suites.Group {
	var out []suites.Group
	for _, g := range suites.AllGroups() {
		if g.Kind == suites.GroupEC && (g.ID < 0x001F || g.ID > 0x0021) {
			out = append(out, g.ID)
		}
	}
	return out
}

// allSchemes lists every registered signature scheme, so that no server
// refuses a probe for want of one it can sign with.
func allSchemes() []suites.SignatureScheme {
	var out []suites.SignatureScheme
	for _, s := range suites.AllSchemes() {
		out = append(out, s.ID)
	}
	return out
}

// helloFor is the probe that offers version v alone with the given suites:
// for TLS 1.3 through supported_versions with X25519 and P-256 key shares,
// for TLS 1.0–1.2 as legacy_version with every curve (and every signature
// scheme in TLS 1.2, the first version with signature_algorithms), for SSL
// 3.0 with no extensions at all, as SSL 3.0 clients sent it, in an SSL 3.0
// record.
func helloFor(v suites.Version, offer []suites.ID, serverName string) *Probe {
	p := &Probe{Version: v, CipherSuites: offer, ServerName: serverName}
	switch {
	case v >= suites.VersionTLS13:
		p.Version = suites.VersionTLS12
		p.SupportedVersions = []suites.Version{v}
		p.Groups = tls13Groups()
		p.KeyShares = []suites.Group{suites.X25519, suites.Secp256r1}
		p.SignatureSchemes = allSchemes()
	case v == suites.VersionSSL30:
		p.RecordVersion = suites.VersionSSL30
		p.ServerName = ""
		p.NoExtensions = true
		// RFC 5746 §3.3: the SCSV stands for the empty renegotiation_info
		// a hello without extensions cannot carry.
		p.CipherSuites = append(slices.Clone(offer), suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
	default:
		p.Groups = ecdheGroups()
		if v == suites.VersionTLS12 {
			p.SignatureSchemes = allSchemes()
		}
		p.CipherSuites = append(slices.Clone(offer), suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
	}
	return p
}

// chunks splits list into pieces of at most n.
func chunks[T any](list []T, n int) [][]T {
	var out [][]T
	for len(list) > n {
		out = append(out, list[:n])
		list = list[n:]
	}
	if len(list) > 0 {
		out = append(out, list)
	}
	return out
}

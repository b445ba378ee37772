package scan

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Version intolerance: servers (and middleboxes in front of them) that
// fail a hello they should simply negotiate down from. RFC 5246 Appendix
// E.1 and RFC 8446 §4.1.2/§4.2.1 require a server to answer a higher
// version than its own with its own highest; RFC 8446 §9.3 and RFC 8701
// require unknown versions and extensions to be ignored; RFC 7685 §1
// explains the padding extension by the F5 BIG-IP bug that hung on
// ClientHellos of 256 to 511 bytes. TLS_FALLBACK_SCSV (RFC 7507) lets a
// server refuse a client that retried with a lower version than both
// support.

// Intolerance is what the intolerance and fallback probes found.
type Intolerance struct {
	// Checks has one entry per shape of hello, in the order probed.
	Checks []ToleranceCheck `json:"checks"`
	// FallbackSCSV is the RFC 7507 check.
	FallbackSCSV FallbackSCSV `json:"fallback_scsv"`
}

// ToleranceCheck is one unusual hello and how the server took it.
type ToleranceCheck struct {
	// Name says what was unusual about the hello.
	Name string `json:"name"`
	// Expect is the answer a tolerant server gives.
	Expect string `json:"expect"`
	// Tolerated: the server answered as expected.
	Tolerated bool   `json:"tolerated"`
	Answer    string `json:"answer"`
}

// FallbackSCSV is the outcome of offering a lower version than the
// server's highest with TLS_FALLBACK_SCSV.
type FallbackSCSV struct {
	// Tested is false when the server speaks only one version, so no
	// fallback can be offered.
	Tested bool `json:"tested"`
	// Supported: the server refused with inappropriate_fallback.
	Supported bool   `json:"supported"`
	Offered   string `json:"offered,omitempty"`
	Answer    string `json:"answer,omitempty"`
}

// tlsFallbackSCSV is the RFC 7507 §6 code point.
const tlsFallbackSCSV suites.ID = 0x5600

// highest returns the highest supported version at or below limit, or 0.
func highest(rep *Report, limit suites.Version) suites.Version {
	var best suites.Version
	for _, v := range rep.Supported() {
		if v <= limit && v > best {
			best = v
		}
	}
	return best
}

// acceptedSuites returns up to n of the suites the report found for v, or
// the registry's list for v when it found none.
func acceptedSuites(rep *Report, v suites.Version, n int) []suites.ID {
	var out []suites.ID
	for _, vs := range rep.CipherSuites {
		if vs.Version == v {
			for _, e := range vs.Suites {
				out = append(out, e.ID)
			}
		}
	}
	if len(out) == 0 {
		return suitesFor(v)
	}
	return out[:min(n, len(out))]
}

// compactSchemes are the signature schemes a compact hello offers: the
// ones any TLS 1.2 or 1.3 certificate can sign with (RFC 8446 §9.1's
// mandatory ones and their larger siblings, and the SHA-1 pairs of old
// servers).
var compactSchemes = []suites.SignatureScheme{0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601, 0x0807, 0x0201, 0x0203}

// compactHello is a short, ordinary hello for v offering what the scan
// already found the server accepts, so that its size can be set exactly.
func compactHello(rep *Report, v suites.Version, serverName string) *Probe {
	p := helloFor(v, acceptedSuites(rep, v, 8), serverName)
	if v == suites.VersionSSL30 {
		return p
	}
	p.Groups = []suites.Group{suites.X25519, suites.Secp256r1, suites.Secp384r1, suites.Secp521r1, suites.FFDHE2048}
	if l := rep.Groups.TLS13; v == suites.VersionTLS13 && l != nil && len(l.Groups) > 0 {
		g := smallShareGroup(l.Groups)
		p.Groups = []suites.Group{g}
		p.KeyShares = nil
		p.KeyShare = true
		if CanShare(g) {
			p.KeyShares = []suites.Group{g}
		}
	}
	if v >= suites.VersionTLS12 {
		p.SignatureSchemes = compactSchemes
	}
	return p
}

// smallShareGroup picks, among the server's TLS 1.3 groups, the one with
// the shortest key share (X25519, then the NIST curves), so that a compact
// hello stays under 256 bytes; a hybrid share alone is over 1 KB.
func smallShareGroup(groups []GroupEntry) suites.Group {
	for _, g := range []suites.Group{suites.X25519, suites.Secp256r1, suites.Secp384r1, suites.Secp521r1} {
		for _, e := range groups {
			if e.ID == g {
				return g
			}
		}
	}
	return groups[0].ID
}

// padTo adds a padding extension (RFC 7685) that makes the probe's
// ClientHello, handshake header included, exactly size bytes. It fails when
// the hello is already too long for that.
func padTo(p *Probe, size int) (*Probe, error) {
	raw, err := p.marshal()
	if err != nil {
		return nil, err
	}
	// An extension costs four bytes of header besides its body.
	fill := size - len(raw) - 4
	if fill < 0 {
		return nil, fmt.Errorf("scan: the hello is %d bytes, too long to pad to %d", len(raw), size)
	}
	q := *p
	q.Extra = append(slices.Clone(p.Extra), &wire.PaddingExt{Length: fill})
	return &q, nil
}

// manyExtensions are 24 extensions with unassigned code points (and GREASE,
// RFC 8701 §2) and short bodies: a server must ignore what it does not
// know (RFC 5246 §7.4.1.4, RFC 8446 §4.2).
func manyExtensions() []wire.Extension {
	var out []wire.Extension
	for i := range 24 {
		code := wire.ExtensionType(0xEE00 + i)
		if i%6 == 0 {
			code = wire.ExtensionType(0x0A0A + 0x1010*(i/6)) // GREASE
		}
		out = append(out, &wire.UnknownExt{Code: code, Data: []byte{byte(i)}})
	}
	return out
}

// toleranceProbe is one shape of hello and the version it must get.
type toleranceProbe struct {
	name   string
	probe  *Probe
	expect suites.Version
}

// toleranceProbes builds the probes for a server whose highest versions
// are top (any) and top12 (TLS 1.2 or below).
func (s *scanner) toleranceProbes(rep *Report, top, top12 suites.Version) ([]toleranceProbe, error) {
	var out []toleranceProbe
	if top12 >= suites.VersionTLS10 {
		// RFC 8446 §4.2.1: without supported_versions a server that also
		// speaks TLS 1.2 "MUST negotiate TLS 1.2 or prior".
		p := compactHello(rep, top12, s.serverName)
		p.Version = suites.VersionTLS13
		out = append(out, toleranceProbe{"legacy_version 0x0304 (TLS 1.3) without supported_versions", p, top12})
	}
	if top >= suites.VersionTLS10 {
		// supported_versions with a GREASE value (RFC 8701), a far future
		// 0x0305 and an old draft code point (0x7f1c, draft 28) ahead of
		// every real version from TLS 1.3 down to TLS 1.0.
		p := compactHello(rep, top, s.serverName)
		if top < suites.VersionTLS13 {
			p.KeyShares = []suites.Group{suites.X25519}
		}
		p.Version = suites.VersionTLS12
		p.SupportedVersions = []suites.Version{0x2A2A, 0x0305, 0x7F1C, suites.VersionTLS13, suites.VersionTLS12, suites.VersionTLS11, suites.VersionTLS10}
		p.CipherSuites = append(acceptedSuites(rep, top, 8), acceptedSuitesBelow13(rep, top12)...)
		out = append(out, toleranceProbe{"supported_versions with unknown values (GREASE, 0x0305, 0x7F1C) first", p, top})

		many := compactHello(rep, top, s.serverName)
		many.Extra = manyExtensions()
		out = append(out, toleranceProbe{"24 unknown and GREASE extensions", many, top})
		for _, size := range []int{300, 530} {
			padded, err := padTo(compactHello(rep, top, s.serverName), size)
			if err != nil {
				s.note("intolerance: %v", err)
				continue
			}
			out = append(out, toleranceProbe{fmt.Sprintf("a ClientHello of %d bytes (padding extension)", size), padded, top})
		}
	}
	return out, nil
}

// acceptedSuitesBelow13 lists suites for v when v is below TLS 1.3.
func acceptedSuitesBelow13(rep *Report, v suites.Version) []suites.ID {
	if v == 0 || v >= suites.VersionTLS13 {
		return nil
	}
	return acceptedSuites(rep, v, 8)
}

// intolerance runs the tolerance probes and the fallback check.
func (s *scanner) intolerance(ctx context.Context, rep *Report) (*Intolerance, error) {
	top := highest(rep, suites.VersionTLS13)
	if top < suites.VersionTLS10 {
		// Only SSL 3.0 (or nothing): there is no extension-bearing hello
		// to bend.
		return &Intolerance{}, nil
	}
	probes, err := s.toleranceProbes(rep, top, highest(rep, suites.VersionTLS12))
	if err != nil {
		return nil, err
	}
	out := &Intolerance{Checks: make([]ToleranceCheck, len(probes))}
	errs := make([]error, len(probes)+1)
	var wg sync.WaitGroup
	for i, tp := range probes {
		wg.Go(func() {
			res, err := s.run(ctx, tp.probe)
			if err != nil {
				errs[i] = err
				return
			}
			out.Checks[i] = ToleranceCheck{Name: tp.name, Expect: "a hello for " + tp.expect.String(),
				Tolerated: res.Agreed() && res.Version == tp.expect, Answer: res.Summary()}
		})
	}
	wg.Go(func() { out.FallbackSCSV, errs[len(probes)] = s.fallbackSCSV(ctx, rep) })
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// fallbackSCSV offers the version just below the server's highest, alone,
// with TLS_FALLBACK_SCSV. RFC 7507 §3: a server whose highest version is
// above the client's "MUST respond with a fatal inappropriate_fallback
// alert".
func (s *scanner) fallbackSCSV(ctx context.Context, rep *Report) (FallbackSCSV, error) {
	supported := rep.Supported()
	if len(supported) < 2 {
		return FallbackSCSV{}, nil
	}
	lower := supported[len(supported)-2]
	p := compactHello(rep, lower, s.serverName)
	p.CipherSuites = append(slices.Clone(p.CipherSuites), tlsFallbackSCSV)
	res, err := s.run(ctx, p)
	if err != nil {
		return FallbackSCSV{}, err
	}
	return FallbackSCSV{
		Tested:    true,
		Supported: res.Outcome == OutcomeAlert && res.Alert.Description == wire.AlertInappropriateFallback,
		Offered:   lower.String() + " with TLS_FALLBACK_SCSV",
		Answer:    res.Summary(),
	}, nil
}

package scan

import (
	"crypto/rand"
	"fmt"
	"io"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Probe is one ClientHello, shaped exactly as asked. Nothing is filtered:
// suites, groups and schemes clasp cannot run are sent as given, because a
// scan asks what the server accepts, not what clasp can finish.
type Probe struct {
	// RecordVersion is the version in the ClientHello's record header;
	// 0 means TLS 1.0 (0x0301), what most clients send (RFC 8446
	// Appendix D). SSL 3.0 probes send 0x0300.
	RecordVersion suites.Version
	// Version is ClientHello.legacy_version: the highest version offered
	// without supported_versions, 0x0303 with it.
	Version suites.Version
	// SupportedVersions, when non-empty, is sent in supported_versions
	// (RFC 8446 §4.2.1), in order.
	SupportedVersions []suites.Version
	// CipherSuites is the cipher_suites list, in order; non-empty.
	CipherSuites []suites.ID
	// Groups, when non-empty, is sent in supported_groups, in order, with
	// ec_point_formats (uncompressed) beside it.
	Groups []suites.Group
	// KeyShares lists the groups to send a key share for, in order, in
	// key_share; each needs a share this package can build (see
	// CanShare). KeyShare sends the extension even when KeyShares is
	// empty, which asks a TLS 1.3 server for a HelloRetryRequest.
	KeyShares []suites.Group
	KeyShare  bool
	// SignatureSchemes, when non-empty, is sent in signature_algorithms.
	SignatureSchemes []suites.SignatureScheme
	// ServerName, when set, is sent in server_name (SNI).
	ServerName string
	// NoExtensions sends a hello without an extensions block at all, as
	// SSL 3.0 clients did; the fields above that are extensions must then
	// be empty.
	NoExtensions bool
	// Extra extensions are appended after the ones above, in order.
	Extra []wire.Extension
	// CompressionMethods, when non-empty, replaces the compression_methods
	// list, null (0) alone otherwise: DEFLATE (1, RFC 3749) asks whether
	// the server compresses (CRIME).
	CompressionMethods []uint8
	// ReadFlight asks, for a TLS 1.2 or earlier ServerHello, to read the
	// rest of the server's first flight up to ServerHelloDone, keeping its
	// Certificate and ServerKeyExchange.
	ReadFlight bool
}

// Hello builds the ClientHello, generating key shares and the random values
// from rand. It fails when the probe asks for something that cannot be
// sent: a key share for a group with no share builder, extensions together
// with NoExtensions, no cipher suites.
func (p *Probe) Hello(rand io.Reader) (*wire.ClientHello, error) {
	if len(p.CipherSuites) == 0 {
		return nil, fmt.Errorf("scan: a probe needs at least one cipher suite")
	}
	h := &wire.ClientHello{
		Version:            p.Version,
		CipherSuites:       slices.Clone(p.CipherSuites),
		CompressionMethods: []uint8{0},
	}
	if len(p.CompressionMethods) > 0 {
		h.CompressionMethods = slices.Clone(p.CompressionMethods)
	}
	if _, err := io.ReadFull(rand, h.Random[:]); err != nil {
		return nil, err
	}
	if len(p.SupportedVersions) > 0 {
		// RFC 8446 Appendix D.4: a TLS 1.3 client sends a session ID, so
		// that middleboxes see what looks like a resumption.
		h.SessionID = make([]byte, 32)
		if _, err := io.ReadFull(rand, h.SessionID); err != nil {
			return nil, err
		}
	}
	exts, err := p.extensions(rand)
	if err != nil {
		return nil, err
	}
	if p.NoExtensions {
		if len(exts) > 0 {
			return nil, fmt.Errorf("scan: a probe without extensions asks for %d", len(exts))
		}
		return h, nil
	}
	h.Extensions = exts
	return h, nil
}

// extensions lists the probe's extensions in the order most clients send
// them; an empty list is an empty (present) extensions block.
func (p *Probe) extensions(rand io.Reader) ([]wire.Extension, error) {
	exts := []wire.Extension{}
	if p.ServerName != "" {
		exts = append(exts, &wire.ServerNameExt{HostName: p.ServerName})
	}
	if len(p.Groups) > 0 {
		exts = append(exts, &wire.SupportedGroupsExt{Groups: slices.Clone(p.Groups)},
			&wire.ECPointFormatsExt{Formats: []uint8{0}})
	}
	if len(p.SignatureSchemes) > 0 {
		exts = append(exts, &wire.SignatureAlgorithmsExt{Schemes: slices.Clone(p.SignatureSchemes)})
	}
	if len(p.SupportedVersions) > 0 {
		exts = append(exts, &wire.SupportedVersionsExt{Versions: slices.Clone(p.SupportedVersions)},
			&wire.PSKKeyExchangeModesExt{Modes: []uint8{1}}) // psk_dhe_ke
	}
	if p.KeyShare || len(p.KeyShares) > 0 {
		ks := &wire.KeyShareExt{}
		for _, g := range p.KeyShares {
			public, err := keyShare(g, rand)
			if err != nil {
				return nil, err
			}
			ks.Entries = append(ks.Entries, wire.KeyShareEntry{Group: g, KeyExchange: public})
		}
		exts = append(exts, ks)
	}
	return append(exts, p.Extra...), nil
}

// marshal builds and encodes the hello with fresh randomness.
func (p *Probe) marshal() ([]byte, error) {
	h, err := p.Hello(rand.Reader)
	if err != nil {
		return nil, err
	}
	return h.Marshal()
}

package scan

import (
	"encoding/hex"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Turning a real ClientHello into a HelloProfile and a HelloProfile back
// into a Probe. Both directions keep the same things: what the client
// offers and in which order, never what changes per connection.

// perConnectionExtensions carry values that change from one connection to
// the next (the host name, key share bytes, padding that depends on the
// hello's length, a GREASE ECH payload, resumption data) or are kept in the
// typed lists of HelloProfile; their bodies are not stored.
var perConnectionExtensions = []wire.ExtensionType{
	wire.ExtServerName, wire.ExtKeyShare, wire.ExtPadding, wire.ExtPreSharedKey, wire.ExtEarlyData,
	wire.ExtEncryptedClientHello, wire.ExtSupportedVersions, wire.ExtSupportedGroups,
	wire.ExtSignatureAlgorithms, wire.ExtSignatureAlgorithmsCert, wire.ExtALPN,
}

// HelloProfileOf describes a ClientHello sent in a record of version
// recordVersion.
func HelloProfileOf(h *wire.ClientHello, recordVersion suites.Version) (HelloProfile, error) {
	p := HelloProfile{
		RecordVersion: versionCode(recordVersion),
		LegacyVersion: versionCode(h.Version),
		SessionID:     len(h.SessionID) > 0,
	}
	for _, m := range h.CompressionMethods {
		p.CompressionMethods = append(p.CompressionMethods, int(m))
	}
	for _, id := range h.CipherSuites {
		if suites.IsGREASE(uint16(id)) {
			p.GREASE = true
			continue
		}
		p.CipherSuites = append(p.CipherSuites, suiteCode(id))
	}
	if h.Extensions != nil {
		p.Extensions = []ExtensionProfile{}
	}
	for _, e := range h.Extensions {
		if err := p.addExtension(e); err != nil {
			return HelloProfile{}, err
		}
	}
	return p, nil
}

// addExtension records one extension: its code point, its body when that
// is fixed, and the lists it carries.
func (p *HelloProfile) addExtension(e wire.Extension) error {
	t := e.ExtType()
	if suites.IsGREASE(uint16(t)) {
		p.GREASE = true
		return nil
	}
	entry := ExtensionProfile{Code: extensionCode(t)}
	// A session_ticket body is a ticket from an earlier connection; the
	// profile keeps only that the client asks for one (an empty body).
	if !slices.Contains(perConnectionExtensions, t) && t != wire.ExtSessionTicket {
		body, err := wire.ExtensionBody(e, wire.TypeClientHello)
		if err != nil {
			return fmt.Errorf("extension %v: %w", t, err)
		}
		entry.Data = hex.EncodeToString(body)
	}
	p.Extensions = append(p.Extensions, entry)
	switch x := e.(type) {
	case *wire.SupportedVersionsExt:
		p.SupportedVersions = codes(x.Versions, versionCode, &p.GREASE)
	case *wire.SupportedGroupsExt:
		p.Groups = codes(x.Groups, groupCode, &p.GREASE)
	case *wire.KeyShareExt:
		for _, ks := range x.Entries {
			if suites.IsGREASE(uint16(ks.Group)) {
				p.GREASE = true
				continue
			}
			p.KeyShares = append(p.KeyShares, groupCode(ks.Group))
		}
	case *wire.SignatureAlgorithmsExt:
		p.SignatureSchemes = codes(x.Schemes, schemeCode, &p.GREASE)
	case *wire.SignatureAlgorithmsCertExt:
		p.SignatureSchemesCert = codes(x.Schemes, schemeCode, &p.GREASE)
	case *wire.ALPNExt:
		p.ALPN = slices.Clone(x.Protocols)
	}
	return nil
}

// codes labels a list of code points, leaving GREASE values out and noting
// that there were some.
func codes[T ~uint16](list []T, code func(T) CodePoint, grease *bool) []CodePoint {
	var out []CodePoint
	for _, v := range list {
		if suites.IsGREASE(uint16(v)) {
			*grease = true
			continue
		}
		out = append(out, code(v))
	}
	return out
}

// builtByProbe are the extensions a Probe writes itself from its fields
// (ec_point_formats and psk_key_exchange_modes come with supported_groups
// and supported_versions), so a profile's copies are not added again.
var builtByProbe = []wire.ExtensionType{
	wire.ExtServerName, wire.ExtSupportedGroups, wire.ExtECPointFormats, wire.ExtSignatureAlgorithms,
	wire.ExtSupportedVersions, wire.ExtPSKKeyExchangeModes, wire.ExtKeyShare,
}

// Probe returns the hello of the client as a probe: the same versions,
// suites in order, groups, key shares (those a probe can build), signature
// schemes and the other extensions with their recorded bodies, and SNI
// when the client sends it and serverName is set. Left out, because a
// probe cannot send them meaningfully: padding, a GREASE ECH payload and
// GREASE values, compression methods other than null.
func (c *ClientProfile) Probe(serverName string) *Probe {
	h := &c.Hello
	p := &Probe{
		RecordVersion:     suites.Version(h.RecordVersion.Value),
		Version:           suites.Version(h.LegacyVersion.Value),
		SupportedVersions: h.versions(),
		CipherSuites:      h.suiteIDs(),
		Groups:            h.groups(),
		SignatureSchemes:  h.schemes(),
		KeyShare:          h.hasExtension(wire.ExtKeyShare),
		NoExtensions:      h.Extensions == nil,
		ReadFlight:        true,
	}
	for _, g := range h.keyShares() {
		if CanShare(g) {
			p.KeyShares = append(p.KeyShares, g)
		}
	}
	if h.hasExtension(wire.ExtServerName) {
		p.ServerName = serverName
	}
	for _, e := range h.Extensions {
		t := wire.ExtensionType(e.Code.Value)
		switch {
		case slices.Contains(builtByProbe, t):
		case t == wire.ExtALPN:
			p.Extra = append(p.Extra, &wire.ALPNExt{Protocols: slices.Clone(h.ALPN)})
		case t == wire.ExtSignatureAlgorithmsCert:
			p.Extra = append(p.Extra, &wire.SignatureAlgorithmsCertExt{Schemes: convert[suites.SignatureScheme](h.SignatureSchemesCert)})
		case slices.Contains(perConnectionExtensions, t):
		default:
			body, _ := hex.DecodeString(e.Data) // checked when the profiles are tested
			p.Extra = append(p.Extra, &wire.UnknownExt{Code: t, Data: body})
		}
	}
	return p
}

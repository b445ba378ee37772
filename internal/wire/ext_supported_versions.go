package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// supported_versions (RFC 8446 §4.2.1).

// SupportedVersionsExt is the supported_versions extension. In a ClientHello
// it lists the versions the client offers, in preference order, GREASE
// values included. In a ServerHello or HelloRetryRequest it holds exactly
// the one version the server selected, which the wire carries as a bare
// uint16 with no length prefix.
type SupportedVersionsExt struct {
	Versions []suites.Version
}

// ExtType returns ExtSupportedVersions.
func (*SupportedVersionsExt) ExtType() ExtensionType { return ExtSupportedVersions }

func (e *SupportedVersionsExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil || len(e.Versions) == 0 {
		b.SetError(errMarshal("supported_versions with no versions"))
		return
	}
	if msg != TypeClientHello {
		if len(e.Versions) != 1 {
			b.SetError(errMarshal("supported_versions in %v must name exactly one version", msg))
			return
		}
		b.AddUint16(uint16(e.Versions[0]))
		return
	}
	// versions<2..254>: over 127 versions the uint8 prefix overflows and
	// the builder fails on its own.
	b.AddUint8LengthPrefixed(func(b *builder) {
		for _, v := range e.Versions {
			b.AddUint16(uint16(v))
		}
	})
}

func parseSupportedVersions(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	if msg != TypeClientHello {
		// ProtocolVersion selected_version.
		var v uint16
		if !body.ReadUint16(&v) || !body.Empty() {
			return nil, decodeError("supported_versions in " + msg.String())
		}
		return &SupportedVersionsExt{Versions: []suites.Version{suites.Version(v)}}, nil
	}
	var list cryptobyte.String
	// ProtocolVersion versions<2..254>: non-empty and a whole number of
	// versions.
	if !body.ReadUint8LengthPrefixed(&list) || !body.Empty() || list.Empty() || len(list)%2 != 0 {
		return nil, decodeError("supported_versions")
	}
	e := &SupportedVersionsExt{}
	for !list.Empty() {
		var v uint16
		if !list.ReadUint16(&v) {
			return nil, decodeError("supported_versions")
		}
		e.Versions = append(e.Versions, suites.Version(v))
	}
	return e, nil
}

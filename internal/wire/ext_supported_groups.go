package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// supported_groups, formerly elliptic_curves (RFC 8422 §5.1.1, RFC 7919).

// SupportedGroupsExt is the supported_groups extension: the groups the sender
// can use, in preference order. Unknown and GREASE groups are kept. A TLS 1.3
// server may send its own list in EncryptedExtensions (RFC 8446 §4.2.7), for
// the client's next connection.
type SupportedGroupsExt struct {
	Groups []suites.Group
}

// ExtType returns ExtSupportedGroups.
func (*SupportedGroupsExt) ExtType() ExtensionType { return ExtSupportedGroups }

func (e *SupportedGroupsExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || len(e.Groups) == 0 {
		b.SetError(errMarshal("supported_groups with no groups"))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, g := range e.Groups {
			b.AddUint16(uint16(g))
		}
	})
}

func parseSupportedGroups(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var list cryptobyte.String
	// NamedGroup named_group_list<2..2^16-1>.
	if !body.ReadUint16LengthPrefixed(&list) || !body.Empty() || list.Empty() {
		return nil, decodeError("supported_groups")
	}
	e := &SupportedGroupsExt{}
	for !list.Empty() {
		var g uint16
		if !list.ReadUint16(&g) {
			return nil, decodeError("supported_groups")
		}
		e.Groups = append(e.Groups, suites.Group(g))
	}
	return e, nil
}

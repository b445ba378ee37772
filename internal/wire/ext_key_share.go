package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// key_share (RFC 8446 §4.2.8).

// KeyShareEntry is one group and the sender's public value for it. The
// value's shape depends on the group (RFC 8446 §4.2.8.1, §4.2.8.2; hybrid
// groups have their own); checking it is the key agreement's job.
type KeyShareEntry struct {
	Group suites.Group
	// KeyExchange is non-empty (key_exchange<1..2^16-1>).
	KeyExchange []byte
}

// KeyShareExt is the key_share extension, whose shape depends on the
// message:
//
//   - ClientHello: Entries is client_shares, in preference order; it may be
//     empty (nil) when the client asks the server to pick a group with a
//     HelloRetryRequest. SelectedGroup is 0.
//   - ServerHello: Entries is exactly the server_share. SelectedGroup is 0.
//   - HelloRetryRequest: SelectedGroup is the group the server wants a share
//     for, and Entries is nil.
type KeyShareExt struct {
	Entries       []KeyShareEntry
	SelectedGroup suites.Group
}

// ExtType returns ExtKeyShare.
func (*KeyShareExt) ExtType() ExtensionType { return ExtKeyShare }

func (e *KeyShareExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil key_share"))
		return
	}
	switch msg {
	case TypeHelloRetryRequest:
		if len(e.Entries) != 0 {
			b.SetError(errMarshal("key_share in a HelloRetryRequest names only a group"))
			return
		}
		b.AddUint16(uint16(e.SelectedGroup))
	case TypeServerHello:
		if len(e.Entries) != 1 || e.SelectedGroup != 0 {
			b.SetError(errMarshal("key_share in a ServerHello holds exactly one entry and no selected group"))
			return
		}
		addKeyShareEntry(b, e.Entries[0])
	default:
		if e.SelectedGroup != 0 {
			b.SetError(errMarshal("key_share in %v has no selected group", msg))
			return
		}
		if err := checkKeyShareGroupsUnique(e.Entries); err != nil {
			b.SetError(err)
			return
		}
		b.AddUint16LengthPrefixed(func(b *builder) {
			for _, entry := range e.Entries {
				addKeyShareEntry(b, entry)
			}
		})
	}
}

func addKeyShareEntry(b *builder, e KeyShareEntry) {
	if len(e.KeyExchange) == 0 {
		b.SetError(errMarshal("key_share entry for group %v with an empty key_exchange", e.Group))
		return
	}
	b.AddUint16(uint16(e.Group))
	b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(e.KeyExchange) })
}

func readKeyShareEntry(s *cryptobyte.String) (KeyShareEntry, bool) {
	var group uint16
	var kx cryptobyte.String
	if !s.ReadUint16(&group) || !s.ReadUint16LengthPrefixed(&kx) || kx.Empty() {
		return KeyShareEntry{}, false
	}
	return KeyShareEntry{Group: suites.Group(group), KeyExchange: cloneBytes(kx)}, true
}

func parseKeyShare(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	switch msg {
	case TypeHelloRetryRequest:
		// KeyShareHelloRetryRequest: NamedGroup selected_group, nothing
		// else.
		var group uint16
		if !body.ReadUint16(&group) || !body.Empty() {
			return nil, decodeError("key_share in a HelloRetryRequest (a group only)")
		}
		return &KeyShareExt{SelectedGroup: suites.Group(group)}, nil
	case TypeServerHello:
		// KeyShareServerHello: KeyShareEntry server_share, one entry with
		// no list around it.
		entry, ok := readKeyShareEntry(&body)
		if !ok || !body.Empty() {
			return nil, decodeError("key_share in a ServerHello (exactly one entry)")
		}
		return &KeyShareExt{Entries: []KeyShareEntry{entry}}, nil
	}
	var list cryptobyte.String
	// KeyShareEntry client_shares<0..2^16-1>.
	if !body.ReadUint16LengthPrefixed(&list) || !body.Empty() {
		return nil, decodeError("key_share")
	}
	e := &KeyShareExt{}
	for !list.Empty() {
		entry, ok := readKeyShareEntry(&list)
		if !ok {
			return nil, decodeError("key_share entry")
		}
		e.Entries = append(e.Entries, entry)
	}
	if err := checkKeyShareGroupsUnique(e.Entries); err != nil {
		return nil, err
	}
	return e, nil
}

// checkKeyShareGroupsUnique enforces RFC 8446 §4.2.8: "Clients MUST NOT
// offer multiple KeyShareEntry values for the same group ... Servers MAY
// check for violations of these rules and abort the handshake with an
// "illegal_parameter" alert". The check needs nothing but the list, so the
// parser makes it. (Whether each group is also in supported_groups is the
// server driver's check.)
func checkKeyShareGroupsUnique(entries []KeyShareEntry) error {
	seen := make(map[suites.Group]bool, len(entries))
	for _, e := range entries {
		if seen[e.Group] {
			return Errorf(AlertIllegalParameter, "key_share offers group %v twice", e.Group)
		}
		seen[e.Group] = true
	}
	return nil
}

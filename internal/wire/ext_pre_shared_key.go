package wire

import "golang.org/x/crypto/cryptobyte"

// pre_shared_key (RFC 8446 §4.2.11).

// PSKIdentity is one PSK the client offers: a ticket from NewSessionTicket13
// or an external PSK's identity, with the ticket's obfuscated age.
type PSKIdentity struct {
	// Identity is non-empty (identity<1..2^16-1>).
	Identity            []byte
	ObfuscatedTicketAge uint32
}

// Binder length bounds: opaque PskBinderEntry<32..255>.
const (
	minPSKBinderLen = 32
	maxPSKBinderLen = 255
)

// PreSharedKeyExt is the pre_shared_key extension. In a ClientHello it is
// OfferedPsks: Identities and, in the same order, one binder each; it must be
// the ClientHello's last extension. In a ServerHello it is the index of the
// identity the server accepted, and Identities and Binders are nil.
type PreSharedKeyExt struct {
	// Identities is non-empty in a ClientHello.
	Identities []PSKIdentity
	// Binders holds one HMAC per identity, each 32..255 bytes.
	Binders [][]byte
	// SelectedIdentity is the ServerHello's selected_identity; 0 in a
	// ClientHello. Whether it indexes an offered identity is the client
	// driver's check (illegal_parameter).
	SelectedIdentity uint16
}

// ExtType returns ExtPreSharedKey.
func (*PreSharedKeyExt) ExtType() ExtensionType { return ExtPreSharedKey }

func (e *PreSharedKeyExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil pre_shared_key"))
		return
	}
	if msg != TypeClientHello {
		if len(e.Identities) != 0 || len(e.Binders) != 0 {
			b.SetError(errMarshal("pre_shared_key in %v holds only selected_identity", msg))
			return
		}
		b.AddUint16(e.SelectedIdentity)
		return
	}
	if len(e.Identities) == 0 || len(e.Binders) != len(e.Identities) || e.SelectedIdentity != 0 {
		b.SetError(errMarshal("pre_shared_key with %d identities and %d binders (need as many, at least one) or a selected identity", len(e.Identities), len(e.Binders)))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, id := range e.Identities {
			if len(id.Identity) == 0 {
				b.SetError(errMarshal("empty PSK identity"))
				return
			}
			b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(id.Identity) })
			b.AddUint32(id.ObfuscatedTicketAge)
		}
	})
	e.addBinders(b)
}

// addBinders writes PskBinderEntry binders<33..2^16-1>: the part of a
// ClientHello that the binders themselves are computed without.
func (e *PreSharedKeyExt) addBinders(b *builder) {
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, binder := range e.Binders {
			if len(binder) < minPSKBinderLen || len(binder) > maxPSKBinderLen {
				b.SetError(errMarshal("PSK binder of %d bytes, want 32..255", len(binder)))
				return
			}
			b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(binder) })
		}
	})
}

// parsePreSharedKey reads the extension. In a ClientHello, a binder count
// that differs from the identity count is decode_error: RFC 8446 §4.2.11.2
// has the server abort (illegal_parameter is customary) when binders do not
// match, but a count mismatch makes OfferedPsks meaningless as a structure,
// which is what decode_error is for, and it is caught before any binder is
// computed.
func parsePreSharedKey(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	e := &PreSharedKeyExt{}
	if msg != TypeClientHello {
		// uint16 selected_identity.
		if !body.ReadUint16(&e.SelectedIdentity) || !body.Empty() {
			return nil, decodeError("pre_shared_key in " + msg.String())
		}
		return e, nil
	}
	var ids, binders cryptobyte.String
	// PskIdentity identities<7..2^16-1>; PskBinderEntry binders<33..2^16-1>.
	// Non-empty lists meet those bounds, since each element has a
	// non-empty vector.
	if !body.ReadUint16LengthPrefixed(&ids) || !body.ReadUint16LengthPrefixed(&binders) ||
		!body.Empty() || ids.Empty() || binders.Empty() {
		return nil, decodeError("pre_shared_key")
	}
	for !ids.Empty() {
		var id cryptobyte.String
		var age uint32
		if !ids.ReadUint16LengthPrefixed(&id) || id.Empty() || !ids.ReadUint32(&age) {
			return nil, decodeError("pre_shared_key identity")
		}
		e.Identities = append(e.Identities, PSKIdentity{Identity: cloneBytes(id), ObfuscatedTicketAge: age})
	}
	for !binders.Empty() {
		var binder cryptobyte.String
		if !binders.ReadUint8LengthPrefixed(&binder) || len(binder) < minPSKBinderLen {
			return nil, decodeError("pre_shared_key binder (32..255 bytes)")
		}
		e.Binders = append(e.Binders, cloneBytes(binder))
	}
	if len(e.Binders) != len(e.Identities) {
		return nil, Errorf(AlertDecodeError, "pre_shared_key has %d identities and %d binders", len(e.Identities), len(e.Binders))
	}
	return e, nil
}

// PSKBindersSuffixLen returns how many bytes at the end of the marshalled
// ClientHello (complete message, header included) the PSK binders list
// takes: its 2-byte length and every binder with its length byte. Then
// Truncate(ClientHello) = raw[:len(raw)-n], the input of the binder HMACs
// (RFC 8446 §4.2.11.2). This works because pre_shared_key is the last
// extension and its binders list is its last field; the length depends only
// on the binder lengths, so a hello marshalled with placeholder binders of
// the hash's length gives the same n.
//
// It fails, with internal_error, when the hello has no pre_shared_key as its
// last extension or when the binders cannot be encoded.
func (m *ClientHello) PSKBindersSuffixLen() (int, error) {
	if len(m.Extensions) == 0 {
		return 0, Errorf(AlertInternalError, "ClientHello has no pre_shared_key")
	}
	psk, ok := m.Extensions[len(m.Extensions)-1].(*PreSharedKeyExt)
	if !ok || psk == nil {
		return 0, Errorf(AlertInternalError, "ClientHello has no pre_shared_key as its last extension")
	}
	var b builder
	psk.addBinders(&b)
	out, err := b.Bytes()
	if err != nil {
		return 0, Errorf(AlertInternalError, "PSK binders: %v", err)
	}
	return len(out), nil
}

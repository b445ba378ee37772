package wire

import "golang.org/x/crypto/cryptobyte"

// application_layer_protocol_negotiation (RFC 7301).

// ALPNExt is the ALPN extension: the client's protocols in preference order,
// or the one protocol the server selected (in a TLS 1.2 ServerHello or a TLS
// 1.3 EncryptedExtensions).
type ALPNExt struct {
	Protocols []string
}

// ExtType returns ExtALPN.
func (*ALPNExt) ExtType() ExtensionType { return ExtALPN }

func (e *ALPNExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil || len(e.Protocols) == 0 {
		b.SetError(errMarshal("ALPN with no protocols"))
		return
	}
	if msg != TypeClientHello && len(e.Protocols) != 1 {
		b.SetError(errMarshal("ALPN in %v must name exactly one protocol", msg))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, p := range e.Protocols {
			if p == "" {
				b.SetError(errMarshal("empty ALPN protocol name"))
				return
			}
			b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes([]byte(p)) })
		}
	})
}

func parseALPN(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	var list cryptobyte.String
	// ProtocolName protocol_name_list<2..2^16-1>.
	if !body.ReadUint16LengthPrefixed(&list) || !body.Empty() || list.Empty() {
		return nil, decodeError("ALPN")
	}
	e := &ALPNExt{}
	for !list.Empty() {
		var name cryptobyte.String
		// opaque ProtocolName<1..2^8-1>: "Empty strings MUST NOT be
		// included" (RFC 7301 §3.1).
		if !list.ReadUint8LengthPrefixed(&name) || name.Empty() {
			return nil, decodeError("ALPN protocol name")
		}
		e.Protocols = append(e.Protocols, string(name))
	}
	// RFC 7301 §3.1: the server's list "MUST contain exactly one
	// ProtocolName".
	if msg != TypeClientHello && len(e.Protocols) != 1 {
		return nil, Errorf(AlertDecodeError, "ALPN in %v names %d protocols, want 1", msg, len(e.Protocols))
	}
	return e, nil
}

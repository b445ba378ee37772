package wire

import "golang.org/x/crypto/cryptobyte"

// server_name (RFC 6066 §3).

// ServerNameExt is the server_name extension. In a ClientHello it carries the
// server_name_list; in a ServerHello its body is empty (the server only
// acknowledges that it used the name) and so is it in TLS 1.3's
// EncryptedExtensions (RFC 8446 §4.2); HostName and Other are then empty.
type ServerNameExt struct {
	// HostName is the host_name entry; "" when the list has none.
	HostName string
	// Other holds entries of name types other than host_name, in wire
	// order. None is defined today, but RFC 6066 left the list extensible,
	// so clasp keeps them rather than guessing; they are marshalled after
	// HostName.
	Other []ServerNameEntry
}

// ServerNameEntry is one server_name_list entry of a name type clasp does not
// interpret. Its body is read as a uint16-length vector, the shape every
// name type shares in practice (RFC 6066 erratum 1658).
type ServerNameEntry struct {
	NameType uint8
	Name     []byte
}

// nameTypeHostName is the only NameType RFC 6066 defines.
const nameTypeHostName = 0

// ExtType returns ExtServerName.
func (*ServerNameExt) ExtType() ExtensionType { return ExtServerName }

func (e *ServerNameExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil server_name"))
		return
	}
	if msg != TypeClientHello {
		if e.HostName != "" || len(e.Other) != 0 {
			b.SetError(errMarshal("server_name in %v must be empty", msg))
		}
		return
	}
	if e.HostName == "" && len(e.Other) == 0 {
		b.SetError(errMarshal("server_name with an empty list"))
		return
	}
	b.AddUint16LengthPrefixed(func(b *builder) {
		if e.HostName != "" {
			b.AddUint8(nameTypeHostName)
			b.AddUint16LengthPrefixed(func(b *builder) {
				b.AddBytes([]byte(e.HostName))
			})
		}
		seen := map[uint8]bool{nameTypeHostName: true}
		for _, o := range e.Other {
			if seen[o.NameType] || len(o.Name) == 0 {
				b.SetError(errMarshal("server_name entry of type %d repeated or empty", o.NameType))
				return
			}
			seen[o.NameType] = true
			b.AddUint8(o.NameType)
			b.AddUint16LengthPrefixed(func(b *builder) {
				b.AddBytes(o.Name)
			})
		}
	})
}

func parseServerName(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	e := &ServerNameExt{}
	if msg != TypeClientHello {
		if !body.Empty() {
			return nil, decodeError("server_name in " + msg.String())
		}
		return e, nil
	}
	var list cryptobyte.String
	// ServerName server_name_list<1..2^16-1>.
	if !body.ReadUint16LengthPrefixed(&list) || !body.Empty() || list.Empty() {
		return nil, decodeError("server_name")
	}
	seen := make(map[uint8]bool)
	for !list.Empty() {
		var nameType uint8
		var name cryptobyte.String
		// HostName<1..2^16-1>; other types share the shape.
		if !list.ReadUint8(&nameType) || !list.ReadUint16LengthPrefixed(&name) || name.Empty() {
			return nil, decodeError("server_name entry")
		}
		// RFC 6066 §3: "The ServerNameList MUST NOT contain more than one
		// name of the same name_type." The list is well formed, its content
		// is not: illegal_parameter (RFC 8446 §6.2), as tlsfuzzer's
		// test-invalid-server-name-extension expects (OpenSSL answers
		// decode_error, refusing any list of more than one name).
		if seen[nameType] {
			return nil, Errorf(AlertIllegalParameter, "server_name lists name type %d twice", nameType)
		}
		seen[nameType] = true
		if nameType == nameTypeHostName {
			e.HostName = string(name)
			continue
		}
		e.Other = append(e.Other, ServerNameEntry{NameType: nameType, Name: cloneBytes(name)})
	}
	return e, nil
}

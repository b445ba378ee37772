package wire

import "golang.org/x/crypto/cryptobyte"

// ec_point_formats (RFC 8422 §5.1.2).

// ECPointFormatsExt is the ec_point_formats extension. RFC 8422 leaves only
// uncompressed (0) in use, but the list is kept as sent: the driver checks
// that 0 is present.
type ECPointFormatsExt struct {
	Formats []uint8
}

// ExtType returns ExtECPointFormats.
func (*ECPointFormatsExt) ExtType() ExtensionType { return ExtECPointFormats }

func (e *ECPointFormatsExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || len(e.Formats) == 0 {
		b.SetError(errMarshal("ec_point_formats with no formats"))
		return
	}
	b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(e.Formats) })
}

func parseECPointFormats(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var list cryptobyte.String
	// ECPointFormat ec_point_format_list<1..2^8-1>.
	if !body.ReadUint8LengthPrefixed(&list) || !body.Empty() {
		return nil, decodeError("ec_point_formats")
	}
	if list.Empty() {
		// RFC 8422 §5.1.2: a list that "does not contain the uncompressed
		// point format" is illegal_parameter, a rule more specific than
		// the decode_error of a vector below its minimum length.
		return nil, Errorf(AlertIllegalParameter, "ec_point_formats with an empty list lacks uncompressed (0), which RFC 8422 §5.1.2 requires")
	}
	return &ECPointFormatsExt{Formats: cloneBytes(list)}, nil
}

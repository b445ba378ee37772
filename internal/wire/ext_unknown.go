package wire

// UnknownExt is an extension clasp has no typed value for in the message
// that carried it. It is kept with its code point and raw body so that
// nothing the peer sent is lost and the message re-marshals byte for byte.
//
// Marshalling an UnknownExt whose Code has a typed value is allowed (it is how
// a test tool sends a deliberately malformed extension), but parsing the
// result gives back the typed value (except for a padding body with a nonzero
// byte, which stays raw: see PaddingExt).
type UnknownExt struct {
	Code ExtensionType
	Data []byte
}

// ExtType returns the extension's code point.
func (e *UnknownExt) ExtType() ExtensionType {
	if e == nil {
		return 0
	}
	return e.Code
}

func (e *UnknownExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil unknown extension"))
		return
	}
	b.AddBytes(e.Data)
}

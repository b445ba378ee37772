package wire

import "golang.org/x/crypto/cryptobyte"

// padding (RFC 7685).

// PaddingExt is the padding extension: Length zero bytes a client adds to
// move its ClientHello out of a size range that some middleboxes mishandle.
//
// RFC 7685 §3: "The client MUST fill the padding extension completely with
// zero bytes", but it gives the receiver nothing to check and no alert, and
// its purpose is to be ignored. So a padding body with a nonzero byte is not
// an error: it is kept raw as *UnknownExt{Code: ExtPadding}, which shows in
// a trace exactly what the client sent and re-marshals byte for byte (a
// PaddingExt would turn it into zeros). Only an all-zero body becomes a
// *PaddingExt.
type PaddingExt struct {
	Length int
}

// ExtType returns ExtPadding.
func (*PaddingExt) ExtType() ExtensionType { return ExtPadding }

func (e *PaddingExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || e.Length < 0 || e.Length > 0xffff {
		b.SetError(errMarshal("padding length out of 0..65535"))
		return
	}
	b.AddBytes(make([]byte, e.Length))
}

func parsePadding(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	for _, c := range body {
		if c != 0 {
			return &UnknownExt{Code: ExtPadding, Data: cloneBytes(body)}, nil
		}
	}
	return &PaddingExt{Length: len(body)}, nil
}

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

// MalformedExt is a ClientHello extension that only TLS 1.2 and earlier
// read (ec_point_formats, encrypt_then_mac, extended_master_secret,
// renegotiation_info) whose body does not parse. The hello keeps it raw
// instead of failing, because a server that chooses TLS 1.3 never reads it:
// OpenSSL parses these only once it has chosen TLS 1.2 or earlier, and
// tlsfuzzer's test-tls13-large-number-of-extensions expects a TLS 1.3
// handshake to go on. A server that chooses TLS 1.2 or earlier fails with
// Err (see CheckMalformed).
type MalformedExt struct {
	UnknownExt
	// Err is the parse error, with the alert the RFC names for it.
	Err error
}

// tls12OnlyClientHelloExtensions are the ClientHello extensions that
// MalformedExt may stand for.
var tls12OnlyClientHelloExtensions = map[ExtensionType]bool{
	ExtECPointFormats: true, ExtEncryptThenMAC: true, ExtExtendedMasterSecret: true, ExtRenegotiationInfo: true,
}

// CheckMalformed returns the parse error of the first MalformedExt in exts,
// nil when there is none: what a server that chose TLS 1.2 or earlier
// answers.
func CheckMalformed(exts []Extension) error {
	for _, e := range exts {
		if m, ok := e.(*MalformedExt); ok {
			return m.Err
		}
	}
	return nil
}

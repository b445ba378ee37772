package wire

import "golang.org/x/crypto/cryptobyte"

// record_size_limit (RFC 8449 §4).

// Record size limits of RFC 8449 §4, for the drivers.
const (
	// MinRecordSizeLimit is the smallest limit an endpoint may announce:
	// "Endpoints MUST NOT send a "record_size_limit" extension with a
	// value smaller than 64. An endpoint MUST treat receipt of a smaller
	// value as a fatal error and generate an "illegal_parameter" alert."
	MinRecordSizeLimit = 64
	// MaxRecordSizeLimitTLS12 is the protocol-defined maximum for TLS 1.2
	// and earlier: 2^14 bytes of plaintext.
	MaxRecordSizeLimitTLS12 = 1 << 14
	// MaxRecordSizeLimitTLS13 is the protocol-defined maximum for TLS 1.3:
	// 2^14 bytes of content plus the content type byte of
	// TLSInnerPlaintext (RFC 8449 §4: the limit covers "the complete length
	// of TLSInnerPlaintext", padding included).
	MaxRecordSizeLimitTLS13 = 1<<14 + 1
)

// RecordSizeLimitExt is the record_size_limit extension: the largest
// protected record plaintext the sender is willing to receive. It is sent
// in a ClientHello, in a TLS 1.2 ServerHello, and in a TLS 1.3
// EncryptedExtensions (RFC 8446 §4.2's table: CH, EE).
//
// The parser refuses a limit below MinRecordSizeLimit (illegal_parameter).
// It does not refuse a limit above the version's maximum: a server "MUST
// NOT enforce this restriction" (a client may announce a larger limit for
// an extension the server does not know), while a client "MAY abort the
// handshake with an illegal_parameter alert"; both are the drivers' to
// decide, since only they know the version.
type RecordSizeLimitExt struct {
	Limit uint16
}

// ExtType returns ExtRecordSizeLimit.
func (*RecordSizeLimitExt) ExtType() ExtensionType { return ExtRecordSizeLimit }

func (e *RecordSizeLimitExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || e.Limit < MinRecordSizeLimit {
		b.SetError(errMarshal("record_size_limit below %d", MinRecordSizeLimit))
		return
	}
	b.AddUint16(e.Limit)
}

func parseRecordSizeLimit(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	e := &RecordSizeLimitExt{}
	// uint16 RecordSizeLimit;
	if !body.ReadUint16(&e.Limit) || !body.Empty() {
		return nil, decodeError("record_size_limit")
	}
	if e.Limit < MinRecordSizeLimit {
		return nil, Errorf(AlertIllegalParameter, "record_size_limit %d is below the minimum of %d (RFC 8449 §4)", e.Limit, MinRecordSizeLimit)
	}
	return e, nil
}

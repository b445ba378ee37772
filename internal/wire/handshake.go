package wire

import (
	"fmt"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// HandshakeType is the msg_type byte of a handshake message (RFC 5246 §7.4,
// RFC 8446 §4). It is a plain integer so that a type clasp does not know is
// kept and printed rather than lost.
type HandshakeType uint8

// Handshake message types.
const (
	TypeHelloRequest       HandshakeType = 0
	TypeClientHello        HandshakeType = 1
	TypeServerHello        HandshakeType = 2
	TypeHelloVerifyRequest HandshakeType = 3
	TypeNewSessionTicket   HandshakeType = 4
	TypeEndOfEarlyData     HandshakeType = 5
	// TypeHelloRetryRequest is never on the wire: RFC 8446 §4.1.4 sends a
	// HelloRetryRequest as a ServerHello with HelloRetryRequestRandom, and
	// §4 keeps 6 as hello_retry_request_RESERVED (the drafts' code). This
	// package uses it as the name of the HRR column of RFC 8446 §4.2's
	// extension table: MayCarry(TypeHelloRetryRequest, ...) and the shape
	// of an HRR's extensions. ParseHandshake rejects it like any type that
	// cannot come next.
	TypeHelloRetryRequest   HandshakeType = 6
	TypeEncryptedExtensions HandshakeType = 8
	TypeCertificate         HandshakeType = 11
	TypeServerKeyExchange   HandshakeType = 12
	TypeCertificateRequest  HandshakeType = 13
	TypeServerHelloDone     HandshakeType = 14
	TypeCertificateVerify   HandshakeType = 15
	TypeClientKeyExchange   HandshakeType = 16
	TypeFinished            HandshakeType = 20
	TypeCertificateStatus   HandshakeType = 22
	TypeKeyUpdate           HandshakeType = 24
	TypeMessageHash         HandshakeType = 254
)

var handshakeTypeNames = map[HandshakeType]string{
	TypeHelloRequest:          "hello_request",
	TypeClientHello:           "client_hello",
	TypeServerHello:           "server_hello",
	TypeHelloVerifyRequest:    "hello_verify_request",
	TypeNewSessionTicket:      "new_session_ticket",
	TypeEndOfEarlyData:        "end_of_early_data",
	TypeHelloRetryRequest:     "hello_retry_request",
	TypeEncryptedExtensions:   "encrypted_extensions",
	TypeCertificate:           "certificate",
	TypeServerKeyExchange:     "server_key_exchange",
	TypeCertificateRequest:    "certificate_request",
	TypeServerHelloDone:       "server_hello_done",
	TypeCertificateVerify:     "certificate_verify",
	TypeClientKeyExchange:     "client_key_exchange",
	TypeFinished:              "finished",
	TypeCompressedCertificate: "compressed_certificate",
	TypeCertificateStatus:     "certificate_status",
	TypeKeyUpdate:             "key_update",
	TypeMessageHash:           "message_hash",
}

// String returns the RFC name of the type, or "unknown_handshake(N)".
func (t HandshakeType) String() string {
	if name, ok := handshakeTypeNames[t]; ok {
		return name
	}
	return fmt.Sprintf("unknown_handshake(%d)", uint8(t))
}

// onlyServerSends and onlyClientSends are the handshake types that one
// side alone sends (RFC 5246 §7.4, RFC 8446 §4, RFC 6066 §8, RFC 6347
// §4.2.1); every other known type is sent by both (Certificate,
// CertificateVerify, Finished, KeyUpdate, CompressedCertificate).
var (
	onlyServerSends = map[HandshakeType]bool{
		TypeHelloRequest: true, TypeServerHello: true, TypeHelloVerifyRequest: true,
		TypeNewSessionTicket: true, TypeEncryptedExtensions: true, TypeServerKeyExchange: true,
		TypeCertificateRequest: true, TypeServerHelloDone: true, TypeCertificateStatus: true,
	}
	onlyClientSends = map[HandshakeType]bool{
		TypeClientHello: true, TypeEndOfEarlyData: true, TypeClientKeyExchange: true,
	}
)

// SentBy reports whether a server (server true) or a client may send a
// message of type t. Unknown types count as sent by both, so that the parser
// names them.
func (t HandshakeType) SentBy(server bool) bool {
	if server {
		return !onlyClientSends[t]
	}
	return !onlyServerSends[t]
}

// Message is one parsed handshake message.
type Message interface {
	// Type is the handshake type the message is sent under.
	Type() HandshakeType
	// Marshal returns the complete handshake message: 4-byte header (type,
	// uint24 length) + body. It fails, with an *Error carrying
	// internal_error, when the struct cannot be encoded as a message that
	// the matching parser would accept: sending it would only make the peer
	// fail in a less explainable way.
	Marshal() ([]byte, error)
}

// Context tells the parser what the bytes cannot: messages whose shape
// depends on negotiation.
type Context struct {
	// Version is the negotiated version; 0 (before ServerHello) is treated
	// as TLS 1.2.
	Version suites.Version
	// KeyExchange is the key exchange of the negotiated suite; it decides
	// the shape of ServerKeyExchange and ClientKeyExchange.
	KeyExchange suites.KeyExchange
	// RawPublicKey says that the TLS 1.2 Certificate to be read carries a
	// raw public key (RFC 7250 §3: the type agreed in the hellos), which
	// parses as *RawPublicKeyCertificate.
	RawPublicKey bool
}

// hasSignatureAlgorithms reports whether the context's version carries the
// SignatureAndHashAlgorithm fields that TLS 1.2 added (RFC 5246 §7.4.1.4.1):
// in DigitallySigned and CertificateRequest.
func (c Context) hasSignatureAlgorithms() bool {
	return c.Version == 0 || c.Version >= suites.VersionTLS12
}

// isTLS13 reports whether the context is TLS 1.3, whose Certificate,
// CertificateRequest and NewSessionTicket have their own shapes.
func (c Context) isTLS13() bool {
	return c.Version >= suites.VersionTLS13
}

// ParseHandshake parses one complete handshake message (header included).
// The header length must equal len(raw)-4: reassembly of messages spread over
// records belongs to the record layer, so anything else is a decode_error.
//
// ctx.Version selects the message set. Under TLS 1.3 (RFC 8446 §4),
// Certificate, CertificateRequest and NewSessionTicket parse as
// *Certificate13, *CertificateRequest13 and *NewSessionTicket13, and
// EncryptedExtensions, KeyUpdate and EndOfEarlyData exist; the messages TLS
// 1.3 removed (HelloRequest, ServerKeyExchange, ServerHelloDone,
// ClientKeyExchange, CertificateStatus) are unexpected_message, as are the
// TLS 1.3-only ones under any earlier version or 0. ClientHello, ServerHello
// (HelloRetryRequest included), CertificateVerify and Finished parse under
// both.
//
// An unknown handshake type, a DTLS-only type, message_hash (a transcript
// construct, RFC 8446 §4.4.1) and TypeHelloRetryRequest are
// unexpected_message: none can be the next message. A malformed body is
// decode_error, except where the RFC names another alert (see the per-type
// parsers).
func ParseHandshake(raw []byte, ctx Context) (Message, error) {
	s := cryptobyte.String(raw)
	var typ uint8
	var body cryptobyte.String
	if !s.ReadUint8(&typ) || !s.ReadUint24LengthPrefixed(&body) || !s.Empty() {
		return nil, Errorf(AlertDecodeError, "handshake message header does not match its %d bytes", len(raw))
	}
	t := HandshakeType(typ)
	if ctx.isTLS13() {
		return parseHandshake13(t, body, ctx)
	}
	switch t {
	case TypeHelloRequest:
		return ParseHelloRequest(body)
	case TypeClientHello:
		return ParseClientHello(body)
	case TypeServerHello:
		return ParseServerHello(body)
	case TypeNewSessionTicket:
		return ParseNewSessionTicket(body)
	case TypeCertificate:
		if ctx.RawPublicKey {
			return ParseRawPublicKeyCertificate(body)
		}
		return ParseCertificate(body)
	case TypeServerKeyExchange:
		if ctx.KeyExchange == suites.KexUnknown {
			// Before a suite is chosen no key exchange message can be
			// expected: it is the peer's mistake, not ours.
			return nil, Errorf(AlertUnexpectedMessage, "ServerKeyExchange before a cipher suite was negotiated")
		}
		return ParseServerKeyExchange(body, ctx)
	case TypeCertificateRequest:
		return ParseCertificateRequest(body, ctx)
	case TypeServerHelloDone:
		return ParseServerHelloDone(body)
	case TypeCertificateVerify:
		return ParseCertificateVerify(body, ctx)
	case TypeClientKeyExchange:
		if ctx.KeyExchange == suites.KexUnknown {
			return nil, Errorf(AlertUnexpectedMessage, "ClientKeyExchange before a cipher suite was negotiated")
		}
		return ParseClientKeyExchange(body, ctx)
	case TypeFinished:
		return ParseFinished(body)
	case TypeCertificateStatus:
		return ParseCertificateStatus(body)
	}
	return nil, Errorf(AlertUnexpectedMessage, "unexpected handshake message %v", t)
}

// parseHandshake13 is ParseHandshake's TLS 1.3 message set (RFC 8446 §4).
func parseHandshake13(t HandshakeType, body []byte, ctx Context) (Message, error) {
	switch t {
	case TypeClientHello:
		return ParseClientHello(body)
	case TypeServerHello:
		return ParseServerHello(body)
	case TypeEncryptedExtensions:
		return ParseEncryptedExtensions(body)
	case TypeCertificate:
		return ParseCertificate13(body)
	case TypeCertificateRequest:
		return ParseCertificateRequest13(body)
	case TypeCertificateVerify:
		// RFC 8446 §4.4.3: always preceded by its SignatureScheme;
		// ctx.Version >= TLS 1.2 says so.
		return ParseCertificateVerify(body, ctx)
	case TypeFinished:
		return ParseFinished(body)
	case TypeNewSessionTicket:
		return ParseNewSessionTicket13(body)
	case TypeKeyUpdate:
		return ParseKeyUpdate(body)
	case TypeEndOfEarlyData:
		return ParseEndOfEarlyData(body)
	case TypeCompressedCertificate:
		return ParseCompressedCertificate(body)
	}
	return nil, Errorf(AlertUnexpectedMessage, "unexpected handshake message %v in TLS 1.3", t)
}

// marshalHandshake frames a body built by f with the 4-byte handshake header.
// Any error set by f (an unencodable struct) or by the builder (a vector
// longer than its length prefix allows) comes back as internal_error.
func marshalHandshake(t HandshakeType, f func(*builder)) ([]byte, error) {
	out, err := buildMessage(func(b *builder) {
		b.AddUint8(uint8(t))
		b.AddUint24LengthPrefixed(f)
	})
	if err != nil {
		return nil, Errorf(AlertInternalError, "marshal %v: %v", t, err)
	}
	return out, nil
}

// errMarshal is what a marshal continuation hands to Builder.SetError when
// a struct breaks a rule its parser enforces.
func errMarshal(format string, args ...any) error {
	return fmt.Errorf(format, args...)
}

// cloneBytes copies bytes that escape a parser so that a message never
// aliases the caller's (possibly reused) read buffer. Empty vectors become
// nil: the package-wide normal form of "present but empty" byte fields.
func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// decodeError is the decode_error every malformed vector gets (RFC 5246
// §7.2.2: "some field was out of the specified range or the length of the
// message was incorrect").
func decodeError(what string) *Error {
	return Errorf(AlertDecodeError, "malformed %s", what)
}

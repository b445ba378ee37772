package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// V2ClientHello is a ClientHello in the SSL 2.0 format, as clients that
// could still talk to SSL 2.0 servers sent it to SSL 3.0 and TLS servers
// (RFC 6101 Appendix E.1, RFC 5246 Appendix E.2):
//
//	uint16 msg_length;        (top bit set: the 2-byte SSL 2.0 record header)
//	uint8  msg_type;          (1, CLIENT-HELLO)
//	Version version;
//	uint16 cipher_spec_length;
//	uint16 session_id_length;
//	uint16 challenge_length;
//	V2CipherSpec cipher_specs[cipher_spec_length];   (3 bytes each)
//	opaque session_id[session_id_length];
//	opaque challenge[challenge_length];
//
// It has no compression methods and no extensions. Java's JSSE still sends
// it when "SSLv2Hello" is among its enabled protocols.
type V2ClientHello struct {
	// Version is the highest version the client supports, like a
	// ClientHello's client_version.
	Version suites.Version
	// CipherSpecs are the 3-byte cipher kinds: TLS suites as 0x00XXYY,
	// SSL 2.0 kinds (0x010080 and so on) with a non-zero first byte.
	CipherSpecs []uint32
	// SessionID must be empty: "Requests to resume a TLS session MUST use
	// a TLS client hello" (RFC 5246 Appendix E.2).
	SessionID []byte
	// Challenge becomes the client random, padded on the left with zeros
	// to 32 bytes.
	Challenge []byte
}

const (
	// V2MsgClientHello is the SSL 2.0 CLIENT-HELLO message type.
	V2MsgClientHello = 1
	// v2ChallengeMin and v2ChallengeMax bound challenge_length: "Historically,
	// permissible values are between 16 and 32 bytes inclusive" (RFC 5246
	// Appendix E.2; RFC 6101 Appendix E.1 says the same).
	v2ChallengeMin = 16
	v2ChallengeMax = 32
	// MaxV2RecordLen is the largest body a 2-byte SSL 2.0 header can
	// announce (15 bits).
	MaxV2RecordLen = 0x7fff
)

// IsV2ClientHelloHeader reports whether the first three bytes of a stream
// start an SSL 2.0 CLIENT-HELLO with a 2-byte header: msg_length with its
// top bit set ("The highest bit MUST be 1", RFC 5246 Appendix E.2), then
// msg_type 1.
func IsV2ClientHelloHeader(b []byte) bool {
	return len(b) >= 3 && b[0]&0x80 != 0 && b[2] == V2MsgClientHello
}

// MarshalRecord returns the message with its 2-byte SSL 2.0 record header.
// clasp's client never sends it; tests and probes do.
func (m *V2ClientHello) MarshalRecord() ([]byte, error) {
	var b builder
	b.AddUint8(V2MsgClientHello)
	b.AddUint16(uint16(m.Version))
	b.AddUint16(uint16(3 * len(m.CipherSpecs)))
	b.AddUint16(uint16(len(m.SessionID)))
	b.AddUint16(uint16(len(m.Challenge)))
	for _, spec := range m.CipherSpecs {
		b.AddUint8(uint8(spec >> 16))
		b.AddUint16(uint16(spec))
	}
	b.AddBytes(m.SessionID)
	b.AddBytes(m.Challenge)
	msg, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	if len(msg) > MaxV2RecordLen {
		return nil, errMarshal("SSL 2.0 hello longer than a 2-byte header can announce")
	}
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...), nil
}

// ParseV2ClientHello parses an SSL 2.0-format CLIENT-HELLO: msg, the
// record body after the 2-byte header, starting with msg_type.
//
// Alerts, from RFC 5246 Appendix E.2: a version whose major byte is not 3
// (a real SSL 2.0 client) is protocol_version; a cipher_spec_length of zero
// or not a multiple of 3 ("It cannot be zero and MUST be a multiple of the
// V2CipherSpec length (3)"), a challenge outside 16–32 bytes, lengths that
// do not add up to the record and trailing bytes are decode_error; a
// session ID ("This field MUST be empty") is illegal_parameter.
//
// OpenSSL 3 is looser about the challenge (it takes any length, pads a
// short one and keeps the last 32 bytes of a long one) and about the
// session ID (up to 32 bytes); clasp follows the RFC's limits.
func ParseV2ClientHello(msg []byte) (*V2ClientHello, error) {
	s := cryptobyte.String(msg)
	var msgType uint8
	var version, specLen, sessionLen, challengeLen uint16
	if !s.ReadUint8(&msgType) || !s.ReadUint16(&version) || !s.ReadUint16(&specLen) ||
		!s.ReadUint16(&sessionLen) || !s.ReadUint16(&challengeLen) {
		return nil, Errorf(AlertDecodeError, "SSL 2.0-format ClientHello of %d bytes is shorter than its 9-byte header", len(msg))
	}
	if msgType != V2MsgClientHello {
		return nil, Errorf(AlertUnexpectedMessage, "SSL 2.0 message type %d, want CLIENT-HELLO (1)", msgType)
	}
	if version>>8 != 3 {
		return nil, Errorf(AlertProtocolVersion, "SSL 2.0-format ClientHello with version %#04x: only SSL 3.0 and TLS clients may use this format", version)
	}
	if specLen == 0 || specLen%3 != 0 {
		return nil, Errorf(AlertDecodeError, "SSL 2.0-format ClientHello cipher_spec_length %d is not a non-zero multiple of 3 (RFC 5246 Appendix E.2)", specLen)
	}
	if challengeLen < v2ChallengeMin || challengeLen > v2ChallengeMax {
		return nil, Errorf(AlertDecodeError, "SSL 2.0-format ClientHello challenge of %d bytes, want 16 to 32 (RFC 5246 Appendix E.2)", challengeLen)
	}
	var specs, sessionID, challenge []byte
	if !s.ReadBytes(&specs, int(specLen)) || !s.ReadBytes(&sessionID, int(sessionLen)) ||
		!s.ReadBytes(&challenge, int(challengeLen)) {
		return nil, Errorf(AlertDecodeError, "SSL 2.0-format ClientHello lengths (cipher specs %d, session ID %d, challenge %d) exceed its %d bytes", specLen, sessionLen, challengeLen, len(msg))
	}
	if !s.Empty() {
		return nil, Errorf(AlertDecodeError, "%d bytes after the challenge of an SSL 2.0-format ClientHello", len(s))
	}
	if sessionLen != 0 {
		return nil, Errorf(AlertIllegalParameter, "SSL 2.0-format ClientHello carries a %d-byte session ID; RFC 5246 Appendix E.2: \"This field MUST be empty\"", sessionLen)
	}
	m := &V2ClientHello{Version: suites.Version(version), Challenge: append([]byte(nil), challenge...)}
	for i := 0; i < len(specs); i += 3 {
		m.CipherSpecs = append(m.CipherSpecs, uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2]))
	}
	return m, nil
}

// ClientHello is the TLS ClientHello the V2ClientHello stands for (RFC 5246
// Appendix E.2): the same version; the cipher specs whose first byte is
// zero as TLS suites (the others are SSL 2.0 kinds, which no TLS server
// can choose); the challenge as the random, "padded with leading (note:
// not trailing) zero bytes to make it 32 bytes long"; the null compression
// method, the only one the format implies; and no extensions block.
func (m *V2ClientHello) ClientHello() *ClientHello {
	h := &ClientHello{Version: m.Version, CompressionMethods: []uint8{0}}
	copy(h.Random[32-len(m.Challenge):], m.Challenge)
	for _, spec := range m.CipherSpecs {
		if spec>>16 == 0 {
			h.CipherSuites = append(h.CipherSuites, suites.ID(spec))
		}
	}
	return h
}

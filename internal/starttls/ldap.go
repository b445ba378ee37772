package starttls

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/crypto/cryptobyte"
	"golang.org/x/crypto/cryptobyte/asn1"
)

// startTLSOID names the StartTLS extended operation (RFC 4511 §4.14.1).
const startTLSOID = "1.3.6.1.4.1.1466.20037"

// LDAP's BER tags (RFC 4511 §4.1.1, §4.12): the message is a SEQUENCE, the
// operations are APPLICATION-class, the optional fields context-class.
const (
	tagSequence         = 0x30
	tagInteger          = 0x02
	tagEnumerated       = 0x0a
	tagOctetString      = 0x04
	tagExtendedRequest  = 0x77 // [APPLICATION 23], constructed
	tagExtendedResponse = 0x78 // [APPLICATION 24], constructed
	tagReferral         = 0xa3 // [3], constructed
	tagResponseName     = 0x8a // [10], primitive
	tagResponseValue    = 0x8b // [11], primitive
	tagControls         = 0xa0 // [0], constructed
)

// maxLDAPMessage bounds the answer read: an ExtendedResponse holds a result
// code, a DN and a diagnostic text, never kilobytes.
const maxLDAPMessage = 16 << 10

// startTLSMessageID is the message ID of our request; 0 is reserved for
// the server's unsolicited notifications (RFC 4511 §4.1.1.1).
const startTLSMessageID = 1

// ldapResultNames names the result codes a StartTLS answer may carry
// (RFC 4511 §4.1.9 and Appendix A; §4.14.2 lists the ones StartTLS uses).
var ldapResultNames = map[int64]string{
	0:  "success",
	1:  "operationsError",
	2:  "protocolError",
	3:  "timeLimitExceeded",
	8:  "strongerAuthRequired",
	11: "adminLimitExceeded",
	51: "busy",
	52: "unavailable",
	53: "unwillingToPerform",
	80: "other",
}

// ldap sends the StartTLS extended request and reads the extended response
// (RFC 4511 §4.14): a resultCode of success means TLS starts now.
func (s *session) ldap() error {
	if _, err := s.conn.Write(startTLSRequest()); err != nil {
		return err
	}
	msg, err := s.readLDAPMessage()
	if err != nil {
		return err
	}
	res, err := parseExtendedResponse(msg)
	if err != nil {
		return err
	}
	if res.messageID == 0 {
		// An unsolicited notification (RFC 4511 §4.4), such as the notice
		// of disconnection a server sends before it closes.
		return fmt.Errorf("starttls: the LDAP server sent a notification instead of the StartTLS answer: %s", res)
	}
	if res.messageID != startTLSMessageID {
		return fmt.Errorf("starttls: the LDAP server answered message %d, not our StartTLS request (%d)", res.messageID, startTLSMessageID)
	}
	if res.responseName != "" && res.responseName != startTLSOID {
		return fmt.Errorf("starttls: the LDAP server answered StartTLS with the response of another operation (%s)", res.responseName)
	}
	if res.resultCode != 0 {
		return fmt.Errorf("starttls: the LDAP server refused StartTLS: %s", res)
	}
	return nil
}

// startTLSRequest builds the LDAPMessage carrying the ExtendedRequest with
// requestName = the StartTLS OID and no requestValue (RFC 4511 §4.14.1).
func startTLSRequest() []byte {
	var b cryptobyte.Builder
	b.AddASN1(asn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1Int64(startTLSMessageID)
		b.AddASN1(asn1.Tag(tagExtendedRequest), func(b *cryptobyte.Builder) {
			b.AddASN1(asn1.Tag(0).ContextSpecific(), func(b *cryptobyte.Builder) {
				b.AddBytes([]byte(startTLSOID))
			})
		})
	})
	return b.BytesOrPanic()
}

// readLDAPMessage reads one LDAPMessage, exactly its bytes and no more: the
// tag, the BER length and the contents, which it returns.
func (s *session) readLDAPMessage() ([]byte, error) {
	var head [2]byte
	if _, err := io.ReadFull(s.conn, head[:]); err != nil {
		return nil, fmt.Errorf("starttls: reading the LDAP server's answer: %w", err)
	}
	if head[0] != tagSequence {
		return nil, fmt.Errorf("starttls: not an LDAP message (it starts with 0x%02x, not a SEQUENCE)", head[0])
	}
	n := int(head[1])
	if head[1]&0x80 != 0 {
		lenBytes := int(head[1] & 0x7f)
		// RFC 4511 §5.1: only the definite form of length (0x80 alone is
		// the indefinite form); four bytes of length are already 4 GiB.
		if lenBytes == 0 || lenBytes > 4 {
			return nil, fmt.Errorf("starttls: an LDAP message with a length of form 0x%02x", head[1])
		}
		buf := make([]byte, lenBytes)
		if _, err := io.ReadFull(s.conn, buf); err != nil {
			return nil, fmt.Errorf("starttls: reading the LDAP server's answer: %w", err)
		}
		n = 0
		for _, b := range buf {
			n = n<<8 | int(b)
		}
	}
	if n > maxLDAPMessage {
		return nil, fmt.Errorf("starttls: an LDAP message of %d bytes, more than the %d a StartTLS answer needs", n, maxLDAPMessage)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(s.conn, body); err != nil {
		return nil, fmt.Errorf("starttls: reading the LDAP server's answer: %w", err)
	}
	return body, nil
}

// ldapResult is the part of an ExtendedResponse that StartTLS needs.
type ldapResult struct {
	messageID    int64
	resultCode   int64
	diagnostic   string
	responseName string
}

func (r ldapResult) String() string {
	name := ldapResultNames[r.resultCode]
	if name == "" {
		name = "unknown"
	}
	out := fmt.Sprintf("resultCode %d (%s)", r.resultCode, name)
	if r.responseName != "" {
		out += " " + r.responseName
	}
	if r.diagnostic != "" {
		out += fmt.Sprintf(": %q", r.diagnostic)
	}
	return out
}

var errLDAPMalformed = errors.New("starttls: a malformed LDAP answer")

// parseExtendedResponse reads the contents of an LDAPMessage (RFC 4511
// §4.2): messageID, an ExtendedResponse (§4.12) and optional controls.
func parseExtendedResponse(msg []byte) (ldapResult, error) {
	var res ldapResult
	in := cryptobyte.String(msg)
	id, ok := readBER(&in, tagInteger)
	if !ok || !berInt(id, &res.messageID) || res.messageID < 0 {
		return res, errLDAPMalformed
	}
	var tag byte
	var op cryptobyte.String
	if !readAnyBER(&in, &tag, &op) {
		return res, errLDAPMalformed
	}
	if tag != tagExtendedResponse {
		return res, fmt.Errorf("starttls: the LDAP server answered StartTLS with an operation of tag 0x%02x, not an ExtendedResponse", tag)
	}
	if !in.Empty() {
		if _, ok := readBER(&in, tagControls); !ok || !in.Empty() {
			return res, errLDAPMalformed
		}
	}
	code, ok1 := readBER(&op, tagEnumerated)
	_, ok2 := readBER(&op, tagOctetString) // matchedDN
	diag, ok3 := readBER(&op, tagOctetString)
	if !ok1 || !ok2 || !ok3 || !berInt(code, &res.resultCode) {
		return res, errLDAPMalformed
	}
	res.diagnostic = string(diag)
	// The optional fields, each at most once and in this order.
	for _, optional := range []byte{tagReferral, tagResponseName, tagResponseValue} {
		if len(op) > 0 && op[0] == optional {
			field, ok := readBER(&op, optional)
			if !ok {
				return res, errLDAPMalformed
			}
			if optional == tagResponseName {
				res.responseName = string(field)
			}
		}
	}
	if !op.Empty() {
		return res, errLDAPMalformed
	}
	return res, nil
}

// readBER reads one element with the wanted single-byte tag.
func readBER(s *cryptobyte.String, want byte) (cryptobyte.String, bool) {
	var tag byte
	var contents cryptobyte.String
	if !readAnyBER(s, &tag, &contents) || tag != want {
		return nil, false
	}
	return contents, true
}

// readAnyBER reads one BER element with a single-byte tag and a definite
// length. Unlike DER (and cryptobyte's ReadASN1), BER lets a length use
// more bytes than it needs, and some servers (Active Directory) send
// four-byte lengths for small values, so those are accepted; the element
// must still fit in what is left.
func readAnyBER(s *cryptobyte.String, tag *byte, contents *cryptobyte.String) bool {
	var lenByte uint8
	if !s.ReadUint8(tag) || *tag&0x1f == 0x1f || !s.ReadUint8(&lenByte) {
		return false
	}
	n := uint64(lenByte)
	if lenByte&0x80 != 0 {
		var lenBytes []byte
		if k := int(lenByte & 0x7f); k == 0 || k > 4 || !s.ReadBytes(&lenBytes, k) {
			return false
		}
		n = 0
		for _, b := range lenBytes {
			n = n<<8 | uint64(b)
		}
	}
	if n > uint64(len(*s)) {
		return false
	}
	var body []byte
	if !s.ReadBytes(&body, int(n)) {
		return false
	}
	*contents = body
	return true
}

// berInt decodes an INTEGER or ENUMERATED of one to four bytes, two's
// complement (X.690 §8.3), the range of LDAP's message IDs and result codes.
func berInt(b cryptobyte.String, out *int64) bool {
	if len(b) == 0 || len(b) > 4 {
		return false
	}
	v := int64(int8(b[0]))
	for _, c := range b[1:] {
		v = v<<8 | int64(c)
	}
	*out = v
	return true
}

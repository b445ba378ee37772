package record

import (
	"bytes"
	"errors"
	"net"

	"github.com/clasp-tls/clasp/internal/wire"
)

// v2HeaderLen is the length of the SSL 2.0 record header a V2ClientHello
// travels under: two bytes, the top bit set, the rest the body's length.
const v2HeaderLen = 2

// ReadV2ClientHello reads the connection's first record when it is an
// SSL 2.0-format ClientHello (RFC 5246 Appendix E.2, RFC 6101 Appendix
// E.1) and returns its body, msg_type first: the bytes the handshake hash
// covers, without the 2-byte msg_length header. When the first byte
// does not have its top bit set the record is an ordinary TLS one: ok is
// false, nothing is consumed and ReadRecord reads it. A top bit set without
// msg_type 1 after it is not TLS in any form, a *NotTLSError.
//
// It may be called only before the first ReadRecord; the record it reads
// takes sequence number 0 under the null protection, as a TLS ClientHello
// record would.
func (l *Layer) ReadV2ClientHello() (msg []byte, ok bool, err error) {
	if l.readErr != nil {
		return nil, false, l.readErr
	}
	if l.readCount != 0 {
		return nil, false, errors.New("record: an SSL 2.0-format ClientHello can only be the first record")
	}
	msg, ok, err = l.readV2ClientHello()
	if err != nil {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			l.readErr = err
		}
	}
	return msg, ok, err
}

func (l *Layer) readV2ClientHello() ([]byte, bool, error) {
	if err := l.fill(1, false); err != nil {
		return nil, false, err
	}
	if l.in[l.r]&0x80 == 0 {
		return nil, false, nil
	}
	if err := l.fill(3, false); err != nil {
		return nil, false, err
	}
	if !wire.IsV2ClientHelloHeader(l.in[l.r:l.w]) {
		return nil, false, newNotTLSError(l.in[l.r:l.w])
	}
	n := int(l.in[l.r]&0x7f)<<8 | int(l.in[l.r+1])
	if err := l.fill(v2HeaderLen+n, false); err != nil {
		return nil, false, err
	}
	l.header = [HeaderLen]byte{}
	copy(l.header[:], l.in[l.r:l.r+min(HeaderLen, v2HeaderLen+n)])
	msg := bytes.Clone(l.in[l.r+v2HeaderLen : l.r+v2HeaderLen+n])
	l.r += v2HeaderLen + n
	l.readCount++
	if _, err := l.rd.next(); err != nil {
		return nil, false, err
	}
	return msg, true, nil
}

package record

import "github.com/clasp-tls/clasp/internal/wire"

// DefaultMaxMessageSize is the largest handshake message an Assembler
// accepts when MaxMessageSize is zero. 64 KiB holds any certificate chain
// seen in practice while keeping what a peer can make us buffer small.
const DefaultMaxMessageSize = 1 << 16

// handshakeHeaderLen is msg_type plus the 24-bit length (RFC 5246 §7.4).
const handshakeHeaderLen = 4

// Assembler turns the payloads of handshake records into whole handshake
// messages (RFC 5246 §6.2.1: "a single message MAY be fragmented across
// several records" and several messages may share one record). The zero
// value is ready to use.
type Assembler struct {
	// MaxMessageSize is the largest body length accepted; 0 means
	// DefaultMaxMessageSize. A header declaring more is refused before
	// any of the message is buffered. The alert is decode_error: no RFC
	// names one for a local size limit, and from our side the message
	// cannot be decoded (OpenSSL sends illegal_parameter, crypto/tls
	// internal_error).
	MaxMessageSize int
	// MaxClientHelloSize, when positive, replaces MaxMessageSize for
	// ClientHello messages: a server sets it so that every ClientHello a
	// client may send gets through while other messages keep the smaller
	// limit.
	MaxClientHelloSize int

	buf   []byte
	start int // buf[start:] has not been returned by Next
}

// Add appends a copy of a handshake record's payload. Every message header
// that the new bytes complete is checked against MaxMessageSize first; on
// error nothing is buffered.
func (a *Assembler) Add(fragment []byte) error {
	max := a.MaxMessageSize
	if max <= 0 {
		max = DefaultMaxMessageSize
	}
	// Walk the headers across the buffered tail and the new bytes without
	// copying anything yet.
	pending := a.buf[a.start:]
	total := len(pending) + len(fragment)
	at := func(i int) int {
		if i < len(pending) {
			return int(pending[i])
		}
		return int(fragment[i-len(pending)])
	}
	for pos := 0; pos+handshakeHeaderLen <= total; {
		n := at(pos+1)<<16 | at(pos+2)<<8 | at(pos+3)
		limit := max
		if at(pos) == int(wire.TypeClientHello) && a.MaxClientHelloSize > 0 {
			limit = a.MaxClientHelloSize
		}
		if n > limit {
			return wire.Errorf(wire.AlertDecodeError, "%v message of %d bytes exceeds the limit of %d", wire.HandshakeType(at(pos)), n, limit)
		}
		pos += handshakeHeaderLen + n
	}

	if a.start > 0 {
		// Earlier messages have been handed out; their slices stop being
		// valid here, as documented on Next.
		a.buf = a.buf[:copy(a.buf, pending)]
		a.start = 0
	}
	a.buf = append(a.buf, fragment...)
	return nil
}

// Next returns the next complete handshake message, header included, or
// ok == false when no complete message is buffered. raw aliases the
// Assembler's buffer and stays valid until the next Add.
func (a *Assembler) Next() (raw []byte, ok bool) {
	rest := a.buf[a.start:]
	if len(rest) < handshakeHeaderLen {
		return nil, false
	}
	n := handshakeHeaderLen + (int(rest[1])<<16 | int(rest[2])<<8 | int(rest[3]))
	if len(rest) < n {
		return nil, false
	}
	a.start += n
	return rest[:n:n], true
}

// Pending reports whether bytes not yet returned by Next are buffered. A
// ChangeCipherSpec or a key change must not arrive while it is true: RFC
// 5246 §7.1 and RFC 8446 §5.1 require handshake messages before a key
// change to end at a record boundary.
func (a *Assembler) Pending() bool { return a.start < len(a.buf) }

// Reset discards everything buffered.
func (a *Assembler) Reset() {
	a.buf, a.start = a.buf[:0], 0
}

// Release drops the buffer once every message in it has been returned by
// Next, so that a connection between handshake messages (an established
// one, most of the time) holds none; the next Add allocates again. The
// slices Next returned stay valid: they are the caller's until it drops
// them.
func (a *Assembler) Release() {
	if !a.Pending() {
		a.buf, a.start = nil, 0
	}
}

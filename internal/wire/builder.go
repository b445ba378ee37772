package wire

import (
	"fmt"
	"sync"
)

// builder appends a message's fields and length-prefixed vectors to one
// buffer. It has the methods of cryptobyte.Builder that the marshallers use,
// with the same meaning (a vector longer than its prefix can announce, or a
// SetError, makes Bytes fail; after an error every Add is a no-op), but a
// length prefix is a placeholder patched once its continuation returns
// instead of a child Builder: cryptobyte allocates a child, its bookkeeping
// and the escaping closure for every prefix, about 70 allocations per
// handshake, which a profile of the bench/ handshakes showed as the largest
// source of allocations outside crypto/hkdf.
type builder struct {
	buf []byte
	err error
}

func (b *builder) AddUint8(v uint8) {
	if b.err == nil {
		b.buf = append(b.buf, v)
	}
}

func (b *builder) AddUint16(v uint16) {
	if b.err == nil {
		b.buf = append(b.buf, byte(v>>8), byte(v))
	}
}

func (b *builder) AddUint24(v uint32) {
	if b.err == nil {
		b.buf = append(b.buf, byte(v>>16), byte(v>>8), byte(v))
	}
}

func (b *builder) AddUint32(v uint32) {
	if b.err == nil {
		b.buf = append(b.buf, byte(v>>24), byte(v>>16), byte(v>>8), byte(v))
	}
}

func (b *builder) AddBytes(v []byte) {
	if b.err == nil {
		b.buf = append(b.buf, v...)
	}
}

// SetError makes Bytes fail with err, as cryptobyte.Builder.SetError does.
func (b *builder) SetError(err error) { b.err = err }

func (b *builder) AddUint8LengthPrefixed(f func(*builder))  { b.addLengthPrefixed(1, f) }
func (b *builder) AddUint16LengthPrefixed(f func(*builder)) { b.addLengthPrefixed(2, f) }
func (b *builder) AddUint24LengthPrefixed(f func(*builder)) { b.addLengthPrefixed(3, f) }

// addLengthPrefixed writes a prefixLen-byte placeholder, lets f append the
// vector after it, and then writes the vector's length into the placeholder.
func (b *builder) addLengthPrefixed(prefixLen int, f func(*builder)) {
	if b.err != nil {
		return
	}
	start := len(b.buf)
	b.buf = append(b.buf, make([]byte, prefixLen)...)
	f(b)
	if b.err != nil {
		return
	}
	n := len(b.buf) - start - prefixLen
	if n >= 1<<(8*prefixLen) {
		b.err = fmt.Errorf("vector of %d bytes exceeds its %d-byte length prefix", n, prefixLen)
		return
	}
	for i := prefixLen - 1; i >= 0; i-- {
		b.buf[start+i] = byte(n)
		n >>= 8
	}
}

// Bytes returns what was built, or the first error that stopped it.
func (b *builder) Bytes() ([]byte, error) {
	if b.err != nil {
		return nil, b.err
	}
	return b.buf, nil
}

// builderPool keeps marshalling scratch space between messages: a message is
// built in a pooled buffer and copied out once at its final size, so the
// buffer's growth is paid once per process, not once per message.
var builderPool = sync.Pool{New: func() any { return &builder{buf: make([]byte, 0, 1024)} }}

// maxPooledBuilder bounds the scratch kept in the pool; a rare large message
// (a long certificate chain) does not pin its buffer for good.
const maxPooledBuilder = 16 << 10

// buildMessage runs f on a pooled builder and returns a copy of its bytes
// that the caller owns.
func buildMessage(f func(*builder)) ([]byte, error) {
	b := builderPool.Get().(*builder)
	b.buf, b.err = b.buf[:0], nil
	f(b)
	out, err := b.Bytes()
	if err == nil {
		out = append([]byte(nil), out...)
	}
	if cap(b.buf) <= maxPooledBuilder {
		b.err = nil
		builderPool.Put(b)
	}
	return out, err
}

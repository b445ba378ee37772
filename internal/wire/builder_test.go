package wire

import (
	"bytes"
	"errors"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// TestBuilderMatchesCryptobyte builds the same nested vectors with builder
// and with cryptobyte.Builder, which it replaces in the marshallers.
func TestBuilderMatchesCryptobyte(t *testing.T) {
	payload := bytes.Repeat([]byte{0xab}, 300)
	var ours builder
	ours.AddUint8(1)
	ours.AddUint24(0x010203)
	ours.AddUint32(0x04050607)
	ours.AddUint24LengthPrefixed(func(b *builder) {
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(payload) })
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddUint16(0xbeef) })
	})
	got, err := ours.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	var ref cryptobyte.Builder
	ref.AddUint8(1)
	ref.AddUint24(0x010203)
	ref.AddUint32(0x04050607)
	ref.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(payload) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint16(0xbeef) })
	})
	if want := ref.BytesOrPanic(); !bytes.Equal(got, want) {
		t.Fatalf("builder wrote\n%x\ncryptobyte wrote\n%x", got, want)
	}
}

func TestBuilderRefusesOverlongVector(t *testing.T) {
	var fits builder
	fits.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(make([]byte, 255)) })
	if _, err := fits.Bytes(); err != nil {
		t.Fatalf("255 bytes under a 1-byte prefix: %v", err)
	}
	var over builder
	over.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(make([]byte, 256)) })
	over.AddUint8(7)
	if out, err := over.Bytes(); err == nil {
		t.Fatalf("256 bytes under a 1-byte prefix built %d bytes", len(out))
	}
}

func TestBuilderErrorStopsBuilding(t *testing.T) {
	stop := errors.New("stop")
	var b builder
	b.AddUint16LengthPrefixed(func(b *builder) {
		b.AddUint8(1)
		b.SetError(stop)
		b.AddUint8(2)
	})
	b.AddUint8(3)
	if _, err := b.Bytes(); err != stop {
		t.Fatalf("Bytes() error = %v, want %v", err, stop)
	}
	if !bytes.Equal(b.buf, []byte{0, 0, 1}) {
		t.Fatalf("wrote %x after the error", b.buf)
	}
}

// TestBuildMessageCopiesOut checks that a message returned by buildMessage
// does not share the pooled scratch buffer with the next one.
func TestBuildMessageCopiesOut(t *testing.T) {
	first, err := buildMessage(func(b *builder) { b.AddBytes([]byte("first")) })
	if err != nil {
		t.Fatal(err)
	}
	if _, err := buildMessage(func(b *builder) { b.AddBytes([]byte("other")) }); err != nil {
		t.Fatal(err)
	}
	if string(first) != "first" {
		t.Fatalf("first message changed to %q", first)
	}
}

package record

import (
	"bytes"
	"testing"

	"github.com/clasp-tls/clasp/internal/wire"
)

func hsMsg(typ byte, body []byte) []byte {
	n := len(body)
	return append([]byte{typ, byte(n >> 16), byte(n >> 8), byte(n)}, body...)
}

func TestAssemblerSplitsCoalescedMessages(t *testing.T) {
	msgs := [][]byte{hsMsg(2, fill(70, 0)), hsMsg(11, fill(5, 1)), hsMsg(14, nil)}
	var a Assembler
	if err := a.Add(bytes.Join(msgs, nil)); err != nil {
		t.Fatal(err)
	}
	for i, want := range msgs {
		got, ok := a.Next()
		if !ok || !bytes.Equal(got, want) {
			t.Fatalf("message %d: %x %v, want %x", i, got, ok, want)
		}
	}
	if _, ok := a.Next(); ok || a.Pending() {
		t.Fatal("extra message or pending bytes")
	}
}

func TestAssemblerJoinsFragmentsByteByByte(t *testing.T) {
	stream := append(hsMsg(1, fill(300, 0)), hsMsg(16, fill(33, 4))...)
	var a Assembler
	var got [][]byte
	for i := range stream {
		if err := a.Add(stream[i : i+1]); err != nil {
			t.Fatal(err)
		}
		if i < len(stream)-1 && !a.Pending() {
			t.Fatalf("byte %d: nothing pending mid-message", i)
		}
		for m, ok := a.Next(); ok; m, ok = a.Next() {
			got = append(got, bytes.Clone(m))
		}
	}
	if len(got) != 2 || !bytes.Equal(bytes.Join(got, nil), stream) || a.Pending() {
		t.Fatalf("got %d messages", len(got))
	}
}

func TestAssemblerRefusesOversizedMessageBeforeBuffering(t *testing.T) {
	a := Assembler{MaxMessageSize: 1000}
	a.Add(hsMsg(1, fill(10, 0))[:6]) // a partial message is buffered
	before := cap(a.buf)
	// The rest of message 1 (8 bytes), then a header declaring 1 MiB.
	frag := append(fill(8, 0), 11, 0x10, 0x00, 0x00)
	err := a.Add(append(frag, make([]byte, 4096)...))
	wantAlert(t, err, wire.AlertDecodeError)
	if cap(a.buf) != before || len(a.buf) != 6 {
		t.Fatalf("buffer changed on refusal: len %d cap %d (was cap %d)", len(a.buf), cap(a.buf), before)
	}

	// The default limit is 64 KiB; a header split over two Adds is still
	// caught before its body is buffered.
	var d Assembler
	if err := d.Add([]byte{11, 0x01}); err != nil {
		t.Fatal(err)
	}
	err = d.Add([]byte{0x00, 0x01})
	wantAlert(t, err, wire.AlertDecodeError)
	if len(d.buf) != 2 {
		t.Fatalf("buffered %d bytes after refusal", len(d.buf))
	}
	if err := (&Assembler{}).Add(hsMsg(11, make([]byte, DefaultMaxMessageSize))); err != nil {
		t.Fatalf("message at the limit refused: %v", err)
	}
}

// MaxClientHelloSize applies to ClientHello only; every other type keeps
// MaxMessageSize, also in the same Add.
func TestAssemblerClientHelloLimit(t *testing.T) {
	a := Assembler{MaxMessageSize: 1000, MaxClientHelloSize: 2000}
	if err := a.Add(hsMsg(byte(wire.TypeClientHello), fill(2000, 0))); err != nil {
		t.Fatalf("ClientHello at its limit refused: %v", err)
	}
	wantAlert(t, a.Add(hsMsg(byte(wire.TypeClientHello), fill(2001, 0))), wire.AlertDecodeError)
	wantAlert(t, a.Add(hsMsg(byte(wire.TypeCertificate), fill(1001, 0))), wire.AlertDecodeError)
	wantAlert(t, a.Add(append(hsMsg(byte(wire.TypeClientHello), fill(10, 0)), hsMsg(byte(wire.TypeCertificate), fill(1001, 0))...)), wire.AlertDecodeError)
	if err := (&Assembler{MaxMessageSize: 1000}).Add(hsMsg(byte(wire.TypeClientHello), fill(1001, 0))); err == nil {
		t.Fatal("without MaxClientHelloSize a ClientHello over MaxMessageSize passed")
	}
}

func TestAssemblerReset(t *testing.T) {
	var a Assembler
	a.Add([]byte{1, 0})
	a.Reset()
	if a.Pending() {
		t.Fatal("pending after Reset")
	}
}

// TestAssemblerReleaseKeepsPartialMessages: Release drops the buffer only
// when nothing is pending; a message cut between records still completes,
// and messages handed out before a release stay intact.
func TestAssemblerReleaseKeepsPartialMessages(t *testing.T) {
	first, second := hsMsg(20, fill(12, 1)), hsMsg(15, fill(40, 2))
	var a Assembler
	if err := a.Add(append(bytes.Clone(first), second[:10]...)); err != nil {
		t.Fatal(err)
	}
	got, ok := a.Next()
	if !ok || !bytes.Equal(got, first) {
		t.Fatalf("first message %x", got)
	}
	a.Release()
	if a.buf == nil {
		t.Fatal("released with part of a message pending")
	}
	if err := a.Add(second[10:]); err != nil {
		t.Fatal(err)
	}
	if m, ok := a.Next(); !ok || !bytes.Equal(m, second) {
		t.Fatalf("second message %x", m)
	}
	a.Release()
	if a.buf != nil || a.Pending() {
		t.Fatal("buffer kept with nothing pending")
	}
	if err := a.Add(first); err != nil {
		t.Fatal(err)
	}
	if m, ok := a.Next(); !ok || !bytes.Equal(m, first) {
		t.Fatalf("message after a release %x", m)
	}
}

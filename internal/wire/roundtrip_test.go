package wire

import (
	"bytes"
	"maps"
	"reflect"
	"slices"
	"testing"
)

// TestRoundTripGenerated marshals random valid values of every message type,
// parses them back and requires the same value, and requires the parsed
// value to marshal to the same bytes.
func TestRoundTripGenerated(t *testing.T) {
	for i, c := range messageCases() {
		t.Run(c.name, func(t *testing.T) {
			g := newGen(uint64(i) + 1)
			for range 300 {
				m := c.gen(g, c.ctx)
				raw := mustMarshal(t, m)
				got, err := ParseHandshake(raw, c.ctx)
				if err != nil {
					t.Fatalf("parse %x: %v\nvalue %#v", raw, err, m)
				}
				if !reflect.DeepEqual(got, m) {
					t.Fatalf("round trip changed the value\n got %#v\nwant %#v", got, m)
				}
				if again := mustMarshal(t, got); !bytes.Equal(again, raw) {
					t.Fatalf("re-marshal differs\n got %x\nwant %x", again, raw)
				}
				if got.Type() != HandshakeType(raw[0]) {
					t.Fatalf("Type() = %v, header says %v", got.Type(), HandshakeType(raw[0]))
				}
			}
		})
	}
}

// TestEveryTypedExtensionHasAGenerator keeps the generators in step with the
// extension table, so a new extension cannot skip the round-trip tests.
func TestEveryTypedExtensionHasAGenerator(t *testing.T) {
	table := slices.Sorted(maps.Keys(extensionTable))
	gens := slices.Sorted(maps.Keys(extGens))
	if !slices.Equal(table, gens) {
		t.Fatalf("extensionTable has %v, generators cover %v", table, gens)
	}
}

// TestExtensionRoundTrip round-trips each typed extension alone in every
// message that may carry it, plus unknown extensions, so a failure names the
// extension.
func TestExtensionRoundTrip(t *testing.T) {
	for code, mk := range extGens {
		for _, msg := range extensionTable[code].in {
			t.Run(code.String()+"/"+msg.String(), func(t *testing.T) {
				g := newGen(uint64(code)<<8 | uint64(msg))
				for range 200 {
					ext := mk(g, msg)
					roundTripExtensions(t, msg, []Extension{ext})
				}
			})
		}
	}
	t.Run("unknown", func(t *testing.T) {
		g := newGen(99)
		for range 200 {
			for _, msg := range extensionContexts {
				roundTripExtensions(t, msg, []Extension{g.unknownExt(), g.unknownExt()})
			}
		}
	})
}

func roundTripExtensions(t *testing.T, msg HandshakeType, exts []Extension) {
	t.Helper()
	if len(exts) == 2 && exts[0].ExtType() == exts[1].ExtType() {
		return
	}
	m, ctx := carrier(msg, exts)
	raw := mustMarshal(t, m)
	got, err := ParseHandshake(raw, ctx)
	if err != nil {
		t.Fatalf("parse: %v\nexts %#v", err, exts)
	}
	if !reflect.DeepEqual(got, m) {
		t.Fatalf("round trip changed the value\n got %#v\nwant %#v", got, m)
	}
}

// TestPrefixesRejected checks that no strict prefix of a valid message
// parses: with the header kept (the header length then disagrees), every
// prefix is decode_error; with the header length fixed up, a prefix of the
// body either is decode_error or is itself a complete, valid message (a hello
// cut right before its optional extensions block, an implicit static-DH
// ClientKeyExchange, a shorter Finished), which must then re-marshal to
// exactly those bytes.
func TestPrefixesRejected(t *testing.T) {
	for i, c := range messageCases() {
		t.Run(c.name, func(t *testing.T) {
			g := newGen(uint64(i) + 1000)
			for range 20 {
				raw := mustMarshal(t, c.gen(g, c.ctx))
				for n := range len(raw) {
					_, err := ParseHandshake(raw[:n], c.ctx)
					wantAlert(t, err, AlertDecodeError)
				}
				typ, body := HandshakeType(raw[0]), raw[4:]
				for n := range len(body) {
					cut := frame(typ, body[:n])
					m, err := ParseHandshake(cut, c.ctx)
					if err != nil {
						wantAlert(t, err, AlertDecodeError)
						continue
					}
					if !validCutPoint(m) {
						t.Fatalf("prefix %x of %x parsed as %#v", cut, raw, m)
					}
					if again := mustMarshal(t, m); !bytes.Equal(again, cut) {
						t.Fatalf("prefix parsed but re-marshals differently\n got %x\nwant %x", again, cut)
					}
				}
			}
		})
	}
}

// validCutPoint reports whether m is a message that a prefix of a longer
// valid message may legitimately be.
func validCutPoint(m Message) bool {
	switch m := m.(type) {
	case *Finished:
		return true
	case *ClientHello:
		return m.Extensions == nil
	case *ServerHello:
		return m.Extensions == nil
	case *ClientKeyExchange:
		return m.Data == nil && clientKexShapes[m.KeyExchange].implicit
	}
	return false
}

// TestTrailingByteRejected appends one byte to the body of every valid
// message (fixing the header length) and requires decode_error. Finished is
// the exception: its body is all verify_data, so it just gets longer.
func TestTrailingByteRejected(t *testing.T) {
	for i, c := range messageCases() {
		t.Run(c.name, func(t *testing.T) {
			g := newGen(uint64(i) + 2000)
			for range 50 {
				raw := mustMarshal(t, c.gen(g, c.ctx))
				if HandshakeType(raw[0]) == TypeFinished {
					return
				}
				for _, extra := range []byte{0, 1, 0xff} {
					long := frame(HandshakeType(raw[0]), append(slices.Clone(raw[4:]), extra))
					_, err := ParseHandshake(long, c.ctx)
					wantAlert(t, err, AlertDecodeError)
				}
			}
		})
	}
}

// TestParseDoesNotAliasInput checks that parsed values own their bytes: the
// record layer reuses its buffers.
func TestParseDoesNotAliasInput(t *testing.T) {
	for i, c := range messageCases() {
		g := newGen(uint64(i) + 3000)
		raw := mustMarshal(t, c.gen(g, c.ctx))
		m, err := ParseHandshake(raw, c.ctx)
		if err != nil {
			t.Fatal(err)
		}
		before := mustMarshal(t, m)
		for j := 4; j < len(raw); j++ {
			raw[j] ^= 0xff
		}
		if after := mustMarshal(t, m); !bytes.Equal(before, after) {
			t.Fatalf("%s: parsed value changed when the input buffer did", c.name)
		}
	}
}

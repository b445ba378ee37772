package wire

import (
	"bytes"
	"reflect"
	"slices"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// Every fuzz target checks the same property: parsing never panics, and a
// value that parses marshals again, re-parses to an equal value and (unless
// the value has a shape marshalling normalises) gives back the input bytes.

// fuzzContexts are the contexts a fuzz input can select with its ctx byte.
var fuzzContexts = func() []Context {
	var out []Context
	for _, c := range messageCases() {
		if !slices.Contains(out, c.ctx) {
			out = append(out, c.ctx)
		}
	}
	return out
}()

func fuzzContext(i uint8) Context { return fuzzContexts[int(i)%len(fuzzContexts)] }

// contextIndex is the ctx byte that selects ctx.
func contextIndex(ctx Context) uint8 { return uint8(slices.Index(fuzzContexts, ctx)) }

// seedMessages returns marshalled generated messages of the cases accepted
// by keep, with the ctx byte each parses under.
func seedMessages(keep func(messageCase) bool) (raws [][]byte, ctxs []uint8) {
	for i, c := range messageCases() {
		if !keep(c) {
			continue
		}
		g := newGen(uint64(i) + 7000)
		for range 3 {
			raw, err := c.gen(g, c.ctx).Marshal()
			if err != nil {
				panic(err)
			}
			raws = append(raws, raw)
			ctxs = append(ctxs, contextIndex(c.ctx))
		}
	}
	return raws, ctxs
}

// named keeps the message cases with one of the given names.
func named(names ...string) func(messageCase) bool {
	return func(c messageCase) bool { return slices.Contains(names, c.name) }
}

func ofType(t HandshakeType) func(messageCase) bool {
	return func(c messageCase) bool {
		raw, _ := c.gen(newGen(1), c.ctx).Marshal()
		return len(raw) > 0 && HandshakeType(raw[0]) == t
	}
}

// normalisesOnMarshal reports whether m holds a value whose re-marshalled
// bytes may legitimately differ from the input: server_name entries of
// other types are written after host_name whatever their wire order.
func normalisesOnMarshal(m Message) bool {
	var exts []Extension
	switch m := m.(type) {
	case *ClientHello:
		exts = m.Extensions
	case *ServerHello:
		exts = m.Extensions
	}
	sni, ok := FindExtension[*ServerNameExt](exts)
	return ok && len(sni.Other) > 0
}

// checkReparse is the property every fuzz target checks for a value that
// parsed from body. reparse is the same parser, under the same context: a
// per-type parser accepts bodies that ParseHandshake would turn away for the
// context (a TLS 1.2 Certificate under a TLS 1.3 context, say).
func checkReparse(t *testing.T, m Message, body []byte, reparse func(body []byte) (Message, error)) {
	t.Helper()
	raw, err := m.Marshal()
	if err != nil {
		t.Fatalf("parsed value does not marshal: %v\n%#v", err, m)
	}
	if HandshakeType(raw[0]) != m.Type() {
		t.Fatalf("%T marshals under type %v", m, HandshakeType(raw[0]))
	}
	again, err := reparse(raw[4:])
	if err != nil {
		t.Fatalf("re-parse failed: %v\n%x", err, raw)
	}
	if !reflect.DeepEqual(again, m) {
		t.Fatalf("re-parse differs\n got %#v\nwant %#v", again, m)
	}
	if !normalisesOnMarshal(m) && !bytes.Equal(raw[4:], body) {
		t.Fatalf("re-marshal differs from input\n got %x\nwant %x", raw[4:], body)
	}
}

// fuzzBodies registers a body-level fuzz target seeded with generated
// messages of type typ.
func fuzzBodies(f *testing.F, typ HandshakeType, parse func(body []byte, ctx Context) (Message, error)) {
	fuzzBodiesOf(f, ofType(typ), parse)
}

// fuzzBodiesOf registers a body-level fuzz target seeded with generated
// messages of the cases keep accepts.
func fuzzBodiesOf(f *testing.F, keep func(messageCase) bool, parse func(body []byte, ctx Context) (Message, error)) {
	raws, ctxs := seedMessages(keep)
	for i, raw := range raws {
		f.Add(raw[4:], ctxs[i])
	}
	f.Fuzz(func(t *testing.T, body []byte, ctxByte uint8) {
		ctx := fuzzContext(ctxByte)
		m, err := parse(body, ctx)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		checkReparse(t, m, body, func(b []byte) (Message, error) { return parse(b, ctx) })
	})
}

func FuzzParseClientHello(f *testing.F) {
	// Hardening cases: a repeated extension (illegal_parameter), TLS 1.3
	// compression other than {0} and ec_point_formats without
	// uncompressed (both parse; the drivers refuse them).
	f.Add(rawClientHello(nil, []byte{0x13, 0x01}, []byte{0}, func(b *cryptobyte.Builder) {
		oneExt(ExtSupportedGroups, u16Vec(0, 29))(b)
		oneExt(ExtSupportedGroups, u16Vec(0, 23))(b)
	}), uint8(0))
	f.Add(rawClientHello(nil, []byte{0x13, 0x01}, []byte{0, 1}, func(b *cryptobyte.Builder) {
		oneExt(ExtSupportedVersions, []byte{2, 3, 4})(b)
		oneExt(ExtECPointFormats, u8Vec(1))(b)
	}), uint8(0))
	fuzzBodies(f, TypeClientHello, func(b []byte, _ Context) (Message, error) { return ParseClientHello(b) })
}

func FuzzParseServerHello(f *testing.F) {
	fuzzBodies(f, TypeServerHello, func(b []byte, _ Context) (Message, error) { return ParseServerHello(b) })
}

func FuzzParseCertificate(f *testing.F) {
	fuzzBodies(f, TypeCertificate, func(b []byte, _ Context) (Message, error) { return ParseCertificate(b) })
}

func FuzzParseServerKeyExchange(f *testing.F) {
	fuzzBodies(f, TypeServerKeyExchange, func(b []byte, ctx Context) (Message, error) { return ParseServerKeyExchange(b, ctx) })
}

func FuzzParseCertificateRequest(f *testing.F) {
	fuzzBodies(f, TypeCertificateRequest, func(b []byte, ctx Context) (Message, error) { return ParseCertificateRequest(b, ctx) })
}

func FuzzParseClientKeyExchange(f *testing.F) {
	fuzzBodies(f, TypeClientKeyExchange, func(b []byte, ctx Context) (Message, error) { return ParseClientKeyExchange(b, ctx) })
}

func FuzzParseCertificateVerify(f *testing.F) {
	fuzzBodies(f, TypeCertificateVerify, func(b []byte, ctx Context) (Message, error) { return ParseCertificateVerify(b, ctx) })
}

func FuzzParseNewSessionTicket(f *testing.F) {
	fuzzBodies(f, TypeNewSessionTicket, func(b []byte, _ Context) (Message, error) { return ParseNewSessionTicket(b) })
}

func FuzzParseCertificateStatus(f *testing.F) {
	fuzzBodies(f, TypeCertificateStatus, func(b []byte, _ Context) (Message, error) { return ParseCertificateStatus(b) })
}

func FuzzParseEncryptedExtensions(f *testing.F) {
	fuzzBodiesOf(f, named("EncryptedExtensions"), func(b []byte, _ Context) (Message, error) { return ParseEncryptedExtensions(b) })
}

func FuzzParseCertificate13(f *testing.F) {
	fuzzBodiesOf(f, named("Certificate13"), func(b []byte, _ Context) (Message, error) { return ParseCertificate13(b) })
}

func FuzzParseCertificateRequest13(f *testing.F) {
	fuzzBodiesOf(f, named("CertificateRequest13"), func(b []byte, _ Context) (Message, error) { return ParseCertificateRequest13(b) })
}

func FuzzParseNewSessionTicket13(f *testing.F) {
	fuzzBodiesOf(f, named("NewSessionTicket13"), func(b []byte, _ Context) (Message, error) { return ParseNewSessionTicket13(b) })
}

func FuzzParseKeyUpdate(f *testing.F) {
	f.Add([]byte{2}, uint8(0))
	fuzzBodiesOf(f, named("KeyUpdate"), func(b []byte, _ Context) (Message, error) { return ParseKeyUpdate(b) })
}

func FuzzParseHandshake(f *testing.F) {
	raws, ctxs := seedMessages(func(messageCase) bool { return true })
	for i, raw := range raws {
		f.Add(raw, ctxs[i])
	}
	// The RFC 8448 §3 trace, each message under the context it is read in.
	for _, m := range []struct {
		file string
		ctx  Context
	}{
		{"client_hello.hex", Context{}}, {"server_hello.hex", Context{}},
		{"encrypted_extensions.hex", tls13}, {"certificate.hex", tls13},
		{"certificate_verify.hex", tls13}, {"finished.hex", tls13},
	} {
		f.Add(readHex(f, m.file), contextIndex(m.ctx))
	}
	f.Fuzz(func(t *testing.T, raw []byte, ctxByte uint8) {
		ctx := fuzzContext(ctxByte)
		m, err := ParseHandshake(raw, ctx)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		if m.Type() != HandshakeType(raw[0]) {
			t.Fatalf("parsed %v from a %v header", m.Type(), HandshakeType(raw[0]))
		}
		checkReparse(t, m, raw[4:], func(b []byte) (Message, error) { return ParseHandshake(frame(m.Type(), b), ctx) })
	})
}

// FuzzParseExtensions fuzzes an extensions block on its own, in a
// ClientHello or a ServerHello.
func FuzzParseExtensions(f *testing.F) {
	g := newGen(8000)
	for range 40 {
		for _, msg := range hellos {
			exts := g.extensions(msg)
			if exts == nil {
				continue
			}
			b := new(builder)
			marshalExtensions(b, exts, msg)
			f.Add(mustBuilt(b), msg == TypeServerHello)
		}
	}
	f.Fuzz(func(t *testing.T, block []byte, serverHello bool) {
		msg := TypeClientHello
		if serverHello {
			msg = TypeServerHello
		}
		s := cryptobyte.String(block)
		exts, err := parseExtensions(&s, msg)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		b := new(builder)
		marshalExtensions(b, exts, msg)
		out, err := b.Bytes()
		if err != nil {
			t.Fatalf("parsed extensions do not marshal: %v\n%#v", err, exts)
		}
		again := cryptobyte.String(out)
		exts2, err := parseExtensions(&again, msg)
		if err != nil || !again.Empty() {
			t.Fatalf("re-parse failed: %v", err)
		}
		if !reflect.DeepEqual(exts, exts2) {
			t.Fatalf("re-parse differs\n got %#v\nwant %#v", exts2, exts)
		}
		if sni, ok := FindExtension[*ServerNameExt](exts); (!ok || len(sni.Other) == 0) && !bytes.Equal(out, block[:len(block)-len(s)]) {
			t.Fatalf("re-marshal differs\n got %x\nwant %x", out, block)
		}
	})
}

// FuzzParseExtensionBlock fuzzes a mandatory extensions block in every
// extension context (RFC 8446 §4.2's columns), selected by msgByte.
func FuzzParseExtensionBlock(f *testing.F) {
	// A repeated extension in every context (illegal_parameter).
	for i := range extensionContexts {
		f.Add([]byte{0, 8, 0x12, 0x34, 0, 0, 0x12, 0x34, 0, 0}, uint8(i))
	}
	g := newGen(8100)
	for range 20 {
		for i, msg := range extensionContexts {
			b := new(builder)
			addExtensionBlock(b, g.extensionBlock(msg, true), msg)
			f.Add(mustBuilt(b), uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, block []byte, msgByte uint8) {
		msg := extensionContexts[int(msgByte)%len(extensionContexts)]
		s := cryptobyte.String(block)
		exts, err := readExtensionBlock(&s, msg)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		b := new(builder)
		addExtensionBlock(b, exts, msg)
		out, err := b.Bytes()
		if err != nil {
			t.Fatalf("parsed %v extensions do not marshal: %v\n%#v", msg, err, exts)
		}
		again := cryptobyte.String(out)
		exts2, err := readExtensionBlock(&again, msg)
		if err != nil || !again.Empty() {
			t.Fatalf("re-parse failed: %v", err)
		}
		if !reflect.DeepEqual(exts, exts2) {
			t.Fatalf("re-parse differs\n got %#v\nwant %#v", exts2, exts)
		}
		if sni, ok := FindExtension[*ServerNameExt](exts); (!ok || len(sni.Other) == 0) && !bytes.Equal(out, block[:len(block)-len(s)]) {
			t.Fatalf("re-marshal differs\n got %x\nwant %x", out, block)
		}
	})
}

func FuzzParseAlert(f *testing.F) {
	f.Add([]byte{2, 40})
	f.Add([]byte{1})
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		a, err := ParseAlert(body)
		if err == nil && !bytes.Equal(a.Marshal(), body) {
			t.Fatalf("alert %x re-marshals to %x", body, a.Marshal())
		}
		if err := ParseChangeCipherSpec(body); err == nil && !bytes.Equal(body, ChangeCipherSpec) {
			t.Fatalf("ChangeCipherSpec %x accepted", body)
		}
	})
}

func FuzzParseCompressedCertificate(f *testing.F) {
	f.Add([]byte{0, 1, 0, 1, 0, 0, 0, 3, 1, 2, 3}, uint8(0))
	f.Add([]byte{0, 3, 0xff, 0xff, 0xff, 0, 0, 1, 0}, uint8(0))
	f.Fuzz(func(t *testing.T, body []byte, _ uint8) {
		m, err := ParseCompressedCertificate(body)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		checkReparse(t, m, body, func(b []byte) (Message, error) { return ParseCompressedCertificate(b) })
	})
}

// FuzzParseRawPublicKeyCertificate: RFC 7250's TLS 1.2 Certificate form.
func FuzzParseRawPublicKeyCertificate(f *testing.F) {
	f.Add([]byte{0, 0, 3, 0x30, 1, 0})
	f.Add([]byte{0, 0, 0})
	f.Add([]byte{0, 0, 6, 0, 0, 3, 0x30, 1, 0})
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseRawPublicKeyCertificate(body)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		checkReparse(t, m, body, func(b []byte) (Message, error) { return ParseRawPublicKeyCertificate(b) })
	})
}

// mustBuilt is cryptobyte's BytesOrPanic for a builder: a seed that does not
// marshal is a bug in the generator.
func mustBuilt(b *builder) []byte {
	out, err := b.Bytes()
	if err != nil {
		panic(err)
	}
	return out
}

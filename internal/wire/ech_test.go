package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

func sampleECHConfig(t testing.TB) []byte {
	raw, err := MarshalECHConfig(&ECHConfig{ConfigID: 7, KEM: 0x20, PublicKey: bytes.Repeat([]byte{1}, 32),
		CipherSuites: []HPKESymmetricCipherSuite{{1, 1}, {1, 3}}, MaxNameLength: 32, PublicName: "public.example",
		Extensions: []ECHConfigExtension{{Type: 0x1234, Data: []byte{9}}}})
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestECHConfigListRoundTrip(t *testing.T) {
	one := sampleECHConfig(t)
	unknown := []byte{0xfe, 0x0a, 0x00, 0x02, 0xaa, 0xbb} // a draft version: kept, unparsed
	list, err := MarshalECHConfigList([][]byte{unknown, one})
	if err != nil {
		t.Fatal(err)
	}
	configs, err := ParseECHConfigList(list)
	if err != nil {
		t.Fatal(err)
	}
	if len(configs) != 2 || configs[0].Version != 0xfe0a || !bytes.Equal(configs[0].Raw, unknown) {
		t.Fatalf("unknown version not kept raw: %+v", configs)
	}
	c := configs[1]
	if !bytes.Equal(c.Raw, one) || c.ConfigID != 7 || c.KEM != 0x20 || c.PublicName != "public.example" ||
		len(c.CipherSuites) != 2 || c.CipherSuites[1] != (HPKESymmetricCipherSuite{1, 3}) || c.MaxNameLength != 32 ||
		len(c.Extensions) != 1 || c.Extensions[0].Mandatory() {
		t.Fatalf("parsed %+v", c)
	}
	again, err := MarshalECHConfig(&c)
	if err != nil || !bytes.Equal(again, one) {
		t.Fatalf("re-marshal differs: %x vs %x (%v)", again, one, err)
	}
}

// RFC 9849 §4: ECHConfigList<4..2^16-1>, public_key<1..2^16-1>,
// cipher_suites<4..2^16-4>, public_name<1..255>; §4.2: no extension
// twice. Every violation is decode_error (§6.1.6 for retry_configs).
func TestECHConfigListRejectsMalformed(t *testing.T) {
	one := sampleECHConfig(t)
	wrap := func(body []byte) []byte {
		var b cryptobyte.Builder
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
		return b.BytesOrPanic()
	}
	withContents := func(contents []byte) []byte {
		var b cryptobyte.Builder
		b.AddUint16(ECHConfigVersion)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(contents) })
		return wrap(b.BytesOrPanic())
	}
	contents := one[4:]
	// config_id, kem_id, public_key<32>, cipher_suites<8>, max_name_length, public_name<14>, extensions
	pkEnd := 1 + 2 + 2 + 32
	csEnd := pkEnd + 2 + 8
	cases := map[string][]byte{
		"empty list":           wrap(nil),
		"list too short":       wrap([]byte{0xfe, 0x0d, 0}),
		"trailing bytes":       append(wrap(one), 0),
		"truncated config":     wrap(one[:len(one)-1]),
		"contents trailing":    withContents(append(bytes.Clone(contents), 0)),
		"empty public key":     withContents(append([]byte{7, 0, 0x20, 0, 0}, contents[pkEnd:]...)),
		"odd cipher suites":    withContents(append(append(bytes.Clone(contents[:pkEnd]), 0, 2, 0, 1), contents[csEnd:]...)),
		"no cipher suites":     withContents(append(append(bytes.Clone(contents[:pkEnd]), 0, 0), contents[csEnd:]...)),
		"empty public name":    withContents(append(bytes.Clone(contents[:csEnd+1]), 0, 0, 0)),
		"duplicated extension": withContents(append(bytes.Clone(contents[:csEnd+1+1+14]), 0, 10, 0x12, 0x34, 0, 1, 9, 0x12, 0x34, 0, 1, 9)),
	}
	for name, list := range cases {
		_, err := ParseECHConfigList(list)
		var we *Error
		if !errors.As(err, &we) || we.Alert != AlertDecodeError {
			t.Errorf("%s: got %v, want decode_error", name, err)
		}
	}
}

// RFC 9849 §7: an ECHClientHello type other than outer(0) or inner(1) is
// illegal_parameter; §6.1.4: a HelloRetryRequest confirmation that is not
// 8 bytes is decode_error; §6.1.6: retry_configs that do not parse are
// decode_error; RFC 9849 §5 payload<1..2^16-1>.
func TestEncryptedClientHelloExtRejects(t *testing.T) {
	cases := []struct {
		name  string
		msg   HandshakeType
		body  []byte
		alert AlertDescription
	}{
		{"type 2", TypeClientHello, []byte{2}, AlertIllegalParameter},
		{"inner with body", TypeClientHello, []byte{1, 0}, AlertDecodeError},
		{"empty", TypeClientHello, nil, AlertDecodeError},
		{"outer empty payload", TypeClientHello, []byte{0, 0, 1, 0, 1, 5, 0, 0, 0, 0}, AlertDecodeError},
		{"outer truncated", TypeClientHello, []byte{0, 0, 1, 0, 1, 5, 0, 1}, AlertDecodeError},
		{"hrr 7 bytes", TypeHelloRetryRequest, make([]byte, 7), AlertDecodeError},
		{"hrr 9 bytes", TypeHelloRetryRequest, make([]byte, 9), AlertDecodeError},
		{"ee garbage", TypeEncryptedExtensions, []byte{0, 1, 2}, AlertDecodeError},
	}
	for _, c := range cases {
		var err error
		if c.msg == TypeClientHello {
			_, err = ParseECHClientHello(c.body)
			// The extension parser keeps such a body raw for a server
			// without ECH to ignore.
			if e, perr := parseEncryptedClientHello(c.body, c.msg); perr != nil || e.(*UnknownExt).Code != ExtEncryptedClientHello {
				t.Errorf("%s: extension parser gave %v, %v; want it kept raw", c.name, e, perr)
			}
		} else {
			_, err = parseEncryptedClientHello(c.body, c.msg)
		}
		var we *Error
		if !errors.As(err, &we) || we.Alert != c.alert {
			t.Errorf("%s: got %v, want %v", c.name, err, c.alert)
		}
	}
}

func TestEncodedClientHelloInnerSplitsPadding(t *testing.T) {
	g := newGen(99)
	for range 20 {
		m := g.clientHello()
		if m.Extensions == nil {
			continue
		}
		body, err := ClientHelloBody(m)
		if err != nil {
			t.Fatal(err)
		}
		hello, pad, err := ParseEncodedClientHelloInner(append(bytes.Clone(body), 0, 0, 0))
		if err != nil || !bytes.Equal(pad, []byte{0, 0, 0}) {
			t.Fatalf("split: %v, padding %x", err, pad)
		}
		if !reflect.DeepEqual(hello, m) {
			t.Fatalf("inner hello changed")
		}
	}
}

// FuzzECHConfigList: parsing never panics, and a list that parses gives
// back its configs' exact bytes when re-joined.
func FuzzECHConfigList(f *testing.F) {
	f.Add(newGen(1).echConfigList())
	f.Add(newGen(2).echConfigList())
	f.Fuzz(func(t *testing.T, b []byte) {
		configs, err := ParseECHConfigList(b)
		if err != nil {
			return
		}
		var raws [][]byte
		for _, c := range configs {
			if c.Version == ECHConfigVersion {
				again, err := MarshalECHConfig(&c)
				if err != nil || !bytes.Equal(again, c.Raw) {
					t.Fatalf("config re-marshals differently: %x vs %x (%v)", again, c.Raw, err)
				}
			}
			raws = append(raws, c.Raw)
		}
		list, err := MarshalECHConfigList(raws)
		if err != nil || !bytes.Equal(list, b) {
			t.Fatalf("list re-marshals differently")
		}
	})
}

// FuzzEncryptedClientHelloExt: the extension in each of its three messages
// and ech_outer_extensions parse without panicking and round-trip; so does
// an EncodedClientHelloInner.
func FuzzEncryptedClientHelloExt(f *testing.F) {
	g := newGen(5)
	for _, msg := range []HandshakeType{TypeClientHello, TypeHelloRetryRequest, TypeEncryptedExtensions} {
		for range 3 {
			body, err := ExtensionBody(extGens[ExtEncryptedClientHello](g, msg), msg)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(uint8(msg), body)
		}
	}
	outer, _ := ExtensionBody(extGens[ExtECHOuterExtensions](g, TypeClientHello), TypeClientHello)
	f.Add(uint8(0), outer)
	f.Fuzz(func(t *testing.T, which uint8, body []byte) {
		msgs := []HandshakeType{TypeClientHello, TypeHelloRetryRequest, TypeEncryptedExtensions}
		if int(which) >= len(msgs) {
			if e, err := parseECHOuterExtensions(body, TypeClientHello); err == nil {
				again, err := ExtensionBody(e, TypeClientHello)
				if err != nil || !bytes.Equal(again, body) {
					t.Fatalf("ech_outer_extensions re-marshals differently")
				}
			}
			if hello, pad, err := ParseEncodedClientHelloInner(body); err == nil {
				raw, err := ClientHelloBody(hello)
				if err != nil || !bytes.Equal(append(raw, pad...), body) {
					t.Fatalf("EncodedClientHelloInner re-marshals differently")
				}
			}
			return
		}
		msg := msgs[which]
		if msg == TypeClientHello {
			if e, err := ParseECHClientHello(body); err == nil {
				if again, err := ExtensionBody(e, msg); err != nil || !bytes.Equal(again, body) {
					t.Fatalf("ECHClientHello re-marshals differently")
				}
			}
		}
		e, err := parseEncryptedClientHello(body, msg)
		if err != nil {
			return
		}
		again, err := ExtensionBody(e, msg)
		if err != nil || !bytes.Equal(again, body) {
			t.Fatalf("%v: re-marshals to %x, was %x (%v)", msg, again, body, err)
		}
	})
}

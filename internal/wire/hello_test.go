package wire

import (
	"reflect"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

func oneExt(code ExtensionType, body []byte) func(b *cryptobyte.Builder) {
	return func(b *cryptobyte.Builder) {
		b.AddUint16(uint16(code))
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	}
}

func TestParseHandshakeRejectsUnknownType(t *testing.T) {
	for _, typ := range []HandshakeType{7, 99, 200, 255} {
		_, err := ParseHandshake(frame(typ, nil), Context{})
		wantAlert(t, err, AlertUnexpectedMessage)
	}
}

func TestParseHandshakeRejectsNotYetSupportedTypes(t *testing.T) {
	// DTLS-only and TLS 1.3-only messages cannot come next in a TLS 1.2
	// handshake.
	for _, typ := range []HandshakeType{TypeHelloVerifyRequest, TypeEndOfEarlyData, TypeEncryptedExtensions, TypeKeyUpdate, TypeMessageHash} {
		_, err := ParseHandshake(frame(typ, []byte{0}), Context{})
		wantAlert(t, err, AlertUnexpectedMessage)
	}
	// Under a TLS 1.3 context Certificate has 1.3's shape: a 1.2 body
	// does not parse as one.
	_, err := ParseHandshake(mustMarshal(t, &Certificate{}), Context{Version: suites.VersionTLS13})
	wantAlert(t, err, AlertDecodeError)
}

func TestParseHandshakeRejectsHeaderLengthMismatch(t *testing.T) {
	raw := mustMarshal(t, &Finished{VerifyData: make([]byte, 12)})
	for _, bad := range [][]byte{nil, raw[:3], append(raw, 0), {20, 0, 0, 13, 1}} {
		_, err := ParseHandshake(bad, Context{})
		wantAlert(t, err, AlertDecodeError)
	}
}

// RFC 5246 §7.4.1.4 and RFC 8446 §4.2: "There MUST NOT be more than one
// extension of the same type in a given extension block." Neither RFC names
// the alert; OpenSSL 3 sends illegal_parameter, and so does clasp.
func TestClientHelloRejectsDuplicateExtension(t *testing.T) {
	for _, code := range []ExtensionType{ExtExtendedMasterSecret, ExtPadding, 0x1a1a} {
		body := rawClientHello(nil, []byte{0xc0, 0x2f}, []byte{0}, func(b *cryptobyte.Builder) {
			oneExt(code, nil)(b)
			oneExt(ExtSessionTicket, nil)(b)
			oneExt(code, nil)(b)
		})
		_, err := ParseClientHello(body)
		wantAlert(t, err, AlertIllegalParameter)
	}
}

func TestClientHelloRejectsEmptyCipherSuites(t *testing.T) {
	_, err := ParseClientHello(rawClientHello(nil, nil, []byte{0}, nil))
	wantAlert(t, err, AlertDecodeError)
}

func TestClientHelloRejectsOddCipherSuiteLength(t *testing.T) {
	_, err := ParseClientHello(rawClientHello(nil, []byte{0xc0, 0x2f, 0x00}, []byte{0}, nil))
	wantAlert(t, err, AlertDecodeError)
}

func TestClientHelloRejectsEmptyCompressionMethods(t *testing.T) {
	_, err := ParseClientHello(rawClientHello(nil, []byte{0xc0, 0x2f}, nil, nil))
	wantAlert(t, err, AlertDecodeError)
}

func TestClientHelloRejectsLongSessionID(t *testing.T) {
	_, err := ParseClientHello(rawClientHello(make([]byte, 33), []byte{0xc0, 0x2f}, []byte{0}, nil))
	wantAlert(t, err, AlertDecodeError)
}

func TestClientHelloAcceptsEmptySessionID(t *testing.T) {
	m, err := ParseClientHello(rawClientHello(nil, []byte{0xc0, 0x2f}, []byte{0}, nil))
	if err != nil || m.SessionID != nil {
		t.Fatalf("got %v, %v", m, err)
	}
}

func TestClientHelloRejectsTrailingBytesAfterExtensions(t *testing.T) {
	body := rawClientHello(nil, []byte{0xc0, 0x2f}, []byte{0}, oneExt(ExtExtendedMasterSecret, nil))
	_, err := ParseClientHello(append(body, 0))
	wantAlert(t, err, AlertDecodeError)
}

func TestClientHelloRejectsExtensionOverrunningBlock(t *testing.T) {
	body := rawClientHello(nil, []byte{0xc0, 0x2f}, []byte{0}, func(b *cryptobyte.Builder) {
		b.AddUint16(uint16(ExtPadding))
		b.AddUint16(10) // claims 10 bytes, block ends here
	})
	_, err := ParseClientHello(body)
	wantAlert(t, err, AlertDecodeError)
}

func TestClientHelloDistinguishesNoExtensionsFromEmptyBlock(t *testing.T) {
	m, err := ParseClientHello(rawClientHello(nil, []byte{0xc0, 0x2f}, []byte{0}, nil))
	if err != nil || m.Extensions != nil {
		t.Fatalf("no block: got %#v, %v; want nil extensions", m.Extensions, err)
	}
	m, err = ParseClientHello(rawClientHello(nil, []byte{0xc0, 0x2f}, []byte{0}, func(*cryptobyte.Builder) {}))
	if err != nil || m.Extensions == nil || len(m.Extensions) != 0 {
		t.Fatalf("empty block: got %#v, %v; want non-nil empty", m.Extensions, err)
	}
}

func TestClientHelloKeepsUnknownExtensionsInOrder(t *testing.T) {
	body := rawClientHello(nil, []byte{0x0a, 0x0a, 0xc0, 0x2f, 0x00, 0xff}, []byte{1, 0}, func(b *cryptobyte.Builder) {
		oneExt(0x3a3a, []byte{0})(b)
		oneExt(ExtExtendedMasterSecret, nil)(b)
		oneExt(ExtTokenBinding, []byte{1, 2, 3})(b)
	})
	m, err := ParseClientHello(body)
	if err != nil {
		t.Fatal(err)
	}
	want := []Extension{&UnknownExt{Code: 0x3a3a, Data: []byte{0}}, &ExtendedMasterSecretExt{}, &UnknownExt{Code: ExtTokenBinding, Data: []byte{1, 2, 3}}}
	if !reflect.DeepEqual(m.Extensions, want) {
		t.Fatalf("extensions %#v, want %#v", m.Extensions, want)
	}
	if len(m.CipherSuites) != 3 || m.CipherSuites[0] != 0x0a0a || m.CipherSuites[2] != 0x00ff {
		t.Fatalf("cipher suites %v, want GREASE and SCSV kept in order", m.CipherSuites)
	}
}

func TestServerHelloRejectsTwoALPNProtocols(t *testing.T) {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		for _, p := range []string{"h2", "http/1.1"} {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(p)) })
		}
	})
	raw := helloWithExt(t, TypeServerHello, ExtALPN, b.BytesOrPanic())
	_, err := ParseHandshake(raw, Context{})
	wantAlert(t, err, AlertDecodeError)
	// The same body is fine in a ClientHello.
	if _, err := ParseHandshake(helloWithExt(t, TypeClientHello, ExtALPN, b.BytesOrPanic()), Context{}); err != nil {
		t.Fatal(err)
	}
}

func TestServerHelloRejectsDuplicateExtension(t *testing.T) {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(0x0303)
	b.AddBytes(make([]byte, 32))
	b.AddUint8(0)
	b.AddUint16(0xc02f)
	b.AddUint8(0)
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
		oneExt(ExtRenegotiationInfo, []byte{0})(b)
		oneExt(ExtRenegotiationInfo, []byte{0})(b)
	})
	_, err := ParseServerHello(b.BytesOrPanic())
	wantAlert(t, err, AlertIllegalParameter)
}

func TestServerHelloRejectsLongSessionID(t *testing.T) {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(0x0303)
	b.AddBytes(make([]byte, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 33)) })
	b.AddUint16(0xc02f)
	b.AddUint8(0)
	_, err := ParseServerHello(b.BytesOrPanic())
	wantAlert(t, err, AlertDecodeError)
}

func TestServerHelloLeavesCompressionAndSuiteToDriver(t *testing.T) {
	// A non-null compression method or an unoffered suite is
	// illegal_parameter, but only the driver knows what was offered.
	raw := mustMarshal(t, &ServerHello{Version: 0x0303, CipherSuite: 0x1234, CompressionMethod: 1})
	m, err := ParseHandshake(raw, Context{})
	if err != nil {
		t.Fatal(err)
	}
	if sh := m.(*ServerHello); sh.CompressionMethod != 1 || sh.CipherSuite != 0x1234 {
		t.Fatalf("got %#v", sh)
	}
}

func TestServerHelloKeepsExtensionsTheDriverMustJudge(t *testing.T) {
	// Whether the client offered these, and whether they belong in a
	// ServerHello at all, is the driver's question: psk_key_exchange_modes
	// is ClientHello-only, so it is kept raw.
	raw := helloWithExt(t, TypeServerHello, ExtPSKKeyExchangeModes, []byte{1, 1})
	m, err := ParseHandshake(raw, Context{})
	if err != nil {
		t.Fatal(err)
	}
	if u, ok := FindExtension[*UnknownExt](m.(*ServerHello).Extensions); !ok || u.Code != ExtPSKKeyExchangeModes {
		t.Fatalf("psk_key_exchange_modes not kept: %#v", m)
	}
}

func TestMarshalRejectsUnencodableHellos(t *testing.T) {
	for name, m := range map[string]Message{
		"no suites":          &ClientHello{CompressionMethods: []uint8{0}},
		"no compression":     &ClientHello{CipherSuites: []suites.ID{1}},
		"long session id":    &ClientHello{SessionID: make([]byte, 33), CipherSuites: []suites.ID{1}, CompressionMethods: []uint8{0}},
		"sh long session id": &ServerHello{SessionID: make([]byte, 33)},
		"duplicate ext":      validClientHello([]Extension{&ExtendedMasterSecretExt{}, &ExtendedMasterSecretExt{}}),
		"nil ext":            validClientHello([]Extension{nil}),
		"typed nil ext":      validClientHello([]Extension{(*ALPNExt)(nil)}),
		"sh two alpn":        &ServerHello{Extensions: []Extension{&ALPNExt{Protocols: []string{"a", "b"}}}},
		"empty alpn name":    validClientHello([]Extension{&ALPNExt{Protocols: []string{"a", ""}}}),
		"sh server name":     &ServerHello{Extensions: []Extension{&ServerNameExt{HostName: "x"}}},
		"empty server name":  validClientHello([]Extension{&ServerNameExt{}}),
		"empty groups":       validClientHello([]Extension{&SupportedGroupsExt{}}),
		"empty schemes":      validClientHello([]Extension{&SignatureAlgorithmsExt{}}),
		"empty formats":      validClientHello([]Extension{&ECPointFormatsExt{}}),
		"long reneg info":    validClientHello([]Extension{&RenegotiationInfoExt{Data: make([]byte, 256)}}),
		"sh status request":  &ServerHello{Extensions: []Extension{&StatusRequestExt{StatusType: 1}}},
		"ocsp with raw body": validClientHello([]Extension{&StatusRequestExt{StatusType: StatusTypeOCSP, OtherRequest: []byte{1}}}),
	} {
		_, err := m.Marshal()
		if err == nil {
			t.Errorf("%s: Marshal succeeded", name)
			continue
		}
		wantAlert(t, err, AlertInternalError)
	}
}

// MaxClientHelloLen is the body of a ClientHello with every vector at its
// upper bound (RFC 5246 §7.4.1.2), which marshals and parses; one more
// cipher suite no longer fits its length prefix.
func TestMaxClientHelloLenIsTheLongestClientHello(t *testing.T) {
	ch := &ClientHello{Version: suites.VersionTLS12, SessionID: make([]byte, 32),
		CipherSuites:       make([]suites.ID, 0x7fff),
		CompressionMethods: make([]uint8, 255),
		Extensions:         []Extension{&UnknownExt{Code: 0x1234, Data: make([]byte, 0xffff-4)}}}
	raw, err := ch.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if len(raw)-4 != MaxClientHelloLen {
		t.Fatalf("longest ClientHello body is %d bytes, MaxClientHelloLen %d", len(raw)-4, MaxClientHelloLen)
	}
	if _, err := ParseClientHello(raw[4:]); err != nil {
		t.Fatal(err)
	}
	ch.CipherSuites = append(ch.CipherSuites, 0)
	if _, err := ch.Marshal(); err == nil {
		t.Fatal("a ClientHello with 2^15 cipher suites marshalled")
	}
}

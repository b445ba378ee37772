package wire

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

var tls13 = Context{Version: suites.VersionTLS13}

func TestParseHandshakeTLS13MessageSet(t *testing.T) {
	for _, m := range []Message{
		&EncryptedExtensions{}, &Certificate13{}, &NewSessionTicket13{Ticket: []byte{1}},
		&CertificateRequest13{Extensions: []Extension{&SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{0x0403}}}},
		&KeyUpdate{}, &EndOfEarlyData{}, &Finished{VerifyData: make([]byte, 32)},
		&CertificateVerify{Signature: DigitallySigned{HasScheme: true, Scheme: 0x0804, Signature: []byte{1}}},
	} {
		got, err := ParseHandshake(mustMarshal(t, m), tls13)
		if err != nil {
			t.Fatalf("%T: %v", m, err)
		}
		if want, have := typeName(m), typeName(got); want != have {
			t.Errorf("parsed %s as %s", want, have)
		}
	}
}

func typeName(m Message) string {
	switch m.(type) {
	case *EncryptedExtensions:
		return "EncryptedExtensions"
	case *Certificate13:
		return "Certificate13"
	case *NewSessionTicket13:
		return "NewSessionTicket13"
	case *CertificateRequest13:
		return "CertificateRequest13"
	case *KeyUpdate:
		return "KeyUpdate"
	case *EndOfEarlyData:
		return "EndOfEarlyData"
	case *Finished:
		return "Finished"
	case *CertificateVerify:
		return "CertificateVerify"
	}
	return "other"
}

func TestParseHandshakeRejectsServerKeyExchangeInTLS13(t *testing.T) {
	ske := &ServerKeyExchange{KeyExchange: suites.KexECDHE, ECDHE: &ECDHEParams{CurveType: CurveTypeNamedCurve, Group: suites.X25519, Public: make([]byte, 32)},
		Signature: &DigitallySigned{HasScheme: true, Scheme: 0x0804, Signature: []byte{1}}}
	raw := mustMarshal(t, ske)
	_, err := ParseHandshake(raw, Context{Version: suites.VersionTLS13, KeyExchange: suites.KexECDHE})
	wantAlert(t, err, AlertUnexpectedMessage)
}

func TestParseHandshakeRejectsTLS12OnlyMessagesInTLS13(t *testing.T) {
	for _, m := range []Message{
		&HelloRequest{}, &ServerHelloDone{},
		&ClientKeyExchange{KeyExchange: suites.KexECDHE, Data: make([]byte, 32)},
		&CertificateStatus{StatusType: 1, Response: []byte{1}},
	} {
		_, err := ParseHandshake(mustMarshal(t, m), tls13)
		wantAlert(t, err, AlertUnexpectedMessage)
	}
	for _, typ := range []HandshakeType{TypeHelloRetryRequest, TypeMessageHash, TypeHelloVerifyRequest, 99} {
		_, err := ParseHandshake(frame(typ, []byte{0}), tls13)
		wantAlert(t, err, AlertUnexpectedMessage)
	}
}

func TestParseHandshakeRejectsTLS13OnlyMessagesInTLS12(t *testing.T) {
	for _, v := range []suites.Version{0, suites.VersionTLS12} {
		for _, m := range []Message{&EncryptedExtensions{}, &KeyUpdate{}, &EndOfEarlyData{}} {
			_, err := ParseHandshake(mustMarshal(t, m), Context{Version: v})
			wantAlert(t, err, AlertUnexpectedMessage)
		}
	}
}

func TestClientHelloRejectsPreSharedKeyNotLast(t *testing.T) {
	psk := extBody(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("ticket")) })
			b.AddUint32(7)
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
		})
	})
	body := rawClientHello(nil, []byte{0x13, 0x01}, []byte{0}, func(b *cryptobyte.Builder) {
		oneExt(ExtPreSharedKey, psk)(b)
		oneExt(ExtPSKKeyExchangeModes, []byte{1, 1})(b)
	})
	_, err := ParseClientHello(body)
	wantAlert(t, err, AlertIllegalParameter)
	// Last, it is fine.
	body = rawClientHello(nil, []byte{0x13, 0x01}, []byte{0}, func(b *cryptobyte.Builder) {
		oneExt(ExtPSKKeyExchangeModes, []byte{1, 1})(b)
		oneExt(ExtPreSharedKey, psk)(b)
	})
	if _, err := ParseClientHello(body); err != nil {
		t.Fatal(err)
	}
}

func TestClientHelloMarshalRefusesPreSharedKeyNotLast(t *testing.T) {
	m := validClientHello([]Extension{
		&PreSharedKeyExt{Identities: []PSKIdentity{{Identity: []byte{1}}}, Binders: [][]byte{make([]byte, 32)}},
		&PSKKeyExchangeModesExt{Modes: []uint8{PSKModeDHEKE}},
	})
	_, err := m.Marshal()
	wantAlert(t, err, AlertInternalError)
}

func TestKeyUpdateRejectsValueTwo(t *testing.T) {
	_, err := ParseHandshake(frame(TypeKeyUpdate, []byte{2}), tls13)
	wantAlert(t, err, AlertIllegalParameter)
	_, err = ParseKeyUpdate([]byte{0xff})
	wantAlert(t, err, AlertIllegalParameter)
	for _, bad := range [][]byte{nil, {0, 0}, {1, 0}} {
		_, err = ParseKeyUpdate(bad)
		wantAlert(t, err, AlertDecodeError)
	}
	for v, want := range []bool{false, true} {
		m, err := ParseKeyUpdate([]byte{byte(v)})
		if err != nil || m.RequestUpdate != want {
			t.Fatalf("KeyUpdate(%d) = %#v, %v", v, m, err)
		}
	}
}

func TestEndOfEarlyDataRejectsBody(t *testing.T) {
	_, err := ParseHandshake(frame(TypeEndOfEarlyData, []byte{0}), tls13)
	wantAlert(t, err, AlertDecodeError)
}

func TestServerHelloRejectsTwoKeyShares(t *testing.T) {
	two := extBody(func(b *cryptobyte.Builder) {
		for _, g := range []uint16{29, 23} {
			b.AddUint16(g)
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{1, 2, 3}) })
		}
	})
	rejectsExt(t, TypeServerHello, ExtKeyShare, two, AlertDecodeError)
	// A ClientHello-shaped list is not a ServerHello key_share either.
	rejectsExt(t, TypeServerHello, ExtKeyShare, u16Vec(two...), AlertDecodeError)
	one := acceptsExt(t, TypeServerHello, ExtKeyShare, two[:7]).(*KeyShareExt)
	if len(one.Entries) != 1 || one.Entries[0].Group != suites.X25519 || one.SelectedGroup != 0 {
		t.Fatalf("got %#v", one)
	}
}

func TestHelloRetryRequestKeyShareIsOnlyAGroup(t *testing.T) {
	entry := []byte{0, 23, 0, 1, 7}
	rejectsExt(t, TypeHelloRetryRequest, ExtKeyShare, entry, AlertDecodeError)
	rejectsExt(t, TypeHelloRetryRequest, ExtKeyShare, []byte{0}, AlertDecodeError)
	e := acceptsExt(t, TypeHelloRetryRequest, ExtKeyShare, []byte{0, 23}).(*KeyShareExt)
	if e.SelectedGroup != suites.Secp256r1 || e.Entries != nil {
		t.Fatalf("got %#v", e)
	}
	// The same two bytes are not a ServerHello key_share.
	rejectsExt(t, TypeServerHello, ExtKeyShare, []byte{0, 23}, AlertDecodeError)
}

func TestHelloRetryRequestIsDetectedByRandom(t *testing.T) {
	hrr := &ServerHello{Version: 0x0303, Random: HelloRetryRequestRandom, CipherSuite: 0x1301, Extensions: []Extension{
		&SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
		&KeyShareExt{SelectedGroup: suites.Secp256r1},
		&CookieExt{Cookie: []byte("state")},
	}}
	raw := mustMarshal(t, hrr)
	for _, ctx := range []Context{{}, {Version: suites.VersionTLS12}, tls13} {
		m, err := ParseHandshake(raw, ctx)
		if err != nil {
			t.Fatal(err)
		}
		sh := m.(*ServerHello)
		if !sh.IsHelloRetryRequest() {
			t.Fatal("HRR not detected")
		}
		if c, ok := FindExtension[*CookieExt](sh.Extensions); !ok || string(c.Cookie) != "state" {
			t.Fatalf("cookie = %#v", c)
		}
	}
	if (&ServerHello{}).IsHelloRetryRequest() {
		t.Fatal("zero random taken for HRR")
	}
	// The HRR shapes do not leak into a plain ServerHello: there a cookie
	// is not typed, and a bare group is no key_share.
	sh := *hrr
	sh.Random = [32]byte{1}
	if _, err := sh.Marshal(); err == nil {
		t.Fatal("ServerHello marshalled an HRR-shaped key_share")
	}
}

func TestDowngradeSentinelsSpellDOWNGRD(t *testing.T) {
	if string(DowngradeTLS12[:7]) != "DOWNGRD" || DowngradeTLS12[7] != 1 ||
		string(DowngradeTLS11[:7]) != "DOWNGRD" || DowngradeTLS11[7] != 0 {
		t.Fatalf("sentinels %x %x", DowngradeTLS12, DowngradeTLS11)
	}
}

func TestSupportedVersionsRejectsOddLength(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSupportedVersions, u8Vec(3, 4, 3), AlertDecodeError)
}

func TestSupportedVersionsRejectsEmptyList(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSupportedVersions, u8Vec(), AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtSupportedVersions, nil, AlertDecodeError)
}

func TestServerHelloSupportedVersionsIsOneVersion(t *testing.T) {
	for _, msg := range []HandshakeType{TypeServerHello, TypeHelloRetryRequest} {
		rejectsExt(t, msg, ExtSupportedVersions, u8Vec(3, 4), AlertDecodeError)
		rejectsExt(t, msg, ExtSupportedVersions, []byte{3, 4, 3, 3}, AlertDecodeError)
		rejectsExt(t, msg, ExtSupportedVersions, []byte{3}, AlertDecodeError)
		e := acceptsExt(t, msg, ExtSupportedVersions, []byte{3, 4}).(*SupportedVersionsExt)
		if len(e.Versions) != 1 || e.Versions[0] != suites.VersionTLS13 {
			t.Fatalf("got %#v", e)
		}
	}
}

func TestKeyShareRejectsEmptyKeyExchange(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtKeyShare, u16Vec(0, 29, 0, 0), AlertDecodeError)
	rejectsExt(t, TypeServerHello, ExtKeyShare, []byte{0, 29, 0, 0}, AlertDecodeError)
}

func TestKeyShareRejectsDuplicateGroup(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtKeyShare, u16Vec(0, 29, 0, 1, 7, 0, 29, 0, 1, 8), AlertIllegalParameter)
}

func TestKeyShareAcceptsEmptyClientShares(t *testing.T) {
	// RFC 8446 §4.2.8: a client may send an empty client_shares to ask
	// the server to pick a group.
	e := acceptsExt(t, TypeClientHello, ExtKeyShare, u16Vec()).(*KeyShareExt)
	if e.Entries != nil {
		t.Fatalf("got %#v", e)
	}
}

func TestPreSharedKeyRejectsBinderCountMismatch(t *testing.T) {
	body := extBody(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, id := range []string{"a", "b"} {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(id)) })
				b.AddUint32(0)
			}
		})
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(make([]byte, 32)) })
		})
	})
	rejectsExt(t, TypeClientHello, ExtPreSharedKey, body, AlertDecodeError)
}

func TestPreSharedKeyRejectsShortBinderAndEmptyIdentity(t *testing.T) {
	psk := func(identity []byte, binder []byte) []byte {
		return extBody(func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(identity) })
				b.AddUint32(0)
			})
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(binder) })
			})
		})
	}
	rejectsExt(t, TypeClientHello, ExtPreSharedKey, psk([]byte{1}, make([]byte, 31)), AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtPreSharedKey, psk(nil, make([]byte, 32)), AlertDecodeError)
	e := acceptsExt(t, TypeClientHello, ExtPreSharedKey, psk([]byte{1}, make([]byte, 32))).(*PreSharedKeyExt)
	if len(e.Identities) != 1 || len(e.Binders) != 1 {
		t.Fatalf("got %#v", e)
	}
}

func TestPreSharedKeyInServerHelloIsAnIndex(t *testing.T) {
	rejectsExt(t, TypeServerHello, ExtPreSharedKey, []byte{0}, AlertDecodeError)
	rejectsExt(t, TypeServerHello, ExtPreSharedKey, []byte{0, 1, 0}, AlertDecodeError)
	if e := acceptsExt(t, TypeServerHello, ExtPreSharedKey, []byte{0, 2}).(*PreSharedKeyExt); e.SelectedIdentity != 2 {
		t.Fatalf("got %#v", e)
	}
}

func TestPSKKeyExchangeModesRejectsEmptyList(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtPSKKeyExchangeModes, u8Vec(), AlertDecodeError)
}

func TestCookieRejectsEmpty(t *testing.T) {
	rejectsExt(t, TypeHelloRetryRequest, ExtCookie, u16Vec(), AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtCookie, nil, AlertDecodeError)
}

func TestEarlyDataShapeDependsOnMessage(t *testing.T) {
	for _, msg := range []HandshakeType{TypeClientHello, TypeEncryptedExtensions} {
		rejectsExt(t, msg, ExtEarlyData, []byte{0, 0, 0, 1}, AlertDecodeError)
		if e := acceptsExt(t, msg, ExtEarlyData, nil).(*EarlyDataExt); e.MaxEarlyDataSize != 0 {
			t.Fatalf("got %#v", e)
		}
	}
	rejectsExt(t, TypeNewSessionTicket, ExtEarlyData, nil, AlertDecodeError)
	rejectsExt(t, TypeNewSessionTicket, ExtEarlyData, []byte{0, 0, 1}, AlertDecodeError)
	if e := acceptsExt(t, TypeNewSessionTicket, ExtEarlyData, []byte{0, 0, 0x40, 0}).(*EarlyDataExt); e.MaxEarlyDataSize != 0x4000 {
		t.Fatalf("got %#v", e)
	}
}

func TestCertificateAuthoritiesRejectsEmptyNames(t *testing.T) {
	rejectsExt(t, TypeCertificateRequest, ExtCertificateAuthorities, u16Vec(), AlertDecodeError)
	rejectsExt(t, TypeCertificateRequest, ExtCertificateAuthorities, u16Vec(0, 0), AlertDecodeError)
}

func TestPostHandshakeAuthRejectsBody(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtPostHandshakeAuth, []byte{0}, AlertDecodeError)
}

func TestPaddingKeepsNonZeroBodyRaw(t *testing.T) {
	if e := acceptsExt(t, TypeClientHello, ExtPadding, make([]byte, 5)).(*PaddingExt); e.Length != 5 {
		t.Fatalf("got %#v", e)
	}
	u := acceptsExt(t, TypeClientHello, ExtPadding, []byte{0, 1, 0}).(*UnknownExt)
	if !bytes.Equal(u.Data, []byte{0, 1, 0}) {
		t.Fatalf("got %#v", u)
	}
}

func TestSignedCertificateTimestampShapes(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSignedCertificateTimestamp, []byte{0}, AlertDecodeError)
	rejectsExt(t, TypeCertificate, ExtSignedCertificateTimestamp, u16Vec(), AlertDecodeError)
	rejectsExt(t, TypeCertificate, ExtSignedCertificateTimestamp, u16Vec(0, 0), AlertDecodeError)
	e := acceptsExt(t, TypeCertificate, ExtSignedCertificateTimestamp, u16Vec(0, 2, 9, 9)).(*SignedCertificateTimestampExt)
	if len(e.SCTs) != 1 || !bytes.Equal(e.SCTs[0], []byte{9, 9}) {
		t.Fatalf("got %#v", e)
	}
}

func TestCertificateEntryStatusRequestIsAResponse(t *testing.T) {
	resp := []byte{1, 0, 0, 2, 0xaa, 0xbb}
	e := acceptsExt(t, TypeCertificate, ExtStatusRequest, resp).(*StatusRequestExt)
	if e.StatusType != StatusTypeOCSP || !bytes.Equal(e.Response, []byte{0xaa, 0xbb}) || e.ResponderIDList != nil {
		t.Fatalf("got %#v", e)
	}
	rejectsExt(t, TypeCertificate, ExtStatusRequest, []byte{1, 0, 0, 0}, AlertDecodeError)
	// In a CertificateRequest13 it is empty (RFC 8446 §4.4.2.1).
	acceptsExt(t, TypeCertificateRequest, ExtStatusRequest, nil)
	rejectsExt(t, TypeCertificateRequest, ExtStatusRequest, []byte{1, 0, 0, 0, 0}, AlertDecodeError)
}

func TestCertificateRequest13RequiresSignatureAlgorithms(t *testing.T) {
	for _, exts := range []func(b *cryptobyte.Builder){
		func(*cryptobyte.Builder) {},
		oneExt(ExtCertificateAuthorities, u16Vec(0, 1, 0x30)),
	} {
		b := cryptobyte.NewBuilder(nil)
		b.AddUint8(0) // empty certificate_request_context
		b.AddUint16LengthPrefixed(exts)
		_, err := ParseHandshake(frame(TypeCertificateRequest, b.BytesOrPanic()), tls13)
		wantAlert(t, err, AlertMissingExtension)
	}
	_, err := (&CertificateRequest13{}).Marshal()
	wantAlert(t, err, AlertInternalError)
}

func TestCertificate13RejectsEmptyCertData(t *testing.T) {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(0)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint24(0)
		b.AddUint16(0)
	})
	_, err := ParseCertificate13(b.BytesOrPanic())
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificate13RejectsEntryWithoutExtensionsBlock(t *testing.T) {
	// TLS 1.2's entry shape inside TLS 1.3's message.
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(0)
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{0x30, 0}) })
	})
	_, err := ParseCertificate13(b.BytesOrPanic())
	wantAlert(t, err, AlertDecodeError)
}

func TestNewSessionTicket13RejectsEmptyTicket(t *testing.T) {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint32(3600)
	b.AddUint32(1)
	b.AddUint8(0)
	b.AddUint16(0)
	b.AddUint16(0)
	_, err := ParseNewSessionTicket13(b.BytesOrPanic())
	wantAlert(t, err, AlertDecodeError)
}

// RFC 8446 §4.2: "There MUST NOT be more than one extension of the same
// type in a given extension block", in every message that has one: the
// HelloRetryRequest, EncryptedExtensions, CertificateRequest, each
// CertificateEntry and NewSessionTicket (the hellos are tested in
// hello_test.go). The RFC names no alert; clasp sends illegal_parameter, as
// OpenSSL 3 does.
func TestTLS13ExtensionBlocksRejectDuplicates(t *testing.T) {
	block := func(code ExtensionType, body []byte) func(b *cryptobyte.Builder) {
		return func(b *cryptobyte.Builder) {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
				oneExt(code, body)(b)
				oneExt(code, body)(b)
			})
		}
	}
	build := func(f func(b *cryptobyte.Builder)) []byte {
		b := cryptobyte.NewBuilder(nil)
		f(b)
		return b.BytesOrPanic()
	}
	for name, parse := range map[string]func() error{
		"EncryptedExtensions": func() error {
			_, err := ParseEncryptedExtensions(build(block(ExtEarlyData, nil)))
			return err
		},
		"CertificateRequest": func() error {
			_, err := ParseCertificateRequest13(build(func(b *cryptobyte.Builder) {
				b.AddUint8(0)
				block(ExtSignatureAlgorithms, u16Vec(4, 3))(b)
			}))
			return err
		},
		"CertificateEntry": func() error {
			_, err := ParseCertificate13(build(func(b *cryptobyte.Builder) {
				b.AddUint8(0)
				b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
					b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{0x30, 0}) })
					block(0x1234, nil)(b)
				})
			}))
			return err
		},
		"NewSessionTicket": func() error {
			_, err := ParseNewSessionTicket13(build(func(b *cryptobyte.Builder) {
				b.AddUint32(1)
				b.AddUint32(2)
				b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) {})
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddUint8(1) })
				block(ExtEarlyData, []byte{0, 0, 0, 1})(b)
			}))
			return err
		},
		"HelloRetryRequest": func() error {
			_, err := ParseServerHello(build(func(b *cryptobyte.Builder) {
				b.AddUint16(0x0303)
				b.AddBytes(HelloRetryRequestRandom[:])
				b.AddUint8(0)
				b.AddUint16(0x1301)
				b.AddUint8(0)
				block(ExtCookie, u16Vec(1, 2))(b)
			}))
			return err
		},
	} {
		t.Run(name, func(t *testing.T) { wantAlert(t, parse(), AlertIllegalParameter) })
	}
}

func TestMarshalRejectsUnencodableTLS13Values(t *testing.T) {
	binder := make([]byte, 32)
	for name, m := range map[string]Message{
		"sh two shares":        &ServerHello{Extensions: []Extension{&KeyShareExt{Entries: []KeyShareEntry{{1, []byte{1}}, {2, []byte{1}}}}}},
		"hrr share entry":      &ServerHello{Random: HelloRetryRequestRandom, Extensions: []Extension{&KeyShareExt{Entries: []KeyShareEntry{{1, []byte{1}}}}}},
		"ch selected group":    validClientHello([]Extension{&KeyShareExt{SelectedGroup: 23}}),
		"ch duplicate group":   validClientHello([]Extension{&KeyShareExt{Entries: []KeyShareEntry{{1, []byte{1}}, {1, []byte{2}}}}}),
		"empty key exchange":   validClientHello([]Extension{&KeyShareExt{Entries: []KeyShareEntry{{1, nil}}}}),
		"sh two versions":      &ServerHello{Extensions: []Extension{&SupportedVersionsExt{Versions: []suites.Version{0x0304, 0x0303}}}},
		"no versions":          validClientHello([]Extension{&SupportedVersionsExt{}}),
		"psk no binders":       validClientHello([]Extension{&PreSharedKeyExt{Identities: []PSKIdentity{{Identity: []byte{1}}}}}),
		"psk short binder":     validClientHello([]Extension{&PreSharedKeyExt{Identities: []PSKIdentity{{Identity: []byte{1}}}, Binders: [][]byte{binder[:31]}}}),
		"psk empty identity":   validClientHello([]Extension{&PreSharedKeyExt{Identities: []PSKIdentity{{}}, Binders: [][]byte{binder}}}),
		"sh psk identities":    &ServerHello{Extensions: []Extension{&PreSharedKeyExt{Identities: []PSKIdentity{{Identity: []byte{1}}}}}},
		"empty modes":          validClientHello([]Extension{&PSKKeyExchangeModesExt{}}),
		"empty cookie":         validClientHello([]Extension{&CookieExt{}}),
		"ch early data size":   validClientHello([]Extension{&EarlyDataExt{MaxEarlyDataSize: 1}}),
		"no authorities":       validClientHello([]Extension{&CertificateAuthoritiesExt{}}),
		"huge padding":         validClientHello([]Extension{&PaddingExt{Length: 1 << 20}}),
		"ch sct list":          validClientHello([]Extension{&SignedCertificateTimestampExt{SCTs: [][]byte{{1}}}}),
		"ct empty status":      &Certificate13{Entries: []CertificateEntry{{Data: []byte{1}, Extensions: []Extension{&StatusRequestExt{StatusType: 1}}}}},
		"empty cert":           &Certificate13{Entries: []CertificateEntry{{}}},
		"cr no sig algs":       &CertificateRequest13{Extensions: []Extension{&CertificateAuthoritiesExt{Authorities: [][]byte{{1}}}}},
		"nst empty ticket":     &NewSessionTicket13{},
		"long request context": &Certificate13{Context: make([]byte, 256)},
	} {
		_, err := m.Marshal()
		if err == nil {
			t.Errorf("%s: Marshal succeeded", name)
			continue
		}
		wantAlert(t, err, AlertInternalError)
	}
}

// TestPSKBindersSuffixLen builds a ClientHello whose binders list is written
// by hand after a known prefix, and checks that PSKBindersSuffixLen cuts
// exactly there (RFC 8446 §4.2.11.2).
func TestPSKBindersSuffixLen(t *testing.T) {
	binders := [][]byte{bytes.Repeat([]byte{0xb1}, 32), bytes.Repeat([]byte{0xb2}, 48)}
	ch := validClientHello([]Extension{
		&SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
		&PSKKeyExchangeModesExt{Modes: []uint8{PSKModeDHEKE}},
		&PreSharedKeyExt{
			Identities: []PSKIdentity{{Identity: []byte("ticket-one"), ObfuscatedTicketAge: 1}, {Identity: []byte("two"), ObfuscatedTicketAge: 2}},
			Binders:    binders,
		},
	})
	raw := mustMarshal(t, ch)
	n, err := ch.PSKBindersSuffixLen()
	if err != nil {
		t.Fatal(err)
	}
	// The binders list, by hand: uint16 length, then each binder with a
	// uint8 length.
	var list []byte
	for _, b := range binders {
		list = append(list, byte(len(b)))
		list = append(list, b...)
	}
	list = append([]byte{byte(len(list) >> 8), byte(len(list))}, list...)
	if !bytes.HasSuffix(raw, list) {
		t.Fatalf("marshalled hello does not end with the binders list")
	}
	if n != len(list) {
		t.Fatalf("PSKBindersSuffixLen = %d, binders list is %d bytes", n, len(list))
	}
	truncated := raw[:len(raw)-n]
	// What precedes the list is the identities list, ending in the last
	// identity's obfuscated_ticket_age.
	if !bytes.HasSuffix(truncated, []byte{'t', 'w', 'o', 0, 0, 0, 2}) {
		t.Fatalf("truncated hello ends with %x", truncated[len(truncated)-8:])
	}
	// Placeholder binders of the same lengths give the same cut.
	ch.Extensions[2].(*PreSharedKeyExt).Binders = [][]byte{make([]byte, 32), make([]byte, 48)}
	if n2, _ := ch.PSKBindersSuffixLen(); n2 != n {
		t.Fatalf("placeholder binders give %d, want %d", n2, n)
	}
	if again := mustMarshal(t, ch); !bytes.Equal(again[:len(again)-n], truncated) {
		t.Fatal("truncated hello depends on the binder values")
	}
}

func TestPSKBindersSuffixLenNeedsPreSharedKeyLast(t *testing.T) {
	for _, exts := range [][]Extension{
		nil,
		{&PSKKeyExchangeModesExt{Modes: []uint8{1}}},
		{&PreSharedKeyExt{Identities: []PSKIdentity{{Identity: []byte{1}}}, Binders: [][]byte{make([]byte, 32)}}, &ExtendedMasterSecretExt{}},
	} {
		_, err := validClientHello(exts).PSKBindersSuffixLen()
		wantAlert(t, err, AlertInternalError)
	}
}

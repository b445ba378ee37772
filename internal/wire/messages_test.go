package wire

import (
	"bytes"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

var (
	tls12ECDHE = Context{Version: suites.VersionTLS12, KeyExchange: suites.KexECDHE}
	tls10ECDHE = Context{Version: suites.VersionTLS10, KeyExchange: suites.KexECDHE}
	tls12DHE   = Context{Version: suites.VersionTLS12, KeyExchange: suites.KexDHE}
)

func build(f func(b *cryptobyte.Builder)) []byte {
	b := cryptobyte.NewBuilder(nil)
	f(b)
	return b.BytesOrPanic()
}

// ecdheSKE builds a ServerKeyExchange body with the given curve type and a
// TLS 1.2 signature.
func ecdheSKE(curveType uint8, public []byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint8(curveType)
		b.AddUint16(29)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(public) })
		b.AddUint16(0x0804)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{1, 2, 3}) })
	})
}

func TestServerKeyExchangeRejectsExplicitCurve(t *testing.T) {
	for _, ct := range []uint8{CurveTypeExplicitPrime, CurveTypeExplicitChar2} {
		_, err := ParseServerKeyExchange(ecdheSKE(ct, []byte{4}), tls12ECDHE)
		wantAlert(t, err, AlertHandshakeFailure)
	}
}

func TestServerKeyExchangeRejectsUnknownCurveType(t *testing.T) {
	for _, ct := range []uint8{0, 4, 255} {
		_, err := ParseServerKeyExchange(ecdheSKE(ct, []byte{4}), tls12ECDHE)
		wantAlert(t, err, AlertIllegalParameter)
	}
}

func TestServerKeyExchangeRejectsEmptyECPoint(t *testing.T) {
	_, err := ParseServerKeyExchange(ecdheSKE(CurveTypeNamedCurve, nil), tls12ECDHE)
	wantAlert(t, err, AlertDecodeError)
}

func TestServerKeyExchangeRejectsEmptyDHPrime(t *testing.T) {
	body := build(func(b *cryptobyte.Builder) {
		for _, v := range [][]byte{nil, {2}, {5}} {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(v) })
		}
		b.AddUint16(0x0401)
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{1}) })
	})
	_, err := ParseServerKeyExchange(body, tls12DHE)
	wantAlert(t, err, AlertDecodeError)
}

func TestServerKeyExchangeRejectsMissingSignature(t *testing.T) {
	body := ecdheSKE(CurveTypeNamedCurve, []byte{4})
	_, err := ParseServerKeyExchange(body[:len(body)-7], tls12ECDHE)
	wantAlert(t, err, AlertDecodeError)
}

func TestServerKeyExchangeRejectsSignatureOnAnonymous(t *testing.T) {
	// ECDH_anon has no signature: the signed body's tail is trailing bytes.
	_, err := ParseServerKeyExchange(ecdheSKE(CurveTypeNamedCurve, []byte{4}), Context{KeyExchange: suites.KexECDHAnon})
	wantAlert(t, err, AlertDecodeError)
}

func TestServerKeyExchangeForRSAIsUnexpected(t *testing.T) {
	for _, kex := range []suites.KeyExchange{suites.KexRSA, suites.KexDH, suites.KexECDH} {
		_, err := ParseHandshake(frame(TypeServerKeyExchange, ecdheSKE(3, []byte{4})), Context{KeyExchange: kex})
		wantAlert(t, err, AlertUnexpectedMessage)
	}
}

func TestServerKeyExchangeForUnsupportedKexIsInternalError(t *testing.T) {
	_, err := ParseServerKeyExchange(ecdheSKE(3, []byte{4}), Context{KeyExchange: suites.KexSRP})
	wantAlert(t, err, AlertInternalError)
}

func TestServerKeyExchangeTLS10HasNoScheme(t *testing.T) {
	// The TLS 1.2 body read as TLS 1.0: the scheme bytes become the
	// signature length, which no longer matches.
	_, err := ParseServerKeyExchange(ecdheSKE(3, []byte{4}), tls10ECDHE)
	wantAlert(t, err, AlertDecodeError)
	body := build(func(b *cryptobyte.Builder) {
		b.AddUint8(3)
		b.AddUint16(23)
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{4, 1, 1}) })
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{9, 9}) })
	})
	m, err := ParseServerKeyExchange(body, tls10ECDHE)
	if err != nil {
		t.Fatal(err)
	}
	if m.Signature.HasScheme || m.ECDHE.Group != 23 || !bytes.Equal(m.Signature.Signature, []byte{9, 9}) {
		t.Fatalf("got %#v %#v", m.Signature, m.ECDHE)
	}
}

func TestServerKeyExchangeParamsAreTheSignedBytes(t *testing.T) {
	body := ecdheSKE(3, []byte{4, 5, 6})
	m, err := ParseServerKeyExchange(body, tls12ECDHE)
	if err != nil {
		t.Fatal(err)
	}
	// Everything before the 2-byte scheme, 2-byte length and 3-byte
	// signature.
	if want := body[:len(body)-7]; !bytes.Equal(m.Params(), want) {
		t.Fatalf("Params() = %x, want %x", m.Params(), want)
	}
	if p := (&ServerKeyExchange{KeyExchange: suites.KexPSK}).Params(); p != nil {
		t.Fatalf("PSK Params() = %x, want nil", p)
	}
}

func TestServerKeyExchangeMarshalRejectsMismatchedFields(t *testing.T) {
	sig := &DigitallySigned{HasScheme: true, Scheme: 0x0804}
	ec := &ECDHEParams{CurveType: 3, Group: 29, Public: []byte{4}}
	for name, m := range map[string]*ServerKeyExchange{
		"no params":      {KeyExchange: suites.KexECDHE, Signature: sig},
		"no signature":   {KeyExchange: suites.KexECDHE, ECDHE: ec},
		"dh for ecdhe":   {KeyExchange: suites.KexECDHE, DHE: &DHEParams{P: []byte{1}, G: []byte{2}, Public: []byte{3}}, Signature: sig},
		"anon signed":    {KeyExchange: suites.KexECDHAnon, ECDHE: ec, Signature: sig},
		"explicit curve": {KeyExchange: suites.KexECDHE, ECDHE: &ECDHEParams{CurveType: 1, Public: []byte{4}}, Signature: sig},
		"rsa":            {KeyExchange: suites.KexRSA},
		"hint not psk":   {KeyExchange: suites.KexECDHAnon, ECDHE: ec, PSKIdentityHint: []byte{1}},
	} {
		if _, err := m.Marshal(); err == nil {
			t.Errorf("%s: Marshal succeeded", name)
		}
	}
}

func TestClientKeyExchangeRejectsEmptyValues(t *testing.T) {
	for _, c := range []struct {
		kex  suites.KeyExchange
		body []byte
	}{
		{suites.KexECDHE, u8Vec()},
		{suites.KexRSA, u16Vec()},
		{suites.KexDHE, u16Vec()},
		{suites.KexECDHE, nil},
		{suites.KexRSA, nil},
		{suites.KexECDHEPSK, u16Vec(1)},
	} {
		_, err := ParseClientKeyExchange(c.body, Context{KeyExchange: c.kex})
		wantAlert(t, err, AlertDecodeError)
	}
}

func TestClientKeyExchangeRejectsWrongLengthPrefix(t *testing.T) {
	// An ECDHE point with a uint16 prefix reads as a 0-byte uint8 vector
	// followed by trailing bytes.
	_, err := ParseClientKeyExchange(u16Vec(4, 1, 2), Context{KeyExchange: suites.KexECDHE})
	wantAlert(t, err, AlertDecodeError)
}

func TestClientKeyExchangeImplicitStaticDH(t *testing.T) {
	m, err := ParseClientKeyExchange(nil, Context{KeyExchange: suites.KexDH})
	if err != nil || m.Data != nil {
		t.Fatalf("got %#v, %v", m, err)
	}
	if raw := mustMarshal(t, m); len(raw) != 4 {
		t.Fatalf("implicit ClientKeyExchange marshals to %x", raw)
	}
}

func TestClientKeyExchangePSKIdentity(t *testing.T) {
	body := build(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("client1")) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{4, 1}) })
	})
	m, err := ParseClientKeyExchange(body, Context{KeyExchange: suites.KexECDHEPSK})
	if err != nil || string(m.PSKIdentity) != "client1" || !bytes.Equal(m.Data, []byte{4, 1}) {
		t.Fatalf("got %#v, %v", m, err)
	}
}

// A key exchange message before any suite was negotiated is the peer's
// error in message order, not a local failure.
func TestKeyExchangeMessageBeforeSuiteIsUnexpected(t *testing.T) {
	for _, typ := range []HandshakeType{TypeClientKeyExchange, TypeServerKeyExchange} {
		_, err := ParseHandshake(frame(typ, u16Vec(1)), Context{})
		wantAlert(t, err, AlertUnexpectedMessage)
	}
}

func TestCertificateRejectsEmptyCertificate(t *testing.T) {
	body := build(func(b *cryptobyte.Builder) {
		b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) {
			b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte{0x30}) })
			b.AddUint24LengthPrefixed(func(*cryptobyte.Builder) {})
		})
	})
	_, err := ParseCertificate(body)
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateAcceptsEmptyList(t *testing.T) {
	m, err := ParseCertificate([]byte{0, 0, 0})
	if err != nil || m.Certificates != nil {
		t.Fatalf("got %#v, %v", m, err)
	}
}

func TestCertificateRejectsListLengthMismatch(t *testing.T) {
	for _, body := range [][]byte{
		{0, 0, 5, 0, 0, 1, 0x30},    // list longer than the body
		{0, 0, 4, 0, 0, 2, 0x30, 0}, // certificate longer than the list
	} {
		_, err := ParseCertificate(body)
		wantAlert(t, err, AlertDecodeError)
	}
}

func certRequestBody(types, schemes []byte, withSchemes bool, dns ...[]byte) []byte {
	return build(func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(types) })
		if withSchemes {
			b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(schemes) })
		}
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, dn := range dns {
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(dn) })
			}
		})
	})
}

func TestCertificateRequestRejectsEmptyCertificateTypes(t *testing.T) {
	_, err := ParseCertificateRequest(certRequestBody(nil, []byte{4, 3}, true), Context{})
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateRequestRejectsEmptySignatureAlgorithms(t *testing.T) {
	_, err := ParseCertificateRequest(certRequestBody([]byte{1}, nil, true), Context{})
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateRequestRejectsOddSignatureAlgorithms(t *testing.T) {
	_, err := ParseCertificateRequest(certRequestBody([]byte{1}, []byte{4, 3, 8}, true), Context{})
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateRequestRejectsEmptyDistinguishedName(t *testing.T) {
	_, err := ParseCertificateRequest(certRequestBody([]byte{1}, []byte{4, 3}, true, []byte{0x30}, nil), Context{})
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateRequestTLS11HasNoSignatureAlgorithms(t *testing.T) {
	tls11 := Context{Version: suites.VersionTLS11}
	m, err := ParseCertificateRequest(certRequestBody([]byte{1, 64}, nil, false, []byte{0x30, 0}), tls11)
	if err != nil || m.HasSignatureSchemes || m.SignatureSchemes != nil || len(m.CertificateAuthorities) != 1 {
		t.Fatalf("got %#v, %v", m, err)
	}
	// A TLS 1.2 body under TLS 1.1 leaves trailing bytes.
	_, err = ParseCertificateRequest(certRequestBody([]byte{1}, []byte{4, 3}, true), tls11)
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateVerifyTLS10HasNoScheme(t *testing.T) {
	body := u16Vec(1, 2, 3)
	m, err := ParseCertificateVerify(body, Context{Version: suites.VersionTLS10})
	if err != nil || m.Signature.HasScheme || !bytes.Equal(m.Signature.Signature, []byte{1, 2, 3}) {
		t.Fatalf("got %#v, %v", m, err)
	}
	// The same bytes under TLS 1.2: scheme 0x0003, then a truncated vector.
	_, err = ParseCertificateVerify(body, Context{Version: suites.VersionTLS12})
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateVerifyRejectsTrailingBytes(t *testing.T) {
	_, err := ParseCertificateVerify(append([]byte{8, 4}, append(u16Vec(1), 0)...), Context{})
	wantAlert(t, err, AlertDecodeError)
}

func TestHelloRequestRejectsNonEmptyBody(t *testing.T) {
	_, err := ParseHandshake(frame(TypeHelloRequest, []byte{0}), Context{})
	wantAlert(t, err, AlertDecodeError)
}

func TestServerHelloDoneRejectsNonEmptyBody(t *testing.T) {
	_, err := ParseHandshake(frame(TypeServerHelloDone, []byte{0}), Context{})
	wantAlert(t, err, AlertDecodeError)
}

func TestFinishedKeepsAnyLength(t *testing.T) {
	// The driver compares verify_data and sends decrypt_error; wire does
	// not second-guess the length.
	for _, n := range []int{0, 1, 12, 36} {
		m, err := ParseFinished(make([]byte, n))
		if err != nil || len(m.VerifyData) != n {
			t.Fatalf("%d bytes: got %#v, %v", n, m, err)
		}
	}
}

func TestNewSessionTicketAcceptsEmptyTicket(t *testing.T) {
	m, err := ParseNewSessionTicket([]byte{0, 0, 1, 0, 0, 0})
	if err != nil || m.LifetimeHint != 256 || m.Ticket != nil {
		t.Fatalf("got %#v, %v", m, err)
	}
}

func TestNewSessionTicketRejectsTicketLengthMismatch(t *testing.T) {
	_, err := ParseNewSessionTicket([]byte{0, 0, 0, 0, 0, 2, 1})
	wantAlert(t, err, AlertDecodeError)
}

func TestCertificateStatusRejectsEmptyResponse(t *testing.T) {
	_, err := ParseCertificateStatus([]byte{1, 0, 0, 0})
	wantAlert(t, err, AlertDecodeError)
}

func TestAlertRejectsThreeBytes(t *testing.T) {
	_, err := ParseAlert([]byte{2, 40, 0})
	wantAlert(t, err, AlertDecodeError)
}

func TestAlertRejectsOneByte(t *testing.T) {
	_, err := ParseAlert([]byte{2})
	wantAlert(t, err, AlertDecodeError)
}

func TestAlertRoundTrip(t *testing.T) {
	a := Alert{Level: AlertLevelFatal, Description: AlertDecodeError}
	got, err := ParseAlert(a.Marshal())
	if err != nil || got != a {
		t.Fatalf("got %v, %v", got, err)
	}
}

// RFC 8446 §5: any change_cipher_spec value other than 0x01 is
// unexpected_message; OpenSSL 3 sends the same for TLS 1.2.
func TestChangeCipherSpecRejectsWrongByte(t *testing.T) {
	wantAlert(t, ParseChangeCipherSpec([]byte{2}), AlertUnexpectedMessage)
}

func TestChangeCipherSpecRejectsTwoBytes(t *testing.T) {
	wantAlert(t, ParseChangeCipherSpec([]byte{1, 1}), AlertUnexpectedMessage)
	if err := ParseChangeCipherSpec(ChangeCipherSpec); err != nil {
		t.Fatal(err)
	}
}

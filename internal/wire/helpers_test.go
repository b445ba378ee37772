package wire

import (
	"errors"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// wantAlert fails the test unless err is an *Error carrying alert.
func wantAlert(t *testing.T, err error, alert AlertDescription) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("got error %v (%T), want *Error with %v", err, err, alert)
	}
	if e.Alert != alert {
		t.Fatalf("got alert %v (%q), want %v", e.Alert, e.Message, alert)
	}
}

// frame wraps a body in a handshake header.
func frame(t HandshakeType, body []byte) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint8(uint8(t))
	b.AddUint24LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(body) })
	return b.BytesOrPanic()
}

// mustMarshal marshals m or fails the test.
func mustMarshal(t testing.TB, m Message) []byte {
	t.Helper()
	raw, err := m.Marshal()
	if err != nil {
		t.Fatalf("marshal %T: %v", m, err)
	}
	return raw
}

// helloWithExt returns a ClientHello or ServerHello carrying one extension
// with a raw body, to feed each extension parser malformed input. It goes
// through UnknownExt, which marshals any code point with any body.
func helloWithExt(t *testing.T, msg HandshakeType, code ExtensionType, body []byte) []byte {
	t.Helper()
	exts := []Extension{&UnknownExt{Code: code, Data: body}}
	if msg == TypeServerHello {
		return mustMarshal(t, &ServerHello{Version: 0x0303, SessionID: []byte{1}, CipherSuite: 0xc02f, Extensions: exts})
	}
	return mustMarshal(t, validClientHello(exts))
}

// carrier returns a minimal valid message that carries exts in the extension
// context msg (TypeCertificate: in the one CertificateEntry of a
// Certificate13; TypeHelloRetryRequest: an HRR), and the context it parses
// under. A CertificateRequest13 gets the signature_algorithms it must have
// when exts lacks one.
func carrier(msg HandshakeType, exts []Extension) (Message, Context) {
	tls13 := Context{Version: suites.VersionTLS13}
	switch msg {
	case TypeClientHello:
		return validClientHello(exts), Context{}
	case TypeServerHello:
		return &ServerHello{Version: 0x0303, SessionID: []byte{1}, CipherSuite: 0xc02f, Extensions: exts}, Context{}
	case TypeHelloRetryRequest:
		return &ServerHello{Version: 0x0303, Random: HelloRetryRequestRandom, CipherSuite: 0x1301, Extensions: exts}, tls13
	case TypeEncryptedExtensions:
		return &EncryptedExtensions{Extensions: exts}, tls13
	case TypeCertificate:
		return &Certificate13{Entries: []CertificateEntry{{Data: []byte{0x30}, Extensions: exts}}}, tls13
	case TypeCertificateRequest:
		if _, ok := LookupExtension(exts, ExtSignatureAlgorithms); !ok {
			exts = append([]Extension{&SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{0x0804}}}, exts...)
		}
		return &CertificateRequest13{Extensions: exts}, tls13
	case TypeNewSessionTicket:
		return &NewSessionTicket13{Ticket: []byte{1}, Extensions: exts}, tls13
	}
	panic("no carrier for " + msg.String())
}

// msgWithExt returns a marshalled carrier (see carrier) holding one extension
// with a raw body, and the context to parse it under.
func msgWithExt(t *testing.T, msg HandshakeType, code ExtensionType, body []byte) ([]byte, Context) {
	t.Helper()
	m, ctx := carrier(msg, []Extension{&UnknownExt{Code: code, Data: body}})
	return mustMarshal(t, m), ctx
}

// extensionsOf returns the extension list of a carrier message.
func extensionsOf(m Message) []Extension {
	switch m := m.(type) {
	case *ClientHello:
		return m.Extensions
	case *ServerHello:
		return m.Extensions
	case *EncryptedExtensions:
		return m.Extensions
	case *Certificate13:
		if len(m.Entries) > 0 {
			return m.Entries[0].Extensions
		}
	case *CertificateRequest13:
		return m.Extensions
	case *NewSessionTicket13:
		return m.Extensions
	}
	return nil
}

// validClientHello is a minimal well-formed ClientHello.
func validClientHello(exts []Extension) *ClientHello {
	return &ClientHello{
		Version:            0x0303,
		CipherSuites:       []suites.ID{0xc02f, 0x00ff},
		CompressionMethods: []uint8{0},
		Extensions:         exts,
	}
}

// rawClientHello builds a ClientHello body from raw vector contents, so that
// tests can produce shapes Marshal refuses. exts nil means no extensions
// block; otherwise it writes the block's content.
func rawClientHello(sessionID, cipherSuites, compression []byte, exts func(b *cryptobyte.Builder)) []byte {
	b := cryptobyte.NewBuilder(nil)
	b.AddUint16(0x0303)
	b.AddBytes(make([]byte, 32))
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(sessionID) })
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(cipherSuites) })
	b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(compression) })
	if exts != nil {
		b.AddUint16LengthPrefixed(exts)
	}
	return b.BytesOrPanic()
}

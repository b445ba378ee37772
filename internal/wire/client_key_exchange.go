package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// ClientKeyExchange carries the client's share of the premaster secret
// (RFC 5246 §7.4.7, RFC 8422 §5.7, RFC 4279 and RFC 5489 for PSK). Its shape
// depends on the negotiated key exchange, which the parser takes from the
// Context and records in KeyExchange.
type ClientKeyExchange struct {
	KeyExchange suites.KeyExchange
	// PSKIdentity is set for the PSK key exchanges; nil when empty.
	PSKIdentity []byte
	// Data is the key exchange value without its length prefix:
	//   - RSA, RSA_PSK: EncryptedPreMasterSecret, uint16 length (TLS 1.0+);
	//   - DHE, DH_anon, DHE_PSK, static DH: dh_Yc, uint16 length;
	//   - ECDHE, ECDH_anon, ECDHE_PSK, static ECDH: ecdh_Yc, uint8 length;
	//   - PSK: absent (nil).
	// For static DH/ECDH, nil means the implicit form: the body is empty
	// because the client certificate holds the key (RFC 5246 §7.4.7.2).
	Data []byte
	// SSL30RSA marks SSL 3.0's RSA form: the encrypted premaster fills
	// the body with no length prefix (RFC 6101 §5.6.7.1; TLS 1.0 added the
	// prefix, RFC 2246 §7.4.7.1). The parser sets it when the Context says
	// SSL 3.0; Marshal then writes Data bare.
	SSL30RSA bool
}

// dataPrefix is the length prefix of ClientKeyExchange.Data.
type dataPrefix uint8

const (
	noData dataPrefix = iota
	uint8Data
	uint16Data
)

// clientKexShape is what a ClientKeyExchange holds under one key exchange.
type clientKexShape struct {
	psk      bool
	data     dataPrefix
	implicit bool // an empty body stands for a key in the certificate
}

// clientKexShapes lists the key exchanges whose ClientKeyExchange clasp can
// read.
var clientKexShapes = map[suites.KeyExchange]clientKexShape{
	suites.KexRSA:       {data: uint16Data},
	suites.KexRSAExport: {data: uint16Data},
	suites.KexDHE:       {data: uint16Data},
	suites.KexDHAnon:    {data: uint16Data},
	suites.KexDH:        {data: uint16Data, implicit: true},
	suites.KexECDHE:     {data: uint8Data},
	suites.KexECDHAnon:  {data: uint8Data},
	suites.KexECDH:      {data: uint8Data, implicit: true},
	suites.KexPSK:       {psk: true},
	suites.KexRSAPSK:    {psk: true, data: uint16Data},
	suites.KexDHEPSK:    {psk: true, data: uint16Data},
	suites.KexECDHEPSK:  {psk: true, data: uint8Data},
}

// Type returns TypeClientKeyExchange.
func (*ClientKeyExchange) Type() HandshakeType { return TypeClientKeyExchange }

// Marshal returns the complete handshake message.
func (m *ClientKeyExchange) Marshal() ([]byte, error) {
	return marshalHandshake(TypeClientKeyExchange, func(b *builder) {
		shape, ok := clientKexShapes[m.KeyExchange]
		if !ok || (!shape.psk && len(m.PSKIdentity) != 0) || (shape.data == noData && len(m.Data) != 0) {
			b.SetError(errMarshal("ClientKeyExchange fields do not match key exchange %d", m.KeyExchange))
			return
		}
		if shape.psk {
			b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(m.PSKIdentity) })
		}
		if shape.data == noData || (shape.implicit && len(m.Data) == 0) {
			return
		}
		if len(m.Data) == 0 {
			b.SetError(errMarshal("ClientKeyExchange with an empty key exchange value"))
			return
		}
		if m.SSL30RSA && m.KeyExchange == suites.KexRSA {
			b.AddBytes(m.Data)
			return
		}
		add := b.AddUint16LengthPrefixed
		if shape.data == uint8Data {
			add = b.AddUint8LengthPrefixed
		}
		add(func(b *builder) { b.AddBytes(m.Data) })
	})
}

// ParseClientKeyExchange parses a ClientKeyExchange body under the key
// exchange in ctx. Every value is a non-empty vector (dh_Yc<1..2^16-1>,
// point<1..2^8-1>; an empty RSA ciphertext is also refused since it cannot
// decrypt to anything); a violation, truncation or trailing bytes are
// decode_error. A key exchange clasp cannot read is internal_error.
//
// In SSL 3.0 the RSA form has no length prefix (RFC 6101 §5.6.7.1): the
// whole body is the ciphertext.
func ParseClientKeyExchange(body []byte, ctx Context) (*ClientKeyExchange, error) {
	shape, ok := clientKexShapes[ctx.KeyExchange]
	if !ok {
		return nil, Errorf(AlertInternalError, "cannot parse ClientKeyExchange for key exchange %d", ctx.KeyExchange)
	}
	if ctx.Version == suites.VersionSSL30 && ctx.KeyExchange == suites.KexRSA {
		if len(body) == 0 {
			return nil, decodeError("ClientKeyExchange")
		}
		return &ClientKeyExchange{KeyExchange: suites.KexRSA, Data: cloneBytes(body), SSL30RSA: true}, nil
	}
	s := cryptobyte.String(body)
	m := &ClientKeyExchange{KeyExchange: ctx.KeyExchange}
	if shape.implicit && s.Empty() {
		return m, nil
	}
	if shape.psk {
		var id cryptobyte.String
		// opaque psk_identity<0..2^16-1> (RFC 4279 §2).
		if !s.ReadUint16LengthPrefixed(&id) {
			return nil, decodeError("ClientKeyExchange psk_identity")
		}
		m.PSKIdentity = cloneBytes(id)
	}
	var data cryptobyte.String
	switch shape.data {
	case uint8Data:
		ok = s.ReadUint8LengthPrefixed(&data) && !data.Empty()
	case uint16Data:
		ok = s.ReadUint16LengthPrefixed(&data) && !data.Empty()
	}
	if !ok || !s.Empty() {
		return nil, decodeError("ClientKeyExchange")
	}
	m.Data = cloneBytes(data)
	return m, nil
}

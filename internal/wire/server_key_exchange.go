package wire

import (
	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// ServerKeyExchange carries the server's ephemeral key exchange parameters
// (RFC 5246 §7.4.3, RFC 8422 §5.4 for ECDHE, RFC 4279 and RFC 5489 for the
// PSK suites). Its shape depends on the negotiated key exchange, which the
// parser takes from the Context and records in KeyExchange.
type ServerKeyExchange struct {
	KeyExchange suites.KeyExchange
	// PSKIdentityHint is set for the PSK key exchanges (KexPSK, KexRSAPSK,
	// KexDHEPSK, KexECDHEPSK); nil when empty.
	PSKIdentityHint []byte
	// ECDHE is set for KexECDHE, KexECDHAnon and KexECDHEPSK.
	ECDHE *ECDHEParams
	// DHE is set for KexDHE, KexDHAnon and KexDHEPSK.
	DHE *DHEParams
	// Signature is set for the signed key exchanges (KexDHE, KexECDHE) and
	// nil for anonymous and PSK ones.
	Signature *DigitallySigned
}

// ECDHEParams is ServerECDHParams (RFC 8422 §5.4).
type ECDHEParams struct {
	// CurveType is 3 (named_curve), the only type RFC 8422 keeps: parsing
	// rejects the others, so a parsed value always holds 3.
	CurveType uint8
	Group     suites.Group
	// Public is the encoded point, ECPoint point<1..2^8-1>.
	Public []byte
}

// DHEParams is ServerDHParams (RFC 5246 §7.4.3): each field is an unsigned
// big-endian integer in a vector<1..2^16-1>.
type DHEParams struct {
	P, G, Public []byte
}

// ECCurveType values (RFC 8422 §5.4).
const (
	CurveTypeExplicitPrime = 1
	CurveTypeExplicitChar2 = 2
	CurveTypeNamedCurve    = 3
)

// serverKexShape is what a ServerKeyExchange holds under one key exchange.
type serverKexShape struct {
	psk, ec, dh, signed bool
}

// serverKexShapes lists the key exchanges whose ServerKeyExchange clasp can
// read.
var serverKexShapes = map[suites.KeyExchange]serverKexShape{
	suites.KexECDHE:    {ec: true, signed: true},
	suites.KexECDHAnon: {ec: true},
	suites.KexDHE:      {dh: true, signed: true},
	suites.KexDHAnon:   {dh: true},
	suites.KexPSK:      {psk: true},
	suites.KexRSAPSK:   {psk: true},
	suites.KexDHEPSK:   {psk: true, dh: true},
	suites.KexECDHEPSK: {psk: true, ec: true},
}

// Type returns TypeServerKeyExchange.
func (*ServerKeyExchange) Type() HandshakeType { return TypeServerKeyExchange }

// Params returns the encoded ServerECDHParams or ServerDHParams: the part of
// the signed data (RFC 5246 §7.4.3: client_random + server_random + params)
// that this message carries. The encoding has a single form, so the bytes are
// the ones that were on the wire. It returns nil when the struct holds no
// (valid) parameters.
func (m *ServerKeyExchange) Params() []byte {
	var b builder
	m.addParams(&b)
	out, err := b.Bytes()
	if err != nil || len(out) == 0 {
		return nil
	}
	return out
}

// addParams appends the ECDH or DH parameters, whichever is set.
func (m *ServerKeyExchange) addParams(b *builder) {
	switch {
	case m.ECDHE != nil && m.DHE == nil:
		p := m.ECDHE
		if p.CurveType != CurveTypeNamedCurve || len(p.Public) == 0 {
			b.SetError(errMarshal("ECDHE params must be a named curve with a public point"))
			return
		}
		b.AddUint8(p.CurveType)
		b.AddUint16(uint16(p.Group))
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(p.Public) })
	case m.DHE != nil && m.ECDHE == nil:
		p := m.DHE
		if len(p.P) == 0 || len(p.G) == 0 || len(p.Public) == 0 {
			b.SetError(errMarshal("DHE params with an empty field"))
			return
		}
		for _, v := range [][]byte{p.P, p.G, p.Public} {
			b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(v) })
		}
	case m.DHE != nil && m.ECDHE != nil:
		b.SetError(errMarshal("both DHE and ECDHE params set"))
	}
}

// Marshal returns the complete handshake message.
func (m *ServerKeyExchange) Marshal() ([]byte, error) {
	return marshalHandshake(TypeServerKeyExchange, func(b *builder) {
		shape, ok := serverKexShapes[m.KeyExchange]
		if !ok || shape.ec != (m.ECDHE != nil) || shape.dh != (m.DHE != nil) ||
			shape.signed != (m.Signature != nil) || (!shape.psk && len(m.PSKIdentityHint) != 0) {
			b.SetError(errMarshal("ServerKeyExchange fields do not match key exchange %d", m.KeyExchange))
			return
		}
		if shape.psk {
			b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(m.PSKIdentityHint) })
		}
		m.addParams(b)
		if m.Signature != nil {
			m.Signature.add(b)
		}
	})
}

// ParseServerKeyExchange parses a ServerKeyExchange body under the key
// exchange in ctx.
//
// A key exchange that never sends this message (RSA, static DH/ECDH) is
// unexpected_message (RFC 5246 §7.4.3: "It is not legal to send the server
// key exchange message for the following key exchange methods"). One clasp
// cannot read (export RSA, SRP, ...) is internal_error: clasp never
// negotiates those. An explicit curve is handshake_failure (RFC 8422 §5.4
// deprecates them and clasp supports none), any other non-named curve type
// is illegal_parameter; truncation and trailing bytes are decode_error.
func ParseServerKeyExchange(body []byte, ctx Context) (*ServerKeyExchange, error) {
	shape, ok := serverKexShapes[ctx.KeyExchange]
	if !ok {
		switch ctx.KeyExchange {
		case suites.KexRSA, suites.KexDH, suites.KexECDH:
			return nil, Errorf(AlertUnexpectedMessage, "ServerKeyExchange sent for a key exchange (%d) that has none", ctx.KeyExchange)
		}
		return nil, Errorf(AlertInternalError, "cannot parse ServerKeyExchange for key exchange %d", ctx.KeyExchange)
	}
	s := cryptobyte.String(body)
	m := &ServerKeyExchange{KeyExchange: ctx.KeyExchange}
	if shape.psk {
		var hint cryptobyte.String
		// opaque psk_identity_hint<0..2^16-1> (RFC 4279 §2).
		if !s.ReadUint16LengthPrefixed(&hint) {
			return nil, decodeError("ServerKeyExchange psk_identity_hint")
		}
		m.PSKIdentityHint = cloneBytes(hint)
	}
	switch {
	case shape.ec:
		p, err := readECDHEParams(&s)
		if err != nil {
			return nil, err
		}
		m.ECDHE = p
	case shape.dh:
		p := &DHEParams{}
		var pp, g, y cryptobyte.String
		if !s.ReadUint16LengthPrefixed(&pp) || pp.Empty() ||
			!s.ReadUint16LengthPrefixed(&g) || g.Empty() ||
			!s.ReadUint16LengthPrefixed(&y) || y.Empty() {
			return nil, decodeError("ServerDHParams")
		}
		p.P, p.G, p.Public = cloneBytes(pp), cloneBytes(g), cloneBytes(y)
		m.DHE = p
	}
	if shape.signed {
		sig, ok := readDigitallySigned(&s, ctx.hasSignatureAlgorithms())
		if !ok {
			return nil, decodeError("ServerKeyExchange signature")
		}
		m.Signature = &sig
	}
	if !s.Empty() {
		return nil, decodeError("ServerKeyExchange (trailing bytes)")
	}
	return m, nil
}

// readECDHEParams reads ServerECDHParams.
func readECDHEParams(s *cryptobyte.String) (*ECDHEParams, error) {
	p := &ECDHEParams{}
	if !s.ReadUint8(&p.CurveType) {
		return nil, decodeError("ServerECDHParams")
	}
	switch p.CurveType {
	case CurveTypeNamedCurve:
	case CurveTypeExplicitPrime, CurveTypeExplicitChar2:
		return nil, Errorf(AlertHandshakeFailure, "server sent explicit curve parameters (curve type %d); only named curves are supported", p.CurveType)
	default:
		return nil, Errorf(AlertIllegalParameter, "unknown ECCurveType %d", p.CurveType)
	}
	var group uint16
	var pub cryptobyte.String
	if !s.ReadUint16(&group) || !s.ReadUint8LengthPrefixed(&pub) || pub.Empty() {
		return nil, decodeError("ServerECDHParams")
	}
	p.Group = suites.Group(group)
	p.Public = cloneBytes(pub)
	return p, nil
}

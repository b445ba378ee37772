package wire

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
)

// gen produces random valid values in the package's normal form (empty byte
// vectors are nil), so that parse(marshal(x)) must DeepEqual x.
type gen struct{ r *rand.Rand }

func newGen(seed uint64) *gen { return &gen{rand.New(rand.NewPCG(seed, 0x5eed))} }

func (g *gen) intn(n int) int { return g.r.IntN(n) }
func (g *gen) coin() bool     { return g.r.IntN(2) == 0 }

// bytes returns min..max random bytes; nil when the length drawn is 0.
func (g *gen) bytes(min, max int) []byte {
	n := min + g.r.IntN(max-min+1)
	if n == 0 {
		return nil
	}
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(g.r.Uint32())
	}
	return b
}

// size draws a length that is usually small but sometimes reaches max, so
// that length prefixes near their bounds are exercised.
func (g *gen) size(max int) int {
	switch g.r.IntN(10) {
	case 0:
		return max
	case 1:
		return g.r.IntN(max + 1)
	}
	return g.r.IntN(min(max, 8) + 1)
}

func (g *gen) u16s(min int) []uint16 {
	n := min + g.size(20)
	out := make([]uint16, n)
	for i := range out {
		out[i] = uint16(g.r.Uint32())
	}
	return out
}

func (g *gen) random() (r [32]byte) {
	copy(r[:], g.bytes(32, 32))
	return r
}

// extGens makes a random value of each typed extension in the shape of msg.
// TestEveryTypedExtensionHasAGenerator keeps it in step with extensionTable.
var extGens = map[ExtensionType]func(g *gen, msg HandshakeType) Extension{
	ExtServerName: func(g *gen, msg HandshakeType) Extension {
		e := &ServerNameExt{}
		if msg != TypeClientHello {
			return e
		}
		if g.intn(4) != 0 {
			e.HostName = string(g.bytes(1, 1+g.size(60)))
		}
		used := map[uint8]bool{nameTypeHostName: true}
		for range g.intn(3) {
			t := uint8(g.r.Uint32())
			if used[t] {
				continue
			}
			used[t] = true
			e.Other = append(e.Other, ServerNameEntry{NameType: t, Name: g.bytes(1, 20)})
		}
		if e.HostName == "" && len(e.Other) == 0 {
			e.HostName = "example.com"
		}
		return e
	},
	ExtStatusRequest: func(g *gen, msg HandshakeType) Extension {
		if msg != TypeClientHello {
			return &StatusRequestExt{}
		}
		return &StatusRequestExt{StatusType: uint8(g.r.Uint32()), ResponderIDList: g.bytes(0, 30), RequestExtensions: g.bytes(0, 30)}
	},
	ExtSupportedGroups: func(g *gen, _ HandshakeType) Extension {
		e := &SupportedGroupsExt{}
		for _, v := range g.u16s(1) {
			e.Groups = append(e.Groups, suites.Group(v))
		}
		return e
	},
	ExtECPointFormats: func(g *gen, _ HandshakeType) Extension {
		return &ECPointFormatsExt{Formats: g.bytes(1, 1+g.size(254))}
	},
	ExtSignatureAlgorithms: func(g *gen, _ HandshakeType) Extension {
		e := &SignatureAlgorithmsExt{}
		for _, v := range g.u16s(1) {
			e.Schemes = append(e.Schemes, suites.SignatureScheme(v))
		}
		return e
	},
	ExtALPN: func(g *gen, msg HandshakeType) Extension {
		n := 1
		if msg == TypeClientHello {
			n += g.intn(5)
		}
		e := &ALPNExt{}
		for range n {
			e.Protocols = append(e.Protocols, string(g.bytes(1, 1+g.size(254))))
		}
		return e
	},
	ExtExtendedMasterSecret: func(*gen, HandshakeType) Extension { return &ExtendedMasterSecretExt{} },
	ExtSessionTicket: func(g *gen, _ HandshakeType) Extension {
		return &SessionTicketExt{Ticket: g.bytes(0, g.size(300))}
	},
	ExtRenegotiationInfo: func(g *gen, _ HandshakeType) Extension {
		return &RenegotiationInfoExt{Data: g.bytes(0, g.size(255))}
	},
}

// unknownExt draws an extension clasp keeps raw: a code point with no typed
// value (often a real IANA one, sometimes GREASE or random).
func (g *gen) unknownExt() *UnknownExt {
	for {
		var code ExtensionType
		switch g.intn(3) {
		case 0:
			code = ExtensionType(0x0a0a + 0x1010*g.intn(16)) // GREASE
		case 1:
			code = []ExtensionType{ExtKeyShare, ExtSupportedVersions, ExtPadding, ExtEncryptThenMAC,
				ExtSignedCertificateTimestamp, ExtPSKKeyExchangeModes, ExtRecordSizeLimit,
				ExtCompressCertificate, ExtEncryptedClientHello}[g.intn(9)]
		default:
			code = ExtensionType(g.r.Uint32())
		}
		if _, typed := extensionTable[code]; !typed {
			return &UnknownExt{Code: code, Data: g.bytes(0, g.size(100))}
		}
	}
}

// extensions draws a hello's extension list: nil (no block), empty, or a
// shuffled mix of typed and unknown extensions without duplicates.
func (g *gen) extensions(msg HandshakeType) []Extension {
	switch g.intn(8) {
	case 0:
		return nil
	case 1:
		return []Extension{}
	}
	exts := []Extension{}
	seen := map[ExtensionType]bool{}
	for code, mk := range extGens {
		if g.coin() {
			exts = append(exts, mk(g, msg))
			seen[code] = true
		}
	}
	for range g.intn(5) {
		u := g.unknownExt()
		if !seen[u.Code] {
			seen[u.Code] = true
			exts = append(exts, u)
		}
	}
	// Map iteration above is random; sort then shuffle with the seeded
	// source so that a seed always gives the same value.
	slices.SortFunc(exts, func(a, b Extension) int { return int(a.ExtType()) - int(b.ExtType()) })
	g.r.Shuffle(len(exts), func(i, j int) { exts[i], exts[j] = exts[j], exts[i] })
	return exts
}

func (g *gen) clientHello() *ClientHello {
	m := &ClientHello{
		Version:            suites.Version(g.r.Uint32()),
		Random:             g.random(),
		SessionID:          g.bytes(0, 32),
		CompressionMethods: g.bytes(1, 1+g.size(10)),
		Extensions:         g.extensions(TypeClientHello),
	}
	for _, v := range g.u16s(1) {
		m.CipherSuites = append(m.CipherSuites, suites.ID(v))
	}
	return m
}

func (g *gen) serverHello() *ServerHello {
	return &ServerHello{
		Version:           suites.Version(g.r.Uint32()),
		Random:            g.random(),
		SessionID:         g.bytes(0, 32),
		CipherSuite:       suites.ID(g.r.Uint32()),
		CompressionMethod: uint8(g.r.Uint32()),
		Extensions:        g.extensions(TypeServerHello),
	}
}

func (g *gen) certificate() *Certificate {
	m := &Certificate{}
	for range g.intn(4) {
		m.Certificates = append(m.Certificates, g.bytes(1, 1+g.size(600)))
	}
	return m
}

func (g *gen) signature(ctx Context) *DigitallySigned {
	d := &DigitallySigned{HasScheme: ctx.hasSignatureAlgorithms(), Signature: g.bytes(0, g.size(300))}
	if d.HasScheme {
		d.Scheme = suites.SignatureScheme(g.r.Uint32())
	}
	return d
}

func (g *gen) serverKeyExchange(ctx Context) *ServerKeyExchange {
	shape := serverKexShapes[ctx.KeyExchange]
	m := &ServerKeyExchange{KeyExchange: ctx.KeyExchange}
	if shape.psk {
		m.PSKIdentityHint = g.bytes(0, g.size(40))
	}
	if shape.ec {
		m.ECDHE = &ECDHEParams{CurveType: CurveTypeNamedCurve, Group: suites.Group(g.r.Uint32()), Public: g.bytes(1, 1+g.size(254))}
	}
	if shape.dh {
		m.DHE = &DHEParams{P: g.bytes(1, 1+g.size(300)), G: g.bytes(1, 3), Public: g.bytes(1, 1+g.size(300))}
	}
	if shape.signed {
		m.Signature = g.signature(ctx)
	}
	return m
}

func (g *gen) clientKeyExchange(ctx Context) *ClientKeyExchange {
	shape := clientKexShapes[ctx.KeyExchange]
	m := &ClientKeyExchange{KeyExchange: ctx.KeyExchange}
	if shape.psk {
		m.PSKIdentity = g.bytes(0, g.size(40))
	}
	switch shape.data {
	case uint8Data:
		m.Data = g.bytes(1, 1+g.size(254))
	case uint16Data:
		m.Data = g.bytes(1, 1+g.size(400))
	}
	if shape.implicit && g.intn(4) == 0 {
		m.Data = nil
	}
	return m
}

func (g *gen) certificateRequest(ctx Context) *CertificateRequest {
	m := &CertificateRequest{CertificateTypes: g.bytes(1, 1+g.size(10)), HasSignatureSchemes: ctx.hasSignatureAlgorithms()}
	if m.HasSignatureSchemes {
		for _, v := range g.u16s(1) {
			m.SignatureSchemes = append(m.SignatureSchemes, suites.SignatureScheme(v))
		}
	}
	for range g.intn(4) {
		m.CertificateAuthorities = append(m.CertificateAuthorities, g.bytes(1, 1+g.size(100)))
	}
	return m
}

// messageCase is one kind of message with the context it parses under.
type messageCase struct {
	name string
	ctx  Context
	gen  func(g *gen, ctx Context) Message
}

// messageCases lists every message type this package parses, once per
// context that changes its shape.
func messageCases() []messageCase {
	cs := []messageCase{
		{"HelloRequest", Context{}, func(*gen, Context) Message { return &HelloRequest{} }},
		{"ClientHello", Context{}, func(g *gen, _ Context) Message { return g.clientHello() }},
		{"ServerHello", Context{}, func(g *gen, _ Context) Message { return g.serverHello() }},
		{"ClientHello/TLS13", Context{Version: suites.VersionTLS13}, func(g *gen, _ Context) Message { return g.clientHello() }},
		{"ServerHello/TLS13", Context{Version: suites.VersionTLS13}, func(g *gen, _ Context) Message { return g.serverHello() }},
		{"Certificate", Context{}, func(g *gen, _ Context) Message { return g.certificate() }},
		{"ServerHelloDone", Context{}, func(*gen, Context) Message { return &ServerHelloDone{} }},
		{"Finished", Context{}, func(g *gen, _ Context) Message { return &Finished{VerifyData: g.bytes(0, 36)} }},
		{"NewSessionTicket", Context{}, func(g *gen, _ Context) Message {
			return &NewSessionTicket{LifetimeHint: g.r.Uint32(), Ticket: g.bytes(0, g.size(400))}
		}},
		{"CertificateStatus", Context{}, func(g *gen, _ Context) Message {
			return &CertificateStatus{StatusType: uint8(g.r.Uint32()), Response: g.bytes(1, 1+g.size(400))}
		}},
	}
	versions := []suites.Version{0, suites.VersionSSL30, suites.VersionTLS10, suites.VersionTLS11, suites.VersionTLS12}
	for _, v := range versions {
		ctx := Context{Version: v}
		cs = append(cs,
			messageCase{"CertificateRequest/" + versionName(v), ctx, func(g *gen, ctx Context) Message { return g.certificateRequest(ctx) }},
			messageCase{"CertificateVerify/" + versionName(v), ctx, func(g *gen, ctx Context) Message {
				return &CertificateVerify{Signature: *g.signature(ctx)}
			}},
		)
		for kex := range serverKexShapes {
			ctx := Context{Version: v, KeyExchange: kex}
			cs = append(cs, messageCase{"ServerKeyExchange/" + versionName(v) + "/" + kexName(kex), ctx,
				func(g *gen, ctx Context) Message { return g.serverKeyExchange(ctx) }})
		}
	}
	cs = append(cs, messageCase{"CertificateVerify/TLS13", Context{Version: suites.VersionTLS13},
		func(g *gen, ctx Context) Message { return &CertificateVerify{Signature: *g.signature(ctx)} }})
	for kex := range clientKexShapes {
		ctx := Context{Version: suites.VersionTLS12, KeyExchange: kex}
		cs = append(cs, messageCase{"ClientKeyExchange/" + kexName(kex), ctx,
			func(g *gen, ctx Context) Message { return g.clientKeyExchange(ctx) }})
	}
	slices.SortFunc(cs, func(a, b messageCase) int { return compareStrings(a.name, b.name) })
	return cs
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// versionName is a short label for test names.
func versionName(v suites.Version) string {
	if v == 0 {
		return "none"
	}
	return fmt.Sprintf("%04x", uint16(v))
}

// kexName is a short label for test names; the suites registry, not this
// package, owns the real names.
func kexName(k suites.KeyExchange) string { return fmt.Sprintf("kex%d", uint8(k)) }

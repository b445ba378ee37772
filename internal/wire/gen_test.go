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
		switch msg {
		case TypeServerHello, TypeCertificateRequest:
			return &StatusRequestExt{}
		case TypeCertificate:
			return &StatusRequestExt{StatusType: uint8(g.r.Uint32()), Response: g.bytes(1, 1+g.size(300))}
		}
		if g.r.Uint32()%2 == 0 {
			st := max(uint8(g.r.Uint32()), StatusTypeOCSP+1)
			return &StatusRequestExt{StatusType: st, OtherRequest: g.bytes(0, 30)}
		}
		return &StatusRequestExt{StatusType: StatusTypeOCSP, ResponderIDList: g.bytes(0, 30), RequestExtensions: g.bytes(0, 30)}
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
	ExtSignatureAlgorithmsCert: func(g *gen, _ HandshakeType) Extension {
		e := &SignatureAlgorithmsCertExt{}
		for _, v := range g.u16s(1) {
			e.Schemes = append(e.Schemes, suites.SignatureScheme(v))
		}
		return e
	},
	ExtSignedCertificateTimestamp: func(g *gen, msg HandshakeType) Extension {
		e := &SignedCertificateTimestampExt{}
		if sctListIn(msg) {
			for range 1 + g.intn(3) {
				e.SCTs = append(e.SCTs, g.bytes(1, 1+g.size(120)))
			}
		}
		return e
	},
	ExtPadding: func(g *gen, _ HandshakeType) Extension {
		return &PaddingExt{Length: g.size(512)}
	},
	ExtSupportedVersions: func(g *gen, msg HandshakeType) Extension {
		n := 1
		if msg == TypeClientHello {
			n += g.intn(6)
		}
		e := &SupportedVersionsExt{}
		for range n {
			e.Versions = append(e.Versions, suites.Version(g.r.Uint32()))
		}
		return e
	},
	ExtKeyShare: func(g *gen, msg HandshakeType) Extension {
		switch msg {
		case TypeHelloRetryRequest:
			return &KeyShareExt{SelectedGroup: suites.Group(g.r.Uint32())}
		case TypeServerHello:
			return &KeyShareExt{Entries: []KeyShareEntry{g.keyShareEntry(suites.Group(g.r.Uint32()))}}
		}
		e := &KeyShareExt{}
		used := map[suites.Group]bool{}
		for range g.intn(4) {
			group := suites.Group(g.r.Uint32())
			if used[group] {
				continue
			}
			used[group] = true
			e.Entries = append(e.Entries, g.keyShareEntry(group))
		}
		return e
	},
	ExtPSKKeyExchangeModes: func(g *gen, _ HandshakeType) Extension {
		return &PSKKeyExchangeModesExt{Modes: g.bytes(1, 1+g.size(10))}
	},
	ExtPreSharedKey: func(g *gen, msg HandshakeType) Extension {
		if msg != TypeClientHello {
			return &PreSharedKeyExt{SelectedIdentity: uint16(g.r.Uint32())}
		}
		e := &PreSharedKeyExt{}
		for range 1 + g.intn(3) {
			e.Identities = append(e.Identities, PSKIdentity{Identity: g.bytes(1, 1+g.size(200)), ObfuscatedTicketAge: g.r.Uint32()})
			e.Binders = append(e.Binders, g.bytes(32, 32+g.size(223)))
		}
		return e
	},
	ExtEarlyData: func(g *gen, msg HandshakeType) Extension {
		if msg == TypeNewSessionTicket {
			return &EarlyDataExt{MaxEarlyDataSize: g.r.Uint32()}
		}
		return &EarlyDataExt{}
	},
	ExtMaxFragmentLength: func(g *gen, _ HandshakeType) Extension {
		return &MaxFragmentLengthExt{Length: uint8(1 + g.intn(4))}
	},
	ExtRecordSizeLimit: func(g *gen, _ HandshakeType) Extension {
		return &RecordSizeLimitExt{Limit: uint16(MinRecordSizeLimit + g.intn(1<<16-MinRecordSizeLimit))}
	},
	ExtCookie: func(g *gen, _ HandshakeType) Extension {
		return &CookieExt{Cookie: g.bytes(1, 1+g.size(300))}
	},
	ExtCertificateAuthorities: func(g *gen, _ HandshakeType) Extension {
		e := &CertificateAuthoritiesExt{}
		for range 1 + g.intn(4) {
			e.Authorities = append(e.Authorities, g.bytes(1, 1+g.size(100)))
		}
		return e
	},
	ExtPostHandshakeAuth: func(*gen, HandshakeType) Extension { return &PostHandshakeAuthExt{} },
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
	ExtCompressCertificate: func(g *gen, _ HandshakeType) Extension {
		return &CompressCertificateExt{Algorithms: []uint16{uint16(1 + g.intn(3))}}
	},
	ExtClientCertificateType: func(g *gen, msg HandshakeType) Extension {
		if msg == TypeClientHello {
			return &ClientCertificateTypeExt{Types: []uint8{CertTypeRawPublicKey, CertTypeX509}}
		}
		return &ClientCertificateTypeExt{Types: []uint8{CertTypeRawPublicKey}}
	},
	ExtServerCertificateType: func(g *gen, msg HandshakeType) Extension {
		if msg == TypeClientHello {
			return &ServerCertificateTypeExt{Types: []uint8{CertTypeRawPublicKey}}
		}
		return &ServerCertificateTypeExt{Types: []uint8{CertTypeX509}}
	},
	ExtEncryptThenMAC: func(*gen, HandshakeType) Extension { return &EncryptThenMACExt{} },
	ExtSessionTicket: func(g *gen, _ HandshakeType) Extension {
		return &SessionTicketExt{Ticket: g.bytes(0, g.size(300))}
	},
	ExtRenegotiationInfo: func(g *gen, _ HandshakeType) Extension {
		return &RenegotiationInfoExt{Data: g.bytes(0, g.size(255))}
	},
	ExtEncryptedClientHello: func(g *gen, msg HandshakeType) Extension {
		switch msg {
		case TypeHelloRetryRequest:
			return &EncryptedClientHelloExt{Confirmation: g.bytes(8, 8)}
		case TypeEncryptedExtensions:
			return &EncryptedClientHelloExt{RetryConfigs: g.echConfigList()}
		}
		if g.coin() {
			return &EncryptedClientHelloExt{Type: ECHInner}
		}
		return &EncryptedClientHelloExt{Type: ECHOuter, CipherSuite: HPKESymmetricCipherSuite{KDF: uint16(g.intn(4)), AEAD: uint16(g.intn(4))},
			ConfigID: uint8(g.intn(256)), Enc: g.bytes(0, g.size(100)), Payload: g.bytes(1, 1+g.size(300))}
	},
	ExtECHOuterExtensions: func(g *gen, _ HandshakeType) Extension {
		e := &ECHOuterExtensionsExt{}
		for range 1 + g.intn(10) {
			e.Types = append(e.Types, ExtensionType(g.intn(60)))
		}
		return e
	},
}

// echConfigList draws a valid ECHConfigList of one to three configs.
func (g *gen) echConfigList() []byte {
	var configs [][]byte
	for range 1 + g.intn(3) {
		cfg := &ECHConfig{ConfigID: uint8(g.intn(256)), KEM: 0x20, PublicKey: g.bytes(1, 1+g.size(64)),
			CipherSuites: []HPKESymmetricCipherSuite{{1, 1}}, MaxNameLength: uint8(g.intn(256)), PublicName: "public.example"}
		raw, err := MarshalECHConfig(cfg)
		if err != nil {
			panic(err)
		}
		configs = append(configs, raw)
	}
	list, err := MarshalECHConfigList(configs)
	if err != nil {
		panic(err)
	}
	return list
}

func (g *gen) keyShareEntry(group suites.Group) KeyShareEntry {
	return KeyShareEntry{Group: group, KeyExchange: g.bytes(1, 1+g.size(300))}
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
			code = []ExtensionType{ExtMaxFragmentLength, ExtHeartbeat, ExtOIDFilters, ExtEncryptThenMAC,
				ExtDelegatedCredential, ExtQUICTransportParameters, ExtTicketRequest,
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
// shuffled mix of typed and unknown extensions without duplicates, each
// typed one in the shape of msg (TypeHelloRetryRequest for an HRR). A
// ClientHello's pre_shared_key comes last, as RFC 8446 §4.2.11 requires.
func (g *gen) extensions(msg HandshakeType) []Extension {
	switch g.intn(8) {
	case 0:
		return nil
	case 1:
		return []Extension{}
	}
	return g.extensionBlock(msg, true)
}

// extensionBlock draws a mandatory extension block (nil when empty, the
// normal form). When mixed is false it holds only typed extensions.
func (g *gen) extensionBlock(msg HandshakeType, mixed bool) []Extension {
	exts := []Extension{}
	seen := map[ExtensionType]bool{}
	for code, mk := range extGens {
		if !slices.Contains(extensionTable[code].in, msg) {
			continue
		}
		if g.coin() {
			exts = append(exts, mk(g, msg))
			seen[code] = true
		}
	}
	for range g.intn(5) {
		if !mixed {
			break
		}
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
	if i := slices.IndexFunc(exts, func(e Extension) bool { return e.ExtType() == ExtPreSharedKey }); i >= 0 && msg == TypeClientHello {
		psk := exts[i]
		exts = append(slices.Delete(exts, i, i+1), psk)
	}
	if len(exts) == 0 {
		return nil
	}
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

// helloRetryRequest draws a ServerHello with the HRR random, whose typed
// extensions take their HRR shapes (key_share a bare group, cookie allowed).
func (g *gen) helloRetryRequest() *ServerHello {
	return &ServerHello{
		Version:           suites.Version(g.r.Uint32()),
		Random:            HelloRetryRequestRandom,
		SessionID:         g.bytes(0, 32),
		CipherSuite:       suites.ID(g.r.Uint32()),
		CompressionMethod: uint8(g.r.Uint32()),
		Extensions:        g.extensions(TypeHelloRetryRequest),
	}
}

func (g *gen) encryptedExtensions() *EncryptedExtensions {
	return &EncryptedExtensions{Extensions: g.extensionBlock(TypeEncryptedExtensions, true)}
}

func (g *gen) certificate13() *Certificate13 {
	m := &Certificate13{Context: g.bytes(0, g.size(255))}
	for range g.intn(4) {
		m.Entries = append(m.Entries, CertificateEntry{
			Data:       g.bytes(1, 1+g.size(600)),
			Extensions: g.extensionBlock(TypeCertificate, g.coin()),
		})
	}
	return m
}

func (g *gen) certificateRequest13() *CertificateRequest13 {
	exts := g.extensionBlock(TypeCertificateRequest, true)
	if _, ok := LookupExtension(exts, ExtSignatureAlgorithms); !ok {
		sa := extGens[ExtSignatureAlgorithms](g, TypeCertificateRequest)
		at := g.intn(len(exts) + 1)
		exts = slices.Insert(exts, at, sa)
	}
	return &CertificateRequest13{Context: g.bytes(0, g.size(255)), Extensions: exts}
}

func (g *gen) newSessionTicket13() *NewSessionTicket13 {
	return &NewSessionTicket13{
		Lifetime:   g.r.Uint32(),
		AgeAdd:     g.r.Uint32(),
		Nonce:      g.bytes(0, g.size(255)),
		Ticket:     g.bytes(1, 1+g.size(400)),
		Extensions: g.extensionBlock(TypeNewSessionTicket, true),
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
	tls13 := Context{Version: suites.VersionTLS13}
	cs = append(cs,
		messageCase{"CertificateVerify/TLS13", tls13, func(g *gen, ctx Context) Message { return &CertificateVerify{Signature: *g.signature(ctx)} }},
		messageCase{"HelloRetryRequest", Context{}, func(g *gen, _ Context) Message { return g.helloRetryRequest() }},
		messageCase{"HelloRetryRequest/TLS13", tls13, func(g *gen, _ Context) Message { return g.helloRetryRequest() }},
		messageCase{"EncryptedExtensions", tls13, func(g *gen, _ Context) Message { return g.encryptedExtensions() }},
		messageCase{"Certificate13", tls13, func(g *gen, _ Context) Message { return g.certificate13() }},
		messageCase{"CertificateRequest13", tls13, func(g *gen, _ Context) Message { return g.certificateRequest13() }},
		messageCase{"NewSessionTicket13", tls13, func(g *gen, _ Context) Message { return g.newSessionTicket13() }},
		messageCase{"KeyUpdate", tls13, func(g *gen, _ Context) Message { return &KeyUpdate{RequestUpdate: g.coin()} }},
		messageCase{"EndOfEarlyData", tls13, func(*gen, Context) Message { return &EndOfEarlyData{} }},
		messageCase{"Finished/TLS13", tls13, func(g *gen, _ Context) Message { return &Finished{VerifyData: g.bytes(0, 64)} }},
	)
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

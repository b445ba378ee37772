package wire

import (
	"fmt"
	"slices"

	"golang.org/x/crypto/cryptobyte"
)

// ExtensionType is a TLS extension code point (IANA "TLS ExtensionType
// Values"). Unknown values are kept, so a trace shows what the peer sent.
type ExtensionType uint16

// Extension code points. Only some have typed values in this package; the
// rest are named so that traces and errors can print them.
const (
	ExtServerName                 ExtensionType = 0
	ExtMaxFragmentLength          ExtensionType = 1
	ExtClientCertificateURL       ExtensionType = 2
	ExtTrustedCAKeys              ExtensionType = 3
	ExtTruncatedHMAC              ExtensionType = 4
	ExtStatusRequest              ExtensionType = 5
	ExtUserMapping                ExtensionType = 6
	ExtClientAuthz                ExtensionType = 7
	ExtServerAuthz                ExtensionType = 8
	ExtCertType                   ExtensionType = 9
	ExtSupportedGroups            ExtensionType = 10
	ExtECPointFormats             ExtensionType = 11
	ExtSRP                        ExtensionType = 12
	ExtSignatureAlgorithms        ExtensionType = 13
	ExtUseSRTP                    ExtensionType = 14
	ExtHeartbeat                  ExtensionType = 15
	ExtALPN                       ExtensionType = 16
	ExtStatusRequestV2            ExtensionType = 17
	ExtSignedCertificateTimestamp ExtensionType = 18
	ExtClientCertificateType      ExtensionType = 19
	ExtServerCertificateType      ExtensionType = 20
	ExtPadding                    ExtensionType = 21
	ExtEncryptThenMAC             ExtensionType = 22
	ExtExtendedMasterSecret       ExtensionType = 23
	ExtTokenBinding               ExtensionType = 24
	ExtCachedInfo                 ExtensionType = 25
	ExtTLSLTS                     ExtensionType = 26
	ExtCompressCertificate        ExtensionType = 27
	ExtRecordSizeLimit            ExtensionType = 28
	ExtPwdProtect                 ExtensionType = 29
	ExtPwdClear                   ExtensionType = 30
	ExtPasswordSalt               ExtensionType = 31
	ExtTicketPinning              ExtensionType = 32
	ExtCertWithExternPSK          ExtensionType = 33
	ExtDelegatedCredential        ExtensionType = 34
	ExtSessionTicket              ExtensionType = 35
	ExtTLMSP                      ExtensionType = 36
	ExtTLMSPProxying              ExtensionType = 37
	ExtTLMSPDelegate              ExtensionType = 38
	ExtSupportedEKTCiphers        ExtensionType = 39
	ExtPreSharedKey               ExtensionType = 41
	ExtEarlyData                  ExtensionType = 42
	ExtSupportedVersions          ExtensionType = 43
	ExtCookie                     ExtensionType = 44
	ExtPSKKeyExchangeModes        ExtensionType = 45
	ExtCertificateAuthorities     ExtensionType = 47
	ExtOIDFilters                 ExtensionType = 48
	ExtPostHandshakeAuth          ExtensionType = 49
	ExtSignatureAlgorithmsCert    ExtensionType = 50
	ExtKeyShare                   ExtensionType = 51
	ExtTransparencyInfo           ExtensionType = 52
	ExtConnectionIDDeprecated     ExtensionType = 53
	ExtConnectionID               ExtensionType = 54
	ExtExternalIDHash             ExtensionType = 55
	ExtExternalSessionID          ExtensionType = 56
	ExtQUICTransportParameters    ExtensionType = 57
	ExtTicketRequest              ExtensionType = 58
	ExtDNSSECChain                ExtensionType = 59
	ExtECHOuterExtensions         ExtensionType = 0xfd00
	ExtEncryptedClientHello       ExtensionType = 0xfe0d
	ExtRenegotiationInfo          ExtensionType = 0xff01
)

var extensionNames = map[ExtensionType]string{
	ExtServerName:                 "server_name",
	ExtMaxFragmentLength:          "max_fragment_length",
	ExtClientCertificateURL:       "client_certificate_url",
	ExtTrustedCAKeys:              "trusted_ca_keys",
	ExtTruncatedHMAC:              "truncated_hmac",
	ExtStatusRequest:              "status_request",
	ExtUserMapping:                "user_mapping",
	ExtClientAuthz:                "client_authz",
	ExtServerAuthz:                "server_authz",
	ExtCertType:                   "cert_type",
	ExtSupportedGroups:            "supported_groups",
	ExtECPointFormats:             "ec_point_formats",
	ExtSRP:                        "srp",
	ExtSignatureAlgorithms:        "signature_algorithms",
	ExtUseSRTP:                    "use_srtp",
	ExtHeartbeat:                  "heartbeat",
	ExtALPN:                       "application_layer_protocol_negotiation",
	ExtStatusRequestV2:            "status_request_v2",
	ExtSignedCertificateTimestamp: "signed_certificate_timestamp",
	ExtClientCertificateType:      "client_certificate_type",
	ExtServerCertificateType:      "server_certificate_type",
	ExtPadding:                    "padding",
	ExtEncryptThenMAC:             "encrypt_then_mac",
	ExtExtendedMasterSecret:       "extended_master_secret",
	ExtTokenBinding:               "token_binding",
	ExtCachedInfo:                 "cached_info",
	ExtTLSLTS:                     "tls_lts",
	ExtCompressCertificate:        "compress_certificate",
	ExtRecordSizeLimit:            "record_size_limit",
	ExtPwdProtect:                 "pwd_protect",
	ExtPwdClear:                   "pwd_clear",
	ExtPasswordSalt:               "password_salt",
	ExtTicketPinning:              "ticket_pinning",
	ExtCertWithExternPSK:          "tls_cert_with_extern_psk",
	ExtDelegatedCredential:        "delegated_credential",
	ExtSessionTicket:              "session_ticket",
	ExtTLMSP:                      "TLMSP",
	ExtTLMSPProxying:              "TLMSP_proxying",
	ExtTLMSPDelegate:              "TLMSP_delegate",
	ExtSupportedEKTCiphers:        "supported_ekt_ciphers",
	ExtPreSharedKey:               "pre_shared_key",
	ExtEarlyData:                  "early_data",
	ExtSupportedVersions:          "supported_versions",
	ExtCookie:                     "cookie",
	ExtPSKKeyExchangeModes:        "psk_key_exchange_modes",
	ExtCertificateAuthorities:     "certificate_authorities",
	ExtOIDFilters:                 "oid_filters",
	ExtPostHandshakeAuth:          "post_handshake_auth",
	ExtSignatureAlgorithmsCert:    "signature_algorithms_cert",
	ExtKeyShare:                   "key_share",
	ExtTransparencyInfo:           "transparency_info",
	ExtConnectionIDDeprecated:     "connection_id_deprecated",
	ExtConnectionID:               "connection_id",
	ExtExternalIDHash:             "external_id_hash",
	ExtExternalSessionID:          "external_session_id",
	ExtQUICTransportParameters:    "quic_transport_parameters",
	ExtTicketRequest:              "ticket_request",
	ExtDNSSECChain:                "dnssec_chain",
	ExtECHOuterExtensions:         "ech_outer_extensions",
	ExtEncryptedClientHello:       "encrypted_client_hello",
	ExtRenegotiationInfo:          "renegotiation_info",
}

// String returns the IANA name of the extension, or "unknown(0xNNNN)".
func (t ExtensionType) String() string {
	if name, ok := extensionNames[t]; ok {
		return name
	}
	return fmt.Sprintf("unknown(0x%04x)", uint16(t))
}

// Extension is one extension of an extensions block (a hello's, or a TLS 1.3
// message's or CertificateEntry's), typed where this package knows its shape (*ServerNameExt, *ALPNExt, ...) and *UnknownExt otherwise.
// All implementations are pointers.
type Extension interface {
	// ExtType is the code point the extension is sent under.
	ExtType() ExtensionType
	// marshalBody appends the extension_data (without type and length) in
	// the shape used in message msg, or calls b.SetError when the value
	// cannot be sent in that message.
	marshalBody(b *builder, msg HandshakeType)
}

// extensionSpec describes one typed extension: which messages may carry it
// and how its body is read there.
type extensionSpec struct {
	in    []HandshakeType
	parse func(body cryptobyte.String, msg HandshakeType) (Extension, error)
}

// hellos is where every TLS 1.2 extension lives (RFC 5246 §7.4.1.4).
var hellos = []HandshakeType{TypeClientHello, TypeServerHello}

// extensionContexts lists every message that carries an extension block,
// that is every value the "in" lists below may hold.
var extensionContexts = []HandshakeType{
	TypeClientHello, TypeServerHello, TypeHelloRetryRequest, TypeEncryptedExtensions,
	TypeCertificate, TypeCertificateRequest, TypeNewSessionTicket,
}

// extensionTable is the one list of which message may carry which typed
// extension: the message columns of RFC 8446 §4.2's table (TypeCertificate
// standing for a TLS 1.3 CertificateEntry, TypeHelloRetryRequest for HRR),
// plus the TLS 1.2 ServerHello (RFC 5246 §7.4.1.4), which carries extensions
// that TLS 1.3 moved to EncryptedExtensions. A ServerHello parses the same
// under both versions (the client learns the version from it), so the table
// is the union of both; whether an extension is acceptable in the
// negotiated version is the driver's question. Each extension's shape lives
// in its own ext_*.go file.
var extensionTable = map[ExtensionType]extensionSpec{
	ExtServerName:                 {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions}, parse: parseServerName},
	ExtStatusRequest:              {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeCertificateRequest, TypeCertificate}, parse: parseStatusRequest},
	ExtSupportedGroups:            {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions}, parse: parseSupportedGroups},
	ExtECPointFormats:             {in: hellos, parse: parseECPointFormats},
	ExtSignatureAlgorithms:        {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeCertificateRequest}, parse: parseSignatureAlgorithms},
	ExtALPN:                       {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions}, parse: parseALPN},
	ExtSignedCertificateTimestamp: {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeCertificateRequest, TypeCertificate}, parse: parseSignedCertificateTimestamp},
	ExtPadding:                    {in: []HandshakeType{TypeClientHello}, parse: parsePadding},
	ExtExtendedMasterSecret:       {in: hellos, parse: parseExtendedMasterSecret},
	ExtEncryptThenMAC:             {in: hellos, parse: parseEncryptThenMAC},
	ExtClientCertificateType:      {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions}, parse: parseClientCertificateType},
	ExtServerCertificateType:      {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions}, parse: parseServerCertificateType},
	ExtCompressCertificate:        {in: []HandshakeType{TypeClientHello, TypeCertificateRequest}, parse: parseCompressCertificate},
	ExtMaxFragmentLength:          {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions}, parse: parseMaxFragmentLength},
	ExtRecordSizeLimit:            {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions}, parse: parseRecordSizeLimit},
	ExtSessionTicket:              {in: hellos, parse: parseSessionTicket},
	ExtPreSharedKey:               {in: []HandshakeType{TypeClientHello, TypeServerHello}, parse: parsePreSharedKey},
	ExtEarlyData:                  {in: []HandshakeType{TypeClientHello, TypeEncryptedExtensions, TypeNewSessionTicket}, parse: parseEarlyData},
	ExtSupportedVersions:          {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeHelloRetryRequest}, parse: parseSupportedVersions},
	ExtCookie:                     {in: []HandshakeType{TypeClientHello, TypeHelloRetryRequest}, parse: parseCookie},
	ExtPSKKeyExchangeModes:        {in: []HandshakeType{TypeClientHello}, parse: parsePSKKeyExchangeModes},
	ExtCertificateAuthorities:     {in: []HandshakeType{TypeClientHello, TypeCertificateRequest}, parse: parseCertificateAuthorities},
	ExtPostHandshakeAuth:          {in: []HandshakeType{TypeClientHello}, parse: parsePostHandshakeAuth},
	ExtSignatureAlgorithmsCert:    {in: []HandshakeType{TypeClientHello, TypeCertificateRequest}, parse: parseSignatureAlgorithmsCert},
	ExtKeyShare:                   {in: []HandshakeType{TypeClientHello, TypeServerHello, TypeHelloRetryRequest}, parse: parseKeyShare},
	ExtRenegotiationInfo:          {in: hellos, parse: parseRenegotiationInfo},
	ExtEncryptedClientHello:       {in: []HandshakeType{TypeClientHello, TypeHelloRetryRequest, TypeEncryptedExtensions}, parse: parseEncryptedClientHello},
	ExtECHOuterExtensions:         {in: []HandshakeType{TypeClientHello}, parse: parseECHOuterExtensions},
}

// MayCarry reports whether clasp knows extension t as one that message msg
// may carry; msg is TypeHelloRetryRequest for a HelloRetryRequest and
// TypeCertificate for a TLS 1.3 CertificateEntry. It is false for extensions
// clasp has no typed value for: a ServerHello driver should refuse those (it
// never offered them), a ClientHello driver should ignore them (RFC 5246
// §7.4.1.4, RFC 8446 §4.2).
//
// The parser itself does not enforce this table: a recognised extension in a
// message RFC 8446 §4.2 does not list it for ("MUST abort the handshake with
// an illegal_parameter alert") and a ServerHello extension the client did not
// offer (unsupported_extension) are the driver's to reject, because only the
// driver knows the version and what was offered. The parser keeps such an
// extension as *UnknownExt.
func MayCarry(msg HandshakeType, t ExtensionType) bool {
	spec, ok := extensionTable[t]
	return ok && slices.Contains(spec.in, msg)
}

// serverHello13 is RFC 8446 §4.2's ServerHello column: all a TLS 1.3
// ServerHello may carry. extensionTable's TypeServerHello lists add the TLS
// 1.2 ServerHello's extensions, which a TLS 1.3 ServerHello must not carry,
// and a TLS 1.2 ServerHello may carry none of these.
var serverHello13 = []ExtensionType{ExtPreSharedKey, ExtSupportedVersions, ExtKeyShare}

// Recognized reports whether clasp knows extension t, that is has a typed
// value for it in some message. RFC 8446 §4.2's illegal_parameter rule is
// about recognised extensions; unknown ones are ignored or, in a response,
// unsolicited.
func Recognized(t ExtensionType) bool {
	_, ok := extensionTable[t]
	return ok
}

// MayCarryVersion is MayCarry for a message of a known version: for TLS 1.3
// the columns of RFC 8446 §4.2's table (a ServerHello only key_share,
// pre_shared_key and supported_versions), for TLS 1.2 and below the hellos
// of RFC 5246 §7.4.1.4 without those three TLS 1.3 extensions in the
// ServerHello.
func MayCarryVersion(msg HandshakeType, t ExtensionType, tls13 bool) bool {
	if msg == TypeServerHello && slices.Contains(serverHello13, t) != tls13 {
		return false
	}
	return MayCarry(msg, t)
}

// FindExtension returns the first extension of Go type T (for example
// *ALPNExt) in exts.
func FindExtension[T Extension](exts []Extension) (T, bool) {
	for _, e := range exts {
		if v, ok := e.(T); ok {
			return v, true
		}
	}
	var zero T
	return zero, false
}

// LookupExtension returns the extension sent under code point t, typed or
// not. It is how a caller finds an extension this package keeps as
// *UnknownExt.
func LookupExtension(exts []Extension, t ExtensionType) (Extension, bool) {
	for _, e := range exts {
		if e != nil && e.ExtType() == t {
			return e, true
		}
	}
	return nil, false
}

// ExtensionBody returns e's extension_data as it is sent in message msg,
// so that a caller can compare two extensions byte for byte (a second
// ClientHello's against the first's, RFC 8446 §4.1.2).
func ExtensionBody(e Extension, msg HandshakeType) ([]byte, error) {
	if e == nil {
		return nil, errMarshal("nil extension")
	}
	var b builder
	e.marshalBody(&b, msg)
	return b.Bytes()
}

// parseExtensions reads the optional extensions block that ends a hello
// (RFC 5246 §7.4.1.2: its presence is detected by bytes following the
// compression methods). It returns nil when the block is absent and a
// non-nil, possibly empty, slice when it is present, so that re-marshalling
// gives back the same bytes. The caller checks that nothing follows.
func parseExtensions(s *cryptobyte.String, msg HandshakeType) ([]Extension, error) {
	if s.Empty() {
		return nil, nil
	}
	exts, err := readExtensionBlock(s, msg)
	if err != nil {
		return nil, err
	}
	if exts == nil {
		exts = []Extension{}
	}
	return exts, nil
}

// readExtensionBlock reads an Extension extensions<0..2^16-1> vector, the
// mandatory block of every TLS 1.3 message that has one (RFC 8446 §4.2). An
// empty block is nil. msg selects each extension's shape; it is
// TypeHelloRetryRequest for a HelloRetryRequest.
func readExtensionBlock(s *cryptobyte.String, msg HandshakeType) ([]Extension, error) {
	var block cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&block) {
		return nil, decodeError(msg.String() + " extensions")
	}
	var exts []Extension
	var seen extensionSet
	for !block.Empty() {
		var code uint16
		var body cryptobyte.String
		if !block.ReadUint16(&code) || !block.ReadUint16LengthPrefixed(&body) {
			return nil, decodeError(msg.String() + " extensions")
		}
		t := ExtensionType(code)
		// RFC 5246 §7.4.1.4 and RFC 8446 §4.2: "There MUST NOT be more
		// than one extension of the same type" in a block. Neither names
		// an alert for it; clasp sends illegal_parameter in every version
		// and every message, as OpenSSL 3 does for the extensions it
		// knows (it lets repeated unknown ones through; clasp does not).
		if !seen.add(t) {
			return nil, Errorf(AlertIllegalParameter, "%v carries %v twice", msg, t)
		}
		ext, err := parseExtension(t, body, msg)
		if err != nil {
			return nil, err
		}
		exts = append(exts, ext)
	}
	return exts, nil
}

// extensionSet finds a repeated extension type in a block. A message
// carries a handful of extensions, so the first ones are kept in an array
// and scanned (no garbage, faster than hashing); a block with more, which
// only a peer testing limits sends, moves to a map so that thousands of
// extensions cost linear time.
type extensionSet struct {
	small [24]ExtensionType
	n     int
	large map[ExtensionType]bool
}

// add records t and reports whether it was new.
func (s *extensionSet) add(t ExtensionType) bool {
	if s.large == nil && s.n < len(s.small) {
		if slices.Contains(s.small[:s.n], t) {
			return false
		}
		s.small[s.n] = t
		s.n++
		return true
	}
	if s.large == nil {
		s.large = make(map[ExtensionType]bool, 2*len(s.small))
		for _, x := range s.small {
			s.large[x] = true
		}
	}
	if s.large[t] {
		return false
	}
	s.large[t] = true
	return true
}

// parseExtension reads one extension body. Extensions without a typed value
// for msg are kept whole as *UnknownExt.
func parseExtension(t ExtensionType, body cryptobyte.String, msg HandshakeType) (Extension, error) {
	spec, ok := extensionTable[t]
	if !ok || !slices.Contains(spec.in, msg) {
		return &UnknownExt{Code: t, Data: cloneBytes(body)}, nil
	}
	ext, err := spec.parse(body, msg)
	if err != nil {
		if msg == TypeClientHello && tls12OnlyClientHelloExtensions[t] {
			return &MalformedExt{UnknownExt: UnknownExt{Code: t, Data: cloneBytes(body)}, Err: err}, nil
		}
		return nil, err
	}
	return ext, nil
}

// marshalExtensions appends a hello's extensions block; a nil list means no
// block at all, which RFC 5246 allows and which old peers send.
func marshalExtensions(b *builder, exts []Extension, msg HandshakeType) {
	if exts == nil {
		return
	}
	addExtensionBlock(b, exts, msg)
}

// addExtensionBlock appends an extensions vector, empty when exts is.
func addExtensionBlock(b *builder, exts []Extension, msg HandshakeType) {
	var seen extensionSet
	b.AddUint16LengthPrefixed(func(b *builder) {
		for _, e := range exts {
			if e == nil {
				b.SetError(errMarshal("nil extension in %v", msg))
				return
			}
			t := e.ExtType()
			if !seen.add(t) {
				b.SetError(errMarshal("%v carries %v twice", msg, t))
				return
			}
			b.AddUint16(uint16(t))
			b.AddUint16LengthPrefixed(func(b *builder) {
				e.marshalBody(b, msg)
			})
		}
	})
}

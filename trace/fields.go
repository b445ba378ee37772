package trace

// Every field of every parsed message, in one ordered tree that the msg
// renderer prints as text and the JSON renderer encodes. Keeping one
// decoder is what makes the two show the same fields under the same names
// (the JSON schema's names).

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// object is a JSON object whose keys keep their order, so that output
// follows the wire order of the message and stays byte-stable.
type object []member

type member struct {
	key   string
	value any // string, int, uint16, uint32, bool, object, []any, []string, []int
}

func (o *object) add(key string, value any) { *o = append(*o, member{key, value}) }

// MarshalJSON writes the members in order.
func (o object) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Quote(m.key))
		b.WriteByte(':')
		v, err := json.Marshal(m.value)
		if err != nil {
			return nil, err
		}
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// codePoint is how every registry value is shown: the number on the wire
// and the name people know, so an unknown value is never lost.
func codePoint(code uint16, name string) object {
	return object{{"code", int(code)}, {"name", name}}
}

func versionField(v suites.Version) object { return codePoint(uint16(v), v.String()) }

func suiteList(ids []suites.ID) []any {
	out := make([]any, 0, len(ids))
	for _, id := range ids {
		out = append(out, codePoint(uint16(id), id.String()))
	}
	return out
}

func groupList(gs []suites.Group) []any {
	out := make([]any, 0, len(gs))
	for _, g := range gs {
		out = append(out, codePoint(uint16(g), g.String()))
	}
	return out
}

func schemeList(ss []suites.SignatureScheme) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, codePoint(uint16(s), s.String()))
	}
	return out
}

func intList(b []uint8) []any {
	out := make([]any, 0, len(b))
	for _, v := range b {
		out = append(out, int(v))
	}
	return out
}

func stringList(ss []string) []any {
	out := make([]any, 0, len(ss))
	for _, s := range ss {
		out = append(out, s)
	}
	return out
}

// handshakeTypeName is the RFC name of a parsed message's type
// ("client_hello"), or its Go type for values this file does not know.
func handshakeTypeName(parsed any) string {
	if m, ok := parsed.(wire.Message); ok {
		return m.Type().String()
	}
	return fmt.Sprintf("%T", parsed)
}

// decodeMessage lists every field of a parsed handshake message. A message
// type added to package wire after this renderer falls to the default case:
// its Go type and, in the caller, the raw bytes, so it is shown rather than
// dropped until it gets its own case.
//
// TLS 1.3 reuses the handshake type numbers of TLS 1.2 for messages of a
// different shape (Certificate, CertificateRequest, NewSessionTicket); the
// fields tell them apart: a TLS 1.3 one has certificate_request_context_hex
// or ticket_nonce_hex, which the TLS 1.2 one never has.
func decodeMessage(parsed any) object {
	var o object
	switch m := parsed.(type) {
	case *wire.ClientHello:
		o.add("version", versionField(m.Version))
		o.add("random_hex", hexString(m.Random[:]))
		o.add("session_id_hex", hexString(m.SessionID))
		o.add("cipher_suites", suiteList(m.CipherSuites))
		o.add("compression_methods", intList(m.CompressionMethods))
		o.add("extensions", decodeExtensions(m.Extensions))
	case *wire.ServerHello:
		if m.IsHelloRetryRequest() {
			// Only the random says so: HelloRetryRequest has no type of
			// its own on the wire (RFC 8446 §4.1.3).
			o.add("hello_retry_request", true)
		}
		o.add("version", versionField(m.Version))
		o.add("random_hex", hexString(m.Random[:]))
		o.add("session_id_hex", hexString(m.SessionID))
		o.add("cipher_suite", codePoint(uint16(m.CipherSuite), m.CipherSuite.String()))
		o.add("compression_method", int(m.CompressionMethod))
		o.add("extensions", decodeExtensions(m.Extensions))
	case *wire.Certificate:
		certs := make([]any, 0, len(m.Certificates))
		for _, der := range m.Certificates {
			certs = append(certs, decodeCertificate(der))
		}
		o.add("certificates", certs)
	case *wire.RawPublicKeyCertificate:
		o.add("certificates", []any{decodeRawKey(m.SPKI)})
	case *wire.ServerKeyExchange:
		o.add("key_exchange", m.KeyExchange.String())
		if m.PSKIdentityHint != nil {
			o.add("psk_identity_hint_hex", hexString(m.PSKIdentityHint))
		}
		if p := m.ECDHE; p != nil {
			o.add("ecdhe", object{{"curve_type", int(p.CurveType)},
				{"group", codePoint(uint16(p.Group), p.Group.String())}, {"public_hex", hexString(p.Public)}})
		}
		if p := m.DHE; p != nil {
			o.add("dhe", object{{"p_hex", hexString(p.P)}, {"g_hex", hexString(p.G)}, {"public_hex", hexString(p.Public)}})
		}
		if m.Signature != nil {
			o.add("signature", decodeSignature(*m.Signature))
		}
	case *wire.CertificateRequest:
		o.add("certificate_types", intList(m.CertificateTypes))
		if m.HasSignatureSchemes {
			o.add("signature_schemes", schemeList(m.SignatureSchemes))
		}
		cas := make([]any, 0, len(m.CertificateAuthorities))
		for _, dn := range m.CertificateAuthorities {
			cas = append(cas, object{{"name", distinguishedName(dn)}, {"der_hex", hexString(dn)}})
		}
		o.add("certificate_authorities", cas)
	case *wire.ClientKeyExchange:
		o.add("key_exchange", m.KeyExchange.String())
		if m.PSKIdentity != nil {
			o.add("psk_identity_hex", hexString(m.PSKIdentity))
		}
		o.add("data_hex", hexString(m.Data))
	case *wire.CertificateVerify:
		o.add("signature", decodeSignature(m.Signature))
	case *wire.Finished:
		o.add("verify_data_hex", hexString(m.VerifyData))
	case *wire.NewSessionTicket:
		o.add("lifetime_hint", int(m.LifetimeHint))
		o.add("ticket_hex", hexString(m.Ticket))
	case *wire.CompressedCertificate:
		o.add("algorithm", int(m.Algorithm))
		o.add("uncompressed_length", int(m.UncompressedLength))
		o.add("compressed_hex", hexString(m.Compressed))
	case *wire.CertificateStatus:
		o.add("status_type", int(m.StatusType))
		o.add("response_hex", hexString(m.Response))
	case *wire.EncryptedExtensions:
		o.add("extensions", decodeExtensions(m.Extensions))
	case *wire.Certificate13:
		o = decodeCertificate13(m)
	case *wire.CertificateRequest13:
		o.add("certificate_request_context_hex", hexString(m.Context))
		o.add("extensions", decodeExtensions(m.Extensions))
	case *wire.NewSessionTicket13:
		o.add("ticket_lifetime", int(m.Lifetime))
		o.add("ticket_age_add", int(m.AgeAdd))
		o.add("ticket_nonce_hex", hexString(m.Nonce))
		o.add("ticket_hex", hexString(m.Ticket))
		o.add("extensions", decodeExtensions(m.Extensions))
	case *wire.KeyUpdate:
		o.add("request_update", m.RequestUpdate)
	case *wire.HelloRequest, *wire.ServerHelloDone, *wire.EndOfEarlyData:
		// No fields: the type is the whole message.
	default:
		o.add("go_type", fmt.Sprintf("%T", parsed))
	}
	return o
}

// decodeCertificate13 is a TLS 1.3 Certificate: its context and each
// entry with its extensions.
func decodeCertificate13(m *wire.Certificate13) object {
	return decodeCertificateEntries13(m, decodeCertificate)
}

// decodeCertificateEntries13 decodes a TLS 1.3 Certificate's context and
// entries, each entry's data by decodeEntry (an X.509 certificate or a raw
// public key) and its extensions.
func decodeCertificateEntries13(m *wire.Certificate13, decodeEntry func([]byte) object) object {
	var o object
	o.add("certificate_request_context_hex", hexString(m.Context))
	entries := make([]any, 0, len(m.Entries))
	for _, entry := range m.Entries {
		e := decodeEntry(entry.Data)
		e.add("extensions", decodeExtensions(entry.Extensions))
		entries = append(entries, e)
	}
	o.add("certificates", entries)
	return o
}

func decodeSignature(s wire.DigitallySigned) object {
	var o object
	if s.HasScheme {
		o.add("scheme", codePoint(uint16(s.Scheme), s.Scheme.String()))
	}
	o.add("signature_hex", hexString(s.Signature))
	return o
}

// decodeExtensions lists extensions in wire order, each by code point and
// name, with its typed fields; an extension clasp has no type for keeps its
// body as hex.
func decodeExtensions(exts []wire.Extension) []any {
	out := make([]any, 0, len(exts))
	for _, e := range exts {
		o := codePoint(uint16(e.ExtType()), e.ExtType().String())
		addExtensionFields(&o, e)
		out = append(out, o)
	}
	return out
}

// addExtensionFields adds extension e's typed fields to o.
func addExtensionFields(o *object, e wire.Extension) {
	switch e := e.(type) {
	case *wire.ServerNameExt:
		addServerNameFields(o, e)
	case *wire.SupportedGroupsExt:
		o.add("groups", groupList(e.Groups))
	case *wire.ECPointFormatsExt:
		o.add("formats", intList(e.Formats))
	case *wire.SignatureAlgorithmsExt:
		o.add("schemes", schemeList(e.Schemes))
	case *wire.ALPNExt:
		o.add("protocols", stringList(e.Protocols))
	case *wire.ExtendedMasterSecretExt, *wire.EncryptThenMACExt:
	case *wire.RenegotiationInfoExt:
		o.add("renegotiated_connection_hex", hexString(e.Data))
	case *wire.SessionTicketExt:
		o.add("ticket_hex", hexString(e.Ticket))
	case *wire.StatusRequestExt:
		o.add("status_type", int(e.StatusType))
		if len(e.OtherRequest) > 0 {
			o.add("request_hex", hexString(e.OtherRequest))
			break
		}
		o.add("responder_id_list_hex", hexString(e.ResponderIDList))
		o.add("request_extensions_hex", hexString(e.RequestExtensions))
	case *wire.SupportedVersionsExt:
		versions := make([]any, 0, len(e.Versions))
		for _, v := range e.Versions {
			versions = append(versions, versionField(v))
		}
		o.add("versions", versions)
	case *wire.KeyShareExt:
		addKeyShareFields(o, e)
	case *wire.PSKKeyExchangeModesExt:
		modes := make([]any, 0, len(e.Modes))
		for _, m := range e.Modes {
			modes = append(modes, codePoint(uint16(m), pskModeName(m)))
		}
		o.add("modes", modes)
	case *wire.PreSharedKeyExt:
		addPreSharedKeyFields(o, e)
	case *wire.EarlyDataExt:
		// The size is on the wire only in NewSessionTicket; elsewhere
		// the extension is empty and the field says 0.
		o.add("max_early_data_size", int(e.MaxEarlyDataSize))
	case *wire.CookieExt:
		o.add("cookie_hex", hexString(e.Cookie))
	case *wire.RecordSizeLimitExt:
		o.add("record_size_limit", int(e.Limit))
	case *wire.ClientCertificateTypeExt:
		o.add("types", intList(e.Types))
	case *wire.ServerCertificateTypeExt:
		o.add("types", intList(e.Types))
	case *wire.CompressCertificateExt:
		algs := make([]any, len(e.Algorithms))
		for i, a := range e.Algorithms {
			algs[i] = int(a)
		}
		o.add("algorithms", algs)
	case *wire.MaxFragmentLengthExt:
		o.add("max_fragment_length", e.Bytes())
	case *wire.CertificateAuthoritiesExt:
		cas := make([]any, 0, len(e.Authorities))
		for _, dn := range e.Authorities {
			cas = append(cas, object{{"name", distinguishedName(dn)}, {"der_hex", hexString(dn)}})
		}
		o.add("authorities", cas)
	case *wire.SignatureAlgorithmsCertExt:
		o.add("schemes", schemeList(e.Schemes))
	case *wire.PaddingExt:
		o.add("padding_length", e.Length)
	case *wire.PostHandshakeAuthExt:
	case *wire.SignedCertificateTimestampExt:
		scts := make([]any, 0, len(e.SCTs))
		for _, sct := range e.SCTs {
			scts = append(scts, hexString(sct))
		}
		o.add("scts_hex", scts)
	case *wire.EncryptedClientHelloExt:
		addECHFields(o, e)
	case *wire.ECHOuterExtensionsExt:
		addECHOuterExtensionsFields(o, e)
	case *wire.UnknownExt:
		o.add("data_hex", hexString(e.Data))
	default:
		// A typed extension added to package wire after this file.
		o.add("go_type", fmt.Sprintf("%T", e))
	}
}

func addServerNameFields(o *object, e *wire.ServerNameExt) {
	if e.HostName != "" {
		o.add("host_name", e.HostName)
	}
	if len(e.Other) > 0 {
		others := make([]any, 0, len(e.Other))
		for _, other := range e.Other {
			others = append(others, object{{"name_type", int(other.NameType)}, {"name_hex", hexString(other.Name)}})
		}
		o.add("other_names", others)
	}
}

func addKeyShareFields(o *object, e *wire.KeyShareExt) {
	if e.SelectedGroup != 0 {
		o.add("selected_group", codePoint(uint16(e.SelectedGroup), e.SelectedGroup.String()))
	}
	shares := make([]any, 0, len(e.Entries))
	for _, ks := range e.Entries {
		shares = append(shares, object{{"group", codePoint(uint16(ks.Group), ks.Group.String())},
			{"key_exchange_hex", hexString(ks.KeyExchange)}})
	}
	o.add("shares", shares)
}

func addPreSharedKeyFields(o *object, e *wire.PreSharedKeyExt) {
	if len(e.Identities) == 0 {
		o.add("selected_identity", int(e.SelectedIdentity))
		return
	}
	ids := make([]any, 0, len(e.Identities))
	for _, id := range e.Identities {
		ids = append(ids, object{{"identity_hex", hexString(id.Identity)},
			{"obfuscated_ticket_age", int(id.ObfuscatedTicketAge)}})
	}
	o.add("identities", ids)
	binders := make([]any, 0, len(e.Binders))
	for _, b := range e.Binders {
		binders = append(binders, hexString(b))
	}
	o.add("binders_hex", binders)
}

// pskModeName names a psk_key_exchange_modes value (RFC 8446 §4.2.9).
func pskModeName(m uint8) string {
	switch m {
	case wire.PSKModeKE:
		return "psk_ke"
	case wire.PSKModeDHEKE:
		return "psk_dhe_ke"
	}
	return fmt.Sprintf("unknown(%d)", m)
}

// decodeCertificate shows what a person checks in a certificate; the DER
// itself is kept too, for tools. A certificate that does not parse is shown
// by its bytes and the parse error: the peer sent it, so the trace shows it.
func decodeCertificate(der []byte) object {
	sum := sha256.Sum256(der)
	o := object{{"sha256_hex", hexString(sum[:])}}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		o.add("parse_error", err.Error())
	} else {
		o.add("subject", cert.Subject.String())
		o.add("issuer", cert.Issuer.String())
		o.add("serial_hex", fmt.Sprintf("%x", cert.SerialNumber))
		o.add("not_before", cert.NotBefore.UTC().Format(time.RFC3339))
		o.add("not_after", cert.NotAfter.UTC().Format(time.RFC3339))
		o.add("public_key_algorithm", cert.PublicKeyAlgorithm.String())
		o.add("signature_algorithm", cert.SignatureAlgorithm.String())
		o.add("is_ca", cert.IsCA)
		names := append([]string{}, cert.DNSNames...)
		for _, ip := range cert.IPAddresses {
			names = append(names, ip.String())
		}
		o.add("subject_alt_names", stringList(names))
	}
	o.add("der_hex", hexString(der))
	return o
}

// distinguishedName renders a DER DistinguishedName from a
// CertificateRequest for people, or "" when it does not parse.
func distinguishedName(der []byte) string {
	var rdn pkix.RDNSequence
	if rest, err := asn1.Unmarshal(der, &rdn); err != nil || len(rest) != 0 {
		return ""
	}
	var name pkix.Name
	name.FillFromRDNSequence(&rdn)
	return name.String()
}

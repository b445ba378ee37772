package wire

import (
	"testing"

	"golang.org/x/crypto/cryptobyte"
)

// extBody builds an extension body with cryptobyte.
func extBody(f func(b *cryptobyte.Builder)) []byte {
	b := cryptobyte.NewBuilder(nil)
	f(b)
	return b.BytesOrPanic()
}

func u16Vec(content ...byte) []byte {
	return extBody(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(content) })
	})
}

func u8Vec(content ...byte) []byte {
	return extBody(func(b *cryptobyte.Builder) {
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(content) })
	})
}

// serverNameList builds a server_name body from (type, name) entries.
func serverNameList(entries ...struct {
	typ  uint8
	name string
}) []byte {
	return extBody(func(b *cryptobyte.Builder) {
		b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) {
			for _, e := range entries {
				b.AddUint8(e.typ)
				b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte(e.name)) })
			}
		})
	})
}

type sni = struct {
	typ  uint8
	name string
}

// rejectsExt checks that a message (see carrier) carrying code with body
// fails to parse with alert.
func rejectsExt(t *testing.T, msg HandshakeType, code ExtensionType, body []byte, alert AlertDescription) {
	t.Helper()
	raw, ctx := msgWithExt(t, msg, code, body)
	m, err := ParseHandshake(raw, ctx)
	if err == nil && msg == TypeClientHello && tls12OnlyClientHelloExtensions[code] {
		// Kept as a MalformedExt: a server that chooses TLS 1.2 fails
		// with its error.
		err = CheckMalformed(extensionsOf(m))
	}
	wantAlert(t, err, alert)
}

// acceptsExt parses a message (see carrier) carrying code with body and
// returns the extension.
func acceptsExt(t *testing.T, msg HandshakeType, code ExtensionType, body []byte) Extension {
	t.Helper()
	raw, ctx := msgWithExt(t, msg, code, body)
	m, err := ParseHandshake(raw, ctx)
	if err != nil {
		t.Fatalf("%v in %v: %v", code, msg, err)
	}
	e, ok := LookupExtension(extensionsOf(m), code)
	if !ok {
		t.Fatalf("%v missing after parse", code)
	}
	return e
}

func TestExtendedMasterSecretRejectsNonEmptyBody(t *testing.T) {
	for _, msg := range hellos {
		rejectsExt(t, msg, ExtExtendedMasterSecret, []byte{0}, AlertDecodeError)
	}
}

// RFC 6066 §3: "The ServerNameList MUST NOT contain more than one name of
// the same name_type": a well-formed list with wrong content, so
// illegal_parameter (RFC 8446 §6.2, "A field in the handshake was
// incorrect"), as tlsfuzzer's test-invalid-server-name-extension expects.
func TestServerNameRejectsDuplicateHostName(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtServerName, serverNameList(sni{0, "a.example"}, sni{0, "b.example"}), AlertIllegalParameter)
}

// RFC 6066 §8 defines only the ocsp status type and gives no other a shape;
// a request of another type is kept raw (and not stapled), as OpenSSL and
// crypto/tls ignore it, rather than refused as malformed.
func TestStatusRequestKeepsUnknownStatusTypeRaw(t *testing.T) {
	for _, body := range [][]byte{{9}, {2, 0xff, 0x01}, {0, 0, 0, 0, 0}} {
		e := acceptsExt(t, TypeClientHello, ExtStatusRequest, body).(*StatusRequestExt)
		if e.StatusType != body[0] || string(e.OtherRequest) != string(body[1:]) || e.ResponderIDList != nil {
			t.Fatalf("%x: got %#v", body, e)
		}
	}
	rejectsExt(t, TypeClientHello, ExtStatusRequest, []byte{1, 0, 0}, AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtStatusRequest, nil, AlertDecodeError)
}

func TestServerNameRejectsEmptyHostName(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtServerName, serverNameList(sni{0, ""}), AlertDecodeError)
}

func TestServerNameRejectsEmptyList(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtServerName, serverNameList(), AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtServerName, nil, AlertDecodeError)
}

func TestServerNameRejectsTrailingBytes(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtServerName, append(serverNameList(sni{0, "a"}), 0), AlertDecodeError)
}

func TestServerNameKeepsOtherNameTypes(t *testing.T) {
	e := acceptsExt(t, TypeClientHello, ExtServerName, serverNameList(sni{0, "a.example"}, sni{7, "x"})).(*ServerNameExt)
	if e.HostName != "a.example" || len(e.Other) != 1 || e.Other[0].NameType != 7 || string(e.Other[0].Name) != "x" {
		t.Fatalf("got %#v", e)
	}
}

func TestServerHelloRejectsNonEmptyServerName(t *testing.T) {
	rejectsExt(t, TypeServerHello, ExtServerName, serverNameList(sni{0, "a"}), AlertDecodeError)
	if e := acceptsExt(t, TypeServerHello, ExtServerName, nil).(*ServerNameExt); e.HostName != "" {
		t.Fatalf("got %#v", e)
	}
}

func TestServerHelloRejectsNonEmptyStatusRequest(t *testing.T) {
	rejectsExt(t, TypeServerHello, ExtStatusRequest, []byte{1, 0, 0, 0, 0}, AlertDecodeError)
}

func TestStatusRequestRejectsTruncatedBody(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtStatusRequest, []byte{1, 0, 0}, AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtStatusRequest, []byte{1, 0, 0, 0, 0, 9}, AlertDecodeError)
	e := acceptsExt(t, TypeClientHello, ExtStatusRequest, []byte{1, 0, 0, 0, 0}).(*StatusRequestExt)
	if e.StatusType != StatusTypeOCSP || e.ResponderIDList != nil || e.RequestExtensions != nil {
		t.Fatalf("got %#v", e)
	}
}

func TestALPNRejectsEmptyProtocolName(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtALPN, u16Vec(2, 'h', '2', 0), AlertDecodeError)
}

func TestALPNRejectsEmptyList(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtALPN, u16Vec(), AlertDecodeError)
	rejectsExt(t, TypeServerHello, ExtALPN, u16Vec(), AlertDecodeError)
}

func TestSupportedGroupsRejectsOddLength(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSupportedGroups, u16Vec(0, 29, 0), AlertDecodeError)
}

func TestSupportedGroupsRejectsEmptyList(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSupportedGroups, u16Vec(), AlertDecodeError)
}

func TestSupportedGroupsRejectsTrailingBytes(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSupportedGroups, append(u16Vec(0, 29), 0), AlertDecodeError)
}

func TestSignatureAlgorithmsRejectsOddLength(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSignatureAlgorithms, u16Vec(4, 3, 8), AlertDecodeError)
}

func TestSignatureAlgorithmsRejectsEmptyList(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtSignatureAlgorithms, u16Vec(), AlertDecodeError)
}

// RFC 8422 §5.1.2: a list that "does not contain the uncompressed point
// format" makes the server "abort the handshake and return an
// illegal_parameter alert"; an empty one contains none.
func TestECPointFormatsRejectsEmptyList(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtECPointFormats, u8Vec(), AlertIllegalParameter)
	rejectsExt(t, TypeServerHello, ExtECPointFormats, u8Vec(), AlertIllegalParameter)
}

// A ClientHello keeps a malformed extension that only TLS 1.2 and earlier
// read as a MalformedExt, byte for byte, and only CheckMalformed reports
// it; any other malformed extension still fails the parse.
func TestClientHelloKeepsMalformedTLS12OnlyExtensions(t *testing.T) {
	for _, code := range []ExtensionType{ExtECPointFormats, ExtEncryptThenMAC, ExtExtendedMasterSecret, ExtRenegotiationInfo} {
		body := []byte{0x31, 0x99, 0x02, 0x00, 0xfe}
		raw, ctx := msgWithExt(t, TypeClientHello, code, body)
		m, err := ParseHandshake(raw, ctx)
		if err != nil {
			t.Fatalf("%v: %v", code, err)
		}
		e, ok := LookupExtension(extensionsOf(m), code)
		if mal, isMal := e.(*MalformedExt); !ok || !isMal || string(mal.Data) != string(body) {
			t.Fatalf("%v: got %#v, want a MalformedExt with the body", code, e)
		}
		wantAlert(t, CheckMalformed(extensionsOf(m)), AlertDecodeError)
		again, err := m.Marshal()
		if err != nil || string(again) != string(raw) {
			t.Fatalf("%v: re-marshal gave %x, %v; want %x", code, again, err, raw)
		}
	}
	rejectsExt(t, TypeClientHello, ExtSupportedGroups, []byte{0x31, 0x99, 0x02, 0x00, 0xfe}, AlertDecodeError)
	rejectsExt(t, TypeServerHello, ExtExtendedMasterSecret, []byte{0}, AlertDecodeError)
}

func TestRenegotiationInfoRejectsLengthMismatch(t *testing.T) {
	rejectsExt(t, TypeServerHello, ExtRenegotiationInfo, []byte{2, 1}, AlertDecodeError)
	rejectsExt(t, TypeServerHello, ExtRenegotiationInfo, []byte{1, 1, 1}, AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtRenegotiationInfo, nil, AlertDecodeError)
}

func TestSessionTicketKeepsRawBody(t *testing.T) {
	e := acceptsExt(t, TypeClientHello, ExtSessionTicket, []byte{9, 8, 7}).(*SessionTicketExt)
	if string(e.Ticket) != "\x09\x08\x07" {
		t.Fatalf("got %#v", e)
	}
	if e := acceptsExt(t, TypeServerHello, ExtSessionTicket, nil).(*SessionTicketExt); e.Ticket != nil {
		t.Fatalf("got %#v", e)
	}
}

func TestUnknownExtensionKeptWithCodePoint(t *testing.T) {
	e := acceptsExt(t, TypeClientHello, 0xfafa, []byte{1}).(*UnknownExt)
	if e.Code != 0xfafa || string(e.Data) != "\x01" {
		t.Fatalf("got %#v", e)
	}
}

func TestFindExtension(t *testing.T) {
	exts := []Extension{&UnknownExt{Code: 0x1a1a}, &ALPNExt{Protocols: []string{"h2"}}, &UnknownExt{Code: ExtKeyShare}}
	if a, ok := FindExtension[*ALPNExt](exts); !ok || a.Protocols[0] != "h2" {
		t.Fatalf("FindExtension[*ALPNExt] = %v, %v", a, ok)
	}
	if _, ok := FindExtension[*ServerNameExt](exts); ok {
		t.Fatal("found a server_name that is not there")
	}
	if e, ok := LookupExtension(exts, ExtKeyShare); !ok || e != exts[2] {
		t.Fatalf("LookupExtension(key_share) = %v, %v", e, ok)
	}
}

func TestMayCarry(t *testing.T) {
	if !MayCarry(TypeClientHello, ExtALPN) || !MayCarry(TypeServerHello, ExtRenegotiationInfo) {
		t.Fatal("hello extensions not allowed in hellos")
	}
	if MayCarry(TypeCertificate, ExtALPN) || MayCarry(TypeServerHello, ExtCookie) || MayCarry(TypeEncryptedExtensions, ExtKeyShare) {
		t.Fatal("MayCarry allows what the table does not list")
	}
	// RFC 8446 §4.2's table, a few cells of each column.
	for _, c := range []struct {
		msg HandshakeType
		ext ExtensionType
	}{
		{TypeClientHello, ExtPreSharedKey}, {TypeServerHello, ExtKeyShare}, {TypeHelloRetryRequest, ExtCookie},
		{TypeHelloRetryRequest, ExtSupportedVersions}, {TypeEncryptedExtensions, ExtALPN},
		{TypeEncryptedExtensions, ExtEarlyData}, {TypeCertificate, ExtStatusRequest},
		{TypeCertificateRequest, ExtSignatureAlgorithms}, {TypeCertificateRequest, ExtCertificateAuthorities},
		{TypeNewSessionTicket, ExtEarlyData}, {TypeClientHello, ExtPostHandshakeAuth},
	} {
		if !MayCarry(c.msg, c.ext) {
			t.Errorf("MayCarry(%v, %v) = false", c.msg, c.ext)
		}
	}
	for _, c := range []struct {
		msg HandshakeType
		ext ExtensionType
	}{
		{TypeHelloRetryRequest, ExtPreSharedKey}, {TypeServerHello, ExtPSKKeyExchangeModes},
		{TypeEncryptedExtensions, ExtSignatureAlgorithms}, {TypeNewSessionTicket, ExtALPN},
		{TypeCertificate, ExtKeyShare}, {TypeHelloRetryRequest, ExtALPN},
	} {
		if MayCarry(c.msg, c.ext) {
			t.Errorf("MayCarry(%v, %v) = true", c.msg, c.ext)
		}
	}
}

func TestExtensionTypeString(t *testing.T) {
	for code, want := range map[ExtensionType]string{
		0: "server_name", 10: "supported_groups", 11: "ec_point_formats", 13: "signature_algorithms",
		16: "application_layer_protocol_negotiation", 0xff01: "renegotiation_info",
		23: "extended_master_secret", 35: "session_ticket", 5: "status_request", 51: "key_share",
		43: "supported_versions", 0xfe0d: "encrypted_client_hello", 0x1a1a: "unknown(0x1a1a)",
	} {
		if got := code.String(); got != want {
			t.Errorf("ExtensionType(%d) = %q, want %q", code, got, want)
		}
	}
}

func TestHandshakeTypeString(t *testing.T) {
	for typ, want := range map[HandshakeType]string{
		TypeClientHello: "client_hello", TypeServerHelloDone: "server_hello_done",
		TypeMessageHash: "message_hash", 99: "unknown_handshake(99)",
	} {
		if got := typ.String(); got != want {
			t.Errorf("HandshakeType(%d) = %q, want %q", typ, got, want)
		}
	}
}

// RFC 8446 §4.2's table: a TLS 1.3 ServerHello carries only key_share,
// pre_shared_key and supported_versions; a TLS 1.2 ServerHello none of
// those three but the TLS 1.2 extensions (RFC 5246 §7.4.1.4).
func TestMayCarryVersionSeparatesTheServerHelloColumns(t *testing.T) {
	for _, c := range []struct {
		msg   HandshakeType
		ext   ExtensionType
		tls13 bool
		want  bool
	}{
		{TypeServerHello, ExtKeyShare, true, true},
		{TypeServerHello, ExtKeyShare, false, false},
		{TypeServerHello, ExtPreSharedKey, false, false},
		{TypeServerHello, ExtExtendedMasterSecret, true, false},
		{TypeServerHello, ExtExtendedMasterSecret, false, true},
		{TypeServerHello, ExtRenegotiationInfo, true, false},
		{TypeServerHello, ExtECPointFormats, true, false},
		{TypeServerHello, ExtALPN, true, false},
		{TypeServerHello, ExtCookie, true, false},
		{TypeHelloRetryRequest, ExtCookie, true, true},
		{TypeHelloRetryRequest, ExtPreSharedKey, true, false},
		{TypeEncryptedExtensions, ExtALPN, true, true},
		{TypeEncryptedExtensions, ExtKeyShare, true, false},
		{TypeEncryptedExtensions, ExtExtendedMasterSecret, true, false},
		{TypeCertificate, ExtStatusRequest, true, true},
		{TypeCertificate, ExtALPN, true, false},
	} {
		if got := MayCarryVersion(c.msg, c.ext, c.tls13); got != c.want {
			t.Errorf("MayCarryVersion(%v, %v, tls13=%v) = %v, want %v", c.msg, c.ext, c.tls13, got, c.want)
		}
	}
	if !Recognized(ExtExtendedMasterSecret) || Recognized(ExtTokenBinding) || Recognized(0x1234) {
		t.Error("Recognized does not follow the extension table")
	}
}

// TestExtensionSetFindsRepeats checks the duplicate detection of extension
// blocks on both sides of its switch from array to map.
func TestExtensionSetFindsRepeats(t *testing.T) {
	for _, n := range []int{1, 23, 24, 25, 200} {
		var s extensionSet
		for i := range n {
			if !s.add(ExtensionType(i * 7)) {
				t.Fatalf("n=%d: type %d reported as a repeat", n, i*7)
			}
		}
		for i := range n {
			if s.add(ExtensionType(i * 7)) {
				t.Fatalf("n=%d: repeat of type %d not found", n, i*7)
			}
		}
		if !s.add(ExtensionType(n*7 + 1)) {
			t.Fatalf("n=%d: a new type after the repeats was refused", n)
		}
	}
}

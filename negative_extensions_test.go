package clasp

import (
	"bytes"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Negative tests for extension blocks: duplicates (RFC 5246 §7.4.1.4, RFC
// 8446 §4.2), extensions in a message that may not carry them (RFC 8446
// §4.2: illegal_parameter), extensions nobody asked for (unsupported_extension),
// and TLS 1.3's legacy_compression_methods (RFC 8446 §4.1.2).

// rawMessage sends bytes built by hand as a handshake message.
type rawMessage struct {
	typ wire.HandshakeType
	raw []byte
}

func (m rawMessage) Type() wire.HandshakeType { return m.typ }
func (m rawMessage) Marshal() ([]byte, error) { return m.raw, nil }

// dupPlaceholder is the code point a test puts in a message so that it can
// be renamed, after marshalling, into a second copy of another extension:
// wire refuses to marshal a duplicate itself.
const dupPlaceholder wire.ExtensionType = 0xfeed

// withDuplicate marshals msg, which carries a dupPlaceholder extension
// whose body is n bytes, and renames that extension to code.
func withDuplicate(t testing.TB, msg wire.Message, code wire.ExtensionType, n int) rawMessage {
	t.Helper()
	raw, err := msg.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	placeholder := []byte{0xfe, 0xed, byte(n >> 8), byte(n)}
	if bytes.Count(raw, placeholder) != 1 {
		t.Fatalf("placeholder found %d times", bytes.Count(raw, placeholder))
	}
	patched := bytes.Replace(raw, placeholder, []byte{byte(code >> 8), byte(code), byte(n >> 8), byte(n)}, 1)
	return rawMessage{typ: msg.Type(), raw: patched}
}

// ---- duplicates ----
//
// RFC 8446 §4.2 (and RFC 5246 §7.4.1.4 for TLS 1.2's hellos): "There MUST
// NOT be more than one extension of the same type in a given extension
// block." Neither RFC names the alert. OpenSSL 3 sends illegal_parameter
// (checked against openssl s_server with a ClientHello carrying two
// supported_groups or two extended_master_secret); so does clasp, in every
// message and on both sides.

func TestServerRejectsTLS13ClientHelloWithDuplicateExtension(t *testing.T) {
	run, p := startServer13(t, testServerConfig13(t))
	ch, _ := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	ch.Extensions = append(ch.Extensions[:len(ch.Extensions)-1], &wire.UnknownExt{Code: dupPlaceholder, Data: []byte{0, 2, 0, 29}},
		ch.Extensions[len(ch.Extensions)-1])
	p.send(withDuplicate(t, ch, wire.ExtSupportedGroups, 4))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertIllegalParameter)
}

func TestClientRejectsTLS12ServerHelloWithDuplicateExtension(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	sh.Extensions = append(sh.Extensions, &wire.UnknownExt{Code: dupPlaceholder})
	raw := withDuplicate(t, sh, wire.ExtExtendedMasterSecret, 0)
	run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS12, raw.raw))
	run.peer.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

func TestClientRejectsTLS13ServerHelloWithDuplicateExtension(t *testing.T) {
	run, p, ch := startClient13(t, nil)
	sh, _ := serverHello13(t, ch)
	sh.Extensions = append(sh.Extensions, &wire.UnknownExt{Code: dupPlaceholder, Data: []byte{3, 4}})
	p.send(withDuplicate(t, sh, wire.ExtSupportedVersions, 2))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

func TestClientRejectsHelloRetryRequestWithDuplicateExtension(t *testing.T) {
	run, p, ch := startClient13(t, nil)
	hrr := helloRetryRequest13(ch, &wire.KeyShareExt{SelectedGroup: suites.Secp256r1}, &wire.UnknownExt{Code: dupPlaceholder, Data: []byte{0, 23}})
	p.send(withDuplicate(t, hrr, wire.ExtKeyShare, 2))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

func TestClientRejectsEncryptedExtensionsWithDuplicateExtension(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	ee := &wire.EncryptedExtensions{Extensions: []wire.Extension{&wire.ServerNameExt{}, &wire.UnknownExt{Code: dupPlaceholder}}}
	p.send(withDuplicate(t, ee, wire.ExtServerName, 0))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertIllegalParameter)
}

func TestClientRejectsCertificateRequestWithDuplicateExtension(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	req := &wire.CertificateRequest13{Extensions: []wire.Extension{
		&wire.SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{suites.ECDSAWithP256AndSHA256}},
		&wire.UnknownExt{Code: dupPlaceholder, Data: []byte{0, 2, 4, 3}},
	}}
	p.send(&wire.EncryptedExtensions{}, withDuplicate(t, req, wire.ExtSignatureAlgorithms, 4))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read CertificateRequest", wire.AlertIllegalParameter)
}

func TestClientRejectsServerCertificateEntryWithDuplicateExtension(t *testing.T) {
	cfg := testClientConfig13(t)
	run, p, _ := clientAfterHello13(t, cfg)
	cert := certificate13(testCerts(t).ecdsaLeaf)
	cert.Entries[0].Extensions = []wire.Extension{&wire.UnknownExt{Code: 0x1234}, &wire.UnknownExt{Code: dupPlaceholder}}
	p.send(&wire.EncryptedExtensions{}, withDuplicate(t, cert, 0x1234, 0))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	// The step that reads the message after EncryptedExtensions (it may be
	// a CertificateRequest) is where the Certificate fails to parse.
	wantClaspFailure(t, run.wait(), "read CertificateRequest", wire.AlertIllegalParameter)
}

func TestServerRejectsClientCertificateEntryWithDuplicateExtension(t *testing.T) {
	run, p := clientToCertificate13(t)
	cert := certificate13(testCerts(t).clientECDSA)
	cert.Entries[0].Extensions = []wire.Extension{&wire.UnknownExt{Code: 0x1234}, &wire.UnknownExt{Code: dupPlaceholder}}
	p.send(withDuplicate(t, cert, 0x1234, 0))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read client Certificate and CertificateVerify", wire.AlertIllegalParameter)
}

// clientToCertificate13 plays a TLS 1.3 client against a clasp server that
// requires a client certificate (without verifying it), up to the client's
// Certificate: serverFlight13 with that server, so the peer reads the
// server's alert under its application key and writes under the client
// handshake traffic key.
func clientToCertificate13(t *testing.T) (*scriptedRun, *peer13) {
	t.Helper()
	cfg := testServerConfig13(t)
	cfg.ClientAuth = RequireAnyClientCert
	return serverFlight13(t, cfg)
}

// ---- extensions in a message that may not carry them ----
//
// RFC 8446 §4.2: "If an implementation receives an extension which it
// recognizes and which is not specified for the message in which it
// appears, it MUST abort the handshake with an "illegal_parameter" alert."
// Each extension below was offered in the ClientHello, so the alert comes
// from where it appears, not from its being unsolicited. OpenSSL 3's
// client answers the same (checked with openssl s_client -tls1_3 against
// this scripted server: extended_master_secret in the ServerHello or in
// EncryptedExtensions, key_share in EncryptedExtensions, ALPN in a
// CertificateEntry all draw illegal_parameter).

func TestClientRejectsTLS13ServerHelloWithExtensionNotAllowed(t *testing.T) {
	for name, ext := range map[string]wire.Extension{
		"extended_master_secret": &wire.UnknownExt{Code: wire.ExtExtendedMasterSecret},
		"renegotiation_info":     &wire.UnknownExt{Code: wire.ExtRenegotiationInfo, Data: []byte{0}},
		"ec_point_formats":       &wire.UnknownExt{Code: wire.ExtECPointFormats, Data: []byte{1, 0}},
		"server_name":            &wire.UnknownExt{Code: wire.ExtServerName},
		"alpn":                   &wire.UnknownExt{Code: wire.ExtALPN, Data: []byte{0, 3, 2, 'h', '2'}},
		"record_size_limit":      &wire.UnknownExt{Code: wire.ExtRecordSizeLimit, Data: []byte{0x40, 0}},
		"psk_key_exchange_modes": &wire.UnknownExt{Code: wire.ExtPSKKeyExchangeModes, Data: []byte{1, 1}},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testClientConfig13(t)
			cfg.NextProtos = []string{"h2"}
			clientRefusesServerHello13(t, cfg, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				if _, ok := wire.LookupExtension(ch.Extensions, ext.ExtType()); !ok {
					t.Fatalf("the client did not offer %s; the test needs it offered", ext.ExtType())
				}
				sh.Extensions = append(sh.Extensions, ext)
			})
		})
	}
}

// A HelloRetryRequest carries key_share, cookie and supported_versions
// only (RFC 8446 §4.2's table): pre_shared_key there is illegal_parameter.
func TestClientRejectsHelloRetryRequestWithPreSharedKey(t *testing.T) {
	clientRefusesHelloRetryRequest13(t, nil, wire.AlertIllegalParameter, &wire.KeyShareExt{SelectedGroup: suites.Secp256r1}, &wire.UnknownExt{Code: wire.ExtPreSharedKey, Data: []byte{0, 0}})
}

// An extension the client does not know in a TLS 1.3 ServerHello was not
// offered: unsupported_extension (RFC 8446 §4.2). (OpenSSL 3's client lets
// an unknown one through; the RFC's rule has no exception for it.)
func TestClientRejectsTLS13ServerHelloWithUnofferedExtension(t *testing.T) {
	clientRefusesServerHello13(t, nil, wire.AlertUnsupportedExtension, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, &wire.UnknownExt{Code: 0x1234})
	})
}

// key_share, pre_shared_key, cookie and early_data are TLS 1.3 extensions;
// a TLS 1.2 ServerHello (RFC 5246 §7.4.1.4) that carries one is
// illegal_parameter, as OpenSSL 3 answers an extension outside its
// message context.
func TestClientRejectsTLS12ServerHelloWithTLS13Extension(t *testing.T) {
	for name, ext := range map[string]wire.Extension{
		"key_share":      &wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: suites.X25519, KeyExchange: bytes.Repeat([]byte{9}, 32)}}},
		"pre_shared_key": &wire.PreSharedKeyExt{SelectedIdentity: 0},
		"cookie":         &wire.UnknownExt{Code: wire.ExtCookie, Data: []byte{0, 1, 1}},
		"early_data":     &wire.UnknownExt{Code: wire.ExtEarlyData},
	} {
		t.Run(name, func(t *testing.T) {
			clientRefusesServerHello12(t, nil, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				sh.Extensions = append(sh.Extensions, ext)
			})
		})
	}
}

// RFC 8446 §4.2's EncryptedExtensions column has server_name,
// supported_groups, ALPN, record_size_limit (RFC 8449) and early_data;
// everything else the client offered is illegal_parameter there, whether
// TLS 1.2's (extended_master_secret, renegotiation_info, ec_point_formats)
// or TLS 1.3's key exchange extensions.
func TestClientRejectsEncryptedExtensionsWithExtensionNotAllowed(t *testing.T) {
	for name, ext := range map[string]wire.Extension{
		"extended_master_secret": &wire.UnknownExt{Code: wire.ExtExtendedMasterSecret},
		"renegotiation_info":     &wire.UnknownExt{Code: wire.ExtRenegotiationInfo, Data: []byte{0}},
		"ec_point_formats":       &wire.UnknownExt{Code: wire.ExtECPointFormats, Data: []byte{1, 0}},
		"key_share":              &wire.UnknownExt{Code: wire.ExtKeyShare, Data: []byte{0, 29, 0, 1, 9}},
		"supported_versions":     &wire.UnknownExt{Code: wire.ExtSupportedVersions, Data: []byte{3, 4}},
		"signature_algorithms":   &wire.UnknownExt{Code: wire.ExtSignatureAlgorithms, Data: []byte{0, 2, 4, 3}},
	} {
		t.Run(name, func(t *testing.T) {
			clientRefusesEncryptedExtensions13(t, nil, wire.AlertIllegalParameter, nil, ext)
		})
	}
}

// A CertificateRequest carries status_request, signature_algorithms,
// signed_certificate_timestamp, certificate_authorities, oid_filters and
// signature_algorithms_cert (RFC 8446 §4.2); ALPN or key_share there is
// illegal_parameter. Unknown extensions are ignored (§4.3.2).
func TestClientRejectsCertificateRequestWithExtensionNotAllowed(t *testing.T) {
	for name, ext := range map[string]wire.Extension{
		"alpn":      &wire.UnknownExt{Code: wire.ExtALPN, Data: []byte{0, 3, 2, 'h', '2'}},
		"key_share": &wire.UnknownExt{Code: wire.ExtKeyShare, Data: []byte{0, 29}},
	} {
		t.Run(name, func(t *testing.T) {
			run, p, _ := clientAfterHello13(t, nil)
			p.send(&wire.EncryptedExtensions{}, &wire.CertificateRequest13{Extensions: []wire.Extension{
				&wire.SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{suites.ECDSAWithP256AndSHA256}},
				&wire.UnknownExt{Code: 0x1234},
				ext,
			}})
			p.flush()
			p.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "read CertificateRequest", wire.AlertIllegalParameter)
		})
	}
}

// ---- certificate entry extensions ----
//
// RFC 8446 §4.4.2: "Extensions in the Certificate message from the server
// MUST correspond to ones from the ClientHello message. Extensions in the
// Certificate message from the client MUST correspond to extensions in the
// CertificateRequest message from the server." §4.2: an extension response
// nobody requested is unsupported_extension. The client here leaves
// status_request and signed_certificate_timestamp out of its hello
// (notAskingForStatus; clasp's CertificateRequest never asks for them),
// so a stapled response or an SCT list (or an unknown extension) is
// unrequested; an
// extension that no CertificateEntry may carry (ALPN, key_share) is
// illegal_parameter, even when the ClientHello offered it. OpenSSL 3's
// client sends the same two alerts (an unrequested status_request;
// ALPN).

// entryExtensionCases are the certificate entry extensions the tests send
// and the alert each must draw.
var entryExtensionCases = map[string]struct {
	ext   wire.Extension
	alert wire.AlertDescription
}{
	"status_request":               {&wire.StatusRequestExt{StatusType: wire.StatusTypeOCSP, Response: []byte{0x30, 0}}, wire.AlertUnsupportedExtension},
	"signed_certificate_timestamp": {&wire.SignedCertificateTimestampExt{SCTs: [][]byte{{0, 1, 2}}}, wire.AlertUnsupportedExtension},
	"unknown":                      {&wire.UnknownExt{Code: 0x1234, Data: []byte{1}}, wire.AlertUnsupportedExtension},
	"alpn":                         {&wire.UnknownExt{Code: wire.ExtALPN, Data: []byte{0, 3, 2, 'h', '2'}}, wire.AlertIllegalParameter},
	"key_share":                    {&wire.UnknownExt{Code: wire.ExtKeyShare, Data: []byte{0, 29, 0, 1, 9}}, wire.AlertIllegalParameter},
}

func TestClientRejectsServerCertificateEntryExtensionNotRequested(t *testing.T) {
	for name, c := range entryExtensionCases {
		t.Run(name, func(t *testing.T) {
			cfg := notAskingForStatus(testClientConfig13(t))
			cfg.NextProtos = []string{"h2"}
			run, p, _ := clientAfterHello13(t, cfg)
			cert := certificate13(testCerts(t).ecdsaLeaf)
			cert.Entries[0].Extensions = []wire.Extension{c.ext}
			p.send(&wire.EncryptedExtensions{}, cert)
			p.flush()
			p.expectAlert(c.alert)
			wantClaspFailure(t, run.wait(), "read server Certificate", c.alert)
		})
	}
}

func TestServerRejectsClientCertificateEntryExtensionNotRequested(t *testing.T) {
	for name, c := range entryExtensionCases {
		t.Run(name, func(t *testing.T) {
			run, p := clientToCertificate13(t)
			cert := certificate13(testCerts(t).clientECDSA)
			cert.Entries[0].Extensions = []wire.Extension{c.ext}
			p.send(cert)
			p.flush()
			p.expectAlert(c.alert)
			wantClaspFailure(t, run.wait(), "read client Certificate and CertificateVerify", c.alert)
		})
	}
}

// ---- TLS 1.3 legacy_compression_methods ----

// RFC 8446 §4.1.2: "For every TLS 1.3 ClientHello, this vector MUST contain
// exactly one byte, set to zero ... If a TLS 1.3 ClientHello is received
// with any other value in this field, the server MUST abort the handshake
// with an "illegal_parameter" alert." (A TLS 1.2 ClientHello may offer more
// as long as null is among them: TestServerRejectsClientHelloWithoutNullCompression.)
func TestServerRejectsTLS13ClientHelloWithNonNullCompression(t *testing.T) {
	for name, methods := range map[string][]uint8{
		"null and deflate": {0, 1},
		"deflate and null": {1, 0},
		"deflate":          {1},
		"null twice":       {0, 0},
	} {
		t.Run(name, func(t *testing.T) {
			run, p := startServer13(t, testServerConfig13(t))
			ch, _ := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
			ch.CompressionMethods = methods
			p.send(ch)
			p.flush()
			p.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "negotiate TLS 1.3 parameters", wire.AlertIllegalParameter)
		})
	}
}

// ---- ec_point_formats ----

// RFC 8422 §5.1.2: uncompressed (0) is the one point format every
// implementation supports; "If the client sends the extension and the
// extension does not contain the uncompressed point format, and the client
// has used the Supported Groups extension to indicate support for any of
// the curves defined in this specification, then the server MUST abort the
// handshake and return an illegal_parameter alert."
func TestServerRejectsClientHelloPointFormatsWithoutUncompressed(t *testing.T) {
	for name, formats := range map[string][]uint8{
		"compressed prime":      {1},
		"both compressed forms": {1, 2},
	} {
		t.Run(name, func(t *testing.T) {
			run := serverVersusScript(t, nil)
			ch := scriptedClientHello()
			ch.Extensions[2] = &wire.ECPointFormatsExt{Formats: formats}
			run.peer.sendMessages(ch)
			run.peer.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertIllegalParameter)
		})
	}
}

// TLS 1.3 has one point format per group and no use for ec_point_formats;
// a TLS 1.3 server ignores it, as OpenSSL 3's does (checked with openssl
// s_server -tls1_3 and a ClientHello whose list is {1}).
func TestServerIgnoresPointFormatsInTLS13ClientHello(t *testing.T) {
	run, p := startServer13(t, testServerConfig13(t))
	ch, _ := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	ch.Extensions = append(ch.Extensions, &wire.ECPointFormatsExt{Formats: []uint8{1}})
	p.send(ch)
	p.flush()
	if msg, _ := p.readMessage(); msg.Type() != wire.TypeServerHello {
		t.Fatalf("server answered %v, want ServerHello", msg.Type())
	}
	run.peer.conn.Close()
	run.wait()
}

// RFC 8422 §5.2: the server's ec_point_formats, too, "MUST contain the
// value 0 (uncompressed) as one of the items in the list"; a client that
// named curves in supported_groups aborts with illegal_parameter. (OpenSSL
// 3's client does not check: openssl s_client -tls1_2 reads on past such a
// ServerHello. Its server, for the ClientHello case above, drops its EC
// suites and answers handshake_failure; clasp follows the RFC in both.)
func TestClientRejectsServerHelloPointFormatsWithoutUncompressed(t *testing.T) {
	clientRefusesServerHello12(t, nil, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, &wire.ECPointFormatsExt{Formats: []uint8{1}})
	})
}

// A NewSessionTicket carries early_data only (RFC 8446 §4.2's table); a
// recognised extension of another message there is illegal_parameter, an
// unknown one is ignored (§4.6.1: "Clients MUST ignore unrecognized
// extensions"). The ticket arrives after the handshake, on the client's
// next read.
func TestClientRejectsNewSessionTicketWithExtensionNotAllowed(t *testing.T) {
	nst := func(exts ...wire.Extension) *wire.NewSessionTicket13 {
		return &wire.NewSessionTicket13{Lifetime: 60, AgeAdd: 1, Nonce: []byte{1}, Ticket: []byte("ticket"), Extensions: exts}
	}
	for name, ext := range map[string]wire.Extension{
		"key_share":      &wire.UnknownExt{Code: wire.ExtKeyShare, Data: []byte{0, 29}},
		"pre_shared_key": &wire.UnknownExt{Code: wire.ExtPreSharedKey, Data: []byte{0, 0}},
		"alpn":           &wire.UnknownExt{Code: wire.ExtALPN, Data: []byte{0, 3, 2, 'h', '2'}},
	} {
		t.Run(name, func(t *testing.T) {
			r := handshake13(t)
			wantPostHandshakeFailure(t, r.client, r.server, func() { inject(t, r.server, nst(ext)) }, wire.AlertIllegalParameter)
		})
	}
	t.Run("unknown is ignored", func(t *testing.T) {
		r := handshake13(t)
		go func() {
			inject(t, r.server, nst(&wire.UnknownExt{Code: 0x1234}, &wire.EarlyDataExt{MaxEarlyDataSize: 1}))
			_, _ = r.server.Write([]byte("x"))
		}()
		if _, err := r.client.Read(make([]byte, 1)); err != nil {
			t.Fatalf("client read after the ticket: %v", err)
		}
	})
}

package clasp

import (
	"bytes"
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/rand"
	"net"
	"slices"
	"testing"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Encrypted Client Hello negative tests, written from RFC 9849: a scripted
// client sends outer hellos built by hand (HPKE from crypto/hpke, as the
// real client) to a clasp server, and a scripted server answers a clasp
// client with what a correct server never would. Each expects the alert
// the cited section names.

// ---- a scripted ECH client against a clasp server ----

// echInner13 is a minimal TLS 1.3 ClientHelloInner for "a.test" with one
// X25519 share (a real key, so a server can go on to its ServerHello).
func echInner13(t testing.TB, exts ...wire.Extension) *wire.ClientHello {
	t.Helper()
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	hello := &wire.ClientHello{Version: suites.VersionTLS12, SessionID: bytes.Repeat([]byte{7}, 32),
		CipherSuites: []suites.ID{suites.TLS_AES_128_GCM_SHA256}, CompressionMethods: []uint8{0},
		Extensions: []wire.Extension{
			&wire.ServerNameExt{HostName: "a.test"},
			&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
			&wire.SupportedGroupsExt{Groups: []suites.Group{suites.X25519, suites.Secp256r1}},
			&wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: suites.X25519, KeyExchange: priv.PublicKey().Bytes()}}},
			&wire.SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{suites.ECDSAWithP256AndSHA256, suites.Ed25519}},
			&wire.EncryptedClientHelloExt{Type: wire.ECHInner},
		}}
	copy(hello.Random[:], bytes.Repeat([]byte{0x11}, 32))
	hello.Extensions = append(hello.Extensions, exts...)
	return hello
}

// echScriptedClient holds the HPKE context of a scripted ECH offer.
type echScriptedClient struct {
	t      testing.TB
	config *wire.ECHConfig
	sender *hpke.Sender
	enc    []byte
	suite  wire.HPKESymmetricCipherSuite
}

func newECHScriptedClient(t testing.TB, key EncryptedClientHelloKey) *echScriptedClient {
	t.Helper()
	list, _ := ECHConfigList([]EncryptedClientHelloKey{key})
	config, suite, err := chooseECHConfig(list)
	if err != nil {
		t.Fatal(err)
	}
	kem, kdf, aead, _ := echCipherSuite(config.KEM, suite)
	pub, err := kem.NewPublicKey(config.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	enc, sender, err := hpke.NewSender(pub, kdf, aead, echInfo(config.Raw))
	if err != nil {
		t.Fatal(err)
	}
	return &echScriptedClient{t: t, config: config, sender: sender, enc: enc, suite: suite}
}

// outer seals encoded (an EncodedClientHelloInner) into an outer hello
// built from base: base's fields and extensions but the public name and
// the outer encrypted_client_hello, which edit may change before sealing.
func (s *echScriptedClient) outer(base *wire.ClientHello, encoded []byte, edit func(*wire.EncryptedClientHelloExt)) *wire.ClientHello {
	s.t.Helper()
	outer := *base
	outer.Extensions = nil
	for _, e := range base.Extensions {
		switch e.(type) {
		case *wire.ServerNameExt:
			outer.Extensions = append(outer.Extensions, &wire.ServerNameExt{HostName: s.config.PublicName})
		case *wire.EncryptedClientHelloExt, *wire.ECHOuterExtensionsExt:
		default:
			outer.Extensions = append(outer.Extensions, e)
		}
	}
	ext := &wire.EncryptedClientHelloExt{Type: wire.ECHOuter, CipherSuite: s.suite, ConfigID: s.config.ConfigID,
		Enc: s.enc, Payload: make([]byte, len(encoded)+echTagLen)}
	if edit != nil {
		edit(ext)
	}
	outer.Extensions = append(outer.Extensions, ext)
	aad, err := wire.ClientHelloBody(&outer)
	if err != nil {
		s.t.Fatal(err)
	}
	if ext.Payload, err = s.sender.Seal(aad, encoded); err != nil {
		s.t.Fatal(err)
	}
	return &outer
}

// encode is EncodedClientHelloInner with the given padding.
func echEncode(t testing.TB, inner *wire.ClientHello, padding []byte) []byte {
	t.Helper()
	c := *inner
	c.SessionID = nil
	body, err := wire.ClientHelloBody(&c)
	if err != nil {
		t.Fatal(err)
	}
	return append(body, padding...)
}

// serverRefusesECH sends outer to a clasp server with key and expects
// desc.
func serverRefusesECH(t *testing.T, key EncryptedClientHelloKey, desc wire.AlertDescription, outer *wire.ClientHello) {
	t.Helper()
	run := startScripted(t, false, &Config{Certificates: []Certificate{testCerts(t).sniA, testCerts(t).ecdsaLeaf},
		EncryptedClientHelloKeys: []EncryptedClientHelloKey{key}})
	run.peer.sendMessages(outer)
	run.peer.expectAlert(desc)
	wantClaspFailure(t, run.wait(), "", desc)
}

// RFC 9849 §5.1: "If any padding byte is nonzero, the server MUST abort
// the connection with an "illegal_parameter" alert."
func TestServerRejectsECHNonzeroPadding(t *testing.T) {
	key, _ := echTestKey(t, 20)
	s := newECHScriptedClient(t, key)
	inner := echInner13(t)
	serverRefusesECH(t, key, wire.AlertIllegalParameter, s.outer(inner, echEncode(t, inner, []byte{0, 0, 1, 0}), nil))
}

// RFC 9849 §7: "A shared mode server which receives a ClientHello with
// ECHClientHello.type of inner MUST abort with an "illegal_parameter"
// alert".
func TestServerRejectsInnerECHFromNetwork(t *testing.T) {
	key, _ := echTestKey(t, 21)
	serverRefusesECH(t, key, wire.AlertIllegalParameter, echInner13(t))
}

// RFC 9849 §7: "If ECHClientHello.type is not a valid
// ECHClientHelloType, then the server MUST abort with an
// "illegal_parameter" alert"; a body that does not parse is decode_error
// (RFC 8446 §6.2). A server without ECH keys ignores the extension, as
// one that does not implement it (RFC 8446 §4.2; crypto/tls and OpenSSL
// do the same), so that GREASE-like or truncated values from real
// clients do not break it.
func TestServerRejectsMalformedECHOnlyWithKeys(t *testing.T) {
	key, _ := echTestKey(t, 29)
	for _, tc := range []struct {
		body []byte
		desc wire.AlertDescription
	}{{[]byte{2}, wire.AlertIllegalParameter}, {nil, wire.AlertDecodeError}, {[]byte{0, 0, 1, 0, 1, 5, 0, 0, 0, 0}, wire.AlertDecodeError}} {
		hello := echInner13(t, &wire.UnknownExt{Code: wire.ExtEncryptedClientHello, Data: tc.body})
		hello.Extensions = slices.Delete(hello.Extensions, 5, 6) // the inner mark
		serverRefusesECH(t, key, tc.desc, hello)

		client, server := net.Pipe()
		go func() {
			_ = Server(server, &Config{Certificates: []Certificate{testCerts(t).sniA}}).Handshake()
			server.Close()
		}()
		p := &scriptedPeer{t: t, conn: client, recVs: VersionTLS10}
		p.sendMessages(hello)
		msg := newPeer13(t, client)
		if m, _ := msg.readMessage(); m.Type() != wire.TypeServerHello {
			t.Fatalf("a server without ECH keys answered %v to an ECH extension %x", m.Type(), tc.body)
		}
		client.Close()
	}
}

// RFC 9849 §7.1: the client-facing server "checks that the message
// includes a well-formed "encrypted_client_hello" extension of type inner
// and that it does not offer TLS 1.2 or below. If either of these checks
// fails, the client-facing server MUST abort with an "illegal_parameter"
// alert."
func TestServerRejectsECHInnerWithoutInnerExtension(t *testing.T) {
	key, _ := echTestKey(t, 22)
	s := newECHScriptedClient(t, key)
	inner := echInner13(t)
	inner.Extensions = slices.DeleteFunc(inner.Extensions, func(e wire.Extension) bool { _, ok := e.(*wire.EncryptedClientHelloExt); return ok })
	serverRefusesECH(t, key, wire.AlertIllegalParameter, s.outer(inner, echEncode(t, inner, nil), nil))
}

func TestServerRejectsECHInnerOfferingTLS12(t *testing.T) {
	key, _ := echTestKey(t, 23)
	s := newECHScriptedClient(t, key)
	inner := echInner13(t)
	replaceExtension(inner.Extensions, &wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13, suites.VersionTLS12}})
	serverRefusesECH(t, key, wire.AlertIllegalParameter, s.outer(inner, echEncode(t, inner, nil), nil))
}

// RFC 9849 §5.1: with ech_outer_extensions "The server MUST abort the
// connection with an "illegal_parameter" alert if any of the following are
// true: Any referenced extension is missing in ClientHelloOuter. Any
// extension is referenced in OuterExtensions more than once.
// "encrypted_client_hello" is referenced in OuterExtensions. The
// extensions in ClientHelloOuter corresponding to those in OuterExtensions
// do not occur in the same order."
func TestServerRejectsBadECHOuterExtensions(t *testing.T) {
	cases := map[string][]wire.ExtensionType{
		"missing":        {wire.ExtALPN},
		"twice":          {wire.ExtSupportedGroups, wire.ExtSupportedGroups},
		"ech referenced": {wire.ExtEncryptedClientHello},
		"out of order":   {wire.ExtSignatureAlgorithms, wire.ExtSupportedGroups},
	}
	for name, refs := range cases {
		t.Run(name, func(t *testing.T) {
			key, _ := echTestKey(t, 24)
			s := newECHScriptedClient(t, key)
			base := echInner13(t)
			// The inner hello keeps server_name, supported_versions,
			// key_share and its encrypted_client_hello; the rest comes
			// from the outer hello by reference.
			inner := *base
			inner.Extensions = []wire.Extension{base.Extensions[0], base.Extensions[1], base.Extensions[3],
				&wire.ECHOuterExtensionsExt{Types: refs}, base.Extensions[5]}
			serverRefusesECH(t, key, wire.AlertIllegalParameter, s.outer(base, echEncode(t, &inner, nil), nil))
		})
	}
}

// A well-formed reference is accepted: the same construction with the
// outer hello's order goes through, so the cases above fail for the reason
// they name.
func TestServerExpandsECHOuterExtensions(t *testing.T) {
	key, _ := echTestKey(t, 25)
	s := newECHScriptedClient(t, key)
	base := echInner13(t)
	inner := *base
	inner.Extensions = []wire.Extension{base.Extensions[0], base.Extensions[1], base.Extensions[3],
		&wire.ECHOuterExtensionsExt{Types: []wire.ExtensionType{wire.ExtSupportedGroups, wire.ExtSignatureAlgorithms}}, base.Extensions[5]}
	names := make(chan string, 1)
	run := startScripted(t, false, &Config{EncryptedClientHelloKeys: []EncryptedClientHelloKey{key},
		GetCertificate: func(info *ClientHelloInfo) (*Certificate, error) {
			names <- info.ServerName
			return &testCerts(t).sniA, nil
		}})
	run.peer.sendMessages(s.outer(base, echEncode(t, &inner, nil), nil))
	p := newPeer13(t, run.peer.conn)
	msg, _ := p.readMessage()
	sh, ok := msg.(*wire.ServerHello)
	if !ok || sh.IsHelloRetryRequest() {
		t.Fatalf("server answered %v", msg.Type())
	}
	if name := <-names; name != "a.test" {
		t.Fatalf("server chose its certificate for %q, want the inner hello's a.test", name)
	}
}

// echServerAfterRetry sends a clasp server (P-256 only, so it asks for a
// HelloRetryRequest) an accepted outer hello and returns what the second
// hello needs.
func echServerAfterRetry(t *testing.T, key EncryptedClientHelloKey) (*scriptedRun, *echScriptedClient, *wire.ClientHello) {
	t.Helper()
	s := newECHScriptedClient(t, key)
	inner := echInner13(t)
	run := startScripted(t, false, &Config{Certificates: []Certificate{testCerts(t).sniA}, CurvePreferences: []CurveID{CurveP256},
		EncryptedClientHelloKeys: []EncryptedClientHelloKey{key}})
	run.peer.sendMessages(s.outer(inner, echEncode(t, inner, nil), nil))
	p := newPeer13(t, run.peer.conn)
	msg, _ := p.readMessage()
	hrr, ok := msg.(*wire.ServerHello)
	if !ok || !hrr.IsHelloRetryRequest() {
		t.Fatalf("server answered %v, want a HelloRetryRequest", msg.Type())
	}
	if _, ok := wire.FindExtension[*wire.EncryptedClientHelloExt](hrr.Extensions); !ok {
		t.Fatal("the HelloRetryRequest does not confirm ECH")
	}
	inner2 := *inner
	inner2.Extensions = slices.Clone(inner.Extensions)
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	replaceExtension(inner2.Extensions, &wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: suites.Secp256r1, KeyExchange: priv.PublicKey().Bytes()}}})
	return run, s, &inner2
}

// RFC 9849 §7.1.1: after accepting ECH and sending a HelloRetryRequest,
// the server "checks the second ClientHelloOuter also contains the
// "encrypted_client_hello" extension. If not, it MUST abort the handshake
// with a "missing_extension" alert. Otherwise, it checks that
// ECHClientHello.cipher_suite and ECHClientHello.config_id are unchanged,
// and that ECHClientHello.enc is empty. If not, it MUST abort the
// handshake with an "illegal_parameter" alert. ... If decryption fails,
// the client-facing server MUST abort the handshake with a
// "decrypt_error" alert."
func TestServerRejectsBadSecondECHOuter(t *testing.T) {
	cases := []struct {
		name string
		desc wire.AlertDescription
		edit func(s *echScriptedClient, outer *wire.ClientHello)
	}{
		{"no extension", wire.AlertMissingExtension, func(_ *echScriptedClient, o *wire.ClientHello) {
			o.Extensions = slices.DeleteFunc(o.Extensions, func(e wire.Extension) bool { _, ok := e.(*wire.EncryptedClientHelloExt); return ok })
		}},
		{"config_id changed", wire.AlertIllegalParameter, func(_ *echScriptedClient, o *wire.ClientHello) {
			ext, _ := wire.FindExtension[*wire.EncryptedClientHelloExt](o.Extensions)
			ext.ConfigID++
		}},
		{"enc not empty", wire.AlertIllegalParameter, func(s *echScriptedClient, o *wire.ClientHello) {
			ext, _ := wire.FindExtension[*wire.EncryptedClientHelloExt](o.Extensions)
			ext.Enc = s.enc
		}},
		{"payload does not decrypt", wire.AlertDecryptError, func(_ *echScriptedClient, o *wire.ClientHello) {
			ext, _ := wire.FindExtension[*wire.EncryptedClientHelloExt](o.Extensions)
			ext.Payload[0] ^= 1
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key, _ := echTestKey(t, 26)
			run, s, inner2 := echServerAfterRetry(t, key)
			outer2 := s.outer(inner2, echEncode(t, inner2, nil), func(e *wire.EncryptedClientHelloExt) { e.Enc = nil })
			tc.edit(s, outer2)
			run.peer.sendMessages(outer2)
			run.peer.expectAlert(tc.desc)
			wantClaspFailure(t, run.wait(), "", tc.desc)
		})
	}
}

// RFC 9849 §7.1: a payload no key opens (a stale config, or GREASE) is not
// an error: the server answers the outer hello, naming the public name.
func TestServerAnswersOuterHelloItCannotDecrypt(t *testing.T) {
	key, _ := echTestKey(t, 27)
	other, _ := echTestKey(t, 28)
	s := newECHScriptedClient(t, other)
	inner := echInner13(t)
	run := startScripted(t, false, &Config{Certificates: []Certificate{testCerts(t).sniA, testCerts(t).ecdsaLeaf},
		EncryptedClientHelloKeys: []EncryptedClientHelloKey{key}})
	run.peer.sendMessages(s.outer(inner, echEncode(t, inner, nil), nil))
	p := newPeer13(t, run.peer.conn)
	if msg, _ := p.readMessage(); msg.Type() != wire.TypeServerHello {
		t.Fatalf("server answered %v", msg.Type())
	}
	if run.conn.state.echAccepted {
		t.Fatal("ECH accepted with a key that does not match")
	}
}

// ---- a clasp ECH client against a scripted server ----

func echClientConfig13(t testing.TB, seed byte) (*Config, EncryptedClientHelloKey) {
	key, list := echTestKey(t, seed)
	return &Config{RootCAs: testCerts(t).caPool, ServerName: "a.test", EncryptedClientHelloConfigList: list}, key
}

// RFC 9849 §6.1.4: an encrypted_client_hello in a HelloRetryRequest "has
// a length other than 8, the client aborts the handshake with a
// "decode_error" alert."
func TestClientRejectsECHHelloRetryConfirmationLength(t *testing.T) {
	cfg, _ := echClientConfig13(t, 30)
	clientRefusesHelloRetryRequest13(t, cfg, wire.AlertDecodeError,
		&wire.KeyShareExt{SelectedGroup: suites.Secp256r1}, &wire.UnknownExt{Code: wire.ExtEncryptedClientHello, Data: make([]byte, 7)})
}

// RFC 9849 §6.1.6: retry_configs in EncryptedExtensions that are not
// syntactically valid: "the client MUST abort the connection with a
// "decode_error" alert".
func TestClientRejectsMalformedECHRetryConfigs(t *testing.T) {
	cfg, _ := echClientConfig13(t, 31)
	clientRefusesEncryptedExtensions13(t, cfg, wire.AlertDecodeError, nil,
		&wire.UnknownExt{Code: wire.ExtEncryptedClientHello, Data: []byte{0, 3, 1, 2, 3}})
}

// RFC 9849 §5 (a ServerHello is not where encrypted_client_hello goes)
// and RFC 8446 §4.2: a recognised extension "not specified for the
// message in which it appears" is illegal_parameter.
func TestClientRejectsECHInServerHello(t *testing.T) {
	cfg, _ := echClientConfig13(t, 32)
	clientRefusesServerHello13(t, cfg, wire.AlertIllegalParameter, func(_ *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, &wire.UnknownExt{Code: wire.ExtEncryptedClientHello, Data: make([]byte, 8)})
	})
}

// echAcceptingPeer opens the clasp client's outer hello with key, and
// turns p's transcript into the inner handshake's.
func echAcceptingPeer(t *testing.T, p *peer13, key EncryptedClientHelloKey, outer *wire.ClientHello) *wire.ClientHello {
	t.Helper()
	ext, _ := wire.FindExtension[*wire.EncryptedClientHelloExt](outer.Extensions)
	aad, err := echOuterAAD(outer)
	if err != nil {
		t.Fatal(err)
	}
	encoded, recipient := tryECHKey(key, ext, aad)
	if recipient == nil {
		t.Fatal("the scripted server cannot open the client's hello")
	}
	inner, innerRaw, err := decodeClientHelloInner(outer, encoded)
	if err != nil {
		t.Fatal(err)
	}
	p.tr = keys.NewTranscript()
	p.tr.Write(innerRaw)
	return inner
}

// confirm writes the acceptance confirmation into sh (RFC 9849 §7.2).
func (p *peer13) confirmECH(inner *wire.ClientHello, sh *wire.ServerHello) {
	p.t.Helper()
	clear(sh.Random[24:])
	raw, err := sh.Marshal()
	if err != nil {
		p.t.Fatal(err)
	}
	copy(sh.Random[24:], echConfirmation(suites.SuiteByID(sh.CipherSuite).PRFHash, inner.Random[:], echAcceptLabel,
		echTranscriptHash(p.tr, suites.SuiteByID(sh.CipherSuite).PRFHash, raw)))
}

// RFC 9849 §5: retry_configs are "valid only when the server used the
// ClientHelloOuter. If the server sent this extension in response to the
// inner variant, then the client MUST abort with an
// "unsupported_extension" alert."
func TestClientRejectsECHRetryConfigsAfterAcceptance(t *testing.T) {
	cfg, key := echClientConfig13(t, 33)
	run, p, outer := startClient13(t, cfg)
	inner := echAcceptingPeer(t, p, key, outer)
	sh, shared := serverHello13(t, inner)
	p.confirmECH(inner, sh)
	p.acceptHello(sh, shared)
	list, _ := ECHConfigList([]EncryptedClientHelloKey{key})
	p.send(&wire.EncryptedExtensions{Extensions: []wire.Extension{&wire.EncryptedClientHelloExt{RetryConfigs: list}}})
	p.flush()
	p.expectAlert(wire.AlertUnsupportedExtension)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertUnsupportedExtension)
}

// The same scripted server without the extension completes the handshake
// with ECH accepted: the test above fails for the reason it names.
func TestClientAcceptsScriptedECHServer(t *testing.T) {
	cfg, key := echClientConfig13(t, 34)
	run, p, outer := startClient13(t, cfg)
	inner := echAcceptingPeer(t, p, key, outer)
	sh, shared := serverHello13(t, inner)
	p.confirmECH(inner, sh)
	p.acceptHello(sh, shared)
	leaf := testCerts(t).sniA
	p.send(&wire.EncryptedExtensions{}, certificate13(leaf))
	p.send(p.certificateVerify(leaf, suites.ECDSAWithP256AndSHA256, serverSignatureContext))
	p.finishAsServer(run)
	if !run.conn.ConnectionState().ECHAccepted {
		t.Fatal("ECH not accepted")
	}
}

// RFC 9849 §6.1.5: after a HelloRetryRequest that accepted ECH, "If the
// ServerHello does not also indicate ECH acceptance, the client MUST
// terminate the connection with an "illegal_parameter" alert."
func TestClientRejectsServerHelloWithoutECHConfirmationAfterRetry(t *testing.T) {
	cfg, key := echClientConfig13(t, 35)
	run, p, outer := startClient13(t, cfg)
	inner := echAcceptingPeer(t, p, key, outer)
	hrr := helloRetryRequest13(inner, &wire.KeyShareExt{SelectedGroup: suites.Secp256r1},
		&wire.EncryptedClientHelloExt{Confirmation: make([]byte, 8)})
	hash := suites.SuiteByID(hrr.CipherSuite).PRFHash
	p.tr.SetHash(suites.VersionTLS13, hash)
	p.tr.ReplaceWithMessageHash()
	zeroed, err := hrr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := wire.FindExtension[*wire.EncryptedClientHelloExt](hrr.Extensions)
	ext.Confirmation = echConfirmation(hash, inner.Random[:], echHRRAcceptLabel, p.tr.SumWith(zeroed))
	p.send(hrr)
	p.flush()
	outer2, _ := p.readClientHello()
	priv, _ := ecdh.P256().GenerateKey(rand.Reader)
	sh := serverHelloAfterRetry13(outer2, suites.TLS_AES_128_GCM_SHA256, wire.KeyShareEntry{Group: suites.Secp256r1, KeyExchange: priv.PublicKey().Bytes()})
	p.send(sh) // a random that confirms nothing
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

// FuzzECHDecodeClientHelloInner feeds decrypted payloads to the server's
// reconstruction of the ClientHelloInner (RFC 9849 §5.1): it never panics,
// and what it accepts is a hello with an inner encrypted_client_hello that
// offers TLS 1.3 only, re-marshalled to the bytes it returns.
func FuzzECHDecodeClientHelloInner(f *testing.F) {
	outer := echInner13(f)
	outer.Extensions = append(outer.Extensions[:5], &wire.ALPNExt{Protocols: []string{"h2"}})
	base := echInner13(f)
	f.Add(echEncode(f, base, make([]byte, 7)))
	compressed := *base
	compressed.Extensions = []wire.Extension{base.Extensions[0], base.Extensions[1],
		&wire.ECHOuterExtensionsExt{Types: []wire.ExtensionType{wire.ExtSupportedGroups, wire.ExtKeyShare, wire.ExtALPN}}, base.Extensions[5]}
	f.Add(echEncode(f, &compressed, nil))
	f.Fuzz(func(t *testing.T, encoded []byte) {
		inner, raw, err := decodeClientHelloInner(outer, encoded)
		if err != nil {
			return
		}
		if ext, ok := wire.FindExtension[*wire.EncryptedClientHelloExt](inner.Extensions); !ok || ext.Type != wire.ECHInner {
			t.Fatal("accepted an inner hello without its inner extension")
		}
		again, err := inner.Marshal()
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("returned bytes are not the hello's: %v", err)
		}
	})
}

package clasp

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// Negative tests: a scripted peer sends what a real clasp peer never would,
// and clasp must fail with the alert the RFC names, at the step where the
// problem is visible.

// ---- helpers ----

// scriptedServerHello chooses suite and echoes the extensions a
// well-behaved server would.
func scriptedServerHello(suite suites.ID) *wire.ServerHello {
	sh := &wire.ServerHello{Version: suites.VersionTLS12, CipherSuite: suite,
		Extensions: []wire.Extension{&wire.RenegotiationInfoExt{}, &wire.ExtendedMasterSecretExt{}}}
	copy(sh.Random[:], bytes.Repeat([]byte{0x5e}, 32))
	return sh
}

// signedECDHE builds a ServerKeyExchange for group whose signature over
// client_random + server_random + params verifies with key, so that the
// checks after the signature are what a test reaches.
func signedECDHE(t *testing.T, ch *wire.ClientHello, sh *wire.ServerHello, group suites.Group, key crypto.Signer, scheme suites.SignatureScheme) *wire.ServerKeyExchange {
	t.Helper()
	curve := map[suites.Group]ecdh.Curve{suites.X25519: ecdh.X25519(), suites.Secp256r1: ecdh.P256(), suites.Secp384r1: ecdh.P384()}[group]
	priv, err := curve.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ske := &wire.ServerKeyExchange{KeyExchange: suites.KexECDHE,
		ECDHE: &wire.ECDHEParams{CurveType: wire.CurveTypeNamedCurve, Group: group, Public: priv.PublicKey().Bytes()}}
	sig, err := signature.Sign(key, scheme, rand.Reader, signedParams(ch.Random[:], sh.Random[:], ske.Params()))
	if err != nil {
		t.Fatal(err)
	}
	ske.Signature = &wire.DigitallySigned{HasScheme: true, Scheme: scheme, Signature: sig}
	return ske
}

// scriptedClientHello is a ClientHello like clasp's own, offering ids.
func scriptedClientHello(ids ...suites.ID) *wire.ClientHello {
	if len(ids) == 0 {
		ids = suites.DefaultSuites()
	}
	ch := &wire.ClientHello{Version: suites.VersionTLS12, CipherSuites: ids, CompressionMethods: []uint8{0},
		Extensions: []wire.Extension{
			&wire.ServerNameExt{HostName: "localhost"},
			&wire.SupportedGroupsExt{Groups: []suites.Group{suites.X25519, suites.Secp256r1}},
			&wire.ECPointFormatsExt{Formats: []uint8{0}},
			&wire.SignatureAlgorithmsExt{Schemes: suites.DefaultSignatureSchemes()},
			&wire.ExtendedMasterSecretExt{},
			&wire.RenegotiationInfoExt{},
		}}
	copy(ch.Random[:], bytes.Repeat([]byte{0xc1}, 32))
	return ch
}

// clientRefusesServerHello12 starts a clasp client with cfg (see
// clientVersusScript), answers it with scriptedServerHello(suite) changed by
// edit (which also sees the ClientHello, to check what the client offered),
// and checks that the client aborts with desc while reading the
// ServerHello.
func clientRefusesServerHello12(t *testing.T, cfg *Config, suite suites.ID, desc wire.AlertDescription, edit func(ch *wire.ClientHello, sh *wire.ServerHello)) {
	t.Helper()
	run, ch := clientVersusScript(t, cfg)
	sh := scriptedServerHello(suite)
	edit(ch, sh)
	run.peer.sendMessages(sh)
	run.peer.expectAlert(desc)
	wantClaspFailure(t, run.wait(), "read ServerHello", desc)
}

// wantClaspFailure checks clasp's handshake error: a HandshakeError at
// step, carrying a *wire.Error with the alert, which was sent.
func wantClaspFailure(t *testing.T, err error, step string, desc wire.AlertDescription) {
	t.Helper()
	var he *HandshakeError
	if !errors.As(err, &he) {
		t.Fatalf("error %v (%T), want a *HandshakeError", err, err)
	}
	if step != "" && he.Step != step {
		t.Errorf("failed at step %q, want %q (error: %v)", he.Step, step, err)
	}
	var we *wire.Error
	if !errors.As(err, &we) || we.Alert != desc {
		t.Errorf("error %v does not carry a *wire.Error with %s", err, desc)
	}
	if !he.AlertSent || wire.AlertDescription(he.Alert) != desc {
		t.Errorf("HandshakeError says alert %s sent=%v, want %s sent", wire.AlertDescription(he.Alert), he.AlertSent, desc)
	}
}

// clientVersusScript starts a clasp client with cfg (testClientConfig when
// nil) and reads its ClientHello.
func clientVersusScript(t *testing.T, cfg *Config) (*scriptedRun, *wire.ClientHello) {
	t.Helper()
	if cfg == nil {
		cfg = testClientConfig(t)
	}
	run := startScripted(t, true, cfg)
	return run, run.peer.readClientHello()
}

// ---- client against a scripted server ----

func TestClientRejectsServerHelloWithUnofferedSuite(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.sendMessages(scriptedServerHello(suites.TLS_RSA_WITH_AES_128_GCM_SHA256))
	run.peer.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

func TestClientRejectsServerHelloVersionOutsideItsRange(t *testing.T) {
	for _, v := range []suites.Version{suites.VersionTLS11, suites.VersionTLS13, 0x0200} {
		t.Run(v.String(), func(t *testing.T) {
			run, _ := clientVersusScript(t, nil)
			sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
			sh.Version = v
			run.peer.sendMessages(sh)
			run.peer.expectAlert(wire.AlertProtocolVersion)
			err := run.wait()
			var ne *NegotiationError
			if !errors.As(err, &ne) || ne.What != "protocol version" {
				t.Fatalf("error %v, want a NegotiationError for the protocol version", err)
			}
			if alertOf(err) != int(wire.AlertProtocolVersion) {
				t.Errorf("sent %s", wire.AlertDescription(alertOf(err)))
			}
		})
	}
}

func TestClientRejectsServerHelloCompression(t *testing.T) {
	clientRefusesServerHello12(t, nil, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.CompressionMethod = 1
	})
}

// RFC 5246 §7.4.1.4: a server sends only extensions the client offered.
func TestClientRejectsUnofferedServerHelloExtension(t *testing.T) {
	for name, ext := range map[string]wire.Extension{
		"session_ticket": &wire.SessionTicketExt{},
		"unknown":        &wire.UnknownExt{Code: 0x1234, Data: []byte{1, 2}},
		"alpn":           &wire.ALPNExt{Protocols: []string{"h2"}}, // the default client offers no ALPN
	} {
		t.Run(name, func(t *testing.T) {
			clientRefusesServerHello12(t, nil, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertUnsupportedExtension, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				sh.Extensions = append(sh.Extensions, ext)
			})
		})
	}
}

// RFC 8446 §4.2: "If an implementation receives an extension which it
// recognizes and which it did not send in the ClientHello ... it MUST
// abort the handshake with an "unsupported_extension" alert." A client
// configured for TLS 1.2 at most sends no supported_versions, so a
// ServerHello selecting TLS 1.3 through it chose a version never offered.
func TestClientRejectsSupportedVersionsWhenTLS13NotOffered(t *testing.T) {
	cfg := testClientConfig(t)
	cfg.MaxVersion = VersionTLS12
	clientRefusesServerHello12(t, cfg, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertUnsupportedExtension, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		if _, ok := wire.FindExtension[*wire.SupportedVersionsExt](ch.Extensions); ok {
			t.Fatal("a TLS 1.2 client offered supported_versions")
		}
		sh.Extensions = append(sh.Extensions, &wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}})
	})
}

// RFC 5746 §3.4: on an initial handshake renegotiated_connection is empty.
func TestClientRejectsNonEmptyRenegotiationInfo(t *testing.T) {
	clientRefusesServerHello12(t, nil, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertHandshakeFailure, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions[0] = &wire.RenegotiationInfoExt{Data: bytes.Repeat([]byte{7}, 24)}
	})
}

func TestClientRejectsALPNProtocolItDidNotOffer(t *testing.T) {
	cfg := testClientConfig(t)
	cfg.NextProtos = []string{"h2"}
	clientRefusesServerHello12(t, cfg, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, &wire.ALPNExt{Protocols: []string{"http/1.1"}})
	})
}

func TestClientRejectsCertificateInsteadOfServerHello(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.sendMessages(&wire.Certificate{Certificates: testCerts(t).ecdsaLeaf.Certificate})
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
}

// A ServerKeyExchange cannot be parsed before ServerHello has named the key
// exchange. It is still the wrong message at that point: the peer broke
// the protocol, so the alert is unexpected_message, not internal_error
// (which would blame clasp itself).
func TestClientRejectsServerKeyExchangeInsteadOfServerHello(t *testing.T) {
	run, ch := clientVersusScript(t, nil)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	ske := signedECDHE(t, ch, sh, suites.X25519, testCerts(t).ecdsaLeaf.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256)
	run.peer.sendMessages(ske)
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
}

// Found by FuzzClientHandshake: likewise a ClientKeyExchange (a message
// only a client sends) in place of ServerHello.
func TestClientRejectsClientKeyExchangeInsteadOfServerHello(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.sendMessages(&wire.ClientKeyExchange{KeyExchange: suites.KexECDHE, Data: bytes.Repeat([]byte{9}, 32)})
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
}

func TestClientRejectsServerHelloDoneBeforeCertificate(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.sendMessages(scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256), &wire.ServerHelloDone{})
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read server Certificate", wire.AlertUnexpectedMessage)
}

// The client verifies the ServerKeyExchange signature before it looks at
// the group (readServerKeyExchange: verifyServerKeyExchange, then the
// group check), so the test signs properly to reach the group check.
func TestClientRejectsServerKeyExchangeGroupItDidNotOffer(t *testing.T) {
	cfg := testClientConfig(t)
	cfg.Groups = []CurveID{X25519}
	run, ch := clientVersusScript(t, cfg)
	p := testCerts(t)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	ske := signedECDHE(t, ch, sh, suites.Secp256r1, p.ecdsaLeaf.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256)
	run.peer.sendMessages(sh, &wire.Certificate{Certificates: p.ecdsaLeaf.Certificate}, ske, &wire.ServerHelloDone{})
	run.peer.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerKeyExchange", wire.AlertIllegalParameter)
}

func TestClientRejectsServerKeyExchangeWithBadSignature(t *testing.T) {
	run, ch := clientVersusScript(t, nil)
	p := testCerts(t)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	// Signed by a different key than the certificate's.
	ske := signedECDHE(t, ch, sh, suites.X25519, p.sniA.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256)
	run.peer.sendMessages(sh, &wire.Certificate{Certificates: p.ecdsaLeaf.Certificate}, ske, &wire.ServerHelloDone{})
	run.peer.expectAlert(wire.AlertDecryptError)
	wantClaspFailure(t, run.wait(), "read ServerKeyExchange", wire.AlertDecryptError)
}

func TestClientRejectsServerKeyExchangeForRSAKeyExchange(t *testing.T) {
	cfg := testClientConfig(t)
	cfg.CipherSuites = []uint16{uint16(suites.TLS_RSA_WITH_AES_128_GCM_SHA256)}
	run, ch := clientVersusScript(t, cfg)
	p := testCerts(t)
	sh := scriptedServerHello(suites.TLS_RSA_WITH_AES_128_GCM_SHA256)
	ske := signedECDHE(t, ch, sh, suites.X25519, p.rsaLeaf.PrivateKey.(crypto.Signer), suites.PSSWithSHA256)
	run.peer.sendMessages(sh, &wire.Certificate{Certificates: p.rsaLeaf.Certificate}, ske, &wire.ServerHelloDone{})
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerKeyExchange", wire.AlertUnexpectedMessage)
}

// RFC 5246 §7.1: ChangeCipherSpec comes after the client's own flight; one
// that arrives while the server's flight is still being read is an attack
// (CCS injection, CVE-2014-0224) or a broken peer.
func TestClientRejectsEarlyChangeCipherSpec(t *testing.T) {
	run, ch := clientVersusScript(t, nil)
	p := testCerts(t)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	ske := signedECDHE(t, ch, sh, suites.X25519, p.ecdsaLeaf.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256)
	run.peer.send(run.peer.handshakeRecord(sh, &wire.Certificate{Certificates: p.ecdsaLeaf.Certificate}, ske),
		rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, wire.ChangeCipherSpec))
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read CertificateRequest", wire.AlertUnexpectedMessage)
}

func TestClientRejectsUnknownContentType(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	run.peer.send(run.peer.handshakeRecord(sh), rawRecord(99, VersionTLS12, []byte{1, 2, 3}))
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read server Certificate", wire.AlertUnexpectedMessage)
}

// Heartbeat (24) looks like TLS in the first header but is never
// negotiated by clasp.
func TestClientRejectsHeartbeatRecord(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.send(rawRecord(wire.ContentHeartbeat, VersionTLS12, []byte{1, 0, 3, 'a', 'b', 'c'}))
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
}

// An HTTP server on the TLS port: clasp must say it is not TLS, and has
// nobody to send an alert to.
func TestClientReportsNonTLSPeer(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.send([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	err := run.wait()
	var nt *record.NotTLSError
	if !errors.As(err, &nt) {
		t.Fatalf("error %v, want a record.NotTLSError", err)
	}
	if !strings.Contains(err.Error(), "HTTP") {
		t.Errorf("error %q does not name HTTP", err)
	}
	if alertOf(err) != -1 {
		t.Errorf("sent alert %s to a non-TLS peer", wire.AlertDescription(alertOf(err)))
	}
	run.peer.expectNoMoreBytes()
}

// RFC 5246 §7.4.1.1: a HelloRequest during a handshake is ignored. The
// client then reaches the ServerHello check, which proves it skipped it.
func TestClientIgnoresHelloRequestDuringHandshake(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.sendMessages(&wire.HelloRequest{}, scriptedServerHello(suites.TLS_RSA_WITH_AES_128_GCM_SHA256))
	run.peer.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

// A fatal alert instead of ServerHello becomes an OfferRejectedError that
// lists what the client offered, since that is all the client can show.
func TestClientReportsOfferRejected(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	run.peer.send(rawRecord(wire.ContentAlert, VersionTLS12, wire.Alert{Level: wire.AlertLevelFatal, Description: wire.AlertHandshakeFailure}.Marshal()))
	err := run.wait()
	var oe *OfferRejectedError
	if !errors.As(err, &oe) || oe.Alert.Name() != "handshake_failure" {
		t.Fatalf("error %v, want an OfferRejectedError for handshake_failure", err)
	}
	if !slices.Equal(oe.CipherSuites, suiteNames(suites.DefaultSuites())) {
		t.Errorf("OfferRejectedError lists suites %q", oe.CipherSuites)
	}
	if alertOf(err) != -1 {
		t.Error("client answered the peer's fatal alert with an alert")
	}
}

// ---- server against a scripted client ----

// serverVersusScript starts a clasp server with cfg (testServerConfig when
// nil) facing a scripted client.
func serverVersusScript(t *testing.T, cfg *Config) *scriptedRun {
	t.Helper()
	if cfg == nil {
		cfg = testServerConfig(t)
	}
	return startScripted(t, false, cfg)
}

// serverAfterHello12 starts a clasp server with cfg (see
// serverVersusScript), sends it scriptedClientHello for ECDHE-ECDSA with
// AES-128-GCM and reads the server's flight through ServerHelloDone: the
// scripted client's second flight is due.
func serverAfterHello12(t *testing.T, cfg *Config) *scriptedRun {
	t.Helper()
	run := serverVersusScript(t, cfg)
	run.peer.sendMessages(scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256))
	run.peer.ctx = wire.Context{Version: suites.VersionTLS12, KeyExchange: suites.KexECDHE}
	run.peer.readUntil(wire.TypeServerHelloDone)
	return run
}

func TestServerRejectsClientHelloWithoutNullCompression(t *testing.T) {
	run := serverVersusScript(t, nil)
	ch := scriptedClientHello()
	ch.CompressionMethods = []uint8{1}
	run.peer.sendMessages(ch)
	run.peer.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertIllegalParameter)
}

func TestServerRejectsTLS10OnlyClient(t *testing.T) {
	run := serverVersusScript(t, nil)
	ch := scriptedClientHello(suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)
	ch.Version = suites.VersionTLS10
	run.peer.recVs = VersionTLS10
	run.peer.sendMessages(ch)
	run.peer.expectAlert(wire.AlertProtocolVersion)
	err := run.wait()
	var ne *NegotiationError
	if !errors.As(err, &ne) {
		t.Fatalf("error %v, want a NegotiationError", err)
	}
	// Both sides are listed, so a person can see which one to change.
	offered := strings.Join(ne.ClientOffered, ", ")
	if ne.What != "protocol version" || !strings.Contains(offered, "TLS 1.0") || strings.Contains(offered, "TLS 1.2") ||
		!slices.Equal(ne.ServerAccepts, []string{"TLS 1.2"}) {
		t.Errorf("NegotiationError %q, want the client's TLS 1.0 and the server's [TLS 1.2]", ne)
	}
	if alertOf(err) != int(wire.AlertProtocolVersion) {
		t.Errorf("sent %s", wire.AlertDescription(alertOf(err)))
	}
}

// RFC 7507 §3: TLS_FALLBACK_SCSV with a version below the server's highest
// means the client was pushed down; the server refuses. The version is the
// one the offer negotiates, whichever way the client signalled it:
// legacy_version without supported_versions (0x0304 there means TLS 1.2,
// RFC 8446 §4.2.1), or supported_versions, which overrides legacy_version.
// OpenSSL 3 answers each of these hellos with inappropriate_fallback too.
func TestServerRejectsFallbackSCSVBelowItsMaxVersion(t *testing.T) {
	tls11 := func(t *testing.T) *Config {
		cfg := testServerConfig(t)
		cfg.MinVersion = VersionTLS11
		return cfg
	}
	tls13 := func(t *testing.T) *Config { return testServerConfig13(t) }
	for name, c := range map[string]struct {
		server   func(t *testing.T) *Config
		legacy   suites.Version
		versions []suites.Version // supported_versions; none when empty
	}{
		"TLS 1.1 in legacy_version, server up to TLS 1.2":     {tls11, suites.VersionTLS11, nil},
		"TLS 1.1 in supported_versions, legacy_version 1.2":   {tls11, suites.VersionTLS12, []suites.Version{suites.VersionTLS11}},
		"TLS 1.2 in legacy_version, server up to TLS 1.3":     {tls13, suites.VersionTLS12, nil},
		"0x0304 in legacy_version without supported_versions": {tls13, suites.VersionTLS13, nil},
		"TLS 1.2 in supported_versions, server up to TLS 1.3": {tls13, suites.VersionTLS12, []suites.Version{suites.VersionTLS12}},
	} {
		t.Run(name, func(t *testing.T) {
			run := serverVersusScript(t, c.server(t))
			ch := helloOffering(c.legacy, c.versions...)
			ch.CipherSuites = append(ch.CipherSuites, suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, suites.TLS_FALLBACK_SCSV)
			run.peer.sendMessages(ch)
			run.peer.expectAlert(wire.AlertInappropriateFallback)
			wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertInappropriateFallback)
		})
	}
}

// The SCSV at the server's own highest version is not a fallback, however
// that version is signalled.
func TestServerAcceptsFallbackSCSVAtItsMaxVersion(t *testing.T) {
	run := serverVersusScript(t, nil)
	run.peer.sendMessages(scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, suites.TLS_FALLBACK_SCSV))
	if msg := run.peer.readMessage(); msg.Type() != wire.TypeServerHello {
		t.Fatalf("server answered %v", msg.Type())
	}
	t.Run("TLS 1.2 server, legacy_version 0x0304", func(t *testing.T) {
		run := serverVersusScript(t, nil)
		ch := helloOffering(suites.VersionTLS13)
		ch.CipherSuites = append(ch.CipherSuites, suites.TLS_FALLBACK_SCSV)
		run.peer.sendMessages(ch)
		expectServerHello(t, run, suites.VersionTLS12)
	})
	t.Run("TLS 1.3 server, TLS 1.3 in supported_versions", func(t *testing.T) {
		run := serverVersusScript(t, testServerConfig13(t))
		ch := helloOffering(suites.VersionTLS12, suites.VersionTLS13, suites.VersionTLS12)
		ch.CipherSuites = append(ch.CipherSuites, suites.TLS_FALLBACK_SCSV)
		run.peer.sendMessages(ch)
		expectServerHello(t, run, suites.VersionTLS13)
	})
}

func TestServerRejectsNonEmptyRenegotiationInfo(t *testing.T) {
	run := serverVersusScript(t, nil)
	ch := scriptedClientHello()
	ch.Extensions[5] = &wire.RenegotiationInfoExt{Data: bytes.Repeat([]byte{9}, 12)}
	run.peer.sendMessages(ch)
	run.peer.expectAlert(wire.AlertHandshakeFailure)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertHandshakeFailure)
}

func TestServerReportsNoCommonCipherSuite(t *testing.T) {
	run := serverVersusScript(t, nil)
	run.peer.sendMessages(scriptedClientHello(suites.TLS_RSA_WITH_AES_128_CBC_SHA))
	run.peer.expectAlert(wire.AlertHandshakeFailure)
	err := run.wait()
	var ne *NegotiationError
	if !errors.As(err, &ne) {
		t.Fatalf("error %v, want a NegotiationError", err)
	}
	want := "no cipher suite in common: client offered [TLS_RSA_WITH_AES_128_CBC_SHA]; server accepts [" +
		strings.Join(suiteNames(suites.DefaultSuites()), ", ") + "]"
	if !strings.HasPrefix(ne.Error(), want) {
		t.Errorf("error %q\nwant prefix %q", ne.Error(), want)
	}
	if alertOf(err) != int(wire.AlertHandshakeFailure) {
		t.Errorf("sent %s", wire.AlertDescription(alertOf(err)))
	}
}

// RFC 5246 §7.4.1.4: no two extensions of the same type. wire refuses to
// marshal that, so the bytes are patched after marshalling: the second of
// two distinct unknown extensions is renamed to the first's code point.
// The RFC names no alert; clasp sends illegal_parameter, as OpenSSL 3 does
// for a repeated extension it knows (see negative_extensions_test.go).
func TestServerRejectsDuplicateExtension(t *testing.T) {
	run := serverVersusScript(t, nil)
	ch := scriptedClientHello()
	ch.Extensions = append(ch.Extensions,
		&wire.UnknownExt{Code: 0xfafa, Data: []byte{0xab}},
		&wire.UnknownExt{Code: 0xfafb, Data: []byte{0xab}})
	raw, err := ch.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	patched := bytes.Replace(raw, []byte{0xfa, 0xfb, 0, 1, 0xab}, []byte{0xfa, 0xfa, 0, 1, 0xab}, 1)
	if bytes.Equal(patched, raw) {
		t.Fatal("patch did not apply")
	}
	run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS12, patched))
	run.peer.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertIllegalParameter)
}

// The same reasoning as on the client: a ClientKeyExchange before
// ClientHello is the wrong message (unexpected_message), not a failure of
// clasp's own (internal_error).
func TestServerRejectsClientKeyExchangeInsteadOfClientHello(t *testing.T) {
	run := serverVersusScript(t, nil)
	run.peer.sendMessages(&wire.ClientKeyExchange{KeyExchange: suites.KexECDHE, Data: bytes.Repeat([]byte{9}, 32)})
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertUnexpectedMessage)
}

// Found by FuzzServerHandshake: a ServerKeyExchange (a message only a
// server sends) as a client's first message is unexpected_message too.
func TestServerRejectsServerKeyExchangeInsteadOfClientHello(t *testing.T) {
	run := serverVersusScript(t, nil)
	// Type 12, any body: the body cannot matter before a key exchange is known.
	run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS10, []byte{byte(wire.TypeServerKeyExchange), 0, 0, 2, 0x30, 0x30}))
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertUnexpectedMessage)
}

// With a certificate required, the client's second flight must start with
// Certificate (empty or not); ClientKeyExchange there skips a step.
func TestServerRejectsClientKeyExchangeWhenCertificateRequired(t *testing.T) {
	cfg := testServerConfig(t)
	cfg.ClientAuth = RequireAnyClientCert
	run := serverAfterHello12(t, cfg)
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	run.peer.sendMessages(&wire.ClientKeyExchange{KeyExchange: suites.KexECDHE, Data: priv.PublicKey().Bytes()})
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read client Certificate", wire.AlertUnexpectedMessage)
}

// tamperConn lets a test change what the clasp client writes: onWrite gets
// the index of the Write call and the bytes, and returns what is sent.
type tamperConn struct {
	net.Conn
	writes  int
	onWrite func(i int, b []byte) []byte
}

func (c *tamperConn) Write(b []byte) (int, error) {
	out := c.onWrite(c.writes, bytes.Clone(b))
	c.writes++
	if _, err := c.Conn.Write(out); err != nil {
		return 0, err
	}
	return len(b), nil
}

// RFC 5246 §7.4.9: a Finished that does not match is decrypt_error. To get
// a Finished that decrypts but is wrong, the client's transcript has to
// differ from the server's while the keys agree. Without the extended
// master secret the keys depend only on the premaster and the randoms, so
// the test changes one byte of an ALPN name in the ClientHello on the wire:
// the server (with no ALPN configured) ignores ALPN, but hashes the changed
// byte, and the two Finished values differ.
func TestServerRejectsWrongFinishedVerifyData(t *testing.T) {
	client := testClientConfig(t)
	client.DisableExtendedMasterSecret = true
	client.NextProtos = []string{"tamper-me"}
	wrap := func(c net.Conn) net.Conn {
		return &tamperConn{Conn: c, onWrite: func(i int, b []byte) []byte {
			if i == 0 {
				return bytes.Replace(b, []byte("tamper-me"), []byte("tamper-ME"), 1)
			}
			return b
		}}
	}
	r := testHandshakeConns(t, client, testServerConfig(t), wrap)
	wantClaspFailure(t, r.serverErr, "read ChangeCipherSpec and Finished", wire.AlertDecryptError)
	wantReceivedAlert(t, "client", r.clientErr, wire.AlertDecryptError)
}

// A flipped bit in the encrypted Finished fails the AEAD tag: the record
// layer reports bad_record_mac before the Finished is even parsed.
func TestServerRejectsTamperedFinishedRecord(t *testing.T) {
	for _, id := range []suites.ID{suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA} {
		t.Run(id.String(), func(t *testing.T) {
			client := testClientConfig(t)
			client.CipherSuites = []uint16{uint16(id)}
			server := testServerConfig(t)
			server.CipherSuites = client.CipherSuites
			wrap := func(c net.Conn) net.Conn {
				return &tamperConn{Conn: c, onWrite: func(i int, b []byte) []byte {
					if i == 1 { // the client's second flight ends with the encrypted Finished
						b[len(b)-1] ^= 0x01
					}
					return b
				}}
			}
			r := testHandshakeConns(t, client, server, wrap)
			wantClaspFailure(t, r.serverErr, "read ChangeCipherSpec and Finished", wire.AlertBadRecordMAC)
			wantReceivedAlert(t, "client", r.clientErr, wire.AlertBadRecordMAC)
		})
	}
}

// The client's side of the same protection: a flipped bit in the server's
// encrypted Finished is bad_record_mac. (A server Finished that decrypts
// but does not match cannot be provoked from outside: the server checks the
// client's Finished, over the same transcript, first.)
func TestClientRejectsTamperedServerFinishedRecord(t *testing.T) {
	cRaw, sRaw := net.Pipe()
	t.Cleanup(func() { cRaw.Close(); sRaw.Close() })
	deadline := time.Now().Add(10 * time.Second)
	_ = cRaw.SetDeadline(deadline)
	_ = sRaw.SetDeadline(deadline)
	client := Client(&readTamperConn{Conn: cRaw, onRead: func(i int, b []byte) {
		if i == 1 { // the server's second flight: ChangeCipherSpec, Finished
			b[len(b)-1] ^= 0x80
		}
	}}, testClientConfig(t))
	server := Server(sRaw, testServerConfig(t))
	serverErr := make(chan error, 1)
	go func() {
		if err := server.Handshake(); err != nil {
			serverErr <- err
			return
		}
		// The server is done before the client checks its Finished; the
		// client's alert reaches it as the next record.
		_, err := server.Read(make([]byte, 1))
		serverErr <- err
	}()
	err := client.Handshake()
	wantClaspFailure(t, err, "read ChangeCipherSpec and Finished", wire.AlertBadRecordMAC)
	if a := receivedAlert(<-serverErr); a != int(wire.AlertBadRecordMAC) {
		t.Errorf("server received alert %s, want bad_record_mac", wire.AlertDescription(a))
	}
}

// readTamperConn lets a test change what the clasp client reads: onRead
// gets the index of the Read call and the bytes read, in place. The test's
// flights each arrive in one Read (net.Pipe hands over one Write at a time
// and clasp reads into a buffer larger than any flight here).
type readTamperConn struct {
	net.Conn
	reads  int
	onRead func(i int, b []byte)
}

func (c *readTamperConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	if n > 0 {
		c.onRead(c.reads, b[:n])
		c.reads++
	}
	return n, err
}

// A header that declares a 16 MiB message is refused at once: nothing of
// it is buffered, and the server does not wait for the body.
func TestServerRefusesOversizedHandshakeMessageBeforeBuffering(t *testing.T) {
	run := serverVersusScript(t, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS12, []byte{byte(wire.TypeClientHello), 0xff, 0xff, 0xff}))
	run.peer.expectAlert(wire.AlertDecodeError)
	err := run.wait()
	runtime.ReadMemStats(&after)
	wantClaspFailure(t, err, "read ClientHello", wire.AlertDecodeError)
	if !strings.Contains(err.Error(), "exceeds the limit") {
		t.Errorf("error %q does not say the message is too large", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 4<<20 {
		t.Errorf("allocated %d bytes while refusing the message", grew)
	}
}

func TestServerHonoursMaxHandshakeSize(t *testing.T) {
	cfg := testServerConfig(t)
	cfg.MaxHandshakeSize = 512
	run := serverVersusScript(t, cfg)
	ch := scriptedClientHello()
	ch.Extensions = append(ch.Extensions, &wire.UnknownExt{Code: wire.ExtPadding, Data: make([]byte, 600)})
	run.peer.sendMessages(ch)
	run.peer.expectAlert(wire.AlertDecodeError)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertDecodeError)
}

// ---- after the handshake ----

// alertEvents returns the alerts a tracer saw in direction dir.
func alertEvents(tr *recordingTracer, dir trace.Direction) []*trace.Alert {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	var out []*trace.Alert
	for _, e := range tr.events {
		if a, ok := e.(*trace.Alert); ok && a.Direction == dir {
			out = append(out, a)
		}
	}
	return out
}

// inject writes a handshake message through c's own record layer (so it
// is encrypted with c's keys and sequence numbers stay in step), as a peer
// asking for renegotiation would.
func inject(t *testing.T, c *Conn, msg wire.Message) {
	c.out.Lock()
	defer c.out.Unlock()
	if _, err := c.writeHandshake(msg); err != nil {
		t.Error(err)
		return
	}
	if err := c.flush(); err != nil {
		t.Error(err)
	}
}

// RFC 5746 §4.4 and RFC 5246 §7.2.2: a server that does not renegotiate
// answers a ClientHello with a no_renegotiation warning and goes on.
func TestServerDeclinesRenegotiationAndStaysUsable(t *testing.T) {
	st := &recordingTracer{}
	server := testServerConfig(t)
	server.Tracer = st
	r := testHandshake(t, testClientConfig(t), server)
	r.mustSucceed(t)

	clientGot := make(chan string, 1)
	go func() {
		buf := make([]byte, 4)
		_, err := io.ReadFull(r.client, buf) // skips the warning, then reads "pong"
		if err != nil {
			clientGot <- err.Error()
			return
		}
		clientGot <- string(buf)
	}()
	go func() {
		inject(t, r.client, scriptedClientHello())
		_, _ = r.client.Write([]byte("ping"))
	}()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(r.server, buf); err != nil || string(buf) != "ping" {
		t.Fatalf("server read %q, %v after the renegotiation attempt", buf, err)
	}
	if _, err := r.server.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if got := <-clientGot; got != "pong" {
		t.Fatalf("client read %q", got)
	}
	sent := alertEvents(st, trace.Sent)
	if len(sent) != 1 || sent[0].Level != uint8(wire.AlertLevelWarning) || sent[0].Description != uint8(wire.AlertNoRenegotiation) {
		t.Fatalf("server sent alerts %+v, want one no_renegotiation warning", sent)
	}
}

// RFC 5246 §7.4.1.1: a client that does not renegotiate may answer a
// HelloRequest with a no_renegotiation warning.
func TestClientDeclinesHelloRequest(t *testing.T) {
	ct := &recordingTracer{}
	client := testClientConfig(t)
	client.Tracer = ct
	r := testHandshake(t, client, testServerConfig(t))
	r.mustSucceed(t)

	serverGot := make(chan string, 1)
	go func() {
		inject(t, r.server, &wire.HelloRequest{})
		buf := make([]byte, 4)
		if _, err := io.ReadFull(r.server, buf); err != nil {
			serverGot <- err.Error()
			return
		}
		serverGot <- string(buf)
		// net.Pipe has no buffer: the client's warning may come after
		// "ping", and the client blocks writing it until someone reads,
		// so keep reading while "pong" goes out.
		go func() { _, _ = r.server.Write([]byte("pong")) }()
		_, _ = r.server.Read(make([]byte, 1))
	}()
	go func() { _, _ = r.client.Write([]byte("ping")) }()
	buf := make([]byte, 4)
	if _, err := io.ReadFull(r.client, buf); err != nil || string(buf) != "pong" {
		t.Fatalf("client read %q, %v after the HelloRequest", buf, err)
	}
	if got := <-serverGot; got != "ping" {
		t.Fatalf("server read %q", got)
	}
	sent := alertEvents(ct, trace.Sent)
	if len(sent) != 1 || sent[0].Level != uint8(wire.AlertLevelWarning) || sent[0].Description != uint8(wire.AlertNoRenegotiation) {
		t.Fatalf("client sent alerts %+v, want one no_renegotiation warning", sent)
	}
}

// Any other handshake message after the handshake is unexpected_message.
func TestClientRejectsServerHelloAfterHandshake(t *testing.T) {
	r := testHandshake(t, testClientConfig(t), testServerConfig(t))
	r.mustSucceed(t)
	go inject(t, r.server, scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256))
	serverErr := make(chan error, 1)
	go func() {
		_, err := r.server.Read(make([]byte, 1))
		serverErr <- err
	}()
	_, err := r.client.Read(make([]byte, 1))
	var we *wire.Error
	if !errors.As(err, &we) || we.Alert != wire.AlertUnexpectedMessage {
		t.Fatalf("client Read: %v, want unexpected_message", err)
	}
	if a := receivedAlert(<-serverErr); a != int(wire.AlertUnexpectedMessage) {
		t.Errorf("server received alert %s", wire.AlertDescription(a))
	}
	// The failure is sticky for writes too.
	if _, werr := r.client.Write([]byte("x")); werr == nil {
		t.Error("Write after a fatal post-handshake error succeeded")
	}
}

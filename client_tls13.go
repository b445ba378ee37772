package clasp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// clientHandshakeTLS13 is the state of a client's TLS 1.3 handshake
// (RFC 8446 §2). Its methods run in protocol order.
type clientHandshakeTLS13 struct {
	c      *Conn
	config *Config
	offer  *clientOffer

	serverHello *wire.ServerHello
	transcript  *keys.Transcript
	suite       *suites.Suite
	hash        crypto.Hash
	schedule    *keys.Schedule13
	sawHRR      bool

	usingPSK     bool
	selectedPSK  int // the index of the PSK the server selected in pre_shared_key
	certReq      *wire.CertificateRequest13
	serverCerts  []*x509.Certificate
	serverKey    crypto.PublicKey // the leaf's, or the raw public key's (RFC 7250)
	clientCert   *Certificate
	clientSecret []byte // client handshake traffic secret
	serverSecret []byte // server handshake traffic secret
	appSecrets   [2][]byte
}

func (hs *clientHandshakeTLS13) handshake() error {
	c := hs.c
	if err := c.runSteps([]handshakeStep{
		{"read ServerHello", hs.processServerHello},
		{"read EncryptedExtensions", hs.readEncryptedExtensions},
		{"read CertificateRequest", hs.readCertificateRequest},
		{"read server Certificate", hs.readServerCertificate},
		{"read server CertificateVerify", hs.readServerCertificateVerify},
		{"read server Finished", hs.readServerFinished},
		{"check the connection (VerifyConnection)", c.verifyConnectionStep()},
		{"write client Certificate and CertificateVerify", hs.sendClientCertificate},
		{"write client Finished", hs.sendClientFinished},
		{"check Encrypted Client Hello", hs.finishECH},
	}); err != nil {
		return err
	}
	return nil
}

// processServerHello checks the ServerHello (RFC 8446 §4.1.3), answers a
// HelloRetryRequest once, and derives the handshake traffic keys.
func (hs *clientHandshakeTLS13) processServerHello() error {
	c := hs.c
	sh := hs.serverHello
	if sh.IsHelloRetryRequest() {
		if err := hs.processHelloRetryRequest(); err != nil {
			return err
		}
		sh = hs.serverHello
	}
	if err := hs.checkServerHello(sh); err != nil {
		return err
	}
	// No more binders to compute: TLS 1.3 needs only transcript hashes now.
	hs.transcript.DropMessages()
	ks, _ := wire.FindExtension[*wire.KeyShareExt](sh.Extensions)
	psk, hasPSK := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions)
	if ks == nil && !hasPSK {
		return wire.Errorf(wire.AlertMissingExtension, "TLS 1.3 ServerHello without key_share or pre_shared_key")
	}
	var pskSecret []byte
	if hasPSK {
		secret, err := hs.acceptPSK(psk)
		if err != nil {
			return err
		}
		pskSecret = secret
	}
	if hs.schedule == nil || !hs.usingPSK {
		hs.schedule = keys.NewSchedule13(hs.hash, pskSecret)
	}
	var shared []byte
	if ks != nil {
		entry := ks.Entries[0]
		share := hs.keyShareFor(entry.Group)
		if share == nil {
			return wire.Errorf(wire.AlertIllegalParameter, "server's key share is for %s, which the client sent no share for", entry.Group)
		}
		var err error
		if shared, err = share.SharedSecret(entry.KeyExchange); err != nil {
			return err
		}
		c.state.group = entry.Group
		if c.tracer != nil {
			c.decide(&trace.Decision{What: "group", Chosen: entry.Group.String(), ReasonCode: "chosen_by_server", Reason: "chosen by the server from the client's key shares"})
		}
	}
	hs.schedule.SetSharedSecret(shared)
	th := hs.transcript.Sum()
	hs.clientSecret = hs.schedule.ClientHandshakeTrafficSecret(th)
	hs.serverSecret = hs.schedule.ServerHandshakeTrafficSecret(th)
	c.logSecret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs.offer.hello.Random[:], hs.clientSecret)
	c.logSecret("SERVER_HANDSHAKE_TRAFFIC_SECRET", hs.offer.hello.Random[:], hs.serverSecret)
	read, err := c.protection13(hs.suite, hs.serverSecret)
	if err != nil {
		return err
	}
	c.setReadProtection(read)
	if hs.offer.earlyData != nil && hs.usingPSK && hs.selectedPSK == 0 {
		// The server may have accepted the 0-RTT data and read the early
		// key until EndOfEarlyData: EncryptedExtensions tells. With
		// another PSK than the first it cannot have (RFC 8446 §4.2.10).
		return nil
	}
	return hs.serverReadsHandshakeKey()
}

// serverReadsHandshakeKey records that the server now reads the client's
// records under client_handshake_traffic_secret: once it has sent its
// ServerHello, or, when it may have accepted 0-RTT data, once its
// EncryptedExtensions says it did not (RFC 8446 §4.2.10). The client
// writes nothing under that key before its second flight, but an alert it
// sends in between, on finding fault with the server's flight, must go
// under it (RFC 8446 §5.1, §6), or the server reads bad_record_mac
// instead of the reason: Conn.fail installs it for the alert.
func (hs *clientHandshakeTLS13) serverReadsHandshakeKey() error {
	prot, err := hs.c.protection13(hs.suite, hs.clientSecret)
	if err != nil {
		return err
	}
	hs.c.alertProtection = prot
	return nil
}

// checkServerHello enforces RFC 8446 §4.1.3 on a TLS 1.3 ServerHello.
func (hs *clientHandshakeTLS13) checkServerHello(sh *wire.ServerHello) error {
	c := hs.c
	if !slices.Equal(sh.SessionID, hs.offer.hello.SessionID) {
		return wire.Errorf(wire.AlertIllegalParameter, "server did not echo the client's legacy_session_id")
	}
	if sh.CompressionMethod != 0 {
		return wire.Errorf(wire.AlertIllegalParameter, "TLS 1.3 ServerHello with compression method %d", sh.CompressionMethod)
	}
	suite := suites.SuiteByID(sh.CipherSuite)
	if !slices.Contains(hs.offer.hello.CipherSuites, sh.CipherSuite) || suite == nil || !suite.IsTLS13() {
		return wire.Errorf(wire.AlertIllegalParameter, "server chose %s, which the client did not offer for TLS 1.3", sh.CipherSuite)
	}
	if hs.suite != nil && hs.suite != suite {
		// RFC 8446 §4.1.4: the suite of the HelloRetryRequest stands.
		return wire.Errorf(wire.AlertIllegalParameter, "ServerHello chose %s after the HelloRetryRequest chose %s", suite.Name, hs.suite.Name)
	}
	// RFC 8446 §4.2: key_share, pre_shared_key and supported_versions in a
	// ServerHello; key_share, cookie and supported_versions in a
	// HelloRetryRequest; everything else belongs in EncryptedExtensions.
	context := wire.TypeServerHello
	if sh.IsHelloRetryRequest() {
		context = wire.TypeHelloRetryRequest
	}
	if err := checkPeerExtensions(context, suites.VersionTLS13, sh.Extensions, hs.offer.hello.Extensions); err != nil {
		return err
	}
	if hs.suite == nil {
		hs.setSuite(suite)
	}
	c.state.version = suites.VersionTLS13
	c.layer.SetVersion(suites.VersionTLS13)
	c.parseCtx = wire.Context{Version: suites.VersionTLS13}
	c.tls13 = true
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "version", Chosen: "TLS 1.3", ReasonCode: "chosen_by_server", Reason: "chosen by the server in supported_versions"})
		c.decide(&trace.Decision{What: "cipher_suite", Chosen: suite.Name,
			Offered: suiteNames(hs.offer.hello.CipherSuites), ReasonCode: "chosen_by_server", Reason: "chosen by the server"})
	}
	return nil
}

func (hs *clientHandshakeTLS13) setSuite(suite *suites.Suite) {
	hs.suite, hs.hash = suite, suite.PRFHash
	hs.c.state.suite = suite
	hs.transcript.SetHash(suites.VersionTLS13, suite.PRFHash)
}

func (hs *clientHandshakeTLS13) keyShareFor(g suites.Group) kex.ClientKeyShare {
	for _, ks := range hs.offer.keyShares {
		if ks.Group() == g {
			return ks
		}
	}
	return nil
}

// processHelloRetryRequest answers a HelloRetryRequest (RFC 8446 §4.1.4):
// once, only if it changes something, and only with a group the client
// offered. The transcript then starts with a message_hash of the first
// ClientHello.
func (hs *clientHandshakeTLS13) processHelloRetryRequest() error {
	c, cfg := hs.c, hs.config
	hrr := hs.serverHello
	hs.sawHRR = true
	c.state.helloRetry = true
	if err := hs.checkServerHello(hrr); err != nil {
		return err
	}
	ks, hasKeyShare := wire.FindExtension[*wire.KeyShareExt](hrr.Extensions)
	cookie, hasCookie := wire.FindExtension[*wire.CookieExt](hrr.Extensions)
	if !hasKeyShare && !hasCookie {
		return wire.Errorf(wire.AlertIllegalParameter, "HelloRetryRequest would not change the ClientHello")
	}
	hello := hs.offer.hello
	exts := slices.Clone(hello.Extensions)
	if hasKeyShare {
		g := ks.SelectedGroup
		groups, _ := wire.FindExtension[*wire.SupportedGroupsExt](hello.Extensions)
		if groups == nil || !slices.Contains(groups.Groups, g) {
			return wire.Errorf(wire.AlertIllegalParameter, "HelloRetryRequest asks for %s, which the client did not offer", g)
		}
		if hs.keyShareFor(g) != nil {
			return wire.Errorf(wire.AlertIllegalParameter, "HelloRetryRequest asks for %s, for which the client already sent a share", g)
		}
		share, err := kex.NewClientKeyShare(g, cfg.rand())
		if err != nil {
			return err
		}
		hs.offer.keyShares = []kex.ClientKeyShare{share}
		replaceExtension(exts, &wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: g, KeyExchange: share.Public()}}})
		if c.tracer != nil {
			c.decide(&trace.Decision{What: "hello_retry", Chosen: g.String(), ReasonCode: "hello_retry_request", Reason: "the server asked for a key share for this group"})
		}
	}
	if hasCookie {
		exts = insertBeforePSK(exts, &wire.CookieExt{Cookie: cookie.Cookie})
	}
	exts = orderExtensions(cfg.ClientHelloExtensions, hs.abandonEarlyData(exts))
	hs.transcript.ReplaceWithMessageHash()
	hs.transcript.Write(c.helloRetryRaw)
	exts = hs.keepPSKsForHash(exts)
	hello2 := *hello
	hello2.Extensions = exts
	hs.offer.hello = &hello2
	if err := c.writeCompatChangeCipherSpec(); err != nil {
		return err
	}
	if err := hs.c.writeClientHelloWithBinders(hs.offer, hs.transcript); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	sh, ok := msg.(*wire.ServerHello)
	if !ok {
		return errUnexpected("ServerHello", msg)
	}
	if sh.IsHelloRetryRequest() {
		return wire.Errorf(wire.AlertUnexpectedMessage, "a second HelloRetryRequest")
	}
	if err := hs.checkECHAfterRetry(sh); err != nil {
		return err
	}
	if v, err := hs.offer.chosenVersion(cfg, sh); err != nil || v != suites.VersionTLS13 {
		return wire.Errorf(wire.AlertIllegalParameter, "the ServerHello after a HelloRetryRequest must select TLS 1.3")
	}
	if ks, ok := wire.FindExtension[*wire.KeyShareExt](sh.Extensions); ok && hasKeyShare && ks.Entries[0].Group != hs.offer.keyShares[0].Group() {
		return wire.Errorf(wire.AlertIllegalParameter, "ServerHello key share for %s after the HelloRetryRequest asked for %s", ks.Entries[0].Group, hs.offer.keyShares[0].Group())
	}
	hs.serverHello = sh
	return nil
}

func replaceExtension(exts []wire.Extension, ext wire.Extension) {
	for i, e := range exts {
		if e.ExtType() == ext.ExtType() {
			exts[i] = ext
		}
	}
}

// insertBeforePSK adds an extension, keeping pre_shared_key last (RFC 8446
// §4.2.11).
func insertBeforePSK(exts []wire.Extension, ext wire.Extension) []wire.Extension {
	if n := len(exts); n > 0 {
		if _, ok := exts[n-1].(*wire.PreSharedKeyExt); ok {
			return slices.Insert(exts, n-1, ext)
		}
	}
	return append(exts, ext)
}

// readEncryptedExtensions reads what the server says under the handshake
// keys (RFC 8446 §4.3.1): ALPN and the other non-cryptographic choices.
func (hs *clientHandshakeTLS13) readEncryptedExtensions() error {
	c := hs.c
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	ee, ok := msg.(*wire.EncryptedExtensions)
	if !ok {
		return errUnexpected("EncryptedExtensions", msg)
	}
	if _, accepted := wire.FindExtension[*wire.EarlyDataExt](ee.Extensions); !accepted && c.alertProtection == nil {
		// A server that rejected the 0-RTT data reads the handshake key
		// now; one that accepted it (rightly or not) the early key.
		if err := hs.serverReadsHandshakeKey(); err != nil {
			return err
		}
	}
	if err := checkPeerExtensions(wire.TypeEncryptedExtensions, suites.VersionTLS13, ee.Extensions, hs.offer.hello.Extensions); err != nil {
		return err
	}
	if err := c.acceptALPN(ee.Extensions); err != nil {
		return err
	}
	if err := hs.readECHRetryConfigs(ee); err != nil {
		return err
	}
	if err := hs.checkEarlyDataAccepted(ee); err != nil {
		return err
	}
	// supported_groups (RFC 8446 §4.2.7: not to be acted upon before the
	// handshake completes) and an empty server_name (RFC 6066 §3: the
	// server used the name) need nothing from the client.
	if err := c.acceptMaxFragmentLength(ee.Extensions); err != nil {
		return err
	}
	if err := c.acceptServerCertificateType(ee.Extensions, hs.offer.hello.Extensions); err != nil {
		return err
	}
	if err := c.acceptClientCertificateType(ee.Extensions, hs.offer.hello.Extensions); err != nil {
		return err
	}
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](ee.Extensions); ok {
		if err := checkServerRecordSizeLimit(rsl, true); err != nil {
			return err
		}
		// RFC 8449 §4: negotiated now; every protected record the
		// client writes from here on fits in the server's limit.
		c.layer.SetMaxPlaintext(peerPlaintextLimit(rsl.Limit, true))
	}
	return nil
}

// readCertificateRequest reads an optional CertificateRequest (RFC 8446
// §4.3.2); a PSK handshake has none.
func (hs *clientHandshakeTLS13) readCertificateRequest() error {
	if hs.usingPSK {
		return nil
	}
	c := hs.c
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	req, ok := msg.(*wire.CertificateRequest13)
	if !ok {
		c.pendingHandshake = msg
		return nil
	}
	if len(req.Context) != 0 {
		return wire.Errorf(wire.AlertIllegalParameter, "CertificateRequest during the handshake must have an empty context")
	}
	if err := checkPeerExtensions(wire.TypeCertificateRequest, suites.VersionTLS13, req.Extensions, nil); err != nil {
		return err
	}
	hs.certReq = req
	var cas [][]byte
	if ca, ok := wire.FindExtension[*wire.CertificateAuthoritiesExt](req.Extensions); ok {
		cas = ca.Authorities
	}
	cert, err := c.chooseClientCertificate(cas, hs.requestedSchemes())
	if err != nil {
		return err
	}
	hs.clientCert = cert
	return nil
}

func (hs *clientHandshakeTLS13) requestedSchemes() []suites.SignatureScheme {
	sa, _ := wire.FindExtension[*wire.SignatureAlgorithmsExt](hs.certReq.Extensions)
	return sa.Schemes
}

// readServerCertificate reads and verifies the server's chain (RFC 8446
// §4.4.2).
func (hs *clientHandshakeTLS13) readServerCertificate() error {
	if hs.usingPSK {
		return nil
	}
	c := hs.c
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	if compressed, ok := msg.(*wire.CompressedCertificate); ok {
		if msg, err = c.decompressCertificate(compressed, hs.offer.hello.Extensions); err != nil {
			return err
		}
	}
	certMsg, ok := msg.(*wire.Certificate13)
	if !ok {
		return errUnexpected("Certificate", msg)
	}
	if len(certMsg.Context) != 0 {
		return wire.Errorf(wire.AlertIllegalParameter, "server Certificate with a non-empty request context")
	}
	if len(certMsg.Entries) == 0 {
		return wire.Errorf(wire.AlertDecodeError, "server sent an empty certificate chain")
	}
	// RFC 8446 §4.4.2: "Extensions in the Certificate message from the
	// server MUST correspond to ones from the ClientHello message."
	for _, entry := range certMsg.Entries {
		if err := checkPeerExtensions(wire.TypeCertificate, suites.VersionTLS13, entry.Extensions, hs.offer.hello.Extensions); err != nil {
			return err
		}
	}
	if c.state.rawPublicKey {
		pub, err := c.verifyRawPublicKey(certMsg.Entries)
		hs.serverKey = pub
		return err
	}
	chain := certMsg.Chain()
	certs, chains, err := c.verifyPeerChain(chain)
	if err != nil {
		return err
	}
	if err := c.checkPeerKeyUsage(certs[0], keyUseSign); err != nil {
		return err
	}
	hs.serverCerts, hs.serverKey = certs, certs[0].PublicKey
	c.state.peerCertificates, c.state.verifiedChains = certs, chains
	c.keepLeafStatus13(certMsg.Entries[0])
	return nil
}

// Context strings of TLS 1.3 CertificateVerify (RFC 8446 §4.4.3).
const (
	serverSignatureContext = "TLS 1.3, server CertificateVerify\x00"
	clientSignatureContext = "TLS 1.3, client CertificateVerify\x00"
)

// signedContent13 is what a TLS 1.3 CertificateVerify signs: 64 spaces, a
// context string and the transcript hash, so that a signature from one
// protocol or role cannot be replayed in another.
func signedContent13(context string, transcriptHash []byte) []byte {
	out := bytes.Repeat([]byte{0x20}, 64)
	out = append(out, context...)
	return append(out, transcriptHash...)
}

// readServerCertificateVerify checks the server's proof of its key.
func (hs *clientHandshakeTLS13) readServerCertificateVerify() error {
	if hs.usingPSK {
		return nil
	}
	c := hs.c
	signed := signedContent13(serverSignatureContext, hs.transcript.Sum())
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	cv, ok := msg.(*wire.CertificateVerify)
	if !ok {
		return errUnexpected("CertificateVerify", msg)
	}
	if err := verify13(hs.serverKey, cv, hs.config.signatureSchemes(), signed); err != nil {
		return err
	}
	c.state.scheme = cv.Signature.Scheme
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "signature_scheme", Chosen: cv.Signature.Scheme.String(),
			Offered: schemeNames(hs.config.signatureSchemes()), ReasonCode: "chosen_by_server", Reason: "chosen by the server; CertificateVerify over the transcript verified"})
	}
	return nil
}

// verify13 checks a TLS 1.3 CertificateVerify: the scheme must have been
// offered and be allowed in TLS 1.3 for this key (no PKCS#1 v1.5, ECDSA
// bound to its curve), RFC 8446 §4.4.3.
func verify13(pub crypto.PublicKey, cv *wire.CertificateVerify, offered []suites.SignatureScheme, signed []byte) error {
	scheme := cv.Signature.Scheme
	if !slices.Contains(offered, scheme) {
		// RFC 8446 §4.4.3: the scheme "MUST be one offered in the
		// client's "signature_algorithms" extension" (the server's, for a
		// client's CertificateVerify), with no alert named; OpenSSL 3
		// sends handshake_failure ("wrong signature type"), and so does
		// clasp. A scheme TLS 1.3 forbids is illegal_parameter, as in
		// OpenSSL.
		return wire.Errorf(wire.AlertHandshakeFailure, "CertificateVerify uses %s, which was not offered", scheme)
	}
	if !signature.KeyCanUse(pub, scheme, suites.VersionTLS13) {
		return wire.Errorf(wire.AlertIllegalParameter, "%s cannot be used with this key in TLS 1.3", scheme)
	}
	return signature.Verify(pub, scheme, signed, cv.Signature.Signature)
}

// readServerFinished checks the server's Finished and derives the
// application traffic secrets (RFC 8446 §4.4.4, §7.1).
func (hs *clientHandshakeTLS13) readServerFinished() error {
	c := hs.c
	want := keys.FinishedVerifyData13(hs.hash, hs.serverSecret, hs.transcript.Sum())
	if err := c.readFinished(want); err != nil {
		return err
	}
	hs.schedule.SetMasterSecret()
	th := hs.transcript.Sum()
	hs.appSecrets[0] = hs.schedule.ClientApplicationTrafficSecret(th)
	hs.appSecrets[1] = hs.schedule.ServerApplicationTrafficSecret(th)
	c.exporterSecret = newExporterSecret13(hs.schedule, th)
	random := hs.offer.hello.Random[:]
	c.logSecret("CLIENT_TRAFFIC_SECRET_0", random, hs.appSecrets[0])
	c.logSecret("SERVER_TRAFFIC_SECRET_0", random, hs.appSecrets[1])
	c.logExporterSecret13(random)
	return nil
}

// sendClientCertificate answers a CertificateRequest (RFC 8446 §4.4.2),
// with an empty Certificate when the client has nothing suitable, after the
// middlebox-compatibility ChangeCipherSpec and the switch to handshake keys.
func (hs *clientHandshakeTLS13) sendClientCertificate() error {
	c := hs.c
	// Once per connection: not again after a HelloRetryRequest or early data.
	if err := c.writeCompatChangeCipherSpec(); err != nil {
		return err
	}
	if err := hs.sendEndOfEarlyData(); err != nil {
		return err
	}
	write, err := c.protection13(hs.suite, hs.clientSecret)
	if err != nil {
		return err
	}
	c.alertProtection = nil
	c.setWriteProtection(write)
	if hs.certReq == nil {
		return nil
	}
	msg := &wire.Certificate13{Context: hs.certReq.Context}
	if hs.offer.ech.rejected() {
		hs.clientCert = nil // RFC 9849 §6.1.7: no certificate to the public name
	}
	if hs.clientCert != nil {
		for _, der := range hs.clientCert.Certificate {
			msg.Entries = append(msg.Entries, wire.CertificateEntry{Data: der})
		}
		if c.state.clientRawPublicKey {
			entry, err := rawPublicKeyEntry(hs.clientCert)
			if err != nil {
				return err
			}
			msg.Entries = []wire.CertificateEntry{entry}
		}
	}
	out, err := maybeCompress(hs.config, msg, hs.clientCert, hs.certReq.Extensions)
	if err != nil {
		return err
	}
	if _, err := c.writeHandshake(out); err != nil {
		return err
	}
	if hs.clientCert == nil {
		return nil
	}
	l, err := leaf(hs.clientCert)
	if err != nil {
		return err
	}
	scheme, ok := chooseSignatureScheme(l.PublicKey, suites.VersionTLS13, hs.requestedSchemes(), hs.config.schemesFor(hs.clientCert))
	if !ok {
		return &NegotiationError{What: "signature scheme", ClientOffered: schemeNames(hs.config.signatureSchemes()),
			ServerAccepts: schemeNames(hs.requestedSchemes()), Detail: "for the client certificate's key"}
	}
	cv, err := sign13(hs.clientCert, scheme, hs.config, signedContent13(clientSignatureContext, hs.transcript.Sum()))
	if err != nil {
		return err
	}
	_, err = c.writeHandshake(cv)
	return err
}

// sign13 builds a TLS 1.3 CertificateVerify.
func sign13(cert *Certificate, scheme suites.SignatureScheme, cfg *Config, signed []byte) (*wire.CertificateVerify, error) {
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("certificate key %T cannot sign", cert.PrivateKey)
	}
	sig, err := signature.Sign(signer, scheme, cfg.rand(), signed)
	if err != nil {
		return nil, err
	}
	return &wire.CertificateVerify{Signature: wire.DigitallySigned{HasScheme: true, Scheme: scheme, Signature: sig}}, nil
}

// sendClientFinished completes the handshake and switches both directions
// to the application traffic keys.
func (hs *clientHandshakeTLS13) sendClientFinished() error {
	c := hs.c
	verify := keys.FinishedVerifyData13(hs.hash, hs.clientSecret, hs.transcript.Sum())
	if _, err := c.writeHandshake(&wire.Finished{VerifyData: verify}); err != nil {
		return err
	}
	c.keepPostHandshakeBase(hs.transcript, hs.offer.hello)
	if err := c.installAppSecrets(hs.suite, hs.appSecrets[1], hs.appSecrets[0]); err != nil {
		return err
	}
	if c.keepsTickets() {
		c.resumptionSecret = hs.schedule.ResumptionMasterSecret(hs.transcript.Sum())
	}
	return c.flush()
}

// protection13 builds the record protection for a TLS 1.3 traffic secret.
func (c *Conn) protection13(suite *suites.Suite, secret []byte) (record.Protection, error) {
	info := suite.Cipher.Info()
	key, iv := keys.TrafficKey(suite.PRFHash, secret, info.KeyLen, info.NonceLen)
	return record.NewProtectionTLS13(suite.Cipher, key, iv)
}

// installAppSecrets switches to the application traffic secrets: read is
// the peer's, write this side's. They are kept for KeyUpdate.
func (c *Conn) installAppSecrets(suite *suites.Suite, read, write []byte) error {
	readProt, err := c.protection13(suite, read)
	if err != nil {
		return err
	}
	writeProt, err := c.protection13(suite, write)
	if err != nil {
		return err
	}
	c.setReadProtection(readProt)
	c.setWriteProtection(writeProt)
	c.trafficSecrets = [2][]byte{read, write}
	return nil
}

// logSecret writes one NSS key log line for TLS 1.3.
func (c *Conn) logSecret(label string, clientRandom, secret []byte) {
	if w := c.config.KeyLogWriter; w != nil {
		_, _ = fmt.Fprintf(w, "%s %x %x\n", label, clientRandom, secret)
	}
}

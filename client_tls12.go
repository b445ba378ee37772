package clasp

import (
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"slices"
	"time"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// clientHandshakeTLS12 is the state of a client's full TLS 1.0–1.2
// handshake (RFC 5246 §7.3). Its methods run in protocol order; each reads
// or writes one message or one flight.
type clientHandshakeTLS12 struct {
	c      *Conn
	config *Config
	offer  *clientOffer

	hello       *wire.ClientHello
	serverHello *wire.ServerHello
	suite       *suites.Suite
	transcript  *keys.Transcript

	serverCerts  []*x509.Certificate
	rawServerKey crypto.PublicKey // the server's RFC 7250 raw key, when it sent one
	ske          *wire.ServerKeyExchange
	dhGroup      *kex.DHGroup // the server's DHE group, validated by takeServerParams
	certReq      *wire.CertificateRequest
	clientCert   *Certificate // nil when none is sent

	preMaster []byte
	master    []byte
	ems       bool

	serverWrite record.Protection // installed when the server's ChangeCipherSpec arrives
	clientWrite record.Protection // installed when the client sends its ChangeCipherSpec (resumption)

	ticket         []byte // an RFC 5077 ticket the server issued
	ticketLifetime time.Duration

	// writeLimit is the plaintext limit of the client's protected records
	// from its ChangeCipherSpec on: the server's record_size_limit, or 0
	// (the protocol maximum) when it sent none (RFC 8449 §4: records obey
	// the limits of the handshake that made their keys).
	writeLimit int
}

// handshake continues a TLS 1.0–1.2 handshake after the ServerHello
// (RFC 5246 §7.3).
func (hs *clientHandshakeTLS12) handshake() error {
	c := hs.c
	if err := hs.processServerHello(); err != nil {
		return c.fail(err)
	}
	if hs.resumedByServer() {
		if err := hs.checkResumedSession(); err != nil {
			return c.fail(err)
		}
		return hs.resumeHandshake()
	}
	if err := hs.checkSessionIDEcho(); err != nil {
		return c.fail(err)
	}
	c.state.sessionID = slices.Clone(hs.serverHello.SessionID)
	if err := c.runSteps([]handshakeStep{
		{"read server Certificate", hs.readServerCertificate},
		{"read CertificateStatus", hs.readCertificateStatusStep()},
		{"read ServerKeyExchange", hs.readServerKeyExchange},
		{"read CertificateRequest", hs.readCertificateRequest},
		{"read ServerHelloDone", hs.readServerHelloDone},
		{"check the connection (VerifyConnection)", c.verifyConnectionStep()},
		{"write client Certificate", hs.sendClientCertificate},
		{"write ClientKeyExchange", hs.sendClientKeyExchange},
		{"write CertificateVerify", hs.sendCertificateVerify},
		{"write ChangeCipherSpec and Finished", hs.sendFinished},
		{"read ChangeCipherSpec and Finished", hs.readServerFinished},
	}); err != nil {
		return err
	}
	hs.rememberSession()
	return nil
}

// processServerHello checks the server's choices against what was offered
// (RFC 5246 §7.4.1.3): a server may only pick from the offer.
func (hs *clientHandshakeTLS12) processServerHello() error {
	c, cfg := hs.c, hs.config
	sh := hs.serverHello
	if err := checkDowngradeSentinel(cfg, sh); err != nil {
		return err
	}
	if !cfg.supportsVersion(sh.Version) {
		ne := &NegotiationError{What: "protocol version",
			ClientOffered: versionRange(cfg.minVersion(), cfg.maxVersion()),
			ServerAccepts: []string{sh.Version.String()},
			Detail:        "the server chose a version the client did not offer"}
		if sh.Version >= suites.VersionSSL30 && sh.Version < cfg.minVersion() {
			ne.Detail += "; " + legacyVersionsHint
		}
		return ne
	}
	if !slices.Contains(hs.hello.CipherSuites, sh.CipherSuite) {
		return wire.Errorf(wire.AlertIllegalParameter, "server chose cipher suite %s, which the client did not offer", sh.CipherSuite)
	}
	suite := suites.SuiteByID(sh.CipherSuite)
	if !suiteUsableIn(suite, sh.Version) {
		return wire.Errorf(wire.AlertIllegalParameter, "server chose %s, which cannot be used in %s", sh.CipherSuite, sh.Version)
	}
	if sh.CompressionMethod != 0 {
		return wire.Errorf(wire.AlertIllegalParameter, "server chose compression method %d; the client offered only null", sh.CompressionMethod)
	}
	if err := hs.checkServerExtensions(sh); err != nil {
		return err
	}

	hs.suite = suite
	c.state.version, c.state.suite = sh.Version, suite
	c.acceptEncryptThenMAC(sh, suite)
	if err := c.acceptMaxFragmentLength(sh.Extensions); err != nil {
		return err
	}
	if c.state.maxFragment > 0 {
		hs.writeLimit = c.state.maxFragment
	}
	c.layer.SetVersion(sh.Version)
	c.parseCtx = wire.Context{Version: sh.Version, KeyExchange: suite.KeyExchange}
	if err := hs.acceptCertificateTypes12(sh); err != nil {
		return err
	}
	hs.transcript.SetHash(sh.Version, suite.PRFHash)
	if len(cfg.Certificates) == 0 && cfg.GetClientCertificate == nil {
		// Without a certificate there is no CertificateVerify to sign the
		// raw messages, so they need not be kept.
		hs.transcript.DropMessages()
	}
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "version", Chosen: sh.Version.String(),
			Offered: versionRange(cfg.minVersion(), cfg.maxVersion()), ReasonCode: "chosen_by_server", Reason: "chosen by the server",
			Warning: legacyVersionWarning(sh.Version)})
		c.decide(&trace.Decision{What: "cipher_suite", Chosen: suite.Name,
			Offered: suiteNames(hs.hello.CipherSuites), ReasonCode: "chosen_by_server", Reason: "chosen by the server",
			Warning: legacySuiteWarning(suite)})
	}
	hs.warnIfWeak(sh.Version, suite)
	return nil
}

// checkServerExtensions enforces RFC 5246 §7.4.1.4: a server sends only
// extensions the client offered, and each must say something acceptable.
func (hs *clientHandshakeTLS12) checkServerExtensions(sh *wire.ServerHello) error {
	c := hs.c
	if err := checkPeerExtensions(wire.TypeServerHello, sh.Version, sh.Extensions, nil); err != nil {
		return err
	}
	offered := make(map[wire.ExtensionType]bool, len(hs.hello.Extensions))
	for _, e := range hs.hello.Extensions {
		offered[e.ExtType()] = true
	}
	for _, e := range sh.Extensions {
		if !offered[e.ExtType()] {
			return wire.Errorf(wire.AlertUnsupportedExtension, "server sent extension %s, which the client did not offer", e.ExtType())
		}
	}
	// RFC 8422 §5.2: the server's ec_point_formats "MUST contain the value
	// 0 (uncompressed)"; the client, which named curves in supported_groups,
	// aborts with illegal_parameter otherwise.
	if pf, ok := wire.FindExtension[*wire.ECPointFormatsExt](sh.Extensions); ok && !slices.Contains(pf.Formats, 0) {
		return wire.Errorf(wire.AlertIllegalParameter, "server's ec_point_formats %v lacks uncompressed (0)", pf.Formats)
	}
	ri, hasRI := wire.FindExtension[*wire.RenegotiationInfoExt](sh.Extensions)
	switch {
	case hasRI && !slices.Equal(ri.Data, c.expectedRenegotiationInfo()):
		// RFC 5746 §3.4 (empty on an initial handshake) and §3.5 (both
		// previous verify_data on a renegotiation).
		return wire.Errorf(wire.AlertHandshakeFailure, "server's renegotiation_info does not match the previous handshake (RFC 5746)")
	case !hasRI && c.renegotiating && !hs.config.InsecureLegacyRenegotiation:
		return wire.Errorf(wire.AlertHandshakeFailure, "renegotiation ServerHello without renegotiation_info (RFC 5746 §3.5)")
	case hasRI:
		c.state.secureRenegotiation = true
	}
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](sh.Extensions); ok {
		if err := checkServerRecordSizeLimit(rsl, false); err != nil {
			return err
		}
		hs.writeLimit = peerPlaintextLimit(rsl.Limit, false)
	}
	_, hs.ems = wire.FindExtension[*wire.ExtendedMasterSecretExt](sh.Extensions)
	hs.ems = hs.ems && sh.Version != suites.VersionSSL30 // a TLS extension (RFC 7627)
	c.state.ems = hs.ems
	c.keepSCTs12(sh)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "extended_master_secret", Chosen: fmt.Sprint(hs.ems),
			ReasonCode: "both_sides_agree", Reason: fmt.Sprintf("client offered it: %v; server echoed it: %v", !hs.config.DisableExtendedMasterSecret, hs.ems)})
		c.decide(&trace.Decision{What: "secure_renegotiation", Chosen: fmt.Sprint(c.state.secureRenegotiation),
			ReasonCode: "renegotiation_info", Reason: "RFC 5746 renegotiation_info in the ServerHello"})
	}
	return c.acceptALPN(sh.Extensions)
}

func (hs *clientHandshakeTLS12) warnIfWeak(v suites.Version, s *suites.Suite) {
	if v < suites.VersionTLS12 {
		hs.c.warn(versionWarning(v))
	}
	if weak, why := s.IsWeakOnConnection(hs.c.state.etm); weak {
		hs.c.warn(fmt.Sprintf("%s: %s", s.Name, why))
	}
	if !hs.ems {
		hs.c.warn("no extended master secret (RFC 7627): the session is not bound to its handshake")
	}
	if s.IsAnonymous() {
		hs.c.warn(anonWarning)
	}
}

// readServerCertificate reads and verifies the server's chain (RFC 5246
// §7.4.2) and checks that its key fits the chosen suite.
func (hs *clientHandshakeTLS12) readServerCertificate() error {
	c := hs.c
	if hs.suite.Auth == suites.AuthPSK {
		return nil // the pre-shared key authenticates the server (RFC 4279)
	}
	if hs.suite.IsAnonymous() {
		return nil // RFC 5246 §7.4.2: an anonymous server sends none
	}
	if c.state.rawPublicKey {
		return hs.readServerRawPublicKey()
	}
	msg, err := hs.c.readHandshake()
	if err != nil {
		return err
	}
	certMsg, ok := msg.(*wire.Certificate)
	if !ok {
		return errUnexpected("Certificate", msg)
	}
	if len(certMsg.Certificates) == 0 {
		return wire.Errorf(wire.AlertDecodeError, "server sent an empty certificate chain")
	}
	certs, chains, err := c.verifyPeerChain(certMsg.Certificates)
	if err != nil {
		return err
	}
	if !keyFitsSuite(certs[0].PublicKey, nil, hs.suite) && !(encryptsToCertificate(hs.suite.KeyExchange) && isRSA(certs[0].PublicKey)) {
		return wire.Errorf(wire.AlertUnsupportedCertificate, "server's %s key cannot authenticate %s", certs[0].PublicKeyAlgorithm, hs.suite.Name)
	}
	use := keyUseSign // the ServerKeyExchange signature
	if encryptsToCertificate(hs.suite.KeyExchange) {
		use = keyUseEncipher
	}
	if err := c.checkPeerKeyUsage(certs[0], use); err != nil {
		return err
	}
	hs.serverCerts = certs
	c.state.peerCertificates, c.state.verifiedChains = certs, chains
	return nil
}

func isRSA(pub crypto.PublicKey) bool {
	_, ok := pub.(*rsa.PublicKey)
	return ok
}

// readServerKeyExchange reads the server's signed DHE or ECDHE parameters
// (RFC 5246 §7.4.3, RFC 8422 §5.4). RSA key exchange has none.
func (hs *clientHandshakeTLS12) readServerKeyExchange() error {
	msg, err := hs.c.readHandshake()
	if err != nil {
		return err
	}
	if hs.suite.IsPSK() {
		return hs.readPSKServerKeyExchange(msg)
	}
	ske, ok := msg.(*wire.ServerKeyExchange)
	kx := ephemeralKex(hs.suite.KeyExchange)
	if kx == suites.KexRSA {
		if ok {
			return wire.Errorf(wire.AlertUnexpectedMessage, "server sent ServerKeyExchange for RSA key exchange")
		}
		hs.c.pendingHandshake = msg
		return nil
	}
	if !ok {
		return errUnexpected("ServerKeyExchange", msg)
	}
	if !hs.suite.IsAnonymous() { // DH_anon and ECDH_anon are unsigned
		if ske.Signature == nil {
			return wire.Errorf(wire.AlertDecodeError, "ServerKeyExchange is not signed")
		}
		if err := hs.verifyServerKeyExchange(ske); err != nil {
			return err
		}
	}
	return hs.takeServerParams(ske, kx == suites.KexECDHE)
}

// takeServerParams checks the server's ephemeral parameters, signed or
// (PSK, anonymous) not, and keeps them: an ECDHE group the client offered
// (explicit curves never get here: the parser refuses them with
// handshake_failure), or a DHE group that passes ValidateServerDHParams.
func (hs *clientHandshakeTLS12) takeServerParams(ske *wire.ServerKeyExchange, ecdhe bool) error {
	c, cfg := hs.c, hs.config
	if ecdhe {
		if !slices.Contains(offeredGroups(cfg, true, false, false), ske.ECDHE.Group) {
			return wire.Errorf(wire.AlertIllegalParameter, "server chose group %s, which the client did not offer", ske.ECDHE.Group)
		}
		c.state.group = ske.ECDHE.Group
	} else {
		group, err := kex.ValidateServerDHParams(ske.DHE.P, ske.DHE.G, ske.DHE.Public, cfg.minDHBits())
		if err != nil {
			return err
		}
		hs.dhGroup = group
		c.state.group = dhGroupID(group)
	}
	hs.ske = ske
	if c.tracer != nil && c.state.group != 0 {
		c.decide(&trace.Decision{What: "group", Chosen: c.state.group.String(), ReasonCode: "chosen_by_server", Reason: "chosen by the server"})
	}
	return nil
}

// ephemeralShare answers the server's ECDHE or DHE parameters, as
// takeServerParams checked and kept them: the shared secret and the
// client's public value.
func (hs *clientHandshakeTLS12) ephemeralShare(ecdhe bool) (shared, public []byte, err error) {
	rand := hs.config.rand()
	if ecdhe {
		key, err := kex.GenerateECDHE(hs.ske.ECDHE.Group, rand)
		if err != nil {
			return nil, nil, err
		}
		shared, err = key.SharedSecret(hs.ske.ECDHE.Public)
		return shared, key.PublicKey(), err
	}
	key, err := kex.GenerateDHE(hs.dhGroup, rand)
	if err != nil {
		return nil, nil, err
	}
	shared, err = key.SharedSecret(hs.ske.DHE.Public)
	return shared, key.PublicKey(), err
}

// dhGroupID names a server's DHE group when it is one of RFC 7919's; a
// custom group has no code point.
func dhGroupID(g *kex.DHGroup) suites.Group {
	for _, id := range []suites.Group{suites.FFDHE2048, suites.FFDHE3072, suites.FFDHE4096, suites.FFDHE6144, suites.FFDHE8192} {
		if known, ok := kex.FFDHEGroup(id); ok && known.P.Cmp(g.P) == 0 {
			return id
		}
	}
	return 0
}

// verifyServerKeyExchange checks the signature over client_random +
// server_random + params with the server certificate's key.
func (hs *clientHandshakeTLS12) verifyServerKeyExchange(ske *wire.ServerKeyExchange) error {
	c := hs.c
	signed := signedParams(hs.hello.Random[:], hs.serverHello.Random[:], ske.Params())
	pub := hs.serverPublicKey()
	sig := ske.Signature
	if !sig.HasScheme {
		return signature.VerifyLegacy(pub, signed, sig.Signature)
	}
	if !slices.Contains(hs.config.signatureSchemes(), sig.Scheme) {
		return wire.Errorf(wire.AlertIllegalParameter, "server signed with %s, which the client did not offer", sig.Scheme)
	}
	if err := signature.Verify(pub, sig.Scheme, signed, sig.Signature); err != nil {
		return err
	}
	c.state.scheme = sig.Scheme
	c.warnScheme(sig.Scheme)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "signature_scheme", Chosen: sig.Scheme.String(),
			Offered: schemeNames(hs.config.signatureSchemes()), ReasonCode: "chosen_by_server", Reason: "chosen by the server; signature over both randoms and the key exchange parameters verified",
			Warning: schemeWarning(sig.Scheme)})
	}
	return nil
}

func signedParams(clientRandom, serverRandom, params []byte) []byte {
	signed := make([]byte, 0, 64+len(params))
	signed = append(signed, clientRandom...)
	signed = append(signed, serverRandom...)
	return append(signed, params...)
}

// readCertificateRequest reads the optional CertificateRequest (RFC 5246
// §7.4.4) and picks the client certificate to answer it with.
func (hs *clientHandshakeTLS12) readCertificateRequest() error {
	msg, err := hs.c.readHandshake()
	if err != nil {
		return err
	}
	if err := hs.checkNoCertificateRequest(msg); err != nil {
		return err
	}
	req, ok := msg.(*wire.CertificateRequest)
	if !ok {
		hs.c.pendingHandshake = msg
		return nil
	}
	hs.certReq = req
	cert, err := hs.c.chooseClientCertificate(req.CertificateAuthorities, req.SignatureSchemes)
	if err != nil {
		return err
	}
	hs.clientCert = cert
	return nil
}

// chooseClientCertificate asks GetClientCertificate, or takes the first
// configured certificate whose key can sign with a scheme the server
// clientScheme picks the CertificateVerify scheme for the client's key.
func (hs *clientHandshakeTLS12) clientScheme(pub crypto.PublicKey) (suites.SignatureScheme, bool) {
	v := hs.c.state.version
	if v < suites.VersionTLS12 {
		return 0, isRSA(pub) || isECDSA(pub)
	}
	return chooseSignatureScheme(pub, v, hs.certReq.SignatureSchemes, hs.config.schemesFor(hs.clientCert))
}

func (hs *clientHandshakeTLS12) readServerHelloDone() error {
	msg, err := hs.c.readHandshake()
	if err != nil {
		return err
	}
	if _, ok := msg.(*wire.ServerHelloDone); !ok {
		return errUnexpected("ServerHelloDone", msg)
	}
	return nil
}

// sendClientCertificate answers a CertificateRequest, with an empty chain
// when the client has no suitable certificate (RFC 5246 §7.4.6).
func (hs *clientHandshakeTLS12) sendClientCertificate() error {
	if hs.certReq == nil {
		return nil
	}
	if hs.c.state.clientRawPublicKey && hs.clientCert != nil {
		return hs.sendClientRawPublicKey()
	}
	if hs.clientCert == nil && hs.c.state.version == suites.VersionSSL30 {
		// RFC 6101 §7.4.6 (§5.6.6): "If no suitable certificate is
		// available, the client should send a no_certificate alert
		// instead"; SSL 3.0 has no empty Certificate message.
		return hs.c.sendAlert(wire.AlertLevelWarning, wire.AlertNoCertificate)
	}
	msg := &wire.Certificate{Certificates: [][]byte{}}
	if hs.clientCert != nil {
		msg.Certificates = hs.clientCert.Certificate
	}
	_, err := hs.c.writeHandshake(msg)
	return err
}

// sendClientKeyExchange computes the premaster secret and sends the
// client's share of it (RFC 5246 §7.4.7), then derives the master secret.
func (hs *clientHandshakeTLS12) sendClientKeyExchange() error {
	c, cfg := hs.c, hs.config
	if hs.suite.IsPSK() {
		return hs.sendPSKClientKeyExchange()
	}
	var public []byte
	switch kx := ephemeralKex(hs.suite.KeyExchange); kx {
	case suites.KexECDHE, suites.KexDHE:
		var err error
		if hs.preMaster, public, err = hs.ephemeralShare(kx == suites.KexECDHE); err != nil {
			return err
		}
	case suites.KexRSA:
		pub, ok := hs.serverPublicKey().(*rsa.PublicKey)
		if !ok {
			return wire.Errorf(wire.AlertUnsupportedCertificate, "RSA key exchange needs an RSA server key")
		}
		var err error
		// RFC 5246 §7.4.7.1: the premaster carries the version the client
		// offered, so that a rollback of the offer is detected.
		if hs.preMaster, public, err = kex.GenerateRSAPremaster(cfg.rand(), hs.hello.Version, pub); err != nil {
			return err
		}
	default:
		return fmt.Errorf("key exchange %s is not implemented", hs.suite.KeyExchange)
	}
	cke := &wire.ClientKeyExchange{KeyExchange: hs.suite.KeyExchange, Data: public,
		SSL30RSA: c.state.version == suites.VersionSSL30} // RFC 6101 §5.6.7.1: no length prefix
	if _, err := c.writeHandshake(cke); err != nil {
		return err
	}
	hs.master = deriveMaster(c.state.version, hs.suite, hs.ems, hs.preMaster, hs.hello.Random[:], hs.serverHello.Random[:], hs.transcript)
	c.logMasterSecret(hs.hello.Random[:], hs.master)
	return nil
}

// deriveMaster computes the master secret: RFC 7627 §4 binds it to the
// handshake so far (through ClientKeyExchange) when both sides agreed to
// the extended master secret, RFC 5246 §8.1 otherwise.
func deriveMaster(v suites.Version, s *suites.Suite, ems bool, preMaster, clientRandom, serverRandom []byte, t *keys.Transcript) []byte {
	if ems {
		return keys.ExtendedMasterSecret(v, s.PRFHash, preMaster, t.Sum())
	}
	return keys.MasterSecret(v, s.PRFHash, preMaster, clientRandom, serverRandom)
}

// sendCertificateVerify proves possession of the client certificate's key
// by signing the handshake so far (RFC 5246 §7.4.8).
func (hs *clientHandshakeTLS12) sendCertificateVerify() error {
	if hs.clientCert == nil {
		return nil
	}
	c := hs.c
	signer, ok := hs.clientCert.PrivateKey.(crypto.Signer)
	if !ok {
		return fmt.Errorf("client certificate key %T cannot sign", hs.clientCert.PrivateKey)
	}
	l, err := leaf(hs.clientCert)
	if err != nil {
		return err
	}
	msg := &wire.CertificateVerify{}
	if c.state.version >= suites.VersionTLS12 {
		scheme, ok := hs.clientScheme(l.PublicKey)
		if !ok {
			return &NegotiationError{What: "signature scheme", ClientOffered: schemeNames(hs.config.signatureSchemes()),
				ServerAccepts: schemeNames(hs.certReq.SignatureSchemes), Detail: "for the client certificate's key"}
		}
		sig, err := signature.Sign(signer, scheme, hs.config.rand(), hs.transcript.Messages())
		if err != nil {
			return err
		}
		msg.Signature = wire.DigitallySigned{HasScheme: true, Scheme: scheme, Signature: sig}
	} else if c.state.version == suites.VersionSSL30 {
		sig, err := signature.SignSSL3(signer, hs.config.rand(), hs.transcript.SSL3CertificateVerify(hs.master))
		if err != nil {
			return err
		}
		msg.Signature = wire.DigitallySigned{Signature: sig}
	} else {
		sig, err := signature.SignLegacy(signer, hs.config.rand(), hs.transcript.Messages())
		if err != nil {
			return err
		}
		msg.Signature = wire.DigitallySigned{Signature: sig}
	}
	_, err = c.writeHandshake(msg)
	return err
}

// sendFinished switches the write side to the new keys and sends Finished
// (RFC 5246 §7.4.9), completing the client's flight.
func (hs *clientHandshakeTLS12) sendFinished() error {
	c := hs.c
	hs.transcript.DropMessages()
	clientWrite, serverWrite, err := c.establishKeys(hs.master, hs.hello.Random[:], hs.serverHello.Random[:])
	if err != nil {
		return err
	}
	if err := c.writeChangeCipherSpec(); err != nil {
		return err
	}
	c.setWriteProtection(clientWrite)
	c.layer.SetMaxPlaintext(hs.writeLimit)
	hs.serverWrite = serverWrite
	verify := finishedData(c.state.version, hs.suite, hs.master, true, hs.transcript)
	if _, err := c.writeHandshake(&wire.Finished{VerifyData: verify}); err != nil {
		return err
	}
	c.recordVerifyData(true, verify)
	return c.flush()
}

// readServerFinished reads the server's ChangeCipherSpec and Finished and
// checks that the server saw the same handshake and holds the same keys.
func (hs *clientHandshakeTLS12) readServerFinished() error {
	c := hs.c
	if err := hs.readNewSessionTicket(); err != nil {
		return err
	}
	if err := c.readChangeCipherSpec(); err != nil {
		return err
	}
	c.setReadProtection(hs.serverWrite)
	return hs.readFinishedMessage()
}

func versionRange(lo, hi suites.Version) []string {
	var out []string
	for v := hi; v >= lo && v >= suites.VersionSSL30; v-- {
		out = append(out, v.String())
	}
	return out
}

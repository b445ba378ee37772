package clasp

import (
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// serverHandshakeTLS12 is the state of a server's full TLS 1.0–1.2
// handshake (RFC 5246 §7.3). Its methods run in protocol order.
type serverHandshakeTLS12 struct {
	c      *Conn
	config *Config

	hello       *wire.ClientHello
	serverHello *wire.ServerHello
	transcript  *keys.Transcript

	// Negotiated in readClientHello.
	suite    *suites.Suite
	cert     *Certificate
	certLeaf *x509.Certificate
	scheme   suites.SignatureScheme // signs ServerKeyExchange (TLS 1.2)
	group    suites.Group           // ECDHE curve or FFDHE group
	ems      bool

	ecdheKey *kex.ECDHEKey
	dheKey   *kex.DHEKey

	certRequested bool
	clientCerts   []*x509.Certificate
	rawClientKey  crypto.PublicKey // the client's RFC 7250 raw key, when it sent one
	certTypeExts  []wire.Extension // the ServerHello's RFC 7250 answers

	master      []byte
	clientWrite record.Protection // installed when the client's ChangeCipherSpec arrives
	serverWrite record.Protection // installed when the server sends its ChangeCipherSpec

	session    *sessionState12 // the session being resumed, nil for a full handshake
	resumedBy  string          // "session ID" or "session ticket"
	sendTicket bool            // the ServerHello promised a NewSessionTicket
	// writeLimit is the plaintext limit of the server's protected records
	// from its ChangeCipherSpec on: the client's record_size_limit, or 0
	// (the protocol maximum) when it offered none (RFC 8449 §4).
	writeLimit int
}

// serverHandshake reads the ClientHello and hands over to the driver of
// the version both sides support best.
func (c *Conn) serverHandshake() error {
	c.setStep("read ClientHello")
	c.hsIn.MaxClientHelloSize = c.config.maxClientHelloSize()
	hello, raw, err := c.readFirstClientHello()
	if err != nil {
		return c.fail(err)
	}
	return c.serverHandshakeFrom(hello, raw)
}

// serverHandshakeFrom runs the handshake from a ClientHello already read:
// raw, its bytes, start the transcript.
func (c *Conn) serverHandshakeFrom(hello *wire.ClientHello, raw []byte) error {
	hello, raw, err := c.openClientHello(hello, raw)
	if err != nil {
		return c.fail(err)
	}
	transcript := keys.NewTranscript()
	transcript.Write(raw)
	c.transcript = transcript
	c.setStep("read ClientHello")
	c.keyLogRandom = hello.Random
	if c.state.serverName, err = requestedServerName(hello); err != nil {
		return c.fail(err)
	}
	if err := c.applyConfigForClient(hello); err != nil {
		return c.fail(err)
	}
	cfg := c.config
	version, offered, err := c.chooseVersion(hello)
	if err != nil {
		return c.fail(err)
	}
	if version == suites.VersionTLS13 {
		hs := &serverHandshakeTLS13{c: c, config: cfg, hello: hello, transcript: transcript}
		return hs.handshake()
	}
	hs := &serverHandshakeTLS12{c: c, config: cfg, hello: hello, transcript: transcript}
	return hs.handshake(version, offered)
}

// maxHostNameLen is the longest DNS name (RFC 1035 §2.3.4: 255 octets).
const maxHostNameLen = 255

// requestedServerName returns the host_name of hello's server_name
// extension, "" without one. RFC 6066 §3 makes it a DNS hostname
// "represented as a byte string using ASCII encoding without a trailing
// dot", so a name with a control byte (NUL, BEL, ESC), a space, a byte
// above 0x7e, a trailing dot (crypto/tls refuses it too) or more than 255
// bytes is not one. The RFC names no alert for that; the field is
// "incorrect" (illegal_parameter, RFC 8446 §6.2), which is also what
// tlsfuzzer's test-invalid-server-name-extension expects (OpenSSL answers a
// NUL or an overlong name with unrecognized_name and lets the rest
// through). The check comes before the name reaches a GetCertificate or
// GetConfigForClient callback, a log line or C code that a NUL would cut.
func requestedServerName(hello *wire.ClientHello) (string, error) {
	sni, ok := wire.FindExtension[*wire.ServerNameExt](hello.Extensions)
	if !ok {
		return "", nil
	}
	name := sni.HostName
	bad := strings.IndexFunc(name, func(r rune) bool { return r <= ' ' || r > '~' })
	if bad >= 0 || strings.HasSuffix(name, ".") || len(name) > maxHostNameLen {
		return "", wire.Errorf(wire.AlertIllegalParameter, "server_name %.64q is not an ASCII DNS host name of at most %d bytes (RFC 6066 §3)", name, maxHostNameLen)
	}
	return name, nil
}

// handshake runs a TLS 1.0–1.2 handshake after the ClientHello, at the
// version chooseVersion picked from what the client offered.
func (hs *serverHandshakeTLS12) handshake(version suites.Version, offered []string) error {
	c := hs.c
	hs.useVersion(version, offered)
	if err := hs.processClientHello(); err != nil {
		return c.fail(err)
	}
	if hs.session != nil {
		return hs.resumeHandshake()
	}
	if err := c.runSteps([]handshakeStep{
		{"write ServerHello", hs.sendServerHello},
		{"write server Certificate", hs.sendServerCertificate},
		{"write CertificateStatus", hs.certificateStatusStep()},
		{"write ServerKeyExchange", hs.sendServerKeyExchange},
		{"write CertificateRequest", hs.sendCertificateRequest},
		{"write ServerHelloDone", hs.sendServerHelloDone},
		{"read client Certificate", hs.readClientCertificate},
		{"read ClientKeyExchange", hs.readClientKeyExchange},
		{"read CertificateVerify", hs.readCertificateVerify},
		{"check the connection (VerifyConnection)", c.verifyConnectionStep()},
		{"read ChangeCipherSpec and Finished", hs.readClientFinished},
		{"write ChangeCipherSpec and Finished", hs.sendFinished},
	}); err != nil {
		return err
	}
	return nil
}

// processClientHello makes every choice a TLS 1.0–1.2 server has to make:
// version, certificate, suite, group, signature scheme, ALPN and extensions
// (RFC 5246 §7.4.1.2–7.4.1.4).
func (hs *serverHandshakeTLS12) processClientHello() error {
	c, hello := hs.c, hs.hello
	if err := wire.CheckMalformed(hello.Extensions); err != nil {
		return err
	}
	if !slices.Contains(hello.CompressionMethods, 0) {
		return wire.Errorf(wire.AlertIllegalParameter, "client does not offer the null compression method, which RFC 5246 §7.4.1.2 requires")
	}
	if err := hs.checkRenegotiationInfo(); err != nil {
		return err
	}
	if err := hs.checkPointFormats(); err != nil {
		return err
	}
	if err := hs.checkForResumption12(); err != nil {
		return err
	}
	if hs.session != nil {
		hs.suite, hs.ems = hs.session.suite, hs.session.ems
		return c.negotiateALPN(hello)
	}
	if err := hs.negotiateSuite(); err != nil {
		return err
	}
	if err := hs.chooseCertificateTypes12(); err != nil {
		return err
	}
	if err := c.negotiateALPN(hello); err != nil {
		return err
	}
	_, clientEMS := wire.FindExtension[*wire.ExtendedMasterSecretExt](hello.Extensions)
	// RFC 7627 defines the extension for TLS only; an SSL 3.0 server
	// ignores it as it ignores every extension it does not know.
	hs.ems = clientEMS && !hs.config.DisableExtendedMasterSecret && c.state.version != suites.VersionSSL30
	c.state.ems = hs.ems
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "extended_master_secret", Chosen: fmt.Sprint(hs.ems),
			ReasonCode: "both_sides_agree", Reason: fmt.Sprintf("client offered it: %v; server allows it: %v", clientEMS, !hs.config.DisableExtendedMasterSecret)})
	}
	hs.warnIfWeak()
	return nil
}

// useVersion adopts the version chooseVersion picked: the highest both
// sides support (RFC 5246 Appendix E.1, RFC 8446 §4.2.1).
func (hs *serverHandshakeTLS12) useVersion(version suites.Version, offered []string) {
	c, cfg := hs.c, hs.config
	c.state.version = version
	c.layer.SetVersion(version)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "version", Chosen: version.String(),
			Offered:    offered,
			Accepted:   versionRange(cfg.minVersion(), cfg.maxVersion()),
			ReasonCode: "highest_common", Reason: "the highest version both sides support",
			Warning: legacyVersionWarning(version)})
	}
}

// checkRenegotiationInfo applies RFC 5746 §3.6 to an initial ClientHello
// and §3.7 to a renegotiating one.
func (hs *serverHandshakeTLS12) checkRenegotiationInfo() error {
	if hs.c.renegotiating {
		return hs.c.checkRenegotiationBinding(hs.hello)
	}
	ri, hasExt := wire.FindExtension[*wire.RenegotiationInfoExt](hs.hello.Extensions)
	if hasExt && len(ri.Data) != 0 {
		return wire.Errorf(wire.AlertHandshakeFailure, "renegotiation_info is not empty on an initial handshake")
	}
	hs.c.state.secureRenegotiation = hasExt || slices.Contains(hs.hello.CipherSuites, suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
	return nil
}

// checkPointFormats applies RFC 8422 §5.1.2: a client that sends
// ec_point_formats without the uncompressed format (which every
// implementation must support) while its supported_groups names an
// elliptic curve makes the server abort with illegal_parameter. (A TLS 1.3
// server ignores the extension, as OpenSSL 3 does: TLS 1.3 fixed one point
// format per group.)
func (hs *serverHandshakeTLS12) checkPointFormats() error {
	pf, ok := wire.FindExtension[*wire.ECPointFormatsExt](hs.hello.Extensions)
	if !ok || slices.Contains(pf.Formats, 0) {
		return nil
	}
	groups, _ := hs.clientGroups()
	if slices.ContainsFunc(groups, func(g suites.Group) bool {
		info := suites.GroupByID(g)
		return info != nil && info.Kind == suites.GroupEC
	}) {
		return wire.Errorf(wire.AlertIllegalParameter, "client's ec_point_formats %v lacks uncompressed (0), which RFC 8422 §5.1.2 requires", pf.Formats)
	}
	return nil
}

// clientGroups returns the client's supported_groups, or nil without it.
func (hs *serverHandshakeTLS12) clientGroups() ([]suites.Group, bool) {
	ext, ok := wire.FindExtension[*wire.SupportedGroupsExt](hs.hello.Extensions)
	if !ok {
		return nil, false
	}
	return ext.Groups, true
}

// clientSchemes returns the client's signature_algorithms, nil without it.
func (hs *serverHandshakeTLS12) clientSchemes() []suites.SignatureScheme {
	if ext, ok := wire.FindExtension[*wire.SignatureAlgorithmsExt](hs.hello.Extensions); ok {
		return ext.Schemes
	}
	return nil
}

// chooseGroup picks the key exchange group for a suite, or reports that
// the suite's key exchange cannot be done with this client.
func (hs *serverHandshakeTLS12) chooseGroup(kx suites.KeyExchange) (suites.Group, bool) {
	clientGroups, sent := hs.clientGroups()
	ours := hs.config.groups()
	switch ephemeralKex(keyExchangeBesidesPSK(kx)) {
	case suites.KexECDHE:
		if pf, ok := wire.FindExtension[*wire.ECPointFormatsExt](hs.hello.Extensions); ok && !slices.Contains(pf.Formats, 0) {
			return 0, false // RFC 8422 §5.1.2: uncompressed points are mandatory
		}
		if !sent {
			// RFC 8422 §4: without the extension the client supports
			// secp256r1 at least.
			clientGroups = []suites.Group{suites.Secp256r1}
		}
		for _, g := range ours {
			if info := suites.GroupByID(g); info != nil && info.Kind == suites.GroupEC && info.Implemented && slices.Contains(clientGroups, g) {
				return g, true
			}
		}
	case suites.KexDHE:
		clientFF := slices.DeleteFunc(slices.Clone(clientGroups), func(g suites.Group) bool {
			info := suites.GroupByID(g)
			return info == nil || info.Kind != suites.GroupFFDHE
		})
		ourFF := slices.DeleteFunc(slices.Clone(ours), func(g suites.Group) bool {
			info := suites.GroupByID(g)
			return info == nil || info.Kind != suites.GroupFFDHE || !info.Implemented
		})
		if len(ourFF) == 0 {
			ourFF = []suites.Group{suites.FFDHE2048}
		}
		if len(clientFF) == 0 {
			// A client that names no RFC 7919 group accepts whatever the
			// server sends (RFC 7919 §4).
			return ourFF[0], true
		}
		for _, g := range ourFF {
			if slices.Contains(clientFF, g) {
				return g, true
			}
		}
		// RFC 7919 §4: a client that lists FFDHE groups accepts only those.
	case suites.KexRSA, suites.KexNULL: // KexNULL: plain PSK
		return 0, true
	}
	return 0, false
}

// certificateCandidates are the certificates to consider for this client:
// the GetCertificate callback's choice, or those matching SNI, or all.
func (c *Conn) certificateCandidates(hello *wire.ClientHello) ([]*Certificate, error) {
	cfg := c.config
	if cfg.GetCertificate != nil {
		cert, err := cfg.GetCertificate(c.clientHelloInfo(hello))
		if err != nil {
			return nil, err
		}
		if cert != nil {
			return []*Certificate{cert}, nil
		}
	}
	if cert := cfg.certificateByName(c.state.serverName); cert != nil {
		return []*Certificate{cert}, nil
	}
	if len(cfg.Certificates) == 0 {
		return nil, errNoCertificates
	}
	if len(cfg.Certificates) == 1 {
		// The only certificate is the candidate whether it matches the
		// name or not: no hostname check to make.
		return []*Certificate{&cfg.Certificates[0]}, nil
	}
	var all, matching []*Certificate
	for i := range cfg.Certificates {
		cert := &cfg.Certificates[i]
		all = append(all, cert)
		if l, err := leaf(cert); err == nil && certificateMatchesName(l, c.state.serverName) {
			matching = append(matching, cert)
		}
	}
	if len(matching) > 0 {
		return matching, nil
	}
	return all, nil
}

// negotiateSuite walks the suites in preference order and takes the first
// one the client offers for which the server has a fitting certificate, a
// common group and a common signature scheme.
func (hs *serverHandshakeTLS12) negotiateSuite() error {
	c, cfg := hs.c, hs.config
	version := c.state.version
	candidates, err := c.certificateCandidates(hs.hello)
	pskOnly := errors.Is(err, errNoCertificates) && cfg.GetExternalPSK != nil
	if err != nil && !pskOnly && !hs.anonymousPossible(err) {
		return err // a PSK-only or anonymous server goes on with those suites alone
	}
	ours := cfg.cipherSuites()
	order, other := ours, hs.hello.CipherSuites
	if cfg.PreferClientCipherSuites {
		order, other = hs.hello.CipherSuites, ours
	}
	var rejected []string // suites in common that still could not be used, and why
	for _, id := range order {
		if !slices.Contains(other, id) {
			continue
		}
		suite := suites.SuiteByID(id)
		if !suiteUsableIn(suite, version) {
			continue
		}
		if why := cfg.pskSuiteRefusal(suite); why != "" {
			rejected = append(rejected, suite.Name+": "+why)
			continue
		}
		group, ok := hs.chooseGroup(suite.KeyExchange)
		if !ok {
			rejected = append(rejected, suite.Name+": no key exchange group in common")
			continue
		}
		cert, l, scheme, why := hs.certificateFor(suite, candidates)
		if cert == nil && suite.Auth != suites.AuthPSK {
			rejected = append(rejected, suite.Name+": "+why)
			continue
		}
		hs.suite, hs.cert, hs.certLeaf, hs.scheme, hs.group = suite, cert, l, scheme, group
		c.state.suite, c.state.group, c.state.scheme = suite, group, scheme
		c.parseCtx = wire.Context{Version: version, KeyExchange: suite.KeyExchange}
		hs.transcript.SetHash(version, suite.PRFHash)
		if cfg.ClientAuth == NoClientCert {
			// No CertificateVerify can come, so the raw messages it would
			// sign need not be kept.
			hs.transcript.DropMessages()
		}
		if c.tracer != nil {
			hs.traceSuiteDecision(ours)
		}
		return nil
	}
	ne := &NegotiationError{What: "cipher suite", ClientOffered: suiteNames(hs.hello.CipherSuites), ServerAccepts: suiteNames(ours)}
	if len(rejected) > 0 {
		ne.Detail = "suites in common could not be used: " + joinSemicolon(rejected)
	} else if offersUnconfiguredLegacy(hs.hello.CipherSuites, ours) {
		ne.Detail = legacySuitesHint
	}
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "cipher_suite", Offered: ne.ClientOffered, Accepted: ne.ServerAccepts, ReasonCode: "nothing_in_common", Reason: ne.Error()})
	}
	return ne
}

// certificateFor finds a certificate that can authenticate the suite and,
// when the suite signs its key exchange, the scheme to sign with.
func (hs *serverHandshakeTLS12) certificateFor(suite *suites.Suite, candidates []*Certificate) (*Certificate, *x509.Certificate, suites.SignatureScheme, string) {
	version := hs.c.state.version
	if suite.Auth == suites.AuthPSK {
		return nil, nil, 0, "" // the pre-shared key authenticates the server
	}
	if suite.IsAnonymous() {
		cert, why := hs.anonymousCertificateFor()
		return cert, nil, 0, why
	}
	why := "no certificate with a " + suite.Auth.String() + " key"
	for _, cert := range candidates {
		l, err := leaf(cert)
		if err != nil || !keyFitsSuite(l.PublicKey, cert.PrivateKey, suite) {
			continue
		}
		if encryptsToCertificate(suite.KeyExchange) || version < suites.VersionTLS12 {
			return cert, l, 0, ""
		}
		if scheme, ok := chooseSignatureScheme(l.PublicKey, version, hs.clientSchemes(), hs.config.schemesFor(cert)); ok {
			return cert, l, scheme, ""
		}
		why = "no signature scheme in common for the " + l.PublicKeyAlgorithm.String() + " certificate"
		if _, ok := chooseSignatureScheme(l.PublicKey, version, hs.clientSchemes(), sha1Schemes); ok {
			// The client would take SHA-1, which this server signs with
			// only when its Config names it.
			why += " (" + sha1SchemesHint + ")"
		}
	}
	return nil, nil, 0, why
}

func (hs *serverHandshakeTLS12) traceSuiteDecision(ours []suites.ID) {
	c := hs.c
	order, orderCode := "server's preference order", "server_preference"
	if hs.config.PreferClientCipherSuites {
		order, orderCode = "client's preference order", "client_preference"
	}
	c.decide(&trace.Decision{What: "cipher_suite", Chosen: hs.suite.Name,
		Offered: suiteNames(hs.hello.CipherSuites), Accepted: suiteNames(ours),
		ReasonCode: orderCode, Reason: "first suite in the " + order + " that both sides support",
		Warning: legacySuiteWarning(hs.suite)})
	if hs.certLeaf != nil { // none for a suite authenticated by a pre-shared key
		c.decide(&trace.Decision{What: "certificate", Chosen: hs.certLeaf.Subject.String(),
			ReasonCode: "key_fits_suite", Reason: fmt.Sprintf("%s key fits %s; server name %q", hs.certLeaf.PublicKeyAlgorithm, hs.suite.Name, c.state.serverName)})
	} else if hs.suite.IsAnonymous() {
		c.decide(&trace.Decision{What: "certificate", Chosen: "none", ReasonCode: "anonymous_suite",
			Reason: hs.suite.Name + " is anonymous: the server sends no certificate", Warning: anonWarning})
	}
	if hs.group != 0 {
		clientGroups, _ := hs.clientGroups()
		c.decide(&trace.Decision{What: "group", Chosen: hs.group.String(), Offered: groupNames(clientGroups),
			Accepted: groupNames(hs.config.groups()), ReasonCode: "server_preference", Reason: "first group in the server's order that the client supports"})
	}
	if hs.scheme != 0 {
		c.decide(&trace.Decision{What: "signature_scheme", Chosen: hs.scheme.String(), Offered: schemeNames(hs.clientSchemes()),
			Accepted: schemeNames(hs.config.signatureSchemes()), ReasonCode: "server_preference", Reason: "first scheme in the server's order that the client accepts and the key can make",
			Warning: schemeWarning(hs.scheme)})
	}
}

func (hs *serverHandshakeTLS12) warnIfWeak() {
	c := hs.c
	if c.state.version < suites.VersionTLS12 {
		c.warn(versionWarning(c.state.version))
	}
	// The ServerHello, which settles encrypt-then-MAC, is written after
	// this; ask the same question it will.
	if weak, why := hs.suite.IsWeakOnConnection(c.agreesEncryptThenMAC(hs.hello, hs.suite)); weak {
		c.warn(fmt.Sprintf("%s: %s", hs.suite.Name, why))
	}
	if !hs.ems {
		c.warn("no extended master secret (RFC 7627): the session is not bound to its handshake")
	}
	if hs.suite.IsAnonymous() {
		c.warn(anonWarning)
	}
	c.warnScheme(hs.scheme)
}

// sendServerHello answers with the server's choices (RFC 5246 §7.4.1.3).
func (hs *serverHandshakeTLS12) sendServerHello() error {
	c := hs.c
	sh := &wire.ServerHello{
		Version:     c.state.version,
		SessionID:   []byte{},
		CipherSuite: hs.suite.ID,
	}
	_, ticketOffered := wire.FindExtension[*wire.SessionTicketExt](hs.hello.Extensions)
	hs.sendTicket = ticketOffered && hs.session == nil && !hs.config.SessionTicketsDisabled
	switch {
	case hs.session != nil:
		sh.SessionID = hs.hello.SessionID // the echo says: resumed
	case hs.sendTicket:
		// RFC 5077 §3.4: a server about to issue a ticket "SHOULD include
		// an empty Session ID". The session travels in the ticket, so
		// nothing is stored under an ID that no client would be given.
	case !hs.config.SessionIDsDisabled:
		id, err := newSessionID(hs.config.rand())
		if err != nil {
			return err
		}
		sh.SessionID = id
		c.state.sessionID = id
	}
	if _, err := io.ReadFull(hs.config.rand(), sh.Random[:]); err != nil {
		return fmt.Errorf("reading random bytes: %w", err)
	}
	if hs.config.maxVersion() >= suites.VersionTLS13 {
		// RFC 8446 §4.1.3: a server able to do TLS 1.3 marks a lower
		// version, so that a client whose offer was cut down notices.
		sentinel := wire.DowngradeTLS12
		if c.state.version < suites.VersionTLS12 {
			sentinel = wire.DowngradeTLS11
		}
		copy(sh.Random[24:], sentinel[:])
	}
	var exts []wire.Extension
	if hs.session == nil && c.state.serverName != "" {
		// RFC 6066 §3: a server that used the client's server_name (to
		// choose its certificate) says so with an empty one; "When
		// resuming a session, the server MUST NOT include" it.
		exts = append(exts, &wire.ServerNameExt{})
	}
	if c.state.secureRenegotiation {
		exts = append(exts, &wire.RenegotiationInfoExt{Data: c.expectedRenegotiationInfo()})
	}
	if hs.ems {
		exts = append(exts, &wire.ExtendedMasterSecretExt{})
	}
	if c.state.alpn != "" {
		exts = append(exts, &wire.ALPNExt{Protocols: []string{c.state.alpn}})
	}
	if hs.sendTicket {
		// RFC 5077 §3.2: an empty session_ticket promises a NewSessionTicket.
		exts = append(exts, &wire.SessionTicketExt{})
	}
	if _, ok := wire.FindExtension[*wire.ECPointFormatsExt](hs.hello.Extensions); ok && keyExchangeBesidesPSK(hs.suite.KeyExchange) == suites.KexECDHE {
		// RFC 8422 §5.2: answer ec_point_formats with what the server parses.
		exts = append(exts, &wire.ECPointFormatsExt{Formats: []uint8{0}})
	}
	exts = append(exts, hs.stapleExtensions12()...)
	exts = append(exts, hs.certTypeExts...)
	exts = append(exts, c.chooseEncryptThenMAC(hs.hello, hs.suite)...)
	if mfl := c.answerMaxFragmentLength(hs.hello); mfl != nil {
		exts = append(exts, mfl...)
		hs.writeLimit = c.state.maxFragment
	}
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](hs.hello.Extensions); ok {
		// RFC 8449 §4, renegotiated on every handshake, resumed or not. A
		// client's limit above 2^14 is not refused ("A server MUST NOT
		// enforce this restriction"), only capped.
		exts = append(exts, &wire.RecordSizeLimitExt{Limit: ourRecordSizeLimit(false)})
		hs.writeLimit = peerPlaintextLimit(rsl.Limit, false)
	}
	sh.Extensions = exts
	hs.serverHello = sh
	if _, err := c.writeHandshake(sh); err != nil {
		return err
	}
	if c.state.maxFragment > 0 {
		// RFC 6066 §4: fragmenting starts right after the ServerHello.
		c.layer.SetMaxPlaintext(c.state.maxFragment)
	}
	return nil
}

func (hs *serverHandshakeTLS12) sendServerCertificate() error {
	if hs.suite.Auth == suites.AuthPSK || hs.suite.IsAnonymous() {
		return nil // RFC 4279 §2, §3, RFC 5489, RFC 5246 §7.4.2: no Certificate
	}
	if hs.c.state.rawPublicKey {
		return hs.sendServerRawPublicKey()
	}
	_, err := hs.c.writeHandshake(&wire.Certificate{Certificates: hs.cert.Certificate})
	return err
}

// makeEphemeral generates the server's ephemeral key on hs.group and puts
// its public parameters in ske: ECDHE on a named curve, or DHE with the
// group's RFC 7919 prime.
func (hs *serverHandshakeTLS12) makeEphemeral(ske *wire.ServerKeyExchange, ecdhe bool) error {
	rand := hs.config.rand()
	if ecdhe {
		key, err := kex.GenerateECDHE(hs.group, rand)
		if err != nil {
			return err
		}
		hs.ecdheKey = key
		ske.ECDHE = &wire.ECDHEParams{CurveType: wire.CurveTypeNamedCurve, Group: hs.group, Public: key.PublicKey()}
		return nil
	}
	group, ok := kex.FFDHEGroup(hs.group)
	if !ok {
		return fmt.Errorf("group %s has no FFDHE parameters", hs.group)
	}
	key, err := kex.GenerateDHE(group, rand)
	if err != nil {
		return err
	}
	hs.dheKey = key
	ske.DHE = &wire.DHEParams{P: group.P.Bytes(), G: group.G.Bytes(), Public: key.PublicKey()}
	return nil
}

// sendServerKeyExchange generates the server's ephemeral key and signs its
// parameters together with both randoms (RFC 5246 §7.4.3).
func (hs *serverHandshakeTLS12) sendServerKeyExchange() error {
	c, cfg := hs.c, hs.config
	if hs.suite.IsPSK() {
		return hs.sendPSKServerKeyExchange()
	}
	ske := &wire.ServerKeyExchange{KeyExchange: hs.suite.KeyExchange}
	switch kx := ephemeralKex(hs.suite.KeyExchange); kx {
	case suites.KexRSA:
		return nil
	case suites.KexECDHE, suites.KexDHE:
		if err := hs.makeEphemeral(ske, kx == suites.KexECDHE); err != nil {
			return err
		}
	default:
		return fmt.Errorf("key exchange %s is not implemented", hs.suite.KeyExchange)
	}
	if hs.suite.IsAnonymous() {
		_, err := c.writeHandshake(ske) // unsigned (RFC 5246 §7.4.3)
		return err
	}
	signer, err := signature.SignerOf(hs.cert.PrivateKey)
	if err != nil {
		return err
	}
	signed := signedParams(hs.hello.Random[:], hs.serverHello.Random[:], ske.Params())
	ds := &wire.DigitallySigned{}
	if c.state.version >= suites.VersionTLS12 {
		ds.HasScheme, ds.Scheme = true, hs.scheme
		ds.Signature, err = signature.Sign(signer, hs.scheme, cfg.rand(), signed)
	} else {
		ds.Signature, err = signature.SignLegacy(signer, cfg.rand(), signed)
	}
	if err != nil {
		return err
	}
	ske.Signature = ds
	_, err = c.writeHandshake(ske)
	return err
}

// Certificate types for CertificateRequest (RFC 5246 §7.4.4, RFC 8422 §5.5).
const (
	certTypeRSASign   = 1
	certTypeECDSASign = 64
)

// sendCertificateRequest asks for a client certificate when the ClientAuth
// policy wants one, naming the CAs of ClientCAs.
func (hs *serverHandshakeTLS12) sendCertificateRequest() error {
	cfg := hs.config
	if cfg.ClientAuth == NoClientCert || hs.suite.Auth == suites.AuthPSK || hs.suite.IsAnonymous() {
		// Under a PSK-authenticated suite the key stands for the client
		// too; OpenSSL 3 sends no CertificateRequest there either. An
		// anonymous server must not ask (RFC 5246 §7.4.4).
		return nil
	}
	hs.certRequested = true
	req := &wire.CertificateRequest{CertificateTypes: []uint8{certTypeRSASign, certTypeECDSASign}}
	if hs.c.state.version >= suites.VersionTLS12 {
		req.HasSignatureSchemes, req.SignatureSchemes = true, cfg.signatureSchemes()
	}
	if cfg.ClientCAs != nil {
		//lint:ignore SA1019 Subjects is deprecated only for system pools, which ClientCAs is not meant to be.
		req.CertificateAuthorities = cfg.ClientCAs.Subjects() //nolint:staticcheck
	}
	_, err := hs.c.writeHandshake(req)
	return err
}

func (hs *serverHandshakeTLS12) sendServerHelloDone() error {
	if _, err := hs.c.writeHandshake(&wire.ServerHelloDone{}); err != nil {
		return err
	}
	return hs.c.flush()
}

// readClientCertificate reads the client's chain when one was requested
// (RFC 5246 §7.4.6) and applies the ClientAuth policy to it.
func (hs *serverHandshakeTLS12) readClientCertificate() error {
	if !hs.certRequested {
		return nil
	}
	c, cfg := hs.c, hs.config
	if c.state.clientRawPublicKey {
		return hs.readClientRawPublicKey()
	}
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	certMsg, ok := msg.(*wire.Certificate)
	if _, isKex := msg.(*wire.ClientKeyExchange); isKex && c.state.version == suites.VersionSSL30 {
		// An SSL 3.0 client without a certificate sends the no_certificate
		// warning alert (ignored on reading, kept in Warnings) and goes
		// straight on to its ClientKeyExchange (RFC 6101 §5.6.6).
		c.pendingHandshake = msg
		certMsg, ok = &wire.Certificate{}, true
	}
	if !ok {
		return errUnexpected("client Certificate", msg)
	}
	if len(certMsg.Certificates) == 0 {
		if cfg.ClientAuth == RequireAnyClientCert || cfg.ClientAuth == RequireAndVerifyClientCert {
			return wire.Errorf(wire.AlertHandshakeFailure, "the server requires a client certificate and the client sent none")
		}
		return nil
	}
	certs, chains, err := c.verifyPeerChain(certMsg.Certificates)
	if err != nil {
		return err
	}
	if !isRSA(certs[0].PublicKey) && !isECDSA(certs[0].PublicKey) && !isEd25519(certs[0].PublicKey) {
		return wire.Errorf(wire.AlertUnsupportedCertificate, "client certificate has an unsupported %s key", certs[0].PublicKeyAlgorithm)
	}
	// The client's key signs its CertificateVerify.
	if err := c.checkPeerKeyUsage(certs[0], keyUseSign); err != nil {
		return err
	}
	hs.clientCerts = certs
	c.state.peerCertificates, c.state.verifiedChains = certs, chains
	return nil
}

// readClientKeyExchange completes the key exchange and derives the master
// secret (RFC 5246 §7.4.7, §8.1).
func (hs *serverHandshakeTLS12) readClientKeyExchange() error {
	c, cfg := hs.c, hs.config
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	cke, ok := msg.(*wire.ClientKeyExchange)
	if !ok {
		return errUnexpected("ClientKeyExchange", msg)
	}
	var preMaster []byte
	switch ephemeralKex(hs.suite.KeyExchange) {
	case suites.KexECDHE:
		preMaster, err = hs.ecdheKey.SharedSecret(cke.Data)
	case suites.KexDHE:
		preMaster, err = hs.dheKey.SharedSecret(cke.Data)
	case suites.KexRSA:
		// RFC 5246 §7.4.7.1: a bad ciphertext yields a random premaster and
		// the handshake fails only at Finished, with nothing to tell apart.
		preMaster, err = kex.DecryptRSAPremaster(cfg.rand(), hs.cert.PrivateKey, cke.Data, hs.hello.Version)
	case suites.KexPSK, suites.KexDHEPSK, suites.KexECDHEPSK, suites.KexRSAPSK:
		preMaster, err = hs.pskPremaster(cke)
	}
	if err != nil {
		return err
	}
	hs.master = deriveMaster(c.state.version, hs.suite, hs.ems, preMaster, hs.hello.Random[:], hs.serverHello.Random[:], hs.transcript)
	c.logMasterSecret(hs.hello.Random[:], hs.master)
	return nil
}

// readCertificateVerify checks that the client holds its certificate's key
// (RFC 5246 §7.4.8): the signature covers every message before it.
func (hs *serverHandshakeTLS12) readCertificateVerify() error {
	pub := hs.clientPublicKey()
	if pub == nil {
		hs.transcript.DropMessages()
		return nil
	}
	c := hs.c
	signed := hs.transcript.Messages()
	var ssl3Signed []byte
	if c.state.version == suites.VersionSSL30 {
		ssl3Signed = hs.transcript.SSL3CertificateVerify(hs.master) // before the message joins the transcript
	}
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	cv, ok := msg.(*wire.CertificateVerify)
	if !ok {
		return errUnexpected("CertificateVerify", msg)
	}
	sig := cv.Signature
	if c.state.version == suites.VersionSSL30 {
		// signed (the raw messages) is not what SSL 3.0 signs; the
		// transcript holds everything before this CertificateVerify.
		err = signature.VerifySSL3(pub, ssl3Signed, sig.Signature)
	} else if !sig.HasScheme {
		err = signature.VerifyLegacy(pub, signed, sig.Signature)
	} else if !slices.Contains(hs.config.signatureSchemes(), sig.Scheme) {
		err = wire.Errorf(wire.AlertIllegalParameter, "client signed with %s, which the server did not request", sig.Scheme)
	} else {
		err = signature.Verify(pub, sig.Scheme, signed, sig.Signature)
	}
	hs.transcript.DropMessages()
	return err
}

// readClientFinished reads the client's ChangeCipherSpec and Finished.
func (hs *serverHandshakeTLS12) readClientFinished() error {
	c := hs.c
	clientWrite, serverWrite, err := c.establishKeys(hs.master, hs.hello.Random[:], hs.serverHello.Random[:])
	if err != nil {
		return err
	}
	hs.serverWrite = serverWrite
	if err := c.readChangeCipherSpec(); err != nil {
		return err
	}
	c.setReadProtection(clientWrite)
	if err := hs.readFinishedMessage(); err != nil {
		return err
	}
	// The client waits for the server's ChangeCipherSpec and Finished now:
	// nothing may follow its Finished (RFC 5246 §7.3).
	return c.checkRecordBoundary("the client's Finished")
}

// readFinishedMessage reads the client's Finished and checks it against the
// transcript so far.
func (hs *serverHandshakeTLS12) readFinishedMessage() error {
	c := hs.c
	want := finishedData(c.state.version, hs.suite, hs.master, true, hs.transcript)
	if err := c.readFinished(want); err != nil {
		return err
	}
	c.recordVerifyData(true, want)
	return nil
}

// sendFinished sends a promised ticket, switches the write side to the new
// keys and sends the server's Finished.
func (hs *serverHandshakeTLS12) sendFinished() error {
	c := hs.c
	if err := hs.issueTicket12(); err != nil {
		return err
	}
	if err := c.writeChangeCipherSpec(); err != nil {
		return err
	}
	c.setWriteProtection(hs.serverWrite)
	c.layer.SetMaxPlaintext(hs.writeLimit)
	verify := finishedData(c.state.version, hs.suite, hs.master, false, hs.transcript)
	if _, err := c.writeHandshake(&wire.Finished{VerifyData: verify}); err != nil {
		return err
	}
	c.recordVerifyData(false, verify)
	if hs.session == nil && len(c.state.sessionID) > 0 {
		// Stored before the flight leaves: a client that reconnects the
		// moment it has our Finished must find its session.
		c.saveSession(c.state.sessionID, hs.sessionState())
	}
	return c.flush()
}

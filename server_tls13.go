package clasp

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// serverHandshakeTLS13 is the state of a server's TLS 1.3 handshake
// (RFC 8446 §2). Its methods run in protocol order.
type serverHandshakeTLS13 struct {
	c      *Conn
	config *Config

	hello      *wire.ClientHello
	transcript *keys.Transcript
	suite      *suites.Suite
	hash       crypto.Hash
	schedule   *keys.Schedule13

	group       suites.Group
	clientShare []byte
	sentHRR     bool

	psk         *sessionState13 // the resumed session, nil for a full handshake
	pskIdentity int
	pskDHE      bool
	pskAgeSkew  time.Duration // the client's view of the ticket's age minus the server's
	pskBinder   []byte
	earlyData   bool // the client's 0-RTT data is accepted

	cert     *Certificate
	certLeaf *x509.Certificate
	scheme   suites.SignatureScheme

	serverHello   *wire.ServerHello
	clientSecret  []byte
	serverSecret  []byte
	appSecrets    [2][]byte // client, server
	certRequested bool
	certRequest   *wire.CertificateRequest13 // what the client's certificate entries answer
	clientCerts   []*x509.Certificate

	expectedClientFinished []byte // predicted when no client certificate can come
	ticketsSent            bool   // the ticket went out with the server's flight
}

func (hs *serverHandshakeTLS13) handshake() error {
	c := hs.c
	// RFC 8446 §5.1: the ClientHello precedes a key change (to the client's
	// early or handshake keys), so it must end its record.
	if err := c.checkRecordBoundary("ClientHello"); err != nil {
		return c.fail(err)
	}
	if err := c.runSteps([]handshakeStep{
		{"negotiate TLS 1.3 parameters", hs.negotiate},
		{"write ServerHello", hs.sendServerHello},
		{"write EncryptedExtensions", hs.sendEncryptedExtensions},
		{"write CertificateRequest", hs.sendCertificateRequest},
		{"write server Certificate and CertificateVerify", hs.sendServerCertificate},
		{"write server Finished", hs.sendServerFinished},
		{"read early data and EndOfEarlyData", hs.readEndOfEarlyData},
		{"read client Certificate and CertificateVerify", hs.readClientCertificate},
		{"check the connection (VerifyConnection)", c.verifyConnectionStep()},
		{"read client Finished", hs.readClientFinished},
	}); err != nil {
		return err
	}
	return nil
}

// negotiate makes the server's choices for TLS 1.3 (RFC 8446 §4.1.1):
// suite, then a PSK to resume, then the key exchange group — asking with a
// HelloRetryRequest when the client sent no share for a common group — and
// the certificate.
func (hs *serverHandshakeTLS13) negotiate() error {
	c := hs.c
	c.state.version = suites.VersionTLS13
	c.layer.SetVersion(suites.VersionTLS13)
	c.parseCtx = wire.Context{Version: suites.VersionTLS13}
	c.tls13 = true
	// RFC 8446 §4.1.2: legacy_compression_methods "MUST contain exactly
	// one byte, set to zero ... If a TLS 1.3 ClientHello is received with
	// any other value in this field, the server MUST abort the handshake
	// with an "illegal_parameter" alert."
	if !bytes.Equal(hs.hello.CompressionMethods, []byte{0}) {
		return wire.Errorf(wire.AlertIllegalParameter, "TLS 1.3 ClientHello offers compression methods %v; it must offer exactly null", hs.hello.CompressionMethods)
	}
	if err := hs.chooseSuite(); err != nil {
		return err
	}
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "version", Chosen: "TLS 1.3", ReasonCode: "highest_common", Reason: "both sides support it; it is preferred"})
	}
	if err := hs.checkForResumption(); err != nil {
		return err
	}
	if err := hs.chooseGroup(); err != nil {
		return err
	}
	if err := c.negotiateALPN(hs.hello); err != nil {
		return err
	}
	hs.decideEarlyData()
	if hs.psk != nil {
		return nil
	}
	err := hs.chooseCertificate()
	if errors.Is(err, errNoCertificates) && hs.config.GetExternalPSK != nil {
		return hs.noPSKAccepted()
	}
	return err
}

// chooseSuite picks the first TLS 1.3 suite in the server's order that the
// client offers.
func (hs *serverHandshakeTLS13) chooseSuite() error {
	c := hs.c
	ours := hs.config.cipherSuites13()
	order, other := ours, hs.hello.CipherSuites
	if hs.config.PreferClientCipherSuites {
		order, other = hs.hello.CipherSuites, ours
	}
	for _, id := range order {
		if slices.Contains(other, id) {
			suite := suites.SuiteByID(id)
			hs.suite, hs.hash = suite, suite.PRFHash
			c.state.suite = suite
			hs.transcript.SetHash(suites.VersionTLS13, suite.PRFHash)
			if c.tracer != nil {
				c.decide(&trace.Decision{What: "cipher_suite", Chosen: suite.Name, Offered: suiteNames(hs.hello.CipherSuites),
					Accepted: suiteNames(ours), ReasonCode: "server_preference", Reason: "first TLS 1.3 suite in the server's order that the client offers"})
			}
			return nil
		}
	}
	return &NegotiationError{What: "cipher suite", ClientOffered: suiteNames(hs.hello.CipherSuites), ServerAccepts: suiteNames(ours),
		Detail: "for TLS 1.3"}
}

// chooseGroup picks the key exchange group: the first group in the
// server's order for which the client sent a key share; failing that, the
// first the client supports, requested with a HelloRetryRequest (RFC 8446
// §4.1.4).
func (hs *serverHandshakeTLS13) chooseGroup() error {
	c := hs.c
	if hs.psk != nil && !hs.pskDHE {
		return nil // psk_ke: no key exchange at all
	}
	ks, hasKeyShare := wire.FindExtension[*wire.KeyShareExt](hs.hello.Extensions)
	sg, hasGroups := wire.FindExtension[*wire.SupportedGroupsExt](hs.hello.Extensions)
	if !hasKeyShare || !hasGroups {
		// RFC 8446 §9.2: a ClientHello for (EC)DHE carries both.
		return wire.Errorf(wire.AlertMissingExtension, "TLS 1.3 ClientHello without key_share or supported_groups")
	}
	// RFC 8446 §4.2.8: "Clients MUST NOT offer any KeyShareEntry values
	// for groups not listed in the client's "supported_groups" extension
	// ... Servers MAY check for violations of these rules and abort the
	// handshake with an "illegal_parameter" alert". clasp checks, as
	// OpenSSL does (the duplicate-group rule is checked by the parser).
	for _, entry := range ks.Entries {
		if !slices.Contains(sg.Groups, entry.Group) {
			return wire.Errorf(wire.AlertIllegalParameter, "key_share has a share for %v, which supported_groups does not list", entry.Group)
		}
	}
	ours := tls13Groups(hs.config)
	if hs.config.HelloRetryForPreferredGroup && !hs.sentHRR {
		// Only the server's favourite among the client's groups will do.
		if i := slices.IndexFunc(ours, func(g suites.Group) bool { return slices.Contains(sg.Groups, g) }); i >= 0 {
			ours = ours[i : i+1]
		}
	}
	for _, g := range ours {
		for _, entry := range ks.Entries {
			if entry.Group == g {
				hs.group, hs.clientShare = g, entry.KeyExchange
				c.state.group = g
				if c.tracer != nil {
					c.decide(&trace.Decision{What: "group", Chosen: g.String(), Offered: groupNames(sg.Groups), Accepted: groupNames(ours),
						ReasonCode: "server_preference_with_key_share", Reason: "first group in the server's order for which the client sent a key share"})
				}
				return nil
			}
		}
	}
	if hs.sentHRR {
		return wire.Errorf(wire.AlertIllegalParameter, "the second ClientHello has no key share for the group the HelloRetryRequest asked for")
	}
	for _, g := range ours {
		if slices.Contains(sg.Groups, g) {
			return hs.sendHelloRetryRequest(g)
		}
	}
	return &NegotiationError{What: "group", ClientOffered: groupNames(sg.Groups), ServerAccepts: groupNames(ours), Detail: "for TLS 1.3"}
}

// tls13Groups are the server's groups usable in TLS 1.3, in its order.
func tls13Groups(cfg *Config) []suites.Group {
	var out []suites.Group
	for _, g := range cfg.groups() {
		if info := suites.GroupByID(g); info != nil && info.Implemented {
			out = append(out, g)
		}
	}
	return out
}

// sendHelloRetryRequest asks the client for a share of group and reads
// the second ClientHello (RFC 8446 §4.1.4), which must differ only as asked.
func (hs *serverHandshakeTLS13) sendHelloRetryRequest(group suites.Group) error {
	c := hs.c
	hs.sentHRR = true
	c.state.helloRetry = true
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "hello_retry", Chosen: group.String(), ReasonCode: "hello_retry_request", Reason: "the client sent no key share for a group both sides support"})
	}
	if _, offered := wire.FindExtension[*wire.EarlyDataExt](hs.hello.Extensions); offered && c.tracer != nil {
		c.decide(&trace.Decision{What: "early_data", Chosen: "rejected", ReasonCode: "early_data_rejected",
			Reason: "a HelloRetryRequest rejects early data"})
	}
	hs.transcript.ReplaceWithMessageHash()
	firstHelloHash := hs.transcript.Sum()
	hrr := &wire.ServerHello{
		Version:     suites.VersionTLS12,
		Random:      wire.HelloRetryRequestRandom,
		SessionID:   hs.hello.SessionID,
		CipherSuite: hs.suite.ID,
		// key_share before supported_versions, as NSS orders them (RFC
		// 8448 §5); RFC 8446 fixes no order in a HelloRetryRequest.
		Extensions: []wire.Extension{
			&wire.KeyShareExt{SelectedGroup: group},
			&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
		},
	}
	var cookie []byte
	if hs.config.HelloRetryCookie {
		var err error
		if cookie, err = hs.config.sealCookie(firstHelloHash, group); err != nil {
			return err
		}
		// Between key_share and supported_versions, as NSS puts it.
		hrr.Extensions = slices.Insert(hrr.Extensions, 1, wire.Extension(&wire.CookieExt{Cookie: cookie}))
	}
	if err := hs.confirmECHInRetry(hrr); err != nil {
		return err
	}
	if _, err := c.writeHandshake(hrr); err != nil {
		return err
	}
	if len(hs.hello.SessionID) > 0 {
		if err := c.writeCompatChangeCipherSpec(); err != nil {
			return err
		}
	}
	if err := c.flush(); err != nil {
		return err
	}
	hs.skipRejectedEarlyData()
	msg, err := hs.readSecondClientHello()
	if err != nil {
		return err
	}
	hello2, ok := msg.(*wire.ClientHello)
	if !ok {
		return errUnexpected("second ClientHello", msg)
	}
	// RFC 8446 §4.2.1 holds for the second ClientHello too: only its
	// supported_versions decides, and it must still select TLS 1.3, the
	// version the HelloRetryRequest was for. RFC 8446 names no alert;
	// OpenSSL 3 sends protocol_version, and checks this before any other
	// change to the hello.
	if v, _, err := c.chooseVersion(hello2); err != nil || v != suites.VersionTLS13 {
		return wire.Errorf(wire.AlertProtocolVersion, "the second ClientHello no longer offers TLS 1.3, which the HelloRetryRequest selected")
	}
	if err := checkSecondClientHello(hs.hello, hello2, group, cookie != nil); err != nil {
		return err
	}
	if cookie != nil {
		if err := hs.config.checkCookie(hello2, firstHelloHash, group); err != nil {
			return err
		}
	}
	hs.hello = hello2
	if hs.psk != nil {
		// The binders of the second ClientHello cover the new transcript.
		hs.psk = nil
		if err := hs.checkForResumption(); err != nil {
			return err
		}
	}
	return hs.chooseGroup()
}

// checkSecondClientHello enforces RFC 8446 §4.1.2: after a
// HelloRetryRequest "the client MUST send the same ClientHello without
// modification, except as follows": key_share replaced by one share of the
// group asked for, early_data removed, a cookie added when the
// HelloRetryRequest (sentCookie) carried one, pre_shared_key updated (new
// ages and binders, and PSKs for another hash dropped), padding added,
// removed or resized. Every other field and extension, known to clasp or
// not, must be byte for byte what the first ClientHello sent; the order of
// extensions is not compared. Anything else is illegal_parameter: §4.1.2
// names no alert, and OpenSSL 3, which compares far less (it lets a changed
// random, session ID or signature_algorithms through), sends
// illegal_parameter where it does object (suites that change its choice).
func checkSecondClientHello(first, second *wire.ClientHello, group suites.Group, sentCookie bool) error {
	changed := func(what string) error {
		return wire.Errorf(wire.AlertIllegalParameter, "the second ClientHello changed %s, which the HelloRetryRequest did not ask for (RFC 8446 §4.1.2)", what)
	}
	switch {
	case first.Version != second.Version:
		return changed("legacy_version")
	case first.Random != second.Random:
		return changed("random")
	case !bytes.Equal(first.SessionID, second.SessionID):
		return changed("legacy_session_id")
	case !slices.Equal(first.CipherSuites, second.CipherSuites):
		return changed("cipher_suites")
	case !bytes.Equal(first.CompressionMethods, second.CompressionMethods):
		return changed("legacy_compression_methods")
	}
	if _, ok := wire.FindExtension[*wire.EarlyDataExt](second.Extensions); ok {
		return wire.Errorf(wire.AlertIllegalParameter, "the second ClientHello offers early data (RFC 8446 §4.1.2)")
	}
	ks, ok := wire.FindExtension[*wire.KeyShareExt](second.Extensions)
	if !ok || len(ks.Entries) != 1 || ks.Entries[0].Group != group {
		return wire.Errorf(wire.AlertIllegalParameter, "the second ClientHello must carry exactly one key share, for %s", group)
	}
	if err := checkSecondPreSharedKey(first, second); err != nil {
		return err
	}
	mayChange := []wire.ExtensionType{wire.ExtKeyShare, wire.ExtEarlyData, wire.ExtPreSharedKey, wire.ExtPadding}
	if sentCookie {
		mayChange = append(mayChange, wire.ExtCookie)
	}
	before, err := extensionBodies(first.Extensions, mayChange)
	if err != nil {
		return err
	}
	after, err := extensionBodies(second.Extensions, mayChange)
	if err != nil {
		return err
	}
	for t, body := range before {
		if other, ok := after[t]; !ok {
			return changed("the extension list: it dropped " + t.String())
		} else if !bytes.Equal(body, other) {
			return changed(t.String())
		}
	}
	for t := range after {
		if _, ok := before[t]; !ok {
			return changed("the extension list: it added " + t.String())
		}
	}
	return nil
}

// checkSecondPreSharedKey allows what RFC 8446 §4.1.2 allows a second
// ClientHello's pre_shared_key: "recomputing the "obfuscated_ticket_age"
// and binder values and (optionally) removing any PSKs which are
// incompatible with the server's indicated cipher suite". It may offer no
// identity the first did not.
func checkSecondPreSharedKey(first, second *wire.ClientHello) error {
	psk2, ok := wire.FindExtension[*wire.PreSharedKeyExt](second.Extensions)
	if !ok {
		return nil
	}
	psk1, _ := wire.FindExtension[*wire.PreSharedKeyExt](first.Extensions)
	for _, id := range psk2.Identities {
		if psk1 == nil || !slices.ContainsFunc(psk1.Identities, func(old wire.PSKIdentity) bool { return bytes.Equal(old.Identity, id.Identity) }) {
			return wire.Errorf(wire.AlertIllegalParameter, "the second ClientHello offers a PSK the first did not (RFC 8446 §4.1.2)")
		}
	}
	return nil
}

// extensionBodies maps each extension of a ClientHello, except those in
// skip, to its bytes.
func extensionBodies(exts []wire.Extension, skip []wire.ExtensionType) (map[wire.ExtensionType][]byte, error) {
	out := make(map[wire.ExtensionType][]byte, len(exts))
	for _, e := range exts {
		if slices.Contains(skip, e.ExtType()) {
			continue
		}
		body, err := wire.ExtensionBody(e, wire.TypeClientHello)
		if err != nil {
			return nil, err
		}
		out[e.ExtType()] = body
	}
	return out, nil
}

// chooseCertificate picks a certificate and a TLS 1.3 signature scheme
// (RFC 8446 §4.4.2.2): the key decides, not the suite.
func (hs *serverHandshakeTLS13) chooseCertificate() error {
	c := hs.c
	sa, ok := wire.FindExtension[*wire.SignatureAlgorithmsExt](hs.hello.Extensions)
	if !ok {
		return wire.Errorf(wire.AlertMissingExtension, "TLS 1.3 ClientHello without signature_algorithms")
	}
	candidates, err := c.certificateCandidates(hs.hello)
	if err != nil {
		return err
	}
	for _, cert := range candidates {
		l, err := leaf(cert)
		if err != nil {
			continue
		}
		if scheme, ok := chooseSignatureScheme(l.PublicKey, suites.VersionTLS13, sa.Schemes, hs.config.schemesFor(cert)); ok {
			hs.cert, hs.certLeaf, hs.scheme = cert, l, scheme
			c.state.scheme = scheme
			if c.tracer != nil {
				c.decide(&trace.Decision{What: "certificate", Chosen: l.Subject.String(),
					ReasonCode: "key_can_sign", Reason: fmt.Sprintf("%s key can sign with %s; server name %q", l.PublicKeyAlgorithm, scheme, c.state.serverName)})
				c.decide(&trace.Decision{What: "signature_scheme", Chosen: scheme.String(), Offered: schemeNames(sa.Schemes),
					Accepted: schemeNames(hs.config.signatureSchemes()), ReasonCode: "server_preference", Reason: "first scheme in the server's order that the client accepts and the key can make in TLS 1.3"})
			}
			return nil
		}
	}
	return &NegotiationError{What: "signature scheme", ClientOffered: schemeNames(sa.Schemes), ServerAccepts: schemeNames(hs.config.signatureSchemes()),
		Detail: "no certificate's key can sign with a scheme the client accepts in TLS 1.3"}
}

// sendServerHello answers with the choices and switches to the handshake
// traffic keys (RFC 8446 §4.1.3, §7.1).
func (hs *serverHandshakeTLS13) sendServerHello() error {
	c, cfg := hs.c, hs.config
	// Binders were the last use of the raw messages; TLS 1.3 signs and
	// finishes over transcript hashes only.
	hs.transcript.DropMessages()
	sh := &wire.ServerHello{
		Version:     suites.VersionTLS12,
		SessionID:   hs.hello.SessionID,
		CipherSuite: hs.suite.ID,
	}
	if _, err := io.ReadFull(cfg.rand(), sh.Random[:]); err != nil {
		return fmt.Errorf("reading random bytes: %w", err)
	}
	// Extensions in NSS's order (RFC 8448 §3, §4): pre_shared_key,
	// key_share, supported_versions. RFC 8446 fixes no order here.
	if hs.psk != nil {
		sh.Extensions = append(sh.Extensions, &wire.PreSharedKeyExt{SelectedIdentity: uint16(hs.pskIdentity)})
	} else {
		hs.schedule = keys.NewSchedule13(hs.hash, nil)
	}
	var shared []byte
	if hs.group != 0 {
		public, secret, err := kex.ServerKeyShare(hs.group, hs.clientShare, cfg.rand())
		if err != nil {
			return err
		}
		shared = secret
		sh.Extensions = append(sh.Extensions, &wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: hs.group, KeyExchange: public}}})
	}
	sh.Extensions = append(sh.Extensions, &wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}})
	hs.serverHello = sh
	var earlySecret []byte
	if hs.earlyData {
		// Over the ClientHello alone, and before the key schedule moves on.
		earlySecret = hs.schedule.ClientEarlyTrafficSecret(hs.transcript.Sum())
		c.logSecret("CLIENT_EARLY_TRAFFIC_SECRET", hs.hello.Random[:], earlySecret)
	}
	if err := hs.confirmECH(sh); err != nil {
		return err
	}
	if _, err := c.writeHandshake(sh); err != nil {
		return err
	}
	if len(hs.hello.SessionID) > 0 && !hs.sentHRR {
		// RFC 8446 Appendix D.4: a compatibility-mode client expects one.
		if err := c.writeCompatChangeCipherSpec(); err != nil {
			return err
		}
	}
	hs.schedule.SetSharedSecret(shared)
	th := hs.transcript.Sum()
	hs.clientSecret = hs.schedule.ClientHandshakeTrafficSecret(th)
	hs.serverSecret = hs.schedule.ServerHandshakeTrafficSecret(th)
	c.logSecret("CLIENT_HANDSHAKE_TRAFFIC_SECRET", hs.hello.Random[:], hs.clientSecret)
	c.logSecret("SERVER_HANDSHAKE_TRAFFIC_SECRET", hs.hello.Random[:], hs.serverSecret)
	write, err := c.protection13(hs.suite, hs.serverSecret)
	if err != nil {
		return err
	}
	read, err := c.protection13(hs.suite, hs.clientSecret)
	if err != nil {
		return err
	}
	c.setWriteProtection(write)
	if hs.earlyData {
		// The client's early data comes first; readEndOfEarlyData
		// installs the handshake key after it.
		if read, err = c.protection13(hs.suite, earlySecret); err != nil {
			return err
		}
	}
	c.setReadProtection(read)
	if !hs.sentHRR && !hs.earlyData {
		hs.skipRejectedEarlyData()
	}
	return nil
}

// maxRejectedEarlyData bounds the 0-RTT data a server discards when it
// rejects it: what its tickets allow (RFC 8446 §4.2.10, "up to the
// configured max_early_data_size"), with room for record overhead, and at
// least 64 KiB for clients holding tickets from another configuration. The
// bound keeps a client from making the server decrypt-and-drop forever.
func (c *Config) maxRejectedEarlyData() int {
	return max(64<<10, 2*int(c.MaxEarlyData))
}

// skipRejectedEarlyData applies RFC 8446 §4.2.10: a client that offered
// early_data may already have sent it; a server that does not accept it
// skips those records (undecryptable under the handshake key, or, after a
// HelloRetryRequest, plain application_data records).
func (hs *serverHandshakeTLS13) skipRejectedEarlyData() {
	if _, offered := wire.FindExtension[*wire.EarlyDataExt](hs.hello.Extensions); offered {
		hs.c.layer.SkipEarlyData(hs.config.maxRejectedEarlyData())
	}
}

// sendEncryptedExtensions answers the ClientHello's extensions that do not
// shape the keys (RFC 8446 §4.3.1), in NSS's order (RFC 8448 §3):
//
//   - supported_groups, the server's groups in its order (RFC 8446 §4.2.7:
//     the server MAY send it, so that the client can offer a key share for
//     a group the server prefers next time);
//   - record_size_limit when the client offered one (RFC 8449 §4), with
//     clasp's own limit; from this record on the server's protected
//     records fit in the client's;
//   - an empty server_name when the server used the client's to choose
//     its certificate (RFC 6066 §3, carried in EncryptedExtensions since
//     RFC 8446 §4.2); not on a resumed handshake, where RFC 6066 §3 says
//     the server "MUST NOT include a server_name extension", unless
//     Config.ServerNameOnResumption asks for it (NSS sends it there, RFC
//     8448 §4);
//   - the chosen ALPN protocol;
//   - early_data when the client's 0-RTT data is accepted.
func (hs *serverHandshakeTLS13) sendEncryptedExtensions() error {
	c := hs.c
	ee := &wire.EncryptedExtensions{}
	if groups := tls13Groups(hs.config); len(groups) > 0 {
		ee.Extensions = append(ee.Extensions, &wire.SupportedGroupsExt{Groups: groups})
	}
	if mfl := c.answerMaxFragmentLength(hs.hello); mfl != nil {
		ee.Extensions = append(ee.Extensions, mfl...)
		// The EncryptedExtensions itself is the first record to obey it.
		c.layer.SetMaxPlaintext(c.state.maxFragment)
	}
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](hs.hello.Extensions); ok {
		ee.Extensions = append(ee.Extensions, &wire.RecordSizeLimitExt{Limit: ourRecordSizeLimit(true)})
		// Negotiated once this EncryptedExtensions leaves, and it is the
		// first protected record: the limit applies to it already.
		c.layer.SetMaxPlaintext(peerPlaintextLimit(rsl.Limit, true))
	}
	if c.state.serverName != "" && (hs.psk == nil || hs.config.ServerNameOnResumption) {
		ee.Extensions = append(ee.Extensions, &wire.ServerNameExt{})
	}
	if alpn := c.state.alpn; alpn != "" {
		ee.Extensions = append(ee.Extensions, &wire.ALPNExt{Protocols: []string{alpn}})
	}
	if hs.earlyData {
		ee.Extensions = append(ee.Extensions, &wire.EarlyDataExt{})
	}
	retry, retryErr := c.echRetryConfigs()
	if retryErr != nil {
		return retryErr
	}
	ee.Extensions = append(ee.Extensions, retry...)
	if hs.psk == nil {
		certType, err := c.chooseServerCertificateType(hs.hello)
		if err != nil {
			return err
		}
		ee.Extensions = append(ee.Extensions, certType...)
		if certType, err = c.chooseClientCertificateType(hs.hello); err != nil {
			return err
		}
		ee.Extensions = append(ee.Extensions, certType...)
	}
	_, err := c.writeHandshake(ee)
	return err
}

// sendCertificateRequest asks for a client certificate per ClientAuth,
// naming ClientCAs in certificate_authorities (RFC 8446 §4.3.2).
func (hs *serverHandshakeTLS13) sendCertificateRequest() error {
	cfg := hs.config
	if cfg.ClientAuth == NoClientCert || hs.psk != nil {
		return nil
	}
	hs.certRequested = true
	req := certificateRequest13(cfg)
	hs.certRequest = req
	_, err := hs.c.writeHandshake(req)
	return err
}

func (hs *serverHandshakeTLS13) sendServerCertificate() error {
	if hs.psk != nil {
		return nil
	}
	c := hs.c
	msg := &wire.Certificate13{}
	for _, der := range hs.cert.Certificate {
		msg.Entries = append(msg.Entries, wire.CertificateEntry{Data: der})
	}
	if len(msg.Entries) > 0 {
		msg.Entries[0].Extensions = leafEntryExtensions13(hs.hello, hs.cert)
	}
	if c.state.rawPublicKey {
		entry, err := rawPublicKeyEntry(hs.cert)
		if err != nil {
			return err
		}
		msg.Entries = []wire.CertificateEntry{entry}
	}
	out, err := maybeCompress(hs.config, msg, hs.cert, hs.hello.Extensions)
	if err != nil {
		return err
	}
	if _, err := c.writeHandshake(out); err != nil {
		return err
	}
	cv, err := sign13(hs.cert, hs.scheme, hs.config, signedContent13(serverSignatureContext, hs.transcript.Sum()))
	if err != nil {
		return err
	}
	_, err = c.writeHandshake(cv)
	return err
}

// sendServerFinished sends Finished and switches the write side to the
// application keys: the server may send data before the client finishes.
func (hs *serverHandshakeTLS13) sendServerFinished() error {
	c := hs.c
	verify := keys.FinishedVerifyData13(hs.hash, hs.serverSecret, hs.transcript.Sum())
	if _, err := c.writeHandshake(&wire.Finished{VerifyData: verify}); err != nil {
		return err
	}
	hs.schedule.SetMasterSecret()
	th := hs.transcript.Sum()
	hs.appSecrets[0] = hs.schedule.ClientApplicationTrafficSecret(th)
	hs.appSecrets[1] = hs.schedule.ServerApplicationTrafficSecret(th)
	c.exporterSecret = newExporterSecret13(hs.schedule, th)
	random := hs.hello.Random[:]
	c.logSecret("CLIENT_TRAFFIC_SECRET_0", random, hs.appSecrets[0])
	c.logSecret("SERVER_TRAFFIC_SECRET_0", random, hs.appSecrets[1])
	c.logExporterSecret13(random)
	write, err := c.protection13(hs.suite, hs.appSecrets[1])
	if err != nil {
		return err
	}
	c.setWriteProtection(write)
	if !hs.certRequested {
		// Without client authentication the client's Finished is
		// predictable, and with it the resumption secret (RFC 8446 §4.6.1
		// allows this), so the ticket leaves with this flight instead of
		// waiting for the server to write.
		if err := hs.predictClientFinished(); err != nil {
			return err
		}
		if err := hs.sendSessionTickets(); err != nil {
			return err
		}
		hs.ticketsSent = true
	}
	return c.flush()
}

// predictClientFinished computes the client's Finished before it arrives
// (its only remaining message) and the resumption secret that follows it.
func (hs *serverHandshakeTLS13) predictClientFinished() error {
	// With accepted early data the client's EndOfEarlyData, which has no
	// content, comes before its Finished.
	var before []byte
	if hs.earlyData {
		eoed, err := (&wire.EndOfEarlyData{}).Marshal()
		if err != nil {
			return err
		}
		before = eoed
	}
	hs.expectedClientFinished = keys.FinishedVerifyData13(hs.hash, hs.clientSecret, hs.transcript.SumWith(before))
	fin, err := (&wire.Finished{VerifyData: hs.expectedClientFinished}).Marshal()
	if err != nil {
		return err
	}
	if hs.ticketsWanted() {
		hs.c.resumptionSecret = hs.schedule.ResumptionMasterSecret(hs.transcript.SumWith(append(before, fin...)))
	}
	return nil
}

// readClientCertificate applies the ClientAuth policy to the client's
// Certificate and checks its CertificateVerify (RFC 8446 §4.4.2–4.4.3).
func (hs *serverHandshakeTLS13) readClientCertificate() error {
	if !hs.certRequested {
		return nil
	}
	c, cfg := hs.c, hs.config
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	if compressed, ok := msg.(*wire.CompressedCertificate); ok {
		if msg, err = c.decompressCertificate(compressed, hs.certRequest.Extensions); err != nil {
			return err
		}
	}
	certMsg, ok := msg.(*wire.Certificate13)
	if !ok {
		return errUnexpected("client Certificate", msg)
	}
	if len(certMsg.Entries) == 0 {
		if cfg.ClientAuth == RequireAnyClientCert || cfg.ClientAuth == RequireAndVerifyClientCert {
			// RFC 8446 §4.4.2.4: certificate_required.
			return wire.Errorf(wire.AlertCertificateRequired, "the server requires a client certificate and the client sent none")
		}
		return nil
	}
	// RFC 8446 §4.4.2: "Extensions in the Certificate message from the
	// client MUST correspond to extensions in the CertificateRequest
	// message from the server."
	for _, entry := range certMsg.Entries {
		if err := checkPeerExtensions(wire.TypeCertificate, suites.VersionTLS13, entry.Extensions, hs.certRequest.Extensions); err != nil {
			return err
		}
	}
	pub, certs, chains, err := c.clientIdentity13(certMsg)
	if err != nil {
		return err
	}
	signed := signedContent13(clientSignatureContext, hs.transcript.Sum())
	msg, err = c.readHandshake()
	if err != nil {
		return err
	}
	cv, ok := msg.(*wire.CertificateVerify)
	if !ok {
		return errUnexpected("client CertificateVerify", msg)
	}
	if err := verify13(pub, cv, cfg.signatureSchemes(), signed); err != nil {
		return err
	}
	hs.clientCerts = certs
	c.state.peerCertificates, c.state.verifiedChains = certs, chains
	return nil
}

// readClientFinished checks the client's Finished and switches the read
// side to the application keys.
func (hs *serverHandshakeTLS13) readClientFinished() error {
	c := hs.c
	want := hs.expectedClientFinished
	if want == nil {
		want = keys.FinishedVerifyData13(hs.hash, hs.clientSecret, hs.transcript.Sum())
	}
	if err := c.readFinished(want); err != nil {
		return err
	}
	c.keepPostHandshakeBase(hs.transcript, hs.hello)
	read, err := c.protection13(hs.suite, hs.appSecrets[0])
	if err != nil {
		return err
	}
	c.setReadProtection(read)
	c.trafficSecrets = [2][]byte{hs.appSecrets[0], hs.appSecrets[1]}
	if hs.ticketsSent {
		// The ticket's secret assumed this Finished; it was checked above.
		return nil
	}
	if hs.ticketsWanted() {
		c.resumptionSecret = hs.schedule.ResumptionMasterSecret(hs.transcript.Sum())
	}
	// With client authentication the ticket waits for the server's next
	// write: flushing now would make the handshake wait for a client that
	// has finished and may not read until it has something to say.
	return hs.sendSessionTickets()
}

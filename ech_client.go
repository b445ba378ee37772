package clasp

import (
	"crypto/ecdh"
	"crypto/hpke"
	"crypto/subtle"
	"crypto/x509"
	"fmt"
	"io"
	"slices"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// The client side of Encrypted Client Hello (RFC 9849 §6.1). The
// ClientHello makeClientHello builds is the ClientHelloInner; offerECH
// derives the ClientHelloOuter from it, and every ClientHello the driver
// writes is then sealed into an outer one on its way out
// (writeSealedClientHello). The server's first answer says which hello it
// used (resolveECH): the accepted handshake continues with the inner
// hello and its transcript, the rejected one with the outer hello,
// authenticated for the public name, and ends in an ECHRejectionError.

// echStatus is where an ECH offer stands.
type echStatus int

const (
	echOffered  echStatus = iota // no answer yet
	echAccepted                  // the server uses ClientHelloInner
	echRejected                  // the server uses ClientHelloOuter
)

// echClient is a client's ECH offer.
type echClient struct {
	config *wire.ECHConfig
	suite  wire.HPKESymmetricCipherSuite
	sender *hpke.Sender
	enc    []byte
	status echStatus

	outer           *wire.ClientHello // the last ClientHelloOuter sent
	outerTranscript *keys.Transcript  // the outer handshake's, until resolved
	innerTranscript *keys.Transcript  // the inner handshake's
	innerBefore     *keys.Transcript  // innerTranscript before the server's answer
	retryConfigs    []byte            // the server's retry_configs, on rejection
	innerRandom     []byte            // ClientHelloInner.random, the same in both inner hellos
}

func (e *echClient) rejected() bool { return e != nil && e.status == echRejected }

// offerECH turns offer, the ClientHelloInner, into an ECH offer when the
// Config has an ECHConfigList: it picks the first ECHConfig clasp can use
// (RFC 9849 §6.1), sets up the HPKE context, and adds the inner
// encrypted_client_hello extension. It does nothing without a list.
func (c *Conn) offerECH(offer *clientOffer) error {
	cfg := c.config
	if len(cfg.EncryptedClientHelloConfigList) == 0 {
		return c.greaseECH(offer)
	}
	if cfg.MinVersion != 0 && cfg.MinVersion < VersionTLS13 || cfg.maxVersion() < suites.VersionTLS13 {
		return &configError{"EncryptedClientHelloConfigList needs TLS 1.3: MinVersion, when set, and MaxVersion must allow it"}
	}
	config, suite, err := chooseECHConfig(cfg.EncryptedClientHelloConfigList)
	if err != nil {
		return err
	}
	kem, kdf, aead, _ := echCipherSuite(config.KEM, suite)
	pub, err := kem.NewPublicKey(config.PublicKey)
	if err != nil {
		return &configError{fmt.Sprintf("ECHConfig public key: %v", err)}
	}
	enc, sender, err := hpke.NewSender(pub, kdf, aead, echInfo(config.Raw))
	if err != nil {
		return err
	}
	ech := &echClient{config: config, suite: suite, sender: sender, enc: enc,
		outerTranscript: c.transcript, innerTranscript: keys.NewTranscript()}
	// RFC 9849 §6.1: no 0-RTT through ECH here (the outer hello would
	// have to carry early_data too); a ticket may still be offered inside.
	offer.earlyData = nil
	exts := slices.DeleteFunc(slices.Clone(offer.hello.Extensions), func(e wire.Extension) bool {
		_, early := e.(*wire.EarlyDataExt)
		return early
	})
	offer.hello.Extensions = insertBeforePSK(exts, &wire.EncryptedClientHelloExt{Type: wire.ECHInner})
	offer.ech = ech
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "ech", Chosen: "offered", ReasonCode: "ech_offered",
			Reason: fmt.Sprintf("the real ClientHello is encrypted to ECHConfig %d; the outer one names %s", config.ConfigID, config.PublicName)})
	}
	return nil
}

// echVersions makes a client with an ECHConfigList and no MinVersion offer
// TLS 1.3 only, in both hellos (RFC 9849 §6.1), as crypto/tls does; a
// MinVersion below TLS 1.3 is refused by offerECH. The Config itself is
// not changed: the connection gets a copy.
func (c *Conn) echVersions() {
	if len(c.config.EncryptedClientHelloConfigList) > 0 && c.config.MinVersion == 0 {
		cfg := c.config.Clone()
		cfg.MinVersion = VersionTLS13
		c.config = cfg
	}
}

// chooseECHConfig returns the first ECHConfig of the list clasp supports
// (version, KEM, a KDF/AEAD pair, no unknown mandatory extension, a valid
// public name: RFC 9849 §4.2, §6.1, §6.1.7) and its first usable suite.
func chooseECHConfig(list []byte) (*wire.ECHConfig, wire.HPKESymmetricCipherSuite, error) {
	configs, err := wire.ParseECHConfigList(list)
	if err != nil {
		return nil, wire.HPKESymmetricCipherSuite{}, &configError{fmt.Sprintf("EncryptedClientHelloConfigList: %v", err)}
	}
	for i := range configs {
		cfg := &configs[i]
		if cfg.Version != wire.ECHConfigVersion || checkPublicName(cfg.PublicName) != nil ||
			slices.ContainsFunc(cfg.Extensions, wire.ECHConfigExtension.Mandatory) {
			continue
		}
		for _, cs := range cfg.CipherSuites {
			if _, _, _, err := echCipherSuite(cfg.KEM, cs); err == nil {
				return cfg, cs, nil
			}
		}
	}
	return nil, wire.HPKESymmetricCipherSuite{}, &configError{"EncryptedClientHelloConfigList has no ECHConfig clasp supports"}
}

// writeSealedClientHello sends inner, a ClientHelloInner whose binders
// are final, as the payload of a ClientHelloOuter (RFC 9849 §6.1.1): the
// inner hello goes into the inner transcript and the trace, the outer
// onto the wire and into the outer transcript while the server has not
// yet chosen.
func (c *Conn) writeSealedClientHello(ech *echClient, inner *wire.ClientHello) error {
	innerRaw, err := inner.Marshal()
	if err != nil {
		return err
	}
	ech.innerTranscript.Write(innerRaw)
	ech.innerRandom = slices.Clone(inner.Random[:])
	if ech.innerBefore, err = ech.innerTranscript.Clone(); err != nil {
		return err
	}
	outer, err := ech.sealOuter(c.config, inner)
	if err != nil {
		return err
	}
	if c.tracer != nil {
		c.emitInnerHello(innerRaw, inner)
	}
	saved := c.transcript
	c.transcript = ech.outerTranscript
	_, err = c.writeHandshake(outer)
	c.transcript = saved
	return err
}

// emitInnerHello traces a ClientHelloInner: sent, but encrypted inside the
// outer hello rather than as a record of its own.
func (c *Conn) emitInnerHello(raw []byte, hello *wire.ClientHello) {
	c.decide(&trace.Decision{What: "ech_inner_hello", Chosen: hostNameOf(hello),
		ReasonCode: "ech_inner_hello", Reason: "the next ClientHello carries this ClientHelloInner encrypted in its encrypted_client_hello extension"})
	c.emitMessage(trace.Sent, wire.ContentHandshake, raw, hello, c.layer.WriteEpoch())
}

func hostNameOf(hello *wire.ClientHello) string {
	if sni, ok := wire.FindExtension[*wire.ServerNameExt](hello.Extensions); ok {
		return sni.HostName
	}
	return ""
}

// sealOuter builds the ClientHelloOuter for inner (RFC 9849 §6.1): the
// same session ID, suites and extensions, but a fresh random, the public
// name in server_name, no pre_shared_key, and an outer
// encrypted_client_hello whose payload is EncodedClientHelloInner (the
// extensions both hellos share compressed, §5.1) sealed with the outer
// hello (payload zeroed) as associated data (§5.2, §6.1.1). After a
// HelloRetryRequest the random is kept and enc is empty (§6.1.5).
func (ech *echClient) sealOuter(cfg *Config, inner *wire.ClientHello) (*wire.ClientHello, error) {
	outer := *inner
	ext := &wire.EncryptedClientHelloExt{Type: wire.ECHOuter, CipherSuite: ech.suite, ConfigID: ech.config.ConfigID}
	if ech.outer == nil {
		if _, err := io.ReadFull(cfg.rand(), outer.Random[:]); err != nil {
			return nil, fmt.Errorf("reading random bytes: %w", err)
		}
		ext.Enc = ech.enc
	} else {
		outer.Random = ech.outer.Random
	}
	var exts []wire.Extension
	for _, e := range inner.Extensions {
		switch e.(type) {
		case *wire.ServerNameExt:
			exts = append(exts, &wire.ServerNameExt{HostName: ech.config.PublicName})
		case *wire.EncryptedClientHelloExt, *wire.PreSharedKeyExt, *wire.EarlyDataExt, *wire.PaddingExt:
		default:
			exts = append(exts, e)
		}
	}
	if !slices.ContainsFunc(exts, func(e wire.Extension) bool { _, ok := e.(*wire.ServerNameExt); return ok }) {
		exts = append([]wire.Extension{&wire.ServerNameExt{HostName: ech.config.PublicName}}, exts...)
	}
	encoded, err := encodeClientHelloInner(compressOuterExtensions(inner, exts), ech.config.MaxNameLength)
	if err != nil {
		return nil, err
	}
	ext.Payload = make([]byte, len(encoded)+echTagLen)
	outer.Extensions = append(exts, ext)
	aad, err := wire.ClientHelloBody(&outer)
	if err != nil {
		return nil, err
	}
	sealed, err := ech.sender.Seal(aad, encoded)
	if err != nil {
		return nil, err
	}
	if len(sealed) != len(ext.Payload) {
		return nil, fmt.Errorf("clasp: ECH payload of %d bytes, expected %d", len(sealed), len(ext.Payload))
	}
	ext.Payload = sealed
	ech.outer = &outer
	return &outer, nil
}

// compressOuterExtensions returns inner with its longest run of
// consecutive extensions that the outer hello carries too (the same
// values: sealOuter copies them) replaced by one ech_outer_extensions
// (RFC 9849 §5.1): the key shares and the lists need not travel twice.
// The run is consecutive in the inner hello and in the same relative order
// in the outer one, as §5.1 requires. The inner hello itself, which the
// transcript holds, is unchanged.
func compressOuterExtensions(inner *wire.ClientHello, outer []wire.Extension) *wire.ClientHello {
	inOuter := func(e wire.Extension) bool { return slices.Contains(outer, e) }
	best, bestLen := 0, 0
	for i := 0; i < len(inner.Extensions); {
		j := i
		for j < len(inner.Extensions) && inOuter(inner.Extensions[j]) {
			j++
		}
		if j-i > bestLen {
			best, bestLen = i, j-i
		}
		i = j + 1
	}
	if bestLen < 2 {
		return inner
	}
	ref := &wire.ECHOuterExtensionsExt{}
	for _, e := range inner.Extensions[best : best+bestLen] {
		ref.Types = append(ref.Types, e.ExtType())
	}
	out := *inner
	out.Extensions = slices.Concat(inner.Extensions[:best], []wire.Extension{ref}, inner.Extensions[best+bestLen:])
	return &out
}

// encodeClientHelloInner is RFC 9849 §5.1's EncodedClientHelloInner: the
// inner hello with an empty legacy_session_id, then zeros — §6.1.3's
// padding: the server name's room up to maximum_name_length (its whole
// extension's when there is no name), then up to a multiple of 32.
func encodeClientHelloInner(inner *wire.ClientHello, maxNameLength uint8) ([]byte, error) {
	copyHello := *inner
	copyHello.SessionID = nil
	body, err := wire.ClientHelloBody(&copyHello)
	if err != nil {
		return nil, err
	}
	pad := int(maxNameLength) + 9
	if name := hostNameOf(inner); name != "" {
		pad = max(0, int(maxNameLength)-len(name))
	}
	pad += 31 - ((len(body) + pad - 1) % 32)
	return append(body, make([]byte, pad)...), nil
}

// resolveECH reads the server's first answer, sh, for the sign of ECH
// acceptance (RFC 9849 §6.1.4) and returns the offer and transcript the
// handshake goes on with: the inner ones when the server accepted, the
// outer ones otherwise.
func (c *Conn) resolveECH(offer *clientOffer, transcript *keys.Transcript, sh *wire.ServerHello) (*clientOffer, *keys.Transcript, error) {
	ech := offer.ech
	accepted, err := ech.acceptedBy(sh, c.lastHandshakeRaw)
	if err != nil {
		return nil, nil, err
	}
	if !accepted {
		ech.status = echRejected
		outer := *offer
		outer.hello, outer.session, outer.psks, outer.session12 = ech.outer, nil, nil, nil
		c.state.serverName = ech.config.PublicName
		c.echRejectedName = ech.config.PublicName
		c.keyLogRandom = ech.outer.Random
		c.traceECH("rejected", "ech_rejected", "the server could not use the ClientHelloInner and answered the outer hello; the handshake is checked against the public name "+ech.config.PublicName+" and will fail")
		return &outer, transcript, nil
	}
	ech.status = echAccepted
	if !sh.IsHelloRetryRequest() {
		// A HelloRetryRequest joins the transcript later, after the
		// message_hash (processHelloRetryRequest).
		ech.innerTranscript.Write(c.lastHandshakeRaw)
	}
	c.transcript, ech.outerTranscript = ech.innerTranscript, nil
	c.state.echAccepted = true
	c.traceECH("accepted", "ech_accepted", "the server confirmed that it uses the ClientHelloInner")
	return offer, ech.innerTranscript, nil
}

func (c *Conn) traceECH(chosen, code, reason string) {
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "ech", Chosen: chosen, ReasonCode: code, Reason: reason})
	}
}

// acceptedBy computes the acceptance signal for a ServerHello (the last 8
// bytes of its random, RFC 9849 §7.2; shRaw is its bytes) or a
// HelloRetryRequest (its encrypted_client_hello extension, §7.2.1, over
// the HelloRetryRequest re-marshalled with the confirmation zeroed: wire
// messages marshal back to the bytes they were parsed from) and compares
// it in constant time.
func (ech *echClient) acceptedBy(sh *wire.ServerHello, shRaw []byte) (bool, error) {
	suite := suiteForConfirmation(sh)
	if suite == nil {
		return false, nil // not a TLS 1.3 suite: the driver refuses it
	}
	random := ech.innerRandom
	if !sh.IsHelloRetryRequest() {
		zeroed := slices.Clone(shRaw)
		clear(zeroed[4+2+24 : 4+2+32])
		want := echConfirmation(suite.PRFHash, random, echAcceptLabel, echTranscriptHash(ech.innerBefore, suite.PRFHash, zeroed))
		return subtle.ConstantTimeCompare(want, sh.Random[24:]) == 1, nil
	}
	ext, ok := wire.FindExtension[*wire.EncryptedClientHelloExt](sh.Extensions)
	if !ok {
		return false, nil
	}
	zeroed, err := zeroHRRConfirmation(sh)
	if err != nil {
		return false, err
	}
	t := ech.innerBefore
	if t.Hash() == 0 {
		t.SetHash(suites.VersionTLS13, suite.PRFHash)
	}
	t.ReplaceWithMessageHash()
	want := echConfirmation(suite.PRFHash, random, echHRRAcceptLabel, t.SumWith(zeroed))
	return subtle.ConstantTimeCompare(want, ext.Confirmation) == 1, nil
}

// zeroHRRConfirmation is the HelloRetryRequest with its confirmation
// replaced by zeros, as RFC 9849 §7.2.1 hashes it.
func zeroHRRConfirmation(hrr *wire.ServerHello) ([]byte, error) {
	zeroed := *hrr
	zeroed.Extensions = slices.Clone(hrr.Extensions)
	replaceExtension(zeroed.Extensions, &wire.EncryptedClientHelloExt{Confirmation: make([]byte, wire.ECHConfirmationLen)})
	return zeroed.Marshal()
}

// suiteForConfirmation is the TLS 1.3 suite a ServerHello names, whose
// hash the confirmation uses; nil for anything else.
func suiteForConfirmation(sh *wire.ServerHello) *suites.Suite {
	if s := suites.SuiteByID(sh.CipherSuite); s != nil && s.IsTLS13() {
		return s
	}
	return nil
}

// checkECHAfterRetry applies RFC 9849 §6.1.5 to the ServerHello after a
// HelloRetryRequest that accepted ECH: "If the ServerHello does not also
// indicate ECH acceptance, the client MUST terminate the connection with
// an "illegal_parameter" alert."
func (hs *clientHandshakeTLS13) checkECHAfterRetry(sh *wire.ServerHello) error {
	ech := hs.offer.ech
	if ech == nil || ech.status != echAccepted {
		return nil
	}
	ok, err := ech.acceptedBy(sh, hs.c.lastHandshakeRaw)
	if err != nil {
		return err
	}
	if !ok {
		return wire.Errorf(wire.AlertIllegalParameter, "the ServerHello after a HelloRetryRequest that accepted ECH does not confirm it (RFC 9849 §6.1.5)")
	}
	return nil
}

// readECHRetryConfigs reads the server's encrypted_client_hello in
// EncryptedExtensions (RFC 9849 §5): retry_configs, valid only when the
// server used the outer hello; "If the server sent this extension in
// response to the inner variant, then the client MUST abort with an
// "unsupported_extension" alert."
func (hs *clientHandshakeTLS13) readECHRetryConfigs(ee *wire.EncryptedExtensions) error {
	ext, ok := wire.FindExtension[*wire.EncryptedClientHelloExt](ee.Extensions)
	ech := hs.offer.ech
	if !ok || ech == nil {
		return nil
	}
	if ech.status == echAccepted {
		return wire.Errorf(wire.AlertUnsupportedExtension, "the server sent retry_configs after accepting ECH (RFC 9849 §5)")
	}
	ech.retryConfigs = ext.RetryConfigs
	return nil
}

// finishECH ends a handshake whose ECH offer was rejected (RFC 9849
// §6.1.6): having authenticated the server for the public name, the client
// "MUST ... abort the connection with an "ech_required" alert" and report
// the failure with the server's retry configs.
func (hs *clientHandshakeTLS13) finishECH() error {
	if !hs.offer.ech.rejected() {
		return nil
	}
	return &ECHRejectionError{RetryConfigList: hs.offer.ech.retryConfigs}
}

// verifyECHPublicName checks the server's chain after a rejected ECH offer
// (RFC 9849 §6.1.7): for the public name, against RootCAs, whatever
// InsecureSkipVerify says — or with EncryptedClientHelloRejectionVerify
// alone when it is set, as in crypto/tls.
func (c *Conn) verifyECHPublicName(publicName string, certs []*x509.Certificate) ([][]*x509.Certificate, error) {
	cfg := c.config
	if cfg.EncryptedClientHelloRejectionVerify != nil {
		st := c.connectionStateLocked()
		st.PeerCertificates = certs
		if err := cfg.EncryptedClientHelloRejectionVerify(st); err != nil {
			return nil, &CertificateVerificationError{UnverifiedCertificates: certs, Err: fmt.Errorf("EncryptedClientHelloRejectionVerify: %w", err)}
		}
		return nil, nil
	}
	opts := x509.VerifyOptions{CurrentTime: cfg.now(), Intermediates: x509.NewCertPool(), Roots: cfg.RootCAs,
		DNSName: publicName, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	for _, cert := range certs[1:] {
		opts.Intermediates.AddCert(cert)
	}
	chains, err := certs[0].Verify(opts)
	if err != nil {
		return nil, &CertificateVerificationError{UnverifiedCertificates: certs, Err: fmt.Errorf("ECH public name: %w", err)}
	}
	return chains, nil
}

// greaseECH adds a GREASE encrypted_client_hello to a TLS 1.3 hello
// unless the Config turns it off or chooses the hello's extensions itself
// (RFC 9849 §6.2.1): a random config_id, a
// supported cipher suite, a valid X25519 public key as enc, and a random
// payload as long as a real one for this hello would be. A second hello
// after a HelloRetryRequest copies it unchanged, as processHelloRetryRequest
// copies every extension.
func (c *Conn) greaseECH(offer *clientOffer) error {
	cfg := c.config
	if cfg.EncryptedClientHelloGREASEDisabled || cfg.ClientHelloExtensions != nil || !offer.offers13 {
		return nil
	}
	priv, err := ecdh.X25519().GenerateKey(cfg.rand())
	if err != nil {
		return err
	}
	encoded, err := encodeClientHelloInner(offer.hello, greaseMaxNameLength)
	if err != nil {
		return err
	}
	if 2*len(encoded)+greaseOverhead > maxExtensionsLength {
		// A payload as long as this hello (a very long PSK identity, say)
		// would overflow the extensions' 2-byte length: a real ECH offer
		// could not be sent either, so there is no shape to imitate.
		return nil
	}
	ext := &wire.EncryptedClientHelloExt{Type: wire.ECHOuter, CipherSuite: wire.HPKESymmetricCipherSuite{KDF: hpkeKDFHKDFSHA256, AEAD: hpkeAEADAES128GCM},
		Enc: priv.PublicKey().Bytes(), Payload: make([]byte, len(encoded)+echTagLen)}
	var id [1]byte
	if _, err := io.ReadFull(cfg.rand(), id[:]); err != nil {
		return err
	}
	if _, err := io.ReadFull(cfg.rand(), ext.Payload); err != nil {
		return err
	}
	ext.ConfigID = id[0]
	offer.hello.Extensions = insertBeforePSK(offer.hello.Extensions, ext)
	c.traceECH("GREASE", "ech_grease", "no ECH configuration for this server: random values in the shape of a real offer (RFC 9849 §6.2), so that hellos with and without ECH look alike")
	return nil
}

// greaseOverhead bounds what a GREASE extension adds besides its payload:
// its header, cipher suite, config_id, enc and the AEAD tag.
const greaseOverhead = 4 + 4 + 1 + 2 + 32 + 2 + echTagLen

// maxExtensionsLength is the most a hello's extension block can hold.
const maxExtensionsLength = 0xFFFF

// greaseMaxNameLength stands in for an ECHConfig's maximum_name_length
// when sizing a GREASE payload: the one clasp's own keys publish.
const greaseMaxNameLength = 64

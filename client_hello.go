package clasp

import (
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// clientOffer is what the client put in its ClientHello, with the secrets
// behind it. It is built once for both protocol versions: the ServerHello
// decides which driver continues.
type clientOffer struct {
	hello     *wire.ClientHello
	keyShares []kex.ClientKeyShare  // TLS 1.3 key shares, in the order sent
	session   *ClientSessionState   // the first TLS 1.3 PSK offered (the ticket, when one is), the only one that may carry early data
	psks      []*ClientSessionState // every TLS 1.3 PSK offered, in pre_shared_key's order: the ticket, then the external PSKs
	session12 *ClientSessionState   // the TLS 1.2 session offered, if any
	earlyData []byte                // the 0-RTT data sent with the hello, if any
	offers13  bool
	offers12  bool       // any version below 1.3
	ech       *echClient // the Encrypted Client Hello offer, if any (ech_client.go)
	// early is the early-stage key schedule of session (the first PSK),
	// made for its binder and taken over by the handshake when the server
	// accepts that PSK, so HKDF-Extract runs once for it (earlySchedule).
	early    *keys.Schedule13
	earlyPSK *ClientSessionState // the PSK early belongs to
}

// clientHandshake sends the ClientHello, reads the ServerHello and hands
// over to the driver of the version the server chose.
func (c *Conn) clientHandshake() error {
	c.echVersions()
	cfg := c.config
	c.setStep("write ClientHello")
	if cfg.ServerName == "" && !cfg.InsecureSkipVerify {
		return c.fail(errNoServerName)
	}
	transcript := keys.NewTranscript()
	c.transcript = transcript

	offer, err := c.makeClientHello()
	if err == nil {
		err = c.offerECH(offer)
	}
	if err != nil {
		return c.fail(err)
	}
	c.keyLogRandom = offer.hello.Random
	if err := c.writeClientHelloWithBinders(offer, transcript); err != nil {
		return c.fail(err)
	}
	if offer.earlyData != nil {
		if err := c.sendEarlyData(offer, transcript); err != nil {
			return c.fail(err)
		}
	}
	if err := c.flush(); err != nil {
		return c.fail(err)
	}

	c.setStep("read ServerHello")
	msg, err := c.readHandshake()
	if err != nil {
		var alert *AlertReceivedError
		if errors.As(err, &alert) {
			return c.fail(offer.rejected(cfg, alert))
		}
		return c.fail(err)
	}
	sh, ok := msg.(*wire.ServerHello)
	if !ok {
		return c.fail(errUnexpected("ServerHello", msg))
	}
	version, err := offer.chosenVersion(cfg, sh)
	if err != nil {
		return c.fail(err)
	}
	if offer.ech != nil {
		if offer, transcript, err = c.resolveECH(offer, transcript, sh); err != nil {
			return c.fail(err)
		}
	}
	if offer.earlyData != nil && version != suites.VersionTLS13 {
		return c.fail(wire.Errorf(wire.AlertProtocolVersion, "the server answered a TLS 1.3 resumption with 0-RTT data with %s", version))
	}
	if version == suites.VersionTLS13 {
		hs := &clientHandshakeTLS13{c: c, config: cfg, offer: offer, transcript: transcript, serverHello: sh}
		return hs.handshake()
	}
	hs := &clientHandshakeTLS12{c: c, config: cfg, offer: offer, hello: offer.hello, transcript: transcript, serverHello: sh}
	return hs.handshake()
}

// chosenVersion reads the version out of a ServerHello: supported_versions
// when present (RFC 8446 §4.2.1), the legacy field otherwise.
func (o *clientOffer) chosenVersion(cfg *Config, sh *wire.ServerHello) (suites.Version, error) {
	sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](sh.Extensions)
	if !ok {
		for _, e := range sh.Extensions {
			switch e.(type) {
			case *wire.KeyShareExt, *wire.PreSharedKeyExt:
				// RFC 8446 §4.2: a recognised extension "not specified
				// for the message in which it appears" is illegal_parameter.
				return 0, wire.Errorf(wire.AlertIllegalParameter, "a %s ServerHello carries the TLS 1.3 extension %s", sh.Version, e.ExtType())
			}
		}
		if sh.IsHelloRetryRequest() {
			return 0, wire.Errorf(wire.AlertIllegalParameter, "HelloRetryRequest without supported_versions")
		}
		if sh.Version > suites.VersionTLS12 {
			// RFC 8446 §4.1.3: TLS 1.3 is only ever selected through
			// supported_versions; a legacy_version above TLS 1.2 is a
			// version the client never offered that way.
			return 0, &NegotiationError{What: "protocol version", ClientOffered: versionRange(cfg.minVersion(), min(cfg.maxVersion(), suites.VersionTLS12)),
				ServerAccepts: []string{sh.Version.String()}, Detail: "the server put a version above TLS 1.2 in legacy_version"}
		}
		return sh.Version, nil
	}
	if !o.offers13 {
		return 0, wire.Errorf(wire.AlertUnsupportedExtension, "server sent supported_versions, which the client did not offer")
	}
	if len(sv.Versions) != 1 || sv.Versions[0] != suites.VersionTLS13 {
		// RFC 8446 §4.2.1: selecting a version below 1.3 this way, or one
		// the client did not offer, is illegal.
		return 0, wire.Errorf(wire.AlertIllegalParameter, "server selected %v through supported_versions", sv.Versions)
	}
	if sh.Version != suites.VersionTLS12 {
		return 0, wire.Errorf(wire.AlertIllegalParameter, "TLS 1.3 ServerHello with legacy_version %s", sh.Version)
	}
	return suites.VersionTLS13, nil
}

// checkDowngradeSentinel applies RFC 8446 §4.1.3: a server that supports
// TLS 1.3 but negotiates less marks its random, and a client that offered
// more must refuse such a ServerHello, since someone removed its offer.
func checkDowngradeSentinel(cfg *Config, sh *wire.ServerHello) error {
	tail := [8]byte(sh.Random[24:])
	switch {
	case cfg.maxVersion() >= suites.VersionTLS13 && (tail == wire.DowngradeTLS12 || tail == wire.DowngradeTLS11):
		return wire.Errorf(wire.AlertIllegalParameter, "server random carries the TLS 1.3 downgrade sentinel: the offer of TLS 1.3 was removed on the way")
	case cfg.maxVersion() == suites.VersionTLS12 && sh.Version < suites.VersionTLS12 && tail == wire.DowngradeTLS11:
		return wire.Errorf(wire.AlertIllegalParameter, "server random carries the TLS 1.2 downgrade sentinel")
	}
	return nil
}

// offeredSuites is the client's suite list: TLS 1.3 suites first when
// offering TLS 1.3, then the suites for TLS 1.2 and below.
func offeredSuites(cfg *Config) []suites.ID {
	var out []suites.ID
	if cfg.maxVersion() >= suites.VersionTLS13 {
		out = append(out, cfg.cipherSuites13()...)
	}
	if cfg.minVersion() <= suites.VersionTLS12 {
		for _, id := range cfg.cipherSuites() {
			s := suites.SuiteByID(id)
			if s.MaxVersion >= cfg.minVersion() && s.MinVersion <= cfg.maxVersion() && !s.IsTLS13() && cfg.offersSuite12(s) {
				out = append(out, id)
			}
		}
	}
	return out
}

// offeredGroups lists the groups the client offers: curves for ECDHE suites,
// RFC 7919 groups for DHE suites, and for TLS 1.3 every implemented group.
func offeredGroups(cfg *Config, ecdhe, dhe, tls13 bool) []suites.Group {
	var out []suites.Group
	for _, g := range cfg.groups() {
		info := suites.GroupByID(g)
		if info == nil || !info.Implemented {
			continue
		}
		if tls13 || (info.Kind == suites.GroupEC && ecdhe) || (info.Kind == suites.GroupFFDHE && dhe) {
			out = append(out, g)
		}
	}
	return out
}

// offerKeyShares makes the TLS 1.3 key shares for groups, keeps their
// private halves in offer, and returns the key_share extension.
func (c *Conn) offerKeyShares(offer *clientOffer, groups []suites.Group) (*wire.KeyShareExt, error) {
	shares, err := c.makeKeyShares(groups)
	if err != nil {
		return nil, err
	}
	offer.keyShares = shares
	entries := make([]wire.KeyShareEntry, len(shares))
	for i, ks := range shares {
		entries[i] = wire.KeyShareEntry{Group: ks.Group(), KeyExchange: ks.Public()}
	}
	return &wire.KeyShareExt{Entries: entries}, nil
}

// makeClientHello builds the ClientHello (RFC 5246 §7.4.1.2, RFC 8446
// §4.1.2) and the TLS 1.3 key shares behind it.
func (c *Conn) makeClientHello() (*clientOffer, error) {
	cfg := c.config
	offer := &clientOffer{
		offers13: cfg.maxVersion() >= suites.VersionTLS13,
		offers12: cfg.minVersion() <= suites.VersionTLS12,
	}
	offered := offeredSuites(cfg)
	if len(offered) == 0 {
		return nil, &configError{fmt.Sprintf("no cipher suite in the Config can be used with versions %s to %s", cfg.minVersion(), cfg.maxVersion())}
	}
	if err := cfg.checkClientHelloExtensions(offer.offers13); err != nil {
		return nil, err
	}
	hello := &wire.ClientHello{
		Version:            min(cfg.maxVersion(), suites.VersionTLS12),
		SessionID:          []byte{},
		CipherSuites:       offered,
		CompressionMethods: []uint8{0},
	}
	if _, err := io.ReadFull(cfg.rand(), hello.Random[:]); err != nil {
		return nil, fmt.Errorf("reading random bytes: %w", err)
	}
	if offer.offers13 && !cfg.MiddleboxCompatDisabled {
		// RFC 8446 Appendix D.4: middlebox compatibility mode sends a fake
		// session ID so that the exchange looks like a TLS 1.2 resumption.
		hello.SessionID = make([]byte, 32)
		if _, err := io.ReadFull(cfg.rand(), hello.SessionID); err != nil {
			return nil, fmt.Errorf("reading random bytes: %w", err)
		}
	}

	ecdhe, dhe := false, false
	for _, id := range offered {
		switch ephemeralKex(keyExchangeBesidesPSK(suites.SuiteByID(id).KeyExchange)) {
		case suites.KexECDHE:
			ecdhe = true
		case suites.KexDHE, suites.KexDHEPSK:
			dhe = true
		}
	}
	var exts []wire.Extension
	if name := cfg.ServerName; name != "" && net.ParseIP(name) == nil {
		// RFC 6066 §3: literal IP addresses are not sent in SNI, and the
		// host name goes "without a trailing dot" (as crypto/tls sends it;
		// a clasp server refuses the dot). Certificate verification takes
		// the name with or without it.
		exts = append(exts, &wire.ServerNameExt{HostName: strings.TrimSuffix(name, ".")})
		c.state.serverName = name
	}
	groups := offeredGroups(cfg, ecdhe, dhe, offer.offers13)
	if len(groups) > 0 {
		exts = append(exts, &wire.SupportedGroupsExt{Groups: groups})
	}
	if ecdhe && offer.offers12 {
		exts = append(exts, &wire.ECPointFormatsExt{Formats: []uint8{0}})
	}
	if cfg.maxVersion() >= suites.VersionTLS12 {
		exts = append(exts, &wire.SignatureAlgorithmsExt{Schemes: cfg.signatureSchemes()})
	}
	if len(cfg.NextProtos) > 0 {
		exts = append(exts, &wire.ALPNExt{Protocols: cfg.NextProtos})
	}
	exts = append(exts, certificateStatusRequests(cfg)...)
	mfl, err := requestMaxFragmentLength(cfg)
	if err != nil {
		return nil, err
	}
	exts = append(exts, mfl...)
	if offer.offers12 {
		exts = append(exts, c.tls12HelloExtensions(offered)...)
		exts = append(exts, rawPublicKeyOffers12(cfg, offer)...)
	}
	if offer.offers13 {
		more, err := c.tls13HelloExtensions(offer, groups)
		if err != nil {
			return nil, err
		}
		exts = append(exts, more...)
	}
	// RFC 8449: clasp reads records of any size the protocol allows and
	// says so, which lets a server that announces a smaller limit of its
	// own know that clasp will honour it (a server answers only an offer).
	exts = append(exts, &wire.RecordSizeLimitExt{Limit: ourRecordSizeLimit(offer.offers13)})
	hello.Extensions = exts
	offer.hello = hello
	addListedExtras(cfg, offer, c.clientVerifyData)
	if offer.offers12 && !c.renegotiating {
		if err := c.offerSession12(offer); err != nil {
			return nil, err
		}
	}
	if offer.offers13 && offer.session12 == nil && cfg.listsExtension(wire.ExtPreSharedKey) {
		if err := c.offerSession(offer); err != nil {
			return nil, err
		}
	}
	hello.Extensions = orderExtensions(cfg.ClientHelloExtensions, hello.Extensions)
	return offer, nil
}

// tls12HelloExtensions are the extensions of a hello that offers TLS
// 1.2 or earlier.
func (c *Conn) tls12HelloExtensions(offered []suites.ID) []wire.Extension {
	cfg := c.config
	exts := offerEncryptThenMAC(cfg, offered)
	if !cfg.DisableExtendedMasterSecret {
		exts = append(exts, &wire.ExtendedMasterSecretExt{})
	}
	// RFC 5746 §3.4: an initial ClientHello signals secure renegotiation
	// with an empty renegotiation_info; §3.5: a renegotiating one carries
	// the previous client verify_data.
	if !cfg.InsecureLegacyRenegotiation {
		exts = append(exts, &wire.RenegotiationInfoExt{Data: append([]byte{}, c.clientVerifyData...)})
	} else if !c.renegotiating {
		c.warn("InsecureLegacyRenegotiation: this hello does not signal RFC 5746 secure renegotiation")
	}
	return exts
}

// tls13HelloExtensions are the extensions of a hello that offers TLS 1.3.
func (c *Conn) tls13HelloExtensions(offer *clientOffer, groups []suites.Group) ([]wire.Extension, error) {
	cfg := c.config
	exts := []wire.Extension{&wire.SupportedVersionsExt{Versions: versionList(cfg.minVersion(), cfg.maxVersion())}}
	keyShare, err := c.offerKeyShares(offer, groups)
	if err != nil {
		return nil, err
	}
	exts = append(exts, keyShare)
	modes := []uint8{wire.PSKModeDHEKE}
	if len(cfg.PSKKeyExchangeModes) > 0 {
		modes = slices.Clone(cfg.PSKKeyExchangeModes)
	}
	exts = append(exts, &wire.PSKKeyExchangeModesExt{Modes: modes})
	exts = append(exts, offersPostHandshakeAuth(cfg, offer.offers13)...)
	exts = append(exts, offerCertificateCompression(cfg, offer.offers13)...)
	exts = append(exts, offerServerCertificateTypes(cfg, offer.offers13)...)
	exts = append(exts, offerClientCertificateTypes(cfg, offer.offers13)...)
	return exts, nil
}

// classicalHalf maps each hybrid group to the ECDH group inside it.
var classicalHalf = map[suites.Group]suites.Group{
	suites.X25519MLKEM768:     suites.X25519,
	suites.SecP256r1MLKEM768:  suites.Secp256r1,
	suites.SecP384r1MLKEM1024: suites.Secp384r1,
}

// makeKeyShares generates key shares for the client's most preferred group
// only (RFC 8446 §4.2.8 lets the server ask for another with
// HelloRetryRequest). A hybrid group brings its classical half along as a
// second share, so that a server without post-quantum support still
// completes in one round trip.
func (c *Conn) makeKeyShares(groups []suites.Group) ([]kex.ClientKeyShare, error) {
	if len(groups) == 0 {
		return nil, &configError{"no group in the Config can be used with TLS 1.3"}
	}
	want := []suites.Group{groups[0]}
	if half, ok := classicalHalf[groups[0]]; ok && slices.Contains(groups, half) {
		want = append(want, half)
	}
	var shares []kex.ClientKeyShare
	for _, g := range want {
		ks, err := kex.NewClientKeyShare(g, c.config.rand())
		if err != nil {
			return nil, err
		}
		shares = append(shares, ks)
	}
	return shares, nil
}

// versionList lists versions from hi down to lo, for supported_versions.
func versionList(lo, hi suites.Version) []suites.Version {
	var out []suites.Version
	for v := hi; v >= lo && v >= suites.VersionTLS10; v-- {
		out = append(out, v)
	}
	return out
}

// rejected describes the offer a server answered with an alert.
func (o *clientOffer) rejected(cfg *Config, alert *AlertReceivedError) error {
	hello := o.hello
	e := &OfferRejectedError{Alert: alert, CipherSuites: suiteNames(hello.CipherSuites),
		Versions: versionRange(cfg.minVersion(), cfg.maxVersion())}
	if g, ok := wire.FindExtension[*wire.SupportedGroupsExt](hello.Extensions); ok {
		e.Groups = groupNames(g.Groups)
	}
	if sa, ok := wire.FindExtension[*wire.SignatureAlgorithmsExt](hello.Extensions); ok {
		e.Signatures = schemeNames(sa.Schemes)
	}
	e.ApplicationProtocols = cfg.NextProtos
	switch {
	case wire.AlertDescription(alert.Description) == wire.AlertProtocolVersion && cfg.minVersion() > suites.VersionTLS11:
		e.Hint = "if the server speaks only an older version: " + legacyVersionsHint
	case wire.AlertDescription(alert.Description) == wire.AlertHandshakeFailure && cfg.CipherSuites == nil:
		// Only a default suite list gets the hint: a list the user chose
		// already says what they meant to offer.
		e.Hint = "if the server runs only old suites: " + legacySuitesHint
	}
	return e
}

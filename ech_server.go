package clasp

import (
	"crypto/hpke"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// The server side of Encrypted Client Hello (RFC 9849 §7), in shared mode:
// clasp is both the client-facing server that decrypts the
// ClientHelloInner and the backend that answers it. openClientHello runs
// before anything else looks at the ClientHello; when a key decrypts it,
// the rest of the handshake sees only the inner hello (and the
// transcript holds it), and the ServerHello or HelloRetryRequest carries
// the acceptance confirmation. When none does, the outer hello is
// answered and EncryptedExtensions carries the retry configs.

// echServerState is what a server keeps once a ClientHello offered ECH.
type echServerState struct {
	keys      []EncryptedClientHelloKey
	accepted  bool
	recipient *hpke.Recipient // the context of the accepted key, for a second hello
	configID  uint8
	suite     wire.HPKESymmetricCipherSuite
}

// openClientHello decrypts the ClientHelloInner of an outer hello that
// offers ECH, when the server has a key for it (RFC 9849 §7.1), and
// returns the hello and raw bytes the handshake continues with.
func (c *Conn) openClientHello(outer *wire.ClientHello, raw []byte) (*wire.ClientHello, []byte, error) {
	found, ok := wire.LookupExtension(outer.Extensions, wire.ExtEncryptedClientHello)
	if !ok {
		return outer, raw, nil
	}
	keys, err := c.echKeys(outer)
	if err != nil || len(keys) == 0 {
		// Without keys the extension is one this server does not
		// implement, ignored (RFC 8446 §4.2) even when malformed.
		return outer, raw, err
	}
	ext, ok := found.(*wire.EncryptedClientHelloExt)
	if !ok {
		_, err := wire.ParseECHClientHello(found.(*wire.UnknownExt).Data)
		return nil, nil, err
	}
	if ext.Type != wire.ECHOuter {
		// RFC 9849 §7: "A shared mode server which receives a
		// ClientHello with ECHClientHello.type of inner MUST abort with an
		// "illegal_parameter" alert".
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "a ClientHello from the network carries an inner encrypted_client_hello (RFC 9849 §7)")
	}
	c.echServer = &echServerState{keys: keys}
	aad, err := echOuterAAD(outer)
	if err != nil {
		return nil, nil, err
	}
	for _, key := range keys {
		encoded, recipient := tryECHKey(key, ext, aad)
		if recipient == nil {
			continue
		}
		inner, innerRaw, err := decodeClientHelloInner(outer, encoded)
		if err != nil {
			return nil, nil, err
		}
		*c.echServer = echServerState{keys: keys, accepted: true, recipient: recipient, configID: ext.ConfigID, suite: ext.CipherSuite}
		c.state.echAccepted = true
		// From here on the inner hello is the ClientHello: its bytes are
		// what PSK binders cover.
		c.lastHandshakeRaw = innerRaw
		if c.tracer != nil {
			c.traceECH("accepted", "ech_accepted_server", fmt.Sprintf("ECHConfig %d decrypted the ClientHelloInner, which the handshake now answers", ext.ConfigID))
			c.emitMessage(trace.Received, wire.ContentHandshake, innerRaw, inner, c.layer.ReadEpoch())
		}
		return inner, innerRaw, nil
	}
	c.traceECH("rejected", "ech_rejected_server", "no ECH key decrypts the ClientHelloInner (an old config, or GREASE): the outer hello is answered, with retry configurations")
	return outer, raw, nil
}

// echKeys are the keys for this hello: GetEncryptedClientHelloKeys', or
// EncryptedClientHelloKeys.
func (c *Conn) echKeys(outer *wire.ClientHello) ([]EncryptedClientHelloKey, error) {
	cfg := c.config
	if cfg.GetEncryptedClientHelloKeys == nil {
		return cfg.EncryptedClientHelloKeys, nil
	}
	name, err := requestedServerName(outer)
	if err != nil {
		return nil, err
	}
	c.state.serverName = name
	keys, err := cfg.GetEncryptedClientHelloKeys(c.clientHelloInfo(outer))
	if err != nil {
		return nil, fmt.Errorf("clasp: GetEncryptedClientHelloKeys: %w", err)
	}
	return keys, nil
}

// tryECHKey opens the payload with key when its config matches the
// extension's config_id, version and cipher suite (RFC 9849 §7.1); it
// returns nils when it does not.
func tryECHKey(key EncryptedClientHelloKey, ext *wire.EncryptedClientHelloExt, aad []byte) ([]byte, *hpke.Recipient) {
	configs, err := wire.ParseECHConfigList(append([]byte{byte(len(key.Config) >> 8), byte(len(key.Config))}, key.Config...))
	if err != nil || len(configs) != 1 {
		return nil, nil
	}
	config := configs[0]
	if config.Version != wire.ECHConfigVersion || config.ConfigID != ext.ConfigID || !slices.Contains(config.CipherSuites, ext.CipherSuite) {
		return nil, nil
	}
	kem, kdf, aead, err := echCipherSuite(config.KEM, ext.CipherSuite)
	if err != nil {
		return nil, nil
	}
	priv, err := kem.NewPrivateKey(key.PrivateKey)
	if err != nil {
		return nil, nil
	}
	recipient, err := hpke.NewRecipient(ext.Enc, priv, kdf, aead, echInfo(config.Raw))
	if err != nil {
		return nil, nil
	}
	encoded, err := recipient.Open(aad, ext.Payload)
	if err != nil {
		return nil, nil
	}
	return encoded, recipient
}

// echOuterAAD is ClientHelloOuterAAD (RFC 9849 §5.2): the outer hello with
// the payload of its encrypted_client_hello replaced by as many zeros.
func echOuterAAD(outer *wire.ClientHello) ([]byte, error) {
	aad := *outer
	aad.Extensions = slices.Clone(outer.Extensions)
	ext, _ := wire.FindExtension[*wire.EncryptedClientHelloExt](outer.Extensions)
	zeroed := *ext
	zeroed.Payload = make([]byte, len(ext.Payload))
	replaceExtension(aad.Extensions, &zeroed)
	return wire.ClientHelloBody(&aad)
}

// decodeClientHelloInner rebuilds the ClientHelloInner from an
// EncodedClientHelloInner (RFC 9849 §5.1) and checks it (§7.1): the
// padding all zeros, the outer hello's session ID, ech_outer_extensions
// replaced by the outer hello's extensions, an inner
// encrypted_client_hello, and no offer of TLS 1.2 or below. Each failure
// is illegal_parameter, as those sections say.
func decodeClientHelloInner(outer *wire.ClientHello, encoded []byte) (*wire.ClientHello, []byte, error) {
	inner, padding, err := wire.ParseEncodedClientHelloInner(encoded)
	if err != nil {
		return nil, nil, err
	}
	if slices.ContainsFunc(padding, func(b byte) bool { return b != 0 }) {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "EncodedClientHelloInner padding is not all zeros (RFC 9849 §5.1)")
	}
	if len(inner.SessionID) != 0 {
		// §5.1: the encoded hello's legacy_session_id is "the empty string".
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "EncodedClientHelloInner carries a legacy_session_id (RFC 9849 §5.1)")
	}
	inner.SessionID = slices.Clone(outer.SessionID)
	if inner.Extensions, err = expandOuterExtensions(inner.Extensions, outer.Extensions); err != nil {
		return nil, nil, err
	}
	if ext, ok := wire.FindExtension[*wire.EncryptedClientHelloExt](inner.Extensions); !ok || ext.Type != wire.ECHInner {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "the ClientHelloInner has no inner encrypted_client_hello (RFC 9849 §7.1)")
	}
	sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](inner.Extensions)
	if !ok || slices.ContainsFunc(sv.Versions, func(v suites.Version) bool { return v < suites.VersionTLS13 }) {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "the ClientHelloInner offers TLS 1.2 or below (RFC 9849 §7.1)")
	}
	raw, err := inner.Marshal()
	if err != nil {
		return nil, nil, err
	}
	return inner, raw, nil
}

// expandOuterExtensions replaces ech_outer_extensions with the outer
// hello's extensions it names (RFC 9849 §5.1), in one pass over each list
// (Appendix A's linear procedure). It is illegal_parameter when a
// referenced extension is missing from the outer hello, referenced twice,
// out of the outer hello's order, or is encrypted_client_hello, and when
// ech_outer_extensions appears more than once.
func expandOuterExtensions(inner, outer []wire.Extension) ([]wire.Extension, error) {
	i := slices.IndexFunc(inner, func(e wire.Extension) bool { _, ok := e.(*wire.ECHOuterExtensionsExt); return ok })
	if i < 0 {
		return inner, nil
	}
	refs := inner[i].(*wire.ECHOuterExtensionsExt).Types
	expanded := slices.Clone(inner[:i])
	next := 0 // the outer extensions before next are used up
	for _, t := range refs {
		if t == wire.ExtEncryptedClientHello {
			return nil, wire.Errorf(wire.AlertIllegalParameter, "ech_outer_extensions references encrypted_client_hello (RFC 9849 §5.1)")
		}
		for next < len(outer) && outer[next].ExtType() != t {
			next++
		}
		if next == len(outer) {
			return nil, wire.Errorf(wire.AlertIllegalParameter, "ech_outer_extensions references %s, which the outer hello lacks, repeats or has out of order (RFC 9849 §5.1)", t)
		}
		expanded = append(expanded, outer[next])
		next++
	}
	expanded = append(expanded, inner[i+1:]...)
	seen := map[wire.ExtensionType]bool{}
	for _, e := range expanded {
		if seen[e.ExtType()] {
			// RFC 8446 §4.2: no extension twice in a hello; the expanded
			// inner hello is one (OpenSSL's alert for a repeat).
			return nil, wire.Errorf(wire.AlertIllegalParameter, "the ClientHelloInner carries %s twice once expanded", e.ExtType())
		}
		seen[e.ExtType()] = true
	}
	return expanded, nil
}

// confirmECH writes the acceptance confirmation into the last 8 bytes of
// the ServerHello's random (RFC 9849 §7.2): computed over the inner
// transcript up to this ServerHello with those bytes zero.
func (hs *serverHandshakeTLS13) confirmECH(sh *wire.ServerHello) error {
	if ech := hs.c.echServer; ech == nil || !ech.accepted {
		return nil
	}
	clear(sh.Random[24:])
	raw, err := sh.Marshal()
	if err != nil {
		return err
	}
	conf := echConfirmation(hs.hash, hs.hello.Random[:], echAcceptLabel, hs.transcript.SumWith(raw))
	copy(sh.Random[24:], conf)
	return nil
}

// confirmECHInRetry adds encrypted_client_hello to a HelloRetryRequest
// after accepting ECH (RFC 9849 §7.2.1): its confirmation is computed over
// the transcript (message_hash of ClientHelloInner1) and this
// HelloRetryRequest with the confirmation zero.
func (hs *serverHandshakeTLS13) confirmECHInRetry(hrr *wire.ServerHello) error {
	if ech := hs.c.echServer; ech == nil || !ech.accepted {
		return nil
	}
	ext := &wire.EncryptedClientHelloExt{Confirmation: make([]byte, wire.ECHConfirmationLen)}
	hrr.Extensions = append(hrr.Extensions, ext)
	raw, err := hrr.Marshal()
	if err != nil {
		return err
	}
	ext.Confirmation = echConfirmation(hs.hash, hs.hello.Random[:], echHRRAcceptLabel, hs.transcript.SumWith(raw))
	return nil
}

// readSecondClientHello reads the ClientHello after a HelloRetryRequest;
// after accepting ECH it is a second ClientHelloOuter, opened with the
// first one's HPKE context (RFC 9849 §7.1.1), and the transcript gets the
// second ClientHelloInner instead.
func (hs *serverHandshakeTLS13) readSecondClientHello() (wire.Message, error) {
	c := hs.c
	ech := c.echServer
	if ech == nil || !ech.accepted {
		return c.readHandshake()
	}
	saved := c.transcript
	c.transcript = nil
	msg, err := c.readHandshake()
	c.transcript = saved
	if err != nil {
		return nil, err
	}
	outer, ok := msg.(*wire.ClientHello)
	if !ok {
		return msg, nil
	}
	inner, raw, err := ech.openSecond(outer)
	if err != nil {
		return nil, err
	}
	hs.transcript.Write(raw)
	c.lastHandshakeRaw = raw
	if c.tracer != nil {
		c.emitMessage(trace.Received, wire.ContentHandshake, raw, inner, c.layer.ReadEpoch())
	}
	return inner, nil
}

// openSecond applies RFC 9849 §7.1.1 to the second ClientHelloOuter: no
// encrypted_client_hello is missing_extension; a changed cipher suite or
// config_id, or a non-empty enc, is illegal_parameter; a payload that
// does not open is decrypt_error.
func (ech *echServerState) openSecond(outer *wire.ClientHello) (*wire.ClientHello, []byte, error) {
	ext, ok := wire.FindExtension[*wire.EncryptedClientHelloExt](outer.Extensions)
	if !ok {
		return nil, nil, wire.Errorf(wire.AlertMissingExtension, "the second ClientHelloOuter has no encrypted_client_hello (RFC 9849 §7.1.1)")
	}
	if ext.Type != wire.ECHOuter || ext.ConfigID != ech.configID || ext.CipherSuite != ech.suite || len(ext.Enc) != 0 {
		return nil, nil, wire.Errorf(wire.AlertIllegalParameter, "the second ClientHelloOuter changes the ECH config, cipher suite or enc (RFC 9849 §7.1.1)")
	}
	aad, err := echOuterAAD(outer)
	if err != nil {
		return nil, nil, err
	}
	encoded, err := ech.recipient.Open(aad, ext.Payload)
	if err != nil {
		return nil, nil, wire.Errorf(wire.AlertDecryptError, "the second ClientHelloInner does not decrypt (RFC 9849 §7.1.1)")
	}
	return decodeClientHelloInner(outer, encoded)
}

// echRetryConfigs is the encrypted_client_hello a server puts in
// EncryptedExtensions when it could not use the client's ECH offer (RFC
// 9849 §7.1): the configs of its keys marked SendAsRetry.
func (c *Conn) echRetryConfigs() ([]wire.Extension, error) {
	ech := c.echServer
	if ech == nil || ech.accepted {
		return nil, nil
	}
	var retry []EncryptedClientHelloKey
	for _, k := range ech.keys {
		if k.SendAsRetry {
			retry = append(retry, k)
		}
	}
	if len(retry) == 0 {
		return nil, nil
	}
	list, err := ECHConfigList(retry)
	if err != nil {
		return nil, err
	}
	return []wire.Extension{&wire.EncryptedClientHelloExt{RetryConfigs: list}}, nil
}

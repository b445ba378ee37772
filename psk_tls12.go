package clasp

import (
	"crypto/rsa"
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/kex"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// The TLS 1.2 pre-shared-key key exchanges: PSK (RFC 4279 §2), DHE_PSK
// (§3), RSA_PSK (§4) and ECDHE_PSK (RFC 5489). Both sides know a key by an
// identity; the ClientKeyExchange names the identity and the premaster
// secret joins the key with whatever else the exchange produced (nothing,
// a Diffie-Hellman secret, an RSA-transported secret). Only RSA_PSK has a
// server certificate; the others authenticate both sides by the key alone,
// which a wrong key shows at the Finished.
//
// The API is the TLS 1.3 external PSK one: Config.ExternalPSKs (or
// GetClientPSK, which chooses by the server's psk_identity_hint) on the
// client, GetExternalPSK and PSKIdentityHint on the server.

// clientHasPSK12 reports whether a client has a key for the TLS 1.2 PSK
// suites, and so offers them.
func (c *Config) clientHasPSK12() bool {
	return len(c.ExternalPSKs) > 0 || c.GetClientPSK != nil
}

// defaultSuites12 is the TLS 1.2 suite list when CipherSuites names none:
// the forward-secret PSK suites first for a side with pre-shared keys (a
// client that has one wants to use it), then the certificate suites.
func (c *Config) defaultSuites12() []suites.ID {
	if !c.clientHasPSK12() && c.GetExternalPSK == nil {
		return suites.DefaultSuites()
	}
	return append(suites.DefaultPSKSuites(), suites.DefaultSuites()...)
}

// offersSuite12 reports whether a client may offer a TLS 1.2 suite: a PSK
// suite only with a key to use it (offering one without makes a server
// that picks it wait for an identity the client cannot give).
func (c *Config) offersSuite12(s *suites.Suite) bool {
	return !s.IsPSK() || c.clientHasPSK12()
}

// encryptsToCertificate reports whether a key exchange encrypts the
// premaster secret to the server certificate's RSA key instead of signing
// ephemeral parameters with it: RSA, and RSA_PSK (RFC 4279 §4).
func encryptsToCertificate(kx suites.KeyExchange) bool {
	return kx == suites.KexRSA || kx == suites.KexRSAPSK
}

// keyExchangeBesidesPSK is the key exchange a PSK suite runs besides the
// key, for choosing its group: ECDHE for ECDHE_PSK, DHE for DHE_PSK, RSA
// for RSA_PSK, KexNULL for plain PSK; a suite without a PSK is itself.
func keyExchangeBesidesPSK(kx suites.KeyExchange) suites.KeyExchange {
	switch kx {
	case suites.KexPSK:
		return suites.KexNULL
	case suites.KexDHEPSK:
		return suites.KexDHE
	case suites.KexECDHEPSK:
		return suites.KexECDHE
	case suites.KexRSAPSK:
		return suites.KexRSA
	}
	return kx
}

// checkPSKSizes enforces the vectors' limits (identity<0..2^16-1>,
// psk<0..2^16-1>, RFC 4279 §2; RFC 4279 §5.3 asks that identities up to
// 128 bytes and keys up to 64 bytes work, and clasp takes the whole range)
// plus RFC 9257 §6's 128 bits of entropy at least and a non-empty identity.
func checkPSKSizes(p *ExternalPSK) error {
	if len(p.Identity) == 0 || len(p.Identity) > kex.MaxPSKLength || len(p.Key) < 16 || len(p.Key) > kex.MaxPSKLength {
		return &configError{fmt.Sprintf("pre-shared key %.40q: needs an identity of 1 to 65535 bytes and a key of 16 to 65535 bytes (identity %d bytes, key %d)",
			p.Identity, len(p.Identity), len(p.Key))}
	}
	return nil
}

// pskSuiteRefusal says why a server cannot use a PSK suite ("" when it
// can): it needs GetExternalPSK to look the client's identity up.
func (c *Config) pskSuiteRefusal(s *suites.Suite) string {
	if s.IsPSK() && c.GetExternalPSK == nil {
		return "a PSK suite, and the server has no pre-shared keys (GetExternalPSK)"
	}
	return ""
}

// readPSKServerKeyExchange takes the server's ServerKeyExchange under a
// PSK suite, msg being the message after the Certificate (or ServerHello).
// It carries psk_identity_hint and, for DHE_PSK and ECDHE_PSK, the
// server's unsigned ephemeral parameters (RFC 4279 §3, RFC 5489 §2). Plain
// PSK and RSA_PSK send it only with a hint ("If no hint is provided, the
// ServerKeyExchange message is omitted", RFC 4279 §2, §4).
func (hs *clientHandshakeTLS12) readPSKServerKeyExchange(msg wire.Message) error {
	c := hs.c
	kx := hs.suite.KeyExchange
	ske, ok := msg.(*wire.ServerKeyExchange)
	if !ok {
		if kx == suites.KexPSK || kx == suites.KexRSAPSK {
			c.pendingHandshake = msg
			return nil
		}
		return errUnexpected("ServerKeyExchange", msg)
	}
	if kx == suites.KexPSK || kx == suites.KexRSAPSK {
		hs.ske = ske // the hint alone
		return nil
	}
	return hs.takeServerParams(ske, kx == suites.KexECDHEPSK)
}

// clientPSK12 is the key the client uses: GetClientPSK's choice for the
// server's hint, or the first of ExternalPSKs.
func (hs *clientHandshakeTLS12) clientPSK12() (*ExternalPSK, error) {
	cfg := hs.config
	var hint []byte
	if hs.ske != nil {
		hint = hs.ske.PSKIdentityHint
	}
	var psk *ExternalPSK
	switch {
	case cfg.GetClientPSK != nil:
		p, err := cfg.GetClientPSK(hint)
		if err != nil {
			return nil, fmt.Errorf("clasp: GetClientPSK: %w", err)
		}
		psk = p
	case len(cfg.ExternalPSKs) > 0:
		psk = &cfg.ExternalPSKs[0]
	}
	if psk == nil {
		// OpenSSL ends a handshake whose PSK callback finds no key with
		// handshake_failure; RFC 4279 names no alert for the client.
		return nil, wire.Errorf(wire.AlertHandshakeFailure, "the client has no pre-shared key for the server's identity hint %q", hint)
	}
	if err := checkPSKSizes(psk); err != nil {
		return nil, err
	}
	return psk, nil
}

// sendPSKClientKeyExchange names the client's identity, adds the client's
// half of the other key exchange (a DH or ECDH public value, or the
// RSA-encrypted secret for RSA_PSK), and derives the master secret from
// the PSK premaster (RFC 4279 §2–§4, RFC 5489 §2).
func (hs *clientHandshakeTLS12) sendPSKClientKeyExchange() error {
	c, cfg := hs.c, hs.config
	psk, err := hs.clientPSK12()
	if err != nil {
		return err
	}
	kx := hs.suite.KeyExchange
	var other, public []byte
	switch kx {
	case suites.KexPSK:
	case suites.KexECDHEPSK, suites.KexDHEPSK:
		if other, public, err = hs.ephemeralShare(kx == suites.KexECDHEPSK); err != nil {
			return err
		}
	case suites.KexRSAPSK:
		pub, ok := hs.serverPublicKey().(*rsa.PublicKey)
		if !ok {
			return wire.Errorf(wire.AlertUnsupportedCertificate, "RSA_PSK needs an RSA server key")
		}
		// RFC 4279 §4: the 48-byte secret is made as for RSA key
		// exchange, with the version the client offered.
		if other, public, err = kex.GenerateRSAPremaster(cfg.rand(), hs.hello.Version, pub); err != nil {
			return err
		}
	}
	if hs.preMaster, err = kex.PSKPremaster(kx, other, psk.Key); err != nil {
		return err
	}
	if _, err := c.writeHandshake(&wire.ClientKeyExchange{KeyExchange: kx, PSKIdentity: psk.Identity, Data: public}); err != nil {
		return err
	}
	c.state.pskIdentity = slices.Clone(psk.Identity)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "psk_identity", Chosen: string(psk.Identity), ReasonCode: "psk_identity_sent",
			Reason: fmt.Sprintf("the client's pre-shared key for %s (server's identity hint %q)", hs.suite.Name, pskHint(hs.ske))})
	}
	hs.master = deriveMaster(c.state.version, hs.suite, hs.ems, hs.preMaster, hs.hello.Random[:], hs.serverHello.Random[:], hs.transcript)
	c.logMasterSecret(hs.hello.Random[:], hs.master)
	return nil
}

func pskHint(ske *wire.ServerKeyExchange) []byte {
	if ske == nil {
		return nil
	}
	return ske.PSKIdentityHint
}

// sendPSKServerKeyExchange sends the identity hint and, for DHE_PSK and
// ECDHE_PSK, fresh unsigned parameters: the PSK authenticates them, at the
// Finished (RFC 4279 §3, RFC 5489 §2). Plain PSK and RSA_PSK send the
// message only when there is a hint to carry (RFC 4279 §2, §4).
func (hs *serverHandshakeTLS12) sendPSKServerKeyExchange() error {
	c, cfg := hs.c, hs.config
	kx := hs.suite.KeyExchange
	ske := &wire.ServerKeyExchange{KeyExchange: kx, PSKIdentityHint: cfg.PSKIdentityHint}
	switch kx {
	case suites.KexPSK, suites.KexRSAPSK:
		if len(cfg.PSKIdentityHint) == 0 {
			return nil
		}
	case suites.KexECDHEPSK, suites.KexDHEPSK:
		if err := hs.makeEphemeral(ske, kx == suites.KexECDHEPSK); err != nil {
			return err
		}
	}
	_, err := c.writeHandshake(ske)
	return err
}

// pskPremaster looks the client's identity up and builds the premaster
// secret of a PSK suite (RFC 4279 §2–§4, RFC 5489 §2).
//
// An unknown identity ends the handshake with unknown_psk_identity: RFC
// 4279 §2 lets a server either say so or hide it behind the decrypt_error
// of a wrong key, and OpenSSL 3 says so (SSL_R_PSK_IDENTITY_NOT_FOUND).
func (hs *serverHandshakeTLS12) pskPremaster(cke *wire.ClientKeyExchange) ([]byte, error) {
	c, cfg := hs.c, hs.config
	psk, err := cfg.GetExternalPSK(cke.PSKIdentity)
	if err != nil {
		return nil, fmt.Errorf("clasp: GetExternalPSK: %w", err)
	}
	if psk == nil {
		return nil, wire.Errorf(wire.AlertUnknownPSKIdentity, "the client's PSK identity %.60q is not known to the server", cke.PSKIdentity)
	}
	if len(psk.Key) == 0 || len(psk.Key) > kex.MaxPSKLength {
		return nil, fmt.Errorf("clasp: GetExternalPSK returned a key of %d bytes for %.60q", len(psk.Key), cke.PSKIdentity)
	}
	var other []byte
	kx := hs.suite.KeyExchange
	switch kx {
	case suites.KexECDHEPSK:
		other, err = hs.ecdheKey.SharedSecret(cke.Data)
	case suites.KexDHEPSK:
		other, err = hs.dheKey.SharedSecret(cke.Data)
	case suites.KexRSAPSK:
		// As for RSA key exchange: a bad ciphertext gives a random secret
		// and the handshake fails at the Finished (RFC 5246 §7.4.7.1).
		other, err = kex.DecryptRSAPremaster(cfg.rand(), hs.cert.PrivateKey, cke.Data, hs.hello.Version)
	}
	if err != nil {
		return nil, err
	}
	c.state.pskIdentity = slices.Clone(cke.PSKIdentity)
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "psk_identity", Chosen: string(cke.PSKIdentity), ReasonCode: "psk_identity_known",
			Reason: fmt.Sprintf("GetExternalPSK knows the client's identity %q", cke.PSKIdentity)})
	}
	return kex.PSKPremaster(kx, other, psk.Key)
}

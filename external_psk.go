package clasp

import (
	"fmt"
	"slices"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// External pre-shared keys in TLS 1.3 (RFC 8446 §4.2.11, RFC 9257): a key
// both sides got outside TLS (provisioned at manufacture, from a KMS),
// named by an identity. The handshake is the resumption one with the
// external binder label ("ext binder", §7.1) and no certificate at all;
// psk_dhe_ke (a fresh key exchange besides) unless psk_ke is named. A
// server that only serves PSK clients needs no Certificates.

// ExternalPSK is one TLS 1.3 external pre-shared key.
type ExternalPSK struct {
	// Identity names the key to the server (PskIdentity.identity, up to
	// 2^16-1 bytes).
	Identity []byte
	// Key is the secret; RFC 9257 §6 asks for at least 128 bits of entropy.
	Key []byte
	// CipherSuite is the TLS 1.3 suite whose hash the key is used with
	// (RFC 8446 §4.2.11: a PSK has one hash); TLS_AES_128_GCM_SHA256 when
	// zero.
	CipherSuite uint16
}

// suite is the PSK's TLS 1.3 suite, checked.
func (p *ExternalPSK) suite() (*suites.Suite, error) {
	id := p.CipherSuite
	if id == 0 {
		id = TLS_AES_128_GCM_SHA256
	}
	s := suites.SuiteByID(suites.ID(id))
	if s == nil || !s.IsTLS13() {
		return nil, &configError{fmt.Sprintf("ExternalPSK %.60q: %s is not a TLS 1.3 cipher suite", p.Identity, suites.ID(id))}
	}
	if len(p.Identity) == 0 || len(p.Identity) >= 1<<16 || len(p.Key) < 16 {
		return nil, &configError{fmt.Sprintf("ExternalPSK %.60q (%d bytes): needs an identity of 1 to 65535 bytes and a key of 16 bytes or more", p.Identity, len(p.Identity))}
	}
	return s, nil
}

// externalSessions are the client's external PSKs, in the order of
// cfg.ExternalPSKs, each in the shape of a resumable session (ticket =
// identity, no age).
func externalSessions(cfg *Config, now time.Time) ([]*ClientSessionState, error) {
	var out []*ClientSessionState
	for i := range cfg.ExternalPSKs {
		psk := &cfg.ExternalPSKs[i]
		s, err := psk.suite()
		if err != nil {
			return nil, err
		}
		out = append(out, &ClientSessionState{version: suites.VersionTLS13, suite: s, psk: psk.Key, ticket: psk.Identity,
			lifetime: 1<<63 - 1, receivedAt: now, external: true})
	}
	return out, nil
}

// lookupExternalPSK asks the server's GetExternalPSK about an identity
// that is not one of its tickets; nil when it knows none (or the callback
// failed, which is logged and costs this identity only).
func (c *Conn) lookupExternalPSK(identity []byte) *sessionState13 {
	cfg := c.config
	if cfg.GetExternalPSK == nil {
		return nil
	}
	psk, err := cfg.GetExternalPSK(identity)
	if err != nil || psk == nil {
		if err != nil {
			cfg.logger().Warn("clasp: GetExternalPSK failed", "err", err)
		}
		if c.tracer != nil {
			// The diagnosis of a PSK-only server's handshake_failure
			// names the identity from this decision.
			c.decide(&trace.Decision{What: "psk_identity", Chosen: identityText(identity), ReasonCode: "psk_identity_unknown",
				Reason: fmt.Sprintf("neither a ticket of this server nor an identity GetExternalPSK knows: %.60q", identity)})
		}
		return nil
	}
	s, err := psk.suite()
	if err != nil {
		cfg.logger().Warn("clasp: GetExternalPSK returned an unusable key", "err", err)
		return nil
	}
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "psk_identity", Chosen: identityText(identity), ReasonCode: "psk_identity_known",
			Reason: fmt.Sprintf("GetExternalPSK knows the client's identity %q", identity)})
	}
	return &sessionState13{suite: s, psk: psk.Key, createdAt: time.Time{}, external: true, identity: identity}
}

// identityText shows a TLS 1.3 PSK identity in a trace decision: as text
// when it is printable (an external identity such as "sensor-7"), cut
// after 60 characters; as hex otherwise, which is what a ticket of
// another server looks like.
func identityText(identity []byte) string {
	if utf8.Valid(identity) && !slices.ContainsFunc([]rune(string(identity)), func(r rune) bool { return !unicode.IsPrint(r) }) {
		return fmt.Sprintf("%.60s", identity)
	}
	if len(identity) > 30 {
		return fmt.Sprintf("%x… (%d bytes)", identity[:30], len(identity))
	}
	return fmt.Sprintf("%x", identity)
}

// noPSKAccepted is the end of a TLS 1.3 handshake at a server that has no
// certificate and accepted none of the client's pre-shared keys. RFC 8446
// §4.2.11 has a server that accepts no PSK go on with a full handshake;
// without a certificate it cannot, and §4.1.1 ends a handshake whose
// parameters cannot be negotiated with handshake_failure. OpenSSL 3
// (s_server -nocert -psk, an unknown identity) sends handshake_failure
// too.
func (hs *serverHandshakeTLS13) noPSKAccepted() error {
	var offered []string
	if ext, ok := wire.FindExtension[*wire.PreSharedKeyExt](hs.hello.Extensions); ok {
		for _, id := range ext.Identities {
			offered = append(offered, fmt.Sprintf("%.60q", id.Identity))
		}
	}
	detail := "the server has no certificate for a full handshake, and knows none of the client's PSK identities"
	if len(offered) == 0 {
		detail = "the server has no certificate for a full handshake, and the client offered no pre-shared key"
	} else if modes, ok := wire.FindExtension[*wire.PSKKeyExchangeModesExt](hs.hello.Extensions); ok && !slices.Contains(modes.Modes, wire.PSKModeDHEKE) &&
		!slices.Contains(hs.config.PSKKeyExchangeModes, PSKModePlainKE) {
		detail = "the server has no certificate for a full handshake, and the client allows only psk_ke, which this server does not name"
	}
	return &NegotiationError{What: "pre-shared key", ClientOffered: offered, Detail: detail}
}

// acceptExternalPSK records the external PSK the server chose (the client
// side of acceptPSK) and warns about psk_ke.
func (c *Conn) acceptExternalPSK(identity []byte, serverHello []wire.Extension) error {
	c.state.pskIdentity = slices.Clone(identity)
	if _, withKeyShare := wire.FindExtension[*wire.KeyShareExt](serverHello); !withKeyShare {
		c.warn("external PSK with psk_ke: no fresh key exchange, so the connection has no forward secrecy")
	}
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "session", Chosen: "external PSK", ReasonCode: "external_psk",
			Reason: fmt.Sprintf("the server accepted the pre-shared key %q", identity)})
	}
	return nil
}

package clasp

import (
	"errors"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The anonymous key exchanges, DH_anon and ECDH_anon (RFC 5246 §7.4.2,
// §7.4.3; RFC 8422 §2.5): the server sends no Certificate and its
// ServerKeyExchange carries the same parameters as DHE or ECDHE without a
// signature. They run only when Config.CipherSuites names one, and every
// connection that uses one carries anonWarning.

// anonWarning is the warning of a connection with an anonymous suite.
const anonWarning = "anonymous key exchange: the peer is not authenticated, so anyone in the path can read and change this connection; used because Config.CipherSuites names the suite"

// ephemeralKex is the key agreement behind a key exchange: DH_anon is
// DHE's and ECDH_anon ECDHE's, unsigned.
func ephemeralKex(kx suites.KeyExchange) suites.KeyExchange {
	switch kx {
	case suites.KexDHAnon:
		return suites.KexDHE
	case suites.KexECDHAnon:
		return suites.KexECDHE
	}
	return kx
}

// anonymousCertificate stands for "no certificate" once an anonymous suite
// is chosen: the server sends no Certificate message.
var anonymousCertificate = &Certificate{}

// anonymousPossible reports whether a server without a certificate for
// this client can still run one of its suites: an anonymous one.
func (hs *serverHandshakeTLS12) anonymousPossible(err error) bool {
	return errors.Is(err, errNoCertificates) && slices.ContainsFunc(hs.config.cipherSuites(), func(id suites.ID) bool {
		return suites.SuiteByID(id).IsAnonymous()
	})
}

// anonymousCertificateFor is certificateFor for an anonymous suite: no
// certificate, unless the server must ask for a client certificate, which
// "It is a fatal handshake_failure alert for an anonymous server to
// request" (RFC 5246 §7.4.4).
func (hs *serverHandshakeTLS12) anonymousCertificateFor() (*Certificate, string) {
	if hs.config.ClientAuth == RequireAnyClientCert || hs.config.ClientAuth == RequireAndVerifyClientCert {
		return nil, "an anonymous server may not ask for the client certificate ClientAuth requires (RFC 5246 §7.4.4)"
	}
	return anonymousCertificate, ""
}

// checkNoCertificateRequest refuses a CertificateRequest from a server
// that chose an anonymous suite (RFC 5246 §7.4.4).
func (hs *clientHandshakeTLS12) checkNoCertificateRequest(msg wire.Message) error {
	if _, isReq := msg.(*wire.CertificateRequest); isReq && hs.suite.IsAnonymous() {
		return wire.Errorf(wire.AlertHandshakeFailure, "the server chose anonymous %s and then asked for a client certificate, which RFC 5246 §7.4.4 forbids", hs.suite.Name)
	}
	return nil
}

package clasp

import (
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// checkPeerExtensions applies RFC 8446 §4.2 to an extension block the peer
// sent in message msg (wire.TypeHelloRetryRequest for a HelloRetryRequest,
// wire.TypeCertificate for a CertificateEntry), extension by extension and
// in this order, as OpenSSL 3 does:
//
//   - "If an implementation receives an extension which it recognizes and
//     which is not specified for the message in which it appears, it MUST
//     abort the handshake with an "illegal_parameter" alert." The table is
//     wire.MayCarryVersion's: RFC 8446 §4.2's for TLS 1.3, the hellos of
//     RFC 5246 §7.4.1.4 for a TLS 1.2 ServerHello.
//   - When requested is non-nil the block answers it (the ClientHello's or
//     CertificateRequest's extensions): "Implementations MUST NOT send
//     extension responses if the remote endpoint did not send the
//     corresponding extension requests, with the exception of the "cookie"
//     extension in the HelloRetryRequest. Upon receiving such an extension,
//     an endpoint MUST abort the handshake with an "unsupported_extension"
//     alert." Unknown extensions count as unrequested: clasp never asks for
//     one. A block that is not a response (CertificateRequest,
//     NewSessionTicket) passes nil, and its unknown extensions are ignored
//     (RFC 8446 §4.3.2, §4.6.1).
func checkPeerExtensions(msg wire.HandshakeType, version suites.Version, exts, requested []wire.Extension) error {
	tls13 := version == suites.VersionTLS13
	for _, e := range exts {
		t := e.ExtType()
		if wire.Recognized(t) && !wire.MayCarryVersion(msg, t, tls13) {
			return wire.Errorf(wire.AlertIllegalParameter, "%s carries %s, which does not belong in that message in %s", msg, t, version)
		}
		if requested == nil || (msg == wire.TypeHelloRetryRequest && t == wire.ExtCookie) {
			continue
		}
		if _, ok := wire.LookupExtension(requested, t); !ok {
			return wire.Errorf(wire.AlertUnsupportedExtension, "%s carries %s, which was not requested", msg, t)
		}
	}
	return nil
}

package clasp

import (
	"slices"

	"github.com/clasp-tls/clasp/internal/wire"
)

// OCSP stapling (RFC 6066 §8; RFC 8446 §4.4.2.1) and Signed Certificate
// Timestamps (RFC 6962 §3.3), both sides: a client asks for both in every
// hello, as crypto/tls does; a server answers with what its Certificate
// carries (OCSPStaple, SignedCertificateTimestamps). TLS 1.2 staples in a
// CertificateStatus message after Certificate and sends SCTs in the
// ServerHello; TLS 1.3 puts both in the leaf's CertificateEntry.

// certificateStatusRequests are the client's requests for a stapled OCSP
// response and for SCTs.
func certificateStatusRequests(cfg *Config) []wire.Extension {
	var exts []wire.Extension
	if cfg.listsExtension(wire.ExtStatusRequest) {
		exts = append(exts, &wire.StatusRequestExt{StatusType: wire.StatusTypeOCSP})
	}
	if cfg.listsExtension(wire.ExtSignedCertificateTimestamp) {
		exts = append(exts, &wire.SignedCertificateTimestampExt{})
	}
	return exts
}

// requested reports whether a hello carries the extension of type t.
func requested(exts []wire.Extension, t wire.ExtensionType) bool {
	return slices.ContainsFunc(exts, func(e wire.Extension) bool { return e.ExtType() == t })
}

// willStaple reports whether a server staples cert's OCSP response for
// this client: one that asked for the ocsp status type (RFC 6066 §8; a
// request of another type is ignored).
func willStaple(hello *wire.ClientHello, cert *Certificate) bool {
	if cert == nil || len(cert.OCSPStaple) == 0 {
		return false
	}
	req, ok := wire.FindExtension[*wire.StatusRequestExt](hello.Extensions)
	return ok && req.StatusType == wire.StatusTypeOCSP
}

// willSendSCTs reports whether a server sends cert's SCTs to this client.
func willSendSCTs(hello *wire.ClientHello, cert *Certificate) bool {
	return cert != nil && len(cert.SignedCertificateTimestamps) > 0 && requested(hello.Extensions, wire.ExtSignedCertificateTimestamp)
}

// stapleExtensions12 are a TLS 1.2 ServerHello's answers: an empty
// status_request promising a CertificateStatus, and the SCT list.
func (hs *serverHandshakeTLS12) stapleExtensions12() []wire.Extension {
	var exts []wire.Extension
	if hs.session == nil && willStaple(hs.hello, hs.cert) {
		exts = append(exts, &wire.StatusRequestExt{})
	}
	if hs.session == nil && willSendSCTs(hs.hello, hs.cert) {
		exts = append(exts, &wire.SignedCertificateTimestampExt{SCTs: hs.cert.SignedCertificateTimestamps})
	}
	return exts
}

// certificateStatusStep is the TLS 1.2 server's CertificateStatus step,
// nil (no step at all) when it does not staple.
func (hs *serverHandshakeTLS12) certificateStatusStep() func() error {
	if !willStaple(hs.hello, hs.cert) {
		return nil
	}
	return func() error {
		_, err := hs.c.writeHandshake(&wire.CertificateStatus{StatusType: wire.StatusTypeOCSP, Response: hs.cert.OCSPStaple})
		return err
	}
}

// leafEntryExtensions13 are the extensions of a TLS 1.3 server's leaf
// CertificateEntry (RFC 8446 §4.4.2.1).
func leafEntryExtensions13(hello *wire.ClientHello, cert *Certificate) []wire.Extension {
	var exts []wire.Extension
	if willStaple(hello, cert) {
		exts = append(exts, &wire.StatusRequestExt{StatusType: wire.StatusTypeOCSP, Response: cert.OCSPStaple})
	}
	if willSendSCTs(hello, cert) {
		exts = append(exts, &wire.SignedCertificateTimestampExt{SCTs: cert.SignedCertificateTimestamps})
	}
	return exts
}

// readCertificateStatusStep is the TLS 1.2 client's step for a stapled
// response, nil when the ServerHello did not promise one.
func (hs *clientHandshakeTLS12) readCertificateStatusStep() func() error {
	if _, ok := wire.FindExtension[*wire.StatusRequestExt](hs.serverHello.Extensions); !ok {
		return nil
	}
	return hs.readCertificateStatus
}

// readCertificateStatus reads the CertificateStatus a server promised.
// RFC 6066 §8 lets the server leave it out even so ("a server MAY also
// choose not to send"), so another message is kept for the next step.
func (hs *clientHandshakeTLS12) readCertificateStatus() error {
	c := hs.c
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	status, ok := msg.(*wire.CertificateStatus)
	if !ok {
		c.pendingHandshake = msg
		return nil
	}
	if status.StatusType != wire.StatusTypeOCSP {
		// RFC 6066 §8 defines ocsp alone; the client asked for nothing else.
		return wire.Errorf(wire.AlertUnsupportedCertificate, "CertificateStatus of type %d; the client asked for ocsp (1)", status.StatusType)
	}
	c.state.ocspResponse = status.Response
	return nil
}

// keepSCTs12 keeps the SCTs of a TLS 1.2 ServerHello.
func (c *Conn) keepSCTs12(sh *wire.ServerHello) {
	if sct, ok := wire.FindExtension[*wire.SignedCertificateTimestampExt](sh.Extensions); ok {
		c.state.scts = sct.SCTs
	}
}

// keepLeafStatus13 keeps the OCSP response and SCTs of a TLS 1.3 leaf
// CertificateEntry.
func (c *Conn) keepLeafStatus13(leaf wire.CertificateEntry) {
	if st, ok := wire.FindExtension[*wire.StatusRequestExt](leaf.Extensions); ok {
		c.state.ocspResponse = st.Response
	}
	if sct, ok := wire.FindExtension[*wire.SignedCertificateTimestampExt](leaf.Extensions); ok {
		c.state.scts = sct.SCTs
	}
}

// OCSPResponse returns the OCSP response the server stapled (a client
// connection after its handshake), nil when there was none.
func (c *Conn) OCSPResponse() []byte {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	return slices.Clone(c.state.ocspResponse)
}

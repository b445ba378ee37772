package wire

import "golang.org/x/crypto/cryptobyte"

// Certificate carries a certificate chain (RFC 5246 §7.4.2, §7.4.6). This is
// the TLS 1.0-1.2 shape; TLS 1.3's, with a request context and per-entry
// extensions, is Certificate13.
type Certificate struct {
	// Certificates are DER certificates, leaf first. nil when the list is
	// empty, which a client sends when it has no suitable certificate; the
	// driver decides whether a server may send that.
	Certificates [][]byte
}

// Type returns TypeCertificate.
func (*Certificate) Type() HandshakeType { return TypeCertificate }

// Marshal returns the complete handshake message.
func (m *Certificate) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCertificate, func(b *builder) {
		b.AddUint24LengthPrefixed(func(b *builder) {
			for _, cert := range m.Certificates {
				if len(cert) == 0 {
					b.SetError(errMarshal("empty certificate in chain"))
					return
				}
				b.AddUint24LengthPrefixed(func(b *builder) { b.AddBytes(cert) })
			}
		})
	})
}

// ParseCertificate parses a TLS 1.2 Certificate body: certificate_list
// <0..2^24-1> of ASN.1Cert<1..2^24-1>. An empty certificate is decode_error;
// whether the DER parses is crypto/x509's to say (bad_certificate).
func ParseCertificate(body []byte) (*Certificate, error) {
	s := cryptobyte.String(body)
	var list cryptobyte.String
	if !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, decodeError("Certificate")
	}
	m := &Certificate{}
	for !list.Empty() {
		var cert cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&cert) || cert.Empty() {
			return nil, decodeError("Certificate entry")
		}
		m.Certificates = append(m.Certificates, cloneBytes(cert))
	}
	return m, nil
}

// CertificateStatus carries a stapled OCSP response (RFC 6066 §8).
type CertificateStatus struct {
	// StatusType is 1 (ocsp) in practice.
	StatusType uint8
	// Response is the content of the uint24 vector after the status type:
	// the DER OCSPResponse for ocsp. Other types (RFC 6961's ocsp_multi)
	// also use a single uint24 vector, so the shape is read for any type
	// and the driver decides what to accept.
	Response []byte
}

// Type returns TypeCertificateStatus.
func (*CertificateStatus) Type() HandshakeType { return TypeCertificateStatus }

// Marshal returns the complete handshake message.
func (m *CertificateStatus) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCertificateStatus, func(b *builder) {
		if len(m.Response) == 0 {
			b.SetError(errMarshal("CertificateStatus with an empty response"))
			return
		}
		b.AddUint8(m.StatusType)
		b.AddUint24LengthPrefixed(func(b *builder) { b.AddBytes(m.Response) })
	})
}

// ParseCertificateStatus parses a CertificateStatus body: status_type and
// opaque OCSPResponse<1..2^24-1>.
func ParseCertificateStatus(body []byte) (*CertificateStatus, error) {
	s := cryptobyte.String(body)
	m := &CertificateStatus{}
	var resp cryptobyte.String
	if !s.ReadUint8(&m.StatusType) || !s.ReadUint24LengthPrefixed(&resp) || !s.Empty() || resp.Empty() {
		return nil, decodeError("CertificateStatus")
	}
	m.Response = cloneBytes(resp)
	return m, nil
}

// NewSessionTicket hands the client a session ticket (RFC 5077 §3.3). This is
// the TLS 1.2 shape; TLS 1.3's is NewSessionTicket13.
type NewSessionTicket struct {
	// LifetimeHint is in seconds; 0 means unspecified.
	LifetimeHint uint32
	// Ticket is opaque to the client. nil when empty, which RFC 5077 §3.3
	// allows: a server that changed its mind sends a zero-length ticket.
	Ticket []byte
}

// Type returns TypeNewSessionTicket.
func (*NewSessionTicket) Type() HandshakeType { return TypeNewSessionTicket }

// Marshal returns the complete handshake message.
func (m *NewSessionTicket) Marshal() ([]byte, error) {
	return marshalHandshake(TypeNewSessionTicket, func(b *builder) {
		b.AddUint32(m.LifetimeHint)
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(m.Ticket) })
	})
}

// ParseNewSessionTicket parses a TLS 1.2 NewSessionTicket body.
func ParseNewSessionTicket(body []byte) (*NewSessionTicket, error) {
	s := cryptobyte.String(body)
	m := &NewSessionTicket{}
	var ticket cryptobyte.String
	if !s.ReadUint32(&m.LifetimeHint) || !s.ReadUint16LengthPrefixed(&ticket) || !s.Empty() {
		return nil, decodeError("NewSessionTicket")
	}
	m.Ticket = cloneBytes(ticket)
	return m, nil
}

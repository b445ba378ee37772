package wire

import "golang.org/x/crypto/cryptobyte"

// CertificateEntry is one certificate of a TLS 1.3 chain with its own
// extensions (RFC 8446 §4.4.2): status_request carries a stapled OCSP
// response for that certificate, signed_certificate_timestamp its SCTs.
type CertificateEntry struct {
	// Data is the DER certificate (or, with RFC 7250 raw public keys, the
	// SubjectPublicKeyInfo); non-empty (cert_data<1..2^24-1>). Whether it
	// parses is crypto/x509's to say (bad_certificate).
	Data []byte
	// Extensions is nil when the entry's block is empty.
	Extensions []Extension
}

// Certificate13 is TLS 1.3's Certificate message (RFC 8446 §4.4.2). It is
// sent under TypeCertificate and selected over Certificate by a TLS 1.3
// Context.
type Certificate13 struct {
	// Context is certificate_request_context: empty (nil) in the handshake's
	// server and client certificates, the CertificateRequest13's context in
	// answer to a post-handshake request. The driver compares it.
	Context []byte
	// Entries are leaf first; nil when the list is empty, which a client
	// with no suitable certificate sends (a server must not; the driver
	// checks, with decode_error as RFC 8446 §4.4.2.4 says).
	Entries []CertificateEntry
}

// Type returns TypeCertificate.
func (*Certificate13) Type() HandshakeType { return TypeCertificate }

// Marshal returns the complete handshake message.
func (m *Certificate13) Marshal() ([]byte, error) {
	return marshalHandshake(TypeCertificate, func(b *builder) {
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(m.Context) })
		b.AddUint24LengthPrefixed(func(b *builder) {
			for _, e := range m.Entries {
				if len(e.Data) == 0 {
					b.SetError(errMarshal("empty certificate in chain"))
					return
				}
				b.AddUint24LengthPrefixed(func(b *builder) { b.AddBytes(e.Data) })
				addExtensionBlock(b, e.Extensions, TypeCertificate)
			}
		})
	})
}

// ParseCertificate13 parses a TLS 1.3 Certificate body:
// certificate_request_context<0..2^8-1>, then CertificateEntry
// certificate_list<0..2^24-1>, each entry cert_data<1..2^24-1> and
// extensions<0..2^16-1>. An empty certificate, a malformed entry extension
// and trailing bytes are decode_error.
func ParseCertificate13(body []byte) (*Certificate13, error) {
	s := cryptobyte.String(body)
	var reqContext, list cryptobyte.String
	if !s.ReadUint8LengthPrefixed(&reqContext) || !s.ReadUint24LengthPrefixed(&list) || !s.Empty() {
		return nil, decodeError("Certificate")
	}
	m := &Certificate13{Context: cloneBytes(reqContext)}
	for !list.Empty() {
		var data cryptobyte.String
		if !list.ReadUint24LengthPrefixed(&data) || data.Empty() {
			return nil, decodeError("Certificate entry")
		}
		exts, err := readExtensionBlock(&list, TypeCertificate)
		if err != nil {
			return nil, err
		}
		m.Entries = append(m.Entries, CertificateEntry{Data: cloneBytes(data), Extensions: exts})
	}
	return m, nil
}

// Chain returns the DER certificates of a TLS 1.3 Certificate, leaf first,
// without their per-entry extensions: the shape the TLS 1.2 message has and
// crypto/x509 wants.
func (m *Certificate13) Chain() [][]byte {
	chain := make([][]byte, len(m.Entries))
	for i, e := range m.Entries {
		chain[i] = e.Data
	}
	return chain
}

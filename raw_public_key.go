package clasp

import (
	"crypto"
	"crypto/x509"
	"errors"
	"slices"

	"github.com/clasp-tls/clasp/internal/wire"
)

// Raw public keys (RFC 7250) for the server's authentication in TLS 1.3:
// a client that knows the server's key (pinned, provisioned) asks for it
// alone in server_certificate_type; the server's Certificate then carries
// its SubjectPublicKeyInfo instead of an X.509 chain, and the client
// checks it with Config.VerifyRawPublicKey instead of a chain and a name.
// The CertificateVerify signature is what proves possession, as always.

// offerServerCertificateTypes is the client's server_certificate_type:
// raw public keys first, X.509 as well unless the client can only pin.
// offered says whether the hello carries the extension in this list (the
// TLS 1.3 list, or the TLS 1.2 one of a hello without TLS 1.3).
func offerServerCertificateTypes(cfg *Config, offered bool) []wire.Extension {
	if !offered || cfg.VerifyRawPublicKey == nil || !cfg.listsExtension(wire.ExtServerCertificateType) {
		return nil
	}
	return []wire.Extension{&wire.ServerCertificateTypeExt{Types: []uint8{wire.CertTypeRawPublicKey, wire.CertTypeX509}}}
}

// chooseServerCertificateType is the server's answer (RFC 7250 §4.2): a
// raw public key when the Config serves one and the client can take it;
// X.509 when the client lists it; otherwise unsupported_certificate.
func (c *Conn) chooseServerCertificateType(hello *wire.ClientHello) ([]wire.Extension, error) {
	ext, ok := wire.FindExtension[*wire.ServerCertificateTypeExt](hello.Extensions)
	if !ok {
		return nil, nil
	}
	if c.config.RawPublicKey && slices.Contains(ext.Types, wire.CertTypeRawPublicKey) {
		c.state.rawPublicKey = true
		return []wire.Extension{&wire.ServerCertificateTypeExt{Types: []uint8{wire.CertTypeRawPublicKey}}}, nil
	}
	if slices.Contains(ext.Types, wire.CertTypeX509) {
		return []wire.Extension{&wire.ServerCertificateTypeExt{Types: []uint8{wire.CertTypeX509}}}, nil
	}
	return nil, wire.Errorf(wire.AlertUnsupportedCertificate, "the client takes server certificate types %v, and this server sends X.509 certificates only", ext.Types)
}

// rawPublicKeyEntry is the server's Certificate entry for its raw public
// key: the SubjectPublicKeyInfo of its leaf's key.
func rawPublicKeyEntry(cert *Certificate) (wire.CertificateEntry, error) {
	signer, ok := cert.PrivateKey.(crypto.Signer)
	if !ok {
		return wire.CertificateEntry{}, errors.New("clasp: the certificate's key cannot sign")
	}
	spki, err := x509.MarshalPKIXPublicKey(signer.Public())
	if err != nil {
		return wire.CertificateEntry{}, err
	}
	return wire.CertificateEntry{Data: spki}, nil
}

// acceptServerCertificateType reads the server's answer in
// EncryptedExtensions: it must be a type the client listed (RFC 7250 §4.2).
func (c *Conn) acceptServerCertificateType(ee []wire.Extension, offered []wire.Extension) error {
	ext, ok := wire.FindExtension[*wire.ServerCertificateTypeExt](ee)
	if !ok {
		return nil
	}
	ours, _ := wire.FindExtension[*wire.ServerCertificateTypeExt](offered)
	if ours == nil || !slices.Contains(ours.Types, ext.Types[0]) {
		return wire.Errorf(wire.AlertIllegalParameter, "server chose certificate type %d, which the client did not offer", ext.Types[0])
	}
	c.state.rawPublicKey = ext.Types[0] == wire.CertTypeRawPublicKey
	return nil
}

// verifyRawPublicKey checks the server's one-entry raw key Certificate
// with VerifyRawPublicKey and returns the key for CertificateVerify.
func (c *Conn) verifyRawPublicKey(entries []wire.CertificateEntry) (crypto.PublicKey, error) {
	if len(entries) != 1 {
		return nil, wire.Errorf(wire.AlertDecodeError, "a raw public key Certificate holds one entry, not %d (RFC 7250 §3)", len(entries))
	}
	spki := entries[0].Data
	pub, err := x509.ParsePKIXPublicKey(spki)
	if err != nil {
		return nil, wire.Errorf(wire.AlertBadCertificate, "the server's raw public key does not parse: %v", err)
	}
	if err := c.config.VerifyRawPublicKey(spki); err != nil {
		return nil, &CertificateVerificationError{Err: err}
	}
	c.state.peerRawPublicKey = slices.Clone(spki)
	return pub, nil
}

// Client authentication with a raw public key (RFC 7250 §4.1): a client
// with RawPublicKey offers client_certificate_type; a server with
// VerifyRawPublicKey takes it, and the client's Certificate then carries
// its key's SubjectPublicKeyInfo.

// offerClientCertificateTypes is a client's client_certificate_type.
func offerClientCertificateTypes(cfg *Config, offered bool) []wire.Extension {
	if !offered || !cfg.RawPublicKey || !cfg.listsExtension(wire.ExtClientCertificateType) {
		return nil
	}
	return []wire.Extension{&wire.ClientCertificateTypeExt{Types: []uint8{wire.CertTypeRawPublicKey, wire.CertTypeX509}}}
}

// chooseClientCertificateType is the server's answer: a raw key when it
// can check one (VerifyRawPublicKey) and the client can send one.
func (c *Conn) chooseClientCertificateType(hello *wire.ClientHello) ([]wire.Extension, error) {
	ext, ok := wire.FindExtension[*wire.ClientCertificateTypeExt](hello.Extensions)
	if !ok {
		return nil, nil
	}
	if c.config.VerifyRawPublicKey != nil && slices.Contains(ext.Types, wire.CertTypeRawPublicKey) {
		c.state.clientRawPublicKey = true
		return []wire.Extension{&wire.ClientCertificateTypeExt{Types: []uint8{wire.CertTypeRawPublicKey}}}, nil
	}
	if slices.Contains(ext.Types, wire.CertTypeX509) {
		return []wire.Extension{&wire.ClientCertificateTypeExt{Types: []uint8{wire.CertTypeX509}}}, nil
	}
	return nil, wire.Errorf(wire.AlertUnsupportedCertificate, "the client sends certificate types %v, and this server takes X.509 only", ext.Types)
}

// acceptClientCertificateType reads the server's choice in
// EncryptedExtensions.
func (c *Conn) acceptClientCertificateType(ee, offered []wire.Extension) error {
	ext, ok := wire.FindExtension[*wire.ClientCertificateTypeExt](ee)
	if !ok {
		return nil
	}
	ours, _ := wire.FindExtension[*wire.ClientCertificateTypeExt](offered)
	if ours == nil || !slices.Contains(ours.Types, ext.Types[0]) {
		return wire.Errorf(wire.AlertIllegalParameter, "server chose client certificate type %d, which the client did not offer", ext.Types[0])
	}
	c.state.clientRawPublicKey = ext.Types[0] == wire.CertTypeRawPublicKey
	return nil
}

// clientIdentity13 checks a TLS 1.3 client Certificate: a raw key through
// VerifyRawPublicKey, or a chain under ClientAuth; pub is the key its
// CertificateVerify must verify under.
func (c *Conn) clientIdentity13(m *wire.Certificate13) (pub crypto.PublicKey, certs []*x509.Certificate, chains [][]*x509.Certificate, err error) {
	if c.state.clientRawPublicKey {
		pub, err = c.verifyRawPublicKey(m.Entries)
		return pub, nil, nil, err
	}
	certs, chains, err = c.verifyPeerChain(m.Chain())
	if err != nil {
		return nil, nil, nil, err
	}
	if err := c.checkPeerKeyUsage(certs[0], keyUseSign); err != nil {
		return nil, nil, nil, err
	}
	return certs[0].PublicKey, certs, chains, nil
}

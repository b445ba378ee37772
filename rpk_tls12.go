package clasp

import (
	"crypto"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Raw public keys (RFC 7250) in TLS 1.2: the certificate types are agreed
// in the ClientHello and the ServerHello (not in EncryptedExtensions as in
// TLS 1.3), and a Certificate of the raw type holds the
// SubjectPublicKeyInfo alone, without the certificate_list around it
// (§3). The checks are those of TLS 1.3 (raw_public_key.go):
// VerifyRawPublicKey on the side that pins, and the key then verifies the
// ServerKeyExchange or CertificateVerify signature as a certificate's
// would.

// rawPublicKeyOffers12 are the RFC 7250 extensions of a hello that offers
// TLS 1.2 and not TLS 1.3; a hello that offers TLS 1.3 carries them among
// its TLS 1.3 extensions, where a TLS 1.2 server reads them too.
func rawPublicKeyOffers12(cfg *Config, offer *clientOffer) []wire.Extension {
	if offer.offers13 {
		return nil
	}
	return append(offerServerCertificateTypes(cfg, true), offerClientCertificateTypes(cfg, true)...)
}

// acceptCertificateTypes12 reads the server's choices in its ServerHello
// (RFC 7250 §4.2) and prepares the parser for a raw key Certificate.
func (hs *clientHandshakeTLS12) acceptCertificateTypes12(sh *wire.ServerHello) error {
	c := hs.c
	if err := c.acceptServerCertificateType(sh.Extensions, hs.hello.Extensions); err != nil {
		return err
	}
	if err := c.acceptClientCertificateType(sh.Extensions, hs.hello.Extensions); err != nil {
		return err
	}
	c.parseCtx.RawPublicKey = c.state.rawPublicKey
	return nil
}

// readServerRawPublicKey reads the server's raw key Certificate, checks
// it with VerifyRawPublicKey and that it fits the suite.
func (hs *clientHandshakeTLS12) readServerRawPublicKey() error {
	c := hs.c
	msg, err := c.readHandshake()
	c.parseCtx.RawPublicKey = false
	if err != nil {
		return err
	}
	m, ok := msg.(*wire.RawPublicKeyCertificate)
	if !ok {
		return errUnexpected("Certificate", msg)
	}
	pub, err := c.verifyRawPublicKey([]wire.CertificateEntry{{Data: m.SPKI}})
	if err != nil {
		return err
	}
	if !keyFitsSuite(pub, nil, hs.suite) && !(encryptsToCertificate(hs.suite.KeyExchange) && isRSA(pub)) {
		return wire.Errorf(wire.AlertUnsupportedCertificate, "the server's raw %T cannot authenticate %s", pub, hs.suite.Name)
	}
	hs.rawServerKey = pub
	return nil
}

// serverPublicKey is the key the server authenticated with: its raw key or
// its leaf certificate's.
func (hs *clientHandshakeTLS12) serverPublicKey() crypto.PublicKey {
	if hs.rawServerKey != nil {
		return hs.rawServerKey
	}
	return hs.serverCerts[0].PublicKey
}

// sendClientRawPublicKey answers a CertificateRequest with the client's
// key alone, when the server chose the raw type for clients.
func (hs *clientHandshakeTLS12) sendClientRawPublicKey() error {
	entry, err := rawPublicKeyEntry(hs.clientCert)
	if err != nil {
		return err
	}
	_, err = hs.c.writeHandshake(&wire.RawPublicKeyCertificate{SPKI: entry.Data})
	return err
}

// chooseCertificateTypes12 makes the server's RFC 7250 choices for the
// ServerHello: server_certificate_type only when the suite has a server
// certificate at all, client_certificate_type only when a
// CertificateRequest will follow ("If the server does not send any
// CertificateRequest message, then the client_certificate_type extension
// in the server hello MUST be omitted", §4.2).
func (hs *serverHandshakeTLS12) chooseCertificateTypes12() error {
	c := hs.c
	if hs.suite.Auth == suites.AuthPSK {
		return nil
	}
	exts, err := c.chooseServerCertificateType(hs.hello)
	if err != nil {
		return err
	}
	if hs.config.ClientAuth != NoClientCert {
		more, err := c.chooseClientCertificateType(hs.hello)
		if err != nil {
			return err
		}
		exts = append(exts, more...)
	}
	hs.certTypeExts = exts
	return nil
}

// sendServerRawPublicKey sends the server's key alone (RFC 7250 §3).
func (hs *serverHandshakeTLS12) sendServerRawPublicKey() error {
	entry, err := rawPublicKeyEntry(hs.cert)
	if err != nil {
		return err
	}
	_, err = hs.c.writeHandshake(&wire.RawPublicKeyCertificate{SPKI: entry.Data})
	return err
}

// readClientRawPublicKey reads the client's raw key Certificate and checks
// it with VerifyRawPublicKey; its CertificateVerify is checked under it.
func (hs *serverHandshakeTLS12) readClientRawPublicKey() error {
	c := hs.c
	c.parseCtx.RawPublicKey = true
	msg, err := c.readHandshake()
	c.parseCtx.RawPublicKey = false
	if err != nil {
		return err
	}
	m, ok := msg.(*wire.RawPublicKeyCertificate)
	if !ok {
		return errUnexpected("client Certificate", msg)
	}
	pub, err := c.verifyRawPublicKey([]wire.CertificateEntry{{Data: m.SPKI}})
	if err != nil {
		return err
	}
	if !isRSA(pub) && !isECDSA(pub) && !isEd25519(pub) {
		return wire.Errorf(wire.AlertUnsupportedCertificate, "the client's raw %T key cannot sign a CertificateVerify", pub)
	}
	hs.rawClientKey = pub
	return nil
}

// clientPublicKey is the key the client's CertificateVerify is checked
// under, nil when the client sent none.
func (hs *serverHandshakeTLS12) clientPublicKey() crypto.PublicKey {
	if hs.rawClientKey != nil {
		return hs.rawClientKey
	}
	if len(hs.clientCerts) > 0 {
		return hs.clientCerts[0].PublicKey
	}
	return nil
}

package clasp

import (
	"bytes"
	"crypto"
	"crypto/dsa" //nolint:staticcheck // DHE_DSS, see dsa_keys.go
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// leaf returns the parsed leaf of a certificate, parsing it when the caller
// did not (X509KeyPair always fills Leaf in).
func leaf(cert *Certificate) (*x509.Certificate, error) {
	if cert.Leaf != nil {
		return cert.Leaf, nil
	}
	if len(cert.Certificate) == 0 {
		return nil, errNoCertificates
	}
	// Without Leaf, every handshake would parse the same DER again: the
	// parse is shared (parseCertificateShared) for as long as it is used.
	return parseCertificateShared(cert.Certificate[0])
}

// keyFitsSuite reports whether a certificate key can authenticate a suite:
// RSA keys for *_RSA_* suites (and, for RSA key exchange, decrypt the
// premaster), ECDSA and Ed25519 keys (RFC 8422 §5.1) for *_ECDSA_* suites.
func keyFitsSuite(pub crypto.PublicKey, priv crypto.PrivateKey, s *suites.Suite) bool {
	switch s.Auth {
	case suites.AuthRSA:
		if _, ok := pub.(*rsa.PublicKey); !ok {
			return false
		}
		if encryptsToCertificate(s.KeyExchange) {
			_, canDecrypt := priv.(crypto.Decrypter)
			return canDecrypt
		}
		return true
	case suites.AuthECDSA:
		switch pub.(type) {
		case *ecdsa.PublicKey, ed25519.PublicKey:
			return true
		}
	case suites.AuthDSS:
		_, ok := pub.(*dsa.PublicKey)
		return ok
	}
	return false
}

// chooseSignatureScheme picks the scheme to sign with: the first of this
// side's schemes that the peer accepts and the key can produce. peer is nil
// when the peer sent no list; RFC 5246 §7.4.1.4.1 then implies SHA-1, which
// clasp uses only if this side's list names it.
func chooseSignatureScheme(pub crypto.PublicKey, version suites.Version, peer, ours []suites.SignatureScheme) (suites.SignatureScheme, bool) {
	if peer == nil {
		switch pub.(type) {
		case *rsa.PublicKey:
			peer = []suites.SignatureScheme{suites.PKCS1WithSHA1}
		case *ecdsa.PublicKey:
			peer = []suites.SignatureScheme{suites.ECDSAWithSHA1}
		case ed25519.PublicKey:
			peer = []suites.SignatureScheme{suites.Ed25519}
		case *dsa.PublicKey:
			peer = []suites.SignatureScheme{suites.DSAWithSHA1}
		}
	}
	for _, s := range ours {
		if slices.Contains(peer, s) && signature.KeyCanUse(pub, s, version) {
			return s, true
		}
	}
	return 0, false
}

// certificateMatchesName reports whether a certificate is for the SNI name.
func certificateMatchesName(cert *x509.Certificate, name string) bool {
	return name != "" && cert.VerifyHostname(strings.TrimSuffix(name, ".")) == nil
}

// issuedByOneOf reports whether any certificate of the chain was issued by
// one of the CA names a server listed in CertificateRequest.
func issuedByOneOf(chain [][]byte, caNames [][]byte) bool {
	if len(caNames) == 0 {
		return true
	}
	for _, der := range chain {
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			continue
		}
		for _, name := range caNames {
			if bytes.Equal(cert.RawIssuer, name) || bytes.Equal(cert.RawSubject, name) {
				return true
			}
		}
	}
	return false
}

func isECDSA(pub crypto.PublicKey) bool {
	_, ok := pub.(*ecdsa.PublicKey)
	return ok
}

func isEd25519(pub crypto.PublicKey) bool {
	_, ok := pub.(ed25519.PublicKey)
	return ok
}

// negotiateALPN picks the server's most preferred protocol that the client
// offers, in either version. RFC 7301 §3.2: with no overlap the server
// answers no_application_protocol.
func (c *Conn) negotiateALPN(hello *wire.ClientHello) error {
	ours := c.config.NextProtos
	alpn, ok := wire.FindExtension[*wire.ALPNExt](hello.Extensions)
	if !ok || len(ours) == 0 {
		return nil
	}
	for _, proto := range ours {
		if slices.Contains(alpn.Protocols, proto) {
			c.state.alpn = proto
			if c.tracer != nil {
				c.decide(&trace.Decision{What: "alpn", Chosen: proto, Offered: alpn.Protocols, Accepted: ours,
					ReasonCode: "server_preference", Reason: "first protocol in the server's order that the client offers"})
			}
			return nil
		}
	}
	return &NegotiationError{What: "application protocol", ClientOffered: alpn.Protocols, ServerAccepts: ours}
}

// acceptALPN checks the protocol a server chose (in a TLS 1.2 ServerHello
// or TLS 1.3 EncryptedExtensions) against what the client offered.
func (c *Conn) acceptALPN(exts []wire.Extension) error {
	alpn, ok := wire.FindExtension[*wire.ALPNExt](exts)
	if !ok {
		return nil
	}
	proto := alpn.Protocols[0]
	if !slices.Contains(c.config.NextProtos, proto) {
		return wire.Errorf(wire.AlertIllegalParameter, "server chose ALPN protocol %q, which the client did not offer", proto)
	}
	c.state.alpn = proto
	if c.tracer != nil {
		c.decide(&trace.Decision{What: "alpn", Chosen: proto, Offered: c.config.NextProtos, ReasonCode: "chosen_by_server", Reason: "chosen by the server"})
	}
	return nil
}

// chooseClientCertificate answers a CertificateRequest in either version:
// GetClientCertificate's choice, or the first configured certificate whose
// chain leads to one of the server's CAs (any, when it named none) and whose
// key can sign with a scheme the server accepts. nil means send none.
func (c *Conn) chooseClientCertificate(cas [][]byte, requested []suites.SignatureScheme) (*Certificate, error) {
	cfg, version := c.config, c.state.version
	if cfg.GetClientCertificate != nil {
		cert, err := cfg.GetClientCertificate(&CertificateRequestInfo{AcceptableCAs: cas,
			SignatureSchemes: requested, Version: uint16(version), ctx: c.handshakeCtx})
		if err != nil || cert == nil || len(cert.Certificate) == 0 {
			return nil, err
		}
		return cert, nil
	}
	for i := range cfg.Certificates {
		cert := &cfg.Certificates[i]
		l, err := leaf(cert)
		if err != nil || !issuedByOneOf(cert.Certificate, cas) {
			continue
		}
		if version < suites.VersionTLS12 {
			// TLS 1.0/1.1 sign without naming a scheme.
			if isRSA(l.PublicKey) || isECDSA(l.PublicKey) {
				return cert, nil
			}
			continue
		}
		if _, ok := chooseSignatureScheme(l.PublicKey, version, requested, cfg.schemesFor(cert)); ok {
			return cert, nil
		}
	}
	return nil, nil
}

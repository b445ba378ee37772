package clasp

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// What the callbacks learn about the peer: ClientHelloInfo for a server's
// GetCertificate and GetConfigForClient, CertificateRequestInfo for a
// client's GetClientCertificate, with crypto/tls's methods.

// clientHelloInfo describes hello for the server's callbacks.
func (c *Conn) clientHelloInfo(hello *wire.ClientHello) *ClientHelloInfo {
	info := &ClientHelloInfo{ServerName: c.state.serverName, Conn: c.conn, ctx: c.handshakeCtx,
		HelloRetryRequest: c.state.helloRetry, config: c.config}
	for _, id := range hello.CipherSuites {
		info.CipherSuites = append(info.CipherSuites, uint16(id))
	}
	for _, ext := range hello.Extensions {
		info.Extensions = append(info.Extensions, uint16(ext.ExtType()))
	}
	if sa, ok := wire.FindExtension[*wire.SignatureAlgorithmsExt](hello.Extensions); ok {
		info.SignatureSchemes = sa.Schemes
	}
	if sg, ok := wire.FindExtension[*wire.SupportedGroupsExt](hello.Extensions); ok {
		info.SupportedCurves = sg.Groups
	}
	if pf, ok := wire.FindExtension[*wire.ECPointFormatsExt](hello.Extensions); ok {
		info.SupportedPoints = pf.Formats
	}
	if alpn, ok := wire.FindExtension[*wire.ALPNExt](hello.Extensions); ok {
		info.SupportedProtos = alpn.Protocols
	}
	if sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](hello.Extensions); ok {
		for _, v := range sv.Versions {
			info.SupportedVersions = append(info.SupportedVersions, uint16(v))
		}
	} else {
		for v := min(hello.Version, suites.VersionTLS12); v >= suites.VersionTLS10; v-- {
			info.SupportedVersions = append(info.SupportedVersions, uint16(v))
		}
	}
	return info
}

// applyConfigForClient lets Config.GetConfigForClient replace the Config
// for this connection, as crypto/tls does, right after the ClientHello. A
// callback error ends the handshake with internal_error.
func (c *Conn) applyConfigForClient(hello *wire.ClientHello) error {
	if c.config.GetConfigForClient == nil {
		return nil
	}
	cfg, err := c.config.GetConfigForClient(c.clientHelloInfo(hello))
	if err != nil {
		return wire.Errorf(wire.AlertInternalError, "GetConfigForClient: %v", err)
	}
	if cfg != nil {
		c.config = cfg
		c.hsIn.MaxMessageSize = cfg.maxHandshakeSize()
	}
	return nil
}

// Context returns the context of the handshake (HandshakeContext's, or
// context.Background for Handshake, Read and Write).
func (info *ClientHelloInfo) Context() context.Context {
	if info.ctx == nil {
		return context.Background()
	}
	return info.ctx
}

// SupportsCertificate returns nil when the client that sent the hello can
// accept cert: some version both sides allow in which the client offered a
// signature scheme the key can make and, in TLS 1.0-1.2, a suite for the
// key's type (and, for ECDSA, the key's curve among its groups, RFC 8422
// §5.1). Otherwise it says why.
func (info *ClientHelloInfo) SupportsCertificate(cert *Certificate) error {
	l, err := leaf(cert)
	if err != nil {
		return fmt.Errorf("clasp: the certificate does not parse: %w", err)
	}
	var reasons []string
	for _, v := range info.SupportedVersions {
		if info.config != nil && (suites.Version(v) < info.config.minVersion() || suites.Version(v) > info.config.maxVersion()) {
			continue
		}
		why := info.certificateUnfitFor(suites.Version(v), l.PublicKey, cert.PrivateKey)
		if why == "" {
			return nil
		}
		reasons = append(reasons, VersionName(v)+": "+why)
	}
	if len(reasons) == 0 {
		return errors.New("clasp: the client offers no version this server allows")
	}
	return fmt.Errorf("clasp: the client cannot use this certificate (%s)", strings.Join(reasons, "; "))
}

// certificateUnfitFor says why a key cannot serve this client in version
// v, or "" when it can.
func (info *ClientHelloInfo) certificateUnfitFor(v suites.Version, pub crypto.PublicKey, priv crypto.PrivateKey) string {
	if v >= suites.VersionTLS12 && len(info.SignatureSchemes) > 0 {
		if !slices.ContainsFunc(info.SignatureSchemes, func(s SignatureScheme) bool { return signature.KeyCanUse(pub, s, v) }) {
			return "no offered signature scheme fits the key"
		}
	}
	if v >= suites.VersionTLS13 {
		return ""
	}
	if !slices.ContainsFunc(info.CipherSuites, func(id uint16) bool {
		s := suites.SuiteByID(suites.ID(id))
		return s != nil && s.SupportsVersion(v) && keyFitsSuite(pub, priv, s)
	}) {
		return "no offered cipher suite authenticates with this key type"
	}
	if curve := ecdsaCurve(pub); curve != 0 && len(info.SupportedCurves) > 0 && !slices.Contains(info.SupportedCurves, curve) {
		return fmt.Sprintf("the key's curve %v is not among the client's groups", curve)
	}
	return ""
}

// Context returns the context of the handshake, as ClientHelloInfo's does.
func (info *CertificateRequestInfo) Context() context.Context {
	if info.ctx == nil {
		return context.Background()
	}
	return info.ctx
}

// SupportsCertificate returns nil when cert answers this request: its key
// can make one of the signature schemes the server listed and, when the
// server named CAs, a certificate of the chain was issued by one of them.
func (info *CertificateRequestInfo) SupportsCertificate(cert *Certificate) error {
	l, err := leaf(cert)
	if err != nil {
		return fmt.Errorf("clasp: the certificate does not parse: %w", err)
	}
	if len(info.SignatureSchemes) > 0 && !slices.ContainsFunc(info.SignatureSchemes, func(s SignatureScheme) bool {
		return signature.KeyCanUse(l.PublicKey, s, suites.Version(info.Version))
	}) {
		return errors.New("clasp: the server accepts no signature scheme this certificate's key can make")
	}
	if !issuedByOneOf(cert.Certificate, info.AcceptableCAs) {
		return errors.New("clasp: no certificate of the chain was issued by a CA the server named")
	}
	return nil
}

// String returns the policy's Go name, as crypto/tls does.
func (t ClientAuthType) String() string {
	names := []string{"NoClientCert", "RequestClientCert", "RequireAnyClientCert", "VerifyClientCertIfGiven", "RequireAndVerifyClientCert"}
	if t >= 0 && int(t) < len(names) {
		return names[t]
	}
	return fmt.Sprintf("ClientAuthType(%d)", int(t))
}

// ecdsaCurve is the group of an ECDSA key's curve; 0 for other keys.
func ecdsaCurve(pub crypto.PublicKey) suites.Group {
	k, ok := pub.(*ecdsa.PublicKey)
	if !ok {
		return 0
	}
	switch k.Curve {
	case elliptic.P256():
		return suites.Secp256r1
	case elliptic.P384():
		return suites.Secp384r1
	case elliptic.P521():
		return suites.Secp521r1
	}
	return 0
}

// BuildNameToCertificate fills NameToCertificate from the names (common
// name and DNS SANs) of each certificate in Certificates; a later
// certificate wins a name that two share.
//
// Deprecated: as in crypto/tls; clasp picks from Certificates by SNI
// without it.
func (c *Config) BuildNameToCertificate() {
	c.NameToCertificate = make(map[string]*Certificate)
	for i := range c.Certificates {
		cert := &c.Certificates[i]
		l, err := leaf(cert)
		if err != nil {
			continue
		}
		if l.Subject.CommonName != "" && len(l.DNSNames) == 0 {
			c.NameToCertificate[l.Subject.CommonName] = cert
		}
		for _, name := range l.DNSNames {
			c.NameToCertificate[name] = cert
		}
	}
}

// certificateByName looks the SNI name up in NameToCertificate: the name
// itself, then the wildcard for its parent domain.
func (c *Config) certificateByName(name string) *Certificate {
	if c.NameToCertificate == nil || name == "" {
		return nil
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if cert, ok := c.NameToCertificate[name]; ok {
		return cert
	}
	if _, parent, ok := strings.Cut(name, "."); ok {
		return c.NameToCertificate["*."+parent]
	}
	return nil
}

// VerifyHostname checks that the verified certificate chain of the server
// is valid for host (a client connection after its handshake).
func (c *Conn) VerifyHostname(host string) error {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	switch {
	case !c.isClient:
		return errors.New("clasp: VerifyHostname called on a server connection")
	case !c.handshakeComplete.Load():
		return errors.New("clasp: VerifyHostname called before the handshake")
	case len(c.state.verifiedChains) == 0:
		return errors.New("clasp: VerifyHostname: the server's certificate was not verified (InsecureSkipVerify)")
	}
	return c.state.peerCertificates[0].VerifyHostname(host)
}

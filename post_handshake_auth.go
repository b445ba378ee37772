package clasp

import (
	"crypto/hmac"
	"crypto/x509"
	"errors"
	"io"
	"slices"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// Post-handshake client authentication (RFC 8446 §4.6.2). A client with a
// certificate to offer sends post_handshake_auth; a server may then send a
// CertificateRequest at any time after the handshake
// (Conn.RequestClientCertificate), and the client answers with
// Certificate, CertificateVerify and Finished, computed over the
// handshake's transcript through the client's Finished plus this
// CertificateRequest (§4.4) and, for Finished, the client's current
// application traffic secret. Each request starts again from the
// handshake's transcript, kept in phaBase.

// phaRequest is a server's outstanding request: what the client's answer,
// which arrives through Read, is checked against.
type phaRequest struct {
	request    *wire.CertificateRequest13
	transcript *keys.Transcript
	stage      wire.HandshakeType // the message expected next
	policy     ClientAuthType     // how this request's answer is judged
	// certs and chains are the client's, verified, made the connection's
	// peer certificates once its Finished checks.
	certs  []*x509.Certificate
	chains [][]*x509.Certificate
}

// offersPostHandshakeAuth: a TLS 1.3 client that has a certificate to
// give says it will answer a CertificateRequest after the handshake,
// unless HTTP/2 is the only application protocol it offers, where such a
// request is never allowed (RFC 8740 §3, see answerCertificateRequest).
func offersPostHandshakeAuth(cfg *Config, offers13 bool) []wire.Extension {
	if !offers13 || (len(cfg.Certificates) == 0 && cfg.GetClientCertificate == nil) || !cfg.listsExtension(wire.ExtPostHandshakeAuth) {
		return nil
	}
	if len(cfg.NextProtos) > 0 && !slices.ContainsFunc(cfg.NextProtos, func(p string) bool { return p != alpnHTTP2 }) {
		return nil
	}
	return []wire.Extension{&wire.PostHandshakeAuthExt{}}
}

// alpnHTTP2 is HTTP/2's ALPN protocol ID (RFC 9113 §3.2).
const alpnHTTP2 = "h2"

// keepPostHandshakeBase keeps the handshake's transcript once the client's
// Finished is in it, when post-handshake authentication may follow.
func (c *Conn) keepPostHandshakeBase(t *keys.Transcript, hello *wire.ClientHello) {
	if _, ok := wire.FindExtension[*wire.PostHandshakeAuthExt](hello.Extensions); !ok {
		return
	}
	base, err := t.Clone()
	if err == nil {
		c.phaBase = base
	}
}

// RequestClientCertificate asks the client of a TLS 1.3 connection for a
// certificate after the handshake (RFC 8446 §4.6.2), for example before
// serving a protected resource. It returns once the request is sent; the
// client's answer is read and checked by the next Reads under policy (as
// Config.ClientAuth would judge it, against ClientCAs: a required
// certificate that does not come ends the connection with
// certificate_required), and ConnectionState().PeerCertificates then has
// the client's chain. The client must have offered post_handshake_auth
// (clasp's does when it has a certificate; OpenSSL's with -enable_pha).
func (c *Conn) RequestClientCertificate(policy ClientAuthType) error {
	if err := c.Handshake(); err != nil {
		return err
	}
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	switch {
	case c.isClient || !c.tls13:
		return errors.New("clasp: RequestClientCertificate needs the server side of a TLS 1.3 connection")
	case c.phaBase == nil:
		return errors.New("clasp: the client did not offer post_handshake_auth (RFC 8446 §4.2.6)")
	case c.pha != nil:
		return errors.New("clasp: a post-handshake certificate request is still outstanding")
	}
	context := make([]byte, 16)
	if _, err := io.ReadFull(c.config.rand(), context); err != nil {
		return err
	}
	req := certificateRequest13(c.config)
	req.Context = context
	transcript, err := c.phaBase.Clone()
	if err != nil {
		return err
	}
	c.out.Lock()
	defer c.out.Unlock()
	raw, err := c.writeHandshake(req)
	if err == nil {
		err = c.flush()
	}
	if err != nil {
		return err
	}
	transcript.Write(raw)
	c.pha = &phaRequest{request: req, transcript: transcript, stage: wire.TypeCertificate, policy: policy}
	return nil
}

// certificateRequest13 is the CertificateRequest of this Config, in the
// handshake and after it: its signature schemes, with ClientCAs their
// names (RFC 8446 §4.3.2), with CertificateCompression its algorithms.
func certificateRequest13(cfg *Config) *wire.CertificateRequest13 {
	req := &wire.CertificateRequest13{Extensions: []wire.Extension{
		&wire.SignatureAlgorithmsExt{Schemes: cfg.signatureSchemes()},
	}}
	if cfg.ClientCAs != nil {
		//lint:ignore SA1019 Subjects is deprecated only for system pools.
		if names := cfg.ClientCAs.Subjects(); len(names) > 0 { //nolint:staticcheck
			req.Extensions = append(req.Extensions, &wire.CertificateAuthoritiesExt{Authorities: names})
		}
	}
	req.Extensions = append(req.Extensions, certificateRequestCompression(cfg)...)
	return req
}

// answerCertificateRequest is the client's side: RFC 8446 §4.6.2 makes a
// request without post_handshake_auth an unexpected_message.
func (c *Conn) answerCertificateRequest(req *wire.CertificateRequest13) error {
	if c.phaBase == nil {
		return wire.Errorf(wire.AlertUnexpectedMessage, "CertificateRequest after the handshake, but the client did not offer post_handshake_auth (RFC 8446 §4.6.2)")
	}
	if c.state.alpn == alpnHTTP2 {
		// RFC 8740 §3: an HTTP/2 client treats a post-handshake
		// CertificateRequest as a connection error of type
		// PROTOCOL_ERROR. The TLS layer cannot send HTTP/2's GOAWAY; it
		// ends the connection, which the HTTP/2 layer reads as fatal.
		return wire.Errorf(wire.AlertUnexpectedMessage, "post-handshake CertificateRequest on an HTTP/2 connection, which RFC 8740 §3 forbids")
	}
	if len(req.Context) == 0 {
		// RFC 8446 §4.3.2: the context of a post-handshake request is
		// what ties the answer to it, so it cannot be empty.
		return wire.Errorf(wire.AlertIllegalParameter, "post-handshake CertificateRequest with an empty context (RFC 8446 §4.3.2)")
	}
	transcript, err := c.phaBase.Clone()
	if err != nil {
		return err
	}
	transcript.Write(c.lastHandshakeRaw)
	var cas [][]byte
	if ext, ok := wire.FindExtension[*wire.CertificateAuthoritiesExt](req.Extensions); ok {
		cas = ext.Authorities
	}
	var schemes []suites.SignatureScheme
	if ext, ok := wire.FindExtension[*wire.SignatureAlgorithmsExt](req.Extensions); ok {
		schemes = ext.Schemes
	}
	cert, err := c.chooseClientCertificate(cas, schemes)
	if err != nil {
		return err
	}
	c.out.Lock()
	defer c.out.Unlock()
	if err := c.writePostHandshakeCertificate(transcript, req, cert, schemes); err != nil {
		return err
	}
	verify := keys.FinishedVerifyData13(c.state.suite.PRFHash, c.trafficSecrets[1], transcript.Sum())
	if _, err := c.writeHandshake(&wire.Finished{VerifyData: verify}); err != nil {
		return err
	}
	return c.flush()
}

// writePostHandshakeCertificate sends the client's Certificate (empty
// when it has none that fits; compressed when req asks for it) and
// CertificateVerify, adding each to transcript.
func (c *Conn) writePostHandshakeCertificate(transcript *keys.Transcript, req *wire.CertificateRequest13, cert *Certificate, schemes []suites.SignatureScheme) error {
	msg := &wire.Certificate13{Context: req.Context}
	if cert != nil {
		for _, der := range cert.Certificate {
			msg.Entries = append(msg.Entries, wire.CertificateEntry{Data: der})
		}
	}
	out, err := maybeCompress(c.config, msg, cert, req.Extensions)
	if err != nil {
		return err
	}
	raw, err := c.writeHandshake(out)
	if err != nil || cert == nil {
		transcript.Write(raw)
		return err
	}
	transcript.Write(raw)
	l, err := leaf(cert)
	if err != nil {
		return err
	}
	scheme, ok := chooseSignatureScheme(l.PublicKey, suites.VersionTLS13, schemes, c.config.schemesFor(cert))
	if !ok {
		return &NegotiationError{What: "signature scheme", ClientOffered: schemeNames(c.config.signatureSchemes()),
			ServerAccepts: schemeNames(schemes), Detail: "for the client certificate's key (post-handshake)"}
	}
	cv, err := sign13(cert, scheme, c.config, signedContent13(clientSignatureContext, transcript.Sum()))
	if err != nil {
		return err
	}
	raw, err = c.writeHandshake(cv)
	transcript.Write(raw)
	return err
}

// readPostHandshakeAnswer is the server's side: the client's Certificate,
// CertificateVerify and Finished, one per call, in that order.
func (c *Conn) readPostHandshakeAnswer(msg wire.Message) error {
	// handshakeMu guards pha and the peer certificates against
	// RequestClientCertificate and ConnectionState in other goroutines.
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	p := c.pha
	if compressed, ok := msg.(*wire.CompressedCertificate); ok && p != nil && p.stage == wire.TypeCertificate {
		// The transcript keeps the compressed message as sent (raw).
		certMsg, err := c.decompressCertificate(compressed, p.request.Extensions)
		if err != nil {
			return err
		}
		msg = certMsg
	}
	if p == nil || msg.Type() != p.stage {
		return wire.Errorf(wire.AlertUnexpectedMessage, "unexpected %s after the TLS 1.3 handshake", msg.Type())
	}
	raw := c.lastHandshakeRaw
	switch m := msg.(type) {
	case *wire.Certificate13:
		return c.readPostHandshakeCertificate(p, m, raw)
	case *wire.CertificateVerify:
		pub := p.certs[0].PublicKey
		if err := verify13(pub, m, c.config.signatureSchemes(), signedContent13(clientSignatureContext, p.transcript.Sum())); err != nil {
			return err
		}
		p.transcript.Write(raw)
		p.stage = wire.TypeFinished
	case *wire.Finished:
		want := keys.FinishedVerifyData13(c.state.suite.PRFHash, c.trafficSecrets[0], p.transcript.Sum())
		if !hmac.Equal(m.VerifyData, want) {
			return wire.Errorf(wire.AlertDecryptError, "the client's post-handshake Finished does not verify")
		}
		if p.certs != nil {
			c.state.peerCertificates, c.state.verifiedChains = p.certs, p.chains
		}
		c.pha = nil
		if c.tracer != nil {
			c.decide(postHandshakeAuthDecision(p))
		}
	}
	return nil
}

// postHandshakeAuthDecision tells the tracer how a post-handshake request
// ended: the client's certificate, checked, or none.
func postHandshakeAuthDecision(p *phaRequest) *trace.Decision {
	if len(p.certs) == 0 {
		return &trace.Decision{What: "post_handshake_auth", Chosen: "none",
			Reason: "the client answered the post-handshake CertificateRequest with no certificate, which the policy allows"}
	}
	d := &trace.Decision{What: "post_handshake_auth", Chosen: p.certs[0].Subject.String(), ReasonCode: "not_verified",
		Reason: "the client's Certificate, CertificateVerify and Finished checked; the chain was not verified (policy " + p.policy.String() + ")"}
	if len(p.chains) > 0 {
		d.ReasonCode, d.Reason = "chain_verified", "the client's chain verified against ClientCAs, its CertificateVerify and Finished checked"
	}
	return d
}

func (c *Conn) readPostHandshakeCertificate(p *phaRequest, m *wire.Certificate13, raw []byte) error {
	if !hmac.Equal(m.Context, p.request.Context) {
		return wire.Errorf(wire.AlertIllegalParameter, "the client's Certificate answers another request (certificate_request_context differs)")
	}
	for _, entry := range m.Entries {
		if err := checkPeerExtensions(wire.TypeCertificate, suites.VersionTLS13, entry.Extensions, p.request.Extensions); err != nil {
			return err
		}
	}
	p.transcript.Write(raw)
	if len(m.Entries) == 0 {
		if p.policy == RequireAnyClientCert || p.policy == RequireAndVerifyClientCert {
			return wire.Errorf(wire.AlertCertificateRequired, "the server requires a client certificate and the client sent none")
		}
		p.stage = wire.TypeFinished
		return nil
	}
	certs, chains, err := c.verifyPeerChain(m.Chain())
	if err != nil {
		return err
	}
	if err := c.checkPeerKeyUsage(certs[0], keyUseSign); err != nil {
		return err
	}
	p.certs, p.chains = certs, chains
	p.stage = wire.TypeCertificateVerify
	return nil
}

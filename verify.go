package clasp

import (
	"crypto/x509"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"
	"weak"

	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// CertificateVerificationError says why the peer's certificate chain was not
// accepted. Err is the error from crypto/x509 (x509.UnknownAuthorityError,
// x509.HostnameError, x509.CertificateInvalidError) or from a
// VerifyPeerCertificate hook.
type CertificateVerificationError struct {
	// UnverifiedCertificates is the chain as the peer sent it.
	UnverifiedCertificates []*x509.Certificate
	Err                    error
}

func (e *CertificateVerificationError) Error() string {
	return "certificate verification failed: " + e.Err.Error()
}

func (e *CertificateVerificationError) Unwrap() error { return e.Err }

// alert maps the verification failure to the alert RFC 5246 §7.2.2 names.
func (e *CertificateVerificationError) alert() wire.AlertDescription {
	var unknownAuthority x509.UnknownAuthorityError
	var invalid x509.CertificateInvalidError
	switch {
	case errors.As(e.Err, &unknownAuthority):
		return wire.AlertUnknownCA
	case errors.As(e.Err, &invalid) && invalid.Reason == x509.Expired:
		return wire.AlertCertificateExpired
	}
	return wire.AlertBadCertificate
}

// parseCertificates parses a peer's DER chain. A chain that does not parse
// is a bad_certificate (RFC 5246 §7.2.2).
func parseCertificates(chain [][]byte) ([]*x509.Certificate, error) {
	certs := make([]*x509.Certificate, len(chain))
	for i, der := range chain {
		cert, err := parseCertificateShared(der)
		if err != nil {
			return nil, wire.Errorf(wire.AlertBadCertificate, "certificate %d of the peer's chain does not parse: %v", i, err)
		}
		certs[i] = cert
	}
	return certs, nil
}

// verifyPeerChain parses the peer's DER chain and checks it: a client checks the server's
// against RootCAs and ServerName, a server checks a client's against
// ClientCAs when its ClientAuth policy asks for verification. The
// VerifyPeerCertificate hook runs after (or, unverified, instead of) that.
func (c *Conn) verifyPeerChain(raw [][]byte) ([]*x509.Certificate, [][]*x509.Certificate, error) {
	certs, err := parseCertificates(raw)
	if err != nil {
		return nil, nil, err
	}
	chains, err := c.checkPeerChain(raw, certs)
	return certs, chains, err
}

// clientAuthPolicy is how a server judges the client's certificate: the
// policy of an outstanding post-handshake request, else Config.ClientAuth.
func (c *Conn) clientAuthPolicy() ClientAuthType {
	if c.pha != nil {
		return c.pha.policy
	}
	return c.config.ClientAuth
}

func (c *Conn) checkPeerChain(raw [][]byte, certs []*x509.Certificate) ([][]*x509.Certificate, error) {
	cfg := c.config
	if c.isClient && c.echRejectedName != "" {
		return c.verifyECHPublicName(c.echRejectedName, certs)
	}
	opts := x509.VerifyOptions{CurrentTime: cfg.now()}
	verify := false
	if c.isClient {
		verify = !cfg.InsecureSkipVerify
		opts.Roots, opts.DNSName = cfg.RootCAs, cfg.ServerName
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	} else {
		verify = c.clientAuthPolicy() >= VerifyClientCertIfGiven
		opts.Roots = cfg.ClientCAs
		opts.KeyUsages = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	var chains [][]*x509.Certificate
	if verify {
		var err error
		if chains, err = verifyChain(raw, certs, &opts, !c.isClient); err != nil {
			return nil, &CertificateVerificationError{UnverifiedCertificates: certs, Err: err}
		}
	}
	if c.isClient && !verify {
		c.warn(insecureSkipVerifyWarning)
	}
	if c.tracer != nil {
		c.tracePeerChain(certs, chains, verify, opts)
	}
	if cfg.VerifyPeerCertificate != nil {
		if err := cfg.VerifyPeerCertificate(raw, chains); err != nil {
			return nil, &CertificateVerificationError{UnverifiedCertificates: certs,
				Err: fmt.Errorf("VerifyPeerCertificate: %w", err)}
		}
	}
	return chains, nil
}

// verifyChain verifies the peer's chain, certs parsed from raw, with
// opts, or takes the chains from verifiedChains when the same certificates
// were verified against the same roots and name before and are all still
// valid. clientChain says it is a client's chain (checked by a server).
func verifyChain(raw [][]byte, certs []*x509.Certificate, opts *x509.VerifyOptions, clientChain bool) ([][]*x509.Certificate, error) {
	key, cacheable := newChainKey(raw, opts, clientChain)
	if cacheable {
		if chains, ok := verifiedChains.lookup(key, opts.CurrentTime); ok {
			return chains, nil
		}
	}
	opts.Intermediates = x509.NewCertPool()
	for _, cert := range certs[1:] {
		opts.Intermediates.AddCert(cert)
	}
	chains, err := certs[0].Verify(*opts)
	if err == nil && cacheable {
		verifiedChains.store(key, chains)
	}
	return chains, err
}

// verifyConnection runs Config.VerifyConnection, as crypto/tls does, once
// per handshake when everything about the peer is known: on a client
// before its Finished, on a server after the client's certificate (or
// where it would be). It runs for resumed handshakes too, where no
// certificate was sent. An error aborts the handshake with bad_certificate.
func (c *Conn) verifyConnection() error {
	if c.config.VerifyConnection == nil {
		return nil
	}
	if err := c.config.VerifyConnection(c.connectionStateLocked()); err != nil {
		return &CertificateVerificationError{UnverifiedCertificates: c.state.peerCertificates,
			Err: fmt.Errorf("VerifyConnection: %w", err)}
	}
	return nil
}

// verifyConnectionStep is the step-table entry for verifyConnection: nil
// (skipped, with no step in the trace) when the Config has no hook.
func (c *Conn) verifyConnectionStep() func() error {
	if c.config.VerifyConnection == nil {
		return nil
	}
	return c.verifyConnection
}

const insecureSkipVerifyWarning = "InsecureSkipVerify: the server's certificate was not checked, so anyone could have answered"

// tracePeerChain reports what was checked about the peer's chain.
func (c *Conn) tracePeerChain(certs []*x509.Certificate, chains [][]*x509.Certificate, verified bool, opts x509.VerifyOptions) {
	d := &trace.Decision{What: "peer_certificate", Chosen: certs[0].Subject.String()}
	if !verified {
		d.ReasonCode = "not_verified"
		d.Reason = fmt.Sprintf("chain of %d certificate(s) accepted without verification", len(certs))
		if c.isClient {
			d.Warning = insecureSkipVerifyWarning
		}
	} else {
		root := chains[0][len(chains[0])-1]
		d.ReasonCode = "chain_verified"
		d.Reason = fmt.Sprintf("chain of %d certificate(s) verified up to %q, valid at %s", len(chains[0]), root.Subject.String(),
			opts.CurrentTime.UTC().Format(time.RFC3339))
		if opts.DNSName != "" {
			d.Reason += fmt.Sprintf("; name %q matches", opts.DNSName)
		}
	}
	c.decide(d)
}

// certCache shares parsed certificates between connections: a client that
// reconnects, or a server that sees the same client certificates, parses
// each DER once while any connection still holds the result. Entries are
// weak, so the cache never keeps a certificate alive by itself.
var certCache struct {
	sync.Mutex
	m map[string]weak.Pointer[x509.Certificate]
}

// parseCertificateShared parses der, or returns the certificate parsed
// from the same bytes earlier. Certificates are read-only once parsed.
func parseCertificateShared(der []byte) (*x509.Certificate, error) {
	certCache.Lock()
	if wp, ok := certCache.m[string(der)]; ok {
		if cert := wp.Value(); cert != nil {
			certCache.Unlock()
			return cert, nil
		}
	}
	certCache.Unlock()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	key := string(der)
	certCache.Lock()
	if certCache.m == nil {
		certCache.m = make(map[string]weak.Pointer[x509.Certificate])
	}
	certCache.m[key] = weak.Make(cert)
	certCache.Unlock()
	runtime.AddCleanup(cert, func(key string) {
		certCache.Lock()
		if wp, ok := certCache.m[key]; ok && wp.Value() == nil {
			delete(certCache.m, key)
		}
		certCache.Unlock()
	}, key)
	return cert, nil
}

package scan

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"math/big"
	"slices"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// ServerFacts are what a compliance check needs beyond the Report.
type ServerFacts struct {
	// Leaf is the server's certificate; nil when none could be read.
	Leaf *x509.Certificate
	// DHBits is the size of the server's DHE prime; 0 when it accepts no
	// DHE suite (or the ServerKeyExchange could not be read).
	DHBits int
}

// certificateSignatureNames maps x509's algorithms to the OpenSSL names
// Mozilla's certificate_signatures uses.
var certificateSignatureNames = map[x509.SignatureAlgorithm]string{
	x509.SHA1WithRSA:     "sha1WithRSAEncryption",
	x509.SHA256WithRSA:   "sha256WithRSAEncryption",
	x509.SHA384WithRSA:   "sha384WithRSAEncryption",
	x509.SHA512WithRSA:   "sha512WithRSAEncryption",
	x509.ECDSAWithSHA1:   "ecdsa-with-SHA1",
	x509.ECDSAWithSHA256: "ecdsa-with-SHA256",
	x509.ECDSAWithSHA384: "ecdsa-with-SHA384",
	x509.ECDSAWithSHA512: "ecdsa-with-SHA512",
	x509.PureEd25519:     "ED25519",
}

// curveGroups maps certificate curves to their group code points.
var curveGroups = map[string]suites.Group{"P-256": suites.Secp256r1, "P-384": suites.Secp384r1, "P-521": suites.Secp521r1}

// certificate checks the leaf's key type, size and curve, its signature
// algorithm and its lifespan.
func (c *complianceCheck) certificate(facts ServerFacts) {
	leaf := facts.Leaf
	if leaf == nil {
		return
	}
	switch key := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		if !slices.Contains(c.p.CertificateTypes, "rsa") {
			c.add(DeviationCertificate, "the certificate has an RSA key; %s wants %v", c.profile, c.p.CertificateTypes)
		} else if bits := key.N.BitLen(); bits < c.p.RSAKeySize {
			c.add(DeviationKeySize, "the certificate's RSA key has %d bits; %s wants at least %d", bits, c.profile, c.p.RSAKeySize)
		}
	case *ecdsa.PublicKey:
		curve := key.Curve.Params().Name
		if !slices.Contains(c.p.CertificateTypes, "ecdsa") {
			c.add(DeviationCertificate, "the certificate has an ECDSA key; %s wants %v", c.profile, c.p.CertificateTypes)
		} else if !slices.Contains(c.p.certCurves, curveGroups[curve]) {
			c.add(DeviationCertificate, "the certificate's key is on %s; %s wants %v", curve, c.profile, c.p.CertificateCurves)
		}
	default:
		c.add(DeviationCertificate, "the certificate has a %v key; %s wants %v", leaf.PublicKeyAlgorithm, c.profile, c.p.CertificateTypes)
	}
	if sig := certificateSignatureNames[leaf.SignatureAlgorithm]; !slices.Contains(c.p.CertificateSignatures, sig) {
		if sig == "" {
			sig = leaf.SignatureAlgorithm.String()
		}
		c.add(DeviationCertificate, "the certificate is signed with %s; %s wants %v", sig, c.profile, c.p.CertificateSignatures)
	}
	days := int(leaf.NotAfter.Sub(leaf.NotBefore).Hours() / 24)
	if max := c.p.MaximumCertificateLifespan; max > 0 && days > max {
		c.add(DeviationCertificate, "the certificate is valid for %d days; %s allows at most %d", days, c.profile, max)
	}
}

// dh checks the DHE prime against dh_param_size. A profile without one
// lists no DHE suite, so a DHE server already deviates by its suites.
func (c *complianceCheck) dh(facts ServerFacts) {
	if facts.DHBits > 0 && c.p.DHParamSize > 0 && facts.DHBits < c.p.DHParamSize {
		c.add(DeviationKeySize, "the server's DH group has %d bits; %s wants at least %d", facts.DHBits, c.profile, c.p.DHParamSize)
	}
}

// serverFacts reads the certificate and the DH prime size: from a TLS 1.2
// (or earlier) flight when the server speaks such a version, else from a
// TLS 1.3 handshake completed with clasp (the certificate is encrypted
// there), without verifying it.
func (s *scanner) serverFacts(ctx context.Context, rep *Report) (ServerFacts, error) {
	var facts ServerFacts
	legacy := highestBelowTLS13(rep.Versions)
	if legacy != 0 {
		offer := rep.suitesFor(legacy)
		if len(offer) > 0 {
			p := helloFor(legacy, offer, s.serverName)
			p.ReadFlight = true
			res, err := s.run(ctx, p)
			if err != nil {
				return facts, err
			}
			facts.Leaf = leafOf(res.Certificates)
		}
		if dhe := dheSuites(offer); len(dhe) > 0 {
			p := helloFor(legacy, dhe, s.serverName)
			p.ReadFlight = true
			res, err := s.run(ctx, p)
			if err != nil {
				return facts, err
			}
			if ske := res.ServerKeyExchange; ske != nil && ske.DHE != nil {
				facts.DHBits = new(big.Int).SetBytes(ske.DHE.P).BitLen()
			}
		}
	}
	if facts.Leaf == nil && slices.Contains(rep.Supported(), suites.VersionTLS13) {
		facts.Leaf = s.tls13Leaf(ctx)
	}
	return facts, nil
}

func dheSuites(ids []suites.ID) []suites.ID {
	var out []suites.ID
	for _, id := range ids {
		if info := suites.SuiteByID(id); info != nil && info.KeyExchange == suites.KexDHE {
			out = append(out, id)
		}
	}
	return out
}

func leafOf(chain [][]byte) *x509.Certificate {
	if len(chain) == 0 {
		return nil
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		return nil
	}
	return leaf
}

// tls13Leaf completes a TLS 1.3 handshake with clasp to read the
// certificate; nil when that fails. The connection counts with the
// Runner's.
func (s *scanner) tls13Leaf(ctx context.Context) *x509.Certificate {
	s.runner.connections.Add(1)
	ctx, cancel := context.WithTimeout(ctx, s.runner.timeout())
	defer cancel()
	conn, err := s.runner.dial(ctx, s.addr)
	if err != nil {
		return nil
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(s.runner.timeout()))
	// Verification is off because only the certificate's shape is judged
	// here; trust is the certificate check's business.
	tc := clasp.Client(conn, &clasp.Config{ServerName: s.serverName, InsecureSkipVerify: true,
		MinVersion: uint16(suites.VersionTLS13), MaxVersion: uint16(suites.VersionTLS13)})
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil
	}
	if st := tc.ConnectionState(); len(st.PeerCertificates) > 0 {
		return st.PeerCertificates[0]
	}
	return nil
}

// clientsAndCompliance runs the client simulation and the compliance
// checks the options ask for, after the scan whose Report explains them.
func (s *scanner) clientsAndCompliance(ctx context.Context, rep *Report, opts Options) error {
	if len(opts.Clients) > 0 {
		verdicts, err := SimulateClients(ctx, s.runner, s.addr, s.serverName, opts.Clients, rep)
		if err != nil {
			return err
		}
		rep.Clients = verdicts
	}
	if !opts.Compliance {
		return nil
	}
	g, err := LoadMozillaGuidelines()
	if err != nil {
		return err
	}
	facts, err := s.serverFacts(ctx, rep)
	if err != nil {
		return err
	}
	for _, name := range ProfileNames {
		res, err := g.Check(name, rep, facts)
		if err != nil {
			return err
		}
		rep.Compliance = append(rep.Compliance, res)
	}
	return nil
}

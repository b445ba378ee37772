package scan

import (
	"context"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"math/big"
	"slices"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Client simulation: each client profile's ClientHello is sent as a probe
// and the server's answer is judged the way that client would judge it
// (a version, suite and group it offered, key sizes within its limits).
// A refusal is explained from the scan's Report: which versions, suites or
// groups the two sides have in common, and which they do not.

// ClientVerdict says whether one client would connect, and with what.
type ClientVerdict struct {
	// ID is the profile's file name; Client its name for people.
	ID     string `json:"id"`
	Client string `json:"client"`
	// Source is "captured" or "published" (ClientProfile.Source.Kind).
	Source   string `json:"source"`
	Connects bool   `json:"connects"`
	// What the handshake would use, when it connects.
	Version     suites.Version         `json:"-"`
	VersionName string                 `json:"version,omitempty"`
	Suite       suites.ID              `json:"-"`
	SuiteName   string                 `json:"suite,omitempty"`
	Group       suites.Group           `json:"-"`
	GroupName   string                 `json:"group,omitempty"`
	Scheme      suites.SignatureScheme `json:"-"`
	SchemeName  string                 `json:"signature_scheme,omitempty"`
	// HelloRetry is set when the server first asks for another key share.
	HelloRetry bool `json:"hello_retry_request,omitempty"`
	// Reason says why the client fails, in handshake terms.
	Reason string `json:"reason,omitempty"`
	// Answer is the server's answer to the client's hello.
	Answer string `json:"answer"`
	// Notes are limits of the simulation for this client (what it could
	// not check).
	Notes []string `json:"notes,omitempty"`
}

// SimulateClients sends each profile's hello to addr through r and judges
// the answers, in the order of profiles. rep, when not nil, is the scan of
// the same server, used to explain the refusals. The error is ctx's when it
// ends; a profile whose hello cannot be built gets a verdict saying so.
func SimulateClients(ctx context.Context, r *Runner, addr, serverName string, profiles []*ClientProfile, rep *Report) ([]ClientVerdict, error) {
	out := make([]ClientVerdict, len(profiles))
	errs := make([]error, len(profiles))
	var wg sync.WaitGroup
	for i, p := range profiles {
		wg.Go(func() {
			res, err := r.Run(ctx, addr, p.Probe(serverName))
			switch {
			case err != nil && ctx.Err() != nil:
				errs[i] = err
				return
			case err != nil:
				// A hello this package cannot build is the profile's
				// problem, not the scan's: say so in its verdict.
				out[i] = ClientVerdict{ID: p.ID, Client: p.Name, Source: p.Source.Kind,
					Reason: fmt.Sprintf("not simulated: %v", err), Answer: "none"}
				return
			}
			out[i] = judge(p, res, rep)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// judge reads the server's answer to a client's hello as that client would.
func judge(p *ClientProfile, res *Result, rep *Report) ClientVerdict {
	v := ClientVerdict{ID: p.ID, Client: p.Name, Source: p.Source.Kind, Answer: res.Summary()}
	for _, g := range p.Hello.keyShares() {
		if !CanShare(g) {
			v.Notes = append(v.Notes, fmt.Sprintf("the client sends a key share for %v, which the simulation cannot build; it offers the group without a share", g))
		}
	}
	switch res.Outcome {
	case OutcomeAccepted:
		v.Reason = acceptedProblem(p, res)
	case OutcomeRetry:
		v.Reason = retryProblem(p, res, &v)
	default:
		v.Reason = explainRefusal(p, rep, res)
		return v
	}
	if v.Reason != "" {
		return v
	}
	v.Connects = true
	v.Version, v.VersionName = res.Version, res.Version.String()
	v.Suite, v.SuiteName = res.Suite, res.Suite.String()
	if res.Group != 0 {
		v.Group, v.GroupName = res.Group, res.Group.String()
	}
	if ske := res.ServerKeyExchange; ske != nil && ske.Signature != nil && ske.Signature.HasScheme {
		v.Scheme, v.SchemeName = ske.Signature.Scheme, ske.Signature.Scheme.String()
	}
	if res.Version >= suites.VersionTLS13 {
		v.Notes = append(v.Notes, "TLS 1.3 encrypts the certificate and its signature: key sizes and the signature scheme are not checked")
	}
	return v
}

// acceptedProblem checks a ServerHello (and, below TLS 1.3, the flight
// after it) against what the client offered and accepts; "" when the
// client would go on.
func acceptedProblem(p *ClientProfile, res *Result) string {
	if !slices.Contains(p.AcceptedVersions(), res.Version) {
		return fmt.Sprintf("the server chose %v; the client accepts only %s", res.Version, versionList(p.AcceptedVersions()))
	}
	if !slices.Contains(p.Hello.suiteIDs(), res.Suite) {
		return fmt.Sprintf("the server chose %v, which the client did not offer", res.Suite)
	}
	groups := p.Hello.groups()
	if res.Group != 0 && len(groups) > 0 && !slices.Contains(groups, res.Group) {
		return fmt.Sprintf("the server used group %v, which the client did not offer", res.Group)
	}
	return limitProblem(p, res)
}

// retryProblem judges a HelloRetryRequest: the client sends a second
// hello when the group asked for is one it offered.
func retryProblem(p *ClientProfile, res *Result, v *ClientVerdict) string {
	if !slices.Contains(p.Hello.groups(), res.Group) {
		return fmt.Sprintf("the server asked (HelloRetryRequest) for group %v, which the client does not offer", res.Group)
	}
	if !slices.Contains(p.Hello.suiteIDs(), res.Suite) {
		return fmt.Sprintf("the server chose %v, which the client did not offer", res.Suite)
	}
	// A share the client sends but the probe could not build is no retry
	// for the real client.
	v.HelloRetry = !slices.Contains(p.Hello.keyShares(), res.Group)
	return ""
}

// limitProblem applies the client's key-size limits to the certificate
// and ServerKeyExchange of a TLS 1.2 (or earlier) flight.
func limitProblem(p *ClientProfile, res *Result) string {
	lim := p.Limits
	if ske := res.ServerKeyExchange; ske != nil && ske.DHE != nil {
		bits := new(big.Int).SetBytes(ske.DHE.P).BitLen()
		if lim.MinDHBits > 0 && bits < lim.MinDHBits {
			return fmt.Sprintf("the server's DH group has %d bits; the client requires at least %d", bits, lim.MinDHBits)
		}
		if lim.MaxDHBits > 0 && bits > lim.MaxDHBits {
			return fmt.Sprintf("the server's DH group has %d bits; the client handles at most %d", bits, lim.MaxDHBits)
		}
	}
	if len(res.Certificates) == 0 {
		return ""
	}
	leaf, err := x509.ParseCertificate(res.Certificates[0])
	if err != nil {
		return ""
	}
	switch key := leaf.PublicKey.(type) {
	case *rsa.PublicKey:
		bits := key.N.BitLen()
		if lim.MinRSABits > 0 && bits < lim.MinRSABits {
			return fmt.Sprintf("the server's RSA key has %d bits; the client requires at least %d", bits, lim.MinRSABits)
		}
		if lim.MaxRSABits > 0 && bits > lim.MaxRSABits {
			return fmt.Sprintf("the server's RSA key has %d bits; the client handles at most %d", bits, lim.MaxRSABits)
		}
	case *ecdsa.PublicKey:
		if bits := key.Curve.Params().BitSize; lim.MinECDSABits > 0 && bits < lim.MinECDSABits {
			return fmt.Sprintf("the server's ECDSA key has %d bits; the client requires at least %d", bits, lim.MinECDSABits)
		}
	}
	if lim.RequiresSHA2 && (leaf.SignatureAlgorithm == x509.SHA1WithRSA || leaf.SignatureAlgorithm == x509.ECDSAWithSHA1) {
		return "the server's certificate is signed with SHA-1, which the client refuses"
	}
	return ""
}

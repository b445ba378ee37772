package scan

import (
	"context"
	"crypto"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Signatures is what the server signs its handshake with, per version.
type Signatures struct {
	// TLS13 is the schemes with which the server agrees to sign its TLS 1.3
	// CertificateVerify; nil without TLS 1.3.
	TLS13 *SchemeList `json:"tls13,omitempty"`
	// TLS12 is the schemes the server signs its TLS 1.2 ServerKeyExchange
	// with; nil when no ECDHE or DHE suite is accepted in TLS 1.2.
	TLS12 *SchemeList `json:"tls12,omitempty"`
}

// SchemeList is the signature schemes of one version, in code-point order.
type SchemeList struct {
	Version suites.Version `json:"-"`
	Name    string         `json:"version"`
	Schemes []SchemeEntry  `json:"schemes"`
}

// SchemeEntry names one signature scheme and the key that signs with it.
type SchemeEntry struct {
	ID      suites.SignatureScheme `json:"-"`
	Code    string                 `json:"code"`
	IANA    string                 `json:"iana"`
	OpenSSL string                 `json:"openssl,omitempty"`
	// Key is the server key behind the scheme ("RSA 2048", "ECDSA
	// P-256", "Ed25519"): read from the certificate that came with the
	// signed ServerKeyExchange in TLS 1.2, matched by algorithm (and curve)
	// to a certificate the server presented in TLS 1.3; "" when no
	// presented certificate fits.
	Key string `json:"key,omitempty"`
	// Finding says why accepting this scheme is a weakness; "" when it is
	// not one.
	Finding string `json:"finding,omitempty"`
}

func schemeEntry(id suites.SignatureScheme) SchemeEntry {
	e := SchemeEntry{ID: id, Code: fmt.Sprintf("0x%04X", uint16(id)), IANA: id.String()}
	if info := suites.SchemeByID(id); info != nil {
		e.OpenSSL = info.OpenSSLName
	}
	return e
}

// schemeFinding judges a scheme the server agreed to sign with in v.
func schemeFinding(id suites.SignatureScheme, v suites.Version) string {
	info := suites.SchemeByID(id)
	if info == nil {
		return ""
	}
	switch {
	case v >= suites.VersionTLS13 && info.Hash == crypto.SHA1:
		return "SHA-1 in a TLS 1.3 CertificateVerify: RFC 8446 §4.2.3 allows SHA-1 schemes only in certificates"
	case v >= suites.VersionTLS13 && info.Algorithm == suites.SigRSAPKCS1 && !info.TLS13:
		return "PKCS#1 v1.5 in a TLS 1.3 CertificateVerify: RFC 8446 §4.2.3 allows rsa_pkcs1_* only in certificates"
	case info.Hash == crypto.MD5:
		return "MD5 signature hash: transcript collisions make it forgeable (SLOTH); RFC 9155 deprecates it"
	case info.Hash == crypto.SHA1:
		return "SHA-1 signature hash: chosen-prefix collisions are practical; RFC 9155 deprecates it"
	}
	return ""
}

func schemeList(v suites.Version, ids []suites.SignatureScheme, keyOf map[suites.SignatureScheme]string) *SchemeList {
	ids = slices.Clone(ids)
	slices.Sort(ids)
	l := &SchemeList{Version: v, Name: v.String(), Schemes: []SchemeEntry{}}
	for _, id := range ids {
		e := schemeEntry(id)
		e.Key, e.Finding = keyOf[id], schemeFinding(id, v)
		l.Schemes = append(l.Schemes, e)
	}
	return l
}

// tls13Schemes finds the schemes a TLS 1.3 server agrees to sign with. Its
// CertificateVerify is encrypted, so the scan cannot read the scheme; it
// asks instead. A server must sign with a scheme the client offered (RFC
// 8446 §4.4.3) and refuses the hello, before its ServerHello, when none of
// its keys can: offering a set of schemes and getting a ServerHello says at
// least one of them is usable. The candidates are split in halves until
// each accepted set is one scheme, which costs about two probes per level
// for each accepted scheme instead of one probe per registered scheme.
// offer is a TLS 1.3 hello the server accepts (its suites and a key share
// it takes); shares, when not empty, replaces its key shares so that no
// HelloRetryRequest comes before the server looks at the schemes.
func (s *scanner) tls13Schemes(ctx context.Context, offer []suites.ID, shares []suites.Group) ([]suites.SignatureScheme, error) {
	try := func(ctx context.Context, set []suites.SignatureScheme) (bool, error) {
		p := helloFor(suites.VersionTLS13, offer, s.serverName)
		p.SignatureSchemes = set
		if len(shares) > 0 {
			p.KeyShares = shares
		}
		res, err := s.run(ctx, p)
		if err != nil {
			return false, err
		}
		if res.Outcome == OutcomeRetry && CanShare(res.Group) && !slices.Equal(p.KeyShares, []suites.Group{res.Group}) {
			// A HelloRetryRequest may come before the server looks at the
			// schemes; ask again with the share it wants.
			p.KeyShares = []suites.Group{res.Group}
			if res, err = s.run(ctx, p); err != nil {
				return false, err
			}
		}
		return res.Agreed() && res.Version == suites.VersionTLS13, nil
	}
	return bisect(ctx, allSchemes(), try)
}

// bisect returns the members of set for which try holds alone, assuming
// try holds for a set exactly when it holds for one of its members.
// Halves are tried concurrently.
func bisect[T any](ctx context.Context, set []T, try func(context.Context, []T) (bool, error)) ([]T, error) {
	ok, err := try(ctx, set)
	if err != nil || !ok {
		return nil, err
	}
	if len(set) == 1 {
		return set, nil
	}
	halves := [2][]T{set[:len(set)/2], set[len(set)/2:]}
	var found [2][]T
	var errs [2]error
	var wg sync.WaitGroup
	for i, h := range halves {
		wg.Go(func() { found[i], errs[i] = bisect(ctx, h, try) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	return append(found[0], found[1]...), nil
}

// tls12Schemes finds the schemes a TLS 1.2 server signs its
// ServerKeyExchange with, for each kind of key its accepted ECDHE and DHE
// suites call for (RSA, ECDSA — which also covers EdDSA, RFC 8422 — and
// DSA): the suites of that kind are offered with every scheme, and the
// scheme the server used is removed until it refuses. keyOf records the
// key of the certificate that came with each signature.
func (s *scanner) tls12Schemes(ctx context.Context, vs *VersionSuites) ([]suites.SignatureScheme, map[suites.SignatureScheme]string, error) {
	byAuth := map[suites.Auth][]suites.ID{}
	for _, e := range vs.Suites {
		if info := suites.SuiteByID(e.ID); info != nil && (info.KeyExchange == suites.KexECDHE || info.KeyExchange == suites.KexDHE) {
			byAuth[info.Auth] = append(byAuth[info.Auth], e.ID)
		}
	}
	auths := slices.Sorted(maps.Keys(byAuth))
	var mu sync.Mutex
	keyOf := map[suites.SignatureScheme]string{}
	found := make([][]suites.SignatureScheme, len(auths))
	errs := make([]error, len(auths))
	var wg sync.WaitGroup
	for i, auth := range auths {
		offer := byAuth[auth]
		wg.Go(func() {
			e := &elimination[suites.SignatureScheme]{
				what: fmt.Sprintf("TLS 1.2 %v signature scheme", auth),
				offer: func(remaining []suites.SignatureScheme) *Probe {
					p := helloFor(suites.VersionTLS12, offer, s.serverName)
					p.SignatureSchemes, p.ReadFlight = remaining, true
					return p
				},
				pick: func(res *Result) (suites.SignatureScheme, bool) {
					ske := res.ServerKeyExchange
					if res.Outcome != OutcomeAccepted || res.Version != suites.VersionTLS12 || ske == nil || ske.Signature == nil {
						return 0, false
					}
					mu.Lock()
					keyOf[ske.Signature.Scheme] = leafKey(res.Certificates)
					mu.Unlock()
					return ske.Signature.Scheme, true
				},
			}
			found[i], _, errs[i] = e.run(ctx, s, allSchemes())
		})
	}
	wg.Wait()
	var all []suites.SignatureScheme
	for i := range found {
		if errs[i] != nil {
			return nil, nil, errs[i]
		}
		all = append(all, found[i]...)
	}
	return all, keyOf, nil
}

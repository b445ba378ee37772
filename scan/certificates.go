package scan

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// Certificates is every chain the server presented to the scan.
type Certificates struct {
	// Roots is what trust was judged against: "system" or the CA file.
	Roots  string   `json:"roots"`
	Chains []*Chain `json:"chains"`
}

// keyKind is a kind of server key a probe asks for, by the signature
// schemes (TLS 1.2 and 1.3) and the suites' authentication (before TLS
// 1.3) it offers: a server with several certificates must show the one
// that fits.
type keyKind struct {
	name string
	auth suites.Auth
	alg  []suites.SignatureAlgorithm
	// bySchemeOnly: only signature_algorithms (TLS 1.2 and later) tells
	// this kind from another under the same suites.
	bySchemeOnly bool
}

var keyKinds = []keyKind{
	{"RSA", suites.AuthRSA, []suites.SignatureAlgorithm{suites.SigRSAPKCS1, suites.SigRSAPSSRSAE, suites.SigRSAPSSPSS}, false},
	{"ECDSA", suites.AuthECDSA, []suites.SignatureAlgorithm{suites.SigECDSA}, false},
	// RFC 8422 §3.1 runs EdDSA under the ECDSA suites.
	{"Ed25519", suites.AuthECDSA, []suites.SignatureAlgorithm{suites.SigEd25519}, true},
	{"Ed448", suites.AuthECDSA, []suites.SignatureAlgorithm{suites.SigEd448}, true},
	{"DSA", suites.AuthDSS, []suites.SignatureAlgorithm{suites.SigDSA}, false},
}

// schemes lists the registered schemes of the kind; with tls13Client only
// those clasp's client can verify in a TLS 1.3 CertificateVerify.
func (k keyKind) schemes(tls13Client bool) []suites.SignatureScheme {
	var out []suites.SignatureScheme
	for _, info := range suites.AllSchemes() {
		if slices.Contains(k.alg, info.Algorithm) && (!tls13Client || info.TLS13 && info.Implemented) {
			out = append(out, info.ID)
		}
	}
	return out
}

// certificates asks the server for its chain once per kind of key and per
// SNI (the name given, and none), and analyses each distinct chain. Before
// TLS 1.3 the Certificate is in the clear: a probe reads it from the
// flight, with status_request and signed_certificate_timestamp offered. A
// server that speaks only TLS 1.3 encrypts it, so the scan completes a
// handshake with clasp's own client (without verifying anything).
func (s *scanner) certificates(ctx context.Context, rep *Report, hostname string) (*Certificates, error) {
	type job struct {
		kind keyKind
		sni  string
	}
	var jobs []job
	legacy := legacySuites(rep)
	snis := []string{s.serverName}
	if s.serverName != "" {
		snis = append(snis, "")
	}
	for _, k := range keyKinds {
		if legacy == nil && len(k.schemes(true)) == 0 {
			continue
		}
		if legacy != nil && (len(legacy.byAuth(k.auth)) == 0 || legacy.Version < suites.VersionTLS12 && k.bySchemeOnly) {
			continue
		}
		for _, sni := range snis {
			jobs = append(jobs, job{k, sni})
		}
	}
	got := make([]*presented, len(jobs))
	errs := make([]error, len(jobs))
	var wg sync.WaitGroup
	for i, j := range jobs {
		wg.Go(func() {
			if legacy != nil {
				got[i], errs[i] = s.legacyChain(ctx, legacy, j.kind, j.sni)
			} else if slices.Contains(rep.Supported(), suites.VersionTLS13) {
				got[i], errs[i] = s.tls13Chain(ctx, j.kind, j.sni)
			}
		})
	}
	wg.Wait()
	out := &Certificates{Roots: s.rootsLabel, Chains: []*Chain{}}
	if out.Roots == "" {
		out.Roots = "system"
	}
	seen := map[[32]byte]*Chain{}
	for i, p := range got {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if p == nil {
			continue
		}
		key := chainKey(p.der)
		if ch, ok := seen[key]; ok {
			ch.SeenWith = append(ch.SeenWith, p.seenWith)
			continue
		}
		ch, err := analyseChain(*p, hostname, s.roots, time.Now())
		if err != nil {
			s.note("%s: %v", p.seenWith, err)
			continue
		}
		seen[key] = ch
		out.Chains = append(out.Chains, ch)
	}
	return out, nil
}

func chainKey(der [][]byte) [32]byte {
	h := sha256.New()
	for _, c := range der {
		h.Write(c)
	}
	var k [32]byte
	h.Sum(k[:0])
	return k
}

func seenWith(v suites.Version, kind keyKind, sni string) string {
	where := "no SNI"
	if sni != "" {
		where = "SNI " + sni
	}
	return fmt.Sprintf("%v, %s key, %s", v, kind.name, where)
}

// legacySuites is the accepted suites of the highest version below TLS
// 1.3, or nil when the server speaks none.
func legacySuites(rep *Report) *VersionSuites {
	v := highestBelowTLS13(rep.Versions)
	for i := range rep.CipherSuites {
		if rep.CipherSuites[i].Version == v && v != 0 {
			return &rep.CipherSuites[i]
		}
	}
	return nil
}

// byAuth lists the accepted suites that authenticate with auth.
func (vs *VersionSuites) byAuth(auth suites.Auth) []suites.ID {
	var out []suites.ID
	for _, e := range vs.Suites {
		if info := suites.SuiteByID(e.ID); info != nil && info.Auth == auth {
			out = append(out, e.ID)
		}
	}
	return out
}

// legacyChain reads the chain a TLS 1.2 (or earlier) server sends when
// offered only the suites and schemes of one kind of key; nil when it
// refuses.
func (s *scanner) legacyChain(ctx context.Context, vs *VersionSuites, kind keyKind, sni string) (*presented, error) {
	p := helloFor(vs.Version, vs.byAuth(kind.auth), sni)
	if vs.Version == suites.VersionTLS12 {
		p.SignatureSchemes = kind.schemes(false)
	}
	p.ReadFlight = true
	if vs.Version >= suites.VersionTLS10 {
		p.Extra = []wire.Extension{&wire.StatusRequestExt{StatusType: wire.StatusTypeOCSP}, &wire.SignedCertificateTimestampExt{}}
	}
	res, err := s.run(ctx, p)
	if err != nil || res.Outcome != OutcomeAccepted || len(res.Certificates) == 0 {
		return nil, err
	}
	out := &presented{der: res.Certificates, ocsp: res.OCSPResponse, seenWith: seenWith(res.Version, kind, sni), asked: true}
	if sct, ok := wire.FindExtension[*wire.SignedCertificateTimestampExt](res.ServerHello.Extensions); ok {
		out.tlsSCTs = len(sct.SCTs)
	}
	return out, nil
}

// tls13Chain completes a TLS 1.3 handshake with clasp's client, offering
// only the schemes of one kind of key, and keeps the Certificate message
// it reads (through a Tracer, so that a handshake failing after it still
// yields the chain); nil when the server shows none.
func (s *scanner) tls13Chain(ctx context.Context, kind keyKind, sni string) (*presented, error) {
	var cert *wire.Certificate13
	cfg := &clasp.Config{
		ServerName:                sni,
		InsecureSkipVerify:        true,
		InsecureSkipKeyUsageCheck: true,
		MinVersion:                uint16(suites.VersionTLS13),
		MaxVersion:                uint16(suites.VersionTLS13),
		SignatureSchemes:          kind.schemes(true),
		SessionTicketsDisabled:    true,
		Tracer: trace.TracerFunc(func(e trace.Event) {
			if m, ok := e.(*trace.Message); ok && m.Direction == trace.Received {
				if c, ok := m.Parsed.(*wire.Certificate13); ok {
					cert = c
				}
			}
		}),
	}
	err := s.runner.withConnection(ctx, s.addr, func(ctx context.Context, conn net.Conn) error {
		tc := clasp.Client(conn, cfg)
		tc.HandshakeContext(ctx)
		return nil
	})
	if err != nil || cert == nil || len(cert.Entries) == 0 {
		return nil, err
	}
	// clasp's client asks for a stapled response and SCTs in every hello,
	// so their absence in the leaf's entry is the server's answer.
	out := &presented{der: cert.Chain(), seenWith: seenWith(suites.VersionTLS13, kind, sni), asked: true}
	for _, ext := range cert.Entries[0].Extensions {
		switch e := ext.(type) {
		case *wire.StatusRequestExt:
			out.ocsp = e.Response
		case *wire.SignedCertificateTimestampExt:
			out.tlsSCTs = len(e.SCTs)
		}
	}
	return out, nil
}

// withConnection runs fn on a fresh connection to addr under the Runner's
// connection limit and per-probe deadline, counting it. A connection that
// cannot be opened is not an error: fn is not called.
func (r *Runner) withConnection(ctx context.Context, addr string, fn func(context.Context, net.Conn) error) error {
	r.init()
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-r.slots }()
	pctx, cancel := context.WithTimeout(ctx, r.timeout())
	defer cancel()
	r.connections.Add(1)
	conn, err := r.dial(pctx, addr)
	if err != nil {
		return nil
	}
	defer conn.Close()
	deadline, _ := pctx.Deadline()
	conn.SetDeadline(deadline)
	return fn(pctx, conn)
}

// keyMatches reports whether a chain's leaf key (as describeKey wrote it)
// can sign with scheme in TLS 1.3, where an ECDSA scheme names its curve.
func keyMatches(leafKey string, scheme suites.SignatureScheme) bool {
	info := suites.SchemeByID(scheme)
	if info == nil {
		return false
	}
	switch info.Algorithm {
	case suites.SigRSAPKCS1, suites.SigRSAPSSRSAE:
		return strings.HasPrefix(leafKey, "RSA ")
	case suites.SigRSAPSSPSS:
		// These need an id-RSASSA-PSS key (RFC 8446 §4.2.3), which
		// crypto/x509 does not parse: such a leaf shows as "unknown".
		return false
	case suites.SigECDSA:
		g := suites.GroupByID(info.Curve)
		return g != nil && leafKey == "ECDSA "+g.OpenSSLName
	case suites.SigEd25519:
		return leafKey == "Ed25519"
	case suites.SigDSA:
		return strings.HasPrefix(leafKey, "DSA ")
	}
	return false
}

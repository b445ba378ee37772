package scan

import (
	"context"
	"net"
	"slices"
	"strings"
	"sync"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Strength is what one accepted suite gives a connection. The suite's own
// properties come from the registry (internal/suites); the sizes come from
// what the server showed the scan.
type Strength struct {
	// KeyExchange is the suite's key exchange as IANA names spell it
	// ("ECDHE", "DHE", "RSA"); for TLS 1.3 "key_share".
	KeyExchange string `json:"key_exchange"`
	// Authentication is how the server proves itself ("RSA", "ECDSA",
	// "anon"); for TLS 1.3 "certificate", by whichever key the scheme picks.
	Authentication string `json:"authentication"`
	// Group is the group of an ECDHE suite or a TLS 1.3 key_share: the one
	// the server picks first when offered all it accepts.
	Group string `json:"group,omitempty"`
	// DHBits and DHGroup describe a DHE suite's prime (see DHParams).
	DHBits  int    `json:"dh_bits,omitempty"`
	DHGroup string `json:"dh_group,omitempty"`
	// ServerKey is the certificate key the suite authenticates with (and,
	// for RSA key exchange, encrypts the premaster to): "RSA 2048".
	ServerKey string `json:"server_key,omitempty"`
	// ForwardSecrecy: the key exchange is ephemeral.
	ForwardSecrecy bool `json:"forward_secrecy"`
	// AEAD: records are protected by an AEAD rather than MAC-then-encrypt.
	AEAD bool `json:"aead"`
	// Cipher is the bulk cipher; SymmetricBits its effective key strength.
	Cipher        string `json:"cipher"`
	SymmetricBits int    `json:"symmetric_bits"`
}

// symmetricBits is a cipher's effective key strength: the key length,
// except where the key carries less than its length. Three-key 3DES
// gives 112 bits (NIST SP 800-57 Part 1 Rev. 5, Table 2); a DES key is 64
// bits of which 8 are parity.
func symmetricBits(c suites.Cipher) int {
	switch c {
	case suites.Cipher3DES:
		return 112
	case suites.CipherDES:
		return 56
	case suites.CipherNULL:
		return 0
	}
	return c.Info().KeyLen * 8
}

// keysAndStrength runs the checks that need the suites and groups found
// first — certificates, signature schemes, DHE parameters and RFC 7919
// groups — concurrently, and then describes each accepted suite.
func (s *scanner) keysAndStrength(ctx context.Context, rep *Report) error {
	legacy := legacySuites(rep)
	has13 := slices.Contains(rep.Supported(), suites.VersionTLS13)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	check := func(f func() error) {
		wg.Go(func() {
			if err := f(); err != nil {
				mu.Lock()
				firstErr = err
				mu.Unlock()
			}
		})
	}
	var sigs Signatures
	var schemes12, schemes13 []suites.SignatureScheme
	var keyOf12 map[suites.SignatureScheme]string
	check(func() (err error) { rep.Certificates, err = s.certificates(ctx, rep, s.hostname()); return })
	if legacy != nil && legacy.Version == suites.VersionTLS12 {
		check(func() (err error) { schemes12, keyOf12, err = s.tls12Schemes(ctx, legacy); return })
	}
	if has13 {
		offer, shares := tls13Offer(rep)
		check(func() (err error) { schemes13, err = s.tls13Schemes(ctx, offer, shares); return })
	}
	if legacy != nil {
		check(func() (err error) { rep.Groups.DHE, err = s.dheParams(ctx, legacy); return })
		check(func() (err error) { rep.Groups.FFDHE, err = s.ffdheGroups(ctx, legacy); return })
	}
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	if keyOf12 != nil {
		sigs.TLS12 = schemeList(suites.VersionTLS12, schemes12, keyOf12)
	}
	if has13 {
		keys := tls13Keys(schemes13, rep.Certificates)
		sigs.TLS13 = schemeList(suites.VersionTLS13, schemes13, keys)
		s.noteKeylessSchemes(sigs.TLS13, rep.Certificates)
	}
	if sigs.TLS12 != nil || sigs.TLS13 != nil {
		rep.Signatures = &sigs
	}
	fillStrength(rep)
	return nil
}

// noteKeylessSchemes notes TLS 1.3 schemes the server agreed to that no
// chain it presented can sign with: either a key the scan did not see, or
// a server that ignores signature_algorithms until it must sign, which
// makes the TLS 1.3 list say more than the server can do.
func (s *scanner) noteKeylessSchemes(l *SchemeList, certs *Certificates) {
	if certs == nil || len(certs.Chains) == 0 {
		return
	}
	var keyless []string
	for _, e := range l.Schemes {
		if e.Key == "" {
			keyless = append(keyless, e.IANA)
		}
	}
	if len(keyless) > 0 {
		s.note("TLS 1.3: the server agreed to hellos offering only %s, which none of the certificates it showed can sign with (a key not seen, or a server that ignores signature_algorithms)",
			strings.Join(keyless, ", "))
	}
}

// hostname is the name certificates are checked for: the SNI sent, else
// the target's host.
func (s *scanner) hostname() string {
	if s.serverName != "" {
		return s.serverName
	}
	host, _, err := net.SplitHostPort(s.addr)
	if err != nil {
		return s.addr
	}
	return host
}

// tls13Offer is a TLS 1.3 hello's suites and key share that the server
// takes: its accepted suites, and the first accepted group a share can be
// built for (none: the probe's default shares).
func tls13Offer(rep *Report) ([]suites.ID, []suites.Group) {
	offer := suitesFor(suites.VersionTLS13)
	for _, vs := range rep.CipherSuites {
		if vs.Version == suites.VersionTLS13 && len(vs.Suites) > 0 {
			offer = nil
			for _, e := range vs.Suites {
				offer = append(offer, e.ID)
			}
		}
	}
	if l := rep.Groups.TLS13; l != nil {
		for _, g := range l.Groups {
			if CanShare(g.ID) {
				return offer, []suites.Group{g.ID}
			}
		}
	}
	return offer, nil
}

// tls13Keys matches each TLS 1.3 scheme to the key of a chain the server
// presented that can sign with it.
func tls13Keys(schemes []suites.SignatureScheme, certs *Certificates) map[suites.SignatureScheme]string {
	out := map[suites.SignatureScheme]string{}
	if certs == nil {
		return out
	}
	for _, id := range schemes {
		for _, ch := range certs.Chains {
			if keyMatches(ch.leafKey, id) {
				out[id] = ch.leafKey
				break
			}
		}
	}
	return out
}

// fillStrength describes every accepted suite from the registry and what
// the scan found: groups, DH parameters, certificate keys.
func fillStrength(rep *Report) {
	for i := range rep.CipherSuites {
		vs := &rep.CipherSuites[i]
		for j := range vs.Suites {
			if info := suites.SuiteByID(vs.Suites[j].ID); info != nil {
				vs.Suites[j].Strength = suiteStrength(info, vs.Version, rep)
			}
		}
	}
}

func suiteStrength(info *suites.Suite, v suites.Version, rep *Report) *Strength {
	st := &Strength{
		KeyExchange:    info.KeyExchange.String(),
		Authentication: info.Auth.String(),
		ForwardSecrecy: info.ForwardSecret(),
		AEAD:           info.IsAEAD(),
		Cipher:         info.Cipher.String(),
		SymmetricBits:  symmetricBits(info.Cipher),
	}
	switch info.KeyExchange {
	case suites.KexAny:
		st.KeyExchange, st.Authentication = "key_share", "certificate"
		st.Group = firstGroup(rep.Groups.TLS13)
		st.ServerKey = serverKeys(rep.Certificates, "")
	case suites.KexECDHE, suites.KexECDHAnon, suites.KexECDHEPSK:
		st.Group = firstGroup(rep.Groups.ECDHE)
	case suites.KexDHE, suites.KexDHAnon, suites.KexDHEPSK:
		if dh := rep.Groups.DHE; dh != nil {
			st.DHBits, st.DHGroup = dh.Bits, dh.Group
		}
	}
	switch info.Auth {
	case suites.AuthRSA:
		st.ServerKey = serverKeys(rep.Certificates, "RSA ")
	case suites.AuthECDSA:
		st.ServerKey = serverKeys(rep.Certificates, "ECDSA ", "Ed25519", "Ed448")
	case suites.AuthDSS:
		st.ServerKey = serverKeys(rep.Certificates, "DSA ")
	}
	return st
}

func firstGroup(l *GroupList) string {
	if l == nil || len(l.Groups) == 0 {
		return ""
	}
	return l.Groups[0].IANA
}

// serverKeys lists the distinct leaf keys of the chains whose key starts
// with one of prefixes ("" matches all), joined by ", ".
func serverKeys(certs *Certificates, prefixes ...string) string {
	if certs == nil {
		return ""
	}
	var keys []string
	for _, ch := range certs.Chains {
		for _, p := range prefixes {
			if strings.HasPrefix(ch.leafKey, p) && !slices.Contains(keys, ch.leafKey) {
				keys = append(keys, ch.leafKey)
			}
		}
	}
	return strings.Join(keys, ", ")
}

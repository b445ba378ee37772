package scan

import (
	"context"
	"crypto/rand"
	"errors"
	"math/big"
	"net"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Facts probes: single hellos whose ServerHello or ServerKeyExchange
// answers a weakness question — does the server bind renegotiation (RFC
// 5746) and the master secret (RFC 7627), does it compress, how large is its
// DH prime.

// dhFact is the DH prime a ServerKeyExchange carried.
type dhFact struct {
	version suites.Version
	suite   suites.ID
	bits    int
	// wellKnown names the prime when it is one of weakPrimes.
	wellKnown string
}

// weakPrimes are widely shared primes of 1024 bits or fewer: Adrian et al.
// ("Imperfect Forward Secrecy", CCS 2015, the Logjam paper) show that one
// precomputation per prime breaks every connection that uses it, and found
// these among the most used. The RFC 2409 §6.2 prime (Oakley group 2) is
// 2^1024 - 2^960 - 1 + 2^64 * ([2^894 pi] + 129093); TestWeakPrimesArePrimes
// checks each value's size and primality. RFC 5114's 1024-bit group is not
// listed: its value could not be checked here.
var weakPrimes = map[string]string{
	"RFC 2409 §6.2 (Oakley group 2)": "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7EDEE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF",
}

// wellKnownPrime names p when it is one of weakPrimes.
func wellKnownPrime(p []byte) string {
	n := new(big.Int).SetBytes(p)
	for name, hex := range weakPrimes {
		if known, _ := new(big.Int).SetString(hex, 16); known.Cmp(n) == 0 {
			return name
		}
	}
	return ""
}

// helloFacts is what the TLS 1.2 (or highest earlier) facts probe found.
type helloFacts struct {
	version suites.Version
	// answered: a ServerHello came; the fields below are read from it.
	answered     bool
	answer       string
	secureReneg  bool
	ems          bool
	certificates [][]byte
}

// withConversation runs fn on a raw connection, turning a failed dial into
// an unreachable Result and passing any other error (a cancelled scan) up.
func (s *scanner) withConversation(ctx context.Context, fn func(net.Conn) *Result) (*Result, error) {
	var res *Result
	err := s.runner.converse(ctx, s.addr, func(conn net.Conn) error {
		res = fn(conn)
		return nil
	})
	var de *errDial
	if errors.As(err, &de) {
		return &Result{Outcome: OutcomeUnreachable, Err: de.err}, nil
	}
	return res, err
}

// rawHello sends p's hello, changed by edit, and reads the server's flight
// raw. The Result says how the server answered when no ServerHello came.
func (s *scanner) rawHello(ctx context.Context, p *Probe, edit func(*wire.ClientHello)) (*flight, *Result, error) {
	h, err := p.Hello(rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	if edit != nil {
		edit(h)
	}
	var f *flight
	res, err := s.withConversation(ctx, func(conn net.Conn) *Result {
		var ferr error
		f, ferr = sendHello(conn, h, p.RecordVersion)
		if f == nil {
			return failed(ferr)
		}
		return helloResult(f.hello)
	})
	return f, res, err
}

// tlsFacts offers the highest version below TLS 1.3 with an empty
// renegotiation_info and extended_master_secret and reads whether the
// ServerHello answers them (RFC 5746 §3.6, RFC 7627 §5.1).
func (s *scanner) tlsFacts(ctx context.Context, rep *Report) (*helloFacts, error) {
	v := highest(rep, suites.VersionTLS12)
	if v == 0 {
		return nil, nil
	}
	p := compactHello(rep, v, s.serverName)
	p.ReadFlight = true
	if v > suites.VersionSSL30 {
		// RFC 5746 §3.4: the extension or the SCSV, not both.
		p.CipherSuites = slices.DeleteFunc(slices.Clone(p.CipherSuites), func(id suites.ID) bool {
			return id == suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV
		})
		p.Extra = append(p.Extra, &wire.RenegotiationInfoExt{}, &wire.ExtendedMasterSecretExt{})
	}
	res, err := s.run(ctx, p)
	if err != nil {
		return nil, err
	}
	out := &helloFacts{version: v, answer: res.Summary()}
	if res.Outcome != OutcomeAccepted || res.ServerHello == nil {
		return out, nil
	}
	out.answered = true
	out.certificates = res.Certificates
	_, out.secureReneg = wire.FindExtension[*wire.RenegotiationInfoExt](res.ServerHello.Extensions)
	_, out.ems = wire.FindExtension[*wire.ExtendedMasterSecretExt](res.ServerHello.Extensions)
	return out, nil
}

// renegFinding and emsFinding read the facts probe.
func renegFinding(f *helloFacts) Finding {
	switch {
	case f == nil:
		return finding(weakReneg, StatusNotApplicable, "TLS 1.3 only: there is no renegotiation")
	case !f.answered:
		return finding(weakReneg, StatusUnknown, "the %v hello with renegotiation_info got %s", f.version, f.answer)
	case f.secureReneg:
		return finding(weakReneg, StatusNotVulnerable, "the %v ServerHello carries renegotiation_info (RFC 5746)", f.version)
	}
	return finding(weakReneg, StatusVulnerable, "the %v ServerHello has no renegotiation_info: renegotiation, if the server allows it, is not bound to the connection", f.version)
}

func emsFinding(f *helloFacts) Finding {
	switch {
	case f == nil:
		return finding(weakEMS, StatusNotApplicable, "TLS 1.3 only: its key schedule binds the transcript")
	case f.version == suites.VersionSSL30:
		return finding(weakEMS, StatusNotApplicable, "SSL 3.0 has no extensions")
	case !f.answered:
		return finding(weakEMS, StatusUnknown, "the %v hello with extended_master_secret got %s", f.version, f.answer)
	case f.ems:
		return finding(weakEMS, StatusNotVulnerable, "the %v ServerHello carries extended_master_secret", f.version)
	}
	return finding(weakEMS, StatusVulnerable, "the %v ServerHello has no extended_master_secret although it was offered", f.version)
}

// crime offers DEFLATE (method 1, RFC 3749) before null. A server that picks
// it compresses secrets together with attacker-chosen data (CRIME, Rizzo
// and Duong 2012); RFC 7457 §2.6 and RFC 8446 (which allows only null)
// retire compression.
func (s *scanner) crime(ctx context.Context, rep *Report) (Finding, error) {
	v := highest(rep, suites.VersionTLS12)
	if v == 0 {
		return finding(weakCRIME, StatusNotApplicable, "TLS 1.3 only: it has no compression"), nil
	}
	p := compactHello(rep, v, s.serverName)
	f, res, err := s.rawHello(ctx, p, func(h *wire.ClientHello) { h.CompressionMethods = []uint8{1, 0} })
	switch {
	case err != nil:
		return Finding{}, err
	case f == nil:
		return finding(weakCRIME, StatusUnknown, "the %v hello offering DEFLATE got %s", v, res.Summary()), nil
	case f.hello.CompressionMethod != 0:
		return finding(weakCRIME, StatusVulnerable, "offered DEFLATE and null in %v, the server chose compression method %d", v, f.hello.CompressionMethod), nil
	}
	return finding(weakCRIME, StatusNotVulnerable, "offered DEFLATE and null in %v, the server chose null", v), nil
}

// dhPrime reads the DH prime of a DHE suite the server accepts, in the
// highest version below TLS 1.3 that has one.
func (s *scanner) dhPrime(ctx context.Context, rep *Report) (*dhFact, error) {
	for _, vs := range rep.CipherSuites {
		var dhe []suites.ID
		for _, e := range vs.Suites {
			if st := suites.SuiteByID(e.ID); st != nil && (st.KeyExchange == suites.KexDHE || st.KeyExchange == suites.KexDHAnon) {
				dhe = append(dhe, e.ID)
			}
		}
		if len(dhe) == 0 || vs.Version >= suites.VersionTLS13 {
			continue
		}
		p := helloFor(vs.Version, dhe, s.serverName)
		p.ReadFlight = true
		res, err := s.run(ctx, p)
		if err != nil {
			return nil, err
		}
		if ske := res.ServerKeyExchange; ske != nil && ske.DHE != nil {
			return &dhFact{version: vs.Version, suite: res.Suite, bits: new(big.Int).SetBytes(ske.DHE.P).BitLen(), wellKnown: wellKnownPrime(ske.DHE.P)}, nil
		}
		s.note("%v: the DHE probe got %s and no DH parameters", vs.Version, res.Summary())
		return nil, nil
	}
	return nil, nil
}

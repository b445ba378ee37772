package scan

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"fmt"
	"io"
	"math/big"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// ROBOT (Böck, Somorovsky, Young, "Return Of Bleichenbacher's Oracle
// Threat", USENIX Security 2018; Bleichenbacher, CRYPTO 1998): a server that
// answers an RSA ClientKeyExchange differently depending on whether its
// PKCS #1 v1.5 padding is right lets anyone decrypt recorded RSA sessions
// and sign with the server's key, one query at a time. RFC 5246 §7.4.7.1
// requires a server to go on with a random premaster secret whatever is
// wrong, so that every bad ClientKeyExchange fails alike at the Finished.
//
// The probe sends five ClientKeyExchanges, each on its own connection and
// each followed by ChangeCipherSpec and a Finished of random bytes, as the
// ROBOT paper's test does: one well formed, and four malformed in one way
// each (wrong first bytes, no 0x00 separator, wrong version, wrong
// length). It compares what the server does next: the alert, a close or
// silence. Any difference is an oracle; a difference that repeats on a
// second round is reported. The same five go out a second time without
// ChangeCipherSpec and Finished (the paper's shortened flow, as
// robot-detect does), where a healthy server stays silent and a "weak"
// oracle answers bad padding at once. Timing is not measured: an oracle
// that differs only in how long the server takes is not seen.
//
// The malformed messages are encrypted with the server's public key by
// raw RSA (math/big exponentiation of the padded message): crypto/rsa only
// encrypts well-formed padding, and a malformed one is the point here.

// robotVariant is one premaster encryption.
type robotVariant struct {
	name string
	// pad builds the k-byte message to encrypt for the client version.
	pad func(k int, version suites.Version) ([]byte, error)
}

var robotVariants = []robotVariant{
	{"well-formed PKCS #1 v1.5", func(k int, v suites.Version) ([]byte, error) { return robotMessage(k, [2]byte{0, 2}, true, v, 48) }},
	{"wrong first two bytes (0x41 0x17)", func(k int, v suites.Version) ([]byte, error) {
		return robotMessage(k, [2]byte{0x41, 0x17}, true, v, 48)
	}},
	{"no 0x00 separator", func(k int, v suites.Version) ([]byte, error) { return robotMessage(k, [2]byte{0, 2}, false, v, 48) }},
	{"wrong premaster version (0x0202)", func(k int, _ suites.Version) ([]byte, error) { return robotMessage(k, [2]byte{0, 2}, true, 0x0202, 48) }},
	{"premaster of 24 bytes, not 48", func(k int, v suites.Version) ([]byte, error) { return robotMessage(k, [2]byte{0, 2}, true, v, 24) }},
}

// robotMessage lays out head || nonzero padding || [0x00] || version ||
// random, k bytes in all, with a premaster of pmsLen bytes. Without the
// separator the padding runs through to the premaster.
func robotMessage(k int, head [2]byte, separator bool, version suites.Version, pmsLen int) ([]byte, error) {
	padLen := k - 3 - pmsLen
	if padLen < 8 {
		return nil, fmt.Errorf("scan: an RSA modulus of %d bytes is too short for the ROBOT probe", k)
	}
	m := make([]byte, k)
	m[0], m[1] = head[0], head[1]
	if err := nonzeroRandom(m[2 : 2+padLen]); err != nil {
		return nil, err
	}
	sep := 2 + padLen
	if separator {
		m[sep] = 0
	} else {
		m[sep] = 0x11
	}
	pms := m[sep+1:]
	pms[0], pms[1] = byte(version>>8), byte(version)
	if !separator {
		// No zero byte anywhere after the block type.
		return m, nonzeroRandom(pms[2:])
	}
	if _, err := io.ReadFull(rand.Reader, pms[2:]); err != nil {
		return nil, err
	}
	return m, nil
}

func nonzeroRandom(b []byte) error {
	if _, err := io.ReadFull(rand.Reader, b); err != nil {
		return err
	}
	for i := range b {
		for b[i] == 0 {
			var one [1]byte
			if _, err := io.ReadFull(rand.Reader, one[:]); err != nil {
				return err
			}
			b[i] = one[0]
		}
	}
	return nil
}

// rawRSAEncrypt computes m^e mod n as k bytes: RSA encryption of an
// already padded block, with no padding of its own. It exists because ROBOT
// must send premaster encryptions whose PKCS #1 v1.5 padding is wrong on
// purpose (bad first bytes, no zero separator, a wrong version), which
// crypto/rsa never produces: EncryptPKCS1v15 always pads correctly. The
// modular exponentiation is math/big's, and it works on public values only
// (the server's public key and a block of random bytes), so no secret goes
// through a routine that was not written to be constant-time.
func rawRSAEncrypt(pub *rsa.PublicKey, m []byte) []byte {
	c := new(big.Int).Exp(new(big.Int).SetBytes(m), big.NewInt(int64(pub.E)), pub.N)
	return c.FillBytes(make([]byte, len(m)))
}

// rsaSuitesAccepted returns the highest version below TLS 1.3 with an
// accepted RSA key-transport suite, and those suites.
func rsaSuitesAccepted(rep *Report) (suites.Version, []suites.ID) {
	for _, vs := range rep.CipherSuites {
		if vs.Version >= suites.VersionTLS13 {
			continue
		}
		var ids []suites.ID
		for _, e := range vs.Suites {
			if s := suites.SuiteByID(e.ID); s != nil && s.KeyExchange == suites.KexRSA {
				ids = append(ids, e.ID)
			}
		}
		if len(ids) > 0 {
			return vs.Version, ids
		}
	}
	return 0, nil
}

// In the shortened flow a healthy server says nothing (it waits for the
// ChangeCipherSpec that never comes) while an oracle's different answer
// comes at once, so the wait there is short: four times the fastest flight
// of the full round, within these bounds. It matters: openssl s_server
// serves one connection at a time, and every other probe waits while it
// waits.
const (
	robotShortWaitMin = 100 * time.Millisecond
	robotShortWaitMax = 500 * time.Millisecond
)

// robot runs the ROBOT paper's test in its full flow (ClientKeyExchange,
// ChangeCipherSpec, Finished) and, when every answer there was the same
// alert or close, in its shortened flow (ClientKeyExchange alone), which
// shows "weak" oracles: servers that fail alike once the Finished comes
// but react to bad padding before it. A server silent in the full flow is
// not asked again: it would be silent without the Finished too. A
// difference in either flow is checked by a second round of that flow.
func (s *scanner) robot(ctx context.Context, rep *Report) (Finding, error) {
	v, ids := rsaSuitesAccepted(rep)
	if v == 0 {
		return weakFinding(weakROBOT, StatusNotApplicable, "no RSA key-transport suite is accepted"), nil
	}
	full, err := s.robotRound(ctx, v, ids, 0)
	switch {
	case err != nil:
		return Finding{}, err
	case full.err != "":
		return weakFinding(weakROBOT, StatusUnknown, "%v: %s", v, full.err), nil
	case !full.uniform():
		return s.robotConfirm(ctx, v, ids, full, "")
	}
	shortText := "not tried after silence"
	if full.answers[0] != (answer{kind: "silent"}).String() {
		short, err := s.robotRound(ctx, v, ids, full.shortWait())
		switch {
		case err != nil:
			return Finding{}, err
		case short.err == "" && !short.uniform():
			return s.robotConfirm(ctx, v, ids, short, " without ChangeCipherSpec and Finished (a weak oracle: with them every answer is "+full.answers[0]+")")
		case short.err == "":
			shortText = "all five got " + short.answers[0]
		default:
			shortText = "could not be run: " + short.err
		}
	}
	return weakFinding(weakROBOT, StatusNotVulnerable, "%v %v: all five premaster encryptions got %s; without ChangeCipherSpec and Finished, %s (timing not measured)",
		v, full.suite, full.answers[0], shortText), nil
}

// robotConfirm runs a second round of the flow whose first round showed
// different answers: the same pattern again is an oracle.
func (s *scanner) robotConfirm(ctx context.Context, v suites.Version, ids []suites.ID, first *robotResult, flow string) (Finding, error) {
	second, err := s.robotRound(ctx, v, ids, first.shortFlowWait)
	if err != nil {
		return Finding{}, err
	}
	if second.err == "" && strings.Join(second.answers, "|") == strings.Join(first.answers, "|") {
		return weakFinding(weakROBOT, StatusVulnerable, "%v %v: the server answers malformed premaster encryptions differently%s, twice alike: %s", v, first.suite, flow, first.describe()), nil
	}
	return weakFinding(weakROBOT, StatusUnknown, "%v %v: answers differed%s but did not repeat (first %s; then %s)", v, first.suite, flow, first.describe(), second.describe()), nil
}

// robotResult is one round: the answer to each variant, in order.
type robotResult struct {
	suite   suites.ID
	answers []string
	err     string
	// shortFlowWait is set when the round left out ChangeCipherSpec and
	// Finished: how long it waited for each answer.
	shortFlowWait time.Duration
	// fastestFlight is the least time the server took to send its first
	// flight on one of the round's connections: the one served first,
	// which waited behind no other.
	fastestFlight time.Duration
}

// shortWait is the wait of a shortened round after this full one: four
// times the fastest flight, within robotShortWaitMin and robotShortWaitMax.
func (r *robotResult) shortWait() time.Duration {
	return max(robotShortWaitMin, min(4*r.fastestFlight, robotShortWaitMax))
}

func (r *robotResult) uniform() bool {
	for _, a := range r.answers {
		if a != r.answers[0] {
			return false
		}
	}
	return true
}

func (r *robotResult) describe() string {
	var parts []string
	for i, a := range r.answers {
		parts = append(parts, robotVariants[i].name+": "+a)
	}
	return strings.Join(parts, "; ")
}

// robotRound sends each variant on its own connection, concurrently; a
// shortWait above 0 leaves out ChangeCipherSpec and Finished and waits that
// long for each answer.
func (s *scanner) robotRound(ctx context.Context, v suites.Version, ids []suites.ID, shortWait time.Duration) (*robotResult, error) {
	out := &robotResult{answers: make([]string, len(robotVariants)), shortFlowWait: shortWait}
	flights := make([]time.Duration, len(robotVariants))
	problems := make([]string, len(robotVariants))
	suitesSeen := make([]suites.ID, len(robotVariants))
	errs := make([]error, len(robotVariants))
	var wg sync.WaitGroup
	for i, variant := range robotVariants {
		wg.Go(func() {
			p := helloFor(v, ids, s.serverName)
			h, err := p.Hello(rand.Reader)
			if err != nil {
				errs[i] = err
				return
			}
			_, errs[i] = s.withConversation(ctx, func(conn net.Conn) *Result {
				start := time.Now()
				f, err := sendHello(conn, h, p.RecordVersion)
				flights[i] = time.Since(start)
				suitesSeen[i], out.answers[i], problems[i] = s.robotOn(conn, f, err, h.Version, variant, shortWait)
				return nil
			})
		})
	}
	wg.Wait()
	for i := range robotVariants {
		if errs[i] != nil {
			return nil, errs[i]
		}
		if problems[i] != "" && out.err == "" {
			out.err = problems[i]
		}
	}
	out.suite = suitesSeen[0]
	out.fastestFlight = slices.Min(flights)
	return out, nil
}

// robotOn runs one variant after the server's flight f (or its failure
// err): ClientKeyExchange, unless shortWait is set ChangeCipherSpec and a
// Finished of random bytes, and the server's answer. problem is set when
// the probe could not get that far.
func (s *scanner) robotOn(conn net.Conn, f *flight, err error, clientVersion suites.Version, variant robotVariant, shortWait time.Duration) (suite suites.ID, answer, problem string) {
	if f == nil || !f.done || len(f.certificates) == 0 {
		return 0, "", "no first flight with a certificate: " + flightFailure(f, err)
	}
	cert, err := x509.ParseCertificate(f.certificates[0])
	if err != nil {
		return 0, "", fmt.Sprintf("the server's certificate does not parse: %v", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return 0, "", fmt.Sprintf("the certificate's key is %T, not RSA", cert.PublicKey)
	}
	m, err := variant.pad((pub.N.BitLen()+7)/8, clientVersion)
	if err != nil {
		return 0, "", err.Error()
	}
	cke := clientKeyExchangeRSA(f.version, rawRSAEncrypt(pub, m))
	finished := make([]byte, 64)
	if _, err := io.ReadFull(rand.Reader, finished); err != nil {
		return 0, "", err.Error()
	}
	records := []struct {
		typ     wire.ContentType
		payload []byte
	}{{wire.ContentHandshake, cke}, {wire.ContentChangeCipherSpec, changeCipherSpec}, {wire.ContentHandshake, finished}}
	wait := s.afterFlightWait()
	if shortWait > 0 {
		records, wait = records[:1], min(wait, shortWait)
	}
	var flightOut []byte
	for _, rec := range records {
		flightOut = append(flightOut, byte(rec.typ), byte(f.version>>8), byte(f.version), byte(len(rec.payload)>>8), byte(len(rec.payload)))
		flightOut = append(flightOut, rec.payload...)
	}
	if _, err := conn.Write(flightOut); err != nil {
		return f.hello.CipherSuite, "closed before the ClientKeyExchange", ""
	}
	return f.hello.CipherSuite, awaitAnswer(conn, wait).String(), ""
}

// clientKeyExchangeRSA frames an encrypted premaster: SSL 3.0 sends it
// bare, TLS with a two-byte length (RFC 5246 §7.4.7.1).
func clientKeyExchangeRSA(v suites.Version, encrypted []byte) []byte {
	body := encrypted
	if v > suites.VersionSSL30 {
		body = append([]byte{byte(len(encrypted) >> 8), byte(len(encrypted))}, encrypted...)
	}
	return append([]byte{byte(wire.TypeClientKeyExchange), byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
}

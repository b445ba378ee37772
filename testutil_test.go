package clasp

// Helpers shared by the handshake, negative and fuzz tests: a deterministic
// test PKI, an in-process clasp↔clasp handshake over net.Pipe, and a
// scripted peer that speaks raw records.

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/wire"
)

// testRSAKeyPEM is a fixed RSA-2048 key. Go 1.26's rsa.GenerateKey ignores
// its reader, so a generated key would differ between processes; the fuzz
// seeds are recorded in one process and replayed in fuzz workers, which
// needs byte-identical certificates everywhere.
const testRSAKeyPEM = `-----BEGIN PRIVATE KEY-----
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCXCMg6Ct2Eq2HB
1623z0xpt3mAv/G9HKR3JStZq3dbuxz4yawSRQqHnBfBwj9U97FV9waJAtQDRXfD
fwUxywIp2KEYZ2yN1EaSFAGTDOnxGBCw04n/3XavnPOB8RL7rlr1lAqQ9/Lbazxp
4NM40OIIA6waRztdze8CXBGJi/Zb2DVHNOU+fHjHo94mPKMYu+fetcm2lYUzRXTc
5vRs4WIw/Be2fpe5nwotbw66WU3IsS6eqjP1mTbgwckzudtmIlvQkwzEvdVjuyvn
SrtRgeheGnGlM/lHcRmbKxFp2ggciQTXdtlhzr4i8PJPktWLLDPmpTZBQBmNctRB
mebe2CDFAgMBAAECggEAAVMVpHKrciopm5BXaO0Du8qc4Wztgw3RAG1+RZVMIO0R
ajokjO13k+xhxfR85zMb5kfaEhIJB3VQwVFoG4FvBaxtb0Aa8tx5ePb9c4txsshV
/yL/yxNnYs9i0FErrDLhf9VaSV6vTc7RMxGCcLVeQhk8JWfaBK7VaYUirzzfvnrx
urribjzFSngyVDHlmxK+CFYhahd/oTM7ABbUjcYP6UO4SkAuhYo+wUv4HAX/xr5r
qOx5sKxkp51C9dJK7ian4fnNkDxakMH2Dyoi38TuTaW3mv6iLzUxlM5qh5I4kZxW
avL9UfQepHu8O5ndMfftbu3xKIYGeAvNVFNXDjMxsQKBgQDORKwnkgdmrdKDmnga
dzbEotv+ca/MOTUUaYzc9ns6oVBg9cYf+75SDT9GAH2rS31ZwvXiuUmw3+i9OKEJ
7PViVJOz0de37SQOD8jW/ap1tXc4t7GBU5STq5CLxUrOfESITtGEl1BPYW+J75PE
IJpy9IwNKLXG+elJFo70CDvWNQKBgQC7cvMfYxj4KPejMkA5XHALewbHt9onkq32
helzSD9SSVlJ3OfIX6p4ac1j1/x2LH7QlbbwZ1326WPCVvYv0HAa8WRTsq9rBse/
eFM3xdejZXuUXYkR6avYOcQEs7QFQP3DyH4D3OTVmZWT4B7IcYeqEhyvSpE6045G
oRzRaicyUQKBgGaNripeaF+cvLXB70T5ULmjX026qHUZXFKxx990jQAxhA0xJThx
qcaR34umYtTvy3r9e9Ml3IWcTdMGfMq6jaY99tHI20APH4X+QxThOgccGhKRAigS
riRdgJh9lxvinRBIX9NUiBFvmE00WHuC2kedXqSMQRSU3HACT0D1dwqhAoGBAIfl
kX9q39piEQ7eypMLgivAmKzIjL9t5vM4KISsl0O366TSI7QwLy23PvGoz9546cOd
FxD5T7VHhUyKsVb+3Zea9Cp9/BEyzDPzLxnbNDfAxjRND6fN6gkL8CGciuHYOWHs
g/eW+Mwm2btom8ikDj/te6BWBi5I2/g2q+bi9+HRAoGAP3DramHYA8zCnhOV4UzF
rZSDdxNKolVWyjOm2dshWv+M5jf/35jgpgdP9FPqbyBu0pnlwCNYmQKZhWBIPCDH
CrUkAWUCAPFFdWW+Dm0S81nwXcJBHRZxwaXHr8UyUZ0IE3cY4gVuX61PagQKesF0
rOQ0Ogb72p5WUoLgUbp5Byw=
-----END PRIVATE KEY-----
`

// testPKI holds the certificates of the tests. Every key is derived from a
// fixed seed and every certificate is signed with Ed25519 (deterministic
// signatures), so the DER bytes are identical in every process — see
// testRSAKeyPEM for why that matters.
type testPKI struct {
	caPool      *x509.CertPool // trusts testCA
	otherCAPool *x509.CertPool // trusts otherCA only

	ecdsaLeaf   Certificate // "localhost", ECDSA P-256
	rsaLeaf     Certificate // "localhost", RSA-2048
	ed25519Leaf Certificate // "localhost", Ed25519
	sniA, sniB  Certificate // "a.test" and "b.test", ECDSA P-256

	clientECDSA   Certificate // client certificate from testCA
	clientOtherCA Certificate // client certificate from a CA nobody trusts
}

var (
	testPKIOnce sync.Once
	testPKIVal  *testPKI
)

// testNotBefore and testNotAfter bound every test certificate; a Config.Time
// after testNotAfter makes them expired.
var (
	testNotBefore = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	testNotAfter  = time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC)
)

func testCerts(t testing.TB) *testPKI {
	t.Helper()
	testPKIOnce.Do(func() { testPKIVal = newTestPKI() })
	if testPKIVal == nil {
		t.Fatal("test PKI could not be built")
	}
	return testPKIVal
}

func testSeed(name string) []byte {
	sum := sha256.Sum256([]byte("clasp test key: " + name))
	return sum[:]
}

func testEd25519Key(name string) ed25519.PrivateKey {
	return ed25519.NewKeyFromSeed(testSeed(name))
}

func testECDSAKey(name string) *ecdsa.PrivateKey {
	key, err := ecdsa.ParseRawPrivateKey(elliptic.P256(), testSeed(name))
	if err != nil {
		panic(err)
	}
	return key
}

func testRSAKey() crypto.Signer {
	block, _ := pem.Decode([]byte(testRSAKeyPEM))
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		panic(err)
	}
	return key.(crypto.Signer)
}

func newTestPKI() *testPKI {
	serial := int64(0)
	issue := func(tmpl *x509.Certificate, parent *x509.Certificate, pub crypto.PublicKey, parentKey crypto.Signer) *x509.Certificate {
		serial++
		tmpl.SerialNumber = big.NewInt(serial)
		tmpl.NotBefore, tmpl.NotAfter = testNotBefore, testNotAfter
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
		if err != nil {
			panic(err)
		}
		cert, err := x509.ParseCertificate(der)
		if err != nil {
			panic(err)
		}
		return cert
	}
	newCA := func(name string) (*x509.Certificate, ed25519.PrivateKey) {
		key := testEd25519Key(name)
		ca := issue(&x509.Certificate{
			Subject:               pkix.Name{CommonName: name},
			IsCA:                  true,
			BasicConstraintsValid: true,
			KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		}, nil, key.Public(), key)
		return ca, key
	}
	ca, caKey := newCA("clasp test CA")
	otherCA, otherCAKey := newCA("clasp untrusted test CA")
	leafFor := func(names []string, key crypto.Signer, parent *x509.Certificate, parentKey crypto.Signer) Certificate {
		cert := issue(&x509.Certificate{
			Subject:     pkix.Name{CommonName: names[0]},
			DNSNames:    names,
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		}, parent, key.Public(), parentKey)
		return Certificate{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}
	}
	p := &testPKI{caPool: x509.NewCertPool(), otherCAPool: x509.NewCertPool()}
	p.caPool.AddCert(ca)
	p.otherCAPool.AddCert(otherCA)
	localhost := []string{"localhost"}
	p.ecdsaLeaf = leafFor(localhost, testECDSAKey("ecdsa leaf"), ca, caKey)
	p.rsaLeaf = leafFor(localhost, testRSAKey(), ca, caKey)
	p.ed25519Leaf = leafFor(localhost, testEd25519Key("ed25519 leaf"), ca, caKey)
	p.sniA = leafFor([]string{"a.test"}, testECDSAKey("sni a"), ca, caKey)
	p.sniB = leafFor([]string{"b.test"}, testECDSAKey("sni b"), ca, caKey)
	p.clientECDSA = leafFor([]string{"client.test"}, testECDSAKey("client"), ca, caKey)
	p.clientOtherCA = leafFor([]string{"client.test"}, testECDSAKey("client other"), otherCA, otherCAKey)
	return p
}

// testClientConfig trusts the test CA and expects "localhost". These tests
// exercise the TLS 1.2 driver, so both helpers pin MaxVersion: they must
// keep doing so when a TLS 1.3 driver raises the default.
func testClientConfig(t testing.TB) *Config {
	return &Config{RootCAs: testCerts(t).caPool, ServerName: "localhost", MaxVersion: VersionTLS12}
}

// testServerConfig serves the given certificates (all three localhost
// leaves when none are given).
func testServerConfig(t testing.TB, certs ...Certificate) *Config {
	if len(certs) == 0 {
		p := testCerts(t)
		certs = []Certificate{p.ecdsaLeaf, p.rsaLeaf, p.ed25519Leaf}
	}
	return &Config{Certificates: certs, MaxVersion: VersionTLS12}
}

// testRand is a deterministic Config.Rand. ChaCha8 has a Read method.
func testRand(seed byte) io.Reader {
	return mrand.NewChaCha8([32]byte{seed, 'c', 'l', 'a', 's', 'p'})
}

// handshakeResult is what both ends of an in-process handshake saw.
type handshakeResult struct {
	client, server           *Conn
	clientErr, serverErr     error
	clientState, serverState ConnectionState
}

// testHandshake runs a clasp client against a clasp server over net.Pipe
// and waits for both handshakes to end. A side whose handshake fails closes
// its end, so that the other side sees EOF instead of waiting for bytes
// that will never come; the deadline only guards against a hung test.
func testHandshake(t testing.TB, clientCfg, serverCfg *Config) *handshakeResult {
	t.Helper()
	return testHandshakeConns(t, clientCfg, serverCfg, nil)
}

// testHandshakeConns is testHandshake with a hook that may wrap the client's
// transport (to observe or tamper with what it sends and receives).
func testHandshakeConns(t testing.TB, clientCfg, serverCfg *Config, wrapClient func(net.Conn) net.Conn) *handshakeResult {
	t.Helper()
	cRaw, sRaw := net.Pipe()
	deadline := time.Now().Add(20 * time.Second)
	_ = cRaw.SetDeadline(deadline)
	_ = sRaw.SetDeadline(deadline)
	t.Cleanup(func() { cRaw.Close(); sRaw.Close() })
	var cConn net.Conn = cRaw
	if wrapClient != nil {
		cConn = wrapClient(cRaw)
	}
	res := &handshakeResult{client: Client(cConn, clientCfg), server: Server(sRaw, serverCfg)}
	serverDone := make(chan struct{})
	go func() {
		defer close(serverDone)
		if res.serverErr = res.server.Handshake(); res.serverErr != nil {
			sRaw.Close()
		}
	}()
	if res.clientErr = res.client.Handshake(); res.clientErr != nil {
		cRaw.Close()
	}
	<-serverDone
	res.clientState = res.client.ConnectionState()
	res.serverState = res.server.ConnectionState()
	return res
}

// mustSucceed fails the test unless both sides completed the handshake.
func (r *handshakeResult) mustSucceed(t testing.TB) {
	t.Helper()
	if r.clientErr != nil || r.serverErr != nil {
		t.Fatalf("handshake failed:\n  client: %v\n  server: %v", r.clientErr, r.serverErr)
	}
	if !r.clientState.HandshakeComplete || !r.serverState.HandshakeComplete {
		t.Fatalf("HandshakeComplete: client %v, server %v", r.clientState.HandshakeComplete, r.serverState.HandshakeComplete)
	}
	if r.clientState.CipherSuite != r.serverState.CipherSuite || r.clientState.Version != r.serverState.Version {
		t.Fatalf("sides disagree: client %s %s, server %s %s",
			VersionName(r.clientState.Version), r.clientState.CipherSuiteName,
			VersionName(r.serverState.Version), r.serverState.CipherSuiteName)
	}
}

// exchange sends application data both ways, which proves that the keys
// installed at ChangeCipherSpec agree and that the record protection works
// past the Finished messages (several records, so CBC IV chaining and
// sequence numbers get exercised too).
func (r *handshakeResult) exchange(t testing.TB) {
	t.Helper()
	for _, dir := range []struct {
		name     string
		from, to *Conn
	}{{"client→server", r.client, r.server}, {"server→client", r.server, r.client}} {
		msg := bytes.Repeat([]byte(dir.name+" "), 3000) // > 2^14: two records
		errc := make(chan error, 1)
		go func() {
			_, err := dir.from.Write(msg)
			errc <- err
		}()
		got := make([]byte, len(msg))
		if _, err := io.ReadFull(dir.to, got); err != nil {
			t.Fatalf("%s: read: %v", dir.name, err)
		}
		if err := <-errc; err != nil {
			t.Fatalf("%s: write: %v", dir.name, err)
		}
		if !bytes.Equal(got, msg) {
			t.Fatalf("%s: data corrupted", dir.name)
		}
	}
}

// alertOf returns the alert a handshake error says was sent, or -1.
func alertOf(err error) int {
	var he *HandshakeError
	if errors.As(err, &he) && he.AlertSent {
		return int(he.Alert)
	}
	return -1
}

// receivedAlert returns the description of the peer's alert carried by err,
// or -1.
func receivedAlert(err error) int {
	var ae *AlertReceivedError
	if errors.As(err, &ae) {
		return int(ae.Description)
	}
	return -1
}

// wantSentAlert checks that err is a HandshakeError that sent desc.
func wantSentAlert(t testing.TB, side string, err error, desc wire.AlertDescription) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: handshake succeeded, want it to fail with %s", side, desc)
	}
	if got := alertOf(err); got != int(desc) {
		t.Fatalf("%s: sent alert %s, want %s (error: %v)", side, wire.AlertDescription(got), desc, err)
	}
}

// wantReceivedAlert checks that err carries the peer's alert desc.
func wantReceivedAlert(t testing.TB, side string, err error, desc wire.AlertDescription) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: handshake succeeded, want the peer's %s alert", side, desc)
	}
	if got := receivedAlert(err); got != int(desc) {
		t.Fatalf("%s: received alert %s, want %s (error: %v)", side, wire.AlertDescription(got), desc, err)
	}
}

// scriptedPeer plays one side of a handshake by hand: it reads clasp's
// records off a net.Pipe end and writes records it built itself, so a test
// can send exactly the message sequence it wants to probe.
type scriptedPeer struct {
	t     testing.TB
	conn  net.Conn
	hs    record.Assembler
	ctx   wire.Context
	recVs uint16 // record header version written
}

// clasp side of a scripted exchange: its handshake error arrives on done.
type scriptedRun struct {
	peer *scriptedPeer
	conn *Conn
	done chan error
}

// startScripted starts a clasp client (or server) with cfg on one end of a
// pipe and returns the scripted peer on the other. When clasp's handshake
// ends with an error it closes the Conn, so the peer reads EOF after any
// alert instead of blocking (and would see whatever Close sent).
func startScripted(t testing.TB, isClient bool, cfg *Config) *scriptedRun {
	t.Helper()
	// A loopback TCP pair, not net.Pipe: the kernel's buffers let clasp
	// finish a write (a TLS 1.3 server sends its ticket with its flight)
	// while the script reads record by record, as any real peer's socket
	// would.
	a, b := loopbackPair(t)
	run := &scriptedRun{peer: &scriptedPeer{t: t, conn: b, recVs: VersionTLS12}, done: make(chan error, 1)}
	if isClient {
		run.conn = Client(a, cfg)
	} else {
		run.conn = Server(a, cfg)
	}
	go func() {
		err := run.conn.Handshake()
		if err != nil {
			run.conn.Close()
		}
		run.done <- err
	}()
	return run
}

// wait returns clasp's handshake error.
func (r *scriptedRun) wait() error {
	r.peer.t.Helper()
	select {
	case err := <-r.done:
		return err
	case <-time.After(15 * time.Second):
		r.peer.t.Fatal("clasp handshake did not end")
		return nil
	}
}

// readRecord reads one plaintext record: the 5-byte header by hand, then
// the body.
func (p *scriptedPeer) readRecord() (wire.ContentType, []byte, error) {
	var hdr [5]byte
	if _, err := io.ReadFull(p.conn, hdr[:]); err != nil {
		return 0, nil, err
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(p.conn, body); err != nil {
		return 0, nil, err
	}
	return wire.ContentType(hdr[0]), body, nil
}

// readMessage reads the next handshake message clasp sent in plaintext.
func (p *scriptedPeer) readMessage() wire.Message {
	p.t.Helper()
	for {
		if raw, ok := p.hs.Next(); ok {
			msg, err := wire.ParseHandshake(raw, p.ctx)
			if err != nil {
				p.t.Fatalf("scripted peer: parsing clasp's message: %v", err)
			}
			return msg
		}
		typ, body, err := p.readRecord()
		if err != nil {
			p.t.Fatalf("scripted peer: reading clasp's handshake: %v", err)
		}
		if typ != wire.ContentHandshake {
			p.t.Fatalf("scripted peer: got a %v record (%x), want handshake", typ, body)
		}
		if err := p.hs.Add(body); err != nil {
			p.t.Fatal(err)
		}
	}
}

// readClientHello reads clasp's ClientHello.
func (p *scriptedPeer) readClientHello() *wire.ClientHello {
	p.t.Helper()
	msg := p.readMessage()
	ch, ok := msg.(*wire.ClientHello)
	if !ok {
		p.t.Fatalf("scripted peer: got %v, want ClientHello", msg.Type())
	}
	return ch
}

// readUntil reads clasp's handshake messages up to one of type want.
func (p *scriptedPeer) readUntil(want wire.HandshakeType) {
	p.t.Helper()
	for p.readMessage().Type() != want {
	}
}

// rawRecord frames body as one record.
func rawRecord(typ wire.ContentType, version uint16, body []byte) []byte {
	return append([]byte{byte(typ), byte(version >> 8), byte(version), byte(len(body) >> 8), byte(len(body))}, body...)
}

// handshakeRecord marshals msgs into one handshake record.
func (p *scriptedPeer) handshakeRecord(msgs ...wire.Message) []byte {
	p.t.Helper()
	var body []byte
	for _, m := range msgs {
		raw, err := m.Marshal()
		if err != nil {
			p.t.Fatalf("marshal %v: %v", m.Type(), err)
		}
		body = append(body, raw...)
	}
	return rawRecord(wire.ContentHandshake, p.recVs, body)
}

// send writes a whole flight in one Write. One Write matters on net.Pipe:
// clasp reads it in one go even if it then fails at the first message, so
// the peer is never left blocked in a second Write while clasp blocks
// writing its alert.
func (p *scriptedPeer) send(records ...[]byte) {
	p.t.Helper()
	if _, err := p.conn.Write(bytes.Join(records, nil)); err != nil {
		p.t.Fatalf("scripted peer: write: %v", err)
	}
}

// sendMessages sends msgs as one handshake record.
func (p *scriptedPeer) sendMessages(msgs ...wire.Message) {
	p.t.Helper()
	p.send(p.handshakeRecord(msgs...))
}

// expectAlert reads until clasp's alert and checks it is a fatal desc.
// Handshake records clasp sent before failing are skipped.
func (p *scriptedPeer) expectAlert(desc wire.AlertDescription) {
	p.t.Helper()
	for {
		typ, body, err := p.readRecord()
		if err != nil {
			p.t.Fatalf("scripted peer: no alert from clasp (want %s): %v", desc, err)
		}
		if typ != wire.ContentAlert {
			continue
		}
		alert, err := wire.ParseAlert(body)
		if err != nil {
			p.t.Fatal(err)
		}
		if alert.Level != wire.AlertLevelFatal || alert.Description != desc {
			p.t.Fatalf("scripted peer: clasp sent %s %s, want fatal %s", alert.Level, alert.Description, desc)
		}
		return
	}
}

// expectEOF checks that the next thing clasp does is close the
// connection: no further record, not even close_notify.
func (p *scriptedPeer) expectEOF() {
	p.t.Helper()
	if typ, body, err := p.readRecord(); err == nil {
		p.t.Fatalf("scripted peer: clasp sent a %v record (%x), want the connection closed", typ, body)
	}
}

// expectNoMoreBytes checks that clasp closed the connection without
// sending anything else (no alert).
func (p *scriptedPeer) expectNoMoreBytes() {
	p.t.Helper()
	var buf [1]byte
	if n, err := p.conn.Read(buf[:]); n != 0 || err == nil {
		p.t.Fatalf("scripted peer: clasp sent more bytes (%x), want the connection closed", buf[:n])
	}
}

// loopbackPair returns the two ends of a TCP connection over 127.0.0.1,
// closed when the test ends.
func loopbackPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			close(accepted)
			return
		}
		accepted <- c
	}()
	a, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	b, ok := <-accepted
	if !ok {
		t.Fatal("loopback accept failed")
	}
	// The deadline only guards against a hung test.
	deadline := time.Now().Add(10 * time.Second)
	_ = a.SetDeadline(deadline)
	_ = b.SetDeadline(deadline)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// handshakeBoth runs the handshakes of client and server, each other's
// peers, and fails the test unless both succeed.
func handshakeBoth(t testing.TB, client, server *Conn) {
	t.Helper()
	serverErr := make(chan error, 1)
	go func() { serverErr <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatal(err)
	}
	if err := <-serverErr; err != nil {
		t.Fatal(err)
	}
}

package clasp

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"net"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// recordWatcher passes a connection's bytes through and notes the content
// type and fragment length of every record read from it.
type recordWatcher struct {
	net.Conn
	mu      sync.Mutex
	pending []byte
	types   []wire.ContentType
	sizes   []int
}

func (w *recordWatcher) Read(b []byte) (int, error) {
	n, err := w.Conn.Read(b)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.pending = append(w.pending, b[:n]...)
	for len(w.pending) >= 5 {
		size := int(w.pending[3])<<8 | int(w.pending[4])
		if len(w.pending) < 5+size {
			break
		}
		w.types = append(w.types, wire.ContentType(w.pending[0]))
		w.sizes = append(w.sizes, size)
		w.pending = w.pending[5+size:]
	}
	return n, err
}

// checkProtectedSizes checks that every protected record seen carries at
// most limit bytes of plaintext (a TLS 1.3 AES-GCM record adds a 16-byte
// tag to TLSInnerPlaintext), and that at least one was full: the limit,
// not the data, cut it.
func (w *recordWatcher) checkProtectedSizes(t *testing.T, limit, overhead int) {
	t.Helper()
	w.mu.Lock()
	defer w.mu.Unlock()
	full := false
	for i, typ := range w.types {
		if typ != wire.ContentApplicationData {
			continue
		}
		if w.sizes[i]-overhead > limit {
			t.Errorf("record %d: %d bytes of protected plaintext, over the peer's limit of %d", i, w.sizes[i]-overhead, limit)
		}
		full = full || w.sizes[i]-overhead == limit
	}
	if !full {
		t.Errorf("no protected record reached the limit of %d: %v", limit, w.sizes)
	}
}

// RFC 8449 §4: a TLS 1.3 client that announces record_size_limit 256
// gets protected records of at most 256 bytes of TLSInnerPlaintext (255 of
// content and the content type), from EncryptedExtensions on: the server's
// flight (the certificate chain is larger than that) and its application
// data. The server answers with its own limit, 2^14+1.
func TestServerHonoursClientRecordSizeLimit13(t *testing.T) {
	run, p := startServer13(t, testServerConfig13(t))
	w := &recordWatcher{Conn: p.conn}
	p.conn = w
	ch, privs := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	ch.Extensions = append(ch.Extensions, &wire.RecordSizeLimitExt{Limit: 256})
	p.send(ch)
	p.flush()
	ee := p.readServerFlight(privs[suites.X25519], nil)
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](ee.Extensions); !ok || rsl.Limit != 1<<14+1 {
		t.Errorf("EncryptedExtensions record_size_limit %+v, want the server's own limit 2^14+1", rsl)
	}
	if _, ok := wire.FindExtension[*wire.ServerNameExt](ee.Extensions); !ok {
		t.Error("EncryptedExtensions does not acknowledge the client's server_name")
	}
	if sg, ok := wire.FindExtension[*wire.SupportedGroupsExt](ee.Extensions); !ok || len(sg.Groups) == 0 {
		t.Error("EncryptedExtensions does not list the server's groups")
	}
	p.finishAsClient(run)
	data := bytes.Repeat([]byte("record_size_limit "), 200)
	go func() { _, _ = run.conn.Write(data) }()
	if got := p.readApplicationData(len(data)); !bytes.Equal(got, data) {
		t.Fatal("application data garbled")
	}
	w.checkProtectedSizes(t, 256, 16)
}

// The other direction: a TLS 1.3 server that announces 64 in
// EncryptedExtensions gets client records of at most 64 bytes of
// TLSInnerPlaintext: the client's Finished and its application data. clasp
// offers the extension in its ClientHello, with 2^14+1.
func TestClientHonoursServerRecordSizeLimit13(t *testing.T) {
	run, p, ch := clientAfterHello13(t, nil)
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](ch.Extensions); !ok || rsl.Limit != 1<<14+1 {
		t.Fatalf("ClientHello record_size_limit %+v, want 2^14+1", rsl)
	}
	w := &recordWatcher{Conn: p.conn}
	p.conn = w
	p.sendFlightBeforeFinished(&wire.EncryptedExtensions{Extensions: []wire.Extension{&wire.RecordSizeLimitExt{Limit: 64}}})
	p.finishAsServer(run)
	data := bytes.Repeat([]byte{0x8e}, 1000)
	go func() { _, _ = run.conn.Write(data) }()
	if got := p.readApplicationData(len(data)); !bytes.Equal(got, data) {
		t.Fatal("application data garbled")
	}
	w.checkProtectedSizes(t, 64, 16)
}

// RFC 8449 §4: "A client MAY abort the handshake with an
// "illegal_parameter" alert if the record_size_limit extension includes a
// value greater than the maximum record size permitted by the negotiated
// protocol version"; a value below 64 MUST be refused so.
func TestClientRejectsServerRecordSizeLimitOutOfRange13(t *testing.T) {
	for _, limit := range []uint16{1<<14 + 2, 63} {
		clientRefusesEncryptedExtensions13(t, nil, wire.AlertIllegalParameter, nil, &wire.UnknownExt{Code: wire.ExtRecordSizeLimit, Data: []byte{byte(limit >> 8), byte(limit)}})
	}
}

// A server "MUST NOT enforce this restriction": a client's limit above
// 2^14+1 is not refused, and records stay within the protocol's limit.
func TestServerAcceptsClientRecordSizeLimitAboveMaximum13(t *testing.T) {
	run, p := startServer13(t, testServerConfig13(t))
	ch, _ := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	ch.Extensions = append(ch.Extensions, &wire.RecordSizeLimitExt{Limit: 0xffff})
	p.send(ch)
	p.flush()
	if msg, _ := p.readMessage(); msg.Type() != wire.TypeServerHello {
		t.Fatalf("server answered %v", msg.Type())
	}
	p.conn.Close()
	_ = run.wait()
	if got := peerPlaintextLimit(0xffff, true); got != 1<<14 {
		t.Fatalf("a limit of 65535 gives %d bytes of plaintext, want 2^14", got)
	}
}

// Two clasp peers negotiate the extension in both versions (each announces
// the protocol maximum, so nothing is cut).
func TestRecordSizeLimitBetweenClaspPeers(t *testing.T) {
	for _, v := range []uint16{VersionTLS12, VersionTLS13} {
		cli, srv := testClientConfig13(t), testServerConfig13(t)
		cli.MaxVersion, srv.MaxVersion = v, v
		r := testHandshake(t, cli, srv)
		if r.serverErr != nil || r.clientErr != nil {
			t.Fatalf("%#x: server %v, client %v", v, r.serverErr, r.clientErr)
		}
	}
}

// peer12 is a TLS 1.2 peer played by hand over clasp's record layer, for
// ECDHE-ECDSA with AES-128-GCM and the extended master secret.
type peer12 struct {
	t     *testing.T
	l     *record.Layer
	tr    *keys.Transcript
	hs    record.Assembler
	suite *suites.Suite
}

func newPeer12(t *testing.T, conn net.Conn) *peer12 {
	tr := keys.NewTranscript()
	suite := suites.SuiteByID(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	tr.SetHash(suites.VersionTLS12, suite.PRFHash)
	// The record version is set once the hellos are through, as clasp
	// does: a ClientHello record says TLS 1.0.
	return &peer12{t: t, l: record.NewLayer(conn), tr: tr, suite: suite}
}

func (p *peer12) send(msgs ...wire.Message) {
	p.t.Helper()
	for _, m := range msgs {
		raw := mustMarshal(p.t, m)
		p.tr.Write(raw)
		if err := p.l.WriteRecord(wire.ContentHandshake, raw); err != nil {
			p.t.Fatal(err)
		}
	}
	if err := p.l.Flush(); err != nil {
		p.t.Fatal(err)
	}
}

func (p *peer12) readMessage() wire.Message {
	p.t.Helper()
	for {
		if raw, ok := p.hs.Next(); ok {
			raw = bytes.Clone(raw)
			msg, err := wire.ParseHandshake(raw, wire.Context{Version: suites.VersionTLS12, KeyExchange: suites.KexECDHE})
			if err != nil {
				p.t.Fatal(err)
			}
			p.tr.Write(raw)
			return msg
		}
		typ, body, err := p.l.ReadRecord()
		if err != nil {
			p.t.Fatal(err)
		}
		if typ != wire.ContentHandshake {
			p.t.Fatalf("got a %v record, want handshake", typ)
		}
		if err := p.hs.Add(body); err != nil {
			p.t.Fatal(err)
		}
	}
}

// protections derives the connection keys (RFC 5246 §6.3).
func (p *peer12) protections(master []byte, clientRandom, serverRandom [32]byte) (client, server record.Protection) {
	p.t.Helper()
	macLen, keyLen, ivLen := keyLengths(suites.VersionTLS12, p.suite)
	kb := keys.DeriveKeyBlock(suites.VersionTLS12, p.suite.PRFHash, master, clientRandom[:], serverRandom[:], macLen, keyLen, ivLen)
	client, err := record.NewProtection(suites.VersionTLS12, p.suite.Cipher, p.suite.MAC, kb.ClientKey, kb.ClientIV, kb.ClientMACKey, rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	server, err = record.NewProtection(suites.VersionTLS12, p.suite.Cipher, p.suite.MAC, kb.ServerKey, kb.ServerIV, kb.ServerMACKey, rand.Reader)
	if err != nil {
		p.t.Fatal(err)
	}
	return client, server
}

func (p *peer12) writeCCS(prot record.Protection) {
	if err := p.l.WriteRecord(wire.ContentChangeCipherSpec, wire.ChangeCipherSpec); err != nil {
		p.t.Fatal(err)
	}
	p.l.SetWriteProtection(prot)
}

func (p *peer12) readCCS(prot record.Protection) {
	p.t.Helper()
	if typ, _, err := p.l.ReadRecord(); err != nil || typ != wire.ContentChangeCipherSpec {
		p.t.Fatalf("got %v (%v), want ChangeCipherSpec", typ, err)
	}
	p.l.SetReadProtection(prot)
}

// readApplicationData reads n bytes of application data.
func (p *peer12) readApplicationData(n int) []byte {
	p.t.Helper()
	var got []byte
	for len(got) < n {
		typ, body, err := p.l.ReadRecord()
		if err != nil {
			p.t.Fatal(err)
		}
		if typ == wire.ContentApplicationData {
			got = append(got, body...)
		}
	}
	return got
}

// The TLS 1.2 server: a client announcing 256 gets records of at most 256
// bytes of plaintext once the server's ChangeCipherSpec has switched to
// protected records (an AES-GCM TLS 1.2 record adds an 8-byte explicit
// nonce and a 16-byte tag). The ServerHello carries the server's own
// limit, 2^14, and acknowledges the client's server_name.
func TestServerHonoursClientRecordSizeLimit12(t *testing.T) {
	cfg := testServerConfig13(t)
	cfg.MaxVersion = VersionTLS12
	run := startScripted(t, false, cfg)
	w := &recordWatcher{Conn: run.peer.conn}
	p := newPeer12(t, w)
	ch := scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	ch.Extensions = append(ch.Extensions, &wire.RecordSizeLimitExt{Limit: 256})
	p.send(ch)
	sh := p.readMessage().(*wire.ServerHello)
	p.l.SetVersion(suites.VersionTLS12)
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](sh.Extensions); !ok || rsl.Limit != 1<<14 {
		t.Errorf("ServerHello record_size_limit %+v, want the server's own limit 2^14", rsl)
	}
	if sni, ok := wire.FindExtension[*wire.ServerNameExt](sh.Extensions); !ok || sni.HostName != "" {
		t.Errorf("ServerHello server_name %+v, want an empty acknowledgement", sni)
	}
	p.readMessage() // Certificate
	ske := p.readMessage().(*wire.ServerKeyExchange)
	p.readMessage() // ServerHelloDone
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serverPub, err := ecdh.X25519().NewPublicKey(ske.ECDHE.Public)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := priv.ECDH(serverPub)
	if err != nil {
		t.Fatal(err)
	}
	p.send(&wire.ClientKeyExchange{KeyExchange: suites.KexECDHE, Data: priv.PublicKey().Bytes()})
	master := keys.ExtendedMasterSecret(suites.VersionTLS12, p.suite.PRFHash, shared, p.tr.Sum())
	clientProt, serverProt := p.protections(master, ch.Random, sh.Random)
	p.writeCCS(clientProt)
	p.send(&wire.Finished{VerifyData: keys.FinishedVerifyData(suites.VersionTLS12, p.suite.PRFHash, master, true, p.tr.Sum())})
	p.readCCS(serverProt)
	if _, ok := p.readMessage().(*wire.Finished); !ok {
		t.Fatal("no server Finished")
	}
	if err := run.wait(); err != nil {
		t.Fatalf("server: %v", err)
	}
	data := bytes.Repeat([]byte("record_size_limit "), 200)
	go func() { _, _ = run.conn.Write(data) }()
	if got := p.readApplicationData(len(data)); !bytes.Equal(got, data) {
		t.Fatal("application data garbled")
	}
	w.checkProtectedSizes(t, 256, 24)
}

// The TLS 1.2 client: a server announcing 64 in its ServerHello gets
// protected records of at most 64 bytes of plaintext from the client's
// ChangeCipherSpec on.
func TestClientHonoursServerRecordSizeLimit12(t *testing.T) {
	cfg := testClientConfig13(t)
	cfg.MaxVersion = VersionTLS12
	run := startScripted(t, true, cfg)
	w := &recordWatcher{Conn: run.peer.conn}
	p := newPeer12(t, w)
	ch := p.readMessage().(*wire.ClientHello)
	p.l.SetVersion(suites.VersionTLS12)
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](ch.Extensions); !ok || rsl.Limit != 1<<14 {
		t.Fatalf("TLS 1.2-only ClientHello record_size_limit %+v, want 2^14", rsl)
	}
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	sh.SessionID = []byte{}
	sh.Extensions = append(sh.Extensions, &wire.RecordSizeLimitExt{Limit: 64})
	leaf := testCerts(t).ecdsaLeaf
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ske := &wire.ServerKeyExchange{KeyExchange: suites.KexECDHE,
		ECDHE: &wire.ECDHEParams{CurveType: wire.CurveTypeNamedCurve, Group: suites.X25519, Public: priv.PublicKey().Bytes()}}
	sig, err := signature.Sign(leaf.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256, rand.Reader, signedParams(ch.Random[:], sh.Random[:], ske.Params()))
	if err != nil {
		t.Fatal(err)
	}
	ske.Signature = &wire.DigitallySigned{HasScheme: true, Scheme: suites.ECDSAWithP256AndSHA256, Signature: sig}
	p.send(sh, &wire.Certificate{Certificates: leaf.Certificate}, ske, &wire.ServerHelloDone{})
	cke := p.readMessage().(*wire.ClientKeyExchange)
	clientPub, err := ecdh.X25519().NewPublicKey(cke.Data)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := priv.ECDH(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	master := keys.ExtendedMasterSecret(suites.VersionTLS12, p.suite.PRFHash, shared, p.tr.Sum())
	clientProt, serverProt := p.protections(master, ch.Random, sh.Random)
	p.readCCS(clientProt)
	if _, ok := p.readMessage().(*wire.Finished); !ok {
		t.Fatal("no client Finished")
	}
	p.writeCCS(serverProt)
	p.send(&wire.Finished{VerifyData: keys.FinishedVerifyData(suites.VersionTLS12, p.suite.PRFHash, master, false, p.tr.Sum())})
	if err := run.wait(); err != nil {
		t.Fatalf("client: %v", err)
	}
	data := bytes.Repeat([]byte{0x8e}, 1000)
	go func() { _, _ = run.conn.Write(data) }()
	if got := p.readApplicationData(len(data)); !bytes.Equal(got, data) {
		t.Fatal("application data garbled")
	}
	w.checkProtectedSizes(t, 64, 24)
}

// A TLS 1.2 client refuses a server limit above 2^14 (RFC 8449 §4: MAY).
func TestClientRejectsServerRecordSizeLimitOver2To14(t *testing.T) {
	cfg := testClientConfig13(t)
	cfg.MaxVersion = VersionTLS12
	clientRefusesServerHello12(t, cfg, suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, &wire.RecordSizeLimitExt{Limit: 1<<14 + 1})
	})
}

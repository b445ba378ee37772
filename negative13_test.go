package clasp

import (
	"bytes"
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"io"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/signature"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// TLS 1.3 negative tests: a scripted peer that runs its own TLS 1.3 key
// schedule (internal/keys) and record protection (internal/record) sends
// what a correct peer never would, and clasp must fail with the alert RFC
// 8446 names, at the step where the problem becomes visible.

// ---- a scripted TLS 1.3 peer ----

// peer13 is one side of a TLS 1.3 handshake played by hand. It frames
// records itself, so that it can send what clasp's record layer never would
// (an unprotected record after the keys changed, an oversized one) and read
// clasp's unprotected alerts after its own keys changed.
type peer13 struct {
	t    testing.TB
	conn net.Conn
	hs   record.Assembler
	tr   *keys.Transcript

	suite    *suites.Suite
	sched    *keys.Schedule13
	cHS, sHS []byte // handshake traffic secrets
	cAP, sAP []byte // application traffic secrets

	rd, wr       record.InnerTypeProtection
	rdSeq, wrSeq uint64
	out          []byte // records queued, sent by flush in one Write
}

func newPeer13(t testing.TB, conn net.Conn) *peer13 {
	return &peer13{t: t, conn: conn, tr: keys.NewTranscript()}
}

// readRecord reads one record and decrypts it when read keys are installed
// and it is protected; unprotected records (a compatibility CCS, an alert
// sent before the sender switched keys) come back as they are.
func (p *peer13) readRecord() (wire.ContentType, []byte, error) {
	typ, _, body, err := p.readRecordProtected()
	return typ, body, err
}

// readRecordProtected is readRecord that also says whether the record
// was protected.
func (p *peer13) readRecordProtected() (typ wire.ContentType, protected bool, body []byte, err error) {
	var hdr [5]byte
	if _, err := io.ReadFull(p.conn, hdr[:]); err != nil {
		return 0, false, nil, err
	}
	body = make([]byte, int(hdr[3])<<8|int(hdr[4]))
	if _, err := io.ReadFull(p.conn, body); err != nil {
		return 0, false, nil, err
	}
	typ = wire.ContentType(hdr[0])
	if typ != wire.ContentApplicationData || p.rd == nil {
		return typ, false, body, nil
	}
	seq := p.rdSeq
	p.rdSeq++
	typ, body, err = p.rd.OpenInner(seq, typ, suites.VersionTLS12, body)
	return typ, true, body, err
}

// readMessage returns clasp's next handshake message and its bytes, which
// it adds to the transcript. Compatibility CCS records are skipped.
func (p *peer13) readMessage() (wire.Message, []byte) {
	p.t.Helper()
	for {
		if raw, ok := p.hs.Next(); ok {
			raw = bytes.Clone(raw)
			msg, err := wire.ParseHandshake(raw, wire.Context{Version: suites.VersionTLS13})
			if err != nil {
				p.t.Fatalf("scripted peer: parsing clasp's message: %v", err)
			}
			p.tr.Write(raw)
			return msg, raw
		}
		typ, body, err := p.readRecord()
		if err != nil {
			p.t.Fatalf("scripted peer: reading clasp's handshake: %v", err)
		}
		switch typ {
		case wire.ContentChangeCipherSpec:
		case wire.ContentHandshake:
			if err := p.hs.Add(body); err != nil {
				p.t.Fatal(err)
			}
		default:
			p.t.Fatalf("scripted peer: got a %v record (%x), want handshake", typ, body)
		}
	}
}

func (p *peer13) readClientHello() (*wire.ClientHello, []byte) {
	p.t.Helper()
	msg, raw := p.readMessage()
	ch, ok := msg.(*wire.ClientHello)
	if !ok {
		p.t.Fatalf("scripted peer: got %v, want ClientHello", msg.Type())
	}
	return ch, raw
}

// writeRecord queues one record, protected when write keys are installed.
func (p *peer13) writeRecord(typ wire.ContentType, payload []byte) {
	p.t.Helper()
	if p.wr == nil {
		p.out = append(p.out, rawRecord(typ, VersionTLS12, payload)...)
		return
	}
	ct, err := p.wr.Seal(nil, p.wrSeq, typ, suites.VersionTLS12, payload)
	if err != nil {
		p.t.Fatal(err)
	}
	p.wrSeq++
	p.out = append(p.out, rawRecord(wire.ContentApplicationData, VersionTLS12, ct)...)
}

// send queues msgs, one record each, and adds them to the transcript.
func (p *peer13) send(msgs ...wire.Message) {
	p.t.Helper()
	for _, m := range msgs {
		raw, err := m.Marshal()
		if err != nil {
			p.t.Fatalf("marshal %v: %v", m.Type(), err)
		}
		p.tr.Write(raw)
		p.writeRecord(wire.ContentHandshake, raw)
	}
}

// flush sends everything queued in one Write (see scriptedPeer.send).
func (p *peer13) flush() {
	p.t.Helper()
	if _, err := p.conn.Write(p.out); err != nil {
		p.t.Fatalf("scripted peer: write: %v", err)
	}
	p.out = nil
}

// expectAlert reads until clasp's alert and checks it is a fatal desc.
// Once the peer has read keys installed, the alert must arrive protected
// under them (RFC 8446 §5.1: records are protected under the current
// traffic keys, alerts included): an unprotected alert, or one under keys
// the peer is not reading with, is one a real peer cannot read.
func (p *peer13) expectAlert(desc wire.AlertDescription) {
	p.t.Helper()
	for {
		typ, protected, body, err := p.readRecordProtected()
		if err != nil {
			p.t.Fatalf("scripted peer: no readable alert from clasp (want %s): %v", desc, err)
		}
		if typ != wire.ContentAlert {
			continue
		}
		if p.rd != nil && !protected {
			p.t.Fatalf("scripted peer: clasp sent its alert (%x) unprotected, but the peer reads under traffic keys", body)
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

func (p *peer13) setSuite(id suites.ID) {
	p.suite = suites.SuiteByID(id)
	p.tr.SetHash(suites.VersionTLS13, p.suite.PRFHash)
}

func (p *peer13) protection(secret []byte) record.InnerTypeProtection {
	p.t.Helper()
	info := p.suite.Cipher.Info()
	key, iv := keys.TrafficKey(p.suite.PRFHash, secret, info.KeyLen, info.NonceLen)
	prot, err := record.NewProtectionTLS13(p.suite.Cipher, key, iv)
	if err != nil {
		p.t.Fatal(err)
	}
	return prot
}

// deriveHandshake runs the key schedule up to the handshake traffic
// secrets over the transcript so far (which ends with the ServerHello).
func (p *peer13) deriveHandshake(psk, shared []byte) {
	p.sched = keys.NewSchedule13(p.suite.PRFHash, psk)
	p.sched.SetSharedSecret(shared)
	th := p.tr.Sum()
	p.cHS = p.sched.ClientHandshakeTrafficSecret(th)
	p.sHS = p.sched.ServerHandshakeTrafficSecret(th)
}

// deriveApplication derives the application traffic secrets over the
// transcript so far (which ends with the server Finished).
func (p *peer13) deriveApplication() {
	p.sched.SetMasterSecret()
	th := p.tr.Sum()
	p.cAP = p.sched.ClientApplicationTrafficSecret(th)
	p.sAP = p.sched.ServerApplicationTrafficSecret(th)
}

func (p *peer13) finished(baseKey []byte) *wire.Finished {
	return &wire.Finished{VerifyData: keys.FinishedVerifyData13(p.suite.PRFHash, baseKey, p.tr.Sum())}
}

// setKeys installs traffic secrets: read is the peer's, write this side's.
func (p *peer13) setKeys(read, write []byte) {
	p.rd, p.rdSeq = p.protection(read), 0
	p.wr, p.wrSeq = p.protection(write), 0
}

// ---- the scripted peer as a TLS 1.3 server ----

func testClientConfig13(t testing.TB) *Config {
	return &Config{RootCAs: testCerts(t).caPool, ServerName: "localhost"}
}

// notAskingForStatus makes a client leave status_request and
// signed_certificate_timestamp out of its hello (and keep every other
// extension it sends by default), for tests of a server that sends them
// unasked.
func notAskingForStatus(cfg *Config) *Config {
	cfg.ClientHelloExtensions = []uint16{
		uint16(wire.ExtServerName), uint16(wire.ExtSupportedGroups), uint16(wire.ExtECPointFormats),
		uint16(wire.ExtSignatureAlgorithms), uint16(wire.ExtALPN), uint16(wire.ExtExtendedMasterSecret),
		uint16(wire.ExtRenegotiationInfo), uint16(wire.ExtSupportedVersions), uint16(wire.ExtKeyShare),
		uint16(wire.ExtPSKKeyExchangeModes), uint16(wire.ExtRecordSizeLimit),
	}
	return cfg
}

func testServerConfig13(t testing.TB, certs ...Certificate) *Config {
	if len(certs) == 0 {
		p := testCerts(t)
		certs = []Certificate{p.ecdsaLeaf, p.rsaLeaf, p.ed25519Leaf}
	}
	return &Config{Certificates: certs}
}

// startClient13 starts a clasp client (testClientConfig13 when cfg is nil)
// against a scripted TLS 1.3 server and reads its ClientHello.
func startClient13(t *testing.T, cfg *Config) (*scriptedRun, *peer13, *wire.ClientHello) {
	t.Helper()
	if cfg == nil {
		cfg = testClientConfig13(t)
	}
	run := startScripted(t, true, cfg)
	p := newPeer13(t, run.peer.conn)
	ch, _ := p.readClientHello()
	return run, p, ch
}

// serverHello13 answers ch with TLS_AES_128_GCM_SHA256 and an X25519 share
// (which clasp's default client sends next to its hybrid share). It returns
// the (EC)DHE shared secret.
func serverHello13(t testing.TB, ch *wire.ClientHello) (*wire.ServerHello, []byte) {
	t.Helper()
	ks, ok := wire.FindExtension[*wire.KeyShareExt](ch.Extensions)
	if !ok {
		t.Fatal("ClientHello without key_share")
	}
	i := slices.IndexFunc(ks.Entries, func(e wire.KeyShareEntry) bool { return e.Group == suites.X25519 })
	if i < 0 {
		t.Fatal("ClientHello without an X25519 share")
	}
	clientPub, err := ecdh.X25519().NewPublicKey(ks.Entries[i].KeyExchange)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	shared, err := priv.ECDH(clientPub)
	if err != nil {
		t.Fatal(err)
	}
	sh := &wire.ServerHello{Version: suites.VersionTLS12, SessionID: ch.SessionID, CipherSuite: suites.TLS_AES_128_GCM_SHA256,
		Extensions: []wire.Extension{
			&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
			&wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: suites.X25519, KeyExchange: priv.PublicKey().Bytes()}}},
		}}
	copy(sh.Random[:], bytes.Repeat([]byte{0x5e}, 32))
	return sh, shared
}

// acceptHello sends sh and a compatibility CCS and switches to the
// handshake traffic keys.
func (p *peer13) acceptHello(sh *wire.ServerHello, shared []byte) {
	p.setSuite(sh.CipherSuite)
	p.send(sh)
	p.writeRecord(wire.ContentChangeCipherSpec, wire.ChangeCipherSpec)
	p.deriveHandshake(nil, shared)
	p.setKeys(p.cHS, p.sHS)
}

// clientAfterHello13 starts a clasp client with cfg (see startClient13),
// answers its ClientHello with serverHello13 and a compatibility CCS
// (acceptHello: queued, not yet sent) and switches to the handshake keys.
func clientAfterHello13(t *testing.T, cfg *Config) (*scriptedRun, *peer13, *wire.ClientHello) {
	t.Helper()
	run, p, ch := startClient13(t, cfg)
	sh, shared := serverHello13(t, ch)
	p.acceptHello(sh, shared)
	return run, p, ch
}

// clientRefusesEncryptedExtensions13 starts a clasp client with cfg (see
// startClient13), runs check (when not nil) on its ClientHello, answers it
// with serverHello13 and EncryptedExtensions carrying exts, and checks that
// the client aborts with desc while reading them.
func clientRefusesEncryptedExtensions13(t *testing.T, cfg *Config, desc wire.AlertDescription, check func(ch *wire.ClientHello), exts ...wire.Extension) {
	t.Helper()
	run, p, ch := clientAfterHello13(t, cfg)
	if check != nil {
		check(ch)
	}
	p.send(&wire.EncryptedExtensions{Extensions: exts})
	p.flush()
	p.expectAlert(desc)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", desc)
}

// sendFlightBeforeFinished queues, after clientAfterHello13, ee and a
// Certificate and CertificateVerify for the ECDSA leaf: the scripted
// server's flight but for its Finished.
func (p *peer13) sendFlightBeforeFinished(ee *wire.EncryptedExtensions) {
	p.t.Helper()
	leaf := testCerts(p.t).ecdsaLeaf
	p.send(ee, certificate13(leaf))
	p.send(p.certificateVerify(leaf, suites.ECDSAWithP256AndSHA256, serverSignatureContext))
}

// finishAsServer sends the server's Finished after sendFlightBeforeFinished,
// reads the clasp client's Finished, waits for its handshake to succeed and
// installs the application keys.
func (p *peer13) finishAsServer(run *scriptedRun) {
	p.t.Helper()
	p.send(p.finished(p.sHS))
	p.flush()
	p.deriveApplication()
	if msg, _ := p.readMessage(); msg.Type() != wire.TypeFinished {
		p.t.Fatalf("client sent %v, want Finished", msg.Type())
	}
	p.setKeys(p.cAP, p.sAP)
	if err := run.wait(); err != nil {
		p.t.Fatalf("client handshake: %v", err)
	}
}

// readApplicationData reads n bytes of clasp's application data.
func (p *peer13) readApplicationData(n int) []byte {
	p.t.Helper()
	var got []byte
	for len(got) < n {
		typ, body, err := p.readRecord()
		if err != nil {
			p.t.Fatal(err)
		}
		if typ == wire.ContentApplicationData {
			got = append(got, body...)
		}
	}
	return got
}

func certificate13(cert Certificate) *wire.Certificate13 {
	msg := &wire.Certificate13{}
	for _, der := range cert.Certificate {
		msg.Entries = append(msg.Entries, wire.CertificateEntry{Data: der})
	}
	return msg
}

// certificateVerify signs the transcript so far with cert's key. It does
// not check that scheme is allowed in TLS 1.3: that is what tests probe.
func (p *peer13) certificateVerify(cert Certificate, scheme suites.SignatureScheme, context string) *wire.CertificateVerify {
	p.t.Helper()
	sig, err := signature.Sign(cert.PrivateKey.(crypto.Signer), scheme, rand.Reader, signedContent13(context, p.tr.Sum()))
	if err != nil {
		p.t.Fatal(err)
	}
	return &wire.CertificateVerify{Signature: wire.DigitallySigned{HasScheme: true, Scheme: scheme, Signature: sig}}
}

// helloRetryRequest13 is a HelloRetryRequest for TLS_AES_128_GCM_SHA256
// with exts after supported_versions.
func helloRetryRequest13(ch *wire.ClientHello, exts ...wire.Extension) *wire.ServerHello {
	return &wire.ServerHello{Version: suites.VersionTLS12, Random: wire.HelloRetryRequestRandom, SessionID: ch.SessionID,
		CipherSuite: suites.TLS_AES_128_GCM_SHA256,
		Extensions:  append([]wire.Extension{&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}}}, exts...)}
}

// clientRefusesServerHello13 starts a clasp client with cfg (see
// startClient13), answers it with serverHello13 changed by edit (which also
// sees the ClientHello, to check what the client offered), and checks that
// the client aborts with desc while reading the ServerHello.
func clientRefusesServerHello13(t *testing.T, cfg *Config, desc wire.AlertDescription, edit func(ch *wire.ClientHello, sh *wire.ServerHello)) {
	t.Helper()
	run, p, ch := startClient13(t, cfg)
	sh, _ := serverHello13(t, ch)
	edit(ch, sh)
	p.send(sh)
	p.flush()
	p.expectAlert(desc)
	wantClaspFailure(t, run.wait(), "read ServerHello", desc)
}

// ---- client against a scripted TLS 1.3 server: HelloRetryRequest ----

// clientAfterRetry13 starts a default clasp client, answers its ClientHello
// with a HelloRetryRequest for P-256 and returns its second ClientHello.
func clientAfterRetry13(t *testing.T) (*scriptedRun, *peer13, *wire.ClientHello) {
	t.Helper()
	run, p, ch := startClient13(t, nil)
	p.send(helloRetryRequest13(ch, &wire.KeyShareExt{SelectedGroup: suites.Secp256r1}))
	p.flush()
	ch2, _ := p.readClientHello()
	return run, p, ch2
}

// clientRefusesHelloRetryRequest13 starts a clasp client with cfg (see
// startClient13), answers it with helloRetryRequest13 carrying exts, and
// checks that the client aborts with desc while reading it.
func clientRefusesHelloRetryRequest13(t *testing.T, cfg *Config, desc wire.AlertDescription, exts ...wire.Extension) {
	t.Helper()
	run, p, ch := startClient13(t, cfg)
	p.send(helloRetryRequest13(ch, exts...))
	p.flush()
	p.expectAlert(desc)
	wantClaspFailure(t, run.wait(), "read ServerHello", desc)
}

// serverHelloAfterRetry13 is a ServerHello answering the second ClientHello
// ch2 with suite and the one key share.
func serverHelloAfterRetry13(ch2 *wire.ClientHello, suite suites.ID, share wire.KeyShareEntry) *wire.ServerHello {
	return &wire.ServerHello{Version: suites.VersionTLS12, SessionID: ch2.SessionID, CipherSuite: suite,
		Extensions: []wire.Extension{
			&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
			&wire.KeyShareExt{Entries: []wire.KeyShareEntry{share}},
		}}
}

// RFC 8446 §4.1.4: "If a client receives a second HelloRetryRequest in
// the same connection (i.e., where the ClientHello was itself in response
// to a HelloRetryRequest), it MUST abort the handshake with an
// "unexpected_message" alert."
func TestClientRejectsSecondHelloRetryRequest(t *testing.T) {
	run, p, ch2 := clientAfterRetry13(t)
	if ks, _ := wire.FindExtension[*wire.KeyShareExt](ch2.Extensions); ks == nil || len(ks.Entries) != 1 || ks.Entries[0].Group != suites.Secp256r1 {
		t.Fatalf("second ClientHello key_share %+v, want one P-256 share", ks)
	}
	p.send(helloRetryRequest13(ch2, &wire.KeyShareExt{SelectedGroup: suites.Secp384r1}))
	p.flush()
	p.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
}

// RFC 8446 §4.1.4: "Clients MUST abort the handshake with an
// "illegal_parameter" alert if the HelloRetryRequest would not result in
// any change in the ClientHello."
func TestClientRejectsHelloRetryRequestThatChangesNothing(t *testing.T) {
	clientRefusesHelloRetryRequest13(t, nil, wire.AlertIllegalParameter)
}

// RFC 8446 §4.2.8: the selected_group "MUST correspond to a group which was
// provided in the "supported_groups" extension in the original ClientHello".
func TestClientRejectsHelloRetryRequestForGroupNotOffered(t *testing.T) {
	cfg := testClientConfig13(t)
	cfg.Groups = []CurveID{X25519, CurveP256}
	clientRefusesHelloRetryRequest13(t, cfg, wire.AlertIllegalParameter, &wire.KeyShareExt{SelectedGroup: suites.Secp384r1})
}

// RFC 8446 §4.2.8: the selected_group "MUST NOT correspond to a group which
// was provided in the "key_share" extension in the original ClientHello".
func TestClientRejectsHelloRetryRequestForGroupAlreadyShared(t *testing.T) {
	for _, g := range []suites.Group{suites.X25519MLKEM768, suites.X25519} { // the default client shares both
		t.Run(g.String(), func(t *testing.T) {
			clientRefusesHelloRetryRequest13(t, nil, wire.AlertIllegalParameter, &wire.KeyShareExt{SelectedGroup: g})
		})
	}
}

// RFC 8446 §4.1.4: the ServerHello after a HelloRetryRequest must carry the
// share for the group the HelloRetryRequest asked for.
func TestClientRejectsServerHelloShareForAnotherGroupAfterHelloRetryRequest(t *testing.T) {
	run, p, ch2 := clientAfterRetry13(t)
	p.send(serverHelloAfterRetry13(ch2, suites.TLS_AES_128_GCM_SHA256, wire.KeyShareEntry{Group: suites.X25519, KeyExchange: bytes.Repeat([]byte{9}, 32)}))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

// ---- client against a scripted TLS 1.3 server: ServerHello ----

// RFC 8446 §4.2.1: "If the "supported_versions" extension in the
// ServerHello contains a version not offered by the client or contains a
// version prior to TLS 1.3, the client MUST abort the handshake with an
// "illegal_parameter" alert."
func TestClientRejectsServerHelloVersionNotOffered(t *testing.T) {
	for _, v := range []suites.Version{suites.VersionTLS12, 0x0305, 0x7f1c} {
		t.Run(v.String(), func(t *testing.T) {
			clientRefusesServerHello13(t, nil, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				sh.Extensions[0] = &wire.SupportedVersionsExt{Versions: []suites.Version{v}}
			})
		})
	}
}

// RFC 8446 §4.1.3: "A client which receives a legacy_session_id_echo field
// that does not match what it sent in the ClientHello MUST abort the
// handshake with an "illegal_parameter" alert."
func TestClientRejectsServerHelloWithoutSessionIDEcho(t *testing.T) {
	for name, mutate := range map[string]func([]byte) []byte{
		"empty":   func([]byte) []byte { return nil },
		"changed": func(id []byte) []byte { id = bytes.Clone(id); id[0] ^= 1; return id },
	} {
		t.Run(name, func(t *testing.T) {
			clientRefusesServerHello13(t, nil, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				if len(ch.SessionID) != 32 {
					t.Fatalf("compatibility mode: legacy_session_id of %d bytes, want 32", len(ch.SessionID))
				}
				sh.SessionID = mutate(ch.SessionID)
			})
		})
	}
}

// resumingClient13 is a client config whose cache holds a TLS 1.3 ticket
// for "localhost" (TLS_AES_128_GCM_SHA256), so that its ClientHello offers
// a PSK; the session is returned for the scripted server's key schedule.
func resumingClient13(t testing.TB) (*Config, *ClientSessionState) {
	cs := &ClientSessionState{version: suites.VersionTLS13, suite: suites.SuiteByID(suites.TLS_AES_128_GCM_SHA256),
		psk: bytes.Repeat([]byte{7}, 32), ticket: []byte("a ticket"), lifetime: time.Hour, receivedAt: time.Now()}
	cfg := testClientConfig13(t)
	cfg.ClientSessionCache = NewLRUClientSessionCache(1)
	cfg.ClientSessionCache.Put("localhost", cs)
	return cfg, cs
}

// pskServerHello resumes with the first offered PSK; withShare keeps the
// (EC)DHE key share (psk_dhe_ke), otherwise the ServerHello is psk_ke.
func pskServerHello(t testing.TB, ch *wire.ClientHello, withShare bool) (*wire.ServerHello, []byte) {
	t.Helper()
	if _, ok := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions); !ok {
		t.Fatal("the client offered no PSK")
	}
	sh, shared := serverHello13(t, ch)
	psk := &wire.PreSharedKeyExt{SelectedIdentity: 0}
	if !withShare {
		sh.Extensions = []wire.Extension{sh.Extensions[0], psk}
		return sh, nil
	}
	sh.Extensions = append(sh.Extensions, psk)
	return sh, shared
}

// RFC 8446 §4.2.9: "Servers MUST NOT select a key exchange mode that is
// not listed by the client" (and §4.1.1). clasp offers only psk_dhe_ke; a
// ServerHello that resumes without a key_share is psk_ke, which would give
// up forward secrecy. The RFC names no alert for the client; OpenSSL 3's
// client sends missing_extension ("no suitable key share", found by
// running s_client against a scripted server), and so must clasp.
func TestClientRejectsPSKKEWhenOnlyPSKDHEOffered(t *testing.T) {
	cfg, _ := resumingClient13(t)
	run, p, ch := startClient13(t, cfg)
	modes, _ := wire.FindExtension[*wire.PSKKeyExchangeModesExt](ch.Extensions)
	if modes == nil || !slices.Equal(modes.Modes, []uint8{wire.PSKModeDHEKE}) {
		t.Fatalf("psk_key_exchange_modes %+v, want only psk_dhe_ke", modes)
	}
	sh, _ := pskServerHello(t, ch, false)
	p.send(sh)
	p.flush()
	p.expectAlert(wire.AlertMissingExtension)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertMissingExtension)
	if _, ok := cfg.ClientSessionCache.Get("localhost"); ok {
		t.Error("the ticket is still cached after the handshake failed")
	}
}

// A TLS 1.3 ServerHello with neither key_share nor pre_shared_key leaves
// no key exchange at all (RFC 8446 §4.1.1: the server selects (EC)DHE, a
// PSK, or both). The RFC names no alert for the client; OpenSSL 3 sends
// missing_extension from the same check as for psk_ke ("no suitable key
// share"), and so does clasp.
func TestClientRejectsServerHelloWithoutKeyShareOrPSK(t *testing.T) {
	clientRefusesServerHello13(t, nil, wire.AlertMissingExtension, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = sh.Extensions[:1] // supported_versions only
	})
}

// RFC 8446 §4.2.11: "Clients MUST verify that the server's
// selected_identity is within the range supplied by the client ... If
// these values are not consistent, the client MUST abort the handshake
// with an "illegal_parameter" alert." The client offered one identity.
func TestClientRejectsPSKIdentityOutOfRange(t *testing.T) {
	cfg, _ := resumingClient13(t)
	clientRefusesServerHello13(t, cfg, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
		sh.Extensions = append(sh.Extensions, &wire.PreSharedKeyExt{SelectedIdentity: 1})
	})
}

// RFC 8446 §4.2: "If an implementation receives an extension which it
// recognizes and which it did not send in the ClientHello (except for the
// "cookie" extension in the HelloRetryRequest), it MUST abort the
// handshake with an "unsupported_extension" alert." In a TLS 1.3
// ServerHello: pre_shared_key from a client that offered no ticket, an
// extension clasp does not know. ALPN the client did not offer breaks
// that rule and also the one that it is "not specified for the message";
// OpenSSL 3 checks the message first (illegal_parameter), and so does
// clasp (checkPeerExtensions).
func TestClientRejectsUnofferedServerHelloExtension13(t *testing.T) {
	for name, tc := range map[string]struct {
		ext  wire.Extension
		want wire.AlertDescription
	}{
		"pre_shared_key": {&wire.PreSharedKeyExt{SelectedIdentity: 0}, wire.AlertUnsupportedExtension},
		"unknown":        {&wire.UnknownExt{Code: 0x1234, Data: []byte{1}}, wire.AlertUnsupportedExtension},
		"alpn":           {&wire.ALPNExt{Protocols: []string{"h2"}}, wire.AlertIllegalParameter},
	} {
		t.Run(name, func(t *testing.T) {
			clientRefusesServerHello13(t, nil, tc.want, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				sh.Extensions = append(sh.Extensions, tc.ext)
			})
		})
	}
}

// RFC 8446 §4.2: "If an implementation receives an extension which it
// recognizes and which is not specified for the message in which it
// appears, it MUST abort the handshake with an "illegal_parameter"
// alert." server_name, supported_groups and record_size_limit were
// offered, but in TLS 1.3 their answers belong in EncryptedExtensions, not
// the ServerHello (clasp used to say unsupported_extension; OpenSSL 3 says
// illegal_parameter too).
func TestClientRejectsOfferedExtensionInServerHello13(t *testing.T) {
	for name, ext := range map[string]wire.Extension{
		"server_name":       &wire.ServerNameExt{},
		"supported_groups":  &wire.SupportedGroupsExt{Groups: []suites.Group{suites.X25519}},
		"record_size_limit": &wire.RecordSizeLimitExt{Limit: 1 << 14},
	} {
		t.Run(name, func(t *testing.T) {
			clientRefusesServerHello13(t, nil, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				sh.Extensions = append(sh.Extensions, ext)
			})
		})
	}
}

// RFC 8446 §4.1.4: "As with the ServerHello, a HelloRetryRequest MUST NOT
// contain any extensions that were not first offered by the client in its
// ClientHello, with the exception of optionally the "cookie""; §4.2's
// rules give the alerts: an extension the client did not offer is
// unsupported_extension, the pre_shared_key it did offer (with a ticket)
// is not specified for a HelloRetryRequest: illegal_parameter. ALPN the
// client did not offer breaks both rules; the message is checked first,
// as OpenSSL 3 does: illegal_parameter.
func TestClientRejectsHelloRetryRequestExtension(t *testing.T) {
	for _, tc := range []struct {
		name    string
		resume  bool
		ext     wire.Extension
		wantErr wire.AlertDescription
	}{
		{"unoffered unknown", false, &wire.UnknownExt{Code: 0x1234, Data: []byte{1}}, wire.AlertUnsupportedExtension},
		{"unoffered alpn", false, &wire.UnknownExt{Code: wire.ExtALPN, Data: []byte{0, 3, 2, 'h', '2'}}, wire.AlertIllegalParameter},
		{"offered pre_shared_key", true, &wire.UnknownExt{Code: wire.ExtPreSharedKey, Data: []byte{0, 0}}, wire.AlertIllegalParameter},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testClientConfig13(t)
			if tc.resume {
				cfg, _ = resumingClient13(t)
			}
			clientRefusesHelloRetryRequest13(t, cfg, tc.wantErr, &wire.KeyShareExt{SelectedGroup: suites.Secp256r1}, tc.ext)
		})
	}
}

// RFC 8446 §4.1.3: "A client which receives a cipher suite that was not
// offered MUST abort the handshake with an "illegal_parameter" alert": a
// TLS 1.3 suite the client left out, and a TLS 1.2 suite (offered, but
// not for TLS 1.3) in a TLS 1.3 ServerHello.
func TestClientRejectsServerHello13SuiteNotOffered(t *testing.T) {
	for name, suite := range map[string]suites.ID{
		"TLS 1.3 suite not offered": suites.TLS_CHACHA20_POLY1305_SHA256,
		"TLS 1.2 suite":             suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testClientConfig13(t)
			cfg.CipherSuites = []uint16{uint16(suites.TLS_AES_128_GCM_SHA256), uint16(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)}
			clientRefusesServerHello13(t, cfg, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				if slices.Contains(ch.CipherSuites, suites.TLS_CHACHA20_POLY1305_SHA256) {
					t.Fatal("the client offers ChaCha20-Poly1305; the test needs it left out")
				}
				sh.CipherSuite = suite
			})
		})
	}
}

// RFC 8446 §4.1.4: "Upon receiving the ServerHello, clients MUST check
// that the cipher suite supplied in the ServerHello is the same as that
// in the HelloRetryRequest and otherwise abort the handshake with an
// "illegal_parameter" alert."
func TestClientRejectsServerHelloSuiteChangedAfterHelloRetryRequest(t *testing.T) {
	run, p, ch2 := clientAfterRetry13(t)
	p.send(serverHelloAfterRetry13(ch2, suites.TLS_AES_256_GCM_SHA384, wire.KeyShareEntry{Group: suites.Secp256r1, KeyExchange: bytes.Repeat([]byte{4}, 65)}))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
}

// RFC 8446 §4.2.8: the server's share "MUST be in the same group as the
// KeyShareEntry value offered by the client that the server has selected".
// A share for a group the client supports but sent no share for (P-256),
// or one it does not support at all (P-384): the RFC names no alert;
// OpenSSL 3's client sends illegal_parameter ("bad key share", found by
// running s_client against a scripted server), and so does clasp.
func TestClientRejectsServerHelloShareForGroupNotShared(t *testing.T) {
	for name, g := range map[string]suites.Group{"supported, not shared": suites.Secp256r1, "not supported": suites.Secp384r1} {
		t.Run(name, func(t *testing.T) {
			cfg := testClientConfig13(t)
			cfg.Groups = []CurveID{X25519, CurveP256}
			clientRefusesServerHello13(t, cfg, wire.AlertIllegalParameter, func(ch *wire.ClientHello, sh *wire.ServerHello) {
				sh.Extensions[1] = &wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: g, KeyExchange: bytes.Repeat([]byte{4}, 65)}}}
			})
		})
	}
}

// ---- client against a scripted TLS 1.3 server: the encrypted flight ----

// RFC 8446 §4: the server's encrypted flight starts with
// EncryptedExtensions; a Certificate there skips it.
func TestClientRejectsCertificateBeforeEncryptedExtensions(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	p.send(certificate13(testCerts(t).ecdsaLeaf))
	p.flush()
	p.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertUnexpectedMessage)
}

// A Finished straight after EncryptedExtensions skips the server's
// authentication, which only a PSK handshake may do.
func TestClientRejectsFinishedWithoutServerCertificate(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	p.send(&wire.EncryptedExtensions{})
	p.send(p.finished(p.sHS))
	p.flush()
	p.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read server Certificate", wire.AlertUnexpectedMessage)
}

// RFC 8446 §4.2: "If an implementation receives an extension which it
// recognizes and which it did not send in the ClientHello ... it MUST
// abort the handshake with an "unsupported_extension" alert." An ALPN
// answer in EncryptedExtensions to a client that offered no ALPN is one.
// RFC 8446 §5.1 and §6: the alert is a record like any other, protected
// under the key the server reads with — the client handshake key once the
// ServerHello is out — so expectAlert (the scripted server reading under
// that key) fails on an unprotected alert or one under another key, which
// the server would see as bad_record_mac. OpenSSL 3's client, run against
// the same script, sends unsupported_extension under that key too.
func TestClientAlertsUnderHandshakeKeyForUnofferedALPN(t *testing.T) {
	clientRefusesEncryptedExtensions13(t, nil, wire.AlertUnsupportedExtension, func(ch *wire.ClientHello) {
		if _, ok := wire.FindExtension[*wire.ALPNExt](ch.Extensions); ok {
			t.Fatal("the default client offers ALPN; the test needs a client that does not")
		}
	}, &wire.ALPNExt{Protocols: []string{"h2"}})
}

// A client that offered ALPN "h2" and is answered "http/1.1": RFC 7301
// names no alert for the client; clasp sends illegal_parameter, RFC 8446
// §6.2's "a field in the handshake was incorrect or inconsistent with
// other fields", as it does in TLS 1.2 (TestClientRejectsALPNProtocolItDid-
// NotOffer). (OpenSSL 3.0's client sends decode_error here; clasp keeps
// the alert whose definition fits.) Under the client handshake key, as
// above.
func TestClientAlertsUnderHandshakeKeyForALPNProtocolNotOffered(t *testing.T) {
	cfg := testClientConfig13(t)
	cfg.NextProtos = []string{"h2"}
	clientRefusesEncryptedExtensions13(t, cfg, wire.AlertIllegalParameter, nil, &wire.ALPNExt{Protocols: []string{"http/1.1"}})
}

// RFC 8446 §4.2 (see TestClientRejectsOfferedExtensionInServerHello13):
// an extension the client offered that §4.2's table does not list for
// EncryptedExtensions is illegal_parameter there. The parser keeps such
// an extension untyped, so the check must go by code point.
func TestClientRejectsEncryptedExtensionsWithExtensionItMayNotCarry(t *testing.T) {
	for _, code := range []wire.ExtensionType{wire.ExtKeyShare, wire.ExtSupportedVersions, wire.ExtSignatureAlgorithms, wire.ExtPSKKeyExchangeModes} {
		t.Run(code.String(), func(t *testing.T) {
			clientRefusesEncryptedExtensions13(t, nil, wire.AlertIllegalParameter, func(ch *wire.ClientHello) {
				if _, ok := wire.LookupExtension(ch.Extensions, code); !ok {
					t.Fatalf("the client did not offer %s", code)
				}
			}, &wire.UnknownExt{Code: code, Data: []byte{0, 0}})
		})
	}
}

// RFC 8446 §4.2: early_data in EncryptedExtensions answering a
// ClientHello that carried none is an extension the client did not send:
// unsupported_extension. (With early data offered and no PSK accepted it
// is illegal_parameter: TestClientRefusesEarlyDataAcceptedWithoutTheTicket.)
func TestClientRejectsEarlyDataAcceptedWhenNotOffered(t *testing.T) {
	cfg, _ := resumingClient13(t)
	clientRefusesEncryptedExtensions13(t, cfg, wire.AlertUnsupportedExtension, func(ch *wire.ClientHello) {
		if _, ok := wire.FindExtension[*wire.EarlyDataExt](ch.Extensions); ok {
			t.Fatal("the client offered early data")
		}
	}, &wire.EarlyDataExt{})
}

// RFC 8446 §4.4.2: "Extensions in the Certificate message from the server
// MUST correspond to ones from the ClientHello message", and §4.2 gives
// the alerts: a signed_certificate_timestamp the client never asked for is
// unsupported_extension; server_name, which it did send but §4.2 does not
// list for a CertificateEntry, illegal_parameter (OpenSSL 3 sends the
// same two).
func TestClientRejectsCertificateEntryExtension(t *testing.T) {
	for _, tc := range []struct {
		code wire.ExtensionType
		data []byte
		want wire.AlertDescription
	}{
		{wire.ExtSignedCertificateTimestamp, []byte{0, 3, 0, 1, 0}, wire.AlertUnsupportedExtension}, // one 1-byte SCT
		{wire.ExtServerName, nil, wire.AlertIllegalParameter},
	} {
		t.Run(tc.code.String(), func(t *testing.T) {
			run, p, _ := clientAfterHello13(t, notAskingForStatus(testClientConfig13(t)))
			leaf := testCerts(t).ecdsaLeaf
			cm := certificate13(leaf)
			cm.Entries[0].Extensions = []wire.Extension{&wire.UnknownExt{Code: tc.code, Data: tc.data}}
			p.send(&wire.EncryptedExtensions{}, cm)
			p.send(p.certificateVerify(leaf, suites.ECDSAWithP256AndSHA256, serverSignatureContext))
			p.send(p.finished(p.sHS))
			p.flush()
			p.expectAlert(tc.want)
			wantClaspFailure(t, run.wait(), "read server Certificate", tc.want)
		})
	}
}

// RFC 8446 §4.4.3: the server's CertificateVerify scheme "MUST be one
// offered in the client's "signature_algorithms" extension". The RFC
// names no alert; OpenSSL 3's client sends handshake_failure ("wrong
// signature type", found by running s_client -sigalgs against a scripted
// server), and so does clasp. The ECDSA key could sign with the scheme;
// the client just did not offer it.
func TestClientRejectsCertificateVerifySchemeNotOffered(t *testing.T) {
	cfg := testClientConfig13(t)
	cfg.SignatureSchemes = []SignatureScheme{Ed25519, PSSWithSHA256}
	run, p, _ := clientAfterHello13(t, cfg)
	p.sendFlightBeforeFinished(&wire.EncryptedExtensions{})
	p.send(p.finished(p.sHS))
	p.flush()
	p.expectAlert(wire.AlertHandshakeFailure)
	wantClaspFailure(t, run.wait(), "read server CertificateVerify", wire.AlertHandshakeFailure)
}

// RFC 8446 §4.2.3: "RSASSA-PKCS1-v1_5 algorithms refer solely to signatures
// which appear in certificates ... and are not defined for use in signed
// TLS handshake messages". The client offers rsa_pkcs1_sha256 (for TLS
// 1.2), so the refusal must come from the TLS 1.3 rule, not from the offer.
func TestClientRejectsPKCS1CertificateVerify13(t *testing.T) {
	cfg := testClientConfig13(t)
	if !slices.Contains(cfg.signatureSchemes(), PKCS1WithSHA256) {
		t.Fatal("the default client no longer offers rsa_pkcs1_sha256; the test needs it offered")
	}
	run, p, _ := clientAfterHello13(t, cfg)
	rsaLeaf := testCerts(t).rsaLeaf
	p.send(&wire.EncryptedExtensions{}, certificate13(rsaLeaf))
	p.send(p.certificateVerify(rsaLeaf, suites.PKCS1WithSHA256, serverSignatureContext))
	p.send(p.finished(p.sHS))
	p.flush()
	p.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read server CertificateVerify", wire.AlertIllegalParameter)
}

// RFC 8446 §5: one unprotected change_cipher_spec is dropped during the
// handshake; clasp's rule (issue 3) is that a second one is an error.
func TestClientRejectsSecondCompatibilityCCS(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	p.out = append(p.out, rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, wire.ChangeCipherSpec)...)
	p.send(&wire.EncryptedExtensions{})
	p.flush()
	p.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertUnexpectedMessage)
}

// RFC 8446 §5: a change_cipher_spec with a value other than 0x01 is
// unexpected_message, compatibility or not. The server reads under the
// client handshake key once it has sent its ServerHello, so that is where
// the alert must come.
func TestClientRejectsCompatibilityCCSWithWrongValue(t *testing.T) {
	run, p, ch := startClient13(t, nil)
	sh, shared := serverHello13(t, ch)
	p.setSuite(sh.CipherSuite)
	p.send(sh)
	p.writeRecord(wire.ContentChangeCipherSpec, []byte{2})
	p.deriveHandshake(nil, shared)
	p.setKeys(p.cHS, p.sHS)
	p.flush()
	p.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertUnexpectedMessage)
}

// RFC 8446 §5.2: "The length [of TLSCiphertext] MUST NOT exceed 2^14 + 256
// bytes. An endpoint that receives a record that exceeds this length MUST
// terminate the connection with a "record_overflow" alert." The header
// alone must be enough: clasp may not wait for the body.
func TestClientRejectsOversizedProtectedRecord(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	n := record.MaxCiphertextTLS13 + 1
	p.out = append(p.out, byte(wire.ContentApplicationData), 3, 3, byte(n>>8), byte(n))
	p.flush()
	p.expectAlert(wire.AlertRecordOverflow)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertRecordOverflow)
}

// RFC 8446 §5.4: the TLSInnerPlaintext of a record "MUST NOT exceed 2^14 +
// 1 octets"; a record within the ciphertext limit that decrypts to more is
// record_overflow too.
func TestClientRejectsOversizedInnerPlaintext(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	p.writeRecord(wire.ContentHandshake, make([]byte, record.MaxPlaintext+1))
	p.flush()
	p.expectAlert(wire.AlertRecordOverflow)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertRecordOverflow)
}

// Before any keys, the plaintext limit is 2^14 (RFC 8446 §5.1).
func TestClientRejectsOversizedPlaintextRecord(t *testing.T) {
	run, p, _ := startClient13(t, nil)
	n := record.MaxPlaintext + 1
	p.out = append(p.out, byte(wire.ContentHandshake), 3, 3, byte(n>>8), byte(n))
	p.flush()
	p.expectAlert(wire.AlertRecordOverflow)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertRecordOverflow)
}

// ---- server against a scripted TLS 1.3 client ----

// clientHello13 is a TLS 1.3 ClientHello with one key share per group in
// shares (supported_groups lists groups), and the shares' private keys.
func clientHello13(t testing.TB, groups []suites.Group, shares ...suites.Group) (*wire.ClientHello, map[suites.Group]*ecdh.PrivateKey) {
	t.Helper()
	privs := map[suites.Group]*ecdh.PrivateKey{}
	var entries []wire.KeyShareEntry
	for _, g := range shares {
		curve := map[suites.Group]ecdh.Curve{suites.X25519: ecdh.X25519(), suites.Secp256r1: ecdh.P256(), suites.Secp384r1: ecdh.P384()}[g]
		priv, err := curve.GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		privs[g] = priv
		entries = append(entries, wire.KeyShareEntry{Group: g, KeyExchange: priv.PublicKey().Bytes()})
	}
	ch := &wire.ClientHello{Version: suites.VersionTLS12, CipherSuites: []suites.ID{suites.TLS_AES_128_GCM_SHA256, suites.TLS_AES_256_GCM_SHA384},
		CompressionMethods: []uint8{0},
		Extensions: []wire.Extension{
			&wire.ServerNameExt{HostName: "localhost"},
			&wire.SupportedGroupsExt{Groups: groups},
			&wire.SignatureAlgorithmsExt{Schemes: suites.DefaultSignatureSchemes()},
			&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13}},
			&wire.KeyShareExt{Entries: entries},
			&wire.PSKKeyExchangeModesExt{Modes: []uint8{wire.PSKModeDHEKE}},
		}}
	copy(ch.Random[:], bytes.Repeat([]byte{0xc1}, 32))
	return ch, privs
}

// offerTicket adds cs's ticket to ch as its pre_shared_key, at the given
// ticket age, with the binder over ch (RFC 8446 §4.2.11.2), and returns
// the hello's bytes.
func offerTicket(t testing.TB, ch *wire.ClientHello, cs *ClientSessionState, age time.Duration) []byte {
	t.Helper()
	ch.Extensions = append(ch.Extensions, &wire.PreSharedKeyExt{
		Identities: []wire.PSKIdentity{{Identity: cs.ticket, ObfuscatedTicketAge: uint32(age/time.Millisecond) + cs.ageAdd}},
		Binders:    [][]byte{make([]byte, cs.suite.PRFHash.Size())},
	})
	raw, err := ch.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	n, err := ch.PSKBindersSuffixLen()
	if err != nil {
		t.Fatal(err)
	}
	psk, _ := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
	psk.Binders[0] = computeBinder(keys.NewSchedule13(cs.suite.PRFHash, cs.psk), true, nil, raw[:len(raw)-n])
	return mustMarshal(t, ch)
}

// startServer13 starts a clasp server with cfg facing a scripted client.
func startServer13(t *testing.T, cfg *Config) (*scriptedRun, *peer13) {
	t.Helper()
	run := startScripted(t, false, cfg)
	return run, newPeer13(t, run.peer.conn)
}

// readServerFlight reads a clasp server's answer to the ClientHello the
// peer sent, whose X25519 share has the private key priv: its ServerHello,
// which must resume exactly when psk (the offered ticket's) is not nil,
// then, under the handshake keys, its flight up to its Finished. It
// returns the server's EncryptedExtensions; the peer has derived the
// application secrets and still reads and writes under the handshake keys.
func (p *peer13) readServerFlight(priv *ecdh.PrivateKey, psk []byte) *wire.EncryptedExtensions {
	p.t.Helper()
	msg, _ := p.readMessage()
	sh, ok := msg.(*wire.ServerHello)
	if !ok {
		p.t.Fatalf("server answered %v, want ServerHello", msg.Type())
	}
	if _, resumed := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions); resumed != (psk != nil) {
		p.t.Fatalf("server resumed: %v, want %v", resumed, psk != nil)
	}
	ks, _ := wire.FindExtension[*wire.KeyShareExt](sh.Extensions)
	pub, err := priv.Curve().NewPublicKey(ks.Entries[0].KeyExchange)
	if err != nil {
		p.t.Fatal(err)
	}
	shared, err := priv.ECDH(pub)
	if err != nil {
		p.t.Fatal(err)
	}
	p.setSuite(sh.CipherSuite)
	p.deriveHandshake(psk, shared)
	p.setKeys(p.sHS, p.cHS)
	msg, _ = p.readMessage()
	ee, ok := msg.(*wire.EncryptedExtensions)
	if !ok {
		p.t.Fatalf("got %v, want EncryptedExtensions", msg.Type())
	}
	for msg.Type() != wire.TypeFinished {
		msg, _ = p.readMessage()
	}
	p.deriveApplication()
	return ee
}

// finishAsClient sends the client's Finished after readServerFlight,
// waits for the clasp server's handshake to succeed and installs the
// application keys.
func (p *peer13) finishAsClient(run *scriptedRun) {
	p.t.Helper()
	p.send(p.finished(p.cHS))
	p.flush()
	if err := run.wait(); err != nil {
		p.t.Fatalf("server handshake: %v", err)
	}
	p.setKeys(p.sAP, p.cAP)
}

// helloRetryFromP256 starts a clasp server that accepts X25519 only and
// sends it a ClientHello (clientHello13) listing X25519 and P-256 with a
// P-256 share, which the server answers with a HelloRetryRequest.
func helloRetryFromP256(t *testing.T) (*scriptedRun, *peer13) {
	t.Helper()
	cfg := testServerConfig13(t)
	cfg.Groups = []CurveID{X25519}
	ch1, _ := clientHello13(t, []suites.Group{suites.X25519, suites.Secp256r1}, suites.Secp256r1)
	run, p, _ := startHelloRetry13(t, cfg, ch1)
	return run, p
}

// RFC 8446 §4.1.2: after a HelloRetryRequest the client "MUST send the same
// ClientHello without modification, except as follows" (a new key_share,
// early_data removed, a cookie added, pre_shared_key updated, padding).
// The server that sees anything else changed aborts with illegal_parameter.
func TestServerRejectsSecondClientHelloThatChangedMoreThanAsked(t *testing.T) {
	groups := []suites.Group{suites.X25519, suites.Secp256r1}
	for name, mutate := range map[string]func(ch *wire.ClientHello){
		"random":        func(ch *wire.ClientHello) { ch.Random[0] ^= 1 },
		"cipher suites": func(ch *wire.ClientHello) { ch.CipherSuites = ch.CipherSuites[:1] },
		"session id":    func(ch *wire.ClientHello) { ch.SessionID = bytes.Repeat([]byte{7}, 32) },
		"share for another group": func(ch *wire.ClientHello) {
			other, _ := clientHello13(t, groups, suites.Secp256r1)
			replaceExtension(ch.Extensions, other.Extensions[4])
		},
		"two shares": func(ch *wire.ClientHello) {
			other, _ := clientHello13(t, groups, suites.X25519, suites.Secp256r1)
			replaceExtension(ch.Extensions, other.Extensions[4])
		},
	} {
		t.Run(name, func(t *testing.T) {
			run, p := helloRetryFromP256(t)
			ch2, _ := clientHello13(t, groups, suites.X25519)
			mutate(ch2)
			p.send(ch2)
			p.flush()
			p.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "negotiate TLS 1.3 parameters", wire.AlertIllegalParameter)
		})
	}
}

// The unchanged second ClientHello passes the same server, so the
// failures above come from the changes.
func TestServerAcceptsSecondClientHelloChangedAsAsked(t *testing.T) {
	run, p := helloRetryFromP256(t)
	ch2, _ := clientHello13(t, []suites.Group{suites.X25519, suites.Secp256r1}, suites.X25519)
	p.send(ch2)
	p.flush()
	msg, _ := p.readMessage()
	if sh, ok := msg.(*wire.ServerHello); !ok || sh.IsHelloRetryRequest() {
		t.Fatalf("server answered %v, want a ServerHello", msg.Type())
	}
	run.peer.conn.Close()
	if err := run.wait(); err == nil {
		t.Fatal("handshake completed without the client's Finished")
	}
}

// obtainTicket runs a full TLS 1.3 handshake and has the server write once,
// so that its queued NewSessionTicket reaches the client's session cache.
func obtainTicket(t *testing.T, client, server *Config) *handshakeResult {
	t.Helper()
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	if r.clientState.DidResume {
		t.Fatal("the first handshake resumed")
	}
	go func() { _, _ = r.server.Write([]byte("t")) }()
	if _, err := io.ReadFull(r.client, make([]byte, 1)); err != nil {
		t.Fatalf("client read: %v", err)
	}
	if _, ok := client.ClientSessionCache.Get(client.ServerName); !ok {
		t.Fatal("no ticket in the client's cache after the first handshake")
	}
	return r
}

// RFC 8446 §4.2.11: "If the server fails to validate the binder ... it MUST
// abort the handshake" — with decrypt_error (§6.2: "a handshake
// (not record layer) cryptographic operation failed"). The client's hello
// is changed on the wire in its last byte, which is inside the binder.
func TestServerRejectsBadPSKBinder(t *testing.T) {
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	obtainTicket(t, client, server)
	wrap := func(c net.Conn) net.Conn {
		return &tamperConn{Conn: c, onWrite: func(i int, b []byte) []byte {
			if i == 0 {
				b[len(b)-1] ^= 0x01
			}
			return b
		}}
	}
	r := testHandshakeConns(t, client, server, wrap)
	wantClaspFailure(t, r.serverErr, "negotiate TLS 1.3 parameters", wire.AlertDecryptError)
	wantReceivedAlert(t, "client", r.clientErr, wire.AlertDecryptError)
}

// RFC 8446 §4.2.11: the server "MUST ensure that it selects a compatible
// PSK (if any) and cipher suite"; a ticket from a SHA-384 suite cannot key
// a SHA-256 handshake. Refusing it is not an error: the handshake goes on
// in full.
func TestServerRefusesPSKWithAnotherSuiteHash(t *testing.T) {
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	client.CipherSuites = []uint16{uint16(suites.TLS_AES_256_GCM_SHA384)}
	server.CipherSuites = client.CipherSuites
	obtainTicket(t, client, server)

	client.CipherSuites = []uint16{uint16(suites.TLS_AES_256_GCM_SHA384), uint16(suites.TLS_AES_128_GCM_SHA256)}
	server.CipherSuites = []uint16{uint16(suites.TLS_AES_128_GCM_SHA256), uint16(suites.TLS_AES_256_GCM_SHA384)}
	st := &recordingTracer{}
	server.Tracer = st
	ct := &recordingTracer{}
	client.Tracer = ct
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	if r.clientState.DidResume || r.serverState.DidResume {
		t.Fatalf("DidResume client %v server %v, want a full handshake", r.clientState.DidResume, r.serverState.DidResume)
	}
	if r.clientState.CipherSuite != uint16(suites.TLS_AES_128_GCM_SHA256) {
		t.Fatalf("negotiated %s", r.clientState.CipherSuiteName)
	}
	if !offeredPSK(ct) {
		t.Fatal("the client did not offer its SHA-384 ticket, so the test proves nothing")
	}
	if d := findDecision(st, "session"); d == nil || d.ReasonCode != "ticket_refused" {
		t.Fatalf("server's session decision %+v, want ticket_refused", d)
	}
}

// offeredPSK reports whether a client's traced ClientHello carried a
// pre_shared_key.
func offeredPSK(ct *recordingTracer) bool {
	for _, m := range ct.messages() {
		if ch, ok := m.Parsed.(*wire.ClientHello); ok && m.Direction == trace.Sent {
			_, ok := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
			return ok
		}
	}
	return false
}

// findDecision returns the first traced decision about what.
func findDecision(tr *recordingTracer, what string) *trace.Decision {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	for _, e := range tr.events {
		if d, ok := e.(*trace.Decision); ok && d.What == what {
			return d
		}
	}
	return nil
}

// RFC 8446 §4.4.2.4: "If the client does not send any certificates (i.e.,
// it sends an empty Certificate message), the server MAY abort the
// handshake with a "certificate_required" alert." clasp does for
// RequireAnyClientCert and RequireAndVerifyClientCert. The client has
// finished by then and sees the alert on its next read.
func TestServerRequiresClientCertificate13(t *testing.T) {
	for _, auth := range []ClientAuthType{RequireAnyClientCert, RequireAndVerifyClientCert} {
		t.Run("", func(t *testing.T) {
			server := testServerConfig13(t)
			server.ClientAuth, server.ClientCAs = auth, testCerts(t).caPool
			cRaw, sRaw := net.Pipe()
			t.Cleanup(func() { cRaw.Close(); sRaw.Close() })
			deadline := time.Now().Add(10 * time.Second)
			_ = cRaw.SetDeadline(deadline)
			_ = sRaw.SetDeadline(deadline)
			client, srv := Client(cRaw, testClientConfig13(t)), Server(sRaw, server)
			serverErr := make(chan error, 1)
			go func() { serverErr <- srv.Handshake() }()
			if err := client.Handshake(); err != nil {
				t.Fatalf("client handshake: %v", err)
			}
			_, readErr := client.Read(make([]byte, 1))
			wantClaspFailure(t, <-serverErr, "read client Certificate and CertificateVerify", wire.AlertCertificateRequired)
			if a := receivedAlert(readErr); a != int(wire.AlertCertificateRequired) {
				t.Errorf("client read %v, want the certificate_required alert", readErr)
			}
		})
	}
}

// ---- after the handshake ----

// handshake13 runs a default clasp↔clasp TLS 1.3 handshake.
func handshake13(t *testing.T) *handshakeResult {
	t.Helper()
	r := testHandshake(t, testClientConfig13(t), testServerConfig13(t))
	r.mustSucceed(t)
	if r.clientState.Version != VersionTLS13 {
		t.Fatalf("negotiated %s, want TLS 1.3", VersionName(r.clientState.Version))
	}
	return r
}

// wantPostHandshakeFailure reads on victim while attack runs on the other
// side, and checks that victim fails with desc and that the other side
// (reading) receives desc.
func wantPostHandshakeFailure(t *testing.T, victim, other *Conn, attack func(), desc wire.AlertDescription) {
	t.Helper()
	otherErr := make(chan error, 1)
	go func() {
		attack()
		_, err := other.Read(make([]byte, 1))
		otherErr <- err
	}()
	_, err := victim.Read(make([]byte, 1))
	var we *wire.Error
	if !errors.As(err, &we) || we.Alert != desc {
		t.Fatalf("Read: %v, want %s", err, desc)
	}
	if a := receivedAlert(<-otherErr); a != int(desc) {
		t.Errorf("peer received alert %s, want %s", wire.AlertDescription(a), desc)
	}
	if _, werr := victim.Write([]byte("x")); werr == nil {
		t.Error("Write after a fatal post-handshake error succeeded")
	}
}

// RFC 8446 §5: a change_cipher_spec is dropped only "before the peer's
// Finished message has been received"; after it, "An implementation which
// receives any other change_cipher_spec value or which receives a protected
// change_cipher_spec record MUST abort the handshake with an
// "unexpected_message" alert" — and one after the handshake is no better.
func TestCCSAfterFinishedIsUnexpected(t *testing.T) {
	ccs := rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, wire.ChangeCipherSpec)
	t.Run("client", func(t *testing.T) {
		r := handshake13(t)
		wantPostHandshakeFailure(t, r.client, r.server, func() { _, _ = r.server.NetConn().Write(ccs) }, wire.AlertUnexpectedMessage)
	})
	t.Run("server", func(t *testing.T) {
		r := handshake13(t)
		wantPostHandshakeFailure(t, r.server, r.client, func() { _, _ = r.client.NetConn().Write(ccs) }, wire.AlertUnexpectedMessage)
	})
	t.Run("protected", func(t *testing.T) {
		r := handshake13(t)
		wantPostHandshakeFailure(t, r.client, r.server, func() {
			r.server.out.Lock()
			defer r.server.out.Unlock()
			_ = r.server.layer.WriteRecord(wire.ContentChangeCipherSpec, wire.ChangeCipherSpec)
			_ = r.server.flush()
		}, wire.AlertUnexpectedMessage)
	})
}

// RFC 8446 §5.1: "Handshake messages MUST NOT span key changes ... If
// they do, the receiver MUST abort the connection with an
// "unexpected_message" alert": a KeyUpdate followed by the start of
// another message in the same record.
func TestKeyUpdateWithPartialMessageInSameRecord(t *testing.T) {
	r := handshake13(t)
	ku, err := (&wire.KeyUpdate{}).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	wantPostHandshakeFailure(t, r.client, r.server, func() {
		r.server.out.Lock()
		defer r.server.out.Unlock()
		_ = r.server.layer.WriteRecord(wire.ContentHandshake, append(ku, byte(wire.TypeKeyUpdate), 0, 0))
		_ = r.server.flush()
	}, wire.AlertUnexpectedMessage)
}

// A record over 2^14+256 bytes after the handshake is record_overflow too.
func TestOversizedRecordAfterHandshake13(t *testing.T) {
	r := handshake13(t)
	n := record.MaxCiphertextTLS13 + 1
	wantPostHandshakeFailure(t, r.server, r.client, func() {
		_, _ = r.client.NetConn().Write([]byte{byte(wire.ContentApplicationData), 3, 3, byte(n >> 8), byte(n)})
	}, wire.AlertRecordOverflow)
}

// RFC 8446 §4.2.2: a server may send a cookie in its HelloRetryRequest,
// and "When sending the new ClientHello, the client MUST copy the contents
// of the extension received in the HelloRetryRequest into a "cookie"
// extension in the new ClientHello." RFC 8448 §5's server (NSS) does so.
func TestClientEchoesHelloRetryRequestCookie(t *testing.T) {
	for name, exts := range map[string][]wire.Extension{
		"cookie and group": {&wire.KeyShareExt{SelectedGroup: suites.Secp256r1}, &wire.CookieExt{Cookie: []byte("opaque state")}},
		"cookie only":      {&wire.CookieExt{Cookie: []byte("opaque state")}},
	} {
		t.Run(name, func(t *testing.T) {
			run, p, ch := startClient13(t, nil)
			p.send(helloRetryRequest13(ch, exts...))
			p.flush()
			ch2, _ := p.readClientHello()
			cookie, ok := wire.FindExtension[*wire.CookieExt](ch2.Extensions)
			if !ok || string(cookie.Cookie) != "opaque state" {
				t.Fatalf("second ClientHello cookie %+v, want the HelloRetryRequest's", cookie)
			}
			run.peer.conn.Close()
			run.wait()
		})
	}
}

package clasp

import (
	"crypto"
	"crypto/ecdh"
	"crypto/rand"
	"io"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// Record-boundary and empty-record tests. RFC 8446 §5.1: "Handshake
// messages MUST NOT span key changes. Implementations MUST verify that all
// messages immediately preceding a key change align with a record
// boundary; if not, then they MUST terminate the connection with an
// "unexpected_message" alert." The ClientHello, ServerHello,
// EndOfEarlyData, Finished and KeyUpdate are those messages. OpenSSL 3
// checks the same ("not on record boundary").

// partialHeader is the start of another handshake message.
var partialHeader = []byte{byte(wire.TypeCertificate), 0, 0}

// ---- TLS 1.3 client ----

func TestClientRejectsHandshakeDataAfterServerHelloInSameRecord13(t *testing.T) {
	run, p, ch := startClient13(t, nil)
	sh, _ := serverHello13(t, ch)
	p.setSuite(sh.CipherSuite)
	p.writeRecord(wire.ContentHandshake, append(mustMarshal(t, sh), mustMarshal(t, &wire.EncryptedExtensions{})...))
	p.flush()
	p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
}

// A HelloRetryRequest makes the client send a new ClientHello; nothing of
// the server's may come before it.
func TestClientRejectsHandshakeDataAfterHelloRetryRequestInSameRecord13(t *testing.T) {
	run, p, ch := startClient13(t, nil)
	hrr := helloRetryRequest13(ch, &wire.KeyShareExt{SelectedGroup: suites.Secp256r1})
	p.writeRecord(wire.ContentHandshake, append(mustMarshal(t, hrr), partialHeader...))
	p.flush()
	p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
}

// The server's Finished precedes its switch to the application key: a
// NewSessionTicket in the same record (under the handshake key) is refused.
func TestClientRejectsHandshakeDataAfterFinishedInSameRecord13(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	p.sendFlightBeforeFinished(&wire.EncryptedExtensions{})
	fin := mustMarshal(t, p.finished(p.sHS))
	ticket := mustMarshal(t, &wire.NewSessionTicket13{Lifetime: 60, Ticket: []byte("ticket")})
	p.writeRecord(wire.ContentHandshake, append(fin, ticket...))
	p.flush()
	p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read server Finished", wire.AlertUnexpectedMessage)
}

// RFC 8446 §6.2 decode_error: "the length of the message was incorrect".
// OpenSSL 3 sends decode_error for a short Finished too ("bad digest
// length"); a Finished of the right length and wrong value is
// decrypt_error (RFC 8446 §4.4.4).
func TestClientRejectsFinishedOfWrongLength13(t *testing.T) {
	run, p, _ := clientAfterHello13(t, nil)
	p.sendFlightBeforeFinished(&wire.EncryptedExtensions{})
	fin := p.finished(p.sHS)
	fin.VerifyData = fin.VerifyData[:12] // TLS 1.2's length
	p.send(fin)
	p.flush()
	p.expectAlertThenEOF(wire.AlertDecodeError)
	wantClaspFailure(t, run.wait(), "read server Finished", wire.AlertDecodeError)
}

// ---- TLS 1.3 server ----

func TestServerRejectsHandshakeDataAfterClientHelloInSameRecord13(t *testing.T) {
	run, p := startServer13(t, testServerConfig13(t))
	ch, _ := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	p.writeRecord(wire.ContentHandshake, append(mustMarshal(t, ch), partialHeader...))
	p.flush()
	p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertUnexpectedMessage)
}

// The second ClientHello (after a HelloRetryRequest) precedes the key
// change just as the first does.
func TestServerRejectsHandshakeDataAfterSecondClientHelloInSameRecord13(t *testing.T) {
	run, p := helloRetryFromP256(t)
	ch2, _ := clientHello13(t, []suites.Group{suites.X25519, suites.Secp256r1}, suites.X25519)
	p.writeRecord(wire.ContentHandshake, append(mustMarshal(t, ch2), partialHeader...))
	p.flush()
	p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "negotiate TLS 1.3 parameters", wire.AlertUnexpectedMessage)
}

// The client's Finished precedes its switch to the application key.
func TestServerRejectsHandshakeDataAfterFinishedInSameRecord13(t *testing.T) {
	run, p := serverFlight13(t, nil)
	fin := mustMarshal(t, p.finished(p.cHS))
	ku := mustMarshal(t, &wire.KeyUpdate{})
	p.writeRecord(wire.ContentHandshake, append(fin, ku...))
	p.flush()
	p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read client Finished", wire.AlertUnexpectedMessage)
}

// The server's side of TestKeyUpdateWithPartialMessageInSameRecord.
func TestServerRejectsHandshakeDataAfterKeyUpdateInSameRecord13(t *testing.T) {
	run, p := completeServer13(t)
	errc := readInBackground(run.conn)
	p.writeRecord(wire.ContentHandshake, append(mustMarshal(t, &wire.KeyUpdate{}), partialHeader...))
	p.flush()
	p.expectAlert(wire.AlertUnexpectedMessage)
	if err := <-errc; alertFor(err) != wire.AlertUnexpectedMessage {
		t.Fatalf("Read: %v, want unexpected_message", err)
	}
	run.conn.Close()
	p.expectEOF()
}

// ---- TLS 1.2 ----

// RFC 5246 §7.4.5: "After sending this message, the server will wait for
// a client response"; handshake bytes after ServerHelloDone are refused at
// once (at the step that reads ServerHelloDone while looking for an
// optional CertificateRequest). OpenSSL 3 refuses them later, at the
// ChangeCipherSpec, with the same alert.
func TestClientRejectsHandshakeDataAfterServerHelloDoneInSameRecord(t *testing.T) {
	run, ch := clientVersusScript(t, nil)
	p := testCerts(t)
	sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	ske := signedECDHE(t, ch, sh, suites.X25519, p.ecdsaLeaf.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256)
	rec := run.peer.handshakeRecord(sh, &wire.Certificate{Certificates: p.ecdsaLeaf.Certificate}, ske, &wire.ServerHelloDone{})
	rec = append(rec[:5:5], append(rec[5:], partialHeader...)...)
	rec[3], rec[4] = byte((len(rec)-5)>>8), byte(len(rec)-5)
	run.peer.send(rec)
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	run.peer.expectEOF()
	wantClaspFailure(t, run.wait(), "read CertificateRequest", wire.AlertUnexpectedMessage)
}

// RFC 5246 §7.1: ChangeCipherSpec must not arrive with part of a
// handshake message buffered, which would then be read under other keys.
// OpenSSL 3 sends unexpected_message ("ccs received early").
func TestServerRejectsHandshakeDataBeforeChangeCipherSpecInSameRecord(t *testing.T) {
	run := serverAfterHello12(t, nil)
	priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
	cke := mustMarshal(t, &wire.ClientKeyExchange{KeyExchange: suites.KexECDHE, Data: priv.PublicKey().Bytes()})
	run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS12, append(cke, partialHeader...)),
		rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, wire.ChangeCipherSpec))
	run.peer.expectAlert(wire.AlertUnexpectedMessage)
	run.peer.expectEOF()
	wantClaspFailure(t, run.wait(), "read ChangeCipherSpec and Finished", wire.AlertUnexpectedMessage)
}

// A ChangeCipherSpec whose body is not the single byte 1 is
// unexpected_message: RFC 5246 names no alert, RFC 8446 §5 names this one
// for TLS 1.3, and OpenSSL 3 sends it for TLS 1.2 ("bad change cipher
// spec").
func TestServerRejectsChangeCipherSpecWithWrongBody(t *testing.T) {
	for _, body := range [][]byte{{2}, {1, 1}} {
		run := serverAfterHello12(t, nil)
		priv, _ := ecdh.X25519().GenerateKey(rand.Reader)
		run.peer.send(run.peer.handshakeRecord(&wire.ClientKeyExchange{KeyExchange: suites.KexECDHE, Data: priv.PublicKey().Bytes()}),
			rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, body))
		run.peer.expectAlert(wire.AlertUnexpectedMessage)
		wantClaspFailure(t, run.wait(), "read ChangeCipherSpec and Finished", wire.AlertUnexpectedMessage)
	}
}

// finishedTracer makes a clasp endpoint put replace(its Finished) into the
// record just before its real Finished: the tracer sees the message before
// the record layer does. It lets a test send what clasp's own code never
// would, under the real keys.
type finishedTracer struct {
	conn    *Conn
	replace func(raw []byte) []byte
	done    bool
}

func (f *finishedTracer) Trace(e trace.Event) {
	m, ok := e.(*trace.Message)
	if !ok || f.done || m.Direction != trace.Sent || m.HandshakeType != uint8(wire.TypeFinished) {
		return
	}
	f.done = true
	_ = f.conn.layer.WriteRecord(wire.ContentHandshake, f.replace(m.Raw))
}

// handshake12With runs a clasp TLS 1.2 handshake in which the side named
// by tamper sends replace(Finished) before its Finished.
func handshake12With(t *testing.T, tamperClient bool, replace func([]byte) []byte) (clientErr, serverErr error) {
	t.Helper()
	a, b := loopbackPair(t)
	ccfg, scfg := testClientConfig(t), testServerConfig(t)
	ccfg.MaxVersion, scfg.MaxVersion = VersionTLS12, VersionTLS12
	ft := &finishedTracer{replace: replace}
	if tamperClient {
		ccfg.Tracer = ft
	} else {
		scfg.Tracer = ft
	}
	client, server := Client(a, ccfg), Server(b, scfg)
	ft.conn = server
	if tamperClient {
		ft.conn = client
	}
	errc := make(chan error, 1)
	go func() {
		err := server.Handshake()
		if err != nil {
			server.Close()
		} else {
			_, err = server.Read(make([]byte, 1)) // the client's alert comes after the server finished
		}
		errc <- err
	}()
	clientErr = client.Handshake()
	if clientErr != nil {
		client.Close()
	} else {
		_, clientErr = client.Read(make([]byte, 1)) // the server's alert may come after the client finished
	}
	return clientErr, <-errc
}

// In a full TLS 1.2 handshake the client waits after its Finished for the
// server's ChangeCipherSpec and Finished (RFC 5246 §7.3); handshake bytes
// after its Finished in the same record are refused.
func TestServerRejectsHandshakeDataAfterFinishedInSameRecord12(t *testing.T) {
	clientErr, serverErr := handshake12With(t, true, func(raw []byte) []byte {
		return append(append([]byte{}, raw...), byte(wire.TypeHelloRequest), 0, 0, 0)
	})
	wantClaspFailure(t, serverErr, "read ChangeCipherSpec and Finished", wire.AlertUnexpectedMessage)
	wantReceivedAlert(t, "client", clientErr, wire.AlertUnexpectedMessage)
}

// RFC 5246 §7.2.2 decode_error: "the length of the message was incorrect";
// TLS 1.2's verify_data is 12 bytes (§7.4.9). OpenSSL 3 sends decode_error
// ("bad digest length"). Both sides.
func TestRejectsFinishedOfWrongLength12(t *testing.T) {
	short := func([]byte) []byte { return []byte{byte(wire.TypeFinished), 0, 0, 3, 1, 2, 3} }
	t.Run("server", func(t *testing.T) {
		clientErr, serverErr := handshake12With(t, true, short)
		wantClaspFailure(t, serverErr, "read ChangeCipherSpec and Finished", wire.AlertDecodeError)
		wantReceivedAlert(t, "client", clientErr, wire.AlertDecodeError)
	})
	t.Run("client", func(t *testing.T) {
		clientErr, serverErr := handshake12With(t, false, short)
		wantClaspFailure(t, clientErr, "read ChangeCipherSpec and Finished", wire.AlertDecodeError)
		wantReceivedAlert(t, "server", serverErr, wire.AlertDecodeError)
	})
}

// ---- empty records during the handshake ----

// RFC 8446 §5.1: "Implementations MUST NOT send zero-length fragments of
// Handshake types" (nor, §5.1/§6, empty alerts), and RFC 5246 §6.2.1 says
// the same of handshake, alert and change_cipher_spec records. Empty
// application data is allowed (RFC 8446 §5.4), but not before the
// handshake has made application data possible: during it, it is as
// unexpected as any other application data. OpenSSL 3 sends
// unexpected_message for all of these.
func TestRejectsEmptyRecordsDuringHandshake13(t *testing.T) {
	for _, typ := range []wire.ContentType{wire.ContentApplicationData, wire.ContentHandshake, wire.ContentAlert} {
		t.Run("client/"+typ.String(), func(t *testing.T) {
			clientRefusesRecord13(t, typ, nil, wire.AlertUnexpectedMessage)
		})
		t.Run("server/"+typ.String(), func(t *testing.T) {
			serverRefusesRecord13(t, typ, nil, wire.AlertUnexpectedMessage)
		})
	}
	t.Run("client/unprotected application_data", func(t *testing.T) {
		run, p, _ := startClient13(t, nil)
		p.writeRecord(wire.ContentApplicationData, nil)
		p.flush()
		p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
		wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertUnexpectedMessage)
	})
}

func TestRejectsEmptyRecordsDuringHandshake12(t *testing.T) {
	for _, typ := range []wire.ContentType{wire.ContentApplicationData, wire.ContentHandshake, wire.ContentAlert, wire.ContentChangeCipherSpec} {
		empty := rawRecord(typ, VersionTLS12, nil)
		t.Run("client/"+typ.String(), func(t *testing.T) {
			run, _ := clientVersusScript(t, nil)
			run.peer.send(run.peer.handshakeRecord(scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)), empty)
			run.peer.expectAlert(wire.AlertUnexpectedMessage)
			run.peer.expectEOF()
			wantClaspFailure(t, run.wait(), "read server Certificate", wire.AlertUnexpectedMessage)
		})
		t.Run("server/"+typ.String(), func(t *testing.T) {
			run := serverVersusScript(t, nil)
			run.peer.send(run.peer.handshakeRecord(scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)), empty)
			run.peer.expectAlert(wire.AlertUnexpectedMessage)
			run.peer.expectEOF()
			wantClaspFailure(t, run.wait(), "read ClientKeyExchange", wire.AlertUnexpectedMessage)
		})
	}
}

// The client's side of TestServerRejectsChangeCipherSpecWithWrongBody: the
// server's ChangeCipherSpec after the client's flight.
func TestClientRejectsChangeCipherSpecWithWrongBody(t *testing.T) {
	for _, body := range [][]byte{{2}, {1, 1}} {
		run, ch := clientVersusScript(t, nil)
		p := testCerts(t)
		sh := scriptedServerHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
		ske := signedECDHE(t, ch, sh, suites.X25519, p.ecdsaLeaf.PrivateKey.(crypto.Signer), suites.ECDSAWithP256AndSHA256)
		run.peer.sendMessages(sh, &wire.Certificate{Certificates: p.ecdsaLeaf.Certificate}, ske, &wire.ServerHelloDone{})
		run.peer.ctx = wire.Context{Version: suites.VersionTLS12, KeyExchange: suites.KexECDHE}
		run.peer.readUntil(wire.TypeClientKeyExchange)
		run.peer.send(rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, body))
		// The client's alert is encrypted under its new keys; its
		// description is checked on clasp's side.
		for {
			typ, _, err := run.peer.readRecord()
			if err != nil {
				t.Fatalf("no alert from clasp: %v", err)
			}
			if typ == wire.ContentAlert {
				break
			}
		}
		run.peer.expectEOF()
		wantClaspFailure(t, run.wait(), "read ChangeCipherSpec and Finished", wire.AlertUnexpectedMessage)
	}
}

// RFC 8446 §5: "An implementation which receives any other
// change_cipher_spec value ... MUST abort the handshake with an
// "unexpected_message" alert." The client's side is
// TestClientRejectsCompatibilityCCSWithWrongValue. (OpenSSL 3 sends
// illegal_parameter here, "invalid ccs message"; the RFC names the alert.)
func TestServerRejectsCompatibilityCCSWithWrongValue13(t *testing.T) {
	for _, body := range [][]byte{{2}, {1, 1}} {
		run, p := serverFlight13(t, nil)
		p.out = append(p.out, rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, body)...)
		p.flush()
		p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
		wantClaspFailure(t, run.wait(), "read client Finished", wire.AlertUnexpectedMessage)
	}
}

// EndOfEarlyData precedes the switch from the client's early key to its
// handshake key (RFC 8446 §5.1): a Finished in the same record, under the
// early key, is refused.
func TestServerRejectsHandshakeDataAfterEndOfEarlyDataInSameRecord13(t *testing.T) {
	s := newEarlyDataSetup(t, 16)
	run, p := startEarlyScript(t, s, false, []byte("early"))
	eoed := mustMarshal(t, &wire.EndOfEarlyData{})
	p.tr.Write(eoed)
	p.writeRecord(wire.ContentHandshake, append(eoed, mustMarshal(t, p.finished(p.cHS))...))
	p.flush()
	p.expectAlert(wire.AlertUnexpectedMessage)
	wantClaspFailure(t, run.wait(), "read early data and EndOfEarlyData", wire.AlertUnexpectedMessage)
}

// Empty records of early data are application data where application data
// may come (RFC 8446 §5.4: "Zero-length fragments of Application Data MAY
// be sent"): accepted, and counted with the other skipped records.
func TestServerAcceptsEmptyEarlyDataRecords13(t *testing.T) {
	s := newEarlyDataSetup(t, 16)
	run, p := startEarlyScript(t, s, false, nil, []byte("early"), nil)
	p.finishEarly(run)
	got := make([]byte, 5)
	if _, err := io.ReadFull(run.conn, got); err != nil || string(got) != "early" {
		t.Fatalf("server read %q, %v; want the early data", got, err)
	}
}

// In an abbreviated TLS 1.2 handshake the server sends its Finished first
// and waits for the client's ChangeCipherSpec and Finished (RFC 5246
// §7.3); handshake bytes after its Finished in the same record are refused.
func TestClientRejectsHandshakeDataAfterResumedServerFinishedInSameRecord12(t *testing.T) {
	ccfg, scfg := testClientConfig(t), testServerConfig(t)
	ccfg.MaxVersion, scfg.MaxVersion = VersionTLS12, VersionTLS12
	ccfg.ClientSessionCache = NewLRUClientSessionCache(4)
	r := testHandshake(t, ccfg, scfg)
	r.mustSucceed(t)

	a, b := loopbackPair(t)
	ft := &finishedTracer{replace: func(raw []byte) []byte {
		return append(append([]byte{}, raw...), byte(wire.TypeHelloRequest), 0, 0, 0)
	}}
	scfg.Tracer = ft
	client, server := Client(a, ccfg), Server(b, scfg)
	ft.conn = server
	errc := make(chan error, 1)
	go func() {
		err := server.Handshake()
		server.Close()
		errc <- err
	}()
	err := client.Handshake()
	wantClaspFailure(t, err, "", wire.AlertUnexpectedMessage)
	if !strings.Contains(err.Error(), "server's Finished") {
		t.Fatalf("error %v, want the check after the resumed server's Finished", err)
	}
	wantReceivedAlert(t, "server", <-errc, wire.AlertUnexpectedMessage)
}

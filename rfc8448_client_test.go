package clasp

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// RFC 8448 from the client's side: a clasp client, given the trace's
// randomness, keys and clock and configured as the trace's client (NSS) was
// — no middlebox compatibility mode, NSS's extensions in NSS's order —
// writes every record of the trace's client byte for byte, while the
// script plays the trace's server records back to it unchanged.

// Extension lists of the trace's client, by section: NSS sent
// session_ticket only in §3, and early_data and padding where a ticket or
// a HelloRetryRequest made the hello long enough to pad.
var (
	rfc8448Section3Extensions = []uint16{0, 0xff01, 10, 35, 51, 43, 13, 45, 28}
	rfc8448Section4Extensions = []uint16{0, 0xff01, 10, 51, 42, 43, 13, 45, 28, 21, 41}
	rfc8448Section5Extensions = []uint16{0, 0xff01, 10, 51, 43, 13, 44, 45, 28, 21}
	rfc8448Section6Extensions = []uint16{0, 0xff01, 10, 51, 43, 13, 45, 28}
)

// rfc8448Client is a clasp client configured as the trace's client.
// Certificates are checked against the trace's own (the RFC's are
// self-signed and name no host "server").
func rfc8448Client(t *testing.T, rand io.Reader, exts []uint16) *Config {
	t.Helper()
	ch := parse13(t, rfc8448Message(t, "sec3_client_hello")).(*wire.ClientHello)
	sa, _ := wire.FindExtension[*wire.SignatureAlgorithmsExt](ch.Extensions)
	return &Config{
		ServerName:              "server",
		MinVersion:              VersionTLS13,
		Rand:                    rand,
		Time:                    rfcClock,
		CipherSuites:            []uint16{0x1301, 0x1303, 0x1302},
		Groups:                  rfc8448Groups,
		SignatureSchemes:        sa.Schemes,
		MiddleboxCompatDisabled: true,
		ClientHelloExtensions:   exts,
		InsecureSkipVerify:      true,
	}
}

// tracePeer plays one side's records of the trace to clasp, which plays
// the other side (claspSide, "client" or "server"), and compares what
// clasp writes with the trace's records.
type tracePeer struct {
	t         *testing.T
	conn      net.Conn
	claspSide string
}

func startTraceClient(t *testing.T, cfg *Config) (*Conn, *tracePeer) {
	t.Helper()
	a, b := loopbackPair(t)
	return Client(a, cfg), &tracePeer{t: t, conn: b, claspSide: "client"}
}

// peerSide is the side the script plays.
func (s *tracePeer) peerSide() string {
	if s.claspSide == "client" {
		return "server"
	}
	return "client"
}

// send writes the trace's records, as they are.
func (s *tracePeer) send(names ...string) {
	s.t.Helper()
	for _, name := range names {
		if _, err := s.conn.Write(rfc8448Record(s.t, name)); err != nil {
			s.t.Fatalf("writing %s: %v", name, err)
		}
	}
}

// expect reads clasp's next record and compares it with the trace's. A
// differing ClientHello is reported extension by extension.
func (s *tracePeer) expect(name string) {
	s.t.Helper()
	got, want := readWireRecord(s.t, s.conn), rfc8448Record(s.t, name)
	if bytes.Equal(got, want) {
		return
	}
	if got[0] == byte(wire.ContentHandshake) && len(got) > 9 && got[5] == byte(wire.TypeClientHello) {
		gotPrefix, gotExts := splitHello(s.t, got[5:], true)
		wantPrefix, wantExts := splitHello(s.t, want[5:], true)
		if !bytes.Equal(gotPrefix[4:], wantPrefix[4:]) {
			s.t.Errorf("%s before the extensions:\n got %x\nwant %x", name, gotPrefix[4:], wantPrefix[4:])
		}
		if fmt.Sprint(extTypes(gotExts)) != fmt.Sprint(extTypes(wantExts)) {
			s.t.Errorf("%s extensions %#04x, want %#04x", name, extTypes(gotExts), extTypes(wantExts))
		}
		for _, e := range gotExts {
			if d, ok := extData(wantExts, e.typ); ok && !bytes.Equal(d, e.data) {
				s.t.Errorf("%s extension %#04x:\n got %x\nwant %x", name, e.typ, e.data, d)
			}
		}
	}
	s.t.Fatalf("%s: clasp wrote\n %x\nthe trace has\n %x", name, got, want)
}

// handshakeInBackground runs the client's handshake while the script plays.
func handshakeInBackground(c *Conn) <-chan error {
	done := make(chan error, 1)
	go func() { done <- c.Handshake() }()
	return done
}

func waitHandshake(t *testing.T, done <-chan error) {
	t.Helper()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("client handshake: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("client handshake did not end")
	}
}

// rfc8448AppData is the 50 bytes (00..31) both sides send in §3 and §4.
func rfc8448AppData() []byte {
	b := make([]byte, 50)
	for i := range b {
		b[i] = byte(i)
	}
	return b
}

// exchangeAppData plays the peer's application data, checks that clasp
// reads it, has clasp write the same 50 bytes, and closes both ways, each
// record compared with the trace's.
func (s *tracePeer) exchangeAppData(conn *Conn, section string) {
	s.t.Helper()
	data := rfc8448AppData()
	s.send(section + "_" + s.peerSide() + "_application_data_record")
	buf := make([]byte, len(data))
	if _, err := io.ReadFull(conn, buf); err != nil || !bytes.Equal(buf, data) {
		s.t.Fatalf("clasp %s read %x (%v), want the trace's data", s.claspSide, buf, err)
	}
	if _, err := conn.Write(data); err != nil {
		s.t.Fatal(err)
	}
	s.expect(section + "_" + s.claspSide + "_application_data_record")
	s.closeBothWays(conn, section)
}

// closeBothWays plays the peer's close_notify, checks that clasp reads
// EOF, and compares clasp's own close_notify with the trace's.
func (s *tracePeer) closeBothWays(conn *Conn, section string) {
	s.t.Helper()
	s.send(section + "_" + s.peerSide() + "_close_notify_record")
	if n, err := conn.Read(make([]byte, 10)); err != io.EOF {
		s.t.Fatalf("clasp %s read %d bytes, %v after the trace's close_notify, want EOF", s.claspSide, n, err)
	}
	_ = conn.Close()
	s.expect(section + "_" + s.claspSide + "_close_notify_record")
}

// TestRFC8448Simple1RTTClient is RFC 8448 §3 from the client's side: the
// ClientHello record, the client Finished record, the application data and
// close_notify records are the trace's, byte for byte; every secret clasp
// logs is the trace's; and the trace's NewSessionTicket lands in the
// session cache with the trace's resumption PSK, ready for §4.
func TestRFC8448Simple1RTTClient(t *testing.T) {
	cache := rfc8448Section3Client(t)
	cs, ok := cache.Get("server")
	if !ok {
		t.Fatal("the trace's ticket is not in the session cache")
	}
	nst := parse13(t, rfc8448Message(t, "sec3_new_session_ticket")).(*wire.NewSessionTicket13)
	if !bytes.Equal(cs.ticket, nst.Ticket) || cs.ageAdd != nst.AgeAdd || cs.lifetime != 30*time.Second {
		t.Errorf("cached ticket %x age_add %#x lifetime %v, want the trace's", cs.ticket, cs.ageAdd, cs.lifetime)
	}
	if cs.maxEarlyData != 1024 {
		t.Errorf("cached max_early_data_size %d, want the trace's 1024", cs.maxEarlyData)
	}
}

// rfc8448Section3Client runs §3's client to the end and returns the cache
// holding the trace's ticket, received at rfcClock().
func rfc8448Section3Client(t *testing.T) ClientSessionCache {
	t.Helper()
	random := parse13(t, rfc8448Message(t, "sec3_client_hello")).(*wire.ClientHello).Random
	cfg := rfc8448Client(t, rfcRand(random[:], rfc3ClientPriv), rfc8448Section3Extensions)
	cache := NewLRUClientSessionCache(1)
	cfg.ClientSessionCache = cache
	log := &keyLog{}
	cfg.KeyLogWriter = log
	client, s := startTraceClient(t, cfg)
	done := handshakeInBackground(client)
	s.expect("s3_client_hello_record")
	s.send("s3_server_hello_record", "s3_server_flight_record")
	s.expect("s3_client_finished_record")
	waitHandshake(t, done)
	checkKeyLog(t, log, random[:], rfc3Secrets)
	if !bytes.Equal(client.resumptionSecret, rfc3ResMaster) {
		t.Errorf("resumption master secret %x, want the trace's", client.resumptionSecret)
	}
	s.send("s3_new_session_ticket_record")
	s.exchangeAppData(client, "s3")
	return cache
}

// TestRFC8448HelloRetryRequestClientTrace is RFC 8448 §5 from the client's
// side: the first ClientHello (X25519 share), the trace's
// HelloRetryRequest with NSS's cookie, the second ClientHello (P-256
// share, the cookie echoed after signature_algorithms, padded to 512
// bytes), then the client Finished and close_notify, all byte for byte.
func TestRFC8448HelloRetryRequestClientTrace(t *testing.T) {
	random := parse13(t, rfc8448Message(t, "sec5_client_hello1")).(*wire.ClientHello).Random
	cfg := rfc8448Client(t, rfcRand(random[:], rfc8448Record(t, "s5_client_x25519_private"), rfc8448Record(t, "s5_client_p256_private")),
		rfc8448Section5Extensions)
	cfg.Groups = []CurveID{X25519, CurveP256, CurveP384}
	client, s := startTraceClient(t, cfg)
	done := handshakeInBackground(client)
	s.expect("s5_client_hello1_record")
	s.send("s5_hello_retry_request_record")
	s.expect("s5_client_hello2_record")
	s.send("s5_server_hello_record", "s5_server_flight_record")
	s.expect("s5_client_finished_record")
	waitHandshake(t, done)
	st := client.ConnectionState()
	if !st.DidHelloRetryRequest || st.CurveID != CurveP256 {
		t.Errorf("HelloRetryRequest %v, group %v; want true, P-256", st.DidHelloRetryRequest, st.CurveID)
	}
	s.closeBothWays(client, "s5")
}

// TestRFC8448ClientAuthenticationClient is RFC 8448 §6 from the client's
// side: the ClientHello, and the record with the client's Certificate,
// CertificateVerify and Finished, then close_notify, byte for byte; the
// server's ECDSA CertificateVerify verifies. The RFC does not print the
// client certificate's RSA key, so a traceSigner stands in for it: it
// signs only the digest of the trace's signed content, which clasp asks
// for only if its transcript up to its Certificate is the trace's.
func TestRFC8448ClientAuthenticationClient(t *testing.T) {
	random := rfc8448Record(t, "s6_client_hello_record")[11:43]
	cfg := rfc8448Client(t, rfcRand(random, rfc8448Record(t, "s6_client_x25519_private")), rfc8448Section6Extensions)
	cert := parse13(t, rfc8448Record(t, "s6_client_certificate")).(*wire.Certificate13)
	leafCert, err := x509.ParseCertificate(cert.Entries[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	digest := sha256.Sum256(signedContent13(clientSignatureContext, rfc8448Record(t, "s6_client_certificate_verify_transcript_hash")))
	cfg.Certificates = []Certificate{{Certificate: [][]byte{cert.Entries[0].Data},
		PrivateKey: traceSigner{leafCert.PublicKey, digest[:], rfc8448ClientSignature}}}
	client, s := startTraceClient(t, cfg)
	done := handshakeInBackground(client)
	s.expect("s6_client_hello_record")
	s.send("s6_server_hello_record", "s6_server_flight_record")
	s.expect("s6_client_flight_record")
	waitHandshake(t, done)
	if st := client.ConnectionState(); st.CipherSuite != uint16(suites.TLS_AES_128_GCM_SHA256) || len(st.PeerCertificates) != 1 {
		t.Errorf("suite %#04x, %d peer certificates", st.CipherSuite, len(st.PeerCertificates))
	}
	s.closeBothWays(client, "s6")
}

// rfc8448ClientSignature is the client's RSA-PSS signature in §6's
// CertificateVerify.
var rfc8448ClientSignature = unhexRFC(`186b2223b503a759c35dba0e9721b4b579138d5f0f5e6ec7feaaf27f3ad7f386c2c7bd7cb2be52fbf5ed8393f406ee79369692ec7ac695651d858219e672a8eb7b2a677b640b46ab630edc5f3f2f8272b9c0d906f81f84ddc5b8c7bcf955c78a3cf99e5016f73e04eb7dfcb28833f13e8f75ec2ff3581e2f098ad4157fd6d6ad`)

// TestRFC8448Resumed0RTTClient is RFC 8448 §4 from the client's side: the
// client of §3 (its session cache holds the trace's ticket) resumes six
// milliseconds later with Config.EarlyData, and its first Write, "ABCDEF",
// leaves as 0-RTT data. The ClientHello record (early_data, padding, the
// ticket with its obfuscated age, the binder over the hello), the early
// data record, the EndOfEarlyData record, the client Finished record and
// the application data and close_notify records are the trace's, byte for
// byte.
func TestRFC8448Resumed0RTTClient(t *testing.T) {
	cache := rfc8448Section3Client(t)
	random := rfc8448Record(t, "s4_client_hello_record")[11:43]
	cfg := rfc8448Client(t, rfcRand(random, rfc8448Record(t, "s4_client_x25519_private")), rfc8448Section4Extensions)
	cfg.ClientSessionCache, cfg.EarlyData = cache, true
	cfg.Time = func() time.Time { return rfcClock().Add(6 * time.Millisecond) }
	client, s := startTraceClient(t, cfg)
	wrote := make(chan error, 1)
	go func() {
		n, err := client.Write([]byte("ABCDEF"))
		if err == nil && n != 6 {
			err = fmt.Errorf("wrote %d bytes", n)
		}
		wrote <- err
	}()
	s.expect("s4_client_hello_record")
	s.expect("s4_client_early_data_record")
	s.send("s4_server_hello_record", "s4_server_flight_record")
	s.expect("s4_client_end_of_early_data_record")
	s.expect("s4_client_finished_record")
	waitHandshake(t, wrote)
	st := client.ConnectionState()
	if !st.DidResume || !st.EarlyDataAccepted {
		t.Fatalf("resumed %v, early data accepted %v", st.DidResume, st.EarlyDataAccepted)
	}
	s.exchangeAppData(client, "s4")
}

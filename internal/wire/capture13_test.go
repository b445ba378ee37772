package wire

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
)

// testCertificate is a throwaway self-signed ECDSA certificate: crypto/tls
// servers pick a certificate before they send their ServerHello.
func testCertificate(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "example.com"},
		DNSNames:     []string{"example.com"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// captureServerHello feeds clientHello (a complete handshake message, as
// captureClientHello returns it) to a crypto/tls server and returns the body
// of the first record the server writes: its ServerHello or
// HelloRetryRequest, the only server messages TLS 1.3 sends in plaintext.
func captureServerHello(t *testing.T, clientHello []byte, cfg *tls.Config) []byte {
	t.Helper()
	clientConn, serverConn := net.Pipe()
	defer clientConn.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tls.Server(serverConn, cfg).Handshake() // fails once we hang up
	}()
	_ = clientConn.SetDeadline(time.Now().Add(10 * time.Second))
	record := append([]byte{byte(ContentHandshake), 3, 1, byte(len(clientHello) >> 8), byte(len(clientHello))}, clientHello...)
	if _, err := clientConn.Write(record); err != nil {
		t.Fatal(err)
	}
	header := make([]byte, 5)
	if _, err := io.ReadFull(clientConn, header); err != nil {
		t.Fatal(err)
	}
	if ContentType(header[0]) != ContentHandshake {
		t.Fatalf("server's first record is %v", ContentType(header[0]))
	}
	body := make([]byte, int(header[3])<<8|int(header[4]))
	if _, err := io.ReadFull(clientConn, body); err != nil {
		t.Fatal(err)
	}
	clientConn.Close()
	serverConn.Close()
	<-done
	return body
}

// parseServerHelloBytes parses raw under both contexts a client may use
// before it knows the version, requires the same value from both and a
// byte-for-byte re-marshal.
func parseServerHelloBytes(t *testing.T, raw []byte) *ServerHello {
	t.Helper()
	m, err := ParseHandshake(raw, Context{})
	if err != nil {
		t.Fatalf("parse %x: %v", raw, err)
	}
	sh := m.(*ServerHello)
	if again := mustMarshal(t, sh); string(again) != string(raw) {
		t.Fatalf("re-marshal differs\n got %x\nwant %x", again, raw)
	}
	for _, e := range sh.Extensions {
		t.Logf("%v: %T", e.ExtType(), e)
		if u, ok := e.(*UnknownExt); ok {
			t.Errorf("%v kept raw: %x", u.Code, u.Data)
		}
	}
	return sh
}

func TestParseCryptoTLSServerHello13(t *testing.T) {
	ch := captureClientHello(t, &tls.Config{ServerName: "example.com", CurvePreferences: []tls.CurveID{tls.X25519}})
	raw := captureServerHello(t, ch, &tls.Config{Certificates: []tls.Certificate{testCertificate(t)}})
	sh := parseServerHelloBytes(t, raw)
	if sh.IsHelloRetryRequest() {
		t.Fatal("plain ServerHello taken for HRR")
	}
	if sh.Version != suites.VersionTLS12 {
		t.Errorf("legacy_version %v", sh.Version)
	}
	if sv, ok := FindExtension[*SupportedVersionsExt](sh.Extensions); !ok || len(sv.Versions) != 1 || sv.Versions[0] != suites.VersionTLS13 {
		t.Errorf("supported_versions = %#v", sv)
	}
	if ks, ok := FindExtension[*KeyShareExt](sh.Extensions); !ok || !hasShare(ks.Entries, suites.X25519, 32) || len(ks.Entries) != 1 {
		t.Errorf("key_share = %#v", ks)
	}
}

func TestParseCryptoTLSHelloRetryRequest(t *testing.T) {
	// The client sends an X25519 share only; the server accepts only
	// P-256, which the client lists in supported_groups: HRR.
	ch := captureClientHello(t, &tls.Config{ServerName: "example.com", CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}})
	raw := captureServerHello(t, ch, &tls.Config{
		Certificates:     []tls.Certificate{testCertificate(t)},
		CurvePreferences: []tls.CurveID{tls.CurveP256},
	})
	hrr := parseServerHelloBytes(t, raw)
	if !hrr.IsHelloRetryRequest() {
		t.Fatalf("random %x is not the HRR random", hrr.Random)
	}
	ks, ok := FindExtension[*KeyShareExt](hrr.Extensions)
	if !ok || ks.SelectedGroup != suites.Secp256r1 || ks.Entries != nil {
		t.Errorf("key_share = %#v, want selected group secp256r1", ks)
	}
	if sv, ok := FindExtension[*SupportedVersionsExt](hrr.Extensions); !ok || sv.Versions[0] != suites.VersionTLS13 {
		t.Errorf("supported_versions = %#v", sv)
	}
	// The same bytes under a TLS 1.3 context.
	if _, err := ParseHandshake(raw, Context{Version: suites.VersionTLS13}); err != nil {
		t.Fatal(err)
	}
}

func TestParseCryptoTLSDowngradeSentinel(t *testing.T) {
	// A TLS 1.3-capable server that negotiates TLS 1.2 marks its random.
	ch := captureClientHello(t, &tls.Config{ServerName: "example.com", MaxVersion: tls.VersionTLS12})
	raw := captureServerHello(t, ch, &tls.Config{Certificates: []tls.Certificate{testCertificate(t)}})
	m, err := ParseHandshake(raw, Context{})
	if err != nil {
		t.Fatal(err)
	}
	sh := m.(*ServerHello)
	if [8]byte(sh.Random[24:]) != DowngradeTLS12 {
		t.Fatalf("random %x does not end with the TLS 1.2 downgrade sentinel", sh.Random)
	}
	if _, ok := FindExtension[*SupportedVersionsExt](sh.Extensions); ok {
		t.Error("TLS 1.2 ServerHello carries supported_versions")
	}
}

// TestParseCryptoTLSResumptionClientHello captures the ClientHello of a
// crypto/tls client resuming a TLS 1.3 session: pre_shared_key, last, with
// one identity and a SHA-256 binder, and PSKBindersSuffixLen cutting right
// before the binders.
func TestParseCryptoTLSResumptionClientHello(t *testing.T) {
	cache := tls.NewLRUClientSessionCache(1)
	clientCfg := &tls.Config{ServerName: "example.com", ClientSessionCache: cache, InsecureSkipVerify: true,
		CipherSuites: []uint16{tls.TLS_AES_128_GCM_SHA256}}
	serverCfg := &tls.Config{Certificates: []tls.Certificate{testCertificate(t)}}

	// A full handshake; the client reads the server's byte, which makes it
	// process the NewSessionTicket that precedes it. Over loopback TCP, not
	// net.Pipe: the server writes its ticket before it reads the client's
	// Finished, which an unbuffered pipe turns into a deadlock.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	errc := make(chan error, 1)
	go func() {
		s1, err := ln.Accept()
		if err != nil {
			errc <- err
			return
		}
		srv := tls.Server(s1, serverCfg)
		_ = srv.SetDeadline(time.Now().Add(10 * time.Second))
		_, err = srv.Write([]byte{'x'})
		errc <- err
		srv.Close()
	}()
	c1, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	cli := tls.Client(c1, clientCfg)
	_ = cli.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(cli, make([]byte, 1)); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	cli.Close()

	raw := captureClientHello(t, clientCfg)
	m, err := ParseHandshake(raw, Context{})
	if err != nil {
		t.Fatalf("parse %x: %v", raw, err)
	}
	ch := m.(*ClientHello)
	if again := mustMarshal(t, ch); string(again) != string(raw) {
		t.Fatal("re-marshal differs")
	}
	psk, ok := ch.Extensions[len(ch.Extensions)-1].(*PreSharedKeyExt)
	if !ok {
		t.Fatalf("last extension is %v, want pre_shared_key", ch.Extensions[len(ch.Extensions)-1].ExtType())
	}
	if len(psk.Identities) != 1 || len(psk.Binders) != 1 || len(psk.Binders[0]) != 32 {
		t.Fatalf("pre_shared_key = %d identities, binders %d", len(psk.Identities), len(psk.Binders))
	}
	n, err := ch.PSKBindersSuffixLen()
	if err != nil {
		t.Fatal(err)
	}
	if n != 2+1+32 || string(raw[len(raw)-32:]) != string(psk.Binders[0]) {
		t.Fatalf("binders suffix %d bytes", n)
	}
}

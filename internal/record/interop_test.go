package record

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"fmt"
	"io"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// This file checks the record layer against Go's crypto/tls: a real TLS 1.2
// connection is recorded byte for byte, its keys are recovered from the
// key log, and the recorded records must open with clasp's protections and
// be reproduced exactly by clasp's Seal.

// prf12 is the TLS 1.2 PRF with SHA-256 (RFC 5246 §5), kept local so this
// test does not depend on the key-schedule package.
func prf12(secret []byte, label string, seed []byte, n int) []byte {
	seed = append([]byte(label), seed...)
	var out []byte
	a := seed
	for len(out) < n {
		m := hmac.New(sha256.New, secret)
		m.Write(a)
		a = m.Sum(nil)
		m.Reset()
		m.Write(a)
		m.Write(seed)
		out = m.Sum(out)
	}
	return out[:n]
}

var (
	testCertOnce sync.Once
	testCert     tls.Certificate
)

func interopCert(t *testing.T) tls.Certificate {
	testCertOnce.Do(func() {
		key, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1),
			Subject:      pkix.Name{CommonName: "record.test"},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			DNSNames:     []string{"record.test"},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
		if err != nil {
			t.Fatal(err)
		}
		testCert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	})
	return testCert
}

// recordingConn copies everything written through it.
type recordingConn struct {
	net.Conn
	mu  sync.Mutex
	out bytes.Buffer
}

func (c *recordingConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	c.out.Write(p)
	c.mu.Unlock()
	return c.Conn.Write(p)
}

type interopSuite struct {
	name                  string
	id                    uint16
	cipher                suites.Cipher
	mac                   suites.MAC
	macLen, keyLen, ivLen int
}

func TestInteropWithCryptoTLS(t *testing.T) {
	for _, s := range []interopSuite{
		{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, suites.CipherAES128GCM, suites.MACAEAD, 0, 16, 4},
		{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, suites.CipherChaCha20Poly1305, suites.MACAEAD, 0, 32, 12},
		{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, suites.CipherAES128CBC, suites.MACSHA1, 20, 16, 16},
	} {
		t.Run(s.name, func(t *testing.T) { testInterop(t, s) })
	}
}

func testInterop(t *testing.T, s interopSuite) {
	var keyLog bytes.Buffer
	cConn, sConn := net.Pipe()
	cRec, sRec := &recordingConn{Conn: cConn}, &recordingConn{Conn: sConn}
	client := tls.Client(cRec, &tls.Config{
		InsecureSkipVerify: true, // the test checks records, not certificates
		MaxVersion:         tls.VersionTLS12,
		CipherSuites:       []uint16{s.id},
		KeyLogWriter:       &keyLog,
	})
	server := tls.Server(sRec, &tls.Config{
		Certificates: []tls.Certificate{interopCert(t)},
		MaxVersion:   tls.VersionTLS12,
		CipherSuites: []uint16{s.id},
	})
	const fromServer, fromClient = "hello from the server", "hello from the client"
	serverErr := make(chan error, 1)
	go func() {
		defer server.Close()
		if _, err := server.Write([]byte(fromServer)); err != nil {
			serverErr <- err
			return
		}
		buf := make([]byte, len(fromClient))
		_, err := io.ReadFull(server, buf)
		serverErr <- err
	}()
	buf := make([]byte, len(fromServer))
	if _, err := io.ReadFull(client, buf); err != nil {
		t.Fatal(err)
	}
	if _, err := client.Write([]byte(fromClient)); err != nil {
		t.Fatal(err)
	}
	if err := <-serverErr; err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, client) // the server's close_notify
	client.Close()
	if got := client.ConnectionState().CipherSuite; got != s.id {
		t.Fatalf("negotiated %#04x", got)
	}

	// CLIENT_RANDOM <client random> <master secret>
	fields := strings.Fields(keyLog.String())
	if len(fields) != 3 || fields[0] != "CLIENT_RANDOM" {
		t.Fatalf("key log %q", keyLog.String())
	}
	clientRandom, _ := hex.DecodeString(fields[1])
	master, _ := hex.DecodeString(fields[2])

	serverStream, clientStream := sRec.out.Bytes(), cRec.out.Bytes()
	serverHello := firstHandshakeMessage(t, serverStream)
	if serverHello[0] != 2 {
		t.Fatalf("first server message is type %d", serverHello[0])
	}
	serverRandom := serverHello[6:38]

	// RFC 5246 §6.3: key_block = PRF(master, "key expansion",
	// server_random + client_random), cut into client MAC key, server MAC
	// key, client key, server key, client IV, server IV.
	kb := prf12(master, "key expansion", append(bytes.Clone(serverRandom), clientRandom...), 2*(s.macLen+s.keyLen+s.ivLen))
	take := func(n int) []byte { b := kb[:n]; kb = kb[n:]; return b }
	cMAC, sMAC, cKey, sKey, cIV, sIV := take(s.macLen), take(s.macLen), take(s.keyLen), take(s.keyLen), take(s.ivLen), take(s.ivLen)

	t.Run("server to client", func(t *testing.T) {
		checkRecordedStream(t, s, serverStream, sKey, sIV, sMAC, fromServer, true)
	})
	t.Run("client to server", func(t *testing.T) {
		checkRecordedStream(t, s, clientStream, cKey, cIV, cMAC, fromClient, false)
	})
}

func firstHandshakeMessage(t *testing.T, stream []byte) []byte {
	l := NewLayer(&loop{buf: bytes.Clone(stream)})
	var a Assembler
	for {
		typ, b, err := l.ReadRecord()
		if err != nil || typ != wire.ContentHandshake {
			t.Fatalf("looking for the first handshake message: %v %v", typ, err)
		}
		a.Add(b)
		if m, ok := a.Next(); ok {
			return bytes.Clone(m)
		}
	}
}

// splitRecords cuts a recorded stream into whole records (header included).
func splitRecords(t *testing.T, stream []byte) [][]byte {
	var recs [][]byte
	for len(stream) > 0 {
		if len(stream) < HeaderLen {
			t.Fatal("truncated record in recording")
		}
		n := HeaderLen + (int(stream[3])<<8 | int(stream[4]))
		recs = append(recs, stream[:n])
		stream = stream[n:]
	}
	return recs
}

// checkRecordedStream reads a recorded direction through a Layer, installing
// the recovered keys at ChangeCipherSpec, and expects Finished, the
// application data and (from the server) close_notify. It then re-seals each
// protected record and compares it with the recording.
func checkRecordedStream(t *testing.T, s interopSuite, stream, key, iv, macKey []byte, wantApp string, closeNotify bool) {
	newProt := func(random io.Reader) Protection {
		p, err := NewProtection(suites.VersionTLS12, s.cipher, s.mac, key, iv, macKey, random)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	records := splitRecords(t, stream)
	l := NewLayer(&loop{buf: bytes.Clone(stream)})
	var a Assembler
	var got []string
	protectedFrom := -1
	for i := range records {
		typ, b, err := l.ReadRecord()
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		switch typ {
		case wire.ContentHandshake:
			if err := a.Add(b); err != nil {
				t.Fatal(err)
			}
			for m, ok := a.Next(); ok; m, ok = a.Next() {
				got = append(got, "handshake "+handshakeName(m))
				if m[0] == 2 || m[0] == 16 { // ServerHello or ClientKeyExchange fix the version
					l.SetVersion(suites.VersionTLS12)
				}
				if m[0] == 20 && len(m) != 4+12 {
					t.Errorf("Finished of %d bytes, want 16", len(m))
				}
			}
		case wire.ContentChangeCipherSpec:
			if err := wire.ParseChangeCipherSpec(b); err != nil {
				t.Fatal(err)
			}
			if a.Pending() {
				t.Fatal("ChangeCipherSpec in the middle of a handshake message")
			}
			got = append(got, "change_cipher_spec")
			l.SetReadProtection(newProt(nil))
			protectedFrom = i + 1
		case wire.ContentApplicationData:
			got = append(got, "application_data "+string(b))
		case wire.ContentAlert:
			alert, err := wire.ParseAlert(b)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, "alert "+alert.Description.String())
		}
	}
	if _, _, err := l.ReadRecord(); err != io.EOF {
		t.Fatalf("after the last record: %v", err)
	}
	joined := strings.Join(got, ", ")
	for _, want := range []string{"change_cipher_spec, handshake finished", "application_data " + wantApp} {
		if !strings.Contains(joined, want) {
			t.Errorf("records read: %s\nmissing %q", joined, want)
		}
	}
	if closeNotify && !strings.HasSuffix(joined, "alert close_notify") {
		t.Errorf("records read: %s\nwant close_notify last", joined)
	}
	t.Logf("records: %s", joined)

	// Seal must reproduce crypto/tls's records exactly: the AEAD nonces are
	// the sequence numbers and CBC's random IV is taken from the recording.
	var sealer Protection
	for i, rec := range records[protectedFrom:] {
		frag := rec[HeaderLen:]
		var random io.Reader
		if s.mac != suites.MACAEAD {
			random = bytes.NewReader(frag[:16])
		}
		if sealer == nil || random != nil {
			sealer = newProt(random)
		}
		opened, err := newProt(nil).Open(uint64(i), wire.ContentType(rec[0]), suites.VersionTLS12, bytes.Clone(frag))
		if err != nil {
			t.Fatalf("protected record %d: %v", i, err)
		}
		resealed, err := sealer.Seal(nil, uint64(i), wire.ContentType(rec[0]), suites.VersionTLS12, opened)
		if err != nil || !bytes.Equal(resealed, frag) {
			t.Fatalf("protected record %d: Seal = %x, %v\nrecorded %x", i, resealed, err, frag)
		}
	}
}

func handshakeName(m []byte) string {
	names := map[byte]string{1: "client_hello", 2: "server_hello", 4: "new_session_ticket", 11: "certificate",
		8: "encrypted_extensions", 12: "server_key_exchange", 14: "server_hello_done", 15: "certificate_verify", 16: "client_key_exchange", 20: "finished"}
	if n, ok := names[m[0]]; ok {
		return n
	}
	return fmt.Sprintf("type %d", m[0])
}

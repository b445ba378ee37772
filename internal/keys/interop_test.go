package keys

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
)

// This file cross-checks the key derivation against Go's crypto/tls: an
// in-process client and server talk over net.Pipe, the client side of the
// pipe is recorded, and the master secret comes from crypto/tls's key log.
// Everything else — randoms, transcript, key block, Finished — is recomputed
// here from the bytes on the wire.

// recordingConn records every byte read from and written to a connection.
type recordingConn struct {
	net.Conn
	mu            sync.Mutex
	read, written bytes.Buffer
}

func (c *recordingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	c.read.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

func (c *recordingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.mu.Lock()
	c.written.Write(p[:n])
	c.mu.Unlock()
	return n, err
}

// flight is one direction of a TLS 1.0–1.2 full handshake as seen on the
// wire: the plaintext handshake messages before ChangeCipherSpec, and the
// encrypted record that follows it (the Finished).
type flight struct {
	messages  [][]byte // each with its 4-byte header
	finished  []byte   // payload of the first record after ChangeCipherSpec
	recordVer []byte
}

func parseFlight(t *testing.T, stream []byte) flight {
	t.Helper()
	var f flight
	var hs []byte
	sawCCS := false
	for len(stream) > 0 {
		if len(stream) < 5 {
			t.Fatalf("truncated record header")
		}
		typ, length := stream[0], int(binary.BigEndian.Uint16(stream[3:5]))
		payload := stream[5 : 5+length]
		ver := stream[1:3]
		stream = stream[5+length:]
		switch {
		case typ == 20: // change_cipher_spec
			sawCCS = true
		case typ == 22 && !sawCCS:
			hs = append(hs, payload...)
		case typ == 22 && sawCCS && f.finished == nil:
			f.finished = payload
			f.recordVer = ver
		}
	}
	// Handshake messages may share or span records; split on their headers.
	for len(hs) > 0 {
		n := 4 + (int(hs[1])<<16 | int(hs[2])<<8 | int(hs[3]))
		f.messages = append(f.messages, hs[:n])
		hs = hs[n:]
	}
	if !sawCCS || f.finished == nil {
		t.Fatalf("no ChangeCipherSpec and Finished in the flight")
	}
	return f
}

func testCertificate(t *testing.T) (tls.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "clasp.test"},
		DNSNames:     []string{"clasp.test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, key
}

// handshakeCapture is what one crypto/tls handshake leaves behind.
type handshakeCapture struct {
	client, server flight
	master         []byte
	state          tls.ConnectionState
}

func runCryptoTLS(t *testing.T, cert tls.Certificate, version, suite uint16) handshakeCapture {
	t.Helper()
	var keyLog bytes.Buffer
	roots := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	roots.AddCert(leaf)

	serverConf := &tls.Config{
		Certificates:           []tls.Certificate{cert},
		MinVersion:             version,
		MaxVersion:             version,
		CipherSuites:           []uint16{suite},
		SessionTicketsDisabled: true, // keep NewSessionTicket out of the flight
	}
	clientConf := &tls.Config{
		RootCAs:      roots,
		ServerName:   "clasp.test",
		MinVersion:   version,
		MaxVersion:   version,
		CipherSuites: []uint16{suite},
		KeyLogWriter: &keyLog,
	}

	cRaw, sRaw := net.Pipe()
	rec := &recordingConn{Conn: cRaw}
	client, server := tls.Client(rec, clientConf), tls.Server(sRaw, serverConf)
	errc := make(chan error, 1)
	go func() { errc <- server.Handshake() }()
	if err := client.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	if err := <-errc; err != nil {
		t.Fatalf("server handshake: %v", err)
	}
	state := client.ConnectionState()
	// Close the pipe, not the TLS connections: a close_notify written into
	// an unread net.Pipe would block until crypto/tls's 5-second timeout.
	cRaw.Close()
	sRaw.Close()

	if state.Version != version || state.CipherSuite != suite {
		t.Fatalf("negotiated %#x/%#x, want %#x/%#x", state.Version, state.CipherSuite, version, suite)
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	hc := handshakeCapture{
		client: parseFlight(t, rec.written.Bytes()),
		server: parseFlight(t, rec.read.Bytes()),
		state:  state,
	}

	// NSS key log format: CLIENT_RANDOM <client random> <master secret>.
	clientRandom := hc.client.messages[0][6:38]
	sc := bufio.NewScanner(&keyLog)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[0] == "CLIENT_RANDOM" && f[1] == hex.EncodeToString(clientRandom) {
			hc.master, _ = hex.DecodeString(f[2])
		}
	}
	if len(hc.master) != 48 {
		t.Fatalf("no master secret for this client random in the key log:\n%s", keyLog.String())
	}
	return hc
}

// transcriptUpTo returns a transcript over ClientHello, the server's first
// flight, and the client's messages through ClientKeyExchange.
func (hc handshakeCapture) transcript(version suites.Version, prfHash crypto.Hash) *Transcript {
	tr := NewTranscript()
	tr.Write(hc.client.messages[0]) // ClientHello, before the suite is known
	for _, m := range hc.server.messages {
		tr.Write(m)
		if m[0] == 2 { // ServerHello: the suite, hence the hash, is now known
			tr.SetHash(version, prfHash)
		}
	}
	for _, m := range hc.client.messages[1:] {
		tr.Write(m)
	}
	return tr
}

// openGCM decrypts a TLS 1.2 AES-GCM record (RFC 5288 §3): the nonce is the
// 4-byte implicit salt from the key block followed by the 8-byte explicit
// nonce that starts the record; the additional data is RFC 5246 §6.2.3.3's
// seq_num + type + version + length.
func openGCM(t *testing.T, key, salt, payload, recordVer []byte, seq uint64) []byte {
	t.Helper()
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	nonce := append(bytes.Clone(salt), payload[:8]...)
	ciphertext := payload[8:]
	ad := binary.BigEndian.AppendUint64(nil, seq)
	ad = append(ad, 22)
	ad = append(ad, recordVer...)
	ad = binary.BigEndian.AppendUint16(ad, uint16(len(ciphertext)-aead.Overhead()))
	plain, err := aead.Open(nil, nonce, ciphertext, ad)
	if err != nil {
		t.Fatalf("cannot open the Finished record with the derived keys: %v", err)
	}
	return plain
}

// TestKeysMatchCryptoTLS12 derives the key block from the logged master
// secret and the randoms on the wire, decrypts both Finished records with it,
// and recomputes both verify_data values from the recorded transcript.
func TestKeysMatchCryptoTLS12(t *testing.T) {
	cert, _ := testCertificate(t)
	for _, tc := range []struct {
		name   string
		suite  uint16
		hash   crypto.Hash
		keyLen int
	}{
		{"ECDHE_RSA_AES_128_GCM_SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, crypto.SHA256, 16},
		{"ECDHE_RSA_AES_256_GCM_SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, crypto.SHA384, 32},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := runCryptoTLS(t, cert, tls.VersionTLS12, tc.suite)
			v := suites.VersionTLS12
			clientRandom := hc.client.messages[0][6:38]
			serverRandom := hc.server.messages[0][6:38]

			kb := DeriveKeyBlock(v, tc.hash, hc.master, clientRandom, serverRandom, 0, tc.keyLen, 4)
			clientFin := openGCM(t, kb.ClientKey, kb.ClientIV, hc.client.finished, hc.client.recordVer, 0)
			serverFin := openGCM(t, kb.ServerKey, kb.ServerIV, hc.server.finished, hc.server.recordVer, 0)

			tr := hc.transcript(v, tc.hash)
			if want := FinishedVerifyData(v, tc.hash, hc.master, true, tr.Sum()); !bytes.Equal(clientFin[4:], want) {
				t.Errorf("client Finished verify_data %x, recomputed %x", clientFin[4:], want)
			}
			tr.Write(clientFin)
			if want := FinishedVerifyData(v, tc.hash, hc.master, false, tr.Sum()); !bytes.Equal(serverFin[4:], want) {
				t.Errorf("server Finished verify_data %x, recomputed %x", serverFin[4:], want)
			}
		})
	}
}

// TestExtendedMasterSecretMatchesCryptoTLS recomputes the master secret itself.
// crypto/tls always negotiates RFC 7627 when both sides are Go, so this covers
// ExtendedMasterSecret; with RSA key transport the premaster can be recovered
// from the recorded ClientKeyExchange with the server's key. TLS 1.0 and 1.1
// cover the MD5 ⊕ SHA-1 PRF and the MD5||SHA-1 session hash.
func TestExtendedMasterSecretMatchesCryptoTLS(t *testing.T) {
	cert, key := testCertificate(t)
	for _, tc := range []struct {
		name    string
		version suites.Version
		suite   uint16
		hash    crypto.Hash
	}{
		{"TLS12_RSA_AES_128_GCM_SHA256", suites.VersionTLS12, tls.TLS_RSA_WITH_AES_128_GCM_SHA256, crypto.SHA256},
		{"TLS12_RSA_AES_256_GCM_SHA384", suites.VersionTLS12, tls.TLS_RSA_WITH_AES_256_GCM_SHA384, crypto.SHA384},
		{"TLS11_RSA_AES_128_CBC_SHA", suites.VersionTLS11, tls.TLS_RSA_WITH_AES_128_CBC_SHA, 0},
		{"TLS10_RSA_AES_128_CBC_SHA", suites.VersionTLS10, tls.TLS_RSA_WITH_AES_128_CBC_SHA, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hc := runCryptoTLS(t, cert, uint16(tc.version), tc.suite)
			cke := hc.client.messages[len(hc.client.messages)-1]
			if cke[0] != 16 {
				t.Fatalf("last client message is type %d, want ClientKeyExchange", cke[0])
			}
			// RFC 5246 §7.4.7.1: EncryptedPreMasterSecret has a 2-byte
			// length prefix from TLS 1.0 on.
			preMaster, err := rsa.DecryptPKCS1v15(nil, key, cke[6:])
			if err != nil {
				t.Fatal(err)
			}
			tr := hc.transcript(tc.version, tc.hash)
			got := ExtendedMasterSecret(tc.version, tc.hash, preMaster, tr.Sum())
			if !bytes.Equal(got, hc.master) {
				plain := MasterSecret(tc.version, tc.hash, preMaster, hc.client.messages[0][6:38], hc.server.messages[0][6:38])
				t.Fatalf("extended master secret %x, crypto/tls logged %x (non-EMS derivation gives %x)", got, hc.master, plain)
			}
		})
	}
}

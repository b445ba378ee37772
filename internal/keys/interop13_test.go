package keys

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"encoding/hex"
	"net"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// This file cross-checks the TLS 1.3 functions against Go's crypto/tls: an
// in-process TLS 1.3 handshake is recorded on the client's side of a
// net.Pipe, crypto/tls's key log supplies the traffic secrets, and
// TrafficKey, the transcript and FinishedVerifyData13 must then decrypt
// both encrypted flights and reproduce both Finished messages.
// (crypto/tls logs no EXPORTER_SECRET, so the exporter cannot be checked
// this way.)

// tlsRecords splits a byte stream into TLS records: type and fragment, with
// the 5-byte header kept for the TLS 1.3 additional data.
func tlsRecords(t *testing.T, stream []byte) (types []uint8, headers, fragments [][]byte) {
	t.Helper()
	for len(stream) > 0 {
		if len(stream) < 5 {
			t.Fatalf("truncated record header")
		}
		n := int(binary.BigEndian.Uint16(stream[3:5]))
		if len(stream) < 5+n {
			t.Fatalf("truncated record")
		}
		types = append(types, stream[0])
		headers = append(headers, stream[:5])
		fragments = append(fragments, stream[5:5+n])
		stream = stream[5+n:]
	}
	return types, headers, fragments
}

// splitHandshake splits concatenated handshake messages.
func splitHandshake(t *testing.T, b []byte) [][]byte {
	t.Helper()
	var msgs [][]byte
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatal("truncated handshake header")
		}
		n := 4 + (int(b[1])<<16 | int(b[2])<<8 | int(b[3]))
		if len(b) < n {
			t.Fatal("truncated handshake message")
		}
		msgs = append(msgs, b[:n])
		b = b[n:]
	}
	return msgs
}

// decryptFlight opens the encrypted handshake records of one direction with
// keys from trafficSecret (RFC 8446 §5.2-§5.3: nonce = iv XOR sequence
// number, additional data = record header) and returns the handshake
// messages inside, through the Finished. A flight is assumed not to split
// a message across records, which crypto/tls does not do for these sizes.
func decryptFlight(t *testing.T, h crypto.Hash, keyLen int, trafficSecret, stream []byte) [][]byte {
	t.Helper()
	key, iv := TrafficKey(h, trafficSecret, keyLen, 12)
	block, err := aes.NewCipher(key)
	if err != nil {
		t.Fatal(err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		t.Fatal(err)
	}
	types, headers, fragments := tlsRecords(t, stream)
	var seq uint64
	var plain []byte
	for i, typ := range types {
		if typ != 23 { // handshake and change_cipher_spec are in the clear
			continue
		}
		nonce := bytes.Clone(iv)
		for j := 0; j < 8; j++ {
			nonce[len(nonce)-1-j] ^= byte(seq >> (8 * j))
		}
		inner, err := aead.Open(nil, nonce, fragments[i], headers[i])
		if err != nil {
			t.Fatalf("record %d does not open with the derived key: %v", i, err)
		}
		seq++
		inner = bytes.TrimRight(inner, "\x00")
		if len(inner) == 0 || inner[len(inner)-1] != 22 {
			break // past the handshake
		}
		plain = append(plain, inner[:len(inner)-1]...)
		if msgs := splitHandshake(t, plain); msgs[len(msgs)-1][0] == 20 {
			return msgs // Finished ends the flight; application data follows
		}
	}
	return splitHandshake(t, plain)
}

func TestKeys13MatchCryptoTLS(t *testing.T) {
	cert, _ := testCertificate(t)
	roots := x509.NewCertPool()
	leaf, _ := x509.ParseCertificate(cert.Certificate[0])
	roots.AddCert(leaf)
	var keyLog bytes.Buffer
	serverConf := &tls.Config{
		Certificates:           []tls.Certificate{cert},
		MinVersion:             tls.VersionTLS13,
		SessionTicketsDisabled: true,
	}
	clientConf := &tls.Config{
		RootCAs:          roots,
		ServerName:       "clasp.test",
		MinVersion:       tls.VersionTLS13,
		KeyLogWriter:     &keyLog,
		CurvePreferences: []tls.CurveID{tls.X25519},
	}
	cRaw, sRaw := net.Pipe()
	rec := &recordingConn{Conn: cRaw}
	client, server := tls.Client(rec, clientConf), tls.Server(sRaw, serverConf)
	errc := make(chan error, 1)
	go func() {
		err := server.Handshake()
		if err == nil {
			// Read the client's Finished, then hold until the pipe closes.
			_, _ = server.Read(make([]byte, 1))
		}
		errc <- err
	}()
	if err := client.Handshake(); err != nil {
		t.Fatalf("client handshake: %v", err)
	}
	// A write makes sure the client's Finished record precedes anything the
	// test reads back; the server reads it.
	if _, err := client.Write([]byte{1}); err != nil {
		t.Fatal(err)
	}
	state := client.ConnectionState()
	cRaw.Close()
	sRaw.Close()
	if err := <-errc; err != nil {
		t.Fatalf("server: %v", err)
	}

	var h crypto.Hash
	var keyLen int
	switch state.CipherSuite {
	case tls.TLS_AES_128_GCM_SHA256:
		h, keyLen = crypto.SHA256, 16
	case tls.TLS_AES_256_GCM_SHA384:
		h, keyLen = crypto.SHA384, 32
	default:
		t.Skipf("crypto/tls chose %s, which this test does not decrypt", tls.CipherSuiteName(state.CipherSuite))
	}

	rec.mu.Lock()
	written, read := bytes.Clone(rec.written.Bytes()), bytes.Clone(rec.read.Bytes())
	rec.mu.Unlock()
	_, _, cFrags := tlsRecords(t, written)
	_, _, sFrags := tlsRecords(t, read)
	ch, sh := cFrags[0], sFrags[0]
	clientRandom := ch[6:38]

	logText := keyLog.String()
	secrets := map[string][]byte{}
	sc := bufio.NewScanner(&keyLog)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 3 && f[1] == hex.EncodeToString(clientRandom) {
			secrets[f[0]], _ = hex.DecodeString(f[2])
			if got := NSSKeyLogLine(f[0], clientRandom, secrets[f[0]]); got != sc.Text()+"\n" {
				t.Errorf("NSSKeyLogLine = %q, crypto/tls wrote %q", got, sc.Text())
			}
		}
	}
	sHS := secrets[KeyLogServerHandshakeTrafficSecret]
	cHS := secrets[KeyLogClientHandshakeTrafficSecret]
	if sHS == nil || cHS == nil {
		t.Fatalf("key log lacks secrets for %x:\n%s", clientRandom, logText)
	}

	tr := NewTranscript()
	tr.Write(ch)
	tr.SetHash(suites.VersionTLS13, h)
	tr.Write(sh)
	serverMsgs := decryptFlight(t, h, keyLen, sHS, read)
	if len(serverMsgs) != 4 || serverMsgs[3][0] != 20 {
		t.Fatalf("server flight has %d messages, want EncryptedExtensions, Certificate, CertificateVerify, Finished", len(serverMsgs))
	}
	for _, m := range serverMsgs[:3] {
		tr.Write(m)
	}
	if got := FinishedVerifyData13(h, sHS, tr.Sum()); !hmac.Equal(got, serverMsgs[3][4:]) {
		t.Errorf("server Finished = %x, crypto/tls sent %x", got, serverMsgs[3][4:])
	}
	tr.Write(serverMsgs[3])
	clientMsgs := decryptFlight(t, h, keyLen, cHS, written)
	if len(clientMsgs) != 1 || clientMsgs[0][0] != 20 {
		t.Fatalf("client flight has %d messages, want Finished", len(clientMsgs))
	}
	if got := FinishedVerifyData13(h, cHS, tr.Sum()); !hmac.Equal(got, clientMsgs[0][4:]) {
		t.Errorf("client Finished = %x, crypto/tls sent %x", got, clientMsgs[0][4:])
	}
}

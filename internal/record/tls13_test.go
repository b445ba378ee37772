package record

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"net"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// tls13Seal builds a TLS 1.3 record by hand (RFC 8446 §5.2–§5.3).
func tls13Seal(key, iv []byte, seq uint64, typ wire.ContentType, content []byte, padding int) []byte {
	block, _ := aes.NewCipher(key)
	gcm, _ := cipher.NewGCM(block)
	nonce := bytes.Clone(iv)
	var s [8]byte
	binary.BigEndian.PutUint64(s[:], seq)
	for i := range s {
		nonce[4+i] ^= s[i]
	}
	inner := append(append(bytes.Clone(content), byte(typ)), make([]byte, padding)...)
	n := len(inner) + gcm.Overhead()
	hdr := []byte{23, 3, 3, byte(n >> 8), byte(n)}
	return append(hdr, gcm.Seal(nil, nonce, inner, hdr)...)
}

func TestTLS13KnownAnswer(t *testing.T) {
	key, iv := fill(16, 1), fill(12, 2)
	content := []byte("hello")
	want := tls13Seal(key, iv, 3, wire.ContentHandshake, content, 0)
	p, err := NewProtectionTLS13(suites.CipherAES128GCM, key, iv)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := p.Seal(nil, 3, wire.ContentHandshake, suites.VersionTLS12, content)
	if !bytes.Equal(got, want[HeaderLen:]) {
		t.Fatalf("Seal = %x\nwant %x", got, want[HeaderLen:])
	}
	// Padding is removed on reading.
	padded := tls13Seal(key, iv, 4, wire.ContentAlert, []byte{1, 0}, 100)
	typ, pt, err := p.OpenInner(4, wire.ContentApplicationData, suites.VersionTLS12, padded[HeaderLen:])
	if err != nil || typ != wire.ContentAlert || !bytes.Equal(pt, []byte{1, 0}) {
		t.Fatalf("OpenInner = %v %x %v", typ, pt, err)
	}
}

func TestTLS13LayerRejectsBadInnerRecords(t *testing.T) {
	key, iv := fill(16, 1), fill(12, 2)
	cases := map[string]struct {
		rec   []byte
		alert wire.AlertDescription
	}{
		"all padding":            {tls13Seal(key, iv, 0, 0, nil, 10), wire.AlertUnexpectedMessage},
		"protected CCS":          {tls13Seal(key, iv, 0, wire.ContentChangeCipherSpec, []byte{1}, 0), wire.AlertUnexpectedMessage},
		"heartbeat inside":       {tls13Seal(key, iv, 0, wire.ContentHeartbeat, []byte{1}, 0), wire.AlertUnexpectedMessage},
		"empty handshake":        {tls13Seal(key, iv, 0, wire.ContentHandshake, nil, 0), wire.AlertUnexpectedMessage},
		"inner over 2^14+1":      {tls13Seal(key, iv, 0, wire.ContentApplicationData, make([]byte, MaxPlaintext), 1), wire.AlertRecordOverflow},
		"fragment over 2^14+256": {rawRecord(23, 0x0303, make([]byte, MaxCiphertextTLS13+1)), wire.AlertRecordOverflow},
		"wrong key":              {tls13Seal(fill(16, 9), iv, 0, wire.ContentHandshake, []byte{1}, 0), wire.AlertBadRecordMAC},
	}
	for name, c := range cases {
		r := readerOf(c.rec)
		r.SetVersion(suites.VersionTLS13)
		p, _ := NewProtectionTLS13(suites.CipherAES128GCM, key, iv)
		r.SetReadProtection(p)
		_, _, err := r.ReadRecord()
		if err == nil {
			t.Fatalf("%s: accepted", name)
		}
		t.Run(name, func(t *testing.T) { wantAlert(t, err, c.alert) })
	}
}

func TestTLS13RoundTripAllCiphers(t *testing.T) {
	for _, c := range []struct {
		cipher suites.Cipher
		keyLen int
	}{{suites.CipherAES128GCM, 16}, {suites.CipherAES256GCM, 32}, {suites.CipherChaCha20Poly1305, 32}} {
		mk := func() Protection {
			p, err := NewProtectionTLS13(c.cipher, fill(c.keyLen, 5), fill(12, 6))
			if err != nil {
				t.Fatal(err)
			}
			return p
		}
		pipe := &loop{}
		w, r := NewLayer(pipe), NewLayer(pipe)
		for _, l := range []*Layer{w, r} {
			l.SetVersion(suites.VersionTLS13)
		}
		w.SetWriteProtection(mk())
		r.SetReadProtection(mk())
		w.WriteRecord(wire.ContentHandshake, fill(MaxPlaintext+10, 0))
		w.WriteRecord(wire.ContentApplicationData, nil)
		w.Flush()
		for _, want := range []struct {
			typ wire.ContentType
			n   int
		}{{wire.ContentHandshake, MaxPlaintext}, {wire.ContentHandshake, 10}, {wire.ContentApplicationData, 0}} {
			if typ, b, err := r.ReadRecord(); err != nil || typ != want.typ || len(b) != want.n {
				t.Fatalf("cipher %d: %v %d bytes %v", c.cipher, typ, len(b), err)
			}
		}
	}
}

// hkdfExpandLabel is RFC 8446 §7.1 HKDF-Expand-Label with an empty context.
func hkdfExpandLabel(h func() hash.Hash, secret []byte, label string, n int) []byte {
	info := binary.BigEndian.AppendUint16(nil, uint16(n))
	info = append(info, byte(len("tls13 "+label)))
	info = append(info, "tls13 "+label...)
	info = append(info, 0)
	out, err := hkdf.Expand(h, secret, string(info), n)
	if err != nil {
		panic(err)
	}
	return out
}

// TestInteropWithCryptoTLS13 records a TLS 1.3 connection made by crypto/tls
// and reads both directions through a Layer with keys derived from the
// logged traffic secrets.
func TestInteropWithCryptoTLS13(t *testing.T) {
	var keyLog bytes.Buffer
	cConn, sConn := net.Pipe()
	cRec, sRec := &recordingConn{Conn: cConn}, &recordingConn{Conn: sConn}
	client := tls.Client(cRec, &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS13, KeyLogWriter: &keyLog})
	server := tls.Server(sRec, &tls.Config{Certificates: []tls.Certificate{interopCert(t)}, MinVersion: tls.VersionTLS13})
	const fromServer, fromClient = "hello from the TLS 1.3 server", "hello from the TLS 1.3 client"
	done := make(chan error, 1)
	go func() {
		defer server.Close()
		if _, err := server.Write([]byte(fromServer)); err != nil {
			done <- err
			return
		}
		_, err := io.ReadFull(server, make([]byte, len(fromClient)))
		done <- err
	}()
	if _, err := io.ReadFull(client, make([]byte, len(fromServer))); err != nil {
		t.Fatal(err)
	}
	client.Write([]byte(fromClient))
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, client)
	client.Close()

	var c suites.Cipher
	var keyLen int
	newHash := sha256.New
	switch id := client.ConnectionState().CipherSuite; id {
	case tls.TLS_AES_128_GCM_SHA256:
		c, keyLen = suites.CipherAES128GCM, 16
	case tls.TLS_AES_256_GCM_SHA384:
		c, keyLen, newHash = suites.CipherAES256GCM, 32, sha512.New384
	case tls.TLS_CHACHA20_POLY1305_SHA256:
		c, keyLen = suites.CipherChaCha20Poly1305, 32
	default:
		t.Fatalf("suite %#04x", id)
	}
	secrets := map[string][]byte{}
	for _, line := range strings.Split(strings.TrimSpace(keyLog.String()), "\n") {
		f := strings.Fields(line)
		secrets[f[0]], _ = hex.DecodeString(f[2])
	}
	prot := func(label string) Protection {
		s := secrets[label]
		if s == nil {
			t.Fatalf("no %s in key log", label)
		}
		p, err := NewProtectionTLS13(c, hkdfExpandLabel(newHash, s, "key", keyLen), hkdfExpandLabel(newHash, s, "iv", 12))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, dir := range []struct {
		name, hsSecret, appSecret, want string
		stream                          []byte
	}{
		{"server to client", "SERVER_HANDSHAKE_TRAFFIC_SECRET", "SERVER_TRAFFIC_SECRET_0", fromServer, sRec.out.Bytes()},
		{"client to server", "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "CLIENT_TRAFFIC_SECRET_0", fromClient, cRec.out.Bytes()},
	} {
		t.Run(dir.name, func(t *testing.T) {
			l := NewLayer(&loop{buf: bytes.Clone(dir.stream)})
			var a Assembler
			var got []string
			for {
				typ, b, err := l.ReadRecord()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatalf("after %v: %v", got, err)
				}
				switch typ {
				case wire.ContentHandshake:
					a.Add(b)
					for m, ok := a.Next(); ok; m, ok = a.Next() {
						got = append(got, handshakeName(m))
						switch {
						case m[0] == 1: // ClientHello: the client's next records are 1.3
							l.SetVersion(suites.VersionTLS13)
							l.SetReadProtection(prot(dir.hsSecret))
						case m[0] == 2:
							l.SetVersion(suites.VersionTLS13)
							l.SetReadProtection(prot(dir.hsSecret))
						case m[0] == 20:
							if a.Pending() {
								t.Fatal("handshake bytes across a key change")
							}
							l.SetReadProtection(prot(dir.appSecret))
						}
					}
				case wire.ContentChangeCipherSpec:
					got = append(got, "change_cipher_spec")
				case wire.ContentApplicationData:
					got = append(got, "application_data "+string(b))
				case wire.ContentAlert:
					got = append(got, "alert")
				}
			}
			joined := strings.Join(got, ", ")
			t.Logf("records: %s", joined)
			if !strings.Contains(joined, "finished") || !strings.Contains(joined, "application_data "+dir.want) {
				t.Fatalf("records read: %s", joined)
			}
		})
	}
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

const testPSKHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

func writePSKFile(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "keys.txt")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clasp serve --psk-file serves PSK clients without any certificate, and
// clasp connect --psk/--psk-identity reaches it in TLS 1.3 (external PSK)
// and TLS 1.2 (the default ECDHE_PSK suite, and a plain PSK suite named by
// its OpenSSL name, with its warning); the summary, the JSON and the
// server's log line name the identity.
func TestConnectAndServeWithPSK(t *testing.T) {
	keys := writePSKFile(t, "# site keys\nsensor-7:"+testPSKHex+"\nother:"+strings.Repeat("ab", 16)+"\n")
	s := startServe(t, "--psk-file", keys, "--psk-hint", "plant-7", "--ciphers", "ECDHE-PSK-CHACHA20-POLY1305,PSK-AES128-GCM-SHA256")
	if !strings.Contains(s.stderr.String(), "certificate: none (pre-shared keys only)") || s.fingerprint != "" {
		t.Errorf("a PSK-only server announced a certificate:\n%s", s.stderr)
	}
	psk := []string{"--psk", testPSKHex, "--psk-identity", "sensor-7", "--servername", "localhost"}

	r := runClasp(t, nil, append([]string{"connect", s.addr}, psk...)...)
	if r.exitCode != 0 || !strings.Contains(r.stdout, `pre-shared key:          "sensor-7"`) ||
		!strings.Contains(r.stdout, "protocol:                TLS 1.3") || !strings.Contains(r.stdout, "no certificate") {
		t.Errorf("TLS 1.3 exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}

	r = runClasp(t, nil, append([]string{"connect", "--tls1.2", "--json", s.addr}, psk...)...)
	var rep map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.exitCode != 0 ||
		rep["psk_identity"] != "sensor-7" || rep["cipher_suite"] != "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256" {
		t.Errorf("TLS 1.2 JSON exit %d, %v\n%s\n%s", r.exitCode, err, r.stdout, r.stderr)
	}

	r = runClasp(t, nil, append([]string{"connect", "--tls1.2", "--ciphers", "PSK-AES128-GCM-SHA256", s.addr}, psk...)...)
	if r.exitCode != 0 || !strings.Contains(r.stdout, "TLS_PSK_WITH_AES_128_GCM_SHA256") || !strings.Contains(r.stderr+r.stdout, "no forward secrecy") {
		t.Errorf("plain PSK exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
	s.stop(t)
	if log := s.stderr.String(); strings.Count(log, `psk-identity="sensor-7"`) != 3 {
		t.Errorf("the server's log does not name the identity of each handshake:\n%s", log)
	}
}

// A wrong identity fails with the diagnosis of an unknown identity; the
// story tells the PSK exchange in the language asked for.
func TestConnectPSKUnknownIdentityAndStory(t *testing.T) {
	s := startServe(t, "--psk-file", writePSKFile(t, "sensor-7:"+testPSKHex+"\n"), "--psk-hint", "plant-7")
	r := runClasp(t, nil, "connect", "--tls1.2", "--psk", testPSKHex, "--psk-identity", "sensor-8", "--servername", "localhost", s.addr)
	if r.exitCode == 0 || !strings.Contains(r.stderr, "unknown_psk_identity") {
		t.Errorf("unknown identity: exit %d\n%s", r.exitCode, r.stderr)
	}
	r = runClasp(t, nil, "connect", "--tls1.2", "--trace=story", "--lang=ru", "--psk", testPSKHex, "--psk-identity", "sensor-7", "--servername", "localhost", s.addr)
	if r.exitCode != 0 || !strings.Contains(r.stdout, `идентификатор "sensor-7"`) || !strings.Contains(r.stdout, `"plant-7"`) {
		t.Errorf("story exit %d\n%s\n%s", r.exitCode, r.stdout, r.stderr)
	}
}

// TLS 1.3, the default: an identity the PSK-only server does not know ends
// in handshake_failure (RFC 8446 §4.2.11 falls back to a full handshake,
// which a server without a certificate cannot do; §4.1.1; OpenSSL 3's
// s_server -nocert -psk answers the same), and a wrong key at the binder
// in decrypt_error (§4.2.11.2). The client and the server's log both
// explain each, not as an internal error.
func TestConnectPSKFailuresTLS13(t *testing.T) {
	s := startServe(t, "--psk-file", writePSKFile(t, "sensor-7:"+testPSKHex+"\n"))
	r := runClasp(t, nil, "connect", "--psk", testPSKHex, "--psk-identity", "sensor-9", "--servername", "localhost", s.addr)
	for _, want := range []string{`the server does not know the pre-shared key identity "sensor-9"`, "handshake_failure", "§4.2.11", "--psk-identity"} {
		if r.exitCode != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("unknown identity: exit %d, stderr lacks %q:\n%s", r.exitCode, want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "internal_error") {
		t.Errorf("unknown identity ended in internal_error:\n%s", r.stderr)
	}
	wrongKey := strings.Repeat("ee", 32)
	r = runClasp(t, nil, "connect", "--psk", wrongKey, "--psk-identity", "sensor-7", "--servername", "localhost", s.addr)
	if r.exitCode != 1 || !strings.Contains(r.stderr, "decrypt_error") || !strings.Contains(r.stderr, `the pre-shared key for "sensor-7" differs`) {
		t.Errorf("wrong key: exit %d\n%s", r.exitCode, r.stderr)
	}
	s.stop(t)
	log := s.stderr.String()
	for _, want := range []string{`"sensor-9", which this server has no key for`, "[psk_unknown_identity]", `the client's pre-shared key for "sensor-7" differs`, "[psk_wrong_key]"} {
		if !strings.Contains(log, want) {
			t.Errorf("the server's log lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, "[unknown]") {
		t.Errorf("the server's log has an unexplained failure:\n%s", log)
	}
}

// Bad --psk-file lines are named by their number; --psk needs its
// identity and a key of 16 bytes.
func TestPSKOptionsChecked(t *testing.T) {
	for _, tc := range []struct {
		file, want string
	}{
		{"# ok\na:" + testPSKHex + "\nno-colon-here\n", "line 3: want identity:hexkey"},
		{"a:zz" + testPSKHex + "\n", "line 1: the key of \"a\" is not hex"},
		{"\n\nshort:0011\n", "line 3: the key of \"short\" has 2 bytes"},
		{"a:" + testPSKHex + "\na:" + testPSKHex + "\n", "line 2: identity \"a\" is given twice"},
		{"# nothing\n", "no identity:hexkey line"},
	} {
		r := runClasp(t, nil, "serve", "--addr", "127.0.0.1:0", "--psk-file", writePSKFile(t, tc.file))
		if r.exitCode != 2 || !strings.Contains(r.stderr, tc.want) {
			t.Errorf("file %q: exit %d, stderr %q, want %q", tc.file, r.exitCode, r.stderr, tc.want)
		}
	}
	for _, args := range [][]string{{"--psk", testPSKHex}, {"--psk-identity", "x"}, {"--psk", "0011", "--psk-identity", "x"}} {
		r := runClasp(t, nil, append([]string{"connect", "127.0.0.1:1"}, args...)...)
		if r.exitCode != 2 || !strings.Contains(r.stderr, "--psk") {
			t.Errorf("%v: exit %d, stderr %q", args, r.exitCode, r.stderr)
		}
	}
}

// writeKeyPair writes a fresh P-256 private key and its public key as PEM.
func writeKeyPair(t *testing.T, dir, name string) (keyFile, pubFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	spki, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	keyFile, pubFile = filepath.Join(dir, name+"-key.pem"), filepath.Join(dir, name+"-pub.pem")
	writePEM(t, keyFile, "PRIVATE KEY", der)
	writePEM(t, pubFile, "PUBLIC KEY", spki)
	return keyFile, pubFile
}

// RFC 7250 raw public keys both ways from the command line: each side has
// --raw-public-key and pins the other's with --peer-key; a key that is not
// pinned is refused (bad_certificate).
func TestConnectAndServeWithRawPublicKeys(t *testing.T) {
	dir := t.TempDir()
	serverKey, serverPub := writeKeyPair(t, dir, "server")
	clientKey, clientPub := writeKeyPair(t, dir, "client")
	_, strangerPub := writeKeyPair(t, dir, "stranger")
	s := startServe(t, "--raw-public-key", serverKey, "--peer-key", clientPub)
	for _, version := range []string{"--tls1.3", "--tls1.2"} {
		r := runClasp(t, nil, "connect", version, "--raw-public-key", clientKey, "--peer-key", serverPub, s.addr)
		if r.exitCode != 0 || !strings.Contains(r.stdout, "raw public key:") || !strings.Contains(r.stdout, "one of the pinned keys") {
			t.Errorf("raw keys %s: exit %d\n%s\n%s", version, r.exitCode, r.stdout, r.stderr)
		}
	}
	r := runClasp(t, nil, "connect", "--raw-public-key", clientKey, "--peer-key", strangerPub, s.addr)
	if r.exitCode == 0 || !strings.Contains(r.stderr, "not one of the 1 in --peer-key") {
		t.Errorf("server key not pinned: exit %d\n%s", r.exitCode, r.stderr)
	}
	s.stop(t)
	if strings.Count(s.stderr.String(), "client-raw-key=") != 2 {
		t.Errorf("the server's log does not show the client's raw key:\n%s", s.stderr)
	}
}

// Against openssl s_server with one plain PSK suite, connect's default PSK
// offer is refused; the diagnosis (with its probes) names the --ciphers
// that connects and the forward-secret PSK suite for the server.
func TestConnectPSKNoCommonSuiteAgainstOpenSSL(t *testing.T) {
	srv := peertest.StartOpenSSLServer(t, peertest.NewPKI(t).RSA, "-nocert", "-tls1_2", "-cipher", "PSK-AES128-GCM-SHA256",
		"-psk", testPSKHex, "-psk_identity", "sensor-7", "-www", "-quiet")
	r := runClasp(t, nil, "connect", "--tls1.2", "--psk", testPSKHex, "--psk-identity", "sensor-7", srv.Addr)
	for _, want := range []string{"--ciphers PSK-AES128-GCM-SHA256", "TLS_ECDHE_PSK_WITH_CHACHA20_POLY1305_SHA256", "pre-shared key"} {
		if r.exitCode != 1 || !strings.Contains(r.stderr, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", r.exitCode, want, r.stderr)
		}
	}
}

// FuzzParsePSKFile: any file either parses into identities with keys of 16
// bytes or more, each found on a line of its own, or is refused as a usage
// error that names a line or says the file is empty; never a panic.
func FuzzParsePSKFile(f *testing.F) {
	f.Add([]byte("# keys\nsensor-7:" + testPSKHex + "\n"))
	f.Add([]byte("a:b:c:" + testPSKHex + "\r\n\n  spaced : " + testPSKHex + " \n"))
	f.Add([]byte(":" + testPSKHex))
	f.Add([]byte("x:0011\n"))
	f.Add([]byte("x:" + testPSKHex + "\nx:" + testPSKHex))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parsePSKFile("keys.txt", data)
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--psk-file keys.txt") {
				t.Fatalf("error %v (%T) is not a usage error naming the file", err, err)
			}
			return
		}
		if len(keys) == 0 {
			t.Fatal("parsed an empty key set")
		}
		for id, key := range keys {
			if id == "" || len(key) < 16 || !strings.Contains(string(data), id) {
				t.Fatalf("identity %q with a %d-byte key", id, len(key))
			}
		}
	})
}

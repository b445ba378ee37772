package main

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeCert writes a self-signed ECDSA P-256 certificate for 127.0.0.1.
func writeCert(t *testing.T, dir string) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "tlsserver test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile
}

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "tlsserver-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "tlsserver")
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// start runs tlsserver with args and returns where it listens.
func start(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	bin := binary
	certFile, keyFile := writeCert(t, dir)
	cmd := exec.Command(bin, append([]string{"-addr", "127.0.0.1:0", "-cert", certFile, "-key", keyFile}, args...)...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stderr).ReadString('\n')
	addr, ok := strings.CutPrefix(line, "listening on ")
	if err != nil || !ok {
		t.Fatalf("tlsserver said %q, %v; want \"listening on ADDR\"", line, err)
	}
	go io.Copy(io.Discard, stderr)
	addr, _, _ = strings.Cut(addr, " ")
	return addr
}

func TestEchoesUntilTheClientCloses(t *testing.T) {
	for _, stack := range []string{"crypto/tls", "clasp"} {
		t.Run(stack, func(t *testing.T) {
			addr := start(t, "-min-version", "1.3", "-stack", stack)
			conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if v := conn.ConnectionState().Version; v != tls.VersionTLS13 {
				t.Errorf("version %x, want TLS 1.3", v)
			}
			conn.Write([]byte("hello"))
			conn.CloseWrite()
			got, err := io.ReadAll(conn)
			if err != nil || string(got) != "hello" {
				t.Errorf("echo %q, %v; want hello and a clean close", got, err)
			}
		})
	}
}

func TestHTTPModeAnswersOneRequest(t *testing.T) {
	for _, stack := range []string{"crypto/tls", "clasp"} {
		t.Run(stack, func(t *testing.T) {
			addr := start(t, "-mode", "http", "-max-version", "1.2", "-ciphers", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "-stack", stack)
			conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if st := conn.ConnectionState(); st.Version != tls.VersionTLS12 || st.CipherSuite != tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 {
				t.Errorf("negotiated %x %x, want TLS 1.2 with the one suite allowed", st.Version, st.CipherSuite)
			}
			io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			got, err := io.ReadAll(conn)
			if err != nil || !strings.HasPrefix(string(got), "HTTP/1.1 200 OK\r\n") {
				t.Errorf("answer %q, %v", got, err)
			}
		})
	}
}

package explain

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// The tests in the *_peers_test.go files provoke real failures in real
// programs, capture the text each program prints, feed it to Explain and
// check the cause it names. provoked records every case for the log.

// expectCause explains output (what program printed for fault) and checks
// that the most specific cause is want.
func expectCause(t *testing.T, program, fault, output, want string) {
	t.Helper()
	c := mustLoad(t)
	r := c.Explain(output, "en", "")
	if !r.Recognised() {
		t.Errorf("%s / %s: nothing recognised in:\n%s", program, fault, output)
		return
	}
	var lines []string
	for _, l := range r.Lines {
		lines = append(lines, l.Text)
	}
	t.Logf("%s / %s: cause %s, from %q", program, fault, r.Primary, lines)
	if r.Primary != want {
		t.Errorf("%s / %s: cause %s, want %s; recognised lines %q", program, fault, r.Primary, want, lines)
	}
}

// faultPKI is a throwaway CA with the faulty certificates the peertest PKI
// does not have: a self-signed leaf and an expired one (both for localhost
// and 127.0.0.1, so that only the named fault is wrong).
type faultPKI struct {
	caFile                  string
	selfSigned, expired     leafFiles
	selfSignedPEM, combined string
}

type leafFiles struct{ cert, key, combined string }

var (
	faultOnce sync.Once
	faultVal  *faultPKI
	faultErr  error
)

func newFaultPKI(t *testing.T) *faultPKI {
	t.Helper()
	faultOnce.Do(func() { faultVal, faultErr = makeFaultPKI() })
	if faultErr != nil {
		t.Fatal(faultErr)
	}
	return faultVal
}

func makeFaultPKI() (*faultPKI, error) {
	dir, err := os.MkdirTemp("", "explain-pki-")
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "explain test CA"},
		NotBefore: now.Add(-48 * time.Hour), NotAfter: now.Add(48 * time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	p := &faultPKI{caFile: filepath.Join(dir, "ca.pem")}
	if err := os.WriteFile(p.caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o644); err != nil {
		return nil, err
	}
	leaf := func(serial int64, from, to time.Time) *x509.Certificate {
		return &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
			NotBefore: from, NotAfter: to, DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	}
	ssTmpl := leaf(2, now.Add(-time.Hour), now.Add(48*time.Hour))
	if p.selfSigned, err = writeFaultLeaf(dir, "selfsigned", ssTmpl, nil, nil); err != nil {
		return nil, err
	}
	exTmpl := leaf(3, now.Add(-72*time.Hour), now.Add(-24*time.Hour))
	if p.expired, err = writeFaultLeaf(dir, "expired", exTmpl, ca, caKey); err != nil {
		return nil, err
	}
	return p, nil
}

// writeFaultLeaf signs tmpl with parent (itself when parent is nil) and
// writes the certificate, the key and both together (for HAProxy).
func writeFaultLeaf(dir, name string, tmpl, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (leafFiles, error) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if parent == nil {
		parent, parentKey = tmpl, key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, parentKey)
	if err != nil {
		return leafFiles{}, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return leafFiles{}, err
	}
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	f := leafFiles{cert: filepath.Join(dir, name+".pem"), key: filepath.Join(dir, name+".key"), combined: filepath.Join(dir, name+"-combined.pem")}
	for path, data := range map[string][]byte{f.cert: certPEM, f.key: keyPEM, f.combined: append(append([]byte{}, certPEM...), keyPEM...)} {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			return leafFiles{}, err
		}
	}
	return f, nil
}

// asLeaf makes fault certificates usable with the peertest Start functions.
func (f leafFiles) asLeaf() *peertest.Leaf {
	return &peertest.Leaf{Name: "fault", CertFile: f.cert, KeyFile: f.key, ChainFile: f.cert}
}

// startPlainHTTP listens on 127.0.0.1 and answers whatever arrives with
// an HTTP 400, as a plain-HTTP server on a port a TLS client took for TLS.
func startPlainHTTP(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(5 * time.Second))
				bufio.NewReader(conn).Peek(1)
				conn.Write([]byte("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
			}()
		}
	}()
	return l.Addr().String()
}

// sendPlainHTTP writes an HTTP request in clear text to a TLS port, as a
// client that used http:// for an https:// address.
func sendPlainHTTP(t *testing.T, addr string) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	conn.Write([]byte("GET / HTTP/1.1\r\nHost: localhost\r\n\r\n"))
	buf := make([]byte, 4096)
	conn.Read(buf)
}

// runProgram runs a peer client to completion (bounded by 20 s) and
// returns everything it printed; a failure exit is the expected outcome.
func runProgram(t *testing.T, name string, args ...string) string {
	t.Helper()
	return runProgramWithin(t, 20*time.Second, name, args...)
}

// runProgramWithin is runProgram with another bound, for a run that holds
// many cases (the JVM compiles and runs the whole Java table at once).
func runProgramWithin(t *testing.T, limit time.Duration, name string, args ...string) string {
	t.Helper()
	requireProgram(t, name)
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = strings.NewReader("")
	cmd.WaitDelay = 2 * time.Second
	out, err := cmd.CombinedOutput()
	t.Logf("ran %s %s: %v", name, strings.Join(args, " "), err)
	if ctx.Err() != nil {
		t.Fatalf("%s timed out; output:\n%s", name, out)
	}
	return string(out)
}

// waitFor polls cond for up to 5 s: servers log a failed handshake a moment
// after the client has seen it.
func waitFor(cond func() bool) bool {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

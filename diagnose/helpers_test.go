package diagnose_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	os.Exit(code)
}

// claspCert turns a harness leaf into a clasp certificate.
func claspCert(l *peertest.Leaf) clasp.Certificate {
	return clasp.Certificate{Certificate: l.TLS.Certificate, PrivateKey: l.TLS.PrivateKey, Leaf: l.Cert}
}

// ---- certificates made for one test ----

// testCA is a CA made in the test: a root, or an intermediate under one.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial atomic.Int64

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func sign(t *testing.T, tmpl, parent *x509.Certificate, pub, parentKey any) *x509.Certificate {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, pub, parentKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func caTemplate(cn string) *x509.Certificate {
	now := time.Now()
	return &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1) + 1000), Subject: pkix.Name{CommonName: cn, Organization: []string{"clasp diagnose test"}},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
}

func newRoot(t *testing.T, cn string) *testCA {
	k := newKey(t)
	tmpl := caTemplate(cn)
	return &testCA{cert: sign(t, tmpl, tmpl, &k.PublicKey, k), key: k}
}

func (ca *testCA) intermediate(t *testing.T, cn string) *testCA {
	k := newKey(t)
	return &testCA{cert: sign(t, caTemplate(cn), ca.cert, &k.PublicKey, ca.key), key: k}
}

// leaf issues a certificate for names, valid from notBefore to notAfter.
func (ca *testCA) leaf(t *testing.T, cn string, names []string, notBefore, notAfter time.Time, eku x509.ExtKeyUsage) (*x509.Certificate, *ecdsa.PrivateKey) {
	k := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial.Add(1) + 1000), Subject: pkix.Name{CommonName: cn},
		NotBefore: notBefore, NotAfter: notAfter, DNSNames: names, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{eku}}
	return sign(t, tmpl, ca.cert, &k.PublicKey, ca.key), k
}

func (ca *testCA) pool() *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(ca.cert)
	return p
}

func writePEM(t *testing.T, name string, certs ...*x509.Certificate) string {
	t.Helper()
	var b []byte
	for _, c := range certs {
		b = append(b, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw})...)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func writeKey(t *testing.T, k *ecdsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "key.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// opensslLeaf writes a leaf (and optionally its chain) for s_server.
func opensslLeaf(t *testing.T, leaf *x509.Certificate, key *ecdsa.PrivateKey) *peertest.Leaf {
	return &peertest.Leaf{Name: "test", CertFile: writePEM(t, "leaf.pem", leaf), KeyFile: writeKey(t, key), Cert: leaf, Key: key}
}

// ---- running clasp ----

// dialClasp runs a clasp client against addr with a fresh Recorder and, if
// the handshake succeeds, sends a request and reads once: a TLS 1.3 client
// learns the server's verdict on its certificate or Finished only there.
func dialClasp(t *testing.T, addr string, cfg *clasp.Config) (error, *diagnose.Recorder) {
	t.Helper()
	rec := diagnose.NewRecorder()
	cfg = cfg.Clone()
	cfg.Tracer = rec
	conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return err, rec
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		return err, rec
	}
	buf := make([]byte, 1024)
	if _, err := conn.Read(buf); err != nil && !errors.Is(err, io.EOF) {
		return err, rec
	}
	return nil, rec
}

// serverOutcome is what a clasp server saw of one connection.
type serverOutcome struct {
	err error
	rec *diagnose.Recorder
}

// serveClaspOnce accepts one connection with a clasp server config and
// reports the handshake's outcome.
func serveClaspOnce(t *testing.T, cfg *clasp.Config) (string, <-chan serverOutcome) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	out := make(chan serverOutcome, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			out <- serverOutcome{err: err}
			return
		}
		defer raw.Close()
		rec := diagnose.NewRecorder()
		c := cfg.Clone()
		c.Tracer = rec
		conn := clasp.Server(raw, c)
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		err = conn.Handshake()
		if err == nil {
			buf := make([]byte, 1024)
			_, err = conn.Read(buf)
			if errors.Is(err, io.EOF) {
				err = nil
			}
		}
		out <- serverOutcome{err: err, rec: rec}
		if err == nil {
			_ = conn.Close()
		}
	}()
	return ln.Addr().String(), out
}

func waitServer(t *testing.T, ch <-chan serverOutcome) serverOutcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(20 * time.Second):
		t.Fatal("clasp server did not finish")
	}
	return serverOutcome{}
}

// ---- checking a diagnosis ----

// expect checks the cause and that the diagnosis names each piece of
// evidence (in the summary, explanation or fix), and logs it as the
// command would print it.
func expect(t *testing.T, d *diagnose.Diagnosis, cause diagnose.Cause, mentions ...string) {
	t.Helper()
	if d == nil {
		t.Fatalf("no diagnosis, want %s", cause)
	}
	t.Logf("diagnosis: %s: %s\n%s", d.Cause, d.Summary, d.Text())
	if d.Cause != cause {
		t.Errorf("cause = %s, want %s (evidence %v)", d.Cause, cause, d.Evidence)
	}
	all := d.Summary + "\n" + d.Explanation + "\n" + d.Fix
	for _, m := range mentions {
		if !strings.Contains(all, m) {
			t.Errorf("diagnosis does not mention %q", m)
		}
	}
	if d.Fix == "" || d.Explanation == "" || d.Summary == "" {
		t.Errorf("diagnosis has an empty part: %+v", d)
	}
	if _, err := json.Marshal(d); err != nil {
		t.Errorf("diagnosis does not marshal to JSON: %v", err)
	}
}

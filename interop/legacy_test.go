package interop

import (
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Issue 13: TLS 1.0 and 1.1, and the legacy suites (3DES, RC4, NULL),
// against real peers in both directions. Nothing here is on by default:
// every clasp Config below names the version or the suite.

// oldSuite is how each peer names one suite. peertest's table holds only the
// TLS 1.2 suites every peer runs by default; these need @SECLEVEL=0 and
// GnuTLS priority strings that enable old parts, so they are listed here.
type oldSuite struct {
	iana    string
	openssl string // "" when Debian's OpenSSL 3.0 has no such suite
	gnutls  string // KX:+CIPHER:+MAC for a priority string
	ecdsa   bool
}

func (s oldSuite) id() uint16 {
	info, ok := suites.SuiteByName(s.iana)
	if !ok {
		panic("no suite " + s.iana)
	}
	return uint16(info.ID)
}

func (s oldSuite) leaf(p *peertest.PKI) *peertest.Leaf {
	if s.ecdsa {
		return p.ECDSA
	}
	return p.RSA
}

// oldVersion is one of TLS 1.0 and 1.1 as each peer's flags spell it.
type oldVersion struct {
	v       uint16
	openssl string // s_server / s_client flag
	gnutls  string // priority keyword
	nss     string // -V range
	proto   string // s_client's "Protocol  :" value
}

var oldVersions = []oldVersion{
	{clasp.VersionTLS10, "-tls1", "VERS-TLS1.0", "tls1.0:tls1.0", "TLSv1"},
	{clasp.VersionTLS11, "-tls1_1", "VERS-TLS1.1", "tls1.1:tls1.1", "TLSv1.1"},
}

// oldVersionSuites cover each key exchange in TLS 1.0/1.1: ECDHE_RSA and
// DHE_RSA sign their ServerKeyExchange with the MD5+SHA-1 RSA signature
// (RFC 2246 §7.4.3, RFC 4346 §7.4.3), ECDHE_ECDSA with ECDSA over SHA-1
// (RFC 4492 §5.4), RSA key exchange signs nothing.
var oldVersionSuites = []oldSuite{
	{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA:+AES-128-CBC:+SHA1", false},
	{"TLS_DHE_RSA_WITH_AES_256_CBC_SHA", "DHE-RSA-AES256-SHA", "DHE-RSA:+AES-256-CBC:+SHA1", false},
	{"TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA:+AES-128-CBC:+SHA1", true},
	{"TLS_RSA_WITH_AES_128_CBC_SHA", "AES128-SHA", "RSA:+AES-128-CBC:+SHA1", false},
}

func gnutlsOldPriority(version string, s oldSuite) string {
	return "NONE:+" + version + ":+" + s.gnutls + ":+SIGN-ALL:+COMP-NULL:+GROUP-ALL"
}

// recordCounter wraps a connection and counts the application_data records
// this side writes, by parsing the record headers of what goes out.
type recordCounter struct {
	net.Conn
	mu      sync.Mutex
	pending []byte
	appData []int // fragment lengths of application_data records
}

func (r *recordCounter) Write(p []byte) (int, error) {
	r.mu.Lock()
	r.pending = append(r.pending, p...)
	for len(r.pending) >= 5 {
		n := int(r.pending[3])<<8 | int(r.pending[4])
		if len(r.pending) < 5+n {
			break
		}
		if r.pending[0] == 23 {
			r.appData = append(r.appData, n)
		}
		r.pending = r.pending[5+n:]
	}
	r.mu.Unlock()
	return r.Conn.Write(p)
}

func (r *recordCounter) records() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]int(nil), r.appData...)
}

// wantSplit checks the sending side's 1/n-1 split (record.Layer.WriteRecord):
// under TLS 1.0 or SSL 3.0 CBC (both chain the IV from record to record) one
// write of several bytes leaves as two records (the first holding one byte),
// under TLS 1.1 as one.
func wantSplit(t *testing.T, v uint16, cbc bool, records []int) {
	t.Helper()
	want := 1
	if v <= clasp.VersionTLS10 && cbc {
		want = 2
	}
	if len(records) != want {
		t.Errorf("%s: one write left as %d application_data records %v, want %d", clasp.VersionName(v), len(records), records, want)
	}
}

// claspOldGet dials addr with a clasp client pinned to version v and suite
// id, sends one GET in one Write, and returns the answer, the state and the
// application_data records the client wrote.
func claspOldGet(t *testing.T, addr string, cfg *clasp.Config) (string, clasp.ConnectionState, []int) {
	t.Helper()
	raw, err := net.DialTimeout("tcp", addr, 15*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	rc := &recordCounter{Conn: raw}
	conn := clasp.Client(rc, cfg)
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	if err := conn.Handshake(); err != nil {
		t.Fatalf("clasp client: %v", err)
	}
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	body, err := io.ReadAll(conn)
	if err != nil && len(body) == 0 {
		t.Fatalf("read: %v", err)
	}
	return string(body), conn.ConnectionState(), rc.records()
}

func oldClientConfig(pki *peertest.PKI, v uint16, id uint16) *clasp.Config {
	return &clasp.Config{
		MinVersion: v, MaxVersion: v,
		RootCAs: pki.CAPool, ServerName: "localhost",
		CipherSuites: []uint16{id},
		Groups:       []clasp.CurveID{clasp.X25519, clasp.CurveP256, clasp.FFDHE2048, clasp.FFDHE3072},
	}
}

func oldServerConfig(pki *peertest.PKI, v uint16, s oldSuite) *clasp.Config {
	return &clasp.Config{
		MinVersion: v, MaxVersion: v,
		Certificates: []clasp.Certificate{claspCert(s.leaf(pki))},
		CipherSuites: []uint16{s.id()},
	}
}

// startCountingClaspServer is startClaspServer whose connections count the
// application_data records the server writes.
func startCountingClaspServer(t *testing.T, cfg *clasp.Config) (string, <-chan serverResult, func() []int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	results := make(chan serverResult, 1)
	counted := make(chan *recordCounter, 1)
	go func() {
		raw, err := ln.Accept()
		if err != nil {
			results <- serverResult{err: err}
			return
		}
		rc := &recordCounter{Conn: raw}
		counted <- rc
		results <- serveOne(clasp.Server(rc, cfg))
	}()
	return ln.Addr().String(), results, func() []int {
		select {
		case rc := <-counted:
			return rc.records()
		case <-time.After(time.Second):
			return nil
		}
	}
}

// wantOldServer checks what the clasp server saw: version, suite, line, and
// the deprecation warning.
func wantOldServer(t *testing.T, results <-chan serverResult, v uint16, suite, line string) {
	t.Helper()
	select {
	case res := <-results:
		if res.err != nil {
			t.Fatalf("clasp server: %v", res.err)
		}
		if res.state.Version != v || suites.ID(res.state.CipherSuite).String() != suite {
			t.Errorf("clasp server negotiated %s %s, want %s %s", clasp.VersionName(res.state.Version),
				suites.ID(res.state.CipherSuite), clasp.VersionName(v), suite)
		}
		if res.line != line {
			t.Errorf("clasp server read %q, want %q", res.line, line)
		}
		if !strings.Contains(strings.Join(res.state.Warnings, "\n"), "deprecated") && v < clasp.VersionTLS12 {
			t.Errorf("clasp server warnings %q lack the deprecation", res.state.Warnings)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("clasp server saw no connection")
	}
}

func oldName(v oldVersion, s oldSuite) string {
	return fmt.Sprintf("%s/%s", clasp.VersionName(v.v), s.iana)
}

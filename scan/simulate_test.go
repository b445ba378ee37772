package scan

import (
	"context"
	"crypto/tls"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// testProfile is a TLS 1.3 and 1.2 client offering the given groups, with
// key shares for the first of them.
func testProfile(groups []suites.Group, shares int, ids ...suites.ID) *ClientProfile {
	p := &ClientProfile{ID: "test", Name: "test client", Source: ProfileSource{Kind: "published"}}
	h := &p.Hello
	h.RecordVersion, h.LegacyVersion = versionCode(suites.VersionTLS10), versionCode(suites.VersionTLS12)
	h.SupportedVersions = []CodePoint{versionCode(suites.VersionTLS13), versionCode(suites.VersionTLS12)}
	for _, id := range ids {
		h.CipherSuites = append(h.CipherSuites, suiteCode(id))
	}
	for i, g := range groups {
		h.Groups = append(h.Groups, groupCode(g))
		if i < shares {
			h.KeyShares = append(h.KeyShares, groupCode(g))
		}
	}
	h.SignatureSchemes = []CodePoint{schemeCode(0x0403), schemeCode(0x0804), schemeCode(0x0401)}
	h.Extensions = []ExtensionProfile{{Code: extensionCode(0)}, {Code: extensionCode(10)}, {Code: extensionCode(13)},
		{Code: extensionCode(43)}, {Code: extensionCode(51)}}
	return p
}

func simulateOne(t *testing.T, addr string, p *ClientProfile) ClientVerdict {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Scan(ctx, addr, Options{Timeout: 10 * time.Second, Clients: []*ClientProfile{p}})
	if err != nil {
		t.Fatal(err)
	}
	return rep.Clients[0]
}

// A TLS 1.3 server that takes only secp521r1: a client without it has no
// common group (RFC 8446 §4.1.1: the server aborts with handshake_failure
// when it finds no acceptable group), and one that offers it without a
// share gets a HelloRetryRequest and connects.
func TestSimulationGroupsAndHelloRetry(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.RSA.TLS}, MinVersion: tls.VersionTLS13,
		CurvePreferences: []tls.CurveID{tls.CurveP521}})
	v := simulateOne(t, addr, testProfile([]suites.Group{suites.X25519, suites.Secp256r1}, 1, 0x1301))
	if v.Connects || !strings.Contains(v.Reason, "no common group in TLS 1.3: the client offers x25519 and secp256r1; the server accepts only secp521r1") {
		t.Errorf("no common group: %+v", v)
	}
	v = simulateOne(t, addr, testProfile([]suites.Group{suites.X25519, suites.Secp521r1}, 1, 0x1301))
	if !v.Connects || !v.HelloRetry || v.Group != suites.Secp521r1 || v.Version != suites.VersionTLS13 {
		t.Errorf("HelloRetryRequest: %+v", v)
	}
}

// A TLS 1.2 and 1.3 server with AES-GCM only: a client with only CBC
// suites and ChaCha20 is told which suites each side has.
func TestSimulationNoCommonSuite(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.ECDSA.TLS}, MaxVersion: tls.VersionTLS12,
		CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}})
	v := simulateOne(t, addr, testProfile([]suites.Group{suites.X25519}, 1, 0x1303, 0xC009, 0xCCA9))
	want := "no common cipher suite: in TLS 1.2 it offers only TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA and TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256; the server accepts only TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"
	if v.Connects || v.Reason != want {
		t.Errorf("got %+v\nwant reason %q", v, want)
	}
	v = simulateOne(t, addr, testProfile([]suites.Group{suites.X25519}, 1, 0x1301, 0xC02B))
	if !v.Connects || v.Version != suites.VersionTLS12 || v.Suite != 0xC02B || v.Group != suites.X25519 || v.Scheme == 0 {
		t.Errorf("TLS 1.2 connect: %+v", v)
	}
}

// A client that requires a 2048-bit DH group fails on a server whose DHE
// group has 1024 bits, as Java 8's jdk.tls.disabledAlgorithms or OpenSSL's
// security level 2 refuse it after the ServerKeyExchange.
func TestSimulationDHLimit(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2", "-cipher", "DHE-RSA-AES128-GCM-SHA256@SECLEVEL=0",
		"-dhparam", dhParams1024(t), "-quiet")
	p := testProfile([]suites.Group{suites.X25519}, 0, 0x009E)
	p.Limits.MinDHBits = 2048
	v := simulateOne(t, srv.Addr, p)
	if v.Connects || v.Reason != "the server's DH group has 1024 bits; the client requires at least 2048" {
		t.Errorf("%+v", v)
	}
}

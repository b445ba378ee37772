package diagnose_test

import (
	"slices"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/internal/peertest"
)

func claspServerConfig(l *peertest.Leaf) *clasp.Config {
	return &clasp.Config{Certificates: []clasp.Certificate{claspCert(l)}}
}

// The classic case, seen from a clasp server: an old client (here OpenSSL
// limited to static-RSA CBC suites) meets a server that dropped them.
func TestNoCommonCipherSuiteServerSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := claspServerConfig(pki.RSA)
	cfg.MaxVersion = clasp.VersionTLS12
	addr, out := serveClaspOnce(t, cfg)
	if o, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_2", "-cipher", "AES256-SHA:AES128-SHA"); err == nil {
		t.Fatalf("s_client succeeded:\n%s", o)
	}
	o := waitServer(t, out)
	d := diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), cfg)
	expect(t, d, diagnose.CauseNoCommonCipherSuite,
		"TLS_RSA_WITH_AES_256_CBC_SHA", "TLS_RSA_WITH_AES_128_CBC_SHA", // what the client offered
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", // what the server accepts, and would work
		"intersection is empty", "static RSA", "On the client")
	if c, _ := d.Evidence["common"].([]string); len(c) != 0 {
		t.Errorf("common = %v, want empty", c)
	}
	could, _ := d.Evidence["client_could_enable"].([]string)
	if !slices.Contains(could, "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") || slices.Contains(could, "TLS_AES_128_GCM_SHA256") {
		t.Errorf("client_could_enable = %v: want the server's TLS 1.2 suites only (the client offered TLS 1.2)", could)
	}
	if could, _ := d.Evidence["server_could_enable"].([]string); !slices.Contains(could, "TLS_RSA_WITH_AES_128_CBC_SHA") {
		t.Errorf("server_could_enable = %v", could)
	}
}

// Seen from a clasp client, the server's handshake_failure does not say
// which part of the offer it refused: the diagnosis lists the offer and
// what narrowed it, and does not claim more.
func TestOfferRejectedClientSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "ECDHE-RSA-AES256-GCM-SHA384")
	cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MaxVersion: clasp.VersionTLS12,
		CipherSuites: []uint16{peertest.SuiteID("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")}}
	err, rec := dialClasp(t, srv.Addr, cfg)
	d := diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg)
	expect(t, d, diagnose.CauseOfferRejected, "handshake_failure", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
		"cipher suites are restricted to 1 (--ciphers)", "TLS 1.3 is disabled")
}

func TestNoCommonVersionClientSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2")
	cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MinVersion: clasp.VersionTLS13}
	err, rec := dialClasp(t, srv.Addr, cfg)
	d := diagnose.ExplainWithConfig(err, rec, "client", time.Now(), cfg)
	expect(t, d, diagnose.CauseNoCommonVersion, "protocol_version", "TLS 1.3", "--min-version 1.2")
}

func TestNoCommonVersionServerSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := claspServerConfig(pki.ECDSA)
	cfg.MinVersion = clasp.VersionTLS13
	addr, out := serveClaspOnce(t, cfg)
	if o, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_2"); err == nil {
		t.Fatalf("s_client succeeded:\n%s", o)
	}
	o := waitServer(t, out)
	d := diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), cfg)
	expect(t, d, diagnose.CauseNoCommonVersion, "TLS 1.2", "TLS 1.3", "intersection is empty")
}

func TestNoCommonGroupServerSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := claspServerConfig(pki.ECDSA)
	cfg.Groups = []clasp.CurveID{clasp.CurveP384}
	addr, out := serveClaspOnce(t, cfg)
	if o, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_3", "-groups", "X25519"); err == nil {
		t.Fatalf("s_client succeeded:\n%s", o)
	}
	o := waitServer(t, out)
	d := diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), cfg)
	expect(t, d, diagnose.CauseNoCommonGroup, "x25519", "secp384r1", "intersection is empty")
}

func TestNoCommonSignatureSchemeServerSide(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := claspServerConfig(pki.ECDSA) // an ECDSA key cannot make RSA-PSS signatures
	addr, out := serveClaspOnce(t, cfg)
	if o, err := peertest.RunOpenSSLClient(t, addr, "", "-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"); err == nil {
		t.Fatalf("s_client succeeded:\n%s", o)
	}
	o := waitServer(t, out)
	d := diagnose.ExplainWithConfig(o.err, o.rec, "server", time.Now(), cfg)
	expect(t, d, diagnose.CauseNoCommonSignatureScheme, "rsa_pss_rsae_sha256", "ECDSA key")
}

package interop

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Mutual TLS against real peers, TLS 1.2 and TLS 1.3: every ClientAuth
// policy of a clasp server with openssl s_client (no certificate, the PKI's
// client certificate, one from a CA the server does not know), a clasp
// client against s_server -Verify, crypto/tls and GnuTLS both ways, and the
// CA names of CertificateRequest (from ClientCAs; s_server's from -CAfile).

const mtlsSuite12 = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"

var mtlsVersions = []uint16{clasp.VersionTLS12, clasp.VersionTLS13}

func versionTag(v uint16) string {
	if v == clasp.VersionTLS13 {
		return "tls13"
	}
	return "tls12"
}

// mtlsServerConfig is a clasp server pinned to one version with the ECDSA
// leaf, trusting the PKI's CA for client certificates.
func mtlsServerConfig(t *testing.T, v uint16, auth clasp.ClientAuthType) *clasp.Config {
	pki := peertest.NewPKI(t)
	cfg := &clasp.Config{MinVersion: v, MaxVersion: v, Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
		ClientAuth: auth, ClientCAs: pki.CAPool}
	if v == clasp.VersionTLS12 {
		cfg.CipherSuites = []uint16{peertest.SuiteID(mtlsSuite12)}
	}
	return cfg
}

// mtlsClientConfig is a clasp client pinned to one version.
func mtlsClientConfig(t *testing.T, v uint16) *clasp.Config {
	pki := peertest.NewPKI(t)
	return &clasp.Config{MinVersion: v, MaxVersion: v, RootCAs: pki.CAPool, ServerName: "localhost"}
}

func opensslVersionArgs(v uint16) []string {
	if v == clasp.VersionTLS13 {
		return []string{"-tls1_3"}
	}
	return peertest.OpenSSLCipherArgs(mtlsSuite12)
}

func gnutlsVersionPriority(v uint16) string {
	if v == clasp.VersionTLS13 {
		return "NORMAL:-VERS-ALL:+VERS-TLS1.3"
	}
	return peertest.GnuTLSPriority(mtlsSuite12)
}

// missingCertAlert is the alert a server sends a client that sent no
// certificate when one is required: handshake_failure in TLS 1.2 (RFC 5246
// §7.4.6), certificate_required in TLS 1.3 (RFC 8446 §4.4.2.4).
func missingCertAlert(v uint16) string {
	if v == clasp.VersionTLS13 {
		return "certificate_required"
	}
	return "handshake_failure"
}

// opensslAlertText is how OpenSSL prints a received alert.
var opensslAlertText = map[string]string{
	"handshake_failure":    "alert handshake failure",
	"certificate_required": "alert certificate required",
	"unknown_ca":           "alert unknown ca",
	"bad_certificate":      "alert bad certificate",
}

// TestMTLSClaspServerPoliciesWithOpenSSLClient: each ClientAuth policy ×
// what s_client holds (nothing, the PKI's client certificate, a rogue CA's)
// × TLS 1.2 and 1.3.
func TestMTLSClaspServerPoliciesWithOpenSSLClient(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	rogue := newOtherCA(t)
	type want struct {
		ok       bool
		cert     bool // the server sees a client certificate
		verified bool
	}
	ok, okCert, okVerified, fails := want{ok: true}, want{true, true, false}, want{true, true, true}, want{}
	policies := []struct {
		auth                 clasp.ClientAuthType
		name                 string
		none, client, rogueW want
	}{
		{clasp.NoClientCert, "NoClientCert", ok, ok, ok},
		{clasp.RequestClientCert, "RequestClientCert", ok, okCert, okCert},
		{clasp.RequireAnyClientCert, "RequireAnyClientCert", fails, okCert, okCert},
		{clasp.VerifyClientCertIfGiven, "VerifyClientCertIfGiven", ok, okVerified, fails},
		{clasp.RequireAndVerifyClientCert, "RequireAndVerifyClientCert", fails, okVerified, fails},
	}
	holdings := []struct {
		name string
		args []string
	}{
		{"no-cert", nil},
		{"client-cert", []string{"-cert", pki.Client.CertFile, "-key", pki.Client.KeyFile}},
		{"rogue-cert", []string{"-cert", rogue.certFile, "-key", rogue.keyFile}},
	}
	for _, v := range mtlsVersions {
		for _, p := range policies {
			for i, h := range holdings {
				w := []want{p.none, p.client, p.rogueW}[i]
				t.Run(versionTag(v)+"/"+p.name+"/"+h.name, func(t *testing.T) {
					srv := startLoopServer(t, fixedConfig(mtlsServerConfig(t, v, p.auth)), nil)
					args := append(append([]string{"-ign_eof"}, opensslVersionArgs(v)...), h.args...)
					out, err := peertest.RunOpenSSLClient(t, srv.addr, "hello\n", args...)
					r := srv.next(t)
					// CertificateRequest carries ClientCAs' subjects.
					if p.auth == clasp.NoClientCert {
						mustContain(t, "s_client", out, "No client certificate CA names sent")
					} else {
						mustContain(t, "s_client", out, "Acceptable client certificate CA names\nO = clasp peertest, CN = peertest CA\n")
					}
					if w.ok {
						if err != nil || r.err != nil {
							t.Fatalf("s_client: %v; clasp server: %v\n%s", err, r.err, out)
						}
						mustContain(t, "s_client", out, "clasp echo: hello")
						if got := len(r.state.PeerCertificates) > 0; got != w.cert {
							t.Errorf("clasp server has a client certificate: %v, want %v", got, w.cert)
						}
						if got := len(r.state.VerifiedChains) > 0; got != w.verified {
							t.Errorf("clasp server verified the client certificate: %v, want %v", got, w.verified)
						}
						return
					}
					if r.err == nil {
						t.Fatalf("clasp server accepted the client:\n%s", out)
					}
					name, sent := alertName(r.err)
					wantAlerts := []string{missingCertAlert(v)}
					if h.name == "rogue-cert" {
						wantAlerts = []string{"unknown_ca", "bad_certificate"}
					}
					if !sent || !contains(wantAlerts, name) {
						t.Errorf("clasp server error %v: sent alert %q (sent %v), want one of %v", r.err, name, sent, wantAlerts)
					}
					if sent && !strings.Contains(out, opensslAlertText[name]) {
						t.Errorf("s_client did not report %s:\n%s", name, out)
					}
					if strings.Contains(out, "clasp echo: hello") {
						t.Errorf("s_client got application data through:\n%s", out)
					}
					t.Logf("clasp server: %v", r.err)
				})
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// claspTalk dials, writes a GET, and reads the answer. In TLS 1.3 a
// client's handshake ends before the server has checked its certificate,
// so a refusal may surface only at the first Read: the error returned is
// the first one on the way.
func claspTalk(addr string, cfg *clasp.Config) (string, clasp.ConnectionState, error) {
	conn, err := clasp.Dial("tcp", addr, cfg)
	if err != nil {
		return "", clasp.ConnectionState{}, err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.0\r\n\r\n"); err != nil {
		// The server may have sent its alert and closed before the request
		// went out: the alert is still there to read.
		if _, rerr := conn.Read(make([]byte, 1)); rerr != nil {
			if name, _ := alertName(rerr); name != "" {
				err = rerr
			}
		}
		return "", conn.ConnectionState(), err
	}
	body, err := io.ReadAll(conn)
	if len(body) > 0 && errors.Is(err, io.EOF) {
		err = nil
	}
	return string(body), conn.ConnectionState(), err
}

// recordCAs is a GetClientCertificate that records the server's CA names
// and answers with cert (nil: none).
func recordCAs(got *[][]byte, cert *clasp.Certificate) func(*clasp.CertificateRequestInfo) (*clasp.Certificate, error) {
	return func(info *clasp.CertificateRequestInfo) (*clasp.Certificate, error) {
		*got = info.AcceptableCAs
		if cert == nil {
			return &clasp.Certificate{}, nil
		}
		return cert, nil
	}
}

// wantPKICANames checks that the CA names are exactly the PKI CA's
// subject.
func wantPKICANames(t *testing.T, who string, got [][]byte) {
	t.Helper()
	want := peertest.NewPKI(t).CACert.RawSubject
	if len(got) != 1 || !bytes.Equal(got[0], want) {
		t.Errorf("%s CA names in CertificateRequest: %d names %x, want exactly the PKI CA's subject %x", who, len(got), got, want)
	}
}

// clientCase is one thing a clasp client does when asked for a
// certificate.
type clientCase struct {
	name   string
	config func(cfg *clasp.Config, cas *[][]byte)
	ok     bool
	alerts []string // acceptable alerts from the server when !ok; nil: by version
}

func claspClientCases(t *testing.T) []clientCase {
	pki := peertest.NewPKI(t)
	rogue := newOtherCA(t)
	good := claspCert(pki.Client)
	return []clientCase{
		{name: "get-client-certificate", ok: true, config: func(cfg *clasp.Config, cas *[][]byte) {
			cfg.GetClientCertificate = recordCAs(cas, &good)
		}},
		{name: "selected-by-ca-names", ok: true, config: func(cfg *clasp.Config, cas *[][]byte) {
			// The rogue certificate first: selection by the CA names must
			// skip it.
			cfg.Certificates = []clasp.Certificate{rogue.leaf, good}
		}},
		{name: "no-certificate", config: func(cfg *clasp.Config, cas *[][]byte) {
			cfg.GetClientCertificate = recordCAs(cas, nil)
		}},
		{name: "rogue-ca", alerts: []string{"unknown_ca", "bad_certificate"}, config: func(cfg *clasp.Config, cas *[][]byte) {
			cfg.GetClientCertificate = recordCAs(cas, &rogue.leaf)
		}},
	}
}

// checkClaspClient judges one clasp client run against a requiring server.
func checkClaspClient(t *testing.T, v uint16, tc clientCase, cas [][]byte, body string, err error, peerOut func() string) {
	t.Helper()
	if tc.ok {
		if err != nil {
			t.Fatalf("clasp client: %v\n%s", err, peerOut())
		}
		return
	}
	if err == nil {
		t.Fatalf("clasp client got through without an acceptable certificate:\n%s", body)
	}
	alerts := tc.alerts
	if alerts == nil {
		alerts = []string{missingCertAlert(v)}
	}
	name, sent := alertName(err)
	if sent || !contains(alerts, name) {
		t.Errorf("clasp client error %q: alert %q (sent by clasp: %v), want the server's %v", err, name, sent, alerts)
	}
	// A clear error names the alert.
	if !strings.Contains(err.Error(), name) {
		t.Errorf("clasp client error %q does not name the alert", err)
	}
	t.Logf("clasp client: %v", err)
}

// TestMTLSClaspClientToOpenSSLServer: `openssl s_server -Verify 1
// -verify_return_error -CAfile CA` requires a client certificate; the clasp client sees the CA file's
// subject as the only acceptable CA.
func TestMTLSClaspClientToOpenSSLServer(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	for _, v := range mtlsVersions {
		for _, tc := range claspClientCases(t) {
			t.Run(versionTag(v)+"/"+tc.name, func(t *testing.T) {
				// Without -verify_return_error s_server's verify callback only
				// prints a failed client chain and accepts it anyway.
				args := append([]string{"-www", "-Verify", "1", "-verify_return_error", "-CAfile", pki.CACertFile}, opensslVersionArgs(v)...)
				srv := peertest.StartOpenSSLServer(t, pki.ECDSA, args...)
				cfg := mtlsClientConfig(t, v)
				var cas [][]byte
				tc.config(cfg, &cas)
				body, _, err := claspTalk(srv.Addr, cfg)
				checkClaspClient(t, v, tc, cas, body, err, srv.Output)
				if tc.config != nil && cfg.GetClientCertificate != nil {
					wantPKICANames(t, "s_server's", cas)
				}
				if tc.ok && !strings.Contains(body, "Cipher is") {
					t.Errorf("s_server page:\n%s", body)
				}
			})
		}
	}
}

// TestMTLSClaspClientToCryptoTLSServer: crypto/tls with
// RequireAndVerifyClientCert and ClientCAs.
func TestMTLSClaspClientToCryptoTLSServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, v := range mtlsVersions {
		for _, tc := range claspClientCases(t) {
			t.Run(versionTag(v)+"/"+tc.name, func(t *testing.T) {
				goCfg := &tls.Config{MinVersion: v, MaxVersion: v, Certificates: []tls.Certificate{pki.ECDSA.TLS},
					ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pki.CAPool}
				addr, goErr := goHTTPishServer(t, goCfg)
				cfg := mtlsClientConfig(t, v)
				var cas [][]byte
				tc.config(cfg, &cas)
				body, _, err := claspTalk(addr, cfg)
				serverErr := <-goErr
				checkClaspClient(t, v, tc, cas, body, err, func() string { return fmt.Sprint("crypto/tls server: ", serverErr) })
				if cfg.GetClientCertificate != nil {
					wantPKICANames(t, "crypto/tls's", cas)
				}
				if !tc.ok && serverErr == nil {
					t.Error("crypto/tls server accepted the client")
				}
			})
		}
	}
}

// goHTTPishServer serves one connection with crypto/tls: the handshake,
// then one request line answered with "go ok". It reports the server's
// error.
func goHTTPishServer(t *testing.T, cfg *tls.Config) (string, <-chan error) {
	t.Helper()
	ln, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	done := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			done <- err
			return
		}
		defer c.Close()
		_ = c.SetDeadline(time.Now().Add(10 * time.Second))
		if err := c.(*tls.Conn).Handshake(); err != nil {
			done <- err
			return
		}
		if _, err := bufio.NewReader(c).ReadString('\n'); err != nil {
			done <- err
			return
		}
		_, err = io.WriteString(c, "go ok\n")
		done <- err
	}()
	return ln.Addr().String(), done
}

// TestMTLSCryptoTLSClientToClaspServer: a crypto/tls client with the PKI's
// client certificate against a clasp server requiring and verifying one;
// GetClientCertificate sees the clasp server's CA names.
func TestMTLSCryptoTLSClientToClaspServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, v := range mtlsVersions {
		t.Run(versionTag(v), func(t *testing.T) {
			srv := startLoopServer(t, fixedConfig(mtlsServerConfig(t, v, clasp.RequireAndVerifyClientCert)), nil)
			var cas [][]byte
			goCfg := &tls.Config{MinVersion: v, MaxVersion: v, RootCAs: pki.CAPool, ServerName: "localhost",
				GetClientCertificate: func(info *tls.CertificateRequestInfo) (*tls.Certificate, error) {
					cas = info.AcceptableCAs
					return &pki.Client.TLS, nil
				}}
			goLineExchange(t, srv.addr, goCfg, "hello")
			r := srv.next(t)
			if r.err != nil || len(r.state.VerifiedChains) == 0 {
				t.Fatalf("clasp server: %v, verified chains %d", r.err, len(r.state.VerifiedChains))
			}
			if got := r.state.PeerCertificates[0].Subject.CommonName; got != "peertest client" {
				t.Errorf("clasp server saw client %q", got)
			}
			wantPKICANames(t, "clasp's", cas)
		})
	}
}

// TestMTLSGnuTLS: gnutls-cli --x509certfile/--x509keyfile against a clasp
// server requiring and verifying a certificate, and a clasp client against
// gnutls-serv --require-client-cert --verify-client-cert --x509cafile.
func TestMTLSGnuTLS(t *testing.T) {
	peertest.Require(t, "gnutls-cli", "gnutls-serv")
	pki := peertest.NewPKI(t)
	for _, v := range mtlsVersions {
		t.Run(versionTag(v)+"/gnutls-cli", func(t *testing.T) {
			for _, withCert := range []bool{true, false} {
				srv := startLoopServer(t, fixedConfig(mtlsServerConfig(t, v, clasp.RequireAndVerifyClientCert)), nil)
				args := []string{"--priority", gnutlsVersionPriority(v)}
				if withCert {
					args = append(args, "--x509certfile", pki.Client.CertFile, "--x509keyfile", pki.Client.KeyFile)
				}
				out, err := peertest.RunGnuTLSClient(t, srv.addr, "hello\n", args...)
				r := srv.next(t)
				if withCert {
					if err != nil || r.err != nil || len(r.state.VerifiedChains) == 0 {
						t.Fatalf("gnutls-cli: %v; clasp server: %v\n%s", err, r.err, out)
					}
					mustContain(t, "gnutls-cli", out, "clasp echo: hello")
					continue
				}
				name, sent := alertName(r.err)
				if !sent || name != missingCertAlert(v) {
					t.Errorf("without a certificate: clasp server %v, want it to send %s", r.err, missingCertAlert(v))
				}
				if strings.Contains(out, "clasp echo: hello") {
					t.Errorf("gnutls-cli got through without a certificate:\n%s", out)
				}
			}
		})
		t.Run(versionTag(v)+"/gnutls-serv", func(t *testing.T) {
			for _, tc := range claspClientCases(t) {
				srv := peertest.StartGnuTLSServer(t, pki.ECDSA, gnutlsVersionPriority(v), "--http",
					"--require-client-cert", "--verify-client-cert", "--x509cafile", pki.CACertFile)
				cfg := mtlsClientConfig(t, v)
				var cas [][]byte
				tc.config(cfg, &cas)
				body, _, err := claspTalk(srv.Addr, cfg)
				if tc.ok {
					if err != nil || !strings.Contains(body, "200 OK") {
						t.Errorf("%s: clasp client: %v\n%s\n%s", tc.name, err, body, srv.Output())
					}
				} else {
					// GnuTLS's own alerts: no certificate is decode_error in
					// TLS 1.2 (gnutls-cli gets the same from gnutls-serv) and
					// certificate_required in TLS 1.3; an unknown CA is
					// access_denied.
					want := map[string]string{"no-certificate": "decode_error", "rogue-ca": "access_denied"}[tc.name]
					if tc.name == "no-certificate" && v == clasp.VersionTLS13 {
						want = "certificate_required"
					}
					if name, sent := alertName(err); name != want || sent {
						t.Errorf("%s: clasp client error %v (alert %q), want gnutls-serv's %s", tc.name, err, name, want)
					}
				}
				if cfg.GetClientCertificate != nil {
					wantPKICANames(t, "gnutls-serv's", cas)
				}
			}
		})
	}
}

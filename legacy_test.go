package clasp

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/trace"
)

// decisionWarnings keeps the Warning of every cipher_suite Decision.
type decisionWarnings struct {
	mu   sync.Mutex
	seen []string
}

func (d *decisionWarnings) Trace(e trace.Event) {
	if dec, ok := e.(*trace.Decision); ok && dec.What == "cipher_suite" {
		d.mu.Lock()
		d.seen = append(d.seen, dec.Warning)
		d.mu.Unlock()
	}
}

func (d *decisionWarnings) all() []string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return append([]string(nil), d.seen...)
}

// Every legacy suite (3DES, RC4, NULL) runs clasp to clasp in every
// version it exists in when both sides name it, and both sides say so: in
// ConnectionState.Warnings and in the trace's cipher_suite Decision.
func TestHandshakeEveryLegacySuiteWhenNamed(t *testing.T) {
	for _, id := range suites.LegacySuites() {
		s := suites.SuiteByID(id)
		for _, v := range []uint16{VersionTLS10, VersionTLS11, VersionTLS12} {
			if !s.SupportsVersion(suites.Version(v)) {
				continue
			}
			t.Run(s.Name+"/"+VersionName(v), func(t *testing.T) {
				var clientTrace, serverTrace decisionWarnings
				client := testClientConfig(t)
				client.MinVersion, client.MaxVersion, client.CipherSuites = v, v, []uint16{uint16(id)}
				client.Tracer = &clientTrace
				server := testServerConfig(t)
				server.MinVersion, server.CipherSuites = v, []uint16{uint16(id)}
				server.Tracer = &serverTrace
				legacySuiteConfigs(t, s, v, client, server)
				r := testHandshake(t, client, server)
				r.mustSucceed(t)
				r.exchange(t)
				if r.clientState.CipherSuite != uint16(id) || r.clientState.Version != v {
					t.Fatalf("negotiated %s in %s", r.clientState.CipherSuiteName, VersionName(r.clientState.Version))
				}
				for side, st := range map[string]ConnectionState{"client": r.clientState, "server": r.serverState} {
					if !strings.Contains(strings.Join(st.Warnings, "\n"), s.Name+":") {
						t.Errorf("%s warnings %q do not name %s", side, st.Warnings, s.Name)
					}
				}
				for side, d := range map[string]*decisionWarnings{"client": &clientTrace, "server": &serverTrace} {
					w := d.all()
					if len(w) != 1 || !strings.Contains(w[0], "legacy suite") {
						t.Errorf("%s cipher_suite decision warnings %q, want one naming the legacy suite", side, w)
					}
				}
			})
		}
	}
}

// A default Config never offers or accepts a legacy suite, and the error
// names the setting that would (the server's Detail, the client's Hint).
func TestDefaultConfigRefusesLegacySuites(t *testing.T) {
	// One suite of each legacy family: 3DES, RC4 (with both MACs) and NULL.
	for _, id := range []suites.ID{suites.TLS_RSA_WITH_3DES_EDE_CBC_SHA, suites.TLS_RSA_WITH_RC4_128_SHA,
		suites.TLS_RSA_WITH_RC4_128_MD5, suites.TLS_RSA_WITH_NULL_SHA, suites.TLS_RSA_WITH_NULL_SHA256} {
		suite := []uint16{uint16(id)}
		t.Run(id.String()+"/default server", func(t *testing.T) {
			client := testClientConfig(t)
			client.MaxVersion, client.CipherSuites = VersionTLS12, suite
			r := testHandshake(t, client, testServerConfig(t))
			var ne *NegotiationError
			if !errors.As(r.serverErr, &ne) || !strings.Contains(ne.Error(), "Config.CipherSuites") || !strings.Contains(ne.Error(), "--ciphers") {
				t.Fatalf("server error %v, want a NegotiationError naming Config.CipherSuites and --ciphers", r.serverErr)
			}
		})
		t.Run(id.String()+"/default client", func(t *testing.T) {
			server := testServerConfig(t)
			server.CipherSuites = suite
			client := testClientConfig(t)
			client.MaxVersion = VersionTLS12
			r := testHandshake(t, client, server)
			var oe *OfferRejectedError
			if !errors.As(r.clientErr, &oe) || !strings.Contains(oe.Hint, "Config.CipherSuites") || !strings.Contains(r.clientErr.Error(), "--ciphers") {
				t.Fatalf("client error %v, want an OfferRejectedError whose hint names Config.CipherSuites and --ciphers", r.clientErr)
			}
		})
	}
}

// TLS 1.0 and 1.1 are refused by a default Config on either side, with the
// setting to change named in the error.
func TestDefaultConfigRefusesTLS10And11(t *testing.T) {
	// A suite that exists in TLS 1.0, so that only the version is missing.
	cbc := []uint16{uint16(suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)}
	for _, v := range []uint16{VersionTLS10, VersionTLS11} {
		t.Run(VersionName(v)+"/default server", func(t *testing.T) {
			client := testClientConfig(t)
			client.MinVersion, client.MaxVersion, client.CipherSuites = v, v, cbc
			r := testHandshake(t, client, testServerConfig(t))
			var ne *NegotiationError
			if !errors.As(r.serverErr, &ne) || !strings.Contains(ne.Detail, "Config.MinVersion") || !strings.Contains(ne.Detail, "--min-version") {
				t.Fatalf("server error %v, want a NegotiationError naming Config.MinVersion and --min-version", r.serverErr)
			}
		})
		t.Run(VersionName(v)+"/default client", func(t *testing.T) {
			server := testServerConfig(t)
			server.MinVersion, server.MaxVersion, server.CipherSuites = v, v, cbc
			client := testClientConfig(t)
			client.CipherSuites = append(cbc, uint16(suites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256))
			r := testHandshake(t, client, server)
			// A server limited to an old version answers with it (as
			// OpenSSL does); one that alerts protocol_version gets the
			// same hint through OfferRejectedError.
			var ne *NegotiationError
			if !errors.As(r.clientErr, &ne) || !strings.Contains(ne.Detail, "Config.MinVersion") || !strings.Contains(ne.Detail, "--min-version") {
				t.Fatalf("client error %v, want a NegotiationError naming Config.MinVersion and --min-version", r.clientErr)
			}
		})
	}
}

// SSL 3.0 (RFC 6101) runs clasp to clasp when both sides name it in
// MinVersion, with RSA and DHE key exchange and CBC or RC4 records, and
// says POODLE in its warning.
func TestHandshakeSSL30WhenNamed(t *testing.T) {
	for _, id := range []suites.ID{suites.TLS_RSA_WITH_AES_128_CBC_SHA, suites.TLS_DHE_RSA_WITH_AES_256_CBC_SHA,
		suites.TLS_RSA_WITH_3DES_EDE_CBC_SHA, suites.TLS_RSA_WITH_RC4_128_MD5, suites.TLS_RSA_WITH_NULL_SHA} {
		t.Run(id.String(), func(t *testing.T) {
			client := testClientConfig(t)
			client.MinVersion, client.MaxVersion, client.CipherSuites = VersionSSL30, VersionSSL30, []uint16{uint16(id)}
			client.Groups = []CurveID{FFDHE2048}
			server := testServerConfig(t, testCerts(t).rsaLeaf)
			server.MinVersion, server.CipherSuites = VersionSSL30, []uint16{uint16(id)}
			server.Groups = []CurveID{FFDHE2048}
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			r.exchange(t)
			if r.clientState.Version != VersionSSL30 || r.clientState.ExtendedMasterSecret {
				t.Fatalf("negotiated %s, EMS %v", VersionName(r.clientState.Version), r.clientState.ExtendedMasterSecret)
			}
			for side, st := range map[string]ConnectionState{"client": r.clientState, "server": r.serverState} {
				if !strings.Contains(strings.Join(st.Warnings, "\n"), "POODLE") {
					t.Errorf("%s warnings %q lack the POODLE caveat", side, st.Warnings)
				}
			}
		})
	}
}

// A default Config, and one allowing TLS 1.0, never speak SSL 3.0.
func TestSSL30OnlyWhenMinVersionNamesIt(t *testing.T) {
	suite := []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)}
	client := testClientConfig(t)
	client.MinVersion, client.MaxVersion, client.CipherSuites = VersionSSL30, VersionSSL30, suite
	server := testServerConfig(t, testCerts(t).rsaLeaf)
	server.MinVersion, server.CipherSuites = VersionTLS10, suite
	r := testHandshake(t, client, server)
	var ne *NegotiationError
	if !errors.As(r.serverErr, &ne) || ne.What != "protocol version" || !strings.Contains(ne.Detail, "--min-version ssl3") {
		t.Fatalf("a TLS 1.0 server answered an SSL 3.0 hello, or its error does not name --min-version ssl3: %v", r.serverErr)
	}
}

// SSL 3.0 session-ID resumption (RFC 6101 §5.5) clasp to clasp: the
// abbreviated handshake's Finished messages are the SSL 3.0 ones too.
func TestSSL30ResumptionBySessionID(t *testing.T) {
	suite := []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)}
	client := testClientConfig(t)
	client.MinVersion, client.MaxVersion, client.CipherSuites = VersionSSL30, VersionSSL30, suite
	client.ClientSessionCache, client.SessionTicketsDisabled = NewLRUClientSessionCache(4), true
	server := testServerConfig(t, testCerts(t).rsaLeaf)
	server.MinVersion, server.CipherSuites = VersionSSL30, suite
	server.SessionStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 4})
	_, second := resumeTwice(t, client, server)
	if !second.clientState.DidResume || !second.serverState.DidResume || second.clientState.Version != VersionSSL30 {
		t.Fatalf("second SSL 3.0 handshake: resumed client %v server %v, %s", second.clientState.DidResume,
			second.serverState.DidResume, VersionName(second.clientState.Version))
	}
}

// SSL 3.0 has no PRF, so RFC 5705 exporters do not exist there: the
// exporter refuses even with InsecureExporterWithoutEMS.
func TestSSL30HasNoExporter(t *testing.T) {
	suite := []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)}
	client := testClientConfig(t)
	client.MinVersion, client.MaxVersion, client.CipherSuites = VersionSSL30, VersionSSL30, suite
	client.InsecureExporterWithoutEMS = true
	server := testServerConfig(t, testCerts(t).rsaLeaf)
	server.MinVersion, server.CipherSuites = VersionSSL30, suite
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	if _, err := r.clientState.ExportKeyingMaterial("EXPORTER-test", nil, 16); err == nil || !strings.Contains(err.Error(), "SSL 3.0") {
		t.Fatalf("SSL 3.0 exporter: %v", err)
	}
}

// SSL 3.0 client authentication (RFC 6101 §5.6.8): the CertificateVerify
// signs the pad construction over the handshake, clasp to clasp.
func TestSSL30ClientAuthentication(t *testing.T) {
	suite := []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)}
	client := testClientConfig(t)
	client.MinVersion, client.MaxVersion, client.CipherSuites = VersionSSL30, VersionSSL30, suite
	client.Certificates = []Certificate{testCerts(t).rsaLeaf}
	server := testServerConfig(t, testCerts(t).rsaLeaf)
	server.MinVersion, server.CipherSuites = VersionSSL30, suite
	server.ClientAuth, server.ClientCAs = RequireAnyClientCert, nil
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	if len(r.serverState.PeerCertificates) == 0 {
		t.Fatal("the server saw no client certificate")
	}
}

// An SSL 3.0 client without a certificate answers a CertificateRequest
// with the no_certificate warning alert (RFC 6101 §5.6.6); a server that
// only requests a certificate goes on, one that requires it refuses.
func TestSSL30NoCertificateAlert(t *testing.T) {
	suite := []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)}
	for _, policy := range []ClientAuthType{RequestClientCert, RequireAnyClientCert} {
		client := testClientConfig(t)
		client.MinVersion, client.MaxVersion, client.CipherSuites = VersionSSL30, VersionSSL30, suite
		server := testServerConfig(t, testCerts(t).rsaLeaf)
		server.MinVersion, server.CipherSuites, server.ClientAuth = VersionSSL30, suite, policy
		r := testHandshake(t, client, server)
		if policy == RequestClientCert {
			r.mustSucceed(t)
			if !strings.Contains(strings.Join(r.serverState.Warnings, "\n"), "no_certificate") {
				t.Errorf("server warnings %q do not show the no_certificate alert", r.serverState.Warnings)
			}
			continue
		}
		if r.serverErr == nil || !strings.Contains(r.serverErr.Error(), "requires a client certificate") {
			t.Errorf("RequireAnyClientCert: server error %v", r.serverErr)
		}
	}
}

// A default client meeting an SSL 3.0-only server refuses its ServerHello
// and names the setting that would allow it.
func TestDefaultClientRefusesSSL30Server(t *testing.T) {
	suite := []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)}
	server := testServerConfig(t, testCerts(t).rsaLeaf)
	server.MinVersion, server.MaxVersion, server.CipherSuites = VersionSSL30, VersionSSL30, suite
	client := testClientConfig(t)
	client.CipherSuites = suite
	r := testHandshake(t, client, server)
	var ne *NegotiationError
	if !errors.As(r.clientErr, &ne) || !strings.Contains(ne.Detail, "--min-version ssl3") {
		t.Fatalf("client error %v, want a NegotiationError naming --min-version ssl3", r.clientErr)
	}
}

// Server-initiated renegotiation (HelloRequest, with the RFC 5746
// binding, whose verify_data is 36 bytes in SSL 3.0) in SSL 3.0 and TLS
// 1.0, clasp to clasp, asking for the client certificate the second time.
func TestRenegotiationInSSL30AndTLS10(t *testing.T) {
	suite := []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)}
	for _, v := range []uint16{VersionSSL30, VersionTLS10} {
		t.Run(VersionName(v), func(t *testing.T) {
			client := testClientConfig(t)
			client.MinVersion, client.MaxVersion, client.CipherSuites = v, v, suite
			client.Renegotiation = RenegotiateOnceAsClient
			client.Certificates = []Certificate{testCerts(t).rsaLeaf}
			server := testServerConfig(t, testCerts(t).rsaLeaf)
			server.MinVersion, server.CipherSuites = v, suite
			server.ClientCAs = testCerts(t).caPool
			res := testHandshake(t, client, server)
			res.mustSucceed(t)
			clientRead := make(chan struct{})
			go func() {
				defer close(clientRead)
				expectData(t, res.client, "before")
				expectData(t, res.client, "after")
			}()
			if _, err := res.server.Write([]byte("before")); err != nil {
				t.Fatal(err)
			}
			require := RequireAndVerifyClientCert
			if err := res.server.Renegotiate(context.Background(), &require); err != nil {
				t.Fatalf("Renegotiate: %v", err)
			}
			st := res.server.ConnectionState()
			if len(st.PeerCertificates) == 0 || !st.SecureRenegotiation || st.Version != v {
				t.Fatalf("after renegotiating: %d peer certificates, secure %v, %s", len(st.PeerCertificates), st.SecureRenegotiation, VersionName(st.Version))
			}
			if _, err := res.server.Write([]byte("after")); err != nil {
				t.Fatal(err)
			}
			<-clientRead
		})
	}
}

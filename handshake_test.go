package clasp

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

func TestHandshakeDefaultConfigEachKeyType(t *testing.T) {
	p := testCerts(t)
	for _, tc := range []struct {
		name   string
		cert   Certificate
		scheme SignatureScheme
	}{
		{"ECDSA-P256", p.ecdsaLeaf, ECDSAWithP256AndSHA256},
		{"RSA-2048", p.rsaLeaf, PSSWithSHA256},
		{"Ed25519", p.ed25519Leaf, Ed25519},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Truly default Configs: no version pinned, so that this test
			// follows clasp's defaults as they move (TLS 1.3 included).
			client := &Config{RootCAs: p.caPool, ServerName: "localhost"}
			server := &Config{Certificates: []Certificate{tc.cert}}
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			r.exchange(t)
			cs := r.clientState
			if len(cs.VerifiedChains) == 0 || !bytes.Equal(cs.PeerCertificates[0].Raw, tc.cert.Certificate[0]) {
				t.Error("client did not verify the server's chain")
			}
			if r.serverState.ServerName != "localhost" {
				t.Errorf("server saw SNI %q", r.serverState.ServerName)
			}
			// Secure defaults leave nothing to warn about.
			if len(cs.Warnings) != 0 || len(r.serverState.Warnings) != 0 {
				t.Errorf("warnings with the defaults: client %q server %q", cs.Warnings, r.serverState.Warnings)
			}
			if cs.CurveID == 0 || cs.CurveID != r.serverState.CurveID {
				t.Errorf("group client %v server %v", cs.CurveID, r.serverState.CurveID)
			}
			switch cs.Version {
			case VersionTLS13:
				return
			case VersionTLS12:
			default:
				t.Fatalf("version %s, want TLS 1.2 or 1.3", VersionName(cs.Version))
			}
			// The TLS 1.2 defaults are ECDHE with an AEAD and nothing else.
			if !slices.Contains(suites.DefaultSuites(), suites.ID(cs.CipherSuite)) {
				t.Errorf("negotiated %s, not a default suite", cs.CipherSuiteName)
			}
			if cs.SignatureScheme != tc.scheme {
				t.Errorf("client saw scheme %v, want %v", cs.SignatureScheme, tc.scheme)
			}
			if !cs.ExtendedMasterSecret || !r.serverState.ExtendedMasterSecret {
				t.Error("extended master secret not negotiated by default")
			}
			if !cs.SecureRenegotiation || !r.serverState.SecureRenegotiation {
				t.Error("secure renegotiation not signalled by default")
			}
		})
	}
}

func TestHandshakeEveryImplementedSuite(t *testing.T) {
	for _, id := range suites.ImplementedSuites() {
		s := suites.SuiteByID(id)
		t.Run(s.Name, func(t *testing.T) {
			client := testClientConfig(t)
			client.CipherSuites = []uint16{uint16(id)}
			server := testServerConfig(t)
			server.CipherSuites = []uint16{uint16(id)}
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			r.exchange(t)
			if r.clientState.CipherSuite != uint16(id) {
				t.Fatalf("negotiated %s", r.clientState.CipherSuiteName)
			}
			// Anything outside the AEAD-ECDHE defaults is reported as weak,
			// except a CBC suite whose records are encrypt-then-MAC (RFC
			// 7366), which has no padding oracle left to warn about.
			weak, _ := s.IsWeakOnConnection(r.clientState.EncryptThenMAC)
			if weak && len(r.clientState.Warnings) == 0 {
				t.Errorf("%s is weak but the client reports no warning", s.Name)
			}
			if s.KeyExchange == suites.KexRSA && (r.clientState.CurveID != 0 || r.clientState.SignatureScheme != 0) {
				t.Errorf("RSA key exchange reports group %v scheme %v", r.clientState.CurveID, r.clientState.SignatureScheme)
			}
		})
	}
}

func TestHandshakeDHEWithEachRFC7919Group(t *testing.T) {
	for _, g := range []CurveID{FFDHE2048, FFDHE3072, FFDHE4096, FFDHE6144, FFDHE8192} {
		t.Run(g.String(), func(t *testing.T) {
			if testing.Short() && g > FFDHE4096 {
				t.Skip("large DHE groups are slow")
			}
			suite := []uint16{uint16(suites.TLS_DHE_RSA_WITH_AES_128_GCM_SHA256)}
			client := testClientConfig(t)
			client.CipherSuites, client.Groups = suite, []CurveID{g}
			server := testServerConfig(t, testCerts(t).rsaLeaf)
			server.CipherSuites, server.Groups = suite, []CurveID{g}
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			r.exchange(t)
			if r.clientState.CurveID != g || r.serverState.CurveID != g {
				t.Errorf("group client %v server %v, want %v", r.clientState.CurveID, r.serverState.CurveID, g)
			}
		})
	}
}

// TLS 1.0 and 1.1 run only when both sides name them, and are then
// reported as deprecated.
func TestHandshakeLegacyVersionsWhenBothSidesAllowThem(t *testing.T) {
	for _, v := range []uint16{VersionTLS10, VersionTLS11} {
		for _, id := range []suites.ID{suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, suites.TLS_RSA_WITH_AES_128_CBC_SHA} {
			t.Run(VersionName(v)+"/"+id.String(), func(t *testing.T) {
				client := testClientConfig(t)
				client.MinVersion, client.MaxVersion, client.CipherSuites = v, v, []uint16{uint16(id)}
				server := testServerConfig(t, testCerts(t).rsaLeaf)
				server.MinVersion, server.CipherSuites = v, []uint16{uint16(id)}
				r := testHandshake(t, client, server)
				r.mustSucceed(t)
				r.exchange(t)
				if r.clientState.Version != v {
					t.Fatalf("negotiated %s", VersionName(r.clientState.Version))
				}
				for side, st := range map[string]ConnectionState{"client": r.clientState, "server": r.serverState} {
					if !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, VersionName(v)) }) {
						t.Errorf("%s warnings %q do not name %s", side, st.Warnings, VersionName(v))
					}
				}
			})
		}
	}
}

func TestHandshakeDefaultServerRefusesTLS10Client(t *testing.T) {
	client := testClientConfig(t)
	client.MinVersion, client.MaxVersion = VersionTLS10, VersionTLS10
	client.CipherSuites = []uint16{uint16(suites.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA)}
	r := testHandshake(t, client, testServerConfig(t))
	wantSentAlert(t, "server", r.serverErr, wire.AlertProtocolVersion)
	wantReceivedAlert(t, "client", r.clientErr, wire.AlertProtocolVersion)
}

func TestHandshakeClientAuthPolicies(t *testing.T) {
	p := testCerts(t)
	type outcome int
	const (
		ok outcome = iota
		okVerified
		refused // server: handshake_failure, no certificate
	)
	for _, tc := range []struct {
		policy         ClientAuthType
		withCert, want outcome
	}{
		{NoClientCert, ok, ok},
		{RequestClientCert, ok, ok},
		{RequireAnyClientCert, ok, refused},
		{VerifyClientCertIfGiven, okVerified, ok},
		{RequireAndVerifyClientCert, okVerified, refused},
	} {
		for _, sendCert := range []bool{true, false} {
			name := map[ClientAuthType]string{NoClientCert: "NoClientCert", RequestClientCert: "RequestClientCert",
				RequireAnyClientCert: "RequireAnyClientCert", VerifyClientCertIfGiven: "VerifyClientCertIfGiven",
				RequireAndVerifyClientCert: "RequireAndVerifyClientCert"}[tc.policy]
			if sendCert {
				name += "/with-cert"
			} else {
				name += "/without-cert"
			}
			t.Run(name, func(t *testing.T) {
				client := testClientConfig(t)
				if sendCert {
					client.Certificates = []Certificate{p.clientECDSA}
				}
				server := testServerConfig(t)
				server.ClientAuth, server.ClientCAs = tc.policy, p.caPool
				r := testHandshake(t, client, server)
				want := tc.want
				if sendCert {
					want = tc.withCert
				}
				if want == refused {
					wantSentAlert(t, "server", r.serverErr, wire.AlertHandshakeFailure)
					wantReceivedAlert(t, "client", r.clientErr, wire.AlertHandshakeFailure)
					return
				}
				r.mustSucceed(t)
				r.exchange(t)
				peer := r.serverState.PeerCertificates
				switch {
				case tc.policy == NoClientCert || !sendCert:
					if len(peer) != 0 {
						t.Errorf("server has %d peer certificates, want none", len(peer))
					}
				case len(peer) != 1 || !bytes.Equal(peer[0].Raw, p.clientECDSA.Certificate[0]):
					t.Errorf("server did not receive the client certificate")
				}
				if verified := len(r.serverState.VerifiedChains) > 0; verified != (want == okVerified) {
					t.Errorf("server verified chains: %v, want %v", verified, want == okVerified)
				}
			})
		}
	}
}

// A client certificate from a CA the server does not trust is refused with
// unknown_ca when the policy verifies it. GetClientCertificate forces the
// client to send it: the default choice would skip a certificate whose
// issuer is not among the server's acceptable CAs.
func TestServerRejectsClientCertificateFromUnknownCA(t *testing.T) {
	p := testCerts(t)
	for _, policy := range []ClientAuthType{VerifyClientCertIfGiven, RequireAndVerifyClientCert} {
		t.Run(map[ClientAuthType]string{VerifyClientCertIfGiven: "VerifyClientCertIfGiven", RequireAndVerifyClientCert: "RequireAndVerifyClientCert"}[policy], func(t *testing.T) {
			client := testClientConfig(t)
			client.GetClientCertificate = func(*CertificateRequestInfo) (*Certificate, error) { return &p.clientOtherCA, nil }
			server := testServerConfig(t)
			server.ClientAuth, server.ClientCAs = policy, p.caPool
			r := testHandshake(t, client, server)
			var ve *CertificateVerificationError
			if !errors.As(r.serverErr, &ve) {
				t.Fatalf("server error %v, want a CertificateVerificationError", r.serverErr)
			}
			if a := alertOf(r.serverErr); a != int(wire.AlertUnknownCA) && a != int(wire.AlertBadCertificate) {
				t.Fatalf("server sent %s, want unknown_ca or bad_certificate", wire.AlertDescription(a))
			}
			wantReceivedAlert(t, "client", r.clientErr, wire.AlertDescription(alertOf(r.serverErr)))
		})
	}
}

// The default client certificate choice skips a certificate that does not
// chain to one of the CAs the server named; with RequireAndVerify the
// server then refuses the empty answer.
func TestClientSkipsCertificateFromUnlistedCA(t *testing.T) {
	p := testCerts(t)
	client := testClientConfig(t)
	client.Certificates = []Certificate{p.clientOtherCA}
	server := testServerConfig(t)
	server.ClientAuth, server.ClientCAs = VerifyClientCertIfGiven, p.caPool
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	if len(r.serverState.PeerCertificates) != 0 {
		t.Fatal("client sent a certificate from a CA the server did not list")
	}
}

func TestHandshakeALPN(t *testing.T) {
	t.Run("negotiated", func(t *testing.T) {
		client := testClientConfig(t)
		client.NextProtos = []string{"h2", "http/1.1"}
		server := testServerConfig(t)
		server.NextProtos = []string{"http/1.1", "h2"}
		r := testHandshake(t, client, server)
		r.mustSucceed(t)
		// The server's preference wins.
		if r.clientState.NegotiatedProtocol != "http/1.1" || r.serverState.NegotiatedProtocol != "http/1.1" {
			t.Errorf("ALPN client %q server %q, want http/1.1", r.clientState.NegotiatedProtocol, r.serverState.NegotiatedProtocol)
		}
	})
	t.Run("mismatch", func(t *testing.T) {
		client := testClientConfig(t)
		client.NextProtos = []string{"h2"}
		server := testServerConfig(t)
		server.NextProtos = []string{"http/1.1"}
		r := testHandshake(t, client, server)
		wantSentAlert(t, "server", r.serverErr, wire.AlertNoApplicationProtocol)
		wantReceivedAlert(t, "client", r.clientErr, wire.AlertNoApplicationProtocol)
		var ne *NegotiationError
		if !errors.As(r.serverErr, &ne) || ne.What != "application protocol" {
			t.Errorf("server error %v, want a NegotiationError for the application protocol", r.serverErr)
		}
		var oe *OfferRejectedError
		if !errors.As(r.clientErr, &oe) || !slices.Equal(oe.ApplicationProtocols, []string{"h2"}) {
			t.Errorf("client error %v, want an OfferRejectedError listing ALPN [h2]", r.clientErr)
		}
	})
	t.Run("server without ALPN ignores it", func(t *testing.T) {
		client := testClientConfig(t)
		client.NextProtos = []string{"h2"}
		r := testHandshake(t, client, testServerConfig(t))
		r.mustSucceed(t)
		if r.clientState.NegotiatedProtocol != "" {
			t.Errorf("negotiated %q", r.clientState.NegotiatedProtocol)
		}
	})
}

func TestServerChoosesCertificateBySNI(t *testing.T) {
	p := testCerts(t)
	for _, name := range []string{"a.test", "b.test"} {
		t.Run(name, func(t *testing.T) {
			client := testClientConfig(t)
			client.ServerName = name
			r := testHandshake(t, client, testServerConfig(t, p.sniA, p.sniB))
			r.mustSucceed(t)
			if got := r.clientState.PeerCertificates[0].DNSNames; !slices.Equal(got, []string{name}) {
				t.Errorf("server presented the certificate for %v", got)
			}
			if r.serverState.ServerName != name {
				t.Errorf("server saw SNI %q", r.serverState.ServerName)
			}
		})
	}
}

func TestServerGetCertificate(t *testing.T) {
	p := testCerts(t)
	var got *ClientHelloInfo
	server := testServerConfig(t, p.rsaLeaf) // would be chosen without the callback
	server.GetCertificate = func(info *ClientHelloInfo) (*Certificate, error) {
		got = info
		return &p.ed25519Leaf, nil
	}
	client := testClientConfig(t)
	client.NextProtos = []string{"x"}
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	if !bytes.Equal(r.clientState.PeerCertificates[0].Raw, p.ed25519Leaf.Certificate[0]) {
		t.Error("the server did not present the certificate GetCertificate returned")
	}
	if got == nil || got.ServerName != "localhost" || !slices.Equal(got.SupportedProtos, []string{"x"}) || len(got.CipherSuites) == 0 {
		t.Errorf("GetCertificate saw %+v", got)
	}

	t.Run("error", func(t *testing.T) {
		server := testServerConfig(t)
		boom := errors.New("no certificate for you")
		server.GetCertificate = func(*ClientHelloInfo) (*Certificate, error) { return nil, boom }
		r := testHandshake(t, testClientConfig(t), server)
		if !errors.Is(r.serverErr, boom) {
			t.Fatalf("server error %v, want the callback's", r.serverErr)
		}
		if r.clientErr == nil {
			t.Fatal("client succeeded")
		}
	})
}

func TestClientVerifyPeerCertificateHookError(t *testing.T) {
	hookErr := errors.New("pinned key mismatch")
	client := testClientConfig(t)
	var sawChains int
	client.VerifyPeerCertificate = func(raw [][]byte, chains [][]*x509.Certificate) error {
		sawChains = len(chains)
		return hookErr
	}
	r := testHandshake(t, client, testServerConfig(t))
	if !errors.Is(r.clientErr, hookErr) {
		t.Fatalf("client error %v, want the hook's", r.clientErr)
	}
	if sawChains == 0 {
		t.Error("the hook ran without the verified chains")
	}
	wantSentAlert(t, "client", r.clientErr, wire.AlertBadCertificate)
	wantReceivedAlert(t, "server", r.serverErr, wire.AlertBadCertificate)
}

func TestClientRejectsHostnameMismatch(t *testing.T) {
	client := testClientConfig(t)
	client.ServerName = "example.com"
	r := testHandshake(t, client, testServerConfig(t))
	var ve *CertificateVerificationError
	if !errors.As(r.clientErr, &ve) {
		t.Fatalf("client error %v, want a CertificateVerificationError", r.clientErr)
	}
	wantSentAlert(t, "client", r.clientErr, wire.AlertBadCertificate)
	wantReceivedAlert(t, "server", r.serverErr, wire.AlertBadCertificate)
}

func TestClientRejectsExpiredCertificate(t *testing.T) {
	client := testClientConfig(t)
	client.Time = func() time.Time { return testNotAfter.Add(24 * time.Hour) }
	r := testHandshake(t, client, testServerConfig(t))
	wantSentAlert(t, "client", r.clientErr, wire.AlertCertificateExpired)
	wantReceivedAlert(t, "server", r.serverErr, wire.AlertCertificateExpired)
}

func TestClientRejectsUnknownCA(t *testing.T) {
	client := testClientConfig(t)
	client.RootCAs = testCerts(t).otherCAPool
	r := testHandshake(t, client, testServerConfig(t))
	wantSentAlert(t, "client", r.clientErr, wire.AlertUnknownCA)
	wantReceivedAlert(t, "server", r.serverErr, wire.AlertUnknownCA)
}

// Either side turning RFC 7627 off turns it off for the connection, and
// both report it.
func TestExtendedMasterSecretOffOnOneSide(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		t.Run(side+" disables", func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			if side == "client" {
				client.DisableExtendedMasterSecret = true
			} else {
				server.DisableExtendedMasterSecret = true
			}
			r := testHandshake(t, client, server)
			r.mustSucceed(t)
			r.exchange(t)
			if r.clientState.ExtendedMasterSecret || r.serverState.ExtendedMasterSecret {
				t.Errorf("EMS client %v server %v, want false on both", r.clientState.ExtendedMasterSecret, r.serverState.ExtendedMasterSecret)
			}
			for name, st := range map[string]ConnectionState{"client": r.clientState, "server": r.serverState} {
				if !slices.ContainsFunc(st.Warnings, func(w string) bool { return strings.Contains(w, "extended master secret") }) {
					t.Errorf("%s does not warn about the missing EMS: %q", name, st.Warnings)
				}
			}
		})
	}
}

// recordingTracer keeps every event it is given.
type recordingTracer struct {
	mu     sync.Mutex
	events []trace.Event
}

func (r *recordingTracer) Trace(e trace.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	// Raw aliases connection buffers only during the call.
	if m, ok := e.(*trace.Message); ok {
		c := *m
		c.Raw = bytes.Clone(m.Raw)
		e = &c
	}
	r.events = append(r.events, e)
}

func (r *recordingTracer) messages() []*trace.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []*trace.Message
	for _, e := range r.events {
		if m, ok := e.(*trace.Message); ok {
			out = append(out, m)
		}
	}
	return out
}

func TestTracerSeesTheHandshakeInOrder(t *testing.T) {
	ct, st := &recordingTracer{}, &recordingTracer{}
	client, server := testClientConfig(t), testServerConfig(t)
	client.Tracer, server.Tracer = ct, st
	r := testHandshake(t, client, server)
	r.mustSucceed(t)

	wantNames := func(side string, msgs []*trace.Message, want []string) {
		t.Helper()
		var got []string
		for _, m := range msgs {
			got = append(got, m.Direction.String()+" "+m.Name)
		}
		if !slices.Equal(got, want) {
			t.Errorf("%s messages:\n got %q\nwant %q", side, got, want)
		}
	}
	wantNames("client", ct.messages(), []string{
		"sent ClientHello", "received ServerHello", "received Certificate", "received ServerKeyExchange",
		"received ServerHelloDone", "sent ClientKeyExchange", "sent ChangeCipherSpec", "sent Finished",
		"received ChangeCipherSpec", "received Finished"})
	wantNames("server", st.messages(), []string{
		"received ClientHello", "sent ServerHello", "sent Certificate", "sent ServerKeyExchange",
		"sent ServerHelloDone", "received ClientKeyExchange", "received ChangeCipherSpec", "received Finished",
		"sent ChangeCipherSpec", "sent Finished"})

	for side, tr := range map[string]*recordingTracer{"client": ct, "server": st} {
		evs := tr.events
		if last := evs[len(evs)-1]; last.Common().Kind != trace.KindDone {
			t.Errorf("%s: last event is kind %d, want Done", side, last.Common().Kind)
		}
		kinds := map[trace.Kind]int{}
		for i, e := range evs {
			kinds[e.Common().Kind]++
			wantSide := trace.Client
			if side == "server" {
				wantSide = trace.Server
			}
			if e.Common().Side != wantSide {
				t.Errorf("%s event %d has side %v", side, i, e.Common().Side)
			}
			// Epoch 1 (the negotiated keys) must be installed before
			// the Finished messages travel under it.
			if m, ok := e.(*trace.Message); ok && m.Name == "Finished" && m.Epoch != 1 {
				t.Errorf("%s: Finished %s at epoch %d", side, m.Direction, m.Epoch)
			}
		}
		for _, k := range []trace.Kind{trace.KindState, trace.KindDecision, trace.KindKeys} {
			if kinds[k] == 0 {
				t.Errorf("%s: no event of kind %d", side, k)
			}
		}
		if kinds[trace.KindKeys] != 2 {
			t.Errorf("%s: %d key changes, want 2 (one per direction)", side, kinds[trace.KindKeys])
		}
	}
}

func TestTracerSeesFailure(t *testing.T) {
	ct := &recordingTracer{}
	client := testClientConfig(t)
	client.ServerName, client.Tracer = "example.com", ct
	r := testHandshake(t, client, testServerConfig(t))
	if r.clientErr == nil {
		t.Fatal("handshake succeeded")
	}
	evs := ct.events
	f, ok := evs[len(evs)-1].(*trace.Failed)
	if !ok || f.Err != r.clientErr {
		t.Fatalf("last event %T, want Failed carrying the handshake error", evs[len(evs)-1])
	}
	if !slices.ContainsFunc(evs, func(e trace.Event) bool {
		a, ok := e.(*trace.Alert)
		return ok && a.Direction == trace.Sent && a.Name == "bad_certificate"
	}) {
		t.Error("no Alert event for the bad_certificate alert sent")
	}
}

func TestHandshakeContextCancelled(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }() // swallow the ClientHello, answer nothing
	c := Client(a, testClientConfig(t))
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	err := c.HandshakeContext(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("cancellation took %v", time.Since(start))
	}
	var he *HandshakeError
	if !errors.As(err, &he) || he.Step != "read ServerHello" {
		t.Errorf("error %v does not name the step read ServerHello", err)
	}
	// A cancelled handshake leaves the connection unusable.
	if err2 := c.Handshake(); err2 != err {
		t.Errorf("second Handshake returned %v, want the same error", err2)
	}
}

func TestHandshakeContextAlreadyCancelled(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	go func() { _, _ = io.Copy(io.Discard, b) }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := Client(a, testClientConfig(t)).HandshakeContext(ctx)
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

// The first failure is kept: every later call returns it.
func TestFailedHandshakeErrorIsSticky(t *testing.T) {
	client := testClientConfig(t)
	client.ServerName = "example.com"
	r := testHandshake(t, client, testServerConfig(t))
	if r.clientErr == nil || r.serverErr == nil {
		t.Fatal("handshake succeeded")
	}
	for side, tc := range map[string]struct {
		c   *Conn
		err error
	}{"client": {r.client, r.clientErr}, "server": {r.server, r.serverErr}} {
		if _, err := tc.c.Read(make([]byte, 1)); err != tc.err {
			t.Errorf("%s Read: %v, want %v", side, err, tc.err)
		}
		if _, err := tc.c.Write([]byte("x")); err != tc.err {
			t.Errorf("%s Write: %v, want %v", side, err, tc.err)
		}
		if err := tc.c.Handshake(); err != tc.err {
			t.Errorf("%s Handshake: %v, want %v", side, err, tc.err)
		}
		if tc.c.ConnectionState().HandshakeComplete {
			t.Errorf("%s reports a complete handshake", side)
		}
	}
}

func TestCloseSendsCloseNotify(t *testing.T) {
	r := testHandshake(t, testClientConfig(t), testServerConfig(t))
	r.mustSucceed(t)
	done := make(chan error, 1)
	go func() { done <- r.client.Close() }()
	n, err := r.server.Read(make([]byte, 10))
	if n != 0 || err != io.EOF {
		t.Fatalf("server Read after the client's Close: %d, %v; want 0, io.EOF", n, err)
	}
	if err := <-done; err != nil {
		t.Errorf("client Close: %v", err)
	}
	if _, err := r.client.Write([]byte("x")); err == nil {
		t.Error("Write after Close succeeded")
	}
}

func TestCloseWriteHalfCloses(t *testing.T) {
	r := testHandshake(t, testClientConfig(t), testServerConfig(t))
	r.mustSucceed(t)
	done := make(chan error, 1)
	go func() { done <- r.client.CloseWrite() }()
	if n, err := r.server.Read(make([]byte, 10)); n != 0 || err != io.EOF {
		t.Fatalf("server Read after CloseWrite: %d, %v; want io.EOF", n, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("CloseWrite: %v", err)
	}
	if _, err := r.client.Write([]byte("x")); err == nil {
		t.Error("client Write after CloseWrite succeeded")
	}
	// The other direction still works.
	go func() { _, _ = r.server.Write([]byte("still here")) }()
	buf := make([]byte, 10)
	if _, err := io.ReadFull(r.client, buf); err != nil || string(buf) != "still here" {
		t.Fatalf("client Read after its CloseWrite: %q, %v", buf, err)
	}
}

func TestCloseWriteBeforeHandshakeFails(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if err := Client(a, testClientConfig(t)).CloseWrite(); err == nil {
		t.Error("CloseWrite before the handshake succeeded")
	}
}

var keyLogLine = regexp.MustCompile(`^CLIENT_RANDOM [0-9a-f]{64} [0-9a-f]{96}\n$`)

func TestKeyLogWriterOneLinePerHandshake(t *testing.T) {
	var clientLog, serverLog bytes.Buffer
	for i := 0; i < 2; i++ {
		client, server := testClientConfig(t), testServerConfig(t)
		client.KeyLogWriter, server.KeyLogWriter = &clientLog, &serverLog
		r := testHandshake(t, client, server)
		r.mustSucceed(t)
	}
	cl := strings.SplitAfter(clientLog.String(), "\n")
	sl := strings.SplitAfter(serverLog.String(), "\n")
	cl, sl = cl[:len(cl)-1], sl[:len(sl)-1] // drop the empty piece after the last newline
	if len(cl) != 2 || len(sl) != 2 {
		t.Fatalf("client logged %d lines, server %d; want 2 each:\n%s%s", len(cl), len(sl), clientLog.String(), serverLog.String())
	}
	for i := range cl {
		if !keyLogLine.MatchString(cl[i]) {
			t.Errorf("client line %q is not CLIENT_RANDOM <64 hex> <96 hex>", cl[i])
		}
		// Both sides derive the same master secret for the same client random.
		if cl[i] != sl[i] {
			t.Errorf("client and server logged different lines:\n%s%s", cl[i], sl[i])
		}
	}
	if cl[0] == cl[1] {
		t.Error("two handshakes logged the same line")
	}
}

func TestClientRequiresServerNameOrInsecureSkipVerify(t *testing.T) {
	r := testHandshake(t, &Config{RootCAs: testCerts(t).caPool}, testServerConfig(t))
	if r.clientErr == nil || !strings.Contains(r.clientErr.Error(), "ServerName or InsecureSkipVerify") {
		t.Fatalf("client error %v, want one naming ServerName or InsecureSkipVerify", r.clientErr)
	}
	// A local configuration problem has no peer to blame: no alert.
	if alertOf(r.clientErr) != -1 {
		t.Errorf("client sent alert %s for its own Config", wire.AlertDescription(alertOf(r.clientErr)))
	}
	client := &Config{InsecureSkipVerify: true}
	r = testHandshake(t, client, testServerConfig(t))
	r.mustSucceed(t)
	if len(r.clientState.VerifiedChains) != 0 {
		t.Error("InsecureSkipVerify still built verified chains")
	}
}

// Config errors are read by people: the package prefix appears once.
func TestConfigErrorIsPrefixedOnce(t *testing.T) {
	r := testHandshake(t, &Config{RootCAs: testCerts(t).caPool}, testServerConfig(t))
	if r.clientErr == nil || strings.Contains(r.clientErr.Error(), "clasp: clasp:") {
		t.Errorf("client error %q repeats the clasp: prefix", r.clientErr)
	}
}

package claspgrpc_test

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/health"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
	"google.golang.org/grpc/peer"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/claspgrpc"
	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	os.Exit(code)
}

func claspCert(l *peertest.Leaf) clasp.Certificate {
	return clasp.Certificate{Certificate: l.TLS.Certificate, PrivateKey: l.TLS.PrivateKey}
}

// seenPeers records the peer of every RPC the server answers.
type seenPeers struct {
	mu    sync.Mutex
	peers []*peer.Peer
}

func (s *seenPeers) unary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	s.record(ctx)
	return h(ctx, req)
}

func (s *seenPeers) stream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	s.record(ss.Context())
	return h(srv, ss)
}

func (s *seenPeers) record(ctx context.Context) {
	p, _ := peer.FromContext(ctx)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.peers = append(s.peers, p)
}

func (s *seenPeers) last() *peer.Peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.peers) == 0 {
		return nil
	}
	return s.peers[len(s.peers)-1]
}

// startHealthServer runs grpc-go's health service (a unary Check and a
// server-streaming Watch) with creds on a free loopback port.
func startHealthServer(t *testing.T, creds credentials.TransportCredentials) (string, *health.Server, *seenPeers) {
	t.Helper()
	seen := &seenPeers{}
	srv := grpc.NewServer(grpc.Creds(creds), grpc.UnaryInterceptor(seen.unary), grpc.StreamInterceptor(seen.stream))
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(srv.Stop)
	return ln.Addr().String(), hs, seen
}

// callHealth makes a unary call and reads two messages of a stream, the
// second after the server changed its status.
func callHealth(t *testing.T, target string, creds credentials.TransportCredentials, hs *health.Server) error {
	t.Helper()
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	client := healthpb.NewHealthClient(conn)
	resp, err := client.Check(ctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if resp.Status != healthpb.HealthCheckResponse_SERVING {
		t.Errorf("Check: %v, want SERVING", resp.Status)
	}
	const service = "clasp.test"
	hs.SetServingStatus(service, healthpb.HealthCheckResponse_SERVING)
	stream, err := client.Watch(ctx, &healthpb.HealthCheckRequest{Service: service})
	if err != nil {
		return err
	}
	for _, want := range []healthpb.HealthCheckResponse_ServingStatus{healthpb.HealthCheckResponse_SERVING, healthpb.HealthCheckResponse_NOT_SERVING} {
		msg, err := stream.Recv()
		if err != nil {
			return err
		}
		if msg.Status != want {
			t.Errorf("Watch: %v, want %v", msg.Status, want)
		}
		hs.SetServingStatus(service, healthpb.HealthCheckResponse_NOT_SERVING)
	}
	return nil
}

func claspServerCreds(pki *peertest.PKI) credentials.TransportCredentials {
	return claspgrpc.NewCredentials(&clasp.Config{
		Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
		ClientAuth:   clasp.RequireAndVerifyClientCert,
		ClientCAs:    pki.CAPool,
	})
}

func claspClientCreds(pki *peertest.PKI) credentials.TransportCredentials {
	return claspgrpc.NewCredentials(&clasp.Config{
		RootCAs:      pki.CAPool,
		Certificates: []clasp.Certificate{claspCert(pki.Client)},
	})
}

func cryptoTLSServerCreds(pki *peertest.PKI) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{
		Certificates: []tls.Certificate{pki.ECDSA.TLS},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pki.CAPool,
	})
}

func cryptoTLSClientCreds(pki *peertest.PKI) credentials.TransportCredentials {
	return credentials.NewTLS(&tls.Config{RootCAs: pki.CAPool, Certificates: []tls.Certificate{pki.Client.TLS}})
}

// Mutual TLS in every pairing: the clasp client against grpc-go's
// crypto/tls credentials, crypto/tls against clasp's, and clasp on both
// sides. The server sees the client's certificate either way.
func TestGRPCMutualTLSPairings(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range []struct {
		name   string
		server credentials.TransportCredentials
		client credentials.TransportCredentials
	}{
		{"clasp client, crypto/tls server", cryptoTLSServerCreds(pki), claspClientCreds(pki)},
		{"crypto/tls client, clasp server", claspServerCreds(pki), cryptoTLSClientCreds(pki)},
		{"clasp both sides", claspServerCreds(pki), claspClientCreds(pki)},
		{"clasp client over TLS 1.2, crypto/tls server", cryptoTLSServerCreds(pki), claspgrpc.NewCredentials(&clasp.Config{
			RootCAs: pki.CAPool, Certificates: []clasp.Certificate{claspCert(pki.Client)}, MaxVersion: clasp.VersionTLS12})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addr, hs, seen := startHealthServer(t, tc.server)
			if err := callHealth(t, "localhost:"+port(addr), tc.client, hs); err != nil {
				t.Fatalf("calls failed: %v", err)
			}
			p := seen.last()
			if p == nil {
				t.Fatal("the server saw no peer")
			}
			switch info := p.AuthInfo.(type) {
			case claspgrpc.AuthInfo:
				st := info.State
				if len(st.PeerCertificates) == 0 || st.PeerCertificates[0].Subject.CommonName != "peertest client" ||
					len(st.VerifiedChains) == 0 || st.NegotiatedProtocol != "h2" || info.SecurityLevel != credentials.PrivacyAndIntegrity {
					t.Errorf("clasp AuthInfo %+v, level %v", st, info.SecurityLevel)
				}
			case credentials.TLSInfo:
				if len(info.State.PeerCertificates) == 0 || info.State.PeerCertificates[0].Subject.CommonName != "peertest client" {
					t.Errorf("crypto/tls AuthInfo without the client certificate")
				}
			default:
				t.Errorf("AuthInfo %T", p.AuthInfo)
			}
		})
	}
}

// FromContext gives a handler the clasp state; the server-name override
// is what the client sent in SNI although it dialed an IP address.
func TestGRPCServerNameOverrideAndFromContext(t *testing.T) {
	pki := peertest.NewPKI(t)
	seenSNI := make(chan string, 4)
	creds := claspgrpc.NewCredentials(&clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)}})
	srv := grpc.NewServer(grpc.Creds(creds), grpc.UnaryInterceptor(func(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
		st, ok := claspgrpc.FromContext(ctx)
		if !ok {
			seenSNI <- "no clasp state"
		} else {
			seenSNI <- st.ServerName
		}
		return h(ctx, req)
	}))
	healthpb.RegisterHealthServer(srv, health.NewServer())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Stop()
	client := claspgrpc.NewClientCredentials(&clasp.Config{RootCAs: pki.CAPool}, "localhost")
	conn, err := grpc.NewClient(ln.Addr().String(), grpc.WithTransportCredentials(client))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var p peer.Peer
	if _, err := healthpb.NewHealthClient(conn).Check(ctx, &healthpb.HealthCheckRequest{}, grpc.Peer(&p)); err != nil {
		t.Fatal(err)
	}
	if got := <-seenSNI; got != "localhost" {
		t.Errorf("server saw SNI %q, want the override localhost", got)
	}
	if info, ok := p.AuthInfo.(claspgrpc.AuthInfo); !ok || info.State.Version != clasp.VersionTLS13 {
		t.Errorf("client-side AuthInfo %#v", p.AuthInfo)
	}
}

// A server name that the certificate does not carry fails the call with
// an error that names the name and the certificate.
func TestGRPCWrongServerNameFails(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr, hs, _ := startHealthServer(t, claspServerCreds(pki))
	for _, creds := range []credentials.TransportCredentials{
		claspgrpc.NewClientCredentials(&clasp.Config{RootCAs: pki.CAPool, Certificates: []clasp.Certificate{claspCert(pki.Client)}}, "wrong.example"),
		claspgrpc.NewCredentials(&clasp.Config{RootCAs: pki.CAPool, ServerName: "wrong.example", Certificates: []clasp.Certificate{claspCert(pki.Client)}}),
	} {
		err := callHealth(t, addr, creds, hs)
		t.Logf("wrong server name: %v", err)
		if err == nil || !strings.Contains(err.Error(), "wrong.example") || !strings.Contains(err.Error(), "certificate") {
			t.Errorf("call with a wrong server name: %v, want an error naming wrong.example and the certificate", err)
		}
	}
}

// Without a client certificate a server that requires one refuses the
// connection.
func TestGRPCMutualTLSRequired(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr, hs, _ := startHealthServer(t, claspServerCreds(pki))
	err := callHealth(t, "localhost:"+port(addr), claspgrpc.NewCredentials(&clasp.Config{RootCAs: pki.CAPool}), hs)
	if err == nil {
		t.Fatal("a client without a certificate got through RequireAndVerifyClientCert")
	}
	t.Logf("without a client certificate: %v", err)
}

// A TLS server that selects no ALPN protocol is not an HTTP/2 server: the
// client refuses it with an error saying so, as grpc-go's TLS credentials
// do (RFC 7301 §3.2 leaves the choice to the client when the server
// answers without ALPN).
func TestGRPCClientRefusesServerWithoutH2(t *testing.T) {
	pki := peertest.NewPKI(t)
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.(*clasp.Conn).Handshake()
				c.Read(make([]byte, 1))
			}()
		}
	}()
	err = callHealth(t, "localhost:"+port(ln.Addr().String()), claspgrpc.NewCredentials(&clasp.Config{RootCAs: pki.CAPool}), health.NewServer())
	if err == nil || !strings.Contains(err.Error(), "did not agree on ALPN") {
		t.Errorf("call to a server without ALPN: %v, want the ALPN refusal", err)
	}
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

package clasp

import (
	"context"
	"errors"
	"io"
	"testing"
)

// renegotiationPair is an established TLS 1.2 connection for renegotiation
// tests.
func renegotiationPair(t *testing.T, clientPolicy, serverPolicy RenegotiationSupport) *handshakeResult {
	t.Helper()
	p := testCerts(t)
	clientCfg := testClientConfig(t)
	clientCfg.Renegotiation = clientPolicy
	clientCfg.Certificates = []Certificate{p.ecdsaLeaf}
	serverCfg := testServerConfig(t)
	serverCfg.Renegotiation = serverPolicy
	serverCfg.ClientCAs = p.caPool
	res := testHandshake(t, clientCfg, serverCfg)
	res.mustSucceed(t)
	return res
}

// readLine reads exactly len(want) bytes and compares.
func expectData(t *testing.T, c *Conn, want string) {
	t.Helper()
	got := make([]byte, len(want))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatalf("read: %v", err)
	}
	if string(got) != want {
		t.Fatalf("read %q, want %q", got, want)
	}
}

// The classic use of server-initiated renegotiation: ask for a client
// certificate only after the first handshake. Data flows before and after.
func TestServerRenegotiatesToRequireClientCertificate(t *testing.T) {
	res := renegotiationPair(t, RenegotiateOnceAsClient, RenegotiateNever)
	if len(res.serverState.PeerCertificates) != 0 {
		t.Fatal("client certificate sent before it was asked for")
	}
	clientRead := make(chan error, 1)
	go func() {
		// The client handles HelloRequest inside Read, then reads on.
		expectData(t, res.client, "before")
		expectData(t, res.client, "after")
		clientRead <- nil
	}()
	if _, err := res.server.Write([]byte("before")); err != nil {
		t.Fatal(err)
	}
	require := RequireAndVerifyClientCert
	if err := res.server.Renegotiate(context.Background(), &require); err != nil {
		t.Fatalf("Renegotiate: %v", err)
	}
	st := res.server.ConnectionState()
	if len(st.PeerCertificates) == 0 || len(st.VerifiedChains) == 0 {
		t.Fatal("no verified client certificate after renegotiating with RequireAndVerifyClientCert")
	}
	if !st.SecureRenegotiation {
		t.Error("secure renegotiation not recorded")
	}
	if _, err := res.server.Write([]byte("after")); err != nil {
		t.Fatal(err)
	}
	if err := <-clientRead; err != nil {
		t.Fatal(err)
	}
}

func TestClientInitiatedRenegotiationAndItsLimit(t *testing.T) {
	res := renegotiationPair(t, RenegotiateNever, RenegotiateOnceAsClient)
	serverRead := make(chan string, 2)
	go func() {
		buf := make([]byte, 5)
		for i := 0; i < 2; i++ {
			if _, err := io.ReadFull(res.server, buf); err != nil {
				serverRead <- "error: " + err.Error()
				return
			}
			serverRead <- string(buf)
		}
	}()
	if err := res.client.Renegotiate(context.Background(), nil); err != nil {
		t.Fatalf("first client renegotiation: %v", err)
	}
	if _, err := res.client.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if got := <-serverRead; got != "hello" {
		t.Fatalf("server read %q", got)
	}
	// RenegotiateOnceAsClient on the server: the second is refused with
	// no_renegotiation and the connection stays usable.
	err := res.client.Renegotiate(context.Background(), nil)
	if !errors.Is(err, ErrRenegotiationRefused) {
		t.Fatalf("second renegotiation: %v, want the refusal", err)
	}
}

func TestServerRefusesRenegotiationByDefault(t *testing.T) {
	res := renegotiationPair(t, RenegotiateNever, RenegotiateNever)
	go func() {
		buf := make([]byte, 1)
		_, _ = res.server.Read(buf)
	}()
	if err := res.client.Renegotiate(context.Background(), nil); !errors.Is(err, ErrRenegotiationRefused) {
		t.Fatalf("Renegotiate = %v, want the refusal", err)
	}
}

func TestRenegotiateRefusedInTLS13(t *testing.T) {
	clientCfg := testClientConfig(t)
	clientCfg.MaxVersion = VersionTLS13
	serverCfg := testServerConfig(t)
	serverCfg.MaxVersion = VersionTLS13
	res := testHandshake(t, clientCfg, serverCfg)
	res.mustSucceed(t)
	if err := res.client.Renegotiate(context.Background(), nil); err == nil {
		t.Fatal("renegotiation allowed in TLS 1.3")
	}
}

package clasp

import (
	"errors"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/wire"
)

// Config.VerifyConnection runs on both sides, full and resumed, with the
// state so far; its error ends the handshake with bad_certificate, as in
// crypto/tls.
func TestVerifyConnectionSeesTheStateOnBothSides(t *testing.T) {
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version), func(t *testing.T) {
			var clientSaw, serverSaw []ConnectionState
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = version, version
			client.ClientSessionCache = NewLRUClientSessionCache(4)
			client.VerifyConnection = func(cs ConnectionState) error { clientSaw = append(clientSaw, cs); return nil }
			server.VerifyConnection = func(cs ConnectionState) error { serverSaw = append(serverSaw, cs); return nil }
			for range 2 {
				res := testHandshake(t, client, server)
				res.mustSucceed(t)
				res.exchange(t)
			}
			if len(clientSaw) != 2 || len(serverSaw) != 2 {
				t.Fatalf("VerifyConnection calls: client %d, server %d; want 2 each (full, then resumed)", len(clientSaw), len(serverSaw))
			}
			for i, cs := range clientSaw {
				if cs.Version != version || len(cs.PeerCertificates) == 0 || cs.CipherSuite == 0 {
					t.Errorf("client call %d: version %x, %d peer certificates, suite %x", i, cs.Version, len(cs.PeerCertificates), cs.CipherSuite)
				}
			}
			if !clientSaw[1].DidResume || !serverSaw[1].DidResume {
				t.Errorf("second connection: client DidResume %v, server %v; want a resumption", clientSaw[1].DidResume, serverSaw[1].DidResume)
			}
		})
	}
}

func TestVerifyConnectionErrorIsBadCertificate(t *testing.T) {
	refuse := errors.New("policy says no")
	for _, version := range []uint16{VersionTLS12, VersionTLS13} {
		t.Run(VersionName(version)+"/client refuses", func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = version, version
			client.VerifyConnection = func(ConnectionState) error { return refuse }
			res := testHandshake(t, client, server)
			if !errors.Is(res.clientErr, refuse) {
				t.Fatalf("client error %v, want one wrapping the hook's", res.clientErr)
			}
			wantSentAlert(t, "client", res.clientErr, wire.AlertBadCertificate)
			wantReceivedAlert(t, "server", res.serverErr, wire.AlertBadCertificate)
		})
		t.Run(VersionName(version)+"/server refuses", func(t *testing.T) {
			client, server := testClientConfig(t), testServerConfig(t)
			client.MaxVersion, server.MaxVersion = version, version
			server.VerifyConnection = func(ConnectionState) error { return refuse }
			serverErr, clientErr := refusedByServer(t, client, server)
			if !errors.Is(serverErr, refuse) {
				t.Fatalf("server error %v, want one wrapping the hook's", serverErr)
			}
			wantSentAlert(t, "server", serverErr, wire.AlertBadCertificate)
			wantReceivedAlert(t, "client", clientErr, wire.AlertBadCertificate)
		})
	}
}

// crypto/tls calls the list CurvePreferences; clasp takes it when Groups
// is empty.
func TestCurvePreferencesIsGroupsUnderCryptoTLSName(t *testing.T) {
	client, server := testClientConfig(t), testServerConfig(t)
	client.CurvePreferences = []CurveID{CurveP384}
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if res.clientState.CurveID != CurveP384 {
		t.Errorf("negotiated %v, want P-384 from CurvePreferences", res.clientState.CurveID)
	}
}

// refusedByServer runs a handshake the server refuses at its end. A TLS
// 1.3 client is done once it has sent its Finished, so it reads to get
// the server's alert. The two sides talk over loopback TCP: over
// net.Pipe, whose writes wait for the reader, the client's Finished and
// the server's alert would wait for each other.
func refusedByServer(t *testing.T, client, server *Config) (serverErr, clientErr error) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cRaw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	sRaw, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	_ = cRaw.SetDeadline(deadline)
	_ = sRaw.SetDeadline(deadline)
	defer cRaw.Close()
	defer sRaw.Close()
	done := make(chan error, 1)
	go func() { done <- Server(sRaw, server).Handshake() }()
	c := Client(cRaw, client)
	clientErr = c.Handshake()
	if clientErr == nil {
		_, clientErr = c.Read(make([]byte, 1))
	}
	return <-done, clientErr
}

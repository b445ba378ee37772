package clasp

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/record"
)

// A plain HTTP request on a TLS port is a RecordHeaderError, as in
// crypto/tls (net/http answers such clients in plain text through its
// Conn), and still a *record.NotTLSError for the diagnosis.
func TestPlainHTTPIsARecordHeaderError(t *testing.T) {
	cRaw, sRaw := net.Pipe()
	defer cRaw.Close()
	_ = sRaw.SetDeadline(time.Now().Add(10 * time.Second))
	go func() {
		_, _ = io.WriteString(cRaw, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
		_, _ = io.Copy(io.Discard, cRaw)
	}()
	err := Server(sRaw, testServerConfig(t)).Handshake()
	var rhe RecordHeaderError
	if !errors.As(err, &rhe) {
		t.Fatalf("error %v (%T) is not a RecordHeaderError", err, err)
	}
	if string(rhe.RecordHeader[:]) != "GET /" || rhe.Conn == nil {
		t.Errorf("RecordHeader %q, Conn %v; want \"GET /\" and the server's connection", rhe.RecordHeader, rhe.Conn)
	}
	var notTLS *record.NotTLSError
	if !errors.As(err, &notTLS) || !strings.Contains(notTLS.Protocol, "HTTP") {
		t.Errorf("the NotTLSError beneath is missing or unnamed: %v", notTLS)
	}
}

func TestVerifyHostname(t *testing.T) {
	res := testHandshake(t, testClientConfig(t), testServerConfig(t))
	res.mustSucceed(t)
	if err := res.client.VerifyHostname("localhost"); err != nil {
		t.Errorf("localhost: %v", err)
	}
	if err := res.client.VerifyHostname("example.com"); err == nil {
		t.Errorf("example.com verified against a localhost certificate")
	}
	if err := res.server.VerifyHostname("localhost"); err == nil {
		t.Errorf("a server connection verified a host name")
	}
}

// The deprecated NameToCertificate still chooses by SNI, wildcards included.
func TestNameToCertificate(t *testing.T) {
	p := testCerts(t)
	server := &Config{Certificates: []Certificate{p.sniA, p.sniB}, MaxVersion: VersionTLS12}
	server.BuildNameToCertificate()
	if server.NameToCertificate["b.test"] != &server.Certificates[1] {
		t.Fatalf("BuildNameToCertificate: %v", server.NameToCertificate)
	}
	server.NameToCertificate["*.wild.test"] = &server.Certificates[1]
	for name, want := range map[string]*Certificate{"b.test": &server.Certificates[1], "x.wild.test": &server.Certificates[1], "a.test": &server.Certificates[0]} {
		if got := server.certificateByName(name); got != want {
			t.Errorf("%s: got certificate %p, want %p", name, got, want)
		}
	}
	client := testClientConfig(t)
	client.ServerName = "b.test"
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if got := res.clientState.PeerCertificates[0].DNSNames; len(got) == 0 || got[0] != "b.test" {
		t.Errorf("served %v for b.test", got)
	}
}

package scan

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// startClaspV2Server serves an RSA certificate with RSA key transport (so
// that a hello without signature_algorithms needs no SHA-1 signature),
// accepting the SSL 2.0 format when accept is set.
func startClaspV2Server(t *testing.T, accept bool) string {
	pki := peertest.NewPKI(t)
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{
		Certificates:           []clasp.Certificate{{Certificate: pki.RSA.TLS.Certificate, PrivateKey: pki.RSA.Key}},
		CipherSuites:           []uint16{uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA)},
		AcceptSSLv2ClientHello: accept,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(5 * time.Second))
				c.(*clasp.Conn).Handshake()
				io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// The scanner's SSL 2.0 probes against a clasp server: the RFC 5246
// Appendix E.2 hello is answered only when Config.AcceptSSLv2ClientHello
// is set, and a real SSL 2.0 CLIENT-HELLO (version 0x0002) never is; with
// the option the server says so with protocol_version, without it the
// bytes are not TLS and it closes.
func TestSSLv2ProbesOnClasp(t *testing.T) {
	for _, accept := range []bool{false, true} {
		s := &scanner{runner: &Runner{Timeout: 10 * time.Second}, addr: startClaspV2Server(t, accept)}
		v2, err := s.sslv2(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if v2.Supported {
			t.Errorf("accept %v: SSL 2.0 reported supported (%s)", accept, v2.Answer)
		}
		want := "ServerHello TLS 1.2 TLS_RSA_WITH_AES_128_CBC_SHA"
		if v2.CompatHello != accept || accept && v2.CompatAnswer != want {
			t.Errorf("accept %v: v2-format hello %v (%s)", accept, v2.CompatHello, v2.CompatAnswer)
		}
		if accept && !strings.Contains(v2.Answer, "protocol_version") {
			t.Errorf("accept %v: real SSL 2.0 hello answered %q, want protocol_version", accept, v2.Answer)
		}
	}
}

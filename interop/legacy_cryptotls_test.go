package interop

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Go's crypto/tls still runs some legacy suites when its Config names them
// (tls.InsecureCipherSuites: 3DES with RSA and ECDHE, RC4 with RSA and
// ECDHE; no NULL suite), so it is one more peer for those, in TLS 1.0 and
// 1.2, both directions.
func TestLegacySuitesWithCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	goImpl := goSuites10()
	ran := 0
	for _, s := range legacySuites {
		if !goImpl[s.id()] {
			continue
		}
		for _, v := range legacyVersionsFor(s) {
			ran++
			goCfg := &tls.Config{
				MinVersion: v.v, MaxVersion: v.v, CipherSuites: []uint16{s.id()},
				Certificates: []tls.Certificate{s.leaf(pki).TLS},
				RootCAs:      pki.CAPool, ServerName: "localhost",
			}
			t.Run(oldName(v, s)+"/clasp client", func(t *testing.T) {
				ln, err := tls.Listen("tcp", "127.0.0.1:0", goCfg)
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
				go func() {
					conn, err := ln.Accept()
					if err == nil {
						defer conn.Close()
						_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
						_ = echoOnce(conn)
					}
				}()
				conn, err := clasp.Dial("tcp", ln.Addr().String(), oldClientConfig(pki, v.v, s.id()))
				if err != nil {
					t.Fatalf("clasp client: %v", err)
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				roundTrip(t, conn)
				st := conn.ConnectionState()
				if st.Version != v.v || suites.ID(st.CipherSuite).String() != s.iana {
					t.Errorf("negotiated %s %s", clasp.VersionName(st.Version), st.CipherSuiteName)
				}
				wantLegacyWarning(t, "client", st, s.iana)
			})
			t.Run(oldName(v, s)+"/clasp server", func(t *testing.T) {
				addr, results, _ := startCountingClaspServer(t, oldServerConfig(pki, v.v, s))
				raw, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				conn := tls.Client(raw, goCfg)
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
				if _, err := conn.Write([]byte("hello from crypto/tls\n")); err != nil {
					t.Fatalf("crypto/tls client: %v", err)
				}
				res := checkLegacyServer(t, results, v.v, s.iana, "hello from crypto/tls")
				wantLegacyWarning(t, "server", res.state, s.iana)
			})
		}
	}
	if ran == 0 {
		t.Fatal("crypto/tls implements none of the legacy suites: the filter is broken")
	}
}

// goSuites10 are the suites crypto/tls runs in TLS 1.0.
func goSuites10() map[uint16]bool {
	m := map[uint16]bool{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		for _, v := range s.SupportedVersions {
			if v == tls.VersionTLS10 {
				m[s.ID] = true
			}
		}
	}
	return m
}

package interop

import (
	"crypto/tls"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// The NIST-curve hybrids of draft-ietf-tls-ecdhe-mlkem against Go 1.26's
// crypto/tls, which implements both, in both directions: the ECDH half
// comes first in these shares and secrets (X25519MLKEM768 puts ML-KEM
// first), so a wrong order fails the handshake at the Finished.
func TestHybridGroupsWithCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, g := range []tls.CurveID{tls.SecP256r1MLKEM768, tls.SecP384r1MLKEM1024} {
		t.Run(g.String()+"/clasp client", func(t *testing.T) {
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pki.ECDSA.TLS},
				CurvePreferences: []tls.CurveID{g}})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go acceptEcho(ln)
			conn, err := clasp.Dial("tcp", ln.Addr().String(), &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost",
				CurvePreferences: []clasp.CurveID{clasp.CurveID(g)}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if st := conn.ConnectionState(); st.CurveID != clasp.CurveID(g) || st.Version != clasp.VersionTLS13 {
				t.Errorf("negotiated %v in %x", st.CurveID, st.Version)
			}
			roundTrip(t, conn)
		})
		t.Run(g.String()+"/clasp server", func(t *testing.T) {
			ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
				Groups: []clasp.CurveID{clasp.CurveID(g)}})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go acceptEcho(ln)
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost",
				CurvePreferences: []tls.CurveID{g}})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			if st := conn.ConnectionState(); st.CurveID != g {
				t.Errorf("crypto/tls negotiated %v", st.CurveID)
			}
			roundTrip(t, conn)
		})
	}
}

// acceptEcho serves one connection from ln with echoOnce.
func acceptEcho(ln net.Listener) {
	conn, err := ln.Accept()
	if err != nil {
		return
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
	_ = echoOnce(conn)
}

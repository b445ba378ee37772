package interop

import (
	"bytes"
	"crypto/tls"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/ocsp"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// OCSP stapling (RFC 6066 §8 in TLS 1.2, RFC 8446 §4.4.2.1 in TLS 1.3) and
// SCTs (RFC 6962 §3.3) with real peers, both directions.

var stapleVersions = []struct {
	name    string
	version uint16
	flag    string
}{{"TLS 1.2", clasp.VersionTLS12, "-tls1_2"}, {"TLS 1.3", clasp.VersionTLS13, "-tls1_3"}}

// wantStaple checks that a stapled response parses and is the one sent.
func wantStaple(t *testing.T, got, sent []byte, pki *peertest.PKI) {
	t.Helper()
	if !bytes.Equal(got, sent) {
		t.Fatalf("OCSP response: got %d bytes, want the %d stapled", len(got), len(sent))
	}
	resp, err := ocsp.ParseResponse(got, pki.CACert)
	if err != nil || resp.Status != ocsp.Good {
		t.Errorf("stapled response: %v, status %v", err, resp)
	}
}

func TestStaplingOpenSSLServerToClaspClient(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, v := range stapleVersions {
		t.Run(v.name, func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, v.flag, "-status_file", pki.OCSPResponseFile(t, pki.ECDSA, ocsp.Good), "-www", "-quiet")
			cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MinVersion: v.version, MaxVersion: v.version}
			_, st := claspGet(t, srv.Addr, cfg)
			if len(st.OCSPResponse) == 0 {
				t.Fatal("no stapled response")
			}
			resp, err := ocsp.ParseResponse(st.OCSPResponse, pki.CACert)
			if err != nil || resp.Status != ocsp.Good || resp.SerialNumber.Cmp(pki.ECDSA.Cert.SerialNumber) != 0 {
				t.Errorf("stapled response: %v %+v", err, resp)
			}
		})
	}
}

func TestStaplingClaspServerToOpenSSLClient(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, v := range stapleVersions {
		t.Run(v.name, func(t *testing.T) {
			cert := claspCert(pki.ECDSA)
			cert.OCSPStaple = pki.OCSPResponse(t, pki.ECDSA, ocsp.Good)
			addr, _ := startClaspServer(t, &clasp.Config{Certificates: []clasp.Certificate{cert}, MaxVersion: v.version, MinVersion: v.version}, 1)
			out, err := peertest.RunOpenSSLClient(t, addr, "hello\n", v.flag, "-status")
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			if !strings.Contains(out, "OCSP Response Status: successful") || !strings.Contains(out, "Cert Status: good") {
				t.Errorf("s_client did not see the staple:\n%s", grepLine(out, "OCSP"))
			}
		})
	}
}

func TestStaplingAndSCTsWithCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	scts := [][]byte{[]byte("sct one: opaque to TLS"), []byte("sct two")}
	for _, v := range stapleVersions {
		t.Run(v.name+"/crypto/tls server", func(t *testing.T) {
			der := pki.OCSPResponse(t, pki.ECDSA, ocsp.Good)
			goCert := pki.ECDSA.TLS
			goCert.OCSPStaple, goCert.SignedCertificateTimestamps = der, scts
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{goCert}, MaxVersion: v.version})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go acceptEcho(ln)
			conn, err := clasp.Dial("tcp", ln.Addr().String(), &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MaxVersion: v.version})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			st := conn.ConnectionState()
			wantStaple(t, st.OCSPResponse, der, pki)
			if !slices.EqualFunc(st.SignedCertificateTimestamps, scts, bytes.Equal) {
				t.Errorf("SCTs: got %q, want %q", st.SignedCertificateTimestamps, scts)
			}
			roundTrip(t, conn)
		})
		t.Run(v.name+"/clasp server", func(t *testing.T) {
			der := pki.OCSPResponse(t, pki.ECDSA, ocsp.Good)
			cert := claspCert(pki.ECDSA)
			cert.OCSPStaple, cert.SignedCertificateTimestamps = der, scts
			ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{Certificates: []clasp.Certificate{cert}, MaxVersion: v.version})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			go acceptEcho(ln)
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost", MaxVersion: v.version})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			st := conn.ConnectionState()
			wantStaple(t, st.OCSPResponse, der, pki)
			if !slices.EqualFunc(st.SignedCertificateTimestamps, scts, bytes.Equal) {
				t.Errorf("crypto/tls saw SCTs %q, want %q", st.SignedCertificateTimestamps, scts)
			}
			roundTrip(t, conn)
		})
	}
}

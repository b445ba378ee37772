package interop

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Encrypted Client Hello (RFC 9849) against Go 1.26's crypto/tls, which
// implements both sides, in both directions: accepted, accepted after a
// HelloRetryRequest, and rejected with retry configs. The public name is
// "public.test"; the real server is "secret.test", whose certificate only
// the inner hello can select. OpenSSL 3.0 and
// GnuTLS 3.7 as installed here have no ECH, so crypto/tls is the only
// other implementation these tests can meet.

const echSecretName = "secret.test"

// echPublicName is the ECH public name: two labels, because crypto/tls's
// client skips an ECHConfig whose public name has one (RFC 9849 §6.1.7
// allows it).
const echPublicName = "public.test"

// echCert issues a certificate for name from the PKI's CA.
func echCert(t *testing.T, pki *peertest.PKI, name string) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(9849), Subject: pkix.Name{CommonName: name},
		DNSNames: []string{name}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, pki.CACert, key.Public(), pki.CAKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func echKey(t *testing.T) (clasp.EncryptedClientHelloKey, []byte) {
	t.Helper()
	key, err := clasp.GenerateEncryptedClientHelloKey(echPublicName, nil)
	if err != nil {
		t.Fatal(err)
	}
	list, err := clasp.ECHConfigList([]clasp.EncryptedClientHelloKey{key})
	if err != nil {
		t.Fatal(err)
	}
	return key, list
}

type echCase struct {
	name     string
	hrr      bool // the server accepts only P-256, so a HelloRetryRequest comes first
	rejected bool // the client holds a config the server has no key for
}

var echCases = []echCase{{"accepted", false, false}, {"accepted after HRR", true, false},
	{"rejected", false, true}, {"rejected after HRR", true, true}}

func TestECHClaspClientCryptoTLSServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	secret, public := echCert(t, pki, echSecretName), echCert(t, pki, echPublicName)
	for _, tc := range echCases {
		t.Run(tc.name, func(t *testing.T) {
			key, list := echKey(t)
			_, stale := echKey(t)
			scfg := &tls.Config{Certificates: []tls.Certificate{secret, public},
				EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: key.Config, PrivateKey: key.PrivateKey, SendAsRetry: true}}}
			if tc.hrr {
				scfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
			}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			serverState := make(chan tls.ConnectionState, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
				tc := conn.(*tls.Conn)
				if tc.Handshake() == nil {
					serverState <- tc.ConnectionState()
					_ = echoOnce(conn)
				}
			}()
			ccfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: echSecretName, EncryptedClientHelloConfigList: list}
			if tc.rejected {
				ccfg.EncryptedClientHelloConfigList = stale
			}
			conn, err := clasp.Dial("tcp", ln.Addr().String(), ccfg)
			if tc.rejected {
				var rej *clasp.ECHRejectionError
				if !errors.As(err, &rej) || !bytes.Equal(rej.RetryConfigList, list) {
					t.Fatalf("dial: %v; want ECHRejectionError with the server's config", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			st := conn.ConnectionState()
			if !st.ECHAccepted || st.PeerCertificates[0].Subject.CommonName != echSecretName || st.HelloRetryRequest != tc.hrr {
				t.Fatalf("ECHAccepted %v, certificate %q, HRR %v", st.ECHAccepted, st.PeerCertificates[0].Subject.CommonName, st.HelloRetryRequest)
			}
			if ss := <-serverState; !ss.ECHAccepted || ss.ServerName != echSecretName {
				t.Fatalf("crypto/tls server: ECHAccepted %v, name %q", ss.ECHAccepted, ss.ServerName)
			}
			roundTrip(t, conn)
		})
	}
}

func TestECHCryptoTLSClientClaspServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	secret, public := echCert(t, pki, echSecretName), echCert(t, pki, echPublicName)
	for _, tc := range echCases {
		t.Run(tc.name, func(t *testing.T) {
			key, list := echKey(t)
			_, stale := echKey(t)
			scfg := &clasp.Config{Certificates: []clasp.Certificate{{Certificate: secret.Certificate, PrivateKey: secret.PrivateKey, Leaf: secret.Leaf},
				{Certificate: public.Certificate, PrivateKey: public.PrivateKey, Leaf: public.Leaf}}, EncryptedClientHelloKeys: []clasp.EncryptedClientHelloKey{key}}
			if tc.hrr {
				scfg.CurvePreferences = []clasp.CurveID{clasp.CurveP256}
			}
			ln, err := clasp.Listen("tcp", "127.0.0.1:0", scfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			serverState := make(chan clasp.ConnectionState, 1)
			serverErr := make(chan error, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					return
				}
				defer conn.Close()
				_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
				cc := conn.(*clasp.Conn)
				err = cc.Handshake()
				serverState <- cc.ConnectionState()
				if err == nil {
					err = echoOnce(conn)
				}
				serverErr <- err
			}()
			ccfg := &tls.Config{RootCAs: pki.CAPool, ServerName: echSecretName, EncryptedClientHelloConfigList: list}
			if tc.rejected {
				ccfg.EncryptedClientHelloConfigList = stale
			}
			conn, err := tls.Dial("tcp", ln.Addr().String(), ccfg)
			if tc.rejected {
				var rej *tls.ECHRejectionError
				if !errors.As(err, &rej) || !bytes.Equal(rej.RetryConfigList, list) {
					t.Fatalf("crypto/tls: %v; want ECHRejectionError with the server's config", err)
				}
				if ss := <-serverState; ss.ECHAccepted || ss.ServerName != echPublicName {
					t.Fatalf("clasp server: ECHAccepted %v, name %q", ss.ECHAccepted, ss.ServerName)
				}
				if err := <-serverErr; err == nil {
					t.Fatal("clasp server did not see the client's ech_required")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			st := conn.ConnectionState()
			if !st.ECHAccepted || st.PeerCertificates[0].Subject.CommonName != echSecretName || st.HelloRetryRequest != tc.hrr {
				t.Fatalf("crypto/tls: ECHAccepted %v, certificate %q, HRR %v", st.ECHAccepted, st.PeerCertificates[0].Subject.CommonName, st.HelloRetryRequest)
			}
			if ss := <-serverState; !ss.ECHAccepted || ss.ServerName != echSecretName {
				t.Fatalf("clasp server: ECHAccepted %v, name %q", ss.ECHAccepted, ss.ServerName)
			}
			roundTrip(t, conn)
		})
	}
}

// A session from an ECH connection resumes through ECH with crypto/tls
// on the other side, both ways: the ticket travels in the inner hello.
func TestECHResumptionWithCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	secret, public := echCert(t, pki, echSecretName), echCert(t, pki, echPublicName)
	key, list := echKey(t)
	t.Run("clasp client", func(t *testing.T) {
		ln, serve := echServerFor(t, "client", key, secret, public)
		defer ln.Close()
		cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: echSecretName, EncryptedClientHelloConfigList: list,
			ClientSessionCache: clasp.NewLRUClientSessionCache(4)}
		for i := range 2 {
			go serve()
			conn, err := clasp.Dial("tcp", ln.Addr().String(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, conn) // the ticket arrives with the echo
			st := conn.ConnectionState()
			conn.Close()
			if !st.ECHAccepted || st.DidResume != (i == 1) {
				t.Fatalf("connection %d: ECH %v, resumed %v", i, st.ECHAccepted, st.DidResume)
			}
		}
	})
	t.Run("clasp server", func(t *testing.T) {
		ln, serve := echServerFor(t, "server", key, secret, public)
		defer ln.Close()
		cfg := &tls.Config{RootCAs: pki.CAPool, ServerName: echSecretName, EncryptedClientHelloConfigList: list,
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		for i := range 2 {
			go serve()
			conn, err := tls.Dial("tcp", ln.Addr().String(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, conn)
			st := conn.ConnectionState()
			conn.Close()
			if !st.ECHAccepted || st.DidResume != (i == 1) {
				t.Fatalf("connection %d: ECH %v, resumed %v", i, st.ECHAccepted, st.DidResume)
			}
		}
	})
}

// GREASE ECH (RFC 9849 §6.2) from clasp against crypto/tls with ECH keys,
// which cannot decrypt it and sends retry configs (the client checks them
// and goes on), with and without a HelloRetryRequest.
func TestECHGREASEAgainstCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	secret, public := echCert(t, pki, echSecretName), echCert(t, pki, echPublicName)
	key, _ := echKey(t)
	for _, hrr := range []bool{false, true} {
		scfg := &tls.Config{Certificates: []tls.Certificate{secret, public},
			EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: key.Config, PrivateKey: key.PrivateKey, SendAsRetry: true}}}
		if hrr {
			scfg.CurvePreferences = []tls.CurveID{tls.CurveP256}
		}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", scfg)
		if err != nil {
			t.Fatal(err)
		}
		go acceptEcho(ln)
		conn, err := clasp.Dial("tcp", ln.Addr().String(), &clasp.Config{RootCAs: pki.CAPool, ServerName: echSecretName})
		if err != nil {
			t.Fatalf("hrr %v: %v", hrr, err)
		}
		roundTrip(t, conn)
		if st := conn.ConnectionState(); st.ECHAccepted || st.HelloRetryRequest != hrr {
			t.Fatalf("hrr %v: ECHAccepted %v, HRR %v", hrr, st.ECHAccepted, st.HelloRetryRequest)
		}
		conn.Close()
		ln.Close()
	}
}

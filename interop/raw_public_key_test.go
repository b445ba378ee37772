package interop

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Raw public keys (RFC 7250) in TLS 1.3 with GnuTLS, which implements
// them on both sides (--rawpkfile, priority +CTYPE-SRV-ALL).
func TestRawPublicKeyWithGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	spki, err := x509.MarshalPKIXPublicKey(pki.ECDSA.Key.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	const priority = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+CTYPE-SRV-ALL"
	t.Run("gnutls-serv", func(t *testing.T) {
		pub := filepath.Join(t.TempDir(), "pub.pem")
		if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o644); err != nil {
			t.Fatal(err)
		}
		srv := peertest.StartGnuTLSServer(t, pki.ECDSA, priority, "--rawpkfile", pub, "--rawpkkeyfile", pki.ECDSA.KeyFile,
			"--disable-client-cert", "--http")
		cfg := &clasp.Config{ServerName: "localhost", MinVersion: clasp.VersionTLS13, RootCAs: pki.CAPool,
			VerifyRawPublicKey: func(got []byte) error {
				if !bytes.Equal(got, spki) {
					return errors.New("not the pinned key")
				}
				return nil
			}}
		body, st := claspGet(t, srv.Addr, cfg)
		if !strings.Contains(body, "200 OK") || !bytes.Equal(st.PeerRawPublicKey, spki) {
			t.Errorf("answer %q, raw key %x", firstLine(body), st.PeerRawPublicKey)
		}
	})
	t.Run("gnutls-cli", func(t *testing.T) {
		addr, results := startClaspServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
			MinVersion: clasp.VersionTLS13, RawPublicKey: true}, 1)
		// gnutls-cli cannot check a raw key against a CA or a host name; it
		// would pin it through TOFU or DANE, so it runs --insecure and the
		// test checks that a raw key is what it got.
		out, err := peertest.RunGnuTLSClient(t, addr, "raw key\n", "--priority", priority, "--insecure")
		res := <-results
		if err != nil || res.err != nil || res.line != "raw key" || !strings.Contains(out, "Certificate type: Raw Public Key") {
			t.Errorf("gnutls-cli %v, server %v, line %q\n%s", err, res.err, res.line, out)
		}
	})
	t.Run("gnutls-cli client key", func(t *testing.T) {
		clientSPKI, err := x509.MarshalPKIXPublicKey(pki.Client.Key.(crypto.Signer).Public())
		if err != nil {
			t.Fatal(err)
		}
		pub := filepath.Join(t.TempDir(), "client-pub.pem")
		if err := os.WriteFile(pub, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: clientSPKI}), 0o644); err != nil {
			t.Fatal(err)
		}
		addr, results := startClaspServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
			MinVersion: clasp.VersionTLS13, ClientAuth: clasp.RequireAnyClientCert,
			VerifyRawPublicKey: func(got []byte) error {
				if !bytes.Equal(got, clientSPKI) {
					return errors.New("unknown client key")
				}
				return nil
			}}, 1)
		out, err := peertest.RunGnuTLSClient(t, addr, "client key\n", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.3:+CTYPE-CLI-ALL",
			"--rawpkfile", pub, "--rawpkkeyfile", pki.Client.KeyFile)
		res := <-results
		if err != nil || res.err != nil || res.line != "client key" || !bytes.Equal(res.state.PeerRawPublicKey, clientSPKI) {
			t.Errorf("gnutls-cli %v, server %v, line %q, client key %x\n%s", err, res.err, res.line, res.state.PeerRawPublicKey, out)
		}
	})
}

// A clasp client presenting its raw public key (RFC 7250
// client_certificate_type) to gnutls-serv, which requires a client
// certificate and accepts raw keys (+CTYPE-CLI-ALL), in TLS 1.3 and TLS
// 1.2, with an X.509 server certificate. gnutls-serv --http reports on its
// page the negotiated types, client's first: "(TLS1.3-Raw Public
// Key-X.509)"; the handshake itself shows that GnuTLS verified the
// client's CertificateVerify with that key. gnutls-serv pins nothing, so
// the key's identity is not checked here (clasp↔clasp tests do that).
func TestRawPublicKeyClientToGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, v := range []struct {
		name    string
		prio    string
		version uint16
	}{{"TLS 1.3", "NORMAL:-VERS-ALL:+VERS-TLS1.3:+CTYPE-CLI-ALL", clasp.VersionTLS13},
		{"TLS 1.2", "NORMAL:-VERS-ALL:+VERS-TLS1.2:+CTYPE-CLI-ALL", clasp.VersionTLS12}} {
		t.Run(v.name, func(t *testing.T) {
			srv := peertest.StartGnuTLSServer(t, pki.ECDSA, v.prio, "--require-client-cert", "--http")
			cfg := &clasp.Config{ServerName: "localhost", MinVersion: v.version, MaxVersion: v.version, RootCAs: pki.CAPool,
				Certificates: []clasp.Certificate{claspCert(pki.Client)}, RawPublicKey: true}
			body, st := claspGet(t, srv.Addr, cfg)
			want := "-Raw Public Key-X.509)"
			if st.Version != v.version || !strings.Contains(body, want) || !strings.Contains(body, "<TD>Raw Public Key</TD>") ||
				len(st.PeerCertificates) == 0 || st.PeerRawPublicKey != nil {
				t.Errorf("version %x, %d server certificates, server raw key %x; gnutls-serv's page lacks %q:\n%s",
					st.Version, len(st.PeerCertificates), st.PeerRawPublicKey, want, body)
			}
		})
	}
}

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

// writePublicKey writes a key's SubjectPublicKeyInfo as PEM and returns
// the DER and the file.
func writePublicKey(t *testing.T, key crypto.PrivateKey) ([]byte, string) {
	t.Helper()
	spki, err := x509.MarshalPKIXPublicKey(key.(crypto.Signer).Public())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "pub.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki}), 0o644); err != nil {
		t.Fatal(err)
	}
	return spki, path
}

func pinned(want []byte) func([]byte) error {
	return func(got []byte) error {
		if !bytes.Equal(got, want) {
			return errors.New("not the pinned key")
		}
		return nil
	}
}

// Raw public keys (RFC 7250) in TLS 1.2 with GnuTLS, whose build does them
// in TLS 1.2 as well as 1.3: the server's key both ways (the types agreed
// in the hellos, the key alone in the Certificate, the ServerKeyExchange
// signed by it), and a client's key to a clasp server.
func TestRawPublicKeyTLS12WithGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	const priority = "NORMAL:-VERS-ALL:+VERS-TLS1.2:+CTYPE-SRV-ALL"
	t.Run("gnutls-serv", func(t *testing.T) {
		spki, pub := writePublicKey(t, pki.ECDSA.Key)
		srv := peertest.StartGnuTLSServer(t, pki.ECDSA, priority, "--rawpkfile", pub, "--rawpkkeyfile", pki.ECDSA.KeyFile,
			"--disable-client-cert", "--http")
		cfg := &clasp.Config{ServerName: "localhost", MaxVersion: clasp.VersionTLS12, RootCAs: pki.CAPool, VerifyRawPublicKey: pinned(spki)}
		body, st := claspGet(t, srv.Addr, cfg)
		if !strings.Contains(body, "200 OK") || !bytes.Equal(st.PeerRawPublicKey, spki) || st.Version != clasp.VersionTLS12 {
			t.Errorf("answer %q, raw key %x, version %x", firstLine(body), st.PeerRawPublicKey, st.Version)
		}
	})
	t.Run("gnutls-cli", func(t *testing.T) {
		addr, results := startClaspServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
			MaxVersion: clasp.VersionTLS12, RawPublicKey: true}, 1)
		out, err := peertest.RunGnuTLSClient(t, addr, "raw key\n", "--priority", priority, "--insecure")
		res := <-results
		if err != nil || res.err != nil || res.line != "raw key" || !strings.Contains(out, "Certificate type: Raw Public Key") ||
			!strings.Contains(out, "TLS1.2") {
			t.Errorf("gnutls-cli %v, server %v, line %q\n%s", err, res.err, res.line, out)
		}
	})
	t.Run("gnutls-cli client key", func(t *testing.T) {
		clientSPKI, pub := writePublicKey(t, pki.Client.Key)
		addr, results := startClaspServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
			MaxVersion: clasp.VersionTLS12, ClientAuth: clasp.RequireAnyClientCert, VerifyRawPublicKey: pinned(clientSPKI)}, 1)
		out, err := peertest.RunGnuTLSClient(t, addr, "client key\n", "--priority", "NORMAL:-VERS-ALL:+VERS-TLS1.2:+CTYPE-CLI-ALL",
			"--rawpkfile", pub, "--rawpkkeyfile", pki.Client.KeyFile)
		res := <-results
		if err != nil || res.err != nil || res.line != "client key" || !bytes.Equal(res.state.PeerRawPublicKey, clientSPKI) {
			t.Errorf("gnutls-cli %v, server %v, line %q, client key %x\n%s", err, res.err, res.line, res.state.PeerRawPublicKey, out)
		}
	})
}

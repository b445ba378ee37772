package interop

import (
	"crypto/tls"
	"os"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	if sharedClaspDir != "" {
		os.RemoveAll(sharedClaspDir)
	}
	os.Exit(code)
}

// claspCert turns a harness leaf into a clasp certificate.
func claspCert(l *peertest.Leaf) clasp.Certificate {
	return clasp.Certificate{Certificate: l.TLS.Certificate, PrivateKey: l.TLS.PrivateKey, Leaf: l.Cert}
}

// leafFor returns the harness leaf of a key type name.
func leafFor(p *peertest.PKI, keyType string) *peertest.Leaf {
	switch keyType {
	case "rsa":
		return p.RSA
	case "ecdsa":
		return p.ECDSA
	case "ed25519":
		return p.Ed25519
	}
	panic("unknown key type " + keyType)
}

var _ = tls.VersionTLS12

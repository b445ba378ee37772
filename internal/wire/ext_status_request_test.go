package wire

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// RFC 8446 §4.4.2.1: a TLS 1.3 server asks for a stapled OCSP response with
// an EMPTY status_request in CertificateRequest; crypto/tls sends one with
// every request, so parsing it with the ClientHello layout broke mutual TLS.
func TestCertificateRequest13AcceptsEmptyStatusRequest(t *testing.T) {
	req := &CertificateRequest13{Extensions: []Extension{
		&SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{suites.ECDSAWithP256AndSHA256}},
		&StatusRequestExt{},
	}}
	raw, err := req.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if raw[len(raw)-4] != 0 || raw[len(raw)-3] != 5 || raw[len(raw)-2] != 0 || raw[len(raw)-1] != 0 {
		t.Fatalf("status_request not marshalled empty: % x", raw[len(raw)-4:])
	}
	m, err := ParseHandshake(raw, Context{Version: suites.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := FindExtension[*StatusRequestExt](m.(*CertificateRequest13).Extensions); !ok {
		t.Fatal("status_request lost")
	}
}

package peertest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ocsp"
)

// OCSPResponse returns a DER OCSP response for leaf signed by the PKI's CA
// (RFC 6960; golang.org/x/crypto/ocsp), valid from an hour ago for a day,
// with status ocsp.Good, ocsp.Revoked or ocsp.Unknown.
func (p *PKI) OCSPResponse(t testing.TB, leaf *Leaf, status int) []byte {
	t.Helper()
	now := time.Now()
	tmpl := ocsp.Response{
		Status:       status,
		SerialNumber: leaf.Cert.SerialNumber,
		ThisUpdate:   now.Add(-time.Hour),
		NextUpdate:   now.Add(24 * time.Hour),
	}
	if status == ocsp.Revoked {
		tmpl.RevokedAt, tmpl.RevocationReason = now.Add(-2*time.Hour), ocsp.KeyCompromise
	}
	der, err := ocsp.CreateResponse(p.CACert, p.CACert, tmpl, p.CAKey)
	if err != nil {
		t.Fatalf("peertest: making an OCSP response: %v", err)
	}
	return der
}

// OCSPResponseFile writes OCSPResponse to a file in the test's temp
// directory, for openssl s_server -status_file.
func (p *PKI) OCSPResponseFile(t testing.TB, leaf *Leaf, status int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "ocsp.der")
	if err := os.WriteFile(path, p.OCSPResponse(t, leaf, status), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

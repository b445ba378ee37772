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
	return p.ocspResponse(t, leaf, status, now.Add(-time.Hour), now.Add(24*time.Hour))
}

// ExpiredOCSPResponseFile writes a good OCSP response for leaf whose
// validity ended a day ago (this update three days ago, next update one),
// for openssl s_server -status_file.
func (p *PKI) ExpiredOCSPResponseFile(t testing.TB, leaf *Leaf) string {
	t.Helper()
	now := time.Now()
	path := filepath.Join(t.TempDir(), "ocsp-expired.der")
	if err := os.WriteFile(path, p.ocspResponse(t, leaf, ocsp.Good, now.Add(-72*time.Hour), now.Add(-24*time.Hour)), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func (p *PKI) ocspResponse(t testing.TB, leaf *Leaf, status int, thisUpdate, nextUpdate time.Time) []byte {
	t.Helper()
	now := time.Now()
	tmpl := ocsp.Response{
		Status:       status,
		SerialNumber: leaf.Cert.SerialNumber,
		ThisUpdate:   thisUpdate,
		NextUpdate:   nextUpdate,
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

package main

import (
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/scan"
)

// --export and the stapled OCSP response in clasp connect's summary, and
// --ocsp-staple in clasp serve.

// exportRequest is --export LABEL[:CONTEXT]:LENGTH.
type exportRequest struct {
	Label   string  `json:"label"`
	Context *string `json:"context,omitempty"`
	Length  int     `json:"length"`
	Hex     string  `json:"hex,omitempty"`
	Error   string  `json:"error,omitempty"`
}

// parseExport reads LABEL:LENGTH or LABEL:CONTEXT:LENGTH. The label may
// not contain a colon; the context may (everything between the first and
// the last colon). No context and an empty one differ in TLS 1.2 (RFC
// 5705 §4), so "LABEL::16" is an empty context and "LABEL:16" none.
func parseExport(s string) (*exportRequest, error) {
	first, last := strings.Index(s, ":"), strings.LastIndex(s, ":")
	if first <= 0 {
		return nil, usageErrorf("--export %q: want LABEL[:CONTEXT]:LENGTH", s)
	}
	n, err := strconv.Atoi(s[last+1:])
	if err != nil || n < 1 || n > 1<<16 {
		return nil, usageErrorf("--export %q: LENGTH must be a number of bytes from 1 to 65536", s)
	}
	req := &exportRequest{Label: s[:first], Length: n}
	if first != last {
		ctx := s[first+1 : last]
		req.Context = &ctx
	}
	return req, nil
}

// run exports from the connection's state into the request.
func (r *exportRequest) run(st clasp.ConnectionState) {
	var context []byte
	if r.Context != nil {
		context = []byte(*r.Context)
	}
	key, err := st.ExportKeyingMaterial(r.Label, context, r.Length)
	if err != nil {
		r.Error = err.Error()
		return
	}
	r.Hex = hex.EncodeToString(key)
}

func (r *exportRequest) text() string {
	ctx := "no context"
	if r.Context != nil {
		ctx = fmt.Sprintf("context %q", *r.Context)
	}
	if r.Error != "" {
		return fmt.Sprintf("exported key (%q, %s): %s", r.Label, ctx, r.Error)
	}
	return fmt.Sprintf("exported key (%q, %s, %d bytes): %s", r.Label, ctx, r.Length, strings.ToUpper(r.Hex))
}

// ocspSummary is the stapled OCSP response, parsed with x/crypto/ocsp
// against the leaf's issuer when the chain has it.
type ocspSummary struct {
	Status     string    `json:"status"`
	ProducedAt time.Time `json:"produced_at"`
	ThisUpdate time.Time `json:"this_update"`
	NextUpdate time.Time `json:"next_update,omitzero"`
	Responder  string    `json:"responder,omitempty"`
	Error      string    `json:"error,omitempty"`
}

var ocspStatuses = map[int]string{ocsp.Good: "good", ocsp.Revoked: "revoked", ocsp.Unknown: "unknown"}

// summarizeOCSP parses the stapled response; nil when none was stapled.
// A response that expired or says revoked adds a warning, and so does no
// response for a must-staple certificate (RFC 7633: its TLS feature
// extension promises a staple, so a client may not go without one). A
// server that simply staples nothing gets no warning: stapling is
// optional (RFC 6066 §8), and OpenSSL's s_client -status only notes "no
// response sent". A resumed connection carries no certificate messages
// and so no staple.
func summarizeOCSP(st clasp.ConnectionState, now time.Time) (*ocspSummary, []string) {
	if len(st.OCSPResponse) == 0 {
		if !st.DidResume && len(st.PeerCertificates) > 0 && scan.MustStaple(st.PeerCertificates[0]) {
			return nil, []string{"the certificate is must-staple (RFC 7633 TLS feature status_request) but the server stapled no OCSP response"}
		}
		return nil, nil
	}
	var issuer *x509.Certificate
	if len(st.VerifiedChains) > 0 && len(st.VerifiedChains[0]) > 1 {
		issuer = st.VerifiedChains[0][1]
	} else if len(st.PeerCertificates) > 1 {
		issuer = st.PeerCertificates[1]
	}
	resp, err := ocsp.ParseResponse(st.OCSPResponse, issuer)
	if err != nil {
		return &ocspSummary{Error: err.Error()}, []string{"the stapled OCSP response does not parse or verify: " + err.Error()}
	}
	s := &ocspSummary{Status: ocspStatuses[resp.Status], ProducedAt: resp.ProducedAt.UTC(), ThisUpdate: resp.ThisUpdate.UTC(),
		NextUpdate: resp.NextUpdate.UTC()}
	if resp.Certificate != nil {
		s.Responder = resp.Certificate.Subject.String()
	} else if issuer != nil {
		s.Responder = issuer.Subject.String()
	}
	var warnings []string
	if resp.Status != ocsp.Good {
		warnings = append(warnings, "the stapled OCSP response says "+s.Status)
	}
	if !resp.NextUpdate.IsZero() && now.After(resp.NextUpdate) {
		warnings = append(warnings, "the stapled OCSP response expired at "+s.NextUpdate.Format(time.RFC3339))
	}
	return s, warnings
}

func (s *ocspSummary) text() string {
	if s.Error != "" {
		return "unreadable (" + s.Error + ")"
	}
	out := fmt.Sprintf("%s (this update %s", s.Status, s.ThisUpdate.Format(time.RFC3339))
	if !s.NextUpdate.IsZero() {
		out += ", next update " + s.NextUpdate.Format(time.RFC3339)
	}
	if s.Responder != "" {
		out += ", responder " + s.Responder
	}
	return out + ")"
}

// readOCSPStaple reads --ocsp-staple: a DER OCSP response, or one PEM
// block of it.
func readOCSPStaple(path string) ([]byte, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--ocsp-staple: %v", err)
	}
	if block, _ := pem.Decode(raw); block != nil {
		raw = block.Bytes
	}
	if _, err := ocsp.ParseResponse(raw, nil); err != nil {
		return nil, usageErrorf("--ocsp-staple %s: not an OCSP response: %v", path, err)
	}
	return raw, nil
}

// exportFlag is the pflag.Value of --export.
type exportFlag struct{ req **exportRequest }

func (f *exportFlag) String() string {
	if *f.req == nil {
		return ""
	}
	return (*f.req).Label
}

func (f *exportFlag) Set(s string) error {
	req, err := parseExport(s)
	if err != nil {
		return err
	}
	*f.req = req
	return nil
}

func (f *exportFlag) Type() string { return "LABEL[:CONTEXT]:LENGTH" }

package main

import (
	"crypto/x509"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clasp-tls/clasp/scan"
)

// loadCAFile reads --cafile: PEM certificates to judge chains against
// instead of the system's roots.
func loadCAFile(path string) (*x509.CertPool, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--cafile: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(data) {
		return nil, usageErrorf("--cafile %s: no PEM certificate in it", path)
	}
	return pool, nil
}

// writeKeysAndStrength prints the report's sections about keys: the
// strength of each suite, the signature schemes and the certificates.
func writeKeysAndStrength(w io.Writer, rep *scan.Report) {
	writeStrength(w, rep)
	writeSignatures(w, rep)
	writeCertificates(w, rep)
}

func writeStrength(w io.Writer, rep *scan.Report) {
	for _, vs := range rep.CipherSuites {
		if len(vs.Suites) == 0 {
			continue
		}
		fmt.Fprintf(w, "\nSuite strength, %s\n", vs.Name)
		width := 0
		for _, s := range vs.Suites {
			width = max(width, len(s.IANA))
		}
		for _, s := range vs.Suites {
			if s.Strength != nil {
				fmt.Fprintf(w, "  %-*s  %s\n", width, s.IANA, strengthText(s.Strength))
			}
		}
	}
}

// strengthText says in one line what a suite gives a connection:
// "ECDHE x25519, RSA 2048, forward secrecy, AEAD, AES-128-GCM 128 bits".
func strengthText(st *scan.Strength) string {
	kex := st.KeyExchange
	switch {
	case st.Group != "":
		kex += " " + st.Group
	case st.DHBits > 0:
		kex += fmt.Sprintf(" %d bits, %s", st.DHBits, st.DHGroup)
	}
	parts := []string{kex}
	if st.ServerKey != "" {
		parts = append(parts, st.ServerKey)
	} else {
		parts = append(parts, st.Authentication)
	}
	if st.ForwardSecrecy {
		parts = append(parts, "forward secrecy")
	} else {
		parts = append(parts, "NO forward secrecy")
	}
	if st.AEAD {
		parts = append(parts, "AEAD")
	} else {
		parts = append(parts, "not AEAD")
	}
	parts = append(parts, fmt.Sprintf("%s %d bits", st.Cipher, st.SymmetricBits))
	return strings.Join(parts, ", ")
}

func writeSignatures(w io.Writer, rep *scan.Report) {
	if rep.Signatures == nil {
		return
	}
	fmt.Fprintln(w, "\nSignature schemes")
	for _, l := range []*scan.SchemeList{rep.Signatures.TLS13, rep.Signatures.TLS12} {
		if l == nil {
			continue
		}
		if len(l.Schemes) == 0 {
			fmt.Fprintf(w, "  %s: none found\n", l.Name)
		}
		for _, e := range l.Schemes {
			line := fmt.Sprintf("  %s  %s  %-24s %s", l.Name, e.Code, e.IANA, e.Key)
			if e.Finding != "" {
				line += "  ! " + e.Finding
			}
			fmt.Fprintln(w, strings.TrimRight(line, " "))
		}
	}
}

func writeCertificates(w io.Writer, rep *scan.Report) {
	if rep.Certificates == nil {
		return
	}
	fmt.Fprintf(w, "\nCertificates (trust judged against the %s roots)\n", rep.Certificates.Roots)
	if len(rep.Certificates.Chains) == 0 {
		fmt.Fprintln(w, "  none seen")
	}
	for i, ch := range rep.Certificates.Chains {
		fmt.Fprintf(w, "  Chain %d, seen with: %s\n", i+1, strings.Join(ch.SeenWith, "; "))
		for j, c := range ch.Certificates {
			fmt.Fprintf(w, "    %d  %s\n       issuer %s\n", j, c.Subject, c.Issuer)
			fmt.Fprintf(w, "       %s, signed %s, valid %s to %s (%d days left)\n", c.Key, c.SignatureAlgorithm,
				c.NotBefore.Format("2006-01-02"), c.NotAfter.Format("2006-01-02"), c.DaysLeft)
			if len(c.SANs) > 0 {
				fmt.Fprintf(w, "       SANs %s\n", strings.Join(c.SANs, ", "))
			}
		}
		fmt.Fprintf(w, "    trusted %s; %s %s; order %s; complete %s; root sent %s\n", yesNo(ch.Trusted), ch.Hostname,
			map[bool]string{true: "matches", false: "does NOT match"}[ch.HostnameMatch], okBad(ch.InOrder), yesNo(ch.Complete), yesNo(ch.RootSent))
		fmt.Fprintf(w, "    OCSP stapled %s; must-staple %s; SCTs %d embedded, %d in TLS\n", staplingText(ch), yesNo(ch.MustStaple),
			ch.SCTs.Embedded, ch.SCTs.TLSExtension)
		for _, p := range ch.Problems {
			fmt.Fprintf(w, "    ! %s\n", p)
		}
	}
}

func staplingText(ch *scan.Chain) string {
	switch {
	case !ch.StaplingAsked:
		return "not asked (TLS 1.3 only)"
	case ch.OCSP != nil:
		return "yes, " + ch.OCSP.Status
	}
	return "no"
}

func okBad(b bool) string {
	if b {
		return "ok"
	}
	return "WRONG"
}

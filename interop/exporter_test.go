package interop

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Exporters (RFC 5705, RFC 8446 §7.5) and tls-unique (RFC 5929) must give
// both ends of a connection the same bytes: here one end is crypto/tls
// (whose exporters follow the same RFCs) or OpenSSL.

// exporterCase is one negotiation: TLS 1.2 (crypto/tls always offers
// extended master secret) or TLS 1.3.
type exporterCase struct {
	name    string
	version uint16
}

var exporterCases = []exporterCase{{"TLS 1.2", tls.VersionTLS12}, {"TLS 1.3", tls.VersionTLS13}}

// exports runs the exporter for a label with a nil, an empty and a
// non-empty context; in TLS 1.2 the first two differ (RFC 5705 §4).
func exports(t *testing.T, export func(string, []byte, int) ([]byte, error)) [][]byte {
	t.Helper()
	var out [][]byte
	for _, ctx := range [][]byte{nil, {}, []byte("context value")} {
		key, err := export("EXPERIMENTAL clasp test", ctx, 32)
		if err != nil {
			t.Fatalf("export with context %q: %v", ctx, err)
		}
		out = append(out, key)
	}
	return out
}

func TestExporterMatchesCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range exporterCases {
		t.Run(tc.name+"/clasp client", func(t *testing.T) {
			ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{pki.ECDSA.TLS},
				MinVersion: tc.version, MaxVersion: tc.version})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			goState := make(chan tls.ConnectionState, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				tc := c.(*tls.Conn)
				_ = tc.Handshake()
				goState <- tc.ConnectionState()
				_, _ = c.Read(make([]byte, 1))
			}()
			cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MinVersion: tc.version, MaxVersion: tc.version}
			conn, err := clasp.Dial("tcp", ln.Addr().String(), cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			ours, theirs := conn.ConnectionState(), <-goState
			compareExports(t, ours, theirs)
		})
		t.Run(tc.name+"/clasp server", func(t *testing.T) {
			cfg := &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)}, MinVersion: tc.version, MaxVersion: tc.version}
			ln, err := clasp.Listen("tcp", "127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			claspState := make(chan clasp.ConnectionState, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				cc := c.(*clasp.Conn)
				_ = cc.Handshake()
				claspState <- cc.ConnectionState()
				_, _ = c.Read(make([]byte, 1))
			}()
			conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost",
				MinVersion: tc.version, MaxVersion: tc.version})
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close()
			compareExports(t, <-claspState, conn.ConnectionState())
		})
	}
}

func compareExports(t *testing.T, ours clasp.ConnectionState, theirs tls.ConnectionState) {
	t.Helper()
	a, b := exports(t, ours.ExportKeyingMaterial), exports(t, theirs.ExportKeyingMaterial)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Errorf("export %d: clasp %x, crypto/tls %x", i, a[i], b[i])
		}
	}
	if ours.Version == tls.VersionTLS12 && bytes.Equal(a[0], a[1]) {
		t.Errorf("TLS 1.2: a nil and an empty context exported the same keys (RFC 5705 §4 tells them apart)")
	}
	if !bytes.Equal(ours.TLSUnique, theirs.TLSUnique) {
		t.Errorf("tls-unique: clasp %x, crypto/tls %x", ours.TLSUnique, theirs.TLSUnique)
	}
	if ours.Version == tls.VersionTLS12 && len(ours.TLSUnique) != 12 {
		t.Errorf("TLS 1.2 tls-unique is %d bytes, want the 12 of a Finished verify_data", len(ours.TLSUnique))
	}
}

// OpenSSL's s_client prints the exported key of -keymatexport (RFC 5705 with
// no context) as "Keying material: HEX".
func TestExporterMatchesOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range exporterCases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.RSA)}, MinVersion: tc.version, MaxVersion: tc.version}
			ln, err := clasp.Listen("tcp", "127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			keys := make(chan string, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					keys <- err.Error()
					return
				}
				defer c.Close()
				cc := c.(*clasp.Conn)
				_ = cc.SetDeadline(time.Now().Add(15 * time.Second))
				if err := cc.Handshake(); err != nil {
					keys <- err.Error()
					return
				}
				st := cc.ConnectionState()
				key, err := st.ExportKeyingMaterial("EXPERIMENTAL openssl", nil, 20)
				keys <- fmt.Sprintf("%X %v", key, err)
				_, _ = cc.Read(make([]byte, 1))
			}()
			out, err := peertest.RunOpenSSLClient(t, ln.Addr().String(), "", versionFlag(tc.version),
				"-keymatexport", "EXPERIMENTAL openssl", "-keymatexportlen", "20")
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			ours := strings.TrimSuffix(<-keys, " <nil>")
			if !strings.Contains(out, "Keying material: "+ours) {
				t.Errorf("clasp exported %s; s_client printed:\n%s", ours, grepLine(out, "Keying material"))
			}
		})
	}
}

func versionFlag(v uint16) string {
	if v == tls.VersionTLS13 {
		return "-tls1_3"
	}
	return "-tls1_2"
}

func grepLine(s, prefix string) string {
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, prefix) {
			return line
		}
	}
	return "(no line with " + prefix + ")"
}

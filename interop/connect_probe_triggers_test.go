package interop

import (
	"encoding/binary"
	"encoding/json"
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The probe after a refused ClientHello also runs when the server refuses
// without handshake_failure or protocol_version: it closes the connection,
// resets it, or answers insufficient_security (RFC 5246 §7.2.2: "the
// server requires parameters more secure than those supported by the
// client"). Old servers and middleboxes do each. A scripted front stands
// for them: it reads the ClientHello and refuses in its way when the hello
// does not offer TLS_RSA_WITH_AES_128_CBC_SHA, and otherwise passes the
// connection on to openssl s_server, which runs only that suite. The probes
// must find the suite, and the flags they suggest must connect.

// refusal is how the front refuses a ClientHello.
type refusal string

const (
	refuseClose                refusal = "close"
	refuseReset                refusal = "reset"
	refuseInsufficientSecurity refusal = "insufficient_security"
	refuseHandshakeFailure     refusal = "handshake_failure"
)

// offers is a front's test of a ClientHello: true passes it on.
type offers func(*wire.ClientHello) bool

// offersSuite passes a hello that offers id.
func offersSuite(id suites.ID) offers {
	return func(h *wire.ClientHello) bool { return slices.Contains(h.CipherSuites, id) }
}

// startRefusingFront listens on a free port and serves each connection:
// the refusal unless the ClientHello passes want, otherwise a relay to
// backend.
func startRefusingFront(t *testing.T, how refusal, want offers, backend string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Go(func() { serveRefusing(c, how, want, backend) })
		}
	})
	return ln.Addr().String()
}

func serveRefusing(c net.Conn, how refusal, want offers, backend string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	record, hello := readClientHelloRecord(c)
	if record == nil {
		return
	}
	if hello == nil || !want(hello) {
		switch how {
		case refuseReset:
			c.(*net.TCPConn).SetLinger(0) // the close sends RST
		case refuseInsufficientSecurity, refuseHandshakeFailure:
			alert := wire.AlertInsufficientSecurity
			if how == refuseHandshakeFailure {
				alert = wire.AlertHandshakeFailure
			}
			// An alert record (content type 21): fatal (2), then the description.
			c.Write([]byte{21, 3, 3, 0, 2, 2, byte(alert)})
		}
		return
	}
	up, err := net.DialTimeout("tcp", backend, 5*time.Second)
	if err != nil {
		return
	}
	defer up.Close()
	up.SetDeadline(time.Now().Add(20 * time.Second))
	if _, err := up.Write(record); err != nil {
		return
	}
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite() }()
	io.Copy(c, up)
}

// readClientHelloRecord reads the first record and parses the ClientHello
// in it: the record's bytes, and the hello (nil when it does not parse, as
// for a hello split over records, which these clients do not send).
func readClientHelloRecord(c net.Conn) ([]byte, *wire.ClientHello) {
	header := make([]byte, 5)
	if _, err := io.ReadFull(c, header); err != nil {
		return nil, nil
	}
	body := make([]byte, binary.BigEndian.Uint16(header[3:]))
	if _, err := io.ReadFull(c, body); err != nil {
		return nil, nil
	}
	record := append(header, body...)
	if header[0] != 22 || len(body) < 4 || body[0] != 1 {
		return record, nil
	}
	n := int(body[1])<<16 | int(body[2])<<8 | int(body[3])
	if len(body) < 4+n {
		return record, nil
	}
	hello, err := wire.ParseClientHello(body[4 : 4+n])
	if err != nil {
		return record, nil
	}
	return record, hello
}

func TestConnectProbesAfterCloseResetOrInsufficientSecurity(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	backend := peertest.StartOpenSSLServer(t, pki.RSA, "-www", "-tls1_2", "-cipher", "AES128-SHA").Addr
	base := []string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile}
	for _, tc := range []struct {
		how       refusal
		wantError string // what the failed handshake itself says
	}{
		{refuseClose, "EOF"},
		{refuseReset, "reset"},
		{refuseInsufficientSecurity, "insufficient_security"},
	} {
		t.Run(string(tc.how), func(t *testing.T) {
			addr := startRefusingFront(t, tc.how, offersSuite(suites.TLS_RSA_WITH_AES_128_CBC_SHA), backend)
			r := runClaspCommand(t, bin, append(base, addr)...)
			first := r.firstLine()
			want := "the server accepts only TLS_RSA_WITH_AES_128_CBC_SHA (AES128-SHA) on TLS 1.2"
			if r.exit != 1 || !strings.HasPrefix(first, want) || !strings.Contains(first, "to connect: --ciphers AES128-SHA;") {
				t.Fatalf("exit %d, first line %q, want it to start %q", r.exit, first, want)
			}
			if !strings.Contains(r.stderr, tc.wantError) {
				t.Errorf("the error does not say %q:\n%s", tc.wantError, r.stderr)
			}
			// The suggested flags connect, through the same front.
			if r = runClaspCommand(t, bin, append(append(base, connectFlags(t, first)...), addr)...); r.exit != 0 {
				t.Errorf("the suggested flags do not connect: exit %d", r.exit)
			}
			// --json lists the probes, and --no-probe runs none.
			r = runClaspCommand(t, bin, append(base, "--json", addr)...)
			var out struct {
				Diagnosis struct{ Cause string }
				Probes    []struct{ Check string }
			}
			if err := json.Unmarshal([]byte(r.stdout), &out); err != nil || out.Diagnosis.Cause != "no_common_cipher_suite" || len(out.Probes) < 2 {
				t.Errorf("--json: %v, %+v", err, out)
			}
			r = runClaspCommand(t, bin, append(base, "--json", "--no-probe", addr)...)
			if strings.Contains(r.stdout, `"probes"`) {
				t.Errorf("--no-probe still probed: %s", r.stdout)
			}
		})
	}
}

// A server that speaks TLS 1.2 but refuses a ClientHello offering TLS 1.3
// too, instead of answering with TLS 1.2 (RFC 8446 Appendix D): the probes
// find it accepts the offer at TLS 1.2, so clasp runs one more handshake
// limited to it. When that connects, --max-version is the way to connect;
// when it fails, its own cause is the diagnosis. OpenSSL refuses this way
// with an RSA-512 key, which cannot make the RSA-PSS signature TLS 1.3
// needs; the other server is a front that refuses TLS 1.3 offers with
// handshake_failure before an ordinary s_server.
func TestConnectRetriesAtTheVersionTheServerSpeaks(t *testing.T) {
	peertest.Require(t, "openssl")
	pki := peertest.NewPKI(t)
	bin := sharedClasp(t)
	t.Run("refuses-TLS1.3-then-connects", func(t *testing.T) {
		backend := peertest.StartOpenSSLServer(t, pki.RSA, "-www").Addr
		noTLS13 := func(h *wire.ClientHello) bool {
			sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](h.Extensions)
			return !ok || !slices.Contains(sv.Versions, suites.VersionTLS13)
		}
		addr := startRefusingFront(t, refuseHandshakeFailure, noTLS13, backend)
		base := []string{"connect", "--servername", "localhost", "--cafile", pki.CACertFile}
		r := runClaspCommand(t, bin, append(base, addr)...)
		first := r.firstLine()
		if r.exit != 1 || !strings.HasPrefix(first, "the server refuses a ClientHello that offers TLS 1.3, yet completes a handshake at TLS 1.2") ||
			!strings.Contains(first, "to connect: --max-version 1.2;") {
			t.Fatalf("exit %d, first line %q", r.exit, first)
		}
		if r = runClaspCommand(t, bin, append(append(base, connectFlags(t, first)...), addr)...); r.exit != 0 {
			t.Errorf("the suggested flags do not connect: exit %d", r.exit)
		}
	})
	t.Run("refuses-TLS1.3-then-fails-on-the-key", func(t *testing.T) {
		weak := opensslCert(t, t.TempDir(), "rsa512", "rsa:512", "sha256", "", "")
		addr := peertest.StartOpenSSLServer(t, weak, "-www", "-cipher", "DEFAULT:@SECLEVEL=0").Addr
		out, r := connectJSON(t, bin, "--servername", "localhost", "--cafile", weak.CertFile, addr)
		d, _ := out["diagnosis"].(map[string]any)
		probes, _ := out["probes"].([]any)
		if r.exit != 1 || d["cause"] != "certificate_weak_key" || len(probes) == 0 {
			t.Fatalf("exit %d, diagnosis %v, probes %v", r.exit, d, probes)
		}
		if last, _ := probes[len(probes)-1].(map[string]any); last["check"] != "TLS 1.2 handshake" {
			t.Errorf("the last probe is %v, want the TLS 1.2 handshake", last)
		}
	})
}

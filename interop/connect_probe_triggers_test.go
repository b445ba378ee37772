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
)

// startRefusingFront listens on a free port and serves each connection:
// the refusal unless the ClientHello offers want, otherwise a relay to
// backend.
func startRefusingFront(t *testing.T, how refusal, want suites.ID, backend string) string {
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

func serveRefusing(c net.Conn, how refusal, want suites.ID, backend string) {
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	record, hello := readClientHelloRecord(c)
	if record == nil {
		return
	}
	if hello == nil || !slices.Contains(hello.CipherSuites, want) {
		switch how {
		case refuseReset:
			c.(*net.TCPConn).SetLinger(0) // the close sends RST
		case refuseInsufficientSecurity:
			// An alert record (content type 21): fatal (2), insufficient_security.
			c.Write([]byte{21, 3, 3, 0, 2, 2, byte(wire.AlertInsufficientSecurity)})
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
			addr := startRefusingFront(t, tc.how, suites.TLS_RSA_WITH_AES_128_CBC_SHA, backend)
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

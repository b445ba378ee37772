package interop

import (
	"bufio"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
)

// goSuites are the TLS 1.2 suites Go's crypto/tls implements, including the
// ones it only uses when configured explicitly.
func goSuites() map[uint16]bool {
	m := map[uint16]bool{}
	for _, s := range append(tls.CipherSuites(), tls.InsecureCipherSuites()...) {
		if slices.Contains(s.SupportedVersions, tls.VersionTLS12) {
			m[s.ID] = true
		}
	}
	return m
}

// keyTypesFor lists the certificate key types that can authenticate a suite.
func keyTypesFor(s *suites.Suite) []string {
	if s.Auth == suites.AuthECDSA {
		return []string{"ecdsa", "ed25519"}
	}
	return []string{"rsa"}
}

type goCase struct {
	suite   *suites.Suite
	keyType string
	ems     bool
}

func (c goCase) name() string {
	return fmt.Sprintf("%s/%s/ems=%v", c.suite.Name, c.keyType, c.ems)
}

// commonGoCases is every suite both stacks implement × each key type that
// fits it × with and without extended master secret.
func commonGoCases(t *testing.T) []goCase {
	goImpl := goSuites()
	var cases []goCase
	for _, id := range suites.ImplementedSuites() {
		s := suites.SuiteByID(id)
		if !goImpl[uint16(id)] {
			continue
		}
		for _, kt := range keyTypesFor(s) {
			for _, ems := range []bool{true, false} {
				cases = append(cases, goCase{suite: s, keyType: kt, ems: ems})
			}
		}
	}
	if len(cases) == 0 {
		t.Fatal("no suite in common with crypto/tls: the registry or the filter is broken")
	}
	return cases
}

// echoOnce reads one line from conn and writes it back upper-cased.
func echoOnce(conn io.ReadWriter) error {
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	_, err = io.WriteString(conn, strings.ToUpper(line))
	return err
}

// roundTrip sends a line and expects it back upper-cased.
func roundTrip(t *testing.T, conn io.ReadWriter) {
	t.Helper()
	if _, err := io.WriteString(conn, "ping from the client\n"); err != nil {
		t.Fatalf("write: %v", err)
	}
	got, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	if got != "PING FROM THE CLIENT\n" {
		t.Fatalf("echo = %q", got)
	}
}

func TestClaspClientToCryptoTLSServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range commonGoCases(t) {
		t.Run(tc.name(), func(t *testing.T) {
			srvCfg := &tls.Config{
				Certificates: []tls.Certificate{leafFor(pki, tc.keyType).TLS},
				CipherSuites: []uint16{uint16(tc.suite.ID)},
				MaxVersion:   tls.VersionTLS12,
				NextProtos:   []string{"h2", "http/1.1"},
			}
			ln, err := tls.Listen("tcp", "127.0.0.1:0", srvCfg)
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			type result struct {
				state tls.ConnectionState
				ekmOK bool
				err   error
			}
			done := make(chan result, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					done <- result{err: err}
					return
				}
				defer conn.Close()
				tc := conn.(*tls.Conn)
				_ = tc.SetDeadline(time.Now().Add(10 * time.Second))
				if err := tc.Handshake(); err != nil {
					done <- result{err: err}
					return
				}
				st := tc.ConnectionState()
				// crypto/tls refuses exporters on a TLS 1.2 connection
				// without EMS, which makes this a check of EMS from Go's side.
				_, ekmErr := st.ExportKeyingMaterial("clasp test", nil, 16)
				done <- result{state: st, ekmOK: ekmErr == nil, err: echoOnce(tc)}
			}()

			conn, err := clasp.Dial("tcp", ln.Addr().String(), &clasp.Config{
				RootCAs:                     pki.CAPool,
				ServerName:                  "localhost",
				CipherSuites:                []uint16{uint16(tc.suite.ID)},
				NextProtos:                  []string{"http/1.1"},
				DisableExtendedMasterSecret: !tc.ems,
			})
			if err != nil {
				t.Fatalf("clasp handshake with crypto/tls: %v", err)
			}
			defer conn.Close()
			roundTrip(t, conn)
			res := <-done
			if res.err != nil {
				t.Fatalf("crypto/tls server: %v", res.err)
			}
			checkBothStates(t, conn.ConnectionState(), res.state, res.ekmOK, tc)
		})
	}
}

func TestCryptoTLSClientToClaspServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, tc := range commonGoCases(t) {
		t.Run(tc.name(), func(t *testing.T) {
			ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{
				Certificates:                []clasp.Certificate{claspCert(leafFor(pki, tc.keyType))},
				CipherSuites:                []uint16{uint16(tc.suite.ID)},
				NextProtos:                  []string{"h2", "http/1.1"},
				DisableExtendedMasterSecret: !tc.ems,
			})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			type result struct {
				state clasp.ConnectionState
				err   error
			}
			done := make(chan result, 1)
			go func() {
				conn, err := ln.Accept()
				if err != nil {
					done <- result{err: err}
					return
				}
				defer conn.Close()
				cc := conn.(*clasp.Conn)
				_ = cc.SetDeadline(time.Now().Add(10 * time.Second))
				if err := cc.Handshake(); err != nil {
					done <- result{err: err}
					return
				}
				done <- result{state: cc.ConnectionState(), err: echoOnce(cc)}
			}()

			conn, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", ln.Addr().String(), &tls.Config{
				RootCAs:      pki.CAPool,
				ServerName:   "localhost",
				CipherSuites: []uint16{uint16(tc.suite.ID)},
				MaxVersion:   tls.VersionTLS12,
				NextProtos:   []string{"http/1.1"},
			})
			if err != nil {
				res := <-done
				t.Fatalf("crypto/tls handshake with clasp: %v (clasp server: %v)", err, res.err)
			}
			defer conn.Close()
			roundTrip(t, conn)
			res := <-done
			if res.err != nil {
				t.Fatalf("clasp server: %v", res.err)
			}
			goState := conn.ConnectionState()
			_, ekmErr := goState.ExportKeyingMaterial("clasp test", nil, 16)
			checkBothStates(t, res.state, goState, ekmErr == nil, tc)
		})
	}
}

// checkBothStates compares what clasp and crypto/tls each say was negotiated.
func checkBothStates(t *testing.T, cs clasp.ConnectionState, gs tls.ConnectionState, goEMS bool, tc goCase) {
	t.Helper()
	if cs.CipherSuite != uint16(tc.suite.ID) || gs.CipherSuite != uint16(tc.suite.ID) {
		t.Errorf("suite: clasp %#04x, crypto/tls %#04x, want %s", cs.CipherSuite, gs.CipherSuite, tc.suite.Name)
	}
	if cs.Version != clasp.VersionTLS12 || gs.Version != tls.VersionTLS12 {
		t.Errorf("version: clasp %#04x, crypto/tls %#04x", cs.Version, gs.Version)
	}
	if cs.NegotiatedProtocol != "http/1.1" || gs.NegotiatedProtocol != "http/1.1" {
		t.Errorf("ALPN: clasp %q, crypto/tls %q", cs.NegotiatedProtocol, gs.NegotiatedProtocol)
	}
	if cs.ServerName != "localhost" || gs.ServerName != "localhost" {
		t.Errorf("SNI: clasp %q, crypto/tls %q", cs.ServerName, gs.ServerName)
	}
	if cs.ExtendedMasterSecret != tc.ems || goEMS != tc.ems {
		t.Errorf("EMS: clasp %v, crypto/tls %v, want %v", cs.ExtendedMasterSecret, goEMS, tc.ems)
	}
	if !cs.SecureRenegotiation {
		t.Errorf("clasp did not record RFC 5746 secure renegotiation")
	}
}

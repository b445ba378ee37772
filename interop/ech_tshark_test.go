package interop

import (
	"bytes"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// TestECHHidesTheServerNameOnTheWire captures ECH handshakes on loopback
// with tshark, clasp as the client (against crypto/tls) and as the server
// (for crypto/tls): the capture never holds the real server name, and
// Wireshark's dissector sees only the public name in server_name and an
// encrypted_client_hello extension in every ClientHello.
func TestECHHidesTheServerNameOnTheWire(t *testing.T) {
	peertest.Require(t, "tshark")
	pki := peertest.NewPKI(t)
	secret, public := echCert(t, pki, echSecretName), echCert(t, pki, echPublicName)
	key, list := echKey(t)
	for _, claspSide := range []string{"client", "server"} {
		t.Run("clasp "+claspSide, func(t *testing.T) {
			ln, serve := echServerFor(t, claspSide, key, secret, public)
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port
			pcap := filepath.Join(t.TempDir(), "ech.pcapng")
			stop := startTshark(t, port, pcap)
			go serve()
			accepted := echDialFor(t, claspSide, ln.Addr().String(), pki, list)
			stop()
			if !accepted {
				t.Fatal("ECH was not accepted")
			}
			raw, err := os.ReadFile(pcap)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(raw, []byte(echSecretName)) {
				t.Fatalf("the capture holds %q in the clear", echSecretName)
			}
			out := runTshark(t, "-r", pcap, "-d", "tcp.port=="+strconv.Itoa(port)+",tls", "-Y", "tls.handshake.type==1",
				"-T", "fields", "-e", "tls.handshake.extensions_server_name", "-e", "tls.handshake.extension.type")
			var lines []string // the field rows, without tshark's own remarks
			for _, line := range strings.Split(out, "\n") {
				if strings.Contains(line, "\t") {
					lines = append(lines, line)
				}
			}
			for _, line := range lines {
				fields := strings.Split(line, "\t")
				if len(fields) != 2 || fields[0] != echPublicName || !strings.Contains(","+fields[1]+",", ",65037,") {
					t.Errorf("ClientHello on the wire: server_name %q, extensions %q; want %s and encrypted_client_hello (65037)", fields[0], fields[len(fields)-1], echPublicName)
				}
			}
			if len(lines) == 0 {
				t.Fatalf("no ClientHello in the capture:\n%s", out)
			}
		})
	}
}

// echServerFor listens with the ECH key: crypto/tls when clasp is the
// client, clasp when it is the server. serve answers one connection.
func echServerFor(t *testing.T, claspSide string, key clasp.EncryptedClientHelloKey, secret, public tls.Certificate) (net.Listener, func()) {
	t.Helper()
	var ln net.Listener
	var err error
	if claspSide == "client" {
		ln, err = tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{secret, public},
			EncryptedClientHelloKeys: []tls.EncryptedClientHelloKey{{Config: key.Config, PrivateKey: key.PrivateKey, SendAsRetry: true}}})
	} else {
		ln, err = clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{Certificates: []clasp.Certificate{
			{Certificate: secret.Certificate, PrivateKey: secret.PrivateKey, Leaf: secret.Leaf},
			{Certificate: public.Certificate, PrivateKey: public.PrivateKey, Leaf: public.Leaf}},
			EncryptedClientHelloKeys: []clasp.EncryptedClientHelloKey{key}})
	}
	if err != nil {
		t.Fatal(err)
	}
	return ln, func() { acceptEcho(ln) }
}

// echDialFor connects with the ECHConfigList from the other side, echoes a
// line and reports whether ECH was accepted.
func echDialFor(t *testing.T, claspSide, addr string, pki *peertest.PKI, list []byte) bool {
	t.Helper()
	if claspSide == "client" {
		conn, err := clasp.Dial("tcp", addr, &clasp.Config{RootCAs: pki.CAPool, ServerName: echSecretName, EncryptedClientHelloConfigList: list})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
		roundTrip(t, conn)
		return conn.ConnectionState().ECHAccepted
	}
	conn, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pki.CAPool, ServerName: echSecretName, EncryptedClientHelloConfigList: list})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	roundTrip(t, conn)
	return conn.ConnectionState().ECHAccepted
}

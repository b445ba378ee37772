package interop

import (
	"bytes"
	"io"
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

// TestKeyLogDecryptsCaptureWithTshark captures a clasp client↔server
// exchange on the loopback interface with tshark, then decrypts the capture
// with the client's key log (Config.KeyLogWriter, NSS format) and finds the
// application data both ways — and checks that without the key log the
// same capture shows none of it. tshark needs to capture on lo: root, or
// dumpcap with cap_net_raw/cap_net_admin (setcap); CI runs as root.
func TestKeyLogDecryptsCaptureWithTshark(t *testing.T) {
	peertest.Require(t, "tshark")
	pki := peertest.NewPKI(t)
	for _, v := range []struct {
		name    string
		version uint16
	}{{"TLS1.2", clasp.VersionTLS12}, {"TLS1.3", clasp.VersionTLS13}} {
		t.Run(v.name, func(t *testing.T) {
			dir := t.TempDir()
			pcap := filepath.Join(dir, "capture.pcapng")
			keylog := filepath.Join(dir, "keys.log")
			request := "keylog-request-" + strconv.FormatInt(time.Now().UnixNano(), 36)
			answer := "keylog-answer-" + v.name

			ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{
				Certificates: []clasp.Certificate{claspCert(pki.ECDSA)}, MaxVersion: v.version})
			if err != nil {
				t.Fatal(err)
			}
			defer ln.Close()
			port := ln.Addr().(*net.TCPAddr).Port

			stop := startTshark(t, port, pcap)
			served := make(chan error, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					served <- err
					return
				}
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(10 * time.Second))
				buf := make([]byte, len(request))
				if _, err := io.ReadFull(c, buf); err != nil {
					served <- err
					return
				}
				_, err = io.WriteString(c, answer)
				served <- err
			}()

			kf, err := os.Create(keylog)
			if err != nil {
				t.Fatal(err)
			}
			conn, err := clasp.Dial("tcp", ln.Addr().String(), &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost",
				MinVersion: v.version, MaxVersion: v.version, KeyLogWriter: kf})
			if err != nil {
				t.Fatal(err)
			}
			clientAddr := conn.LocalAddr().String()
			_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(conn, request); err != nil {
				t.Fatal(err)
			}
			got := make([]byte, len(answer))
			if _, err := io.ReadFull(conn, got); err != nil || string(got) != answer {
				t.Fatalf("answer %q, %v", got, err)
			}
			conn.Close()
			kf.Close()
			if err := <-served; err != nil {
				t.Fatal(err)
			}
			stop()

			keys, _ := os.ReadFile(keylog)
			wantLabel := "CLIENT_RANDOM "
			if v.version == clasp.VersionTLS13 {
				wantLabel = "CLIENT_TRAFFIC_SECRET_0 "
			}
			if !bytes.Contains(keys, []byte(wantLabel)) {
				t.Fatalf("key log lacks %s:\n%s", wantLabel, keys)
			}
			raw, _ := os.ReadFile(pcap)
			if bytes.Contains(raw, []byte(request)) || bytes.Contains(raw, []byte(answer)) {
				t.Fatal("the capture holds the application data in the clear")
			}

			decode := "tcp.port==" + strconv.Itoa(port) + ",tls"
			// The capture also holds the probe's connections (startTshark):
			// follow the tested one by its two addresses.
			follow := "follow,tls,ascii," + clientAddr + "," + ln.Addr().String()
			with := runTshark(t, "-r", pcap, "-d", decode, "-o", "tls.keylog_file:"+keylog, "-q", "-z", follow)
			for _, want := range []string{request, answer} {
				if !strings.Contains(with, want) {
					t.Errorf("decrypted capture lacks %q:\n%s", want, with)
				}
			}
			// The decrypted records are application data of the negotiated
			// version, as Wireshark's TLS dissector reports them.
			fields := runTshark(t, "-r", pcap, "-d", decode, "-o", "tls.keylog_file:"+keylog,
				"-Y", "tls.app_data", "-T", "fields", "-e", "tls.record.version", "-e", "tls.app_data")
			if strings.TrimSpace(fields) == "" {
				t.Errorf("no application data records in the capture")
			}
			without := runTshark(t, "-r", pcap, "-d", decode, "-o", "tls.keylog_file:", "-q", "-z", follow)
			if strings.Contains(without, request) || strings.Contains(without, answer) {
				t.Errorf("the capture decrypts without the key log:\n%s", without)
			}
		})
	}
}

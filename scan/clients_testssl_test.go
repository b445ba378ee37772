package scan

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The published profiles of clients that cannot run here come from the
// ClientHello bytes in testssl.sh's etc/client-simulation.txt, which
// records Qualys SSL Labs' client list (api.dev.ssllabs.com/api/v3/getClients)
// and a few hellos captured with Wireshark, with each client's version
// range and key-size limits. This test checks that each profile still
// equals the hello in that file (and -update-clients rewrites them). It
// reads the file only, in well under a second; test.sh installs the Debian
// package testssl.sh for it, and under CI=true a missing package fails it.

const testsslClientFile = "/etc/testssl/client-simulation.txt"

// testsslClients maps profile IDs to testssl.sh's client names.
var testsslClients = map[string]string{
	"android-4.4":      "Android 4.4.2",
	"android-7":        "Android 7.0 (native)",
	"android-12":       "Android 12 (native)",
	"chrome-79":        "Chrome 79 (Win 10)",
	"chrome-101":       "Chrome 101 (Win 10)",
	"firefox-71":       "Firefox 71 (Win 10)",
	"firefox-100":      "Firefox 100 (Win 10)",
	"safari-13":        "Safari 13.0 (macOS 10.14.6)",
	"safari-15.4":      "Safari 15.4 (macOS 12.3.1)",
	"java-8u161":       "Java 8u161",
	"java-11":          "Java 11.0.2 (OpenJDK)",
	"java-17.0.3":      "Java 17.0.3 (OpenJDK)",
	"schannel-win7":    "IE 11 Win 7",
	"schannel-win10":   "IE 11 Win 10",
	"edge-17-win10":    "Edge 17 (Win 10)",
	"openssl-1.0.2":    "OpenSSL 1.0.2e",
	"openssl-1.1.1":    "OpenSSL 1.1.1d (Debian)",
	"openssl-3.0.3":    "OpenSSL 3.0.3 (git)",
	"go-1.17":          "go 1.17.8",
	"thunderbird-91.9": "Thunderbird (91.9)",
}

// testsslEntry is one client of client-simulation.txt.
type testsslEntry struct {
	fields map[string]string
}

func (e testsslEntry) int(key string) int {
	n, err := strconv.Atoi(e.fields[key])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// readTestsslClients reads the bash arrays of client-simulation.txt: each
// client is a run of `key+=(value)` lines starting with names+=.
func readTestsslClients(t *testing.T) map[string]testsslEntry {
	// The list comes with the testssl.sh package, which test.sh installs:
	// without it the test skips, and under CI=true it fails.
	peertest.Require(t, "testssl")
	f, err := os.Open(testsslClientFile)
	if err != nil {
		t.Fatalf("testssl.sh is installed but its client list is not where Debian puts it: %v", err)
	}
	defer f.Close()
	out := map[string]testsslEntry{}
	var cur testsslEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), "+=(")
		if !ok || strings.HasPrefix(key, "#") {
			continue
		}
		value = strings.Trim(strings.TrimSuffix(value, ")"), `"`)
		if key == "names" {
			cur = testsslEntry{fields: map[string]string{}}
			out[value] = cur
		}
		if cur.fields != nil {
			cur.fields[key] = value
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// profileFromTestssl builds a profile from an entry's hello bytes (a
// record: type, version, length, then the handshake message) and limits.
func profileFromTestssl(t *testing.T, id string, e testsslEntry) *ClientProfile {
	raw, err := hex.DecodeString(e.fields["handshakebytes"])
	if err != nil || len(raw) < 9 || raw[0] != byte(wire.ContentHandshake) {
		t.Fatalf("%s: handshake bytes: %v", id, err)
	}
	recordVersion := suites.Version(uint16(raw[1])<<8 | uint16(raw[2]))
	h, err := wire.ParseClientHello(raw[5+4:])
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	hp, err := HelloProfileOf(h, recordVersion)
	if err != nil {
		t.Fatalf("%s: %v", id, err)
	}
	low, _ := strconv.ParseUint(strings.TrimPrefix(e.fields["lowest_protocol"], "0x"), 16, 16)
	high, _ := strconv.ParseUint(strings.TrimPrefix(e.fields["highest_protocol"], "0x"), 16, 16)
	return &ClientProfile{
		Name: e.fields["names"],
		Source: ProfileSource{Kind: "published",
			Reference: "testssl.sh 3.0.8 etc/client-simulation.txt (Debian package testssl.sh 3.0.8+dfsg-1), " +
				"client \"" + e.fields["names"] + "\"; its data is Qualys SSL Labs' client list, https://api.dev.ssllabs.com/api/v3/getClients, " +
				"plus hellos the testssl.sh authors captured with Wireshark",
			Date: time.Now().UTC().Format("2006-01-02")},
		Hello: hp,
		Limits: ClientLimits{
			LowestVersion: versionCode(suites.Version(low)), HighestVersion: versionCode(suites.Version(high)),
			MinDHBits: e.int("minDhBits"), MaxDHBits: e.int("maxDhBits"),
			MinRSABits: e.int("minRsaBits"), MaxRSABits: e.int("maxRsaBits"), MinECDSABits: e.int("minEcdsaBits"),
			RequiresSHA2: e.fields["requiresSha2"] == "true",
		},
	}
}

func TestPublishedClientProfilesMatchTestssl(t *testing.T) {
	entries := readTestsslClients(t)
	for id, name := range testsslClients {
		t.Run(id, func(t *testing.T) {
			e, ok := entries[name]
			if !ok {
				t.Fatalf("no client %q in %s", name, testsslClientFile)
			}
			got := profileFromTestssl(t, id, e)
			file := filepath.Join("clients", id+".json")
			if *updateClients {
				writeProfile(t, file, got)
				return
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want, err := ParseClientProfile(data)
			if err != nil {
				t.Fatal(err)
			}
			for _, pair := range [][2]any{{want.Hello, got.Hello}, {want.Limits, got.Limits}} {
				w, _ := json.Marshal(pair[0])
				g, _ := json.Marshal(pair[1])
				if !bytes.Equal(w, g) {
					t.Errorf("%s differs from testssl.sh's %q:\ncommitted: %s\ntestssl:   %s", file, name, w, g)
				}
			}
		})
	}
}

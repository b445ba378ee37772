package scan

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// updateClients rewrites the captured client profiles from the installed
// clients: go test ./scan/ -run TestCapturedClientProfiles -update-clients
var updateClients = flag.Bool("update-clients", false, "rewrite scan/clients/*-captured.json from the installed clients")

// TestCapturedClientProfiles runs each installed client against a listener
// that records its ClientHello, and checks that the committed profile is
// exactly what the client sends (apart from GREASE, randoms, key share
// bytes and the host name), so that the data cannot drift from the client.
// A machine with another build of a client (another version string) only
// logs the difference: the file describes the build named in it.
func TestCapturedClientProfiles(t *testing.T) {
	for _, c := range realClients() {
		t.Run(c.profile, func(t *testing.T) {
			if len(c.binaries) > 0 {
				peertest.Require(t, c.binaries...)
			}
			got := captureProfile(t, c)
			file := filepath.Join("clients", c.profile+".json")
			if *updateClients {
				writeProfile(t, file, got)
				return
			}
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run with -update-clients to capture it)", err)
			}
			want, err := ParseClientProfile(data)
			if err != nil {
				t.Fatal(err)
			}
			wantHello, _ := json.MarshalIndent(want.Hello, "", "  ")
			gotHello, _ := json.MarshalIndent(got.Hello, "", "  ")
			same := bytes.Equal(wantHello, gotHello)
			switch {
			case want.Version != got.Version && !same:
				// Another build of the client (another machine): the
				// profile stays what its source says; say so.
				t.Logf("%s was captured from %q; the installed client is %q and sends another hello (regenerate with -update-clients to describe it)",
					file, want.Version, got.Version)
			case !same:
				t.Errorf("%s drifted from the ClientHello %q really sends (regenerate with -update-clients)\ncommitted: %s\ncaptured:  %s",
					file, got.Version, wantHello, gotHello)
			}
		})
	}
}

// captureProfile runs the client against a listener that reads its
// ClientHello and hangs up, and describes the hello.
func captureProfile(t *testing.T, c realClient) *ClientProfile {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	type captured struct {
		hello  *wire.ClientHello
		record suites.Version
		err    error
	}
	done := make(chan captured, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			done <- captured{err: err}
			return
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(20 * time.Second))
		h, rv, err := readClientHello(conn)
		done <- captured{h, rv, err}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	c.run(t, []string{"localhost:" + port}) // it fails: the listener hangs up
	var got captured
	select {
	case got = <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the client never connected")
	}
	if got.err != nil {
		t.Fatalf("reading the ClientHello: %v", got.err)
	}
	hp, err := HelloProfileOf(got.hello, got.record)
	if err != nil {
		t.Fatal(err)
	}
	return &ClientProfile{
		Name:    c.profile,
		Version: c.version(t),
		Source: ProfileSource{Kind: "captured", Reference: "scan/clients_capture_test.go TestCapturedClientProfiles",
			Date: time.Now().UTC().Format("2006-01-02"), Command: c.command},
		Hello:  hp,
		Limits: limitsFromHello(hp),
	}
}

// readClientHello reads the first handshake message, across records if it
// spans several, and returns it with the version of its first record.
func readClientHello(conn net.Conn) (*wire.ClientHello, suites.Version, error) {
	l := record.NewLayer(conn)
	l.SetVersion(0)
	var asm record.Assembler
	var recordVersion suites.Version
	for {
		if raw, ok := asm.Next(); ok {
			h, err := wire.ParseClientHello(raw[4:])
			return h, recordVersion, err
		}
		typ, payload, err := l.ReadRecord()
		if err != nil {
			return nil, 0, err
		}
		if recordVersion == 0 {
			hdr := l.RecordHeader()
			recordVersion = suites.Version(uint16(hdr[1])<<8 | uint16(hdr[2]))
		}
		if typ != wire.ContentHandshake {
			return nil, 0, fmt.Errorf("a %v record before the ClientHello", typ)
		}
		if err := asm.Add(payload); err != nil {
			return nil, 0, err
		}
	}
}

// limitsFromHello bounds a captured client's versions by what it offers.
func limitsFromHello(h HelloProfile) ClientLimits {
	vs := (&ClientProfile{Hello: h}).AcceptedVersions()
	return ClientLimits{LowestVersion: versionCode(vs[0]), HighestVersion: versionCode(vs[len(vs)-1])}
}

func writeProfile(t *testing.T, file string, p *ClientProfile) {
	// Keep what people wrote in the committed file: the name, platform,
	// uncertainties and the limits beyond the versions.
	if data, err := os.ReadFile(file); err == nil {
		if old, err := ParseClientProfile(data); err == nil {
			p.Name, p.Platform, p.Uncertain, p.Source.Note = old.Name, old.Platform, old.Uncertain, old.Source.Note
			if p.Version == "" {
				p.Version = old.Version
			}
			if p.Source.Kind == "captured" {
				lim := old.Limits
				lim.LowestVersion, lim.HighestVersion = p.Limits.LowestVersion, p.Limits.HighestVersion
				p.Limits = lim
			}
		}
	}
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, append(data, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", file)
}

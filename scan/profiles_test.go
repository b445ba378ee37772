package scan

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The clients the issue names must each have a profile.
var requiredClients = []string{
	"curl-openssl-3.0-captured", "openssl-1.0.2", "openssl-1.1.1", "curl-nss-centos7",
	"firefox-120", "firefox-100", "chrome-131", "chrome-101", "safari-15.4",
	"java-8u161", "java-11", "java-17-captured", "java-21",
	"android-4.4", "android-7", "android-14",
	"go-crypto-tls-captured", "python-ssl-captured",
	"schannel-win7", "schannel-win10", "schannel-win11", "openssl-s_client-3.0-captured",
}

// TestEveryClientProfileParsesAndHasASource loads every data file and
// checks what a reader relies on: a source with a reference and a date, a
// URL for published ones, labels that are the registry's names, bodies in
// hex, limits that bound the versions, and a hello a probe can send.
func TestEveryClientProfileParsesAndHasASource(t *testing.T) {
	profiles, err := ClientProfiles()
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]*ClientProfile{}
	for _, p := range profiles {
		byID[p.ID] = p
		t.Run(p.ID, func(t *testing.T) {
			if p.Source.Kind == "published" && !strings.Contains(p.Source.Reference, "https://") {
				t.Errorf("published profile without a URL in its source: %q", p.Source.Reference)
			}
			if p.Source.Kind == "captured" && p.Source.Command == "" {
				t.Errorf("captured profile without the command that ran the client")
			}
			checkLabels(t, p)
			for _, e := range p.Hello.Extensions {
				if _, err := hex.DecodeString(e.Data); err != nil {
					t.Errorf("extension %v: data is not hex: %v", e.Code, err)
				}
			}
			// supported_versions, when sent, decides (RFC 8446 §4.2.1);
			// otherwise the limits bound the range up to legacy_version.
			vs := p.AcceptedVersions()
			if len(p.Hello.SupportedVersions) == 0 && (len(vs) == 0 ||
				vs[len(vs)-1] != suites.Version(p.Limits.HighestVersion.Value) || vs[0] != suites.Version(p.Limits.LowestVersion.Value)) {
				t.Errorf("accepted versions %v do not match the limits %v–%v", vs, p.Limits.LowestVersion, p.Limits.HighestVersion)
			}
			h, err := p.Probe("example.com").Hello(rand.Reader)
			if err != nil {
				t.Fatalf("the profile's probe cannot be built: %v", err)
			}
			if _, err := h.Marshal(); err != nil {
				t.Fatalf("the profile's probe does not marshal: %v", err)
			}
		})
	}
	for _, id := range requiredClients {
		if byID[id] == nil {
			t.Errorf("no profile %s", id)
		}
	}
}

// checkLabels checks every "0xNNNN name" label against the registry.
func checkLabels(t *testing.T, p *ClientProfile) {
	t.Helper()
	h := &p.Hello
	check := func(what string, cs []CodePoint, name func(uint16) string) {
		for _, c := range cs {
			if c.Label != "" && c.Label != name(c.Value) {
				t.Errorf("%s 0x%04X is labelled %q; the registry calls it %q", what, c.Value, c.Label, name(c.Value))
			}
		}
	}
	suite := func(v uint16) string { return registeredName(suites.ID(v).String()) }
	group := func(v uint16) string { return registeredName(suites.Group(v).String()) }
	scheme := func(v uint16) string { return registeredName(suites.SignatureScheme(v).String()) }
	version := func(v uint16) string { return registeredName(suites.Version(v).String()) }
	check("suite", h.CipherSuites, suite)
	check("group", h.Groups, group)
	check("key share", h.KeyShares, group)
	check("signature scheme", h.SignatureSchemes, scheme)
	check("signature scheme", h.SignatureSchemesCert, scheme)
	check("version", append([]CodePoint{h.RecordVersion, h.LegacyVersion, p.Limits.LowestVersion, p.Limits.HighestVersion}, h.SupportedVersions...), version)
	for _, e := range h.Extensions {
		check("extension", []CodePoint{e.Code}, func(v uint16) string { return registeredName(wire.ExtensionType(v).String()) })
	}
}

func TestCodePointText(t *testing.T) {
	var c CodePoint
	if err := c.UnmarshalText([]byte("0x1301 TLS_AES_128_GCM_SHA256")); err != nil || c.Value != 0x1301 || c.Label != "TLS_AES_128_GCM_SHA256" {
		t.Errorf("got %+v, %v", c, err)
	}
	for _, bad := range []string{"1301", "0x13", "0xZZZZ", "TLS_AES_128_GCM_SHA256"} {
		if err := c.UnmarshalText([]byte(bad)); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
	if _, err := ParseClientProfile([]byte(`{"name":"x","source":{"kind":"published","reference":"r","date":"d"},"hello":{"legacy_version":"0x0303","cipher_suites":["0x002F"]},"extra":1}`)); err == nil {
		t.Error("an unknown field was accepted")
	}
	if _, err := ParseClientProfile([]byte(`{"name":"x","source":{"kind":"published"},"hello":{"legacy_version":"0x0303","cipher_suites":["0x002F"]}}`)); err == nil {
		t.Error("a profile without a source reference was accepted")
	}
}

// TestREADMECountsTheClientProfiles: the README's "which of N real
// clients" is the number of profiles embedded here.
func TestREADMECountsTheClientProfiles(t *testing.T) {
	profiles, err := ClientProfiles()
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("which of %d real clients", len(profiles))
	if !strings.Contains(strings.Join(strings.Fields(string(readme)), " "), want) {
		t.Errorf("README.md does not say %q", want)
	}
}

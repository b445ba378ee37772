package suites

import (
	"errors"
	"testing"
)

func TestVersionString(t *testing.T) {
	for v, want := range map[Version]string{
		VersionSSL30: "SSL 3.0", VersionTLS10: "TLS 1.0", VersionTLS11: "TLS 1.1",
		VersionTLS12: "TLS 1.2", VersionTLS13: "TLS 1.3", 0x0002: "0x0002", 0x7F17: "0x7F17", 0x3A3A: "GREASE(0x3A3A)",
	} {
		if got := v.String(); got != want {
			t.Errorf("Version(0x%04X).String() = %q, want %q", uint16(v), got, want)
		}
	}
}

func TestParseVersion(t *testing.T) {
	for in, want := range map[string]Version{
		"1.0": VersionTLS10, "1.1": VersionTLS11, "1.2": VersionTLS12, "1.3": VersionTLS13,
		"tls1.2": VersionTLS12, "TLSv1.2": VersionTLS12, "TLS 1.3": VersionTLS13, "tls1_2": VersionTLS12,
		"tls12": VersionTLS12, "TLSv1": VersionTLS10, "tls1": VersionTLS10, " TLSv1.1 ": VersionTLS11,
		"ssl3": VersionSSL30, "SSLv3": VersionSSL30, "ssl3.0": VersionSSL30, "0x0303": VersionTLS12,
	} {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "1.4", "ssl2", "tls", "2.0", "v1.2x"} {
		_, err := ParseVersion(bad)
		var une *UnknownNameError
		if !errors.As(err, &une) || une.Name != bad {
			t.Errorf("ParseVersion(%q): got %v, want *UnknownNameError naming it", bad, err)
		}
	}
}

package suites

import (
	"fmt"
	"strings"
)

var versionNames = map[Version]string{
	VersionSSL30: "SSL 3.0",
	VersionTLS10: "TLS 1.0",
	VersionTLS11: "TLS 1.1",
	VersionTLS12: "TLS 1.2",
	VersionTLS13: "TLS 1.3",
}

// String returns "SSL 3.0", "TLS 1.0" … "TLS 1.3", "GREASE(0x0A0A)" for an
// RFC 8701 value in supported_versions, or the bare code point "0xNNNN" for
// anything else (including SSL 2.0's 0x0002 and the TLS 1.3 drafts'
// 0x7Fxx), so a trace never hides what the peer sent.
func (v Version) String() string {
	if name, ok := versionNames[v]; ok {
		return name
	}
	if IsGREASE(uint16(v)) {
		return fmt.Sprintf("GREASE(0x%04X)", uint16(v))
	}
	return fmt.Sprintf("0x%04X", uint16(v))
}

// ParseVersion reads a protocol version the way people write one on a
// command line or in a configuration file: "1.2", "TLS 1.2", "tls1.2",
// "TLSv1.2", "tls1_2", "tls12", "ssl3", "SSLv3", "ssl3.0", or the wire value
// "0x0303". Case and spaces do not matter.
func ParseVersion(s string) (Version, error) {
	in := s
	s = strings.ToLower(strings.TrimSpace(s))
	if v, ok := parseHex16(s); ok {
		return Version(v), nil
	}
	s = strings.NewReplacer(" ", "", "_", ".", "-", ".").Replace(s)

	var ssl bool
	switch {
	case strings.HasPrefix(s, "sslv"):
		s, ssl = s[4:], true
	case strings.HasPrefix(s, "ssl"):
		s, ssl = s[3:], true
	case strings.HasPrefix(s, "tlsv"):
		s = s[4:]
	case strings.HasPrefix(s, "tls"):
		s = s[3:]
	}
	if ssl {
		if s == "3" || s == "3.0" || s == "30" {
			return VersionSSL30, nil
		}
		return 0, &UnknownNameError{Kind: "protocol version", Name: in}
	}
	switch s {
	case "1", "1.0", "10":
		return VersionTLS10, nil
	case "1.1", "11":
		return VersionTLS11, nil
	case "1.2", "12":
		return VersionTLS12, nil
	case "1.3", "13":
		return VersionTLS13, nil
	}
	return 0, &UnknownNameError{Kind: "protocol version", Name: in}
}

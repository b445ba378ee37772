package clasp

import (
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// chooseVersion is a server's protocol version negotiation: it returns the
// version to run for a ClientHello and, for traces, what the client
// offered. The ClientHello says which versions it offers in one of two
// ways, and only one of them counts.
//
// With supported_versions (RFC 8446 §4.2.1), "servers MUST NOT use the
// ClientHello.legacy_version value for version negotiation and MUST use
// only the "supported_versions" extension to determine client
// preferences. Servers MUST only select a version of TLS present in that
// extension and MUST ignore any unknown versions": the highest listed
// version the server has enabled wins, TLS 1.3 or older, and GREASE,
// drafts and future versions are skipped.
//
// Without it, servers "MUST negotiate TLS 1.2 or prior as specified in
// [RFC5246], even if ClientHello.legacy_version is 0x0304 or later": the
// highest enabled version not above legacy_version (RFC 5246 Appendix
// E.1), and never TLS 1.3.
//
// offersVersionBelow reports whether the hello offers SSL 3.0, TLS 1.0 or
// TLS 1.1 below min, either in supported_versions or as its legacy_version.
func offersVersionBelow(hello *wire.ClientHello, min suites.Version) bool {
	if sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](hello.Extensions); ok {
		return slices.ContainsFunc(sv.Versions, func(v suites.Version) bool { return v >= suites.VersionTLS10 && v < min })
	}
	return hello.Version >= suites.VersionSSL30 && hello.Version < min
}

// Nothing in common is protocol_version (RFC 8446 §4.2.1, RFC 5246
// Appendix E.1). TLS_FALLBACK_SCSV is checked against the version chosen,
// however the client signalled it (RFC 7507 §3).
func (c *Conn) chooseVersion(hello *wire.ClientHello) (suites.Version, []string, error) {
	cfg := c.config
	var version suites.Version
	var offered []string
	if sv, ok := wire.FindExtension[*wire.SupportedVersionsExt](hello.Extensions); ok {
		for _, v := range sv.Versions {
			offered = append(offered, v.String())
			if v >= suites.VersionSSL30 && v <= suites.VersionTLS13 && cfg.supportsVersion(v) {
				version = max(version, v)
			}
		}
		// Java 17 limited to SSLv3 sends legacy_version 0x0300 with
		// supported_versions [SSL 3.0]; a server that allows SSL 3.0 takes it
		// (the abort below is a MAY).
		if hello.Version <= suites.VersionSSL30 && !(version == suites.VersionSSL30 && hello.Version == suites.VersionSSL30) {
			// RFC 8446 Appendix D.5: "servers MAY abort the handshake" when
			// legacy_version is 0x0300 or less; no client that knows
			// supported_versions sends that. OpenSSL 3 aborts with
			// protocol_version (SSL_R_BAD_LEGACY_VERSION).
			return 0, offered, &NegotiationError{What: "protocol version", ClientOffered: offered,
				ServerAccepts: versionRange(cfg.minVersion(), cfg.maxVersion()),
				Detail:        fmt.Sprintf("legacy_version %s is SSL 3.0 or older, which a client that sends supported_versions must not claim (RFC 8446 Appendix D.5)", hello.Version)}
		}
	} else {
		offered = []string{hello.Version.String() + " and below"}
		version = min(hello.Version, suites.VersionTLS12, cfg.maxVersion())
		if hello.Version < suites.VersionSSL30 || version < cfg.minVersion() {
			version = 0
		}
	}
	if version == 0 {
		ne := &NegotiationError{What: "protocol version", ClientOffered: offered,
			ServerAccepts: versionRange(cfg.minVersion(), cfg.maxVersion())}
		if offersVersionBelow(hello, cfg.minVersion()) {
			ne.Detail = legacyVersionsHint
		}
		return 0, offered, ne
	}
	// RFC 7507 §3: a fallback retry below our best version means someone
	// interfered with the first attempt.
	if slices.Contains(hello.CipherSuites, suites.TLS_FALLBACK_SCSV) && version < cfg.maxVersion() {
		return 0, offered, wire.Errorf(wire.AlertInappropriateFallback, "client fell back to %s although the server supports %s", version, cfg.maxVersion())
	}
	return version, offered, nil
}

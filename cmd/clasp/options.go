package main

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// tlsOptions are the negotiation flags every subcommand shares. They are
// parsed into Config fields by apply, which also names each option that is
// weaker than clasp's defaults so the command can say so out loud.
type tlsOptions struct {
	ciphers    string
	groups     string
	sigalgs    string
	alpn       string
	minVersion string
	maxVersion string
	tls12      bool
	tls13      bool

	certCompression string
}

// registerNegotiation adds the flags that choose what is offered or accepted.
// withSigalgs is false for commands where the flag would mean nothing yet.
func (o *tlsOptions) registerNegotiation(flags *pflag.FlagSet, withSigalgs bool) {
	flags.StringVar(&o.ciphers, "ciphers", "", "cipher suites in preference order, comma-separated, IANA or OpenSSL names or 0xNNNN (default: ECDHE with AEAD only; legacy 3DES, RC4, NULL, DHE_DSS (DHE-DSS-*, with a DSA certificate) and anonymous DH_anon/ECDH_anon (ADH-*, AECDH-*) suites run only when named here)")
	flags.StringVar(&o.groups, "groups", "", "key exchange groups in preference order, e.g. x25519,P-256 (default: X25519MLKEM768,x25519,secp256r1,secp384r1,secp521r1; TLS 1.3 sends a key share for the first only)")
	if withSigalgs {
		flags.StringVar(&o.sigalgs, "sigalgs", "", "signature schemes in preference order, e.g. ecdsa_secp256r1_sha256,RSA-PSS+SHA256")
	}
	flags.StringVar(&o.certCompression, "cert-compression", "", "certificate compression algorithms (RFC 8879) in preference order: brotli, zstd, zlib; this side offers them (a client in its ClientHello, a server in CertificateRequest; none by default) and compresses its own certificate with the first of them the peer offered (without the flag: brotli, zstd, zlib)")
	flags.StringVar(&o.alpn, "alpn", "", "ALPN protocols in preference order, comma-separated, e.g. h2,http/1.1")
	flags.StringVar(&o.minVersion, "min-version", "", "lowest protocol version: ssl3, 1.0, 1.1, 1.2 or 1.3 (default 1.2)")
	flags.StringVar(&o.maxVersion, "max-version", "", "highest protocol version: 1.0, 1.1, 1.2 or 1.3 (default 1.3)")
}

// registerVersionShorthands adds --tls1.2 and --tls1.3, which pin one version.
func (o *tlsOptions) registerVersionShorthands(flags *pflag.FlagSet) {
	flags.BoolVar(&o.tls12, "tls1.2", false, "use TLS 1.2 only (same as --min-version 1.2 --max-version 1.2)")
	flags.BoolVar(&o.tls13, "tls1.3", false, "use TLS 1.3 only (same as --min-version 1.3 --max-version 1.3)")
}

// apply parses the options into cfg. A name that is unknown, unsupported or
// contradictory is a usage error naming the entry. The returned warnings say
// what is weaker than the defaults; they are printed before anything is sent.
func (o *tlsOptions) apply(cfg *clasp.Config) (warnings []string, err error) {
	if err := o.applyVersions(cfg, &warnings); err != nil {
		return nil, err
	}
	if o.ciphers != "" {
		ids, err := suites.ParseSuiteList(o.ciphers)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--ciphers: %w", err)}
		}
		for _, id := range ids {
			s := suites.SuiteByID(id)
			// The Config silently drops suites clasp cannot run, which would
			// turn a typo-free but unimplemented list into an empty offer.
			if s == nil || !s.Implemented {
				return nil, usageErrorf("--ciphers: cipher suite %s is not implemented by clasp", id)
			}
			if weak, why := s.IsWeak(); weak {
				if etmWeak, _ := s.IsWeakOnConnection(true); !etmWeak {
					// Its only weakness is one encrypt-then-MAC removes, and
					// clasp asks for it (RFC 7366): say so, not just "weak".
					why = "unless the peer agrees to encrypt-then-MAC (RFC 7366), which clasp negotiates; without it: " + why
				}
				warnings = append(warnings, fmt.Sprintf("cipher suite %s is weak: %s", s.Name, why))
			} else if !slices.Contains(suites.DefaultSuites(), id) {
				warnings = append(warnings, fmt.Sprintf("cipher suite %s is outside clasp's default set", s.Name))
			}
			cfg.CipherSuites = append(cfg.CipherSuites, uint16(id))
		}
		if len(ids) == 0 {
			return nil, usageErrorf("--ciphers: the list is empty")
		}
	}
	if o.groups != "" {
		groups, err := suites.ParseGroupList(o.groups)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--groups: %w", err)}
		}
		for _, g := range groups {
			info := suites.GroupByID(g)
			if info == nil || !info.Implemented {
				return nil, usageErrorf("--groups: group %s is not implemented by clasp", g)
			}
			if info.Deprecated {
				warnings = append(warnings, fmt.Sprintf("group %s is deprecated", info.Name))
			}
		}
		if len(groups) == 0 {
			return nil, usageErrorf("--groups: the list is empty")
		}
		cfg.Groups = groups
	}
	if o.sigalgs != "" {
		schemes, err := suites.ParseSchemeList(o.sigalgs)
		if err != nil {
			return nil, &usageError{fmt.Errorf("--sigalgs: %w", err)}
		}
		for _, s := range schemes {
			info := suites.SchemeByID(s)
			if info == nil || !info.Implemented {
				return nil, usageErrorf("--sigalgs: signature scheme %s is not implemented by clasp", s)
			}
			if !slices.Contains(suites.DefaultSignatureSchemes(), s) {
				warnings = append(warnings, fmt.Sprintf("signature scheme %s is outside clasp's default set", info.Name))
			}
		}
		if len(schemes) == 0 {
			return nil, usageErrorf("--sigalgs: the list is empty")
		}
		cfg.SignatureSchemes = schemes
	}
	if o.certCompression != "" {
		algs, err := parseCertCompression(o.certCompression)
		if err != nil {
			return nil, err
		}
		cfg.CertificateCompression = algs
	}
	if o.alpn != "" {
		for _, p := range strings.Split(o.alpn, ",") {
			if p = strings.TrimSpace(p); p != "" {
				cfg.NextProtos = append(cfg.NextProtos, p)
			}
		}
	}
	return warnings, nil
}

func (o *tlsOptions) applyVersions(cfg *clasp.Config, warnings *[]string) error {
	pinned := 0
	for _, set := range []bool{o.tls12, o.tls13} {
		if set {
			pinned++
		}
	}
	switch {
	case pinned > 1:
		return usageErrorf("--tls1.2 and --tls1.3 exclude each other")
	case pinned == 1 && (o.minVersion != "" || o.maxVersion != ""):
		return usageErrorf("--tls1.2 and --tls1.3 cannot be combined with --min-version or --max-version")
	case o.tls12:
		cfg.MinVersion, cfg.MaxVersion = clasp.VersionTLS12, clasp.VersionTLS12
	case o.tls13:
		cfg.MinVersion, cfg.MaxVersion = clasp.VersionTLS13, clasp.VersionTLS13
	}
	for _, f := range []struct {
		flag, value string
		dst         *uint16
	}{{"--min-version", o.minVersion, &cfg.MinVersion}, {"--max-version", o.maxVersion, &cfg.MaxVersion}} {
		if f.value == "" {
			continue
		}
		v, err := suites.ParseVersion(f.value)
		if err != nil {
			return &usageError{fmt.Errorf("%s: %w", f.flag, err)}
		}
		if v < suites.VersionSSL30 || v > suites.VersionTLS13 {
			return usageErrorf("%s: %s is not a TLS version", f.flag, v)
		}
		*f.dst = uint16(v)
	}
	if cfg.MinVersion != 0 && cfg.MaxVersion != 0 && cfg.MinVersion > cfg.MaxVersion {
		return usageErrorf("--min-version %s is above --max-version %s",
			clasp.VersionName(cfg.MinVersion), clasp.VersionName(cfg.MaxVersion))
	}
	if cfg.MinVersion != 0 && cfg.MinVersion < clasp.VersionTLS12 {
		*warnings = append(*warnings, fmt.Sprintf("%s is allowed: versions below TLS 1.2 are deprecated (RFC 8996)",
			clasp.VersionName(cfg.MinVersion)))
	}
	return nil
}

// printWarnings writes one loud line per weak option.
func printWarnings(w io.Writer, warnings []string) {
	for _, warning := range warnings {
		fmt.Fprintln(w, "clasp: warning:", warning)
	}
}

// certCompressionNames are RFC 8879 §7.3's registry names of the
// algorithms clasp implements, in clasp's order of preference.
var certCompressionNames = []certCompressionName{{"brotli", clasp.CertCompressionBrotli}, {"zstd", clasp.CertCompressionZstd}, {"zlib", clasp.CertCompressionZlib}}

type certCompressionName struct {
	name string
	alg  uint16
}

// parseCertCompression reads --cert-compression: algorithm names,
// comma-separated, each once.
func parseCertCompression(list string) ([]uint16, error) {
	var algs []uint16
	for _, name := range strings.Split(list, ",") {
		name = strings.ToLower(strings.TrimSpace(name))
		i := slices.IndexFunc(certCompressionNames, func(n certCompressionName) bool { return n.name == name })
		if i < 0 {
			return nil, usageErrorf("--cert-compression: unknown algorithm %q (brotli, zstd or zlib)", name)
		}
		if slices.Contains(algs, certCompressionNames[i].alg) {
			return nil, usageErrorf("--cert-compression: %s is listed twice", name)
		}
		algs = append(algs, certCompressionNames[i].alg)
	}
	return algs, nil
}

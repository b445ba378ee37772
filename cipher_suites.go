package clasp

import (
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
)

// keyLengths returns the MAC key, cipher key and IV lengths a suite draws
// from the TLS 1.0–1.2 key block (RFC 5246 §6.3). AEAD suites take only the
// implicit part of the nonce (RFC 5288 §3, RFC 7905 §2); CBC takes an IV only
// in TLS 1.0, where the first record's IV comes from the key block and later
// IVs are chained (TLS 1.1+ sends an explicit IV in every record).
func keyLengths(version suites.Version, suite *suites.Suite) (macLen, keyLen, ivLen int) {
	info := suite.Cipher.Info()
	keyLen = info.KeyLen
	if info.AEAD {
		return 0, keyLen, info.FixedIVLen
	}
	macLen = suite.MAC.Size()
	if version <= suites.VersionTLS10 { // SSL 3.0 too (RFC 6101 §6.2.2)
		ivLen = info.BlockSize
	}
	return macLen, keyLen, ivLen
}

// establishKeys expands the master secret into the key block and builds the
// record protections for both directions.
func (c *Conn) establishKeys(master, clientRandom, serverRandom []byte) (clientWrite, serverWrite record.Protection, err error) {
	version, suite := c.state.version, c.state.suite
	c.keepTLS12Secrets(master, clientRandom, serverRandom)
	macLen, keyLen, ivLen := keyLengths(version, suite)
	kb := keys.DeriveKeyBlock(version, suite.PRFHash, master, clientRandom, serverRandom, macLen, keyLen, ivLen)
	rand := c.config.rand()
	newProtection := record.NewProtection
	if c.state.etm {
		newProtection = record.NewProtectionEncryptThenMAC
	}
	clientWrite, err = newProtection(version, suite.Cipher, suite.MAC, kb.ClientKey, kb.ClientIV, kb.ClientMACKey, rand)
	if err != nil {
		return nil, nil, fmt.Errorf("client write keys for %s: %w", suite.Name, err)
	}
	serverWrite, err = newProtection(version, suite.Cipher, suite.MAC, kb.ServerKey, kb.ServerIV, kb.ServerMACKey, rand)
	if err != nil {
		return nil, nil, fmt.Errorf("server write keys for %s: %w", suite.Name, err)
	}
	return clientWrite, serverWrite, nil
}

// logMasterSecret writes the NSS key log line for a TLS 1.2 session.
func (c *Conn) logMasterSecret(clientRandom, master []byte) {
	w := c.config.KeyLogWriter
	if w == nil {
		return
	}
	_, _ = fmt.Fprintf(w, "CLIENT_RANDOM %x %x\n", clientRandom, master)
}

// The hints that name how to enable what clasp refuses by default; errors
// that may come from one of these defaults carry them.
const (
	legacyVersionsHint = "SSL 3.0, TLS 1.0 and TLS 1.1 are off by default: allow them with Config.MinVersion (clasp: --min-version ssl3, 1.0 or 1.1)"
	legacySuitesHint   = "3DES, RC4, NULL, DHE_DSS and anonymous (DH_anon, ECDH_anon) suites are off by default: name them in Config.CipherSuites (clasp: --ciphers NAME)"
	sha1SchemesHint    = "SHA-1 signature schemes are off by default: name one in Config.SignatureSchemes (clasp: --sigalgs rsa_pkcs1_sha1, ecdsa_sha1 or dsa_sha1)"
)

// sha1Schemes are the SHA-1 signature schemes clasp signs with only when
// Config.SignatureSchemes names them (RFC 9155).
var sha1Schemes = []suites.SignatureScheme{suites.PKCS1WithSHA1, suites.ECDSAWithSHA1, suites.DSAWithSHA1}

// legacySuiteWarning is the trace Decision's warning for a legacy suite
// (suites.LegacySuites), "" for any other.
func legacySuiteWarning(s *suites.Suite) string {
	if !s.IsLegacy() {
		return ""
	}
	_, why := s.IsWeak()
	return s.Name + " is a legacy suite, used because Config.CipherSuites names it: " + why
}

// versionWarning is ConnectionState's warning for a version below TLS 1.2.
func versionWarning(v suites.Version) string {
	if v == suites.VersionSSL30 {
		return "SSL 3.0 is prohibited (RFC 7568): its CBC padding is not authenticated (POODLE) and its only other ciphers are RC4 and NULL; it was allowed because MinVersion names it"
	}
	return fmt.Sprintf("%s is deprecated (RFC 8996); it was allowed because MinVersion names it", v)
}

// legacyVersionWarning is the trace Decision's warning for TLS 1.0 and 1.1,
// "" for later versions.
func legacyVersionWarning(v suites.Version) string {
	if v >= suites.VersionTLS12 {
		return ""
	}
	if v == suites.VersionSSL30 {
		return "SSL 3.0 is prohibited (RFC 7568, POODLE), used because Config.MinVersion allows it"
	}
	return v.String() + " is deprecated (RFC 8996), used because Config.MinVersion allows it"
}

// offersUnconfiguredLegacy reports whether the peer's suite list names a
// legacy suite that this side's configuration leaves out.
func offersUnconfiguredLegacy(peer, ours []suites.ID) bool {
	for _, id := range peer {
		if suites.SuiteByID(id).IsLegacy() && !slices.Contains(ours, id) {
			return true
		}
	}
	return false
}

// finishedData is the Finished verify_data: the PRF construction of TLS
// 1.0–1.2 (RFC 5246 §7.4.9) or SSL 3.0's MD5 and SHA-1 with the pads and
// the sender constant (RFC 6101 §5.6.9).
func finishedData(version suites.Version, suite *suites.Suite, master []byte, fromClient bool, t *keys.Transcript) []byte {
	if version == suites.VersionSSL30 {
		return t.SSL3Finished(master, fromClient)
	}
	return keys.FinishedVerifyData(version, suite.PRFHash, master, fromClient, t.Sum())
}

// suiteUsableIn reports whether a suite may be negotiated in a version.
func suiteUsableIn(s *suites.Suite, v suites.Version) bool {
	return s != nil && s.Implemented && v >= s.MinVersion && v <= s.MaxVersion
}

func suiteNames(ids []suites.ID) []string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = id.String()
	}
	return names
}

func groupNames(gs []suites.Group) []string {
	names := make([]string, len(gs))
	for i, g := range gs {
		names[i] = g.String()
	}
	return names
}

func schemeNames(ss []suites.SignatureScheme) []string {
	names := make([]string, len(ss))
	for i, s := range ss {
		names[i] = s.String()
	}
	return names
}

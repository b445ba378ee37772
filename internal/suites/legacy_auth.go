package suites

// The DHE_DSS suites (DSA certificates) and the anonymous DH_anon and
// ECDH_anon suites (no certificate at all) that clasp runs for old systems
// when Config.CipherSuites or --ciphers names them. They are legacy suites:
// see LegacySuites.
const (
	TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA   ID = 0x0013
	TLS_DHE_DSS_WITH_AES_128_CBC_SHA    ID = 0x0032
	TLS_DHE_DSS_WITH_AES_256_CBC_SHA    ID = 0x0038
	TLS_DHE_DSS_WITH_AES_128_CBC_SHA256 ID = 0x0040
	TLS_DHE_DSS_WITH_AES_256_CBC_SHA256 ID = 0x006A
	TLS_DHE_DSS_WITH_AES_128_GCM_SHA256 ID = 0x00A2
	TLS_DHE_DSS_WITH_AES_256_GCM_SHA384 ID = 0x00A3
	TLS_DH_anon_WITH_3DES_EDE_CBC_SHA   ID = 0x001B
	TLS_DH_anon_WITH_AES_128_CBC_SHA    ID = 0x0034
	TLS_DH_anon_WITH_AES_256_CBC_SHA    ID = 0x003A
	TLS_DH_anon_WITH_AES_128_CBC_SHA256 ID = 0x006C
	TLS_DH_anon_WITH_AES_256_CBC_SHA256 ID = 0x006D
	TLS_DH_anon_WITH_AES_128_GCM_SHA256 ID = 0x00A6
	TLS_DH_anon_WITH_AES_256_GCM_SHA384 ID = 0x00A7
	TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA ID = 0xC017
	TLS_ECDH_anon_WITH_AES_128_CBC_SHA  ID = 0xC018
	TLS_ECDH_anon_WITH_AES_256_CBC_SHA  ID = 0xC019
)

// dssSuites are the DHE_DSS suites clasp implements.
func dssSuites() []ID {
	return []ID{
		TLS_DHE_DSS_WITH_AES_128_GCM_SHA256,
		TLS_DHE_DSS_WITH_AES_256_GCM_SHA384,
		TLS_DHE_DSS_WITH_AES_128_CBC_SHA,
		TLS_DHE_DSS_WITH_AES_256_CBC_SHA,
		TLS_DHE_DSS_WITH_AES_128_CBC_SHA256,
		TLS_DHE_DSS_WITH_AES_256_CBC_SHA256,
		TLS_DHE_DSS_WITH_3DES_EDE_CBC_SHA,
	}
}

// AnonSuites are the DH_anon and ECDH_anon suites clasp implements: the
// server sends no Certificate and an unsigned ServerKeyExchange (RFC 5246
// §7.4.3, RFC 8422 §2.5), so the client cannot know whom it talks to.
func AnonSuites() []ID {
	return []ID{
		TLS_ECDH_anon_WITH_AES_128_CBC_SHA,
		TLS_ECDH_anon_WITH_AES_256_CBC_SHA,
		TLS_ECDH_anon_WITH_3DES_EDE_CBC_SHA,
		TLS_DH_anon_WITH_AES_128_GCM_SHA256,
		TLS_DH_anon_WITH_AES_256_GCM_SHA384,
		TLS_DH_anon_WITH_AES_128_CBC_SHA,
		TLS_DH_anon_WITH_AES_256_CBC_SHA,
		TLS_DH_anon_WITH_AES_128_CBC_SHA256,
		TLS_DH_anon_WITH_AES_256_CBC_SHA256,
		TLS_DH_anon_WITH_3DES_EDE_CBC_SHA,
	}
}

// IsAnonymous reports whether the suite authenticates no one (DH_anon,
// ECDH_anon).
func (s *Suite) IsAnonymous() bool {
	return s != nil && (s.KeyExchange == KexDHAnon || s.KeyExchange == KexECDHAnon)
}

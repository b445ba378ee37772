package clasp

import (
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Encrypt-then-MAC (RFC 7366): on by default whenever a CBC suite is
// negotiated, as OpenSSL does. A client asks for it when it offers a CBC
// suite; a server agrees when it chose one; record protection then MACs
// the ciphertext (internal/record/cbc_etm.go).

// blockCipherSuite reports whether s protects records with a block cipher
// in CBC mode, the only kind encrypt-then-MAC applies to.
func blockCipherSuite(s *suites.Suite) bool {
	return s != nil && !s.IsAEAD() && s.Cipher.Info().BlockSize > 0
}

// offerEncryptThenMAC is the client's encrypt_then_mac request: sent with
// a TLS 1.0-1.2 offer that includes a CBC suite.
func offerEncryptThenMAC(cfg *Config, offered []suites.ID) []wire.Extension {
	if !cfg.listsExtension(wire.ExtEncryptThenMAC) {
		return nil
	}
	if !slices.ContainsFunc(offered, func(id suites.ID) bool { return blockCipherSuite(suites.SuiteByID(id)) }) {
		return nil
	}
	return []wire.Extension{&wire.EncryptThenMACExt{}}
}

// acceptEncryptThenMAC reads the server's answer. RFC 7366 §3 forbids a
// server to agree for an AEAD or stream suite but does not say what the
// client does if it does; like OpenSSL, the client then ignores it.
func (c *Conn) acceptEncryptThenMAC(sh *wire.ServerHello, suite *suites.Suite) {
	_, agreed := wire.FindExtension[*wire.EncryptThenMACExt](sh.Extensions)
	c.state.etm = agreed && blockCipherSuite(suite) && sh.Version != suites.VersionSSL30
}

// chooseEncryptThenMAC is the server's decision: yes when the client asked
// and the suite is CBC (RFC 7366 §3: never for AEAD or stream suites).
func (c *Conn) chooseEncryptThenMAC(hello *wire.ClientHello, suite *suites.Suite) []wire.Extension {
	c.state.etm = c.agreesEncryptThenMAC(hello, suite)
	if !c.state.etm {
		return nil
	}
	return []wire.Extension{&wire.EncryptThenMACExt{}}
}

// agreesEncryptThenMAC is the server's answer before it is sent, so that
// the weak-suite warning written earlier in the handshake matches it.
func (c *Conn) agreesEncryptThenMAC(hello *wire.ClientHello, suite *suites.Suite) bool {
	_, asked := wire.FindExtension[*wire.EncryptThenMACExt](hello.Extensions)
	return asked && blockCipherSuite(suite) && c.state.version != suites.VersionSSL30 // RFC 7366 is a TLS extension
}

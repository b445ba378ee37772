// Package interop holds clasp's interoperability tests: real peers
// (OpenSSL, GnuTLS, NSS, curl) started by the tests themselves, and Go's
// crypto/tls and net/http in-process, in both directions. It has no code of
// its own outside the tests.
package interop

package clasphttp

import (
	"fmt"

	"golang.org/x/net/http2"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// checkHTTP2Security applies RFC 9113 §9.2 to a connection on which ALPN
// chose "h2". x/net/http2 makes these checks only for a *crypto/tls.Conn,
// so they are made here for clasp's.
func checkHTTP2Security(st clasp.ConnectionState) error {
	// §9.2: "Implementations of HTTP/2 MUST use TLS version 1.2 [TLS12]
	// or higher for HTTP/2 over TLS."
	if st.Version < clasp.VersionTLS12 {
		return fmt.Errorf("HTTP/2 needs TLS 1.2 or later (RFC 9113 §9.2), and %s was negotiated", clasp.VersionName(st.Version))
	}
	if st.Version >= clasp.VersionTLS13 {
		return nil
	}
	// §9.2.2: a TLS 1.2 deployment "MUST NOT use any of the prohibited
	// cipher suites listed in Appendix A", which lists every suite but
	// those with an ephemeral key exchange and an AEAD cipher; an endpoint
	// MAY answer one with INADEQUATE_SECURITY, as x/net/http2 does.
	suite := suites.SuiteByID(suites.ID(st.CipherSuite))
	if suite == nil || !suite.IsAEAD() || (suite.KeyExchange != suites.KexECDHE && suite.KeyExchange != suites.KexDHE) {
		return fmt.Errorf("HTTP/2 over TLS 1.2 needs an ephemeral key exchange with an AEAD cipher (RFC 9113 §9.2.2 and Appendix A), and %s was negotiated", st.CipherSuiteName)
	}
	return nil
}

// refuseHTTP2 ends an h2 connection whose TLS is not good enough for
// HTTP/2: the server preface (an empty SETTINGS frame, RFC 9113 §3.4) and a
// GOAWAY with INADEQUATE_SECURITY naming the reason (§5.4.1, §7).
func refuseHTTP2(conn *clasp.Conn, reason error) {
	framer := http2.NewFramer(conn, nil)
	_ = framer.WriteSettings()
	_ = framer.WriteGoAway(0, http2.ErrCodeInadequateSecurity, []byte(reason.Error()))
	_ = conn.Close()
}

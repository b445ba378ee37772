// Package clasphttp serves and fetches HTTP over clasp: HTTP/2 and
// HTTP/1.1 chosen by ALPN, as net/http does for crypto/tls.
//
// net/http switches to HTTP/2 and fills Request.TLS only for a
// *crypto/tls.Conn. Behind a clasp listener a plain http.Server therefore
// speaks HTTP/1.1 only and its handlers cannot see the peer's certificate.
// This package closes both gaps:
//
//   - Server accepts clasp connections, runs each handshake, and hands the
//     connection to golang.org/x/net/http2 when ALPN chose "h2" and to
//     net/http otherwise. Shutdown is graceful for both (GOAWAY for HTTP/2).
//   - FromRequest returns the clasp ConnectionState of the connection a
//     request came on (peer certificates, version, suite, ALPN, resumption)
//     for either protocol. ConnContext does the same for an http.Server of
//     the caller's own.
//   - Transport is an http.RoundTripper that dials with clasp, speaks HTTP/2
//     when the server selects "h2" and HTTP/1.1 otherwise, and resumes TLS
//     sessions across connections through the Config's session cache.
//
// Request.TLS and Response.TLS stay nil: they are crypto/tls types whose
// methods (ExportKeyingMaterial) cannot be honoured for a clasp connection.
// Use FromRequest on the server and httptrace's GotConn (whose Conn is the
// *clasp.Conn) on the client.
package clasphttp

package main

import (
	"net/http"

	"golang.org/x/net/http2"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
)

// httpModeProtocols is what --mode http offers by ALPN: HTTP/2 and
// HTTP/1.1, so that clients that send ALPN (curl, browsers) settle on one
// rather than guess. With --hello-request-after only HTTP/1.1, since
// HTTP/2 forbids renegotiation (RFC 9113 §9.2.1).
func httpModeProtocols(o *serveOptions) []string {
	if o.helloRequestAfter > 0 {
		return []string{clasphttp.ProtoHTTP1}
	}
	return []string{clasphttp.ProtoHTTP2, clasphttp.ProtoHTTP1}
}

// serveHTTP2 answers every request of an HTTP/2 connection with the page
// describing the connection, until the client closes it or leaves it idle
// for --handshake-timeout.
func (s *server) serveHTTP2(conn *clasp.Conn, peer string) {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, _ := clasphttp.FromRequest(r)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(connectionPage(st, r, peer)))
	})
	h2 := &http2.Server{IdleTimeout: s.opts.handshakeTimeout}
	if err := clasphttp.ServeHTTP2(conn, h2, &http2.ServeConnOpts{Handler: page}); err != nil {
		s.logger.Printf("%s %s http: refusing HTTP/2: %s", timestamp(), peer, oneLine(err.Error()))
	}
}

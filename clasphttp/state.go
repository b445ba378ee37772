package clasphttp

import (
	"context"
	"net"
	"net/http"

	"github.com/clasp-tls/clasp"
)

type connContextKey struct{}

// ContextWithConn returns ctx carrying conn, for FromRequest and
// ConnFromContext to find.
func ContextWithConn(ctx context.Context, conn *clasp.Conn) context.Context {
	return context.WithValue(ctx, connContextKey{}, conn)
}

// ConnContext fits http.Server.ConnContext: set it on an http.Server that
// serves a clasp listener (clasp.Listen, clasp.NewListener) and FromRequest
// works in its handlers. A connection that is not a *clasp.Conn leaves ctx
// as it is.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	if conn, ok := c.(*clasp.Conn); ok {
		return ContextWithConn(ctx, conn)
	}
	return ctx
}

// ConnFromContext returns the clasp connection a request's context was
// made for.
func ConnFromContext(ctx context.Context) (*clasp.Conn, bool) {
	conn, ok := ctx.Value(connContextKey{}).(*clasp.Conn)
	return conn, ok
}

// FromRequest returns the state of the clasp connection r arrived on:
// the peer's certificates (empty without mutual TLS), version, suite, ALPN
// protocol, server name, and how the session was resumed. The state is
// read when called, so after a renegotiation it describes the latest
// handshake. ok is false when r did not come through a clasp connection
// served by Server or an http.Server with ConnContext.
func FromRequest(r *http.Request) (state clasp.ConnectionState, ok bool) {
	conn, ok := ConnFromContext(r.Context())
	if !ok {
		return clasp.ConnectionState{}, false
	}
	return conn.ConnectionState(), true
}

// Package claspgrpc lets grpc-go run over clasp: TransportCredentials for
// clients and servers, and an AuthInfo that carries the clasp
// ConnectionState of each connection.
//
//	creds := claspgrpc.NewCredentials(&clasp.Config{RootCAs: pool})
//	conn, err := grpc.NewClient("localhost:8443", grpc.WithTransportCredentials(creds))
//
//	srv := grpc.NewServer(grpc.Creds(claspgrpc.NewCredentials(serverConfig)))
//
// gRPC runs over HTTP/2, so the credentials offer (client) or accept
// (server) only "h2" by ALPN and fail a handshake that does not select it,
// as grpc-go's own TLS credentials do.
package claspgrpc

import (
	"context"
	"fmt"
	"net"
	"strings"

	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/peer"

	"github.com/clasp-tls/clasp"
)

// alpnHTTP2 is HTTP/2's ALPN name (RFC 9113 §3.2), the only protocol gRPC
// speaks over TLS.
const alpnHTTP2 = "h2"

// AuthInfo is what a handshake tells gRPC about the peer: the clasp state of
// the connection (peer certificates, version, suite, resumption) and the
// security level, which is PrivacyAndIntegrity for every clasp connection.
// Servers read it from an RPC's context with FromContext or peer.FromContext.
type AuthInfo struct {
	State clasp.ConnectionState
	credentials.CommonAuthInfo
}

// AuthType names these credentials; it is not "tls" so that code that
// takes "tls" to mean a credentials.TLSInfo does not misread this one.
func (AuthInfo) AuthType() string { return "clasp" }

// FromContext returns the clasp state of the connection an RPC arrived on
// (server side) or was sent on (client side, with grpc.Peer).
func FromContext(ctx context.Context) (clasp.ConnectionState, bool) {
	p, ok := peer.FromContext(ctx)
	if !ok {
		return clasp.ConnectionState{}, false
	}
	info, ok := p.AuthInfo.(AuthInfo)
	if !ok {
		return clasp.ConnectionState{}, false
	}
	return info.State, true
}

type transportCredentials struct {
	config *clasp.Config
	// serverName, when set, is checked in the server's certificate and
	// sent in SNI instead of the name the client dials.
	serverName string
}

// NewCredentials returns TransportCredentials for a client or a server
// (grpc.WithTransportCredentials, grpc.Creds) from a clasp Config, as
// credentials.NewTLS does from a crypto/tls one. A client's Config.ServerName,
// when set, overrides the name in the target; a server's Config needs a
// certificate, and ClientAuth with ClientCAs for mutual TLS.
func NewCredentials(cfg *clasp.Config) credentials.TransportCredentials {
	if cfg == nil {
		cfg = &clasp.Config{}
	}
	cfg = cfg.Clone()
	cfg.NextProtos = []string{alpnHTTP2}
	return &transportCredentials{config: cfg, serverName: cfg.ServerName}
}

// NewClientCredentials is NewCredentials for a client that checks
// serverName in the server's certificate whatever address it dials
// ("" keeps the target's host name).
func NewClientCredentials(cfg *clasp.Config, serverName string) credentials.TransportCredentials {
	c := NewCredentials(cfg).(*transportCredentials)
	if serverName != "" {
		c.serverName = serverName
	}
	return c
}

// ClientHandshake runs the client handshake over rawConn within ctx.
func (c *transportCredentials) ClientHandshake(ctx context.Context, authority string, rawConn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	cfg := c.config.Clone()
	cfg.ServerName = c.serverName
	if cfg.ServerName == "" {
		cfg.ServerName = hostOf(authority)
	}
	conn := clasp.Client(rawConn, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		conn.NetConn().Close()
		return nil, nil, fmt.Errorf("claspgrpc: handshake with %s: %w", authority, err)
	}
	return c.checked(conn, "server")
}

// ServerHandshake runs the server handshake over rawConn, bounded by the
// deadline gRPC set on it (grpc.ConnectionTimeout) and the Config's
// HandshakeTimeout.
func (c *transportCredentials) ServerHandshake(rawConn net.Conn) (net.Conn, credentials.AuthInfo, error) {
	conn := clasp.Server(rawConn, c.config)
	if err := conn.Handshake(); err != nil {
		conn.NetConn().Close()
		return nil, nil, fmt.Errorf("claspgrpc: handshake with %s: %w", rawConn.RemoteAddr(), err)
	}
	return c.checked(conn, "client")
}

// checked refuses a connection on which ALPN did not select h2 and
// describes an accepted one.
func (c *transportCredentials) checked(conn *clasp.Conn, peerSide string) (net.Conn, credentials.AuthInfo, error) {
	st := conn.ConnectionState()
	if st.NegotiatedProtocol != alpnHTTP2 {
		conn.Close()
		return nil, nil, fmt.Errorf("claspgrpc: the %s did not agree on ALPN %q (negotiated %q): gRPC needs HTTP/2 over TLS", peerSide, alpnHTTP2, st.NegotiatedProtocol)
	}
	info := AuthInfo{State: st, CommonAuthInfo: credentials.CommonAuthInfo{SecurityLevel: credentials.PrivacyAndIntegrity}}
	return conn, info, nil
}

// Info describes the credentials for gRPC's channelz and logs.
func (c *transportCredentials) Info() credentials.ProtocolInfo {
	return credentials.ProtocolInfo{SecurityProtocol: "tls", ServerName: c.serverName}
}

// Clone returns an independent copy.
func (c *transportCredentials) Clone() credentials.TransportCredentials {
	return &transportCredentials{config: c.config.Clone(), serverName: c.serverName}
}

// OverrideServerName sets the name checked in the server's certificate.
// grpc-go deprecates it in favour of grpc.WithAuthority; it is here because
// the interface requires it.
func (c *transportCredentials) OverrideServerName(name string) error {
	c.serverName = name
	return nil
}

// hostOf is the host part of a gRPC authority ("host:port" or "host").
func hostOf(authority string) string {
	if host, _, err := net.SplitHostPort(authority); err == nil {
		return host
	}
	return strings.Trim(authority, "[]")
}

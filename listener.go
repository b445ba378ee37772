package clasp

import (
	"context"
	"net"
	"strings"
)

type listener struct {
	net.Listener
	config *Config
}

// Accept waits for the next connection and returns it as a server-side
// *Conn. The handshake runs on first Read or Write, within the Config's
// HandshakeTimeout or, when that is zero, listenerHandshakeTimeout.
func (l *listener) Accept() (net.Conn, error) {
	conn, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	c := Server(conn, l.config)
	if c.handshakeTimeout == 0 {
		c.handshakeTimeout = listenerHandshakeTimeout
	}
	return c, nil
}

// NewListener wraps inner so that every accepted connection is a clasp
// server connection. http.Server.Serve works on it unchanged. Each
// connection's handshake gets Config.HandshakeTimeout, 10 seconds when
// that is zero.
func NewListener(inner net.Listener, config *Config) net.Listener {
	return &listener{Listener: inner, config: config}
}

// Listen announces on a network address and returns a listener of clasp
// server connections. The config must hold a certificate, or serve
// external PSKs (GetExternalPSK).
func Listen(network, laddr string, config *Config) (net.Listener, error) {
	if config == nil || (len(config.Certificates) == 0 && config.GetCertificate == nil && config.GetConfigForClient == nil && config.GetExternalPSK == nil) {
		return nil, errNoCertificates
	}
	l, err := net.Listen(network, laddr)
	if err != nil {
		return nil, err
	}
	return NewListener(l, config), nil
}

// Dial connects to addr and runs the client handshake.
func Dial(network, addr string, config *Config) (*Conn, error) {
	return DialWithDialer(new(net.Dialer), network, addr, config)
}

// DialWithDialer connects with dialer and runs the client handshake. The
// dialer's Timeout and Deadline cover the handshake too. When the config has
// no ServerName, the host part of addr is used.
func DialWithDialer(dialer *net.Dialer, network, addr string, config *Config) (*Conn, error) {
	ctx := context.Background()
	if dialer.Timeout != 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, dialer.Timeout)
		defer cancel()
	}
	if !dialer.Deadline.IsZero() {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dialer.Deadline)
		defer cancel()
	}
	return dial(ctx, dialer, network, addr, config)
}

// Dialer dials clasp connections; its DialContext fits http.Transport.
type Dialer struct {
	NetDialer *net.Dialer
	Config    *Config
}

// DialContext connects to addr and runs the handshake within ctx.
func (d *Dialer) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := d.NetDialer
	if nd == nil {
		nd = new(net.Dialer)
	}
	return dial(ctx, nd, network, addr, d.Config)
}

// Dial connects to addr and runs the handshake.
func (d *Dialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

func dial(ctx context.Context, nd *net.Dialer, network, addr string, config *Config) (*Conn, error) {
	raw, err := nd.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if config == nil {
		config = &Config{}
	}
	if config.ServerName == "" {
		host := addr
		if h, _, err := net.SplitHostPort(addr); err == nil {
			host = h
		}
		config = config.Clone()
		config.ServerName = strings.Trim(host, "[]")
	}
	conn := Client(raw, config)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

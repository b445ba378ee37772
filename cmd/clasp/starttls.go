package main

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/starttls"
)

// checkStartTLS validates a --starttls value and returns it in lower case.
func checkStartTLS(protocol string) (string, error) {
	protocol = strings.ToLower(protocol)
	if protocol != "" && !slices.Contains(starttls.Protocols(), protocol) {
		return "", usageErrorf("--starttls %q: want one of %s", protocol, strings.Join(starttls.Protocols(), ", "))
	}
	return protocol, nil
}

// startTLSError is a failed plain-text upgrade: no TLS byte was sent, so
// there is no handshake to diagnose or probe.
type startTLSError struct {
	protocol string
	err      error
}

func (e *startTLSError) Error() string {
	return fmt.Sprintf("%s STARTTLS failed before any TLS was sent: %v", strings.ToUpper(e.protocol), e.err)
}

func (e *startTLSError) Unwrap() error { return e.err }

// dialStartTLS opens a TCP connection to addr and, when protocol is set,
// runs its STARTTLS exchange, so that the next bytes are the ClientHello.
// ctx bounds both.
func dialStartTLS(ctx context.Context, addr, protocol, serverName string) (net.Conn, error) {
	raw, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil || protocol == "" {
		return raw, err
	}
	if deadline, ok := ctx.Deadline(); ok {
		_ = raw.SetDeadline(deadline)
	}
	if serverName == "" {
		serverName, _, _ = net.SplitHostPort(addr)
	}
	if err := starttls.NegotiateFor(raw, protocol, serverName); err != nil {
		raw.Close()
		return nil, &startTLSError{protocol: protocol, err: err}
	}
	_ = raw.SetDeadline(time.Time{})
	return raw, nil
}

// dialClasp connects as clasp.DialWithDialer does, the timeout covering
// the TCP connection, the STARTTLS exchange and the handshake.
func dialClasp(addr string, cfg *clasp.Config, opts *connectOptions) (*clasp.Conn, error) {
	if opts.startTLS == "" {
		return clasp.DialWithDialer(&net.Dialer{Timeout: opts.timeout}, "tcp", addr, cfg)
	}
	ctx := context.Background()
	if opts.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opts.timeout)
		defer cancel()
	}
	raw, err := dialStartTLS(ctx, addr, opts.startTLS, cfg.ServerName)
	if err != nil {
		return nil, err
	}
	if cfg.ServerName == "" {
		cfg = cfg.Clone()
		if host, _, err := net.SplitHostPort(addr); err == nil {
			cfg.ServerName = host
		}
	}
	conn := clasp.Client(raw, cfg)
	if err := conn.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, err
	}
	return conn, nil
}

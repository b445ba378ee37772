package clasphttp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"golang.org/x/net/http2"

	"github.com/clasp-tls/clasp"
)

// Transport is an http.RoundTripper whose TLS is clasp's. The first request
// to a server dials with ALPN offering "h2" and "http/1.1"; the protocol the
// server selects is remembered for that host and port, and its requests go
// from then on through an x/net/http2 Transport (many requests on one
// connection) or a net/http Transport (a pool of HTTP/1.1 connections).
// Plain http:// requests go through the net/http Transport without TLS.
//
// Every connection is dialed with the same Config, so its
// ClientSessionCache resumes the sessions of earlier connections (see
// NewTransport). Proxies are not supported: HTTPS requests are dialed
// directly.
//
// Prefer request contexts to http.Client.Timeout for deadlines: for a
// RoundTripper it does not know, net/http enforces Client.Timeout with a
// timer and a goroutine per request (12 allocations more per request in
// bench's BenchmarkHTTPClient).
type Transport struct {
	// Config is the clasp client configuration. Its NextProtos, when set,
	// replace the default offer of "h2", "http/1.1"; ServerName, when
	// empty, is each request's host.
	Config *clasp.Config
	// Dialer opens the TCP connections; nil means a net.Dialer with a
	// 30-second timeout.
	Dialer *net.Dialer
	// HTTP1 holds the settings for HTTP/1.1 (idle connections, timeouts,
	// compression ...); nil means net/http's defaults without a proxy. Its
	// TLSClientConfig, DialTLSContext and TLSNextProto are not used.
	HTTP1 *http.Transport
	// HTTP2 holds the settings for HTTP/2; nil means x/net/http2's
	// defaults. Its TLSClientConfig and DialTLSContext are not used.
	HTTP2 *http2.Transport

	initOnce sync.Once
	h1       *http.Transport
	h2       *http2.Transport

	mu sync.Mutex
	// protocols is what ALPN chose for each "host:port" last time.
	protocols map[string]string
	// parked holds the connection of a host's first dial until the
	// transport for its protocol asks for one.
	parked map[string][]parkedConn
}

type parkedConn struct {
	conn *clasp.Conn
	at   time.Time
}

// parkedLifetime bounds how long a first connection waits for its
// transport to take it: a transport that found another connection idle
// leaves it parked, and a server closes connections idle for long.
const parkedLifetime = 10 * time.Second

// errNotHTTP2 is what the HTTP/2 side's dial returns when a server that
// chose "h2" before now chooses something else.
var errNotHTTP2 = errors.New("clasphttp: the server no longer selects h2 by ALPN")

// NewTransport returns a Transport over a copy of cfg that has a client
// session cache (an LRU of 64 sessions) when cfg has none, so that
// connections after the first resume their TLS session instead of making a
// full handshake.
func NewTransport(cfg *clasp.Config) *Transport {
	if cfg == nil {
		cfg = &clasp.Config{}
	}
	cfg = cfg.Clone()
	if cfg.ClientSessionCache == nil {
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(64)
	}
	return &Transport{Config: cfg}
}

func (t *Transport) init() {
	t.initOnce.Do(func() {
		if t.HTTP1 != nil {
			t.h1 = t.HTTP1.Clone()
		} else {
			t.h1 = &http.Transport{
				MaxIdleConnsPerHost:   8,
				IdleConnTimeout:       90 * time.Second,
				ExpectContinueTimeout: time.Second,
			}
		}
		t.h1.DialTLSContext = func(ctx context.Context, _, addr string) (net.Conn, error) {
			return t.dialFor(ctx, addr, ProtoHTTP1)
		}
		// A non-nil empty map keeps net/http from trying its bundled
		// HTTP/2, which needs a *crypto/tls.Conn.
		t.h1.TLSNextProto = map[string]func(string, *tls.Conn) http.RoundTripper{}
		t.h1.ForceAttemptHTTP2 = false
		// With a proxy, net/http would hand DialTLSContext the proxy's
		// address; HTTPS through a proxy is not supported, so none is used.
		t.h1.Proxy = nil
		t.h2 = t.HTTP2
		if t.h2 == nil {
			t.h2 = new(http2.Transport)
		}
		t.h2.DialTLSContext = func(ctx context.Context, _, addr string, _ *tls.Config) (net.Conn, error) {
			return t.dialFor(ctx, addr, ProtoHTTP2)
		}
	})
}

// RoundTrip sends req over HTTP/2 or HTTP/1.1, whichever the server chose
// by ALPN.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	t.init()
	if req.URL == nil || req.URL.Scheme != "https" {
		return t.h1.RoundTrip(req)
	}
	addr := hostPort(req)
	proto, known := t.protocol(addr)
	if !known {
		conn, err := t.dial(req.Context(), addr, t.offer())
		if err != nil {
			return nil, err
		}
		proto = protocolOf(conn)
		t.remember(addr, proto)
		t.park(addr, proto, conn)
	}
	if proto != ProtoHTTP2 {
		return t.h1.RoundTrip(req)
	}
	resp, err := t.h2.RoundTrip(req)
	// Concurrent first requests each dialed; x/net/http2 took one of
	// their connections and multiplexes on it, so the others are spare.
	t.closeParked(addr, ProtoHTTP2)
	if errors.Is(err, errNotHTTP2) {
		// The server changed its mind between connections. Nothing was
		// sent yet, so the request can go again, as a first one.
		if again, ok := rewound(req); ok {
			return t.RoundTrip(again)
		}
	}
	return resp, err
}

// rewound returns req ready to be sent again: as it is without a body, or
// with a fresh body from GetBody.
func rewound(req *http.Request) (*http.Request, bool) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, true
	}
	if req.GetBody == nil {
		return nil, false
	}
	body, err := req.GetBody()
	if err != nil {
		return nil, false
	}
	again := req.Clone(req.Context())
	again.Body = body
	return again, true
}

// CloseIdleConnections closes the idle connections of both protocols and
// those parked after a first dial.
func (t *Transport) CloseIdleConnections() {
	t.init()
	t.h1.CloseIdleConnections()
	t.h2.CloseIdleConnections()
	t.mu.Lock()
	parked := t.parked
	t.parked = nil
	t.mu.Unlock()
	for _, list := range parked {
		for _, p := range list {
			p.conn.Close()
		}
	}
}

// offer is the ALPN list of a first dial.
func (t *Transport) offer() []string {
	if t.Config != nil && len(t.Config.NextProtos) > 0 {
		return t.Config.NextProtos
	}
	return []string{ProtoHTTP2, ProtoHTTP1}
}

// dialFor is the dial of the transport for proto: a parked connection if
// there is one, else a new one offering only proto, so that the server
// cannot choose another protocol than the one about to be spoken.
func (t *Transport) dialFor(ctx context.Context, addr, proto string) (net.Conn, error) {
	if conn := t.unpark(addr, proto); conn != nil {
		return conn, nil
	}
	offer := []string{proto}
	if proto == ProtoHTTP1 {
		offer = slices.DeleteFunc(slices.Clone(t.offer()), func(p string) bool { return p == ProtoHTTP2 })
	}
	conn, err := t.dial(ctx, addr, offer)
	if err != nil {
		return nil, err
	}
	if proto == ProtoHTTP2 && protocolOf(conn) != ProtoHTTP2 {
		conn.Close()
		t.forget(addr)
		return nil, errNotHTTP2
	}
	return conn, nil
}

func (t *Transport) dial(ctx context.Context, addr string, offer []string) (*clasp.Conn, error) {
	cfg := t.Config
	if cfg == nil {
		cfg = &clasp.Config{}
	}
	cfg = cfg.Clone()
	cfg.NextProtos = offer
	nd := t.Dialer
	if nd == nil {
		nd = &net.Dialer{Timeout: 30 * time.Second}
	}
	d := &clasp.Dialer{NetDialer: nd, Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("clasphttp: %s: %w", addr, err)
	}
	return c.(*clasp.Conn), nil
}

func protocolOf(conn *clasp.Conn) string {
	if conn.ConnectionState().NegotiatedProtocol == ProtoHTTP2 {
		return ProtoHTTP2
	}
	return ProtoHTTP1
}

func (t *Transport) protocol(addr string) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	p, ok := t.protocols[addr]
	return p, ok
}

func (t *Transport) remember(addr, proto string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.protocols == nil {
		t.protocols = map[string]string{}
	}
	t.protocols[addr] = proto
}

func (t *Transport) forget(addr string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.protocols, addr)
}

func (t *Transport) park(addr, proto string, conn *clasp.Conn) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.parked == nil {
		t.parked = map[string][]parkedConn{}
	}
	key := proto + " " + addr
	t.parked[key] = append(t.parked[key], parkedConn{conn: conn, at: time.Now()})
}

// unpark takes a parked connection for addr and proto, closing those that
// waited too long.
func (t *Transport) unpark(addr, proto string) *clasp.Conn {
	t.mu.Lock()
	defer t.mu.Unlock()
	key := proto + " " + addr
	for len(t.parked[key]) > 0 {
		p := t.parked[key][0]
		t.parked[key] = t.parked[key][1:]
		if time.Since(p.at) < parkedLifetime {
			return p.conn
		}
		p.conn.Close()
	}
	delete(t.parked, key)
	return nil
}

// closeParked closes the connections still parked for addr and proto.
func (t *Transport) closeParked(addr, proto string) {
	t.mu.Lock()
	key := proto + " " + addr
	spare := t.parked[key]
	delete(t.parked, key)
	t.mu.Unlock()
	for _, p := range spare {
		p.conn.Close()
	}
}

// hostPort is the address a request is dialed at, in the form both
// net/http and x/net/http2 pass to their dial functions.
func hostPort(req *http.Request) string {
	port := req.URL.Port()
	if port == "" {
		port = "443"
	}
	return net.JoinHostPort(req.URL.Hostname(), port)
}

package clasphttp

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/http2"

	"github.com/clasp-tls/clasp"
)

// ALPN protocol names (RFC 7301 registry).
const (
	ProtoHTTP2 = "h2"
	ProtoHTTP1 = "http/1.1"
)

// Server serves an http.Handler over clasp connections: HTTP/2 to clients
// that choose "h2" by ALPN, HTTP/1.1 to the others. Handlers find the
// connection's clasp state with FromRequest.
//
// A Server is used once: after Shutdown or Close, Serve returns
// http.ErrServerClosed.
type Server struct {
	// Handler answers every request.
	Handler http.Handler
	// TLSConfig is the clasp configuration ListenAndServe listens with;
	// it needs a certificate. ServerConfig adds the ALPN protocols. Serve
	// uses the configuration of the listener it is given instead.
	TLSConfig *clasp.Config
	// HTTP1 holds net/http's settings (ReadHeaderTimeout, IdleTimeout,
	// MaxHeaderBytes, ErrorLog, BaseContext, ConnContext ...), which apply
	// to HTTP/1.1 and, through x/net/http2, to HTTP/2. Its Handler, Addr,
	// TLSConfig and TLSNextProto are not used. nil means net/http's
	// defaults with a ReadHeaderTimeout of 10 seconds.
	HTTP1 *http.Server
	// HTTP2 holds HTTP/2's settings (concurrent streams, frame size ...);
	// nil means x/net/http2's defaults.
	HTTP2 *http2.Server

	initOnce sync.Once
	initErr  error
	h1       *http.Server // a copy of HTTP1 serving queue
	h2       *http2.Server
	queue    *connQueue // HTTP/1.1 connections, handshake done, for h1
	h1Done   chan struct{}

	closing   atomic.Bool // set under mu, read anywhere
	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	// conns are the connections in their handshake (false) or serving
	// HTTP/2 (true); HTTP/1.1 connections belong to h1.
	conns map[*clasp.Conn]bool
	wg    sync.WaitGroup // one per conns entry, added under mu
}

// ServerConfig returns a copy of cfg whose ALPN protocols offer HTTP/2 and
// HTTP/1.1 ("h2" first, as RFC 9113 §3.2 names it), keeping any the
// caller listed first. Give it to clasp.Listen or clasp.NewListener.
func ServerConfig(cfg *clasp.Config) *clasp.Config {
	if cfg == nil {
		cfg = &clasp.Config{}
	}
	cfg = cfg.Clone()
	protos := slices.Clone(cfg.NextProtos)
	for _, p := range []string{ProtoHTTP2, ProtoHTTP1} {
		if !slices.Contains(protos, p) {
			protos = append(protos, p)
		}
	}
	cfg.NextProtos = protos
	return cfg
}

// ListenAndServe listens on the TCP address addr with TLSConfig (and the
// protocols of ServerConfig) and serves until Shutdown or Close.
func (s *Server) ListenAndServe(addr string) error {
	if s.closing.Load() {
		return http.ErrServerClosed
	}
	ln, err := clasp.Listen("tcp", addr, ServerConfig(s.TLSConfig))
	if err != nil {
		return err
	}
	return s.Serve(ln)
}

// Serve accepts connections from ln, a clasp listener (clasp.Listen or
// clasp.NewListener, whose Config should offer "h2" and "http/1.1": see
// ServerConfig), and serves each in its own goroutine. It returns
// http.ErrServerClosed after Shutdown or Close, or the listener's error.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.init(); err != nil {
		return err
	}
	if !s.trackListener(ln, true) {
		ln.Close()
		return http.ErrServerClosed
	}
	defer s.trackListener(ln, false)
	var backoff time.Duration
	for {
		raw, err := ln.Accept()
		if err != nil {
			if s.closing.Load() {
				return http.ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				// Running out of descriptors and the like: wait and retry,
				// as net/http does, rather than stop serving.
				backoff = min(max(2*backoff, 5*time.Millisecond), time.Second)
				s.logf("clasphttp: accept error: %v; retrying in %v", err, backoff)
				time.Sleep(backoff)
				continue
			}
			return err
		}
		backoff = 0
		conn, ok := raw.(*clasp.Conn)
		if !ok {
			raw.Close()
			return fmt.Errorf("clasphttp: the listener returned a %T, not a *clasp.Conn: serve a clasp listener (clasp.Listen, clasp.NewListener)", raw)
		}
		if !s.trackConn(conn) {
			conn.Close()
			return http.ErrServerClosed
		}
		go s.serveConn(conn)
	}
}

// init builds the net/http server that serves HTTP/1.1 connections and
// ties the HTTP/2 server to it, so that its Shutdown reaches both.
func (s *Server) init() error {
	s.initOnce.Do(func() {
		h1 := &http.Server{ReadHeaderTimeout: 10 * time.Second}
		if s.HTTP1 != nil {
			h1 = cloneHTTPServer(s.HTTP1)
		}
		h1.Handler = s.Handler
		userConnContext := h1.ConnContext
		h1.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
			ctx = ConnContext(ctx, c)
			if userConnContext != nil {
				ctx = userConnContext(ctx, c)
			}
			return ctx
		}
		s.h2 = s.HTTP2
		if s.h2 == nil {
			s.h2 = new(http2.Server)
		}
		// Registers HTTP/2's graceful shutdown (GOAWAY to every connection
		// ServeConn serves with h1 as BaseConfig) on h1.Shutdown.
		if s.initErr = http2.ConfigureServer(h1, s.h2); s.initErr != nil {
			return
		}
		s.h1 = h1
		s.queue = newConnQueue()
		s.h1Done = make(chan struct{})
		go func() {
			defer close(s.h1Done)
			_ = h1.Serve(s.queue)
		}()
	})
	return s.initErr
}

// cloneHTTPServer copies the settings of an http.Server that has not been
// started (its unexported state is zero then, so a field copy is sound).
func cloneHTTPServer(src *http.Server) *http.Server {
	return &http.Server{
		ReadTimeout:                  src.ReadTimeout,
		ReadHeaderTimeout:            src.ReadHeaderTimeout,
		WriteTimeout:                 src.WriteTimeout,
		IdleTimeout:                  src.IdleTimeout,
		MaxHeaderBytes:               src.MaxHeaderBytes,
		DisableGeneralOptionsHandler: src.DisableGeneralOptionsHandler,
		ConnState:                    src.ConnState,
		ErrorLog:                     src.ErrorLog,
		BaseContext:                  src.BaseContext,
		ConnContext:                  src.ConnContext,
		HTTP2:                        src.HTTP2,
	}
}

// serveConn runs the handshake and gives the connection to the protocol
// ALPN chose.
func (s *Server) serveConn(conn *clasp.Conn) {
	defer s.wg.Done()
	// The listener bounds the handshake (Config.HandshakeTimeout, or 10
	// seconds), since a client could otherwise hold this goroutine.
	if err := conn.Handshake(); err != nil {
		if !s.closing.Load() { // a shutdown closing it is no news
			s.logf("clasphttp: TLS handshake error from %s: %v", conn.RemoteAddr(), err)
		}
		conn.Close()
		s.untrackConn(conn)
		return
	}
	st := conn.ConnectionState()
	if st.NegotiatedProtocol != ProtoHTTP2 {
		s.untrackConn(conn) // h1 tracks it from here on
		s.queue.push(conn)
		return
	}
	s.markHTTP2(conn)
	defer s.untrackConn(conn)
	err := ServeHTTP2(conn, s.h2, &http2.ServeConnOpts{
		Context:    s.h2Context(conn),
		BaseConfig: s.h1,
		Handler:    s.Handler,
	})
	if err != nil {
		s.logf("clasphttp: refusing HTTP/2 from %s: %v", conn.RemoteAddr(), err)
	}
}

// ServeHTTP2 serves HTTP/2 on conn, a clasp connection whose handshake is
// done and on which ALPN chose "h2", with h2 (nil: x/net/http2's defaults)
// and opts (nil: none), and returns when the connection ends. Handlers find
// the connection's state with FromRequest. A connection that RFC 9113 §9.2
// rules out for HTTP/2 (below TLS 1.2, or a TLS 1.2 suite of its Appendix
// A) gets a GOAWAY with INADEQUATE_SECURITY, and the reason is returned.
// Server calls it; it is exported for servers that accept connections
// themselves.
func ServeHTTP2(conn *clasp.Conn, h2 *http2.Server, opts *http2.ServeConnOpts) error {
	if err := checkHTTP2Security(conn.ConnectionState()); err != nil {
		refuseHTTP2(conn, err)
		return err
	}
	if h2 == nil {
		h2 = new(http2.Server)
	}
	o := http2.ServeConnOpts{}
	if opts != nil {
		o = *opts
	}
	if o.Context == nil {
		o.Context = context.Background()
	}
	if _, ok := ConnFromContext(o.Context); !ok {
		o.Context = ContextWithConn(o.Context, conn)
	}
	h2.ServeConn(conn, &o)
	return nil
}

// h2Context is what net/http would give an HTTP/1.1 connection: the
// BaseContext, then ConnContext (ours, then the caller's).
func (s *Server) h2Context(conn *clasp.Conn) context.Context {
	ctx := context.Background()
	if s.HTTP1 != nil && s.HTTP1.BaseContext != nil {
		ctx = s.HTTP1.BaseContext(s.queue)
	}
	ctx = context.WithValue(ctx, http.ServerContextKey, s.h1)
	return s.h1.ConnContext(ctx, conn)
}

// Shutdown stops accepting, closes connections still in their handshake,
// sends GOAWAY to HTTP/2 connections and closes idle HTTP/1.1 ones, then
// waits for requests in progress to end or for ctx to be done, when it
// closes what is left and returns ctx's error.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closeListeners()
	if s.init() != nil {
		return nil
	}
	s.closeHandshaking()
	err := s.h1.Shutdown(ctx) // also starts HTTP/2's graceful shutdown
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		<-s.h1Done
		close(done)
	}()
	select {
	case <-done:
		return err
	case <-ctx.Done():
		s.closeAll()
		<-done
		return ctx.Err()
	}
}

// Close closes the listeners and every connection at once.
func (s *Server) Close() error {
	s.closeListeners()
	if s.init() != nil {
		return nil
	}
	err := s.h1.Close()
	s.closeAll()
	s.wg.Wait()
	<-s.h1Done
	return err
}

func (s *Server) trackListener(ln net.Listener, add bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !add {
		delete(s.listeners, ln)
		return true
	}
	if s.closing.Load() {
		return false
	}
	if s.listeners == nil {
		s.listeners = map[net.Listener]struct{}{}
	}
	s.listeners[ln] = struct{}{}
	return true
}

// trackConn adds a freshly accepted connection, unless the server is
// closing; the WaitGroup is added under the same lock that closing is
// set under, so that Shutdown's Wait never races an Add.
func (s *Server) trackConn(conn *clasp.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing.Load() {
		return false
	}
	if s.conns == nil {
		s.conns = map[*clasp.Conn]bool{}
	}
	s.conns[conn] = false
	s.wg.Add(1)
	return true
}

func (s *Server) markHTTP2(conn *clasp.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conns[conn] = true
}

func (s *Server) untrackConn(conn *clasp.Conn) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.conns, conn)
}

// closeListeners marks the server closing and closes its listeners.
func (s *Server) closeListeners() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closing.Store(true)
	for ln := range s.listeners {
		ln.Close()
	}
}

// closeHandshaking closes the transport of the connections still in their
// handshake (a Conn's own Close would wait for the handshake's lock);
// HTTP/2 connections get their GOAWAY from h1.Shutdown.
func (s *Server) closeHandshaking() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for conn, serving := range s.conns {
		if !serving {
			conn.NetConn().Close()
		}
	}
}

func (s *Server) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for conn := range s.conns {
		conn.NetConn().Close()
	}
}

func (s *Server) logf(format string, args ...any) {
	if s.HTTP1 != nil && s.HTTP1.ErrorLog != nil {
		s.HTTP1.ErrorLog.Printf(format, args...)
		return
	}
	log.Printf(format, args...)
}

// connQueue is the listener h1 serves: it yields the connections on which
// the handshake is done and ALPN did not choose HTTP/2.
type connQueue struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnQueue() *connQueue {
	return &connQueue{conns: make(chan net.Conn), done: make(chan struct{})}
}

// push hands conn to h1, or closes it when h1 has stopped.
func (q *connQueue) push(conn net.Conn) {
	select {
	case q.conns <- conn:
	case <-q.done:
		conn.Close()
	}
}

func (q *connQueue) Accept() (net.Conn, error) {
	select {
	case c := <-q.conns:
		return c, nil
	case <-q.done:
		return nil, net.ErrClosed
	}
}

func (q *connQueue) Close() error {
	q.once.Do(func() { close(q.done) })
	return nil
}

func (q *connQueue) Addr() net.Addr { return queueAddr{} }

type queueAddr struct{}

func (queueAddr) Network() string { return "clasp" }
func (queueAddr) String() string  { return "clasphttp" }

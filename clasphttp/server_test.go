package clasphttp_test

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// curl picks the protocol by ALPN: --http2 offers h2 and http/1.1,
// --http1.1 offers http/1.1 only; %{http_version} says what was spoken.
func TestServerCurlHTTP2AndHTTP1(t *testing.T) {
	peertest.Require(t, "curl")
	pki := peertest.NewPKI(t)
	addr, _ := startServer(t, serverConfig(pki), describeHandler())
	url := "https://localhost:" + strings.Split(addr, ":")[1] + "/hello"
	for _, tc := range []struct {
		flag, version, proto, alpn string
	}{
		{"--http2", "2", "HTTP/2.0", "h2"},
		{"--http1.1", "1.1", "HTTP/1.1", "http/1.1"},
	} {
		out, err := peertest.RunCurl(t, url, tc.flag, "-w", "version=%{http_version}\n")
		if err != nil {
			t.Fatalf("curl %s: %v\n%s", tc.flag, err, out)
		}
		for _, want := range []string{"proto=" + tc.proto, "alpn=" + tc.alpn, "path=/hello", "client=none", "version=" + tc.version + "\n"} {
			if !strings.Contains(out, want) {
				t.Errorf("curl %s: answer lacks %q:\n%s", tc.flag, want, out)
			}
		}
	}
}

// Go's own client over crypto/tls negotiates h2 and sends many requests on
// one connection.
func TestServerGoClientHTTP2(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr, _ := startServer(t, serverConfig(pki), describeHandler())
	c := goClient(pki)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, body := get(t, c, "https://"+addr+"/n")
			if resp.Proto != "HTTP/2.0" || resp.TLS == nil || resp.TLS.NegotiatedProtocol != "h2" {
				t.Errorf("request %d: proto %s, want HTTP/2.0 over h2", i, resp.Proto)
			}
			if !strings.Contains(body, "proto=HTTP/2.0") || !strings.Contains(body, "version=TLS 1.3") {
				t.Errorf("request %d: answer %q", i, body)
			}
		}()
	}
	wg.Wait()
}

// The handler reads the client's certificate through FromRequest when the
// client sent one, over both protocols, and sees none otherwise.
func TestHandlerReadsClientCertificate(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := serverConfig(pki)
	cfg.ClientAuth = clasp.VerifyClientCertIfGiven
	cfg.ClientCAs = pki.CAPool
	addr, _ := startServer(t, cfg, describeHandler())
	for _, version := range []uint16{tls.VersionTLS12, tls.VersionTLS13} {
		for _, h2 := range []bool{true, false} {
			for _, withCert := range []bool{true, false} {
				var certs []tls.Certificate
				want := "client=none"
				if withCert {
					certs = []tls.Certificate{pki.Client.TLS}
					want = "client=peertest client"
				}
				// The protocol actually spoken, so that a silent fallback
				// from h2 to HTTP/1.1 fails the h2 cases.
				proto := "proto=HTTP/1.1\n"
				if h2 {
					proto = "proto=HTTP/2.0\n"
				}
				c := goClient(pki, certs...)
				tr := c.Transport.(*http.Transport)
				tr.ForceAttemptHTTP2 = h2
				tr.TLSClientConfig.MaxVersion = version
				_, body := get(t, c, "https://"+addr+"/whoami")
				for _, line := range []string{want, "version=" + tls.VersionName(version), proto} {
					if !strings.Contains(body, line) {
						t.Errorf("%s h2=%v cert=%v: answer lacks %q:\n%s", tls.VersionName(version), h2, withCert, line, body)
					}
				}
			}
		}
	}
}

// A caller's own http.Server over a clasp listener, with
// clasphttp.ConnContext set, reaches the clasp state from its handlers
// through FromRequest (HTTP/1.1: net/http switches to h2 only for a
// crypto/tls connection).
func TestConnContextOnOwnHTTPServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := serverConfig(pki)
	cfg.ClientAuth = clasp.VerifyClientCertIfGiven
	cfg.ClientCAs = pki.CAPool
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: describeHandler(), ConnContext: clasphttp.ConnContext}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; err != http.ErrServerClosed {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	for _, withCert := range []bool{true, false} {
		var certs []tls.Certificate
		want := "client=none"
		if withCert {
			certs = []tls.Certificate{pki.Client.TLS}
			want = "client=peertest client"
		}
		resp, body := get(t, goClient(pki, certs...), "https://"+ln.Addr().String()+"/own")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("cert=%v: status %d (the handler found no clasp state?):\n%s", withCert, resp.StatusCode, body)
		}
		for _, line := range []string{want, "proto=HTTP/1.1\n", "version=TLS 1.3", "path=/own"} {
			if !strings.Contains(body, line) {
				t.Errorf("cert=%v: answer lacks %q:\n%s", withCert, line, body)
			}
		}
	}
}

// Shutdown lets requests in progress finish, over both protocols, and
// refuses new connections meanwhile.
func TestServerShutdownIsGraceful(t *testing.T) {
	pki := peertest.NewPKI(t)
	release := make(chan struct{})
	started := make(chan string, 2)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		started <- r.Proto
		<-release
		io.WriteString(w, "finished "+r.Proto)
	})
	addr, srv := startServer(t, serverConfig(pki), h)
	results := make(chan string, 2)
	for _, h2 := range []bool{true, false} {
		c := goClient(pki)
		c.Transport.(*http.Transport).ForceAttemptHTTP2 = h2
		go func() {
			resp, err := c.Get("https://" + addr + "/slow")
			if err != nil {
				results <- "error: " + err.Error()
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			results <- string(b)
		}()
	}
	<-started
	<-started
	shutdown := make(chan error, 1)
	go func() { shutdown <- srv.Shutdown(context.Background()) }()
	time.Sleep(200 * time.Millisecond)
	if _, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost"}); err == nil {
		t.Error("a new connection was accepted after Shutdown")
	}
	select {
	case err := <-shutdown:
		t.Fatalf("Shutdown returned %v while requests were in progress", err)
	default:
	}
	close(release)
	got := []string{<-results, <-results}
	for _, want := range []string{"finished HTTP/2.0", "finished HTTP/1.1"} {
		if got[0] != want && got[1] != want {
			t.Errorf("answers %q lack %q", got, want)
		}
	}
	if err := <-shutdown; err != nil {
		t.Errorf("Shutdown: %v", err)
	}
}

// RFC 9113 §9.2.2: HTTP/2 over TLS 1.2 with a suite from Appendix A (here
// CBC) is answered with GOAWAY INADEQUATE_SECURITY, as x/net/http2 does
// for crypto/tls.
func TestServerRefusesHTTP2OverProhibitedSuite(t *testing.T) {
	pki := peertest.NewPKI(t)
	cbc := peertest.SuiteID("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")
	cfg := serverConfig(pki)
	cfg.CipherSuites = []uint16{cbc}
	cfg.MaxVersion = clasp.VersionTLS12
	addr, _ := startServer(t, cfg, describeHandler())
	conn, err := clasp.Dial("tcp", addr, &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost",
		NextProtos: []string{"h2"}, CipherSuites: []uint16{cbc}, MaxVersion: clasp.VersionTLS12})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, http2.ClientPreface); err != nil {
		t.Fatal(err)
	}
	fr := http2.NewFramer(conn, conn)
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			t.Fatalf("no GOAWAY before %v", err)
		}
		if ga, ok := f.(*http2.GoAwayFrame); ok {
			if ga.ErrCode != http2.ErrCodeInadequateSecurity || !strings.Contains(string(ga.DebugData()), "RFC 9113") {
				t.Errorf("GOAWAY %v %q, want INADEQUATE_SECURITY naming RFC 9113", ga.ErrCode, ga.DebugData())
			}
			return
		}
	}
}

// Serve refuses a listener that is not clasp's rather than serve HTTP in
// plain text.
func TestServeRejectsPlainListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	srv := &clasphttp.Server{Handler: describeHandler()}
	defer srv.Close()
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := <-done; err == nil || !strings.Contains(err.Error(), "clasp listener") {
		t.Errorf("Serve on a plain listener: %v, want an error naming the clasp listener", err)
	}
}

// HTTP/1.1 keep-alive: sequential requests share one connection. net/http
// aborts its background read between requests with a past deadline, which
// a clasp connection must survive.
func TestServerHTTP1KeepAlive(t *testing.T) {
	pki := peertest.NewPKI(t)
	var opened atomic.Int32
	srv := &clasphttp.Server{Handler: describeHandler(), HTTP1: &http.Server{ConnState: func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			opened.Add(1)
		}
	}}}
	addr, _ := startServerWith(t, serverConfig(pki), srv)
	c := goClient(pki)
	c.Transport.(*http.Transport).ForceAttemptHTTP2 = false
	for i := range 5 {
		if resp, body := get(t, c, "https://"+addr+"/"); resp.Proto != "HTTP/1.1" {
			t.Fatalf("request %d: %s %q", i, resp.Proto, body)
		}
	}
	if n := opened.Load(); n != 1 {
		t.Errorf("5 sequential HTTP/1.1 requests opened %d connections, want 1 (keep-alive)", n)
	}
}

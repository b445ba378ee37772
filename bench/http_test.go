package bench

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// httpProtocols are the two protocols BenchmarkHTTPServer serves: the
// client offers only that one by ALPN.
var httpProtocols = []struct {
	name string
	alpn string
	// proto is what the response says was spoken.
	proto string
}{
	{"proto=h2", "h2", "HTTP/2.0"},
	{"proto=http1.1", "http/1.1", "HTTP/1.1"},
}

// httpParallelism is the number of goroutines per GOMAXPROCS sending
// requests at once: HTTP/2 multiplexes them on one connection, HTTP/1.1
// spreads them over a pool of keep-alive connections.
const httpParallelism = 4

// BenchmarkHTTPServer measures requests per second of an HTTP server over
// TLS 1.3 on loopback: x/net/http2 (HTTP/2) or net/http (HTTP/1.1) behind
// crypto/tls, or the same behind clasp through clasphttp.Server. The client
// is the same for both (net/http and x/net/http2 over crypto/tls), with
// connections made before the timer starts, so the ratio is the server's
// record layer and the plumbing around it, not the handshake.
func BenchmarkHTTPServer(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, p := range httpProtocols {
		b.Run(p.name, func(b *testing.B) {
			for _, impl := range []string{"impl=crypto_tls", "impl=clasp"} {
				b.Run(impl, func(b *testing.B) {
					url := startHTTPServer(b, pki, impl == "impl=clasp")
					client := httpClient(pki, p.alpn)
					defer client.CloseIdleConnections()
					if got := getProto(b, client, url); got != p.proto {
						b.Fatalf("spoke %s, want %s", got, p.proto)
					}
					runRequests(b, client, url)
				})
			}
		})
	}
}

// runRequests sends b.N GET requests from httpParallelism goroutines per
// GOMAXPROCS and reports requests per second and CPU time per request.
func runRequests(b *testing.B, client interface {
	Do(*http.Request) (*http.Response, error)
}, url string) {
	b.SetParallelism(httpParallelism)
	b.ReportAllocs()
	b.ResetTimer()
	cpu := startCPUMeter()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := getOnce(client, url); err != nil {
				b.Error(err)
				return
			}
		}
	})
	elapsed := time.Since(start)
	b.StopTimer()
	cpu.report(b)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "req/s")
}

// TestHTTPServerScenarios runs each HTTP benchmark setup once as a plain
// test: both servers speak the intended protocol to the client.
func TestHTTPServerScenarios(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, p := range httpProtocols {
		for _, claspServer := range []bool{false, true} {
			url := startHTTPServer(t, pki, claspServer)
			client := httpClient(pki, p.alpn)
			if got := getProto(t, client, url); got != p.proto {
				t.Errorf("clasp=%v: spoke %s, want %s", claspServer, got, p.proto)
			}
			if err := getOnce(client, url); err != nil {
				t.Error(err)
			}
			client.CloseIdleConnections()
		}
		// BenchmarkHTTPClient's clasp client against the crypto/tls server.
		claspClient := claspHTTPClient(pki, p.alpn)
		if got := getProto(t, claspClient, startHTTPServer(t, pki, false)); got != p.proto {
			t.Errorf("clasp client: spoke %s, want %s", got, p.proto)
		}
		claspClient.CloseIdleConnections()
	}
}

// benchHandler answers every request with a short body, as a small API
// would.
var benchHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "hello from "+r.Proto+"\n")
})

// startHTTPServer serves benchHandler with HTTP/2 and HTTP/1.1 by ALPN over
// crypto/tls (net/http with x/net/http2) or over clasp (clasphttp.Server).
func startHTTPServer(tb testing.TB, pki *peertest.PKI, claspServer bool) string {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	quiet := log.New(io.Discard, "", 0)
	if claspServer {
		cfg := clasphttp.ServerConfig(&clasp.Config{Certificates: []clasp.Certificate{claspCertificate(pki.ECDSA)}})
		srv := &clasphttp.Server{Handler: benchHandler, HTTP1: &http.Server{ErrorLog: quiet}}
		go srv.Serve(clasp.NewListener(ln, cfg))
		tb.Cleanup(func() { srv.Close() })
	} else {
		srv := &http.Server{Handler: benchHandler, ErrorLog: quiet,
			TLSConfig: &tls.Config{Certificates: []tls.Certificate{pki.ECDSA.TLS}}}
		if err := http2.ConfigureServer(srv, &http2.Server{}); err != nil {
			tb.Fatal(err)
		}
		go srv.ServeTLS(ln, "", "")
		tb.Cleanup(func() { srv.Close() })
	}
	return "https://localhost:" + fmt.Sprint(ln.Addr().(*net.TCPAddr).Port) + "/"
}

func claspCertificate(l *peertest.Leaf) clasp.Certificate {
	return clasp.Certificate{Certificate: l.TLS.Certificate, PrivateKey: l.TLS.PrivateKey}
}

// httpClient is a crypto/tls client that offers only alpn: x/net/http2's
// Transport for h2, net/http's with enough idle connections for
// RunParallel's goroutines for HTTP/1.1.
func httpClient(pki *peertest.PKI, alpn string) interface {
	Do(*http.Request) (*http.Response, error)
	CloseIdleConnections()
} {
	tlsConfig := &tls.Config{RootCAs: pki.CAPool, ServerName: serverName, NextProtos: []string{alpn}}
	if alpn == "h2" {
		return &http.Client{Transport: &http2.Transport{TLSClientConfig: tlsConfig}}
	}
	return &http.Client{Transport: &http.Transport{TLSClientConfig: tlsConfig, MaxIdleConnsPerHost: 64}}
}

func getProto(tb testing.TB, c interface {
	Do(*http.Request) (*http.Response, error)
}, url string) string {
	tb.Helper()
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	return resp.Proto
}

func getOnce(c interface {
	Do(*http.Request) (*http.Response, error)
}, url string) error {
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return errors.New("status " + resp.Status)
	}
	return nil
}

// BenchmarkHTTPClient is BenchmarkHTTPServer from the other side: the same
// crypto/tls server (x/net/http2 and net/http) answers either net/http's
// or x/net/http2's client over crypto/tls, or clasphttp.Transport over
// clasp, offering only the protocol measured.
func BenchmarkHTTPClient(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, p := range httpProtocols {
		b.Run(p.name, func(b *testing.B) {
			url := startHTTPServer(b, pki, false)
			for _, impl := range []string{"impl=crypto_tls", "impl=clasp"} {
				b.Run(impl, func(b *testing.B) {
					client := httpClient(pki, p.alpn)
					if impl == "impl=clasp" {
						client = claspHTTPClient(pki, p.alpn)
					}
					defer client.CloseIdleConnections()
					if got := getProto(b, client, url); got != p.proto {
						b.Fatalf("spoke %s, want %s", got, p.proto)
					}
					runRequests(b, client, url)
				})
			}
		})
	}
}

// claspHTTPClient is clasphttp.Transport offering only alpn. Neither
// client sets http.Client.Timeout: for a RoundTripper net/http does not
// know, it arms a timer and a goroutine per request, which would be
// measured here instead of TLS.
func claspHTTPClient(pki *peertest.PKI, alpn string) *http.Client {
	tr := clasphttp.NewTransport(&clasp.Config{RootCAs: pki.CAPool, ServerName: serverName, NextProtos: []string{alpn}})
	tr.HTTP1 = &http.Transport{MaxIdleConnsPerHost: 64}
	return &http.Client{Transport: tr}
}

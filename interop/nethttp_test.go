package interop

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

type connKey struct{}

// claspHTTPClient is an http.Client whose TLS connections are clasp's.
func claspHTTPClient(cfg *clasp.Config) *http.Client {
	dialer := &clasp.Dialer{NetDialer: &net.Dialer{Timeout: 10 * time.Second}, Config: cfg}
	return &http.Client{
		Timeout:   15 * time.Second,
		Transport: &http.Transport{DialTLSContext: dialer.DialContext},
	}
}

// startClaspHTTPServer serves net/http over a clasp listener, unchanged.
func startClaspHTTPServer(t *testing.T, cfg *clasp.Config) string {
	t.Helper()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn := r.Context().Value(connKey{}).(*clasp.Conn)
			st := conn.ConnectionState()
			fmt.Fprintf(w, "hello over clasp: %s %s", clasp.VersionName(st.Version), st.CipherSuiteName)
		}),
		// http.Server knows only *tls.Conn; the clasp connection reaches
		// the handler through the request context.
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
	}
	go srv.Serve(clasp.NewListener(inner, cfg))
	t.Cleanup(func() { srv.Close() })
	return inner.Addr().String()
}

func TestNetHTTPServerOverClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startClaspHTTPServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)}})

	// A stock net/http client with crypto/tls.
	goClient := &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost"}}}
	// And one whose TLS is clasp.
	claspClient := claspHTTPClient(&clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost"})
	for name, client := range map[string]*http.Client{"crypto_tls_client": goClient, "clasp_client": claspClient} {
		t.Run(name, func(t *testing.T) {
			for i := 0; i < 3; i++ { // keep-alive reuses the connection
				resp, err := client.Get("https://" + addr + "/")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || !strings.Contains(string(body), "hello over clasp: TLS 1.3 TLS_AES_128_GCM_SHA256") {
					t.Fatalf("response %d %q", resp.StatusCode, body)
				}
			}
		})
	}
}

func TestNetHTTPClientOverClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "hello from crypto/tls: %s", tls.CipherSuiteName(r.TLS.CipherSuite))
	}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pki.RSA.TLS}, MaxVersion: tls.VersionTLS12}
	srv.StartTLS()
	defer srv.Close()
	client := claspHTTPClient(&clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost"})
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "hello from crypto/tls: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256") {
		t.Fatalf("response %d %q", resp.StatusCode, body)
	}
}

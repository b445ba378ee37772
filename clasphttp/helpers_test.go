package clasphttp_test

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	peertest.Cleanup()
	os.Exit(code)
}

func claspCert(l *peertest.Leaf) clasp.Certificate {
	return clasp.Certificate{Certificate: l.TLS.Certificate, PrivateKey: l.TLS.PrivateKey}
}

// describeHandler answers with what the handler sees of the request and
// its clasp connection, one fact per line.
func describeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := clasphttp.FromRequest(r)
		if !ok {
			http.Error(w, "no clasp connection state", http.StatusInternalServerError)
			return
		}
		client := "none"
		if len(st.PeerCertificates) > 0 {
			client = st.PeerCertificates[0].Subject.CommonName
		}
		fmt.Fprintf(w, "proto=%s\nalpn=%s\nversion=%s\nclient=%s\nresumed=%v\npath=%s\n",
			r.Proto, st.NegotiatedProtocol, clasp.VersionName(st.Version), client, st.DidResume, r.URL.Path)
	})
}

// startServer serves h with a clasphttp.Server on a free loopback port and
// returns its address; the server is closed at the end of the test.
func startServer(t *testing.T, cfg *clasp.Config, h http.Handler) (string, *clasphttp.Server) {
	t.Helper()
	return startServerWith(t, cfg, &clasphttp.Server{Handler: h})
}

// startServerWith is startServer for a Server the caller configured.
func startServerWith(t *testing.T, cfg *clasp.Config, srv *clasphttp.Server) (string, *clasphttp.Server) {
	t.Helper()
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", clasphttp.ServerConfig(cfg))
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	t.Cleanup(func() {
		srv.Close()
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve returned %v, want http.ErrServerClosed", err)
		}
	})
	return ln.Addr().String(), srv
}

func serverConfig(pki *peertest.PKI) *clasp.Config {
	return &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)}}
}

// goClient is net/http's client over crypto/tls, HTTP/2 when the server
// selects it.
func goClient(pki *peertest.PKI, certs ...tls.Certificate) *http.Client {
	return &http.Client{Timeout: 15 * time.Second, Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pki.CAPool, ServerName: "localhost", Certificates: certs},
		ForceAttemptHTTP2: true,
	}}
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading the body: %v", url, err)
	}
	return resp, string(body)
}

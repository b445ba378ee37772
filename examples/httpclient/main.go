// Command httpclient fetches URLs with clasp's HTTP client: HTTP/2 when
// the server selects h2 by ALPN, HTTP/1.1 otherwise, and TLS sessions
// resumed across connections through the session cache.
//
//	go run ./examples/httpclient https://example.com/
//	go run ./examples/httpclient --ca pki/ca.pem --count 3 --reconnect https://localhost:8443/
package main

import (
	"context"
	"crypto/x509"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"os"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "httpclient:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, out io.Writer) error {
	fs := flag.NewFlagSet("httpclient", flag.ContinueOnError)
	caFile := fs.String("ca", "", "PEM CA certificates to trust instead of the system's")
	certFile := fs.String("cert", "", "PEM client certificate, for servers that ask for one")
	keyFile := fs.String("key", "", "PEM private key of --cert")
	count := fs.Int("count", 1, "how many times to fetch each URL")
	reconnect := fs.Bool("reconnect", false, "close the connection between fetches, to show the session resumed")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := clientConfig(*caFile, *certFile, *keyFile)
	if err != nil {
		return err
	}
	// NewTransport adds a session cache: connections after the first
	// resume their TLS session instead of a full handshake.
	tr := clasphttp.NewTransport(cfg)
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	for _, url := range fs.Args() {
		for range *count {
			if err := fetch(ctx, client, url, out); err != nil {
				return err
			}
			if *reconnect {
				tr.CloseIdleConnections()
			}
		}
	}
	return nil
}

func clientConfig(caFile, certFile, keyFile string) (*clasp.Config, error) {
	cfg := &clasp.Config{}
	if caFile != "" {
		pem, err := os.ReadFile(caFile)
		if err != nil {
			return nil, err
		}
		cfg.RootCAs = x509.NewCertPool()
		if !cfg.RootCAs.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s: no PEM certificate", caFile)
		}
	}
	if certFile != "" {
		cert, err := clasp.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, err
		}
		cfg.Certificates = []clasp.Certificate{cert}
	}
	return cfg, nil
}

// fetch GETs url and prints the status, the protocol, and the TLS of the
// connection, which httptrace's GotConn hands out as the *clasp.Conn.
func fetch(ctx context.Context, client *http.Client, url string, out io.Writer) error {
	var conn *clasp.Conn
	trace := &httptrace.ClientTrace{GotConn: func(info httptrace.GotConnInfo) {
		conn, _ = info.Conn.(*clasp.Conn)
	}}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	tlsLine := "no TLS"
	if conn != nil {
		st := conn.ConnectionState()
		tlsLine = fmt.Sprintf("%s %s, resumed: %v", clasp.VersionName(st.Version), st.CipherSuiteName, st.DidResume)
	}
	fmt.Fprintf(out, "GET %s: %s over %s (%s), %d bytes\n", url, resp.Status, resp.Proto, tlsLine, len(body))
	return nil
}

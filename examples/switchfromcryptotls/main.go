// Command switchfromcryptotls is a program written for crypto/tls that
// runs on clasp: the import line below is the only difference (the test
// builds the same file with "crypto/tls" to show it). It serves HTTPS with
// net/http and mutual TLS, and fetches a page from itself, using the
// crypto/tls Config fields programs use every day: Certificates,
// GetCertificate, GetConfigForClient, VerifyConnection, NextProtos,
// CurvePreferences, ClientAuth, ClientCAs, RootCAs and KeyLogWriter.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"

	tls "github.com/clasp-tls/clasp"
)

func main() {
	certFile := flag.String("cert", "", "PEM certificate (server and client)")
	keyFile := flag.String("key", "", "PEM key of -cert")
	caFile := flag.String("ca", "", "PEM CA that issued -cert")
	flag.Parse()
	body, err := run(*certFile, *keyFile, *caFile, io.Discard)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Print(body)
}

// run serves on a loopback port and fetches "/" from it with a client
// certificate, writing both sides' secrets to keyLog.
func run(certFile, keyFile, caFile string, keyLog io.Writer) (string, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return "", err
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		return "", err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return "", errors.New("no CA certificate in " + caFile)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", serverConfig(cert, pool, keyLog))
	if err != nil {
		return "", err
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintln(w, "hello over mutual TLS")
	})}
	go srv.Serve(ln)
	defer srv.Close()
	return fetch("https://localhost:"+portOf(ln.Addr())+"/", clientConfig(cert, pool, keyLog))
}

func serverConfig(cert tls.Certificate, clientCAs *x509.CertPool, keyLog io.Writer) *tls.Config {
	return &tls.Config{
		GetConfigForClient: func(*tls.ClientHelloInfo) (*tls.Config, error) { return nil, nil },
		GetCertificate: func(hello *tls.ClientHelloInfo) (*tls.Certificate, error) {
			if err := hello.SupportsCertificate(&cert); err != nil {
				return nil, err
			}
			return &cert, nil
		},
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("no client certificate")
			}
			return nil
		},
		NextProtos:       []string{"http/1.1"},
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256},
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        clientCAs,
		KeyLogWriter:     keyLog,
		MinVersion:       tls.VersionTLS12,
	}
}

func clientConfig(cert tls.Certificate, roots *x509.CertPool, keyLog io.Writer) *tls.Config {
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		RootCAs:      roots,
		ServerName:   "localhost",
		NextProtos:   []string{"http/1.1"},
		KeyLogWriter: keyLog,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if cs.NegotiatedProtocol != "http/1.1" {
				return errors.New("the server chose no ALPN protocol")
			}
			return nil
		},
	}
}

func fetch(url string, cfg *tls.Config) (string, error) {
	client := &http.Client{Transport: &http.Transport{
		DialTLSContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			d := &tls.Dialer{Config: cfg}
			return d.DialContext(ctx, network, addr)
		},
	}}
	resp, err := client.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

func portOf(addr net.Addr) string {
	_, port, _ := net.SplitHostPort(addr.String())
	return port
}

// Command h2server serves HTTP/2 and HTTP/1.1 over clasp with mutual TLS
// and lets in only the clients whose verified certificate carries an
// allowed common name: the pattern of an internal service that
// authorises its callers by certificate.
//
//	go run ./cmd/clasp cert --out pki --names localhost,127.0.0.1
//	go run ./examples/h2server --cert pki/server.pem --key pki/server-key.pem \
//	    --client-ca pki/ca.pem --allow "clasp test client"
//	curl --cacert pki/ca.pem --cert pki/client.pem --key pki/client-key.pem https://localhost:8443/
//
// SIGINT or SIGTERM shuts it down gracefully: requests in progress finish.
package main

import (
	"context"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr, nil); err != nil {
		fmt.Fprintln(os.Stderr, "h2server:", err)
		os.Exit(1)
	}
}

// run serves until ctx is done; ready, when set, is told the address once
// the server listens.
func run(ctx context.Context, args []string, logOut io.Writer, ready func(addr string)) error {
	fs := flag.NewFlagSet("h2server", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8443", "address to listen on")
	certFile := fs.String("cert", "", "PEM certificate chain of the server")
	keyFile := fs.String("key", "", "PEM private key of --cert")
	caFile := fs.String("client-ca", "", "PEM CA certificates that client certificates must chain to")
	allow := fs.String("allow", "", "comma-separated common names of the clients let in")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := serverConfig(*certFile, *keyFile, *caFile)
	if err != nil {
		return err
	}
	ln, err := clasp.Listen("tcp", *addr, clasphttp.ServerConfig(cfg))
	if err != nil {
		return err
	}
	logger := log.New(logOut, "h2server: ", 0)
	srv := &clasphttp.Server{
		Handler: authorise(strings.Split(*allow, ","), http.HandlerFunc(hello)),
		HTTP1:   &http.Server{ReadHeaderTimeout: 10 * time.Second, ErrorLog: logger},
	}
	logger.Printf("listening on %s", ln.Addr())
	if ready != nil {
		ready(ln.Addr().String())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	<-ctx.Done()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// serverConfig asks every client for a certificate and verifies one that
// is sent; the handler decides what a missing one means.
func serverConfig(certFile, keyFile, caFile string) (*clasp.Config, error) {
	cert, err := clasp.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("%s: no PEM certificate", caFile)
	}
	return &clasp.Config{
		Certificates: []clasp.Certificate{cert},
		ClientAuth:   clasp.VerifyClientCertIfGiven,
		ClientCAs:    pool,
		// clasp does not yet keep the client's certificate in a resumed
		// session (TLS 1.3 tickets drop it, TLS 1.2 sessions drop its
		// verified chain), so a resumed client would be refused here.
		// Until it does, every connection makes a full handshake.
		SessionTicketsDisabled: true,
		SessionIDsDisabled:     true,
	}, nil
}

// authorise lets a request through when its connection carries a client
// certificate that verified and names an allowed common name.
func authorise(allowed []string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := clasphttp.FromRequest(r)
		if !ok || len(st.VerifiedChains) == 0 {
			http.Error(w, "a client certificate is required", http.StatusUnauthorized)
			return
		}
		name := st.VerifiedChains[0][0].Subject.CommonName
		for _, a := range allowed {
			if a != "" && a == name {
				next.ServeHTTP(w, r)
				return
			}
		}
		http.Error(w, fmt.Sprintf("client %q is not allowed", name), http.StatusForbidden)
	})
}

func hello(w http.ResponseWriter, r *http.Request) {
	st, _ := clasphttp.FromRequest(r)
	fmt.Fprintf(w, "hello, %s: %s over %s, %s\n", st.VerifiedChains[0][0].Subject.CommonName,
		r.Proto, clasp.VersionName(st.Version), st.CipherSuiteName)
}

package clasphttp_test

import (
	"crypto/x509"
	"fmt"
	"net/http"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/clasphttp"
)

// A handler that lets in only clients whose certificate verified against
// the server's ClientCAs and names an allowed common name. With
// VerifyClientCertIfGiven a client without a certificate still connects
// and gets 401; RequireAndVerifyClientCert would refuse its handshake.
// examples/h2server is the whole program.
func ExampleFromRequest() {
	allowed := map[string]bool{"billing": true}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st, ok := clasphttp.FromRequest(r)
		if !ok || len(st.VerifiedChains) == 0 {
			http.Error(w, "a client certificate is required", http.StatusUnauthorized)
			return
		}
		name := st.VerifiedChains[0][0].Subject.CommonName
		if !allowed[name] {
			http.Error(w, "not allowed", http.StatusForbidden)
			return
		}
		fmt.Fprintf(w, "hello %s over %s (%s)\n", name, r.Proto, clasp.VersionName(st.Version))
	})

	var cert clasp.Certificate   // the server's, from clasp.LoadX509KeyPair
	var clientCAs *x509.CertPool // the CAs client certificates must chain to
	srv := &clasphttp.Server{
		Handler: handler,
		TLSConfig: &clasp.Config{
			Certificates: []clasp.Certificate{cert},
			ClientAuth:   clasp.VerifyClientCertIfGiven,
			ClientCAs:    clientCAs,
		},
	}
	_ = srv // srv.ListenAndServe(":8443") serves h2 and HTTP/1.1
}

// An http.Server of the caller's own over a clasp listener speaks
// HTTP/1.1 only, and ConnContext makes FromRequest work in its handlers.
func ExampleConnContext() {
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			st, _ := clasphttp.FromRequest(r)
			fmt.Fprintln(w, st.CipherSuiteName)
		}),
		ConnContext: clasphttp.ConnContext,
	}
	_ = srv // srv.Serve(claspListener)
}

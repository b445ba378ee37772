// Command tlsserver is a minimal TLS server shaped like `clasp serve`, on
// crypto/tls (the default) or on clasp (-stack clasp), so that
// bench/server-compare.sh can load them with the same certificate and
// settings: an echo of every byte until the client closes, or (-mode http)
// one HTTP request per connection answered with a short page, then a close.
// With -stack clasp it measures the stack without what `clasp serve` adds
// per connection (its log line, the diagnose recorder that explains failed
// handshakes, its counters). It prints "listening on ADDR (mode MODE)"
// once it accepts connections, and stops on SIGINT or SIGTERM.
//
//	tlsserver -cert server.pem -key server-key.pem -addr 127.0.0.1:0
//	tlsserver -cert rsa.pem -key rsa-key.pem -max-version 1.2 -ciphers TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256
//
// Its log is one line per failed handshake (a completed one costs nothing
// to log, unlike clasp serve's line per handshake; -log-handshakes adds
// that line for a like-for-like comparison).
package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/clasp-tls/clasp"
)

type options struct {
	addr, certFile, keyFile, mode string
	stack                         string
	minVersion, maxVersion        string
	ciphers                       string
	noTickets                     bool
	logHandshakes                 bool
	handshakeTimeout              time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.addr, "addr", "127.0.0.1:8443", "address to listen on (port 0 picks a free port)")
	flag.StringVar(&o.certFile, "cert", "", "PEM certificate chain (required)")
	flag.StringVar(&o.keyFile, "key", "", "PEM private key of -cert (required)")
	flag.StringVar(&o.mode, "mode", "echo", "what to do after the handshake: echo or http")
	flag.StringVar(&o.stack, "stack", "crypto/tls", "the TLS stack: crypto/tls or clasp")
	flag.StringVar(&o.minVersion, "min-version", "1.2", "lowest protocol version: 1.2 or 1.3")
	flag.StringVar(&o.maxVersion, "max-version", "1.3", "highest protocol version: 1.2 or 1.3")
	flag.StringVar(&o.ciphers, "ciphers", "", "TLS 1.2 cipher suites, comma-separated IANA names (default: crypto/tls's)")
	flag.BoolVar(&o.noTickets, "no-tickets", false, "issue and accept no session tickets")
	flag.BoolVar(&o.logHandshakes, "log-handshakes", false, "log one line per completed handshake, as clasp serve does")
	flag.DurationVar(&o.handshakeTimeout, "handshake-timeout", 10*time.Second, "time a client has for the handshake")
	flag.Parse()
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "tlsserver:", err)
		os.Exit(1)
	}
}

// serverConn is what serve needs of a server connection, from either stack.
type serverConn interface {
	net.Conn
	HandshakeContext(ctx context.Context) error
}

// server returns the function that wraps an accepted connection in the
// chosen stack, and a one-line description of a completed handshake.
func (o *options) server() (func(net.Conn) serverConn, func(serverConn) string, error) {
	if o.certFile == "" || o.keyFile == "" {
		return nil, nil, errors.New("-cert and -key are required")
	}
	if o.mode != "echo" && o.mode != "http" {
		return nil, nil, fmt.Errorf("-mode %q: want echo or http", o.mode)
	}
	minVersion, err := parseVersion("-min-version", o.minVersion)
	if err != nil {
		return nil, nil, err
	}
	maxVersion, err := parseVersion("-max-version", o.maxVersion)
	if err != nil {
		return nil, nil, err
	}
	switch o.stack {
	case "crypto/tls":
		cfg, err := o.cryptoTLSConfig(minVersion, maxVersion)
		if err != nil {
			return nil, nil, err
		}
		return func(c net.Conn) serverConn { return tls.Server(c, cfg) }, func(c serverConn) string {
			st := c.(*tls.Conn).ConnectionState()
			return fmt.Sprintf("%s %s resumed=%v", tls.VersionName(st.Version), tls.CipherSuiteName(st.CipherSuite), st.DidResume)
		}, nil
	case "clasp":
		cfg, err := o.claspConfig(minVersion, maxVersion)
		if err != nil {
			return nil, nil, err
		}
		return func(c net.Conn) serverConn { return clasp.Server(c, cfg) }, func(c serverConn) string {
			st := c.(*clasp.Conn).ConnectionState()
			return fmt.Sprintf("%s %s resumed=%v", clasp.VersionName(st.Version), st.CipherSuiteName, st.DidResume)
		}, nil
	}
	return nil, nil, fmt.Errorf("-stack %q: want crypto/tls or clasp", o.stack)
}

func (o *options) cryptoTLSConfig(minVersion, maxVersion uint16) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(o.certFile, o.keyFile)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}, SessionTicketsDisabled: o.noTickets,
		MinVersion: minVersion, MaxVersion: maxVersion}
	byName := map[string]uint16{}
	for _, s := range tls.CipherSuites() {
		byName[s.Name] = s.ID
	}
	cfg.CipherSuites, err = o.suiteIDs(byName)
	return cfg, err
}

func (o *options) claspConfig(minVersion, maxVersion uint16) (*clasp.Config, error) {
	cert, err := clasp.LoadX509KeyPair(o.certFile, o.keyFile)
	if err != nil {
		return nil, err
	}
	cfg := &clasp.Config{Certificates: []clasp.Certificate{cert}, SessionTicketsDisabled: o.noTickets,
		MinVersion: minVersion, MaxVersion: maxVersion}
	byName := map[string]uint16{}
	for _, s := range clasp.CipherSuites() {
		byName[s.Name] = s.ID
	}
	cfg.CipherSuites, err = o.suiteIDs(byName)
	return cfg, err
}

// suiteIDs reads -ciphers with the stack's table of suite names.
func (o *options) suiteIDs(byName map[string]uint16) ([]uint16, error) {
	if o.ciphers == "" {
		return nil, nil
	}
	var ids []uint16
	for _, name := range strings.Split(o.ciphers, ",") {
		id, ok := byName[strings.TrimSpace(name)]
		if !ok {
			return nil, fmt.Errorf("-ciphers: %q is not a secure %s cipher suite", name, o.stack)
		}
		ids = append(ids, id)
	}
	return ids, nil
}

func parseVersion(flagName, v string) (uint16, error) {
	switch v {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%s %q: want 1.2 or 1.3", flagName, v)
}

func run(o options) error {
	newConn, describe, err := o.server()
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		ln.Close()
	}()
	logger := log.New(os.Stderr, "", log.LstdFlags|log.LUTC)
	fmt.Fprintf(os.Stderr, "listening on %s (mode %s, %s)\n", ln.Addr(), o.mode, o.stack)
	for {
		raw, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			logger.Printf("accept: %v", err)
			time.Sleep(100 * time.Millisecond)
			continue
		}
		go serve(newConn(raw), &o, logger, describe)
	}
}

// serve runs one connection: the handshake, then the echo or one HTTP
// answer, then close (with close_notify).
func serve(conn serverConn, o *options, logger *log.Logger, describe func(serverConn) string) {
	defer conn.Close()
	peer := conn.RemoteAddr().String()
	ctx, cancel := context.WithTimeout(context.Background(), o.handshakeTimeout)
	err := conn.HandshakeContext(ctx)
	cancel()
	if err != nil {
		logger.Printf("%s handshake failed: %v", peer, err)
		return
	}
	if o.logHandshakes {
		logger.Printf("%s %s", peer, describe(conn))
	}
	if o.mode == "echo" {
		io.Copy(conn, conn)
		return
	}
	conn.SetDeadline(time.Now().Add(o.handshakeTimeout))
	if _, err := http.ReadRequest(bufio.NewReader(conn)); err != nil {
		return // a client that wanted the handshake only
	}
	const body = "<!DOCTYPE html>\n<html><body><p>crypto/tls</p></body></html>\n"
	fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", len(body), body)
}

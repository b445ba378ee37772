package scan

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"io"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/sessions"
)

// tls12SessionChecks is the most connections the resumption, extension
// and renegotiation checks make on a TLS 1.2-only server: two pairs of
// handshakes, six extension probes, two ALPN handshakes when the server
// selects no protocol (three when it does), the RFC 5746 probe and two
// renegotiating handshakes (with and without RFC 5746).
const tls12SessionChecks = 4 + 6 + 3 + 3

// checkScanner is a scanner of addr whose version check is taken as given,
// so that a test runs one check alone.
func checkScanner(addr string, versions ...suites.Version) (*scanner, *Report) {
	rep := &Report{SchemaVersion: SchemaVersion, Target: addr}
	for _, v := range versions {
		rep.Versions = append(rep.Versions, VersionSupport{Version: v, Name: v.String(), Supported: true})
	}
	return &scanner{runner: &Runner{Timeout: 10 * time.Second}, addr: addr}, rep
}

func resumptionOf(t *testing.T, addr string, versions ...suites.Version) *Resumption {
	t.Helper()
	s, rep := checkScanner(addr, versions...)
	start := time.Now()
	if err := s.resumption(context.Background(), rep); err != nil {
		t.Fatal(err)
	}
	js, _ := json.Marshal(rep.Resumption)
	t.Logf("resumption of %s (%d connections, %v): %s", addr, s.runner.Connections(), time.Since(start).Round(time.Millisecond), js)
	return rep.Resumption
}

// sessionChecks runs the resumption, extension and renegotiation checks against
// addr, taking the versions as given.
func sessionChecks(t *testing.T, addr string, versions ...suites.Version) *Report {
	t.Helper()
	s, rep := checkScanner(addr, versions...)
	start := time.Now()
	ctx := context.Background()
	for _, check := range []func(context.Context, *Report) error{s.resumption, s.extensions, s.renegotiation} {
		if err := check(ctx, rep); err != nil {
			t.Fatal(err)
		}
	}
	js, _ := json.Marshal(struct {
		Resumption    *Resumption
		Extensions    *Extensions
		Renegotiation *Renegotiation
	}{rep.Resumption, rep.Extensions, rep.Renegotiation})
	t.Logf("%s: %d connections in %v: %s", addr, s.runner.Connections(), time.Since(start).Round(time.Millisecond), js)
	return rep
}

var tls12and13 = []suites.Version{suites.VersionTLS12, suites.VersionTLS13}

func wantResume(t *testing.T, what string, r *ResumeResult, issued, resumed bool) {
	t.Helper()
	if r == nil {
		t.Errorf("%s: not checked", what)
		return
	}
	if r.Issued != issued || r.Resumed != resumed {
		t.Errorf("%s: issued %v resumed %v (%s), want issued %v resumed %v", what, r.Issued, r.Resumed, r.Answer, issued, resumed)
	}
}

func TestResumptionOpenSSLDefaults(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-quiet")
	r := sessionChecks(t, srv.Addr, tls12and13...).Resumption
	wantResume(t, "session ID", r.SessionID, true, true)
	wantResume(t, "TLS 1.2 ticket", r.Ticket12, true, true)
	wantResume(t, "TLS 1.3", r.TLS13, true, true)
	// OpenSSL 3.0: two TLS 1.3 tickets per handshake (SSL_CTX_set_num_tickets'
	// default), lifetimes of 7200 s (SSL_CTX_set_timeout's default), no
	// psk_ke without -allow_no_dhe_kex, no 0-RTT without -early_data.
	if r.Ticket12.LifetimeSeconds != 7200 || r.TLS13.LifetimeSeconds != 7200 || r.TLS13.TicketsPerConnection != 2 {
		t.Errorf("lifetimes %d and %d s, %d tickets per connection; want 7200, 7200, 2",
			r.Ticket12.LifetimeSeconds, r.TLS13.LifetimeSeconds, r.TLS13.TicketsPerConnection)
	}
	if !slices.Equal(r.PSKModes, []string{"psk_dhe_ke"}) {
		t.Errorf("PSK modes %v, want psk_dhe_ke alone", r.PSKModes)
	}
	if r.EarlyData == nil || r.EarlyData.MaxEarlyDataSize != 0 || r.EarlyData.Tried {
		t.Errorf("early data %+v, want none offered", r.EarlyData)
	}
	// Stateless tickets start with the SSL_CTX's random 16-byte key name.
	if k := r.TicketKeys; k == nil || !k.Visible || len(k.Names) != 1 {
		t.Errorf("ticket keys %+v, want one visible key name", k)
	}
}

func TestResumptionOpenSSLNoTicket(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-no_ticket", "-quiet")
	r := sessionChecks(t, srv.Addr, tls12and13...).Resumption
	wantResume(t, "session ID", r.SessionID, true, true)
	wantResume(t, "TLS 1.2 ticket", r.Ticket12, false, false)
	// With SSL_OP_NO_TICKET OpenSSL's TLS 1.3 tickets are stateful: a
	// session ID in the ticket, no key name to see.
	wantResume(t, "TLS 1.3", r.TLS13, true, true)
	if k := r.TicketKeys; k == nil || k.Visible {
		t.Errorf("ticket keys %+v, want no visible key name", k)
	}
}

func TestResumptionOpenSSLEarlyDataAndPSKKE(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-early_data", "-num_tickets", "3", "-allow_no_dhe_kex", "-quiet")
	r := sessionChecks(t, srv.Addr, tls12and13...).Resumption
	wantResume(t, "TLS 1.3", r.TLS13, true, true)
	if r.TLS13.TicketsPerConnection != 3 {
		t.Errorf("%d tickets per connection, want 3 (-num_tickets 3)", r.TLS13.TicketsPerConnection)
	}
	if !slices.Equal(r.PSKModes, []string{"psk_dhe_ke", "psk_ke"}) {
		t.Errorf("PSK modes %v, want psk_dhe_ke and psk_ke (-allow_no_dhe_kex)", r.PSKModes)
	}
	// s_server -early_data announces max_early_data_size 16384
	// (SSL3_RT_MAX_PLAIN_LENGTH) unless -max_early_data says otherwise.
	if e := r.EarlyData; e == nil || e.MaxEarlyDataSize != 16384 || !e.Tried || !e.Accepted {
		t.Errorf("early data %+v, want 16384 bytes announced and the 0-RTT data accepted", e)
	}
}

func TestResumptionOpenSSLNoTLS13Tickets(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_3", "-num_tickets", "0", "-quiet")
	r := sessionChecks(t, srv.Addr, suites.VersionTLS13).Resumption
	wantResume(t, "TLS 1.3", r.TLS13, false, false)
	if r.SessionID != nil || r.Ticket12 != nil {
		t.Errorf("TLS 1.2 resumption reported for a TLS 1.3-only server")
	}
}

func TestResumptionGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "", "--echo", "--disable-client-cert", "--earlydata", "--maxearlydata=1000")
	r := sessionChecks(t, srv.Addr, tls12and13...).Resumption
	wantResume(t, "session ID", r.SessionID, true, true)
	wantResume(t, "TLS 1.2 ticket", r.Ticket12, true, true)
	wantResume(t, "TLS 1.3", r.TLS13, true, true)
	// GnuTLS's default session expiry is 6 hours (gnutls_db_set_cache_expiration).
	if r.TLS13.LifetimeSeconds != 21600 {
		t.Errorf("TLS 1.3 ticket lifetime %d s, want 21600", r.TLS13.LifetimeSeconds)
	}
	if e := r.EarlyData; e == nil || e.MaxEarlyDataSize != 1000 || !e.Accepted {
		t.Errorf("early data %+v, want 1000 bytes announced and accepted", e)
	}
	if k := r.TicketKeys; k == nil || !k.Visible || len(k.Names) != 1 {
		t.Errorf("ticket keys %+v, want one visible key name", k)
	}

	srv = peertest.StartGnuTLSServer(t, pki.RSA, "", "--echo", "--disable-client-cert", "--noticket")
	r = sessionChecks(t, srv.Addr, tls12and13...).Resumption
	wantResume(t, "session ID (--noticket)", r.SessionID, true, true)
	wantResume(t, "TLS 1.2 ticket (--noticket)", r.Ticket12, false, false)
	wantResume(t, "TLS 1.3 (--noticket)", r.TLS13, false, false)
}

func TestResumptionCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{pki.RSA.TLS}})
	r := sessionChecks(t, addr, tls12and13...).Resumption
	// crypto/tls keeps no server-side session cache: an empty session ID.
	wantResume(t, "session ID", r.SessionID, false, false)
	wantResume(t, "TLS 1.2 ticket", r.Ticket12, true, true)
	wantResume(t, "TLS 1.3", r.TLS13, true, true)
	// Its tickets begin with a random IV, no key name.
	if k := r.TicketKeys; k == nil || k.Visible {
		t.Errorf("ticket keys %+v, want no visible key name", k)
	}
}

// startClaspEchoServer serves cfg with the clasp stack, echoing.
func startClaspEchoServer(t *testing.T, cfg *clasp.Config) string {
	t.Helper()
	return startListener(t, func(c net.Conn) {
		conn := clasp.Server(c, cfg)
		conn.SetDeadline(time.Now().Add(5 * time.Second))
		defer conn.Close()
		io.Copy(conn, conn)
	})
}

func TestResumptionClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := &clasp.Config{Certificates: []clasp.Certificate{claspCertOf(pki.ECDSA)}, MaxEarlyData: 512,
		SessionStore: sessions.NewMemoryStore(sessions.MemoryOptions{})}
	r := sessionChecks(t, startClaspEchoServer(t, cfg), tls12and13...).Resumption
	wantResume(t, "session ID", r.SessionID, true, true)
	wantResume(t, "TLS 1.2 ticket", r.Ticket12, true, true)
	wantResume(t, "TLS 1.3", r.TLS13, true, true)
	// clasp resumes psk_ke only when its Config names it (psk_ke has no
	// forward secrecy; OpenSSL likewise needs -allow_no_dhe_kex),
	// announces its rotation period (24 h) as ticket lifetime and names
	// its ticket key.
	if !slices.Equal(r.PSKModes, []string{"psk_dhe_ke"}) {
		t.Errorf("PSK modes %v, want psk_dhe_ke alone", r.PSKModes)
	}
	if r.TLS13.LifetimeSeconds != 86400 || r.TLS13.TicketsPerConnection != 1 {
		t.Errorf("TLS 1.3 ticket lifetime %d s, %d per connection; want 86400 and 1", r.TLS13.LifetimeSeconds, r.TLS13.TicketsPerConnection)
	}
	if e := r.EarlyData; e == nil || e.MaxEarlyDataSize != 512 || !e.Accepted {
		t.Errorf("early data %+v, want 512 bytes announced and accepted", e)
	}
	if k := r.TicketKeys; k == nil || !k.Visible || len(k.Names) != 1 {
		t.Errorf("ticket keys %+v, want one visible key name", k)
	}
}

func claspCertOf(l *peertest.Leaf) clasp.Certificate {
	return clasp.Certificate{Certificate: l.TLS.Certificate, PrivateKey: l.TLS.PrivateKey}
}

// A server that takes the connection and never answers costs the
// whole-handshake checks one timeout, not one per handshake.
func TestHandshakeChecksStopAfterATimeout(t *testing.T) {
	stalled := make(chan struct{})
	defer close(stalled)
	addr := startListener(t, func(c net.Conn) { io.Copy(io.Discard, c); <-stalled; c.Close() })
	s, rep := checkScanner(addr, tls12and13...)
	s.runner.Timeout = 300 * time.Millisecond
	start := time.Now()
	ctx := context.Background()
	for _, check := range []func(context.Context, *Report) error{s.resumption, s.extensions, s.renegotiation} {
		if err := check(ctx, rep); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.fleet(ctx, rep, 5); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if elapsed > 2*time.Second {
		t.Errorf("the checks took %v against a stalled server", elapsed)
	}
	if len(s.notes) != 1 || !strings.Contains(s.notes[0], "timed out") {
		t.Errorf("notes %q, want one saying a handshake timed out", s.notes)
	}
	if r := rep.Resumption.SessionID; r == nil || r.Issued || !strings.Contains(r.Answer, "failed") {
		t.Errorf("session ID: %+v", r)
	}
	t.Logf("%v, %d connections", elapsed, s.runner.Connections())
}

package scan

import (
	"context"
	"crypto/rand"
	"io"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Every finding code the judge can give has its sentence, and every fix
// its text, in fleet_texts.json.
func TestFleetTextsCoverEveryCode(t *testing.T) {
	for _, code := range []string{"no_sessions", "not_shared", "not_shared_one_seen", "broken_shared_cache", "backends_differ"} {
		if strings.TrimSpace(fleetTexts.Texts[code]) == "" {
			t.Errorf("no text for finding %s", code)
		}
	}
	for _, fix := range []string{"share", "balance", "client_off", "align"} {
		if strings.TrimSpace(fleetTexts.Fixes[fix]) == "" {
			t.Errorf("no text for fix %s", fix)
		}
	}
	if got := finding("broken_shared_cache", "broken", "3").Text; !strings.Contains(got, "3 resumption") || strings.Contains(got, "{") {
		t.Errorf("placeholders not filled: %s", got)
	}
}

// forgetfulBackend is a deliberately flawed server, test code only: it
// forwards full handshakes to backend, but answers every TLS 1.2 hello
// that offers a session ID as a resumption of it — a ServerHello echoing
// the ID with suite — without having the session's keys, so that its
// Finished cannot verify. That is what a client sees from a backend whose
// shared session cache hands out an entry it cannot use.
func forgetfulBackend(t *testing.T, backend string, suite suites.ID) string {
	return startListener(t, func(c net.Conn) {
		defer c.Close()
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err != nil {
			return
		}
		body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
		// An SSL 2.0 hello (the scan sends one) has no TLS header.
		if _, err := io.ReadFull(c, body); err != nil || hdr[0] != byte(wire.ContentHandshake) || len(body) < 4 {
			return
		}
		h, err := wire.ParseClientHello(body[4:])
		if err != nil {
			return
		}
		if _, tls13 := wire.FindExtension[*wire.SupportedVersionsExt](h.Extensions); !tls13 && len(h.SessionID) > 0 {
			fakeResumption(c, h, suite)
			return
		}
		b, err := net.Dial("tcp", backend)
		if err != nil {
			return
		}
		defer b.Close()
		b.Write(append(hdr, body...))
		go io.Copy(b, c)
		io.Copy(c, b)
	})
}

func fakeResumption(c net.Conn, h *wire.ClientHello, suite suites.ID) {
	sh := &wire.ServerHello{Version: suites.VersionTLS12, SessionID: h.SessionID, CipherSuite: suite,
		Extensions: []wire.Extension{&wire.RenegotiationInfoExt{Data: []byte{}}, &wire.ExtendedMasterSecretExt{}}}
	rand.Read(sh.Random[:])
	msg, err := sh.Marshal()
	if err != nil {
		return
	}
	finished := make([]byte, 40) // an AES-GCM record's worth of nothing
	rand.Read(finished)
	var out []byte
	for _, r := range []struct {
		typ  byte
		body []byte
	}{{22, msg}, {20, []byte{1}}, {22, finished}} {
		out = append(out, r.typ, 3, 3, byte(len(r.body)>>8), byte(len(r.body)))
		out = append(out, r.body...)
	}
	c.Write(out)
	io.Copy(io.Discard, c)
}

func TestFleetSeesAResumptionThatBreaks(t *testing.T) {
	pki := peertest.NewPKI(t)
	suite := suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	backend := startClaspEchoServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCertOf(pki.ECDSA)},
		MaxVersion: clasp.VersionTLS12, CipherSuites: []uint16{uint16(suite)}})
	addr := forgetfulBackend(t, backend, suite)
	r := resumptionOf(t, addr, suites.VersionTLS12)
	for name, res := range map[string]*ResumeResult{"session ID": r.SessionID, "TLS 1.2 ticket": r.Ticket12} {
		if !res.Issued || res.Resumed || !strings.Contains(res.Answer, "accepted the session in its ServerHello") {
			t.Errorf("%s: %+v, want a resumption accepted by the ServerHello that then failed", name, res)
		}
	}
	s, rep := checkScanner(addr, suites.VersionTLS12)
	rep.Resumption = r
	if err := s.fleet(context.Background(), rep, 4); err != nil {
		t.Fatal(err)
	}
	f := rep.Fleet
	for _, m := range f.Mechanisms {
		if m.Broken == 0 || m.Resumed != 0 {
			t.Errorf("%s: %+v, want broken resumptions", m.Name, m)
		}
	}
	if f.Consistent || !slices.ContainsFunc(f.Findings, func(x FleetFinding) bool { return x.Code == "broken_shared_cache" }) {
		t.Errorf("findings %+v, want broken_shared_cache", f.Findings)
	}
}

// One server that resumes everything is one consistent fleet.
func TestFleetOfOneServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	addr := startClaspEchoServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCertOf(pki.ECDSA)}})
	s, rep := checkScanner(addr, tls12and13...)
	rep.Resumption = resumptionOf(t, addr, tls12and13...)
	if err := s.fleet(context.Background(), rep, 5); err != nil {
		t.Fatal(err)
	}
	f := rep.Fleet
	if !f.Consistent || len(f.Backends) != 1 || len(f.Mechanisms) != 3 {
		t.Fatalf("fleet %+v, want one consistent backend and three mechanisms", f)
	}
	for _, m := range f.Mechanisms {
		if m.Offered != 4 || m.Resumed != 4 || m.RatePercent != 100 {
			t.Errorf("%s: %+v, want 4 of 4", m.Name, m)
		}
	}
}

// The judge on made-up connections: facets that disagree make two
// backends; a connection without facets fits both and is counted apart;
// misses with one backend seen get the hedged finding.
func TestFleetJudgeOnMadeUpConnections(t *testing.T) {
	ok := &fullHandshake{}
	conns := []*fleetConn{
		{mech: "m", hs: ok, cert: "A", shape: "m hello: X", keyName: "k1"},
		{mech: "m", hs: ok, cert: "A", shape: "m hello: X", keyName: "k2"},
		{mech: "m", hs: ok, keyName: "k1"},
		{mech: "m", hs: ok},
	}
	bs, unattributed := clusterBackends(conns)
	if len(bs) != 2 || bs[0].Connections != 2 || bs[1].Connections != 1 || unattributed != 1 {
		t.Errorf("backends %+v, %d unattributed; want 2 backends with 2 and 1 connections, 1 unattributed", bs, unattributed)
	}
	// Ticket key names alone differ: no backends_differ finding (the
	// resumption findings say it), but not_shared.
	f := &Fleet{Backends: bs, Mechanisms: []FleetMechanism{{Name: "m", Offered: 3, Resumed: 0}}}
	judgeFleet(f)
	if codes := fleetCodes(f); !slices.Equal(codes, []string{"not_shared"}) || f.Consistent || len(f.Fixes) != 3 {
		t.Errorf("findings %v, %d fixes, consistent %v", codes, len(f.Fixes), f.Consistent)
	}
	f = &Fleet{Backends: bs[:1], Mechanisms: []FleetMechanism{{Name: "m", Offered: 3, Resumed: 2}}}
	judgeFleet(f)
	if codes := fleetCodes(f); !slices.Equal(codes, []string{"not_shared_one_seen"}) {
		t.Errorf("findings %v, want not_shared_one_seen", codes)
	}
	diff := []*fleetConn{
		{mech: "m", hs: ok, cert: "A", shape: "m hello: TLS 1.2 X"},
		{mech: "m", hs: ok, cert: "A", shape: "m hello: TLS 1.2 Y"},
	}
	bs, _ = clusterBackends(diff)
	f = &Fleet{Backends: bs, Mechanisms: []FleetMechanism{{Name: "m", Offered: 1, Resumed: 1}}}
	judgeFleet(f)
	if codes := fleetCodes(f); !slices.Equal(codes, []string{"backends_differ"}) ||
		!strings.Contains(f.Findings[0].Text, "backend 1 TLS 1.2 X vs backend 2 TLS 1.2 Y") || !strings.Contains(f.Fixes[0], "same certificate") {
		t.Errorf("findings %+v fixes %q", f.Findings, f.Fixes)
	}
}

func fleetCodes(f *Fleet) []string {
	var out []string
	for _, x := range f.Findings {
		out = append(out, x.Code)
	}
	return out
}

package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Fleet is what N connections in a row, each resuming the previous one's
// session, showed of the servers behind one address: how often they
// resumed, per mechanism, and how many distinct backends answered, told
// apart by certificate, ServerHello shape (version, suite and extensions
// chosen for the same hello) and ticket key name.
type Fleet struct {
	// Connections is the number of connections made per mechanism.
	Connections int              `json:"connections"`
	Mechanisms  []FleetMechanism `json:"mechanisms"`
	Backends    []Backend        `json:"backends"`
	// Unattributed counts connections that fit more than one backend
	// (a resumed TLS 1.2 connection shows no certificate, say).
	Unattributed int `json:"unattributed,omitempty"`
	// Consistent: one backend seen, every reconnect resumed, no broken
	// resumption.
	Consistent bool `json:"consistent"`
	// Findings say what is wrong, each with its code.
	Findings []FleetFinding `json:"findings,omitempty"`
	// Fixes are the ways out of the findings.
	Fixes []string `json:"fixes,omitempty"`
}

// FleetMechanism is the resumption rate of one mechanism.
type FleetMechanism struct {
	Name string `json:"mechanism"`
	// Offered counts reconnects that offered a session; Resumed those
	// that resumed with it.
	Offered int `json:"offered"`
	Resumed int `json:"resumed"`
	// RatePercent is Resumed / Offered × 100.
	RatePercent float64 `json:"rate_percent"`
	// Failed counts handshakes that failed; Broken those among them whose
	// ServerHello had accepted the session (an inconsistent shared cache).
	Failed int `json:"failed,omitempty"`
	Broken int `json:"broken,omitempty"`
	// Sequence is each connection's result in order: "full", "resumed",
	// "failed", "broken".
	Sequence []string `json:"sequence"`
}

// Backend is one distinct server seen behind the address.
type Backend struct {
	// Certificate names the leaf: subject and SHA-256 prefix.
	Certificate string `json:"certificate,omitempty"`
	// ServerHellos are the ServerHello shapes of its full handshakes, one
	// per mechanism's hello.
	ServerHellos []string `json:"server_hellos,omitempty"`
	// TicketKeyName is the key name its tickets carry, when visible.
	TicketKeyName string `json:"ticket_key_name,omitempty"`
	// Connections counts the connections that fit this backend alone.
	Connections int `json:"connections"`
}

// FleetFinding is one conclusion about the fleet.
type FleetFinding struct {
	Code string `json:"code"`
	Text string `json:"text"`
}

// fleetMechanism is one way of resuming a fleet run tries.
type fleetMechanism struct {
	name    string
	version suites.Version
	adjust  func(*clasp.Config)
}

// fleetMechanisms are the mechanisms the resumption check found the
// server issuing sessions for.
func (s *scanner) fleetMechanisms(rep *Report) []fleetMechanism {
	res := rep.Resumption
	if res == nil {
		return nil
	}
	var out []fleetMechanism
	if r := res.SessionID; r != nil && r.Issued {
		out = append(out, fleetMechanism{r.Version + " session ID", highestBelow13(rep), func(c *clasp.Config) { c.SessionTicketsDisabled = true }})
	}
	if r := res.Ticket12; r != nil && r.Issued {
		out = append(out, fleetMechanism{r.Version + " session ticket", highestBelow13(rep), nil})
	}
	if r := res.TLS13; r != nil && r.Issued {
		out = append(out, fleetMechanism{"TLS 1.3 ticket", suites.VersionTLS13, nil})
	}
	return out
}

// fleetConn is one connection of a fleet run and the facets it showed.
type fleetConn struct {
	mech    string
	hs      *fullHandshake
	cert    string
	shape   string
	keyName string
}

// fleet makes n connections per mechanism, each offering the previous
// one's session, and judges the fleet.
func (s *scanner) fleet(ctx context.Context, rep *Report, n int) error {
	f := &Fleet{Connections: n}
	rep.Fleet = f
	var conns []*fleetConn
	for _, m := range s.fleetMechanisms(rep) {
		cfg := s.clientConfig(m.version)
		cfg.ClientSessionCache = clasp.NewLRUClientSessionCache(1)
		if m.adjust != nil {
			m.adjust(cfg)
		}
		fm := FleetMechanism{Name: m.name}
		for range n {
			hs, err := s.handshake(ctx, handshakeSpec{config: cfg, tickets: true})
			if err != nil {
				return err
			}
			fm.count(hs)
			conns = append(conns, observe(m.name, hs))
		}
		if fm.Offered > 0 {
			fm.RatePercent = float64(fm.Resumed) * 100 / float64(fm.Offered)
		}
		f.Mechanisms = append(f.Mechanisms, fm)
	}
	if len(f.Mechanisms) == 0 {
		f.Findings = append(f.Findings, finding("no_sessions"))
		return nil
	}
	keys := judgeTicketKeys(handshakesOf(conns))
	if keys == nil || !keys.Visible {
		for _, c := range conns {
			c.keyName = ""
		}
	}
	f.Backends, f.Unattributed = clusterBackends(conns)
	judgeFleet(f)
	return nil
}

func (fm *FleetMechanism) count(hs *fullHandshake) {
	switch {
	case hs.BrokenResumption():
		fm.Failed++
		fm.Broken++
		fm.Sequence = append(fm.Sequence, "broken")
	case hs.Err != nil:
		fm.Failed++
		fm.Sequence = append(fm.Sequence, "failed")
	case hs.State.DidResume:
		fm.Resumed++
		fm.Sequence = append(fm.Sequence, "resumed")
	default:
		fm.Sequence = append(fm.Sequence, "full")
	}
	if hs.Offered {
		fm.Offered++
	}
}

// observe reads a connection's facets: the certificate and ServerHello
// shape of a full handshake (a resumed one shows neither of this
// backend's), and the key name of the tickets it received.
func observe(mech string, hs *fullHandshake) *fleetConn {
	c := &fleetConn{mech: mech, hs: hs}
	if hs.Err != nil {
		return c
	}
	for _, t := range hs.Tickets {
		if len(t.Bytes) > 0 {
			c.keyName = ticketKeyName(t.Bytes)
		}
	}
	if hs.State.DidResume {
		return c
	}
	if certs := hs.State.PeerCertificates; len(certs) > 0 {
		sum := sha256.Sum256(certs[0].Raw)
		c.cert = fmt.Sprintf("%s (sha256 %s)", certs[0].Subject, hex.EncodeToString(sum[:6]))
	}
	if sh := hs.ServerHello; sh != nil {
		c.shape = mech + " hello: " + helloShape(hs)
	}
	return c
}

// helloShape is the version, suite and extension order of a ServerHello.
func helloShape(hs *fullHandshake) string {
	var exts []string
	for _, e := range hs.ServerHello.Extensions {
		exts = append(exts, e.ExtType().String())
	}
	if hs.EncryptedExtensions != nil {
		for _, e := range hs.EncryptedExtensions.Extensions {
			exts = append(exts, e.ExtType().String()+" (encrypted)")
		}
	}
	return fmt.Sprintf("%s %s [%s]", clasp.VersionName(hs.State.Version), hs.State.CipherSuiteName, strings.Join(exts, ", "))
}

func handshakesOf(conns []*fleetConn) []*fullHandshake {
	var out []*fullHandshake
	for _, c := range conns {
		out = append(out, c.hs)
	}
	return out
}

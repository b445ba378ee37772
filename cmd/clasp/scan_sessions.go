package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/clasp-tls/clasp/scan"
)

// writeScanSessions prints the resumption, extension, renegotiation and
// fleet sections of a scan report.
func writeScanSessions(w io.Writer, rep *scan.Report) {
	if r := rep.Resumption; r != nil {
		fmt.Fprintln(w, "\nSession resumption")
		for _, line := range []struct {
			name string
			res  *scan.ResumeResult
		}{{"session ID", r.SessionID}, {"RFC 5077 ticket", r.Ticket12}, {"TLS 1.3 ticket", r.TLS13}} {
			if line.res != nil {
				fmt.Fprintf(w, "  %-16s %-8s %s%s\n", line.name, line.res.Version, line.res.Answer, resumeLifetimeText(line.res))
			}
		}
		if len(r.PSKModes) > 0 {
			fmt.Fprintf(w, "  %-16s %s\n", "PSK modes", strings.Join(r.PSKModes, ", "))
		}
		if e := r.EarlyData; e != nil {
			fmt.Fprintf(w, "  %-16s max %d bytes; %s\n", "0-RTT", e.MaxEarlyDataSize, e.Answer)
		}
		if k := r.TicketKeys; k != nil {
			fmt.Fprintf(w, "  %-16s %s%s\n", "ticket keys", k.Answer, ticketKeyNamesText(k.Names))
		}
	}
	writeScanExtensions(w, rep.Extensions)
	if r := rep.Renegotiation; r != nil {
		fmt.Fprintf(w, "\nRenegotiation (%s)\n  %-16s %s\n  %-16s %s: %s\n  %-16s %s: %s\n", r.Version,
			"RFC 5746", r.SecureAnswer, "client-initiated", r.ClientInitiated, r.ClientAnswer,
			"legacy client", r.Legacy, r.LegacyAnswer)
	}
	writeScanFleet(w, rep.Fleet)
}

func resumeLifetimeText(r *scan.ResumeResult) string {
	if r.LifetimeSeconds == 0 {
		return ""
	}
	s := fmt.Sprintf(" (lifetime %d s", r.LifetimeSeconds)
	if r.TicketsPerConnection > 0 {
		s += fmt.Sprintf(", %d per connection", r.TicketsPerConnection)
	}
	return s + ")"
}

func ticketKeyNamesText(names []string) string {
	if len(names) == 0 {
		return ""
	}
	return ": " + strings.Join(names, ", ")
}

func writeScanExtensions(w io.Writer, e *scan.Extensions) {
	if e == nil {
		return
	}
	fmt.Fprintln(w, "\nExtensions")
	for _, line := range []struct {
		name string
		a    *scan.ExtAnswer
	}{{"extended master secret", e.ExtendedMasterSecret}, {"encrypt-then-MAC", e.EncryptThenMAC},
		{"record_size_limit", e.RecordSizeLimit}, {"compression", e.Compression},
		{"heartbeat", e.Heartbeat}, {"OCSP stapling", e.StatusRequest}} {
		if line.a != nil {
			fmt.Fprintf(w, "  %-24s %-4s %s\n", line.name, yesNo(line.a.Supported), line.a.Answer)
		}
	}
	if a := e.ALPN; a != nil {
		fmt.Fprintf(w, "  %-24s %s (%s)\n", "ALPN", a.Answer, a.Version)
	}
}

func writeScanFleet(w io.Writer, f *scan.Fleet) {
	if f == nil {
		return
	}
	fmt.Fprintf(w, "\nFleet (%d connections per mechanism, each resuming the previous one's session)\n", f.Connections)
	for _, m := range f.Mechanisms {
		fmt.Fprintf(w, "  %-24s %d of %d resumed (%.0f %%)", m.Name, m.Resumed, m.Offered, m.RatePercent)
		if m.Broken > 0 {
			fmt.Fprintf(w, ", %d accepted then broken", m.Broken)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintf(w, "  %d distinct backend(s)\n", len(f.Backends))
	for i, b := range f.Backends {
		fmt.Fprintf(w, "    backend %d: %s; ticket key %s; %d connection(s)\n", i+1, orNone(b.Certificate, "not seen"), orNone(b.TicketKeyName, "not seen"), b.Connections)
	}
	if f.Consistent {
		fmt.Fprintln(w, "  one consistent fleet: every reconnect resumed")
	}
	for _, x := range f.Findings {
		fmt.Fprintf(w, "  - %s\n", x.Text)
	}
	for _, fix := range f.Fixes {
		fmt.Fprintf(w, "  fix: %s\n", fix)
	}
}

package main

import (
	"bytes"
	"context"
	"embed"
	"html/template"
	"os"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/scan"
	"github.com/clasp-tls/clasp/trace"
)

// clasp scan --html FILE: one self-contained page (inline style and SVG,
// nothing fetched) with each target's findings, versions, suites, chains,
// client simulation and profiles, and the handshake of a clasp client as
// a sequence diagram.

//go:embed templates/scan.html
var templateFiles embed.FS

var scanPage = template.Must(template.ParseFS(templateFiles, "templates/scan.html"))

type htmlTarget struct {
	Target  string
	Error   string
	Report  *scan.Report
	Diagram template.HTML
}

// writeScanHTML writes the page for the targets' results to path.
func writeScanHTML(ctx context.Context, path string, list []scanTarget, results []scanResult, timeout time.Duration) error {
	page := struct {
		Generated string
		Targets   []htmlTarget
	}{Generated: time.Now().UTC().Format(time.RFC3339)}
	for i, t := range list {
		ht := htmlTarget{Target: t.addr, Report: results[i].report}
		if err := results[i].err; err != nil {
			ht.Error = err.Error()
		} else {
			ht.Diagram = handshakeDiagram(ctx, t.addr, results[i].report, timeout)
		}
		page.Targets = append(page.Targets, ht)
	}
	var out bytes.Buffer
	if err := scanPage.Execute(&out, page); err != nil {
		return err
	}
	return os.WriteFile(path, out.Bytes(), 0o644)
}

// handshakeDiagram is the SVG sequence diagram of one clasp client
// handshake with the server (clasp's defaults, the certificate not
// checked: the report judges it); empty when the handshake cannot be
// drawn. The SVG is clasp's own rendering, safe to inline.
func handshakeDiagram(ctx context.Context, addr string, rep *scan.Report, timeout time.Duration) template.HTML {
	diagram := trace.NewDiagramTracer(nil)
	cfg := &clasp.Config{ServerName: rep.ServerName, InsecureSkipVerify: true, Tracer: diagram}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	raw, err := dialStartTLS(ctx, addr, rep.StartTLS, rep.ServerName)
	if err != nil {
		return ""
	}
	conn := clasp.Client(raw, cfg)
	_ = conn.HandshakeContext(ctx)
	conn.Close()
	var svg bytes.Buffer
	if err := diagram.WriteSVG(&svg); err != nil {
		return ""
	}
	return template.HTML(svg.String()) //nolint:gosec // rendered by trace, not taken from the server
}

package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/spf13/pflag"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/diagnose"
	"github.com/clasp-tls/clasp/trace"
)

// Trace kinds for --trace.
const (
	traceNone    = "none"
	traceState   = "state"
	traceMsg     = "msg"
	traceStory   = "story"
	traceJSON    = "json"
	traceDiagram = "diagram"
)

var traceKinds = []string{traceState, traceMsg, traceStory, traceJSON, traceDiagram}

// keyLogEnv is the variable browsers, curl and OpenSSL read for the same
// purpose, so that one setting covers every tool in a debugging session.
const keyLogEnv = "SSLKEYLOGFILE"

// traceOptions are the observation flags every subcommand shares: how to
// show the handshake, in which language, where to draw it, and where to
// write session keys for Wireshark.
type traceOptions struct {
	kind       string
	lang       string
	diagramOut string
	keyLog     string
}

func (o *traceOptions) registerTracing(flags *pflag.FlagSet, defaultKind string) {
	flags.StringVar(&o.kind, "trace", defaultKind, "show the handshake as it runs: "+strings.Join(traceKinds, ", ")+
		" (state: like openssl -state; msg: every message decoded with a hex dump; story: told step by step; json: one object per event; diagram: a sequence diagram)")
	flags.StringVar(&o.lang, "lang", "en", "language of --trace=story and of the diagnosis texts: "+strings.Join(trace.Languages(), ", "))
	flags.StringVar(&o.diagramOut, "diagram-out", "", "also write the handshake's sequence diagram to FILE: Mermaid for .mmd, SVG for .svg")
	flags.StringVar(&o.keyLog, "keylog", "", "append the session keys to FILE in the NSS key log format, for Wireshark (default: $"+keyLogEnv+" when set)")
}

// check validates the flags before anything is attempted.
func (o *traceOptions) check() error {
	if o.kind != "" && o.kind != traceNone && !slices.Contains(traceKinds, o.kind) {
		return usageErrorf("--trace %q: want one of %s", o.kind, strings.Join(traceKinds, ", "))
	}
	if !slices.Contains(trace.Languages(), o.lang) {
		return usageErrorf("--lang %q: want one of %s", o.lang, strings.Join(trace.Languages(), ", "))
	}
	if o.diagramOut != "" {
		switch strings.ToLower(filepath.Ext(o.diagramOut)) {
		case ".mmd", ".svg":
		default:
			return usageErrorf("--diagram-out %q: the name must end in .mmd (Mermaid) or .svg", o.diagramOut)
		}
	}
	return nil
}

// newTracer builds the renderer chosen with --trace, writing to w; nil for
// none.
func (o *traceOptions) newTracer(w io.Writer) (trace.Tracer, error) {
	switch o.kind {
	case traceState:
		return trace.NewStateTracer(w), nil
	case traceMsg:
		return trace.NewMessageTracer(w), nil
	case traceStory:
		return trace.NewStoryTracer(w, o.lang)
	case traceJSON:
		return trace.NewJSONTracer(w), nil
	case traceDiagram:
		return trace.NewDiagramTracer(w), nil
	}
	return nil, nil
}

// observation is the tracing of one connection (or, in the demo, of both
// ends of one): the renderer, the diagram recorded for --diagram-out.
type observation struct {
	tracer  trace.Tracer
	diagram *trace.DiagramTracer
	file    string
	// recorder keeps what a diagnosis of a failed handshake needs.
	recorder *diagnose.Recorder
}

// observe sets up the tracing of one connection, writing to w. file is
// where its diagram goes (the --diagram-out name, or a per-connection
// variant of it).
func (o *traceOptions) observe(w io.Writer, file string) (*observation, error) {
	obs := &observation{file: file}
	renderer, err := o.newTracer(w)
	if err != nil {
		return nil, err
	}
	if file != "" {
		if d, ok := renderer.(*trace.DiagramTracer); ok {
			obs.diagram = d // the terminal ladder records the same exchange
		} else {
			obs.diagram = trace.NewDiagramTracer(nil)
		}
	}
	var diagram trace.Tracer
	if obs.diagram != nil && obs.diagram != renderer {
		diagram = obs.diagram
	}
	obs.tracer = trace.Tee(renderer, diagram)
	return obs, nil
}

// recorderOrNil is the connection's diagnosis recorder, if any.
func (obs *observation) recorderOrNil() *diagnose.Recorder {
	if obs == nil {
		return nil
	}
	return obs.recorder
}

// finish writes the diagram file, if one was asked for.
func (obs *observation) finish() error {
	if obs == nil || obs.diagram == nil {
		return nil
	}
	var buf bytes.Buffer
	var err error
	if strings.EqualFold(filepath.Ext(obs.file), ".svg") {
		err = obs.diagram.WriteSVG(&buf)
	} else {
		err = obs.diagram.WriteMermaid(&buf)
	}
	if err != nil {
		return err
	}
	if err := os.WriteFile(obs.file, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("--diagram-out: %w", err)
	}
	return nil
}

// numberedFile turns "hs.svg" into "hs-3.svg", one diagram per connection
// of a server.
func numberedFile(name string, n int64) string {
	ext := filepath.Ext(name)
	return fmt.Sprintf("%s-%d%s", strings.TrimSuffix(name, ext), n, ext)
}

// openKeyLog opens the key log named by --keylog or SSLKEYLOGFILE, for
// appending (other tools may share the file) and readable by the owner
// only (it decrypts every connection it lists). It prints a warning line,
// because writing session keys defeats the security of the connection. It
// returns nil when neither is set.
func (o *traceOptions) openKeyLog(stderr io.Writer) (*keyLogFile, error) {
	path, source := o.keyLog, "--keylog"
	if path == "" {
		path, source = os.Getenv(keyLogEnv), keyLogEnv
	}
	if path == "" {
		return nil, nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	printWarnings(stderr, []string{fmt.Sprintf("writing TLS session keys to %s (%s): anyone who can read it can decrypt these connections", path, source)})
	return &keyLogFile{f: f}, nil
}

// keyLogFile serialises writes from concurrent connections so that each
// key log line stays whole.
type keyLogFile struct {
	mu sync.Mutex
	f  *os.File
}

func (k *keyLogFile) Write(p []byte) (int, error) {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.f.Write(p)
}

func (k *keyLogFile) Close() error {
	if k == nil {
		return nil
	}
	return k.f.Close()
}

// apply sets cfg's KeyLogWriter when a key log is open.
func (k *keyLogFile) apply(cfg *clasp.Config) {
	if k != nil {
		cfg.KeyLogWriter = k
	}
}

// linePrefixer prefixes every line written through it, and writes whole
// lines only, under a lock shared by all prefixers of one output: the
// traces of a server's concurrent connections then interleave by line,
// each line saying which connection it belongs to.
type linePrefixer struct {
	mu     *sync.Mutex
	w      io.Writer
	prefix string
	buf    []byte
}

func (p *linePrefixer) Write(b []byte) (int, error) {
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		p.mu.Lock()
		_, err := fmt.Fprintf(p.w, "%s%s\n", p.prefix, p.buf[:i])
		p.mu.Unlock()
		p.buf = p.buf[i+1:]
		if err != nil {
			return len(b), err
		}
	}
}

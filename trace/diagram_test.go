package trace_test

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/trace"
)

// wireItems counts the messages and alerts a diagram must draw: in a
// single-side view every one of them (sent or received); in the merged view
// each once, which is once per sent event, since every message that arrives
// was sent by the other side of the same stream.
func wireItems(events []trace.Event, v view) int {
	n := 0
	for _, e := range events {
		var dir trace.Direction
		switch e := e.(type) {
		case *trace.Message:
			dir = e.Direction
		case *trace.Alert:
			dir = e.Direction
		default:
			continue
		}
		if v != viewBoth || dir == trace.Sent {
			n++
		}
	}
	return n
}

func diagramFor(t *testing.T, events []trace.Event) *trace.DiagramTracer {
	d := trace.NewDiagramTracer(nil)
	replay(d, events)
	return d
}

func TestSVGIsWellFormedWithOneArrowPerMessage(t *testing.T) {
	for _, sc := range scenarios {
		rec := recordingFor(t, sc)
		for _, v := range viewsOf(sc) {
			events := rec.events(t, v)
			var out bytes.Buffer
			if err := diagramFor(t, events).WriteSVG(&out); err != nil {
				t.Fatal(err)
			}
			arrows, err := countSVGArrows(&out)
			if err != nil {
				t.Errorf("%s/%s: SVG is not well-formed XML: %v", sc.name, v, err)
				continue
			}
			if want := wireItems(events, v); arrows != want {
				t.Errorf("%s/%s: %d arrows for %d messages", sc.name, v, arrows, want)
			}
		}
	}
}

// countSVGArrows decodes the whole document with encoding/xml and counts
// the elements drawn with the arrow-head marker.
func countSVGArrows(r io.Reader) (int, error) {
	dec := xml.NewDecoder(r)
	arrows, depth, root := 0, 0, ""
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				root = tok.Name.Local
			}
			depth++
			for _, a := range tok.Attr {
				if a.Name.Local == "marker-end" && a.Value == "url(#head)" {
					arrows++
				}
			}
		case xml.EndElement:
			depth--
		}
	}
	if root != "svg" || depth != 0 {
		return 0, fmt.Errorf("root element %q, depth %d at the end", root, depth)
	}
	return arrows, nil
}

// The subset of Mermaid's sequenceDiagram syntax the renderer emits.
var (
	mermaidParticipant = regexp.MustCompile(`^participant (Client|Server)$`)
	mermaidArrow       = regexp.MustCompile(`^(Client|Server)->>(Client|Server): ([^;#\n]+)$`)
	mermaidNote        = regexp.MustCompile(`^Note over (Client|Server): ([^;#\n]+)$`)
	mermaidComment     = regexp.MustCompile(`^%%.*$`)
)

// parseMermaid is a strict parser for that subset: the header, then only
// participant lines (before anything else), arrows between the two
// participants, notes and comments. It returns the number of arrows.
func parseMermaid(src string) (int, error) {
	sc := bufio.NewScanner(strings.NewReader(src))
	if !sc.Scan() || sc.Text() != "sequenceDiagram" {
		return 0, fmt.Errorf("first line is not sequenceDiagram")
	}
	participants := map[string]bool{}
	arrows, line := 0, 1
	for sc.Scan() {
		line++
		text := strings.TrimSpace(sc.Text())
		switch {
		case text == "":
		case mermaidParticipant.MatchString(text):
			if arrows > 0 {
				return 0, fmt.Errorf("line %d: participant after the first arrow", line)
			}
			participants[mermaidParticipant.FindStringSubmatch(text)[1]] = true
		case mermaidArrow.MatchString(text):
			m := mermaidArrow.FindStringSubmatch(text)
			if m[1] == m[2] || !participants[m[1]] || !participants[m[2]] {
				return 0, fmt.Errorf("line %d: arrow between undeclared or identical participants: %s", line, text)
			}
			arrows++
		case mermaidNote.MatchString(text):
			if !participants[mermaidNote.FindStringSubmatch(text)[1]] {
				return 0, fmt.Errorf("line %d: note over an undeclared participant", line)
			}
		case mermaidComment.MatchString(text):
		default:
			return 0, fmt.Errorf("line %d: not in the emitted subset: %q", line, text)
		}
	}
	if len(participants) != 2 {
		return 0, fmt.Errorf("want participants Client and Server, have %v", participants)
	}
	return arrows, nil
}

func TestMermaidParsesWithOneArrowPerMessage(t *testing.T) {
	for _, sc := range scenarios {
		rec := recordingFor(t, sc)
		for _, v := range viewsOf(sc) {
			events := rec.events(t, v)
			var out bytes.Buffer
			if err := diagramFor(t, events).WriteMermaid(&out); err != nil {
				t.Fatal(err)
			}
			arrows, err := parseMermaid(out.String())
			if err != nil {
				t.Errorf("%s/%s: %v\n%s", sc.name, v, err, out.String())
				continue
			}
			if want := wireItems(events, v); arrows != want {
				t.Errorf("%s/%s: %d arrows for %d messages", sc.name, v, arrows, want)
			}
		}
	}
}

func TestMermaidParserRejectsWhatMermaidWould(t *testing.T) {
	for _, bad := range []string{
		"graph TD\n",
		"sequenceDiagram\n    participant Client\n    participant Server\n    Client->>Client: x\n",
		"sequenceDiagram\n    participant Client\n    participant Server\n    Client->>>Server: x\n",
		"sequenceDiagram\n    participant Client\n    Client->>Server: x\n",
	} {
		if _, err := parseMermaid(bad); err == nil {
			t.Errorf("parser accepts %q", bad)
		}
	}
}

// mermaidVersion pins the Mermaid release whose parser checks the output.
const mermaidVersion = "11.17.2"

// TestMermaidOfficialParserAcceptsOutput runs Mermaid's own parser
// (mermaid.parse, which works in node without a browser) over every
// scenario's diagram. It needs node and npm; the mermaid package is
// installed once into the user cache directory. As with the interop peers,
// a missing node or npm skips the test locally and fails it under CI=true.
func TestMermaidOfficialParserAcceptsOutput(t *testing.T) {
	if testing.Short() {
		t.Skip("installs and runs mermaid under node")
	}
	peertest.Require(t, "node", "npm")
	dir := mermaidInstall(t)
	var files []string
	for _, sc := range scenarios {
		rec := recordingFor(t, sc)
		for _, v := range viewsOf(sc) {
			var out bytes.Buffer
			if err := diagramFor(t, rec.events(t, v)).WriteMermaid(&out); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(t.TempDir(), sc.name+"-"+string(v)+".mmd")
			if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
				t.Fatal(err)
			}
			files = append(files, path)
		}
	}
	script := `import mermaid from 'mermaid';
import { readFileSync } from 'node:fs';
let failed = 0;
for (const f of process.argv.slice(2)) {
  try {
    const r = await mermaid.parse(readFileSync(f, 'utf8'));
    if (r.diagramType !== 'sequence') { console.log(f + ': diagram type ' + r.diagramType); failed++; }
  } catch (e) { console.log(f + ': ' + e); failed++; }
}
process.exit(failed ? 1 : 0);
`
	scriptPath := filepath.Join(dir, "check.mjs")
	if err := os.WriteFile(scriptPath, []byte(script), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("node", append([]string{scriptPath}, files...)...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("mermaid.parse rejects the output: %v\n%s", err, out)
	}
}

// mermaidInstall returns a directory where `import 'mermaid'` resolves,
// installing the pinned version there on first use.
func mermaidInstall(t *testing.T) string {
	t.Helper()
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "clasp-test", "mermaid-"+mermaidVersion)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "mermaid", "package.json")); err == nil {
		return dir
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("npm", "install", "--silent", "--no-audit", "--no-fund", "--prefix", dir, "mermaid@"+mermaidVersion)
	if out, err := cmd.CombinedOutput(); err != nil {
		msg := fmt.Sprintf("npm install mermaid@%s: %v\n%s", mermaidVersion, err, out)
		if peertest.InCI() {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return dir
}

package trace

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// DiagramTracer draws the exchange as a sequence diagram: a two-lane ladder
// written to a terminal as the handshake runs, and, once it is over,
// Mermaid or SVG files of the same exchange.
//
// It accepts one side's events (both directions of every message are
// there, as sent or received) or both sides' events in one stream, where it
// draws each message once, from its sender's event. It may be called from
// both sides at once.
type DiagramTracer struct {
	mu     sync.Mutex
	ladder io.Writer // nil: record only
	clock  clock
	pairs  pairing
	items  []diagramItem
	flight int
	last   Side // sender of the previous arrow, for flight boundaries
	header bool
	vers   versions
}

// diagramItem is one row of the diagram: an arrow for a message or alert,
// a note for a key change or the outcome, or the start of a flight.
type diagramItem struct {
	kind      diagramKind
	from      Side // the arrow's sender, or the side a note is about
	label     string
	protected bool
	at        time.Duration
	flight    int
}

type diagramKind uint8

const (
	diagramArrow diagramKind = iota + 1
	diagramNote
	diagramFlight
)

// NewDiagramTracer returns a DiagramTracer that writes the terminal ladder
// to ladder as events arrive (nil writes nothing and only records, for
// WriteMermaid and WriteSVG).
func NewDiagramTracer(ladder io.Writer) *DiagramTracer {
	return &DiagramTracer{ladder: ladder}
}

// Trace records an event and draws its row of the ladder.
func (d *DiagramTracer) Trace(e Event) {
	d.mu.Lock()
	defer d.mu.Unlock()
	h := e.Common()
	at := d.clock.offset(h.Time)
	switch e := e.(type) {
	case *Message:
		d.vers.observe(e)
		it := messageItem(e, 0)
		if !d.isNew(it, e.Direction) {
			return
		}
		name := messageName(e)
		switch {
		case isHRR(e.Parsed):
			// A ServerHello on the wire, but a request to start over.
			name = "HelloRetryRequest"
		case d.vers.isCompatCCS(e):
			name = "ChangeCipherSpec (compat)"
		}
		label := fmt.Sprintf("%s (%d B)", name, e.Length)
		d.arrow(diagramItem{kind: diagramArrow, from: it.from, label: label, protected: d.vers.epoch(e) > 0, at: at})
	case *Alert:
		it := alertItem(e, 0)
		if !d.isNew(it, e.Direction) {
			return
		}
		d.arrow(diagramItem{kind: diagramArrow, from: it.from, label: fmt.Sprintf("Alert %s %s", alertLevelName(e.Level), e.Name),
			protected: e.Epoch > 0, at: at})
	case *Keys:
		verb := "encrypts what it sends"
		if e.Direction == Received {
			verb = "decrypts what it receives"
		}
		label := fmt.Sprintf("%s %s (epoch %d)", h.Side, verb, e.Epoch)
		if d.vers.is13(h.Side) {
			// Short enough for the ladder's lane.
			verb = "encrypts"
			if e.Direction == Received {
				verb = "decrypts"
			}
			label = fmt.Sprintf("%s %s: %s (epoch %d)", h.Side, verb, tls13KeysName(e.Epoch), e.Epoch)
		}
		d.note(diagramItem{kind: diagramNote, from: h.Side, at: at, label: label})
	case *Done:
		label := fmt.Sprintf("%s: handshake done, %s", h.Side, e.Version)
		if e.HelloRetryRequest {
			label += ", after HRR"
		}
		if e.Resumed {
			label += ", resumed"
		}
		d.note(diagramItem{kind: diagramNote, from: h.Side, at: at, label: label})
	case *Failed:
		d.note(diagramItem{kind: diagramNote, from: h.Side, at: at,
			label: fmt.Sprintf("%s: handshake FAILED", h.Side)})
	}
}

// tls13KeysName names what a TLS 1.3 epoch's keys are derived from: the
// handshake traffic secrets protect epoch 1, the application traffic
// secrets epoch 2, and each KeyUpdate moves one side on by one.
func tls13KeysName(epoch int) string {
	switch {
	case epoch == 1:
		return "handshake keys"
	case epoch == 2:
		return "application keys"
	}
	return fmt.Sprintf("keys after KeyUpdate %d", epoch-2)
}

// isNew reports whether a message or alert is seen for the first time.
func (d *DiagramTracer) isNew(it wireItem, dir Direction) bool {
	if dir == Sent {
		d.pairs.sent(it)
		return true
	}
	_, dup := d.pairs.received(it)
	return !dup
}

func (d *DiagramTracer) arrow(it diagramItem) {
	if d.flight == 0 || it.from != d.last {
		// A flight is what one side sends before it waits for the other.
		d.flight++
		d.last = it.from
		d.add(diagramItem{kind: diagramFlight, flight: d.flight, at: it.at})
	}
	it.flight = d.flight
	d.add(it)
}

func (d *DiagramTracer) note(it diagramItem) {
	it.flight = d.flight
	d.add(it)
}

func (d *DiagramTracer) add(it diagramItem) {
	d.items = append(d.items, it)
	if d.ladder == nil {
		return
	}
	if !d.header {
		d.header = true
		writeLadderHeader(d.ladder)
	}
	writeLadderRow(d.ladder, it)
}

// The ladder's geometry: a time column, then the two lanes ladderWidth
// columns apart.
const (
	ladderTime  = 12
	ladderWidth = 56
)

func pad(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}

// writeLadderHeader centres each name over its lane.
func writeLadderHeader(w io.Writer) {
	fmt.Fprintf(w, "%sClient%sServer\n", strings.Repeat(" ", ladderTime), strings.Repeat(" ", ladderWidth-len("Client")-1))
	fmt.Fprintf(w, "%s   │%s│\n", strings.Repeat(" ", ladderTime), strings.Repeat(" ", ladderWidth-2))
}

func writeLadderRow(w io.Writer, it diagramItem) {
	inner := ladderWidth - 2
	lead := strings.Repeat(" ", ladderTime) + "   "
	switch it.kind {
	case diagramFlight:
		label := fmt.Sprintf(" flight %d ", it.flight)
		left := (inner - len(label)) / 2
		fmt.Fprintf(w, "%s┆%s%s%s┆\n", lead, strings.Repeat("┄", left), label, strings.Repeat("┄", inner-left-len(label)))
	case diagramArrow:
		label := it.label
		if it.protected {
			label += " [enc]"
		}
		fill := max(inner-utf8.RuneCountInString(label)-4, 1)
		var body string
		if it.from == Client {
			body = "─ " + label + " " + strings.Repeat("─", fill) + "▶"
		} else {
			body = "◀" + strings.Repeat("─", fill) + " " + label + " ─"
		}
		fmt.Fprintf(w, "%s   │%s│\n", pad(milliseconds(it.at), ladderTime), body)
	case diagramNote:
		text := "· " + it.label
		if it.from == Server {
			text = strings.Repeat(" ", max(inner-utf8.RuneCountInString(text)-1, 0)) + text
		}
		fmt.Fprintf(w, "%s│%s│\n", lead, pad(" "+text, inner))
	}
}

// WriteMermaid writes the exchange recorded so far as a Mermaid sequence
// diagram: participants Client and Server, one "->>" arrow per message,
// "Note over" for key changes and the outcome, a comment per flight.
func (d *DiagramTracer) WriteMermaid(w io.Writer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "sequenceDiagram")
	fmt.Fprintln(bw, "    participant Client")
	fmt.Fprintln(bw, "    participant Server")
	for _, it := range d.items {
		switch it.kind {
		case diagramFlight:
			fmt.Fprintf(bw, "    %%%% flight %d\n", it.flight)
		case diagramArrow:
			label := it.label
			if it.protected {
				label += " [enc]"
			}
			fmt.Fprintf(bw, "    %s->>%s: %s %s\n", mermaidName(it.from), mermaidName(it.from.Peer()), mermaidText(label), milliseconds(it.at))
		case diagramNote:
			fmt.Fprintf(bw, "    Note over %s: %s\n", mermaidName(it.from), mermaidText(it.label))
		}
	}
	return bw.Flush()
}

func mermaidName(s Side) string {
	if s == Client {
		return "Client"
	}
	return "Server"
}

// mermaidText keeps a label to what a Mermaid message may hold: ";" and
// "#" start statements and entity codes, and a newline ends the message.
func mermaidText(s string) string {
	return strings.NewReplacer(";", ",", "#", "no.", "\n", " ").Replace(s)
}

// SVG geometry.
const (
	svgWidth   = 720
	svgClientX = 170
	svgServerX = 650
	svgRow     = 30
	svgTop     = 70
)

// WriteSVG writes the exchange recorded so far as a standalone SVG
// sequence diagram: two lifelines, one <line class="arrow"> with an arrow
// marker per message, notes for key changes and the outcome, dashed
// separators between flights, and each message's time on the left.
func (d *DiagramTracer) WriteSVG(w io.Writer) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	bw := bufio.NewWriter(w)
	height := svgTop + svgRow*len(d.items) + 30
	fmt.Fprintf(bw, `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="monospace" font-size="12">
<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="8" markerHeight="8" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#222"/></marker></defs>
<style>.lifeline{stroke:#888;stroke-width:1}.arrow{stroke:#222;stroke-width:1.5}.arrow.enc{stroke:#1a5fb4}.flight{stroke:#bbb;stroke-dasharray:4 4}.note{fill:#fff7d6;stroke:#c9a227}.time{fill:#666}</style>
<rect width="100%%" height="100%%" fill="#fff"/>
`, svgWidth, height, svgWidth, height)
	fmt.Fprintf(bw, `<text x="%d" y="30" text-anchor="middle" font-size="14" font-weight="bold">Client</text>`+"\n", svgClientX)
	fmt.Fprintf(bw, `<text x="%d" y="30" text-anchor="middle" font-size="14" font-weight="bold">Server</text>`+"\n", svgServerX)
	for _, x := range []int{svgClientX, svgServerX} {
		fmt.Fprintf(bw, `<path class="lifeline" d="M%d,40 V%d"/>`+"\n", x, height-10)
	}
	for i, it := range d.items {
		y := svgTop + svgRow*i
		switch it.kind {
		case diagramFlight:
			fmt.Fprintf(bw, `<path class="flight" d="M%d,%d H%d"/><text x="%d" y="%d" text-anchor="middle" class="time">%s</text>`+"\n",
				svgClientX, y, svgServerX, (svgClientX+svgServerX)/2, y-4, xmlText(fmt.Sprintf("flight %d", it.flight)))
		case diagramArrow:
			x1, x2 := svgClientX, svgServerX
			if it.from == Server {
				x1, x2 = x2, x1
			}
			class, label := "arrow", it.label
			if it.protected {
				class, label = "arrow enc", label+" [enc]"
			}
			fmt.Fprintf(bw, `<text x="10" y="%d" class="time">%s</text>`+"\n", y+4, xmlText(milliseconds(it.at)))
			fmt.Fprintf(bw, `<line class="%s" x1="%d" y1="%d" x2="%d" y2="%d" marker-end="url(#head)"/>`+"\n", class, x1, y+8, x2, y+8)
			fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="middle">%s</text>`+"\n", (svgClientX+svgServerX)/2, y+3, xmlText(label))
		case diagramNote:
			x, anchor := svgClientX+6, "start"
			if it.from == Server {
				x, anchor = svgServerX-6, "end"
			}
			fmt.Fprintf(bw, `<text x="%d" y="%d" text-anchor="%s" font-style="italic">%s</text>`+"\n", x, y+8, anchor, xmlText(it.label))
		}
	}
	fmt.Fprintln(bw, "</svg>")
	return bw.Flush()
}

// xmlText escapes s for XML character data with encoding/xml's own rules.
func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

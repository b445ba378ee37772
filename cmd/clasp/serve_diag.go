package main

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/clasp-tls/clasp/diagnose"
)

// explainEvery is how often serve's log repeats the full why/fix block of
// one cause: a port scanner or a health check that fails the same way
// every second gets one block a minute, and one line per connection.
const explainEvery = time.Minute

// causeLimiter decides when the full explanation of a failed handshake is
// logged: the first time a cause is seen, then at most once per period.
type causeLimiter struct {
	period time.Duration
	always bool // --verbose

	mu         sync.Mutex
	last       map[diagnose.Cause]time.Time
	suppressed map[diagnose.Cause]int
}

func newCauseLimiter(period time.Duration, always bool) *causeLimiter {
	return &causeLimiter{period: period, always: always,
		last: map[diagnose.Cause]time.Time{}, suppressed: map[diagnose.Cause]int{}}
}

// explain reports whether the block of cause is due at now, and how many
// blocks of it were left out since the last one.
func (l *causeLimiter) explain(cause diagnose.Cause, now time.Time) (due bool, leftOut int) {
	if l.always {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, seen := l.last[cause]; seen && now.Sub(last) < l.period {
		l.suppressed[cause]++
		return false, 0
	}
	l.last[cause] = now
	leftOut = l.suppressed[cause]
	l.suppressed[cause] = 0
	return true, leftOut
}

// logHandshakeFailure writes the one line of a failed handshake (the short
// cause, the error, the cause code) and, when due, the why/fix block. The
// entry goes out in one write, so that a block never lands apart from its
// line, between the lines of other connections failing at the same time.
func (s *server) logHandshakeFailure(peer string, err error, d *diagnose.Diagnosis) {
	if d == nil {
		s.logger.Printf("%s %s handshake failed: %s", timestamp(), peer, oneLine(err.Error()))
		return
	}
	var entry strings.Builder
	fmt.Fprintf(&entry, "%s %s handshake failed: %s (%s) [%s]\n", timestamp(), peer, oneLine(d.Summary), oneLine(err.Error()), d.Cause)
	if due, leftOut := s.causes.explain(d.Cause, time.Now()); due {
		if leftOut > 0 {
			fmt.Fprintf(&entry, "%s %s %s\n", timestamp(), peer, diagnose.SuppressedNote(s.opts.lang, leftOut, d.Cause))
		}
		entry.WriteString(indent(d.Text(), peer+" "))
	}
	s.logger.Print(entry.String())
}

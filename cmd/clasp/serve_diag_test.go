package main

import (
	"testing"
	"time"

	"github.com/clasp-tls/clasp/diagnose"
)

// The end of the window: a cause explained once stays quiet for the rest of
// its minute, is explained again when the minute is over, and then says
// how many explanations it left out; another cause has its own window, and
// --verbose explains every time.
func TestCauseLimiterExplainsOncePerWindow(t *testing.T) {
	l := newCauseLimiter(explainEvery, false)
	start := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	steps := []struct {
		cause   diagnose.Cause
		at      time.Duration
		due     bool
		leftOut int
	}{
		{diagnose.CauseNoCommonVersion, 0, true, 0},
		{diagnose.CauseNoCommonVersion, 10 * time.Second, false, 0},
		{diagnose.CauseNoCommonCipherSuite, 20 * time.Second, true, 0},
		{diagnose.CauseNoCommonVersion, explainEvery - time.Millisecond, false, 0},
		{diagnose.CauseNoCommonVersion, explainEvery, true, 2},
		{diagnose.CauseNoCommonVersion, explainEvery + time.Second, false, 0},
		{diagnose.CauseNoCommonCipherSuite, explainEvery + 20*time.Second, true, 0},
		{diagnose.CauseNoCommonVersion, 2*explainEvery + time.Second, true, 1},
	}
	for i, s := range steps {
		due, leftOut := l.explain(s.cause, start.Add(s.at))
		if due != s.due || leftOut != s.leftOut {
			t.Errorf("step %d (%s at +%v): due %v, left out %d; want %v, %d", i, s.cause, s.at, due, leftOut, s.due, s.leftOut)
		}
	}
	verbose := newCauseLimiter(explainEvery, true)
	for i := range 3 {
		if due, _ := verbose.explain(diagnose.CauseTimeout, start.Add(time.Duration(i)*time.Second)); !due {
			t.Errorf("--verbose: explanation %d not due", i)
		}
	}
}

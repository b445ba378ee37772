//go:build unix

package bench

import (
	"syscall"
	"time"
)

// processCPUTime is the user plus system CPU time the process has used so
// far: both sides of a connection, the garbage collector and the runtime.
func processCPUTime() (time.Duration, bool) {
	var usage syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &usage); err != nil {
		return 0, false
	}
	return time.Duration(usage.Utime.Nano() + usage.Stime.Nano()), true
}

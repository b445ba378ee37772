//go:build unix

package loadgen

import (
	"fmt"
	"syscall"
)

// RaiseOpenFileLimit raises this process's soft limit on open files to at
// least n. Go already raises it to the hard limit at start; this says so
// plainly when the hard limit is too low for the load.
func RaiseOpenFileLimit(n uint64) error {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return err
	}
	if lim.Cur >= n {
		return nil
	}
	if lim.Max < n {
		return fmt.Errorf("the open-file limit is %d (hard %d), and the load needs %d: raise it (ulimit -n) first", lim.Cur, lim.Max, n)
	}
	lim.Cur = n
	return syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim)
}

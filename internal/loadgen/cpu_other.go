//go:build !unix

package loadgen

import "time"

// processCPU is unknown where there is no getrusage.
func processCPU() (time.Duration, bool) { return 0, false }

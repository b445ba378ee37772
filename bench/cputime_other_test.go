//go:build !unix

package bench

import "time"

// processCPUTime is unavailable here; benchmarks then report wall time only.
func processCPUTime() (time.Duration, bool) { return 0, false }

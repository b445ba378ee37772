//go:build !unix

package loadgen

// RaiseOpenFileLimit does nothing where there is no RLIMIT_NOFILE.
func RaiseOpenFileLimit(n uint64) error { return nil }

// Package bench runs the same TLS 1.2 and TLS 1.3 scenarios on clasp and
// on crypto/tls in one benchmark run, so that the ratio between the two
// stacks means something even on a noisy machine. All code lives in
// _test.go files; see README.md for how to run it and what each benchmark
// measures.
package bench

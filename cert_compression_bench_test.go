//go:build unix

package clasp

import (
	"syscall"
	"testing"
	"time"
)

// BenchmarkHandshake13CompressedCertificate is a whole TLS 1.3 handshake,
// both sides in process, whose client offers brotli. Besides ns/op it
// reports cpu-ns/op, the process's CPU time per handshake, which a shared
// machine disturbs far less than wall time.
func BenchmarkHandshake13CompressedCertificate(b *testing.B) {
	server := testServerConfig13(b)
	client := testClientConfig13(b)
	client.CertificateCompression = []uint16{CertCompressionBrotli}
	b.ReportAllocs()
	start := processCPU()
	for b.Loop() {
		testHandshake(b, client, server).mustSucceed(b)
	}
	b.ReportMetric(float64(processCPU()-start)/float64(b.N), "cpu-ns/op")
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package bench

import (
	"net"
	"runtime"
	"testing"

	"github.com/clasp-tls/clasp/internal/peertest"
)

// idleConnections is how many connections BenchmarkIdleConnections holds
// at once.
const idleConnections = 1000

// BenchmarkIdleConnections measures the heap that connections hold once
// their handshake is done and nothing is sent: each iteration opens
// idleConnections pairs over net.Pipe, completes their handshakes, and
// reports the live heap they hold (after a GC, minus the live heap
// before) per pair, client and server together, as heap-B/conn. With
// server=reading a goroutine on each server side is blocked in Read, as a
// server waiting for a request is; with server=idle nobody reads. Goroutine
// stacks are not heap and are not counted; net.Pipe's own state is the same
// for both stacks. Run it with -benchtime 1x: one iteration is a thousand
// handshakes.
func BenchmarkIdleConnections(b *testing.B) {
	pki := peertest.NewPKI(b)
	for _, sc := range []scenario{tls13Scenarios[0], handshakeScenarios[0]} {
		b.Run(sc.name, func(b *testing.B) {
			for _, reading := range []string{"idle", "reading"} {
				b.Run("server="+reading, func(b *testing.B) {
					for _, st := range sc.stacks(pki) {
						b.Run(st.name, func(b *testing.B) { benchmarkIdle(b, st, reading == "reading") })
					}
				})
			}
		})
	}
}

func benchmarkIdle(b *testing.B, st stack, reading bool) {
	var total float64
	for b.Loop() {
		total += idleHeapPerConn(b, st, reading)
	}
	b.ReportMetric(total/float64(b.N), "heap-B/conn")
}

// idleHeapPerConn opens idleConnections connection pairs, returns the live
// heap each pair holds, and closes them.
func idleHeapPerConn(b *testing.B, st stack, reading bool) float64 {
	before := liveHeap()
	type pair struct {
		clientRaw, serverRaw net.Conn
		client, server       endpoint
	}
	pairs := make([]pair, idleConnections)
	readersDone := make(chan struct{}, idleConnections)
	for i := range pairs {
		p := &pairs[i]
		p.clientRaw, p.serverRaw = net.Pipe()
		var err error
		if p.client, p.server, err = handshake(st, p.clientRaw, p.serverRaw); err != nil {
			b.Fatal(err)
		}
		if reading {
			go func(server endpoint) {
				var buf [1]byte
				_, _ = server.Read(buf[:]) // returns when the pipe closes
				readersDone <- struct{}{}
			}(p.server)
		}
	}
	if reading {
		// Let every reader reach its blocking read before measuring.
		for range 10 {
			runtime.Gosched()
		}
	}
	held := float64(liveHeap()-before) / idleConnections
	for i := range pairs {
		pairs[i].clientRaw.Close()
		pairs[i].serverRaw.Close()
	}
	if reading {
		for range pairs {
			<-readersDone
		}
	}
	runtime.KeepAlive(pairs)
	return held
}

// liveHeap is the heap in use by live objects, after a collection.
func liveHeap() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

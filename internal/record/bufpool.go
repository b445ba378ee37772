package record

import "sync"

// Record buffers come from process-wide pools and go back to them when a
// connection has nothing buffered in them: a handshake needs a few KiB of
// input and output buffer per side, but only while a flight is in transit,
// and an idle connection needs none. Without pools, every handshake
// allocated 12 KiB per side that the next handshake could have reused.
//
// A buffer is cleared before it goes back, up to the bytes that were used,
// so that no plaintext, key material or record of one connection is ever
// in memory another connection can see, even through a bug in the code
// that reads the buffer.

// outBufSize holds one largest protected record: Conn.write flushes every
// application-data record as it is written.
const outBufSize = HeaderLen + MaxCiphertext

// tinyInBufSize is the input buffer of a connection that has seen only
// small records lately (see Layer.readHint): what a server blocked in Read
// between small requests holds while it waits.
const tinyInBufSize = 1 << 10

var (
	tinyInPool   = sync.Pool{New: func() any { return new([tinyInBufSize]byte) }}
	smallInPool  = sync.Pool{New: func() any { return new([initialInBufSize]byte) }}
	largeInPool  = sync.Pool{New: func() any { return new([inBufSize]byte) }}
	smallOutPool = sync.Pool{New: func() any { return new([initialOutBufSize]byte) }}
	largeOutPool = sync.Pool{New: func() any { return new([outBufSize]byte) }}
)

// getInBuf returns a cleared input buffer of the smallest pooled size
// that holds size bytes: tinyInBufSize, initialInBufSize or inBufSize.
func getInBuf(size int) []byte {
	switch {
	case size <= tinyInBufSize:
		return tinyInPool.Get().(*[tinyInBufSize]byte)[:]
	case size <= initialInBufSize:
		return smallInPool.Get().(*[initialInBufSize]byte)[:]
	}
	return largeInPool.Get().(*[inBufSize]byte)[:]
}

// putInBuf clears buf[:used] and returns buf to its pool. A buffer of any
// other size (none is made today) is left to the garbage collector.
func putInBuf(buf []byte, used int) {
	clear(buf[:used])
	switch len(buf) {
	case tinyInBufSize:
		tinyInPool.Put((*[tinyInBufSize]byte)(buf))
	case initialInBufSize:
		smallInPool.Put((*[initialInBufSize]byte)(buf))
	case inBufSize:
		largeInPool.Put((*[inBufSize]byte)(buf))
	}
}

// getOutBuf returns an empty output buffer with room for need bytes: a
// pooled one of initialOutBufSize or outBufSize bytes, or, for a flight
// larger than that, a new one.
func getOutBuf(need int) []byte {
	switch {
	case need <= initialOutBufSize:
		return smallOutPool.Get().(*[initialOutBufSize]byte)[:0]
	case need <= outBufSize:
		return largeOutPool.Get().(*[outBufSize]byte)[:0]
	}
	return make([]byte, 0, need)
}

// putOutBuf clears buf[:used] and returns buf to its pool if it has one of
// the pooled capacities. used covers every byte written since the buffer
// left the pool: its length for the output buffer, which only grows by
// whole records (clearing a 1 KiB record's 4 KiB buffer to its capacity
// was 4 % of the CPU of a 1 KiB write and read), its capacity for the pending
// handshake bytes, which are moved to the front and leave bytes behind.
func putOutBuf(buf []byte, used int) {
	clear(buf[:used])
	switch cap(buf) {
	case initialOutBufSize:
		smallOutPool.Put((*[initialOutBufSize]byte)(buf[:initialOutBufSize]))
	case outBufSize:
		largeOutPool.Put((*[outBufSize]byte)(buf[:outBufSize]))
	}
}

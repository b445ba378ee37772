package certcompress

import (
	"bytes"
	"errors"
	"testing"
	"time"
)

func TestRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte("a certificate chain, very repetitive "), 200)
	for _, alg := range Supported {
		c, err := Compress(alg, data)
		if err != nil {
			t.Fatalf("%s: %v", Name(alg), err)
		}
		if len(c) >= len(data)/4 {
			t.Errorf("%s: %d bytes from %d; it does not compress", Name(alg), len(c), len(data))
		}
		out, err := Decompress(alg, c, len(data))
		if err != nil || !bytes.Equal(out, data) {
			t.Errorf("%s: round trip %v", Name(alg), err)
		}
	}
}

// RFC 8879 §4: a stream whose output is not the announced length is
// bad_certificate; a bomb (10 MB of zeros) announced as 1000 bytes is read
// no further than 1001 bytes.
func TestDecompressHoldsTheLength(t *testing.T) {
	bomb := make([]byte, 10<<20)
	for _, alg := range Supported {
		c, err := Compress(alg, bomb)
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		// zstd refuses it already for its window size; the others read
		// 1001 bytes and stop.
		if _, err := Decompress(alg, c, 1000); err == nil {
			t.Errorf("%s: a bomb announced as 1000 bytes decompressed", Name(alg))
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s: the bomb took %v", Name(alg), d)
		}
		short, _ := Compress(alg, []byte("short"))
		if _, err := Decompress(alg, short, 6); !errors.Is(err, ErrLength) {
			t.Errorf("%s: 5 bytes announced as 6: %v", Name(alg), err)
		}
		if _, err := Decompress(alg, []byte("not compressed at all"), 10); err == nil {
			t.Errorf("%s: garbage decompressed", Name(alg))
		}
	}
	if _, err := Decompress(9, []byte{1}, 1); err == nil {
		t.Error("an unknown algorithm decompressed")
	}
}

func FuzzDecompress(f *testing.F) {
	for _, alg := range Supported {
		c, _ := Compress(alg, []byte("seed certificate bytes"))
		f.Add(alg, c, uint16(22))
	}
	f.Fuzz(func(t *testing.T, alg uint16, data []byte, length uint16) {
		out, err := Decompress(alg, data, int(length))
		if err == nil && len(out) != int(length) {
			t.Fatalf("%d bytes for an announced %d", len(out), length)
		}
	})
}

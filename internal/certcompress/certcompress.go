// Package certcompress compresses and decompresses TLS 1.3 Certificate
// messages for RFC 8879: zlib (compress/zlib), brotli
// (github.com/andybalholm/brotli) and zstd
// (github.com/klauspost/compress/zstd). No compression code is clasp's own.
package certcompress

import (
	"bytes"
	"compress/zlib"
	"errors"
	"fmt"
	"io"

	"github.com/andybalholm/brotli"
	"github.com/klauspost/compress/zstd"
)

// Algorithms (RFC 8879 §3).
const (
	Zlib   uint16 = 1
	Brotli uint16 = 2
	Zstd   uint16 = 3
)

// Supported lists the algorithms this package implements, in clasp's order
// of preference: brotli compresses certificates best, zstd is fastest,
// zlib is everywhere.
var Supported = []uint16{Brotli, Zstd, Zlib}

// Name is the IANA name of an algorithm.
func Name(alg uint16) string {
	switch alg {
	case Zlib:
		return "zlib"
	case Brotli:
		return "brotli"
	case Zstd:
		return "zstd"
	}
	return fmt.Sprintf("algorithm(%d)", alg)
}

// Compress compresses data with alg.
func Compress(alg uint16, data []byte) ([]byte, error) {
	var buf bytes.Buffer
	var w io.WriteCloser
	switch alg {
	case Zlib:
		w = zlib.NewWriter(&buf)
	case Brotli:
		w = brotli.NewWriterLevel(&buf, brotli.DefaultCompression)
	case Zstd:
		enc, err := zstd.NewWriter(&buf, zstd.WithEncoderConcurrency(1))
		if err != nil {
			return nil, err
		}
		w = enc
	default:
		return nil, fmt.Errorf("certcompress: %s is not implemented", Name(alg))
	}
	if _, err := w.Write(data); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// ErrLength is a stream that does not decompress to exactly the length its
// sender announced (RFC 8879 §4: bad_certificate).
var ErrLength = errors.New("certcompress: the data does not decompress to the announced length")

// Decompress decompresses data, which must give exactly length bytes. It
// never reads more than length+1 bytes of output, so a decompression bomb
// costs no more memory than the announced length, which the caller has
// already bounded.
func Decompress(alg uint16, data []byte, length int) ([]byte, error) {
	var r io.Reader
	switch alg {
	case Zlib:
		zr, err := zlib.NewReader(bytes.NewReader(data))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		r = zr
	case Brotli:
		r = brotli.NewReader(bytes.NewReader(data))
	case Zstd:
		dec, err := zstd.NewReader(bytes.NewReader(data), zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(uint64(length)+1<<20))
		if err != nil {
			return nil, err
		}
		defer dec.Close()
		r = dec
	default:
		return nil, fmt.Errorf("certcompress: %s is not implemented", Name(alg))
	}
	out, err := io.ReadAll(io.LimitReader(r, int64(length)+1))
	if err != nil {
		return nil, err
	}
	if len(out) != length {
		return nil, ErrLength
	}
	return out, nil
}

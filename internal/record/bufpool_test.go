package record

import (
	"bytes"
	"errors"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// secretMarker stands for plaintext one connection must never let another
// see.
var secretMarker = bytes.Repeat([]byte("SECRET-of-connection-A!"), 40)

// TestReleasedReadBufferIsCleared reads a record carrying a secret, lets the
// layer release its input buffer, and checks that the memory handed back
// to the pool holds none of it; a second layer, which may get that very
// buffer, reads only its own record.
func TestReleasedReadBufferIsCleared(t *testing.T) {
	a := NewLayer(&loop{buf: rawRecord(23, 0x0303, secretMarker)})
	a.SetVersion(suites.VersionTLS12)
	_, payload, err := a.ReadRecord()
	if err != nil || !bytes.Equal(payload, secretMarker) {
		t.Fatalf("ReadRecord = %q, %v", payload, err)
	}
	held := a.in[:cap(a.in)]
	a.ReleaseReadBuffer()
	if a.in != nil {
		t.Fatal("the input buffer was kept although nothing was buffered")
	}
	if i := bytes.IndexFunc(held, func(r rune) bool { return r != 0 }); i >= 0 {
		t.Fatalf("released input buffer still holds %q at %d", held[i:min(i+16, len(held))], i)
	}

	other := []byte("connection B")
	b := NewLayer(&loop{buf: rawRecord(23, 0x0303, other)})
	b.SetVersion(suites.VersionTLS12)
	_, payload, err = b.ReadRecord()
	if err != nil || !bytes.Equal(payload, other) {
		t.Fatalf("second layer read %q, %v; want %q", payload, err, other)
	}
	if bytes.Contains(b.in[:cap(b.in)], secretMarker[:16]) {
		t.Fatal("the second layer's input buffer holds the first one's record")
	}
}

// TestReadBufferKeptWhileBytesAreBuffered: a release while part of the next
// record is buffered would lose it, so the buffer stays.
func TestReadBufferKeptWhileBytesAreBuffered(t *testing.T) {
	stream := append(rawRecord(23, 0x0303, []byte("one")), rawRecord(23, 0x0303, []byte("two"))...)
	l := NewLayer(&loop{buf: stream})
	l.SetVersion(suites.VersionTLS12)
	if _, p, err := l.ReadRecord(); err != nil || string(p) != "one" {
		t.Fatalf("first record %q, %v", p, err)
	}
	l.ReleaseReadBuffer()
	if l.in == nil {
		t.Fatal("buffer released with the next record in it")
	}
	if _, p, err := l.ReadRecord(); err != nil || string(p) != "two" {
		t.Fatalf("second record %q, %v", p, err)
	}
}

// TestFlushedOutputBuffersAreCleared: the output buffer and the buffer of
// handshake bytes waiting to be sealed are cleared when they go back to the
// pool, so a record or a handshake message of one connection never sits
// in memory another connection is given.
func TestFlushedOutputBuffersAreCleared(t *testing.T) {
	sink := &loop{}
	l := NewLayer(sink)
	l.SetVersion(suites.VersionTLS12)
	if err := l.WriteRecord(wire.ContentHandshake, secretMarker); err != nil {
		t.Fatal(err)
	}
	pend := l.pend[:cap(l.pend)]
	if err := l.sealPending(); err != nil {
		t.Fatal(err)
	}
	out := l.out[:cap(l.out)]
	if err := l.Flush(); err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(sink.buf, secretMarker) {
		t.Fatal("the record did not reach the connection")
	}
	for name, buf := range map[string][]byte{"pending handshake": pend, "output": out} {
		if i := bytes.IndexFunc(buf, func(r rune) bool { return r != 0 }); i >= 0 {
			t.Errorf("released %s buffer still holds %q at %d", name, buf[i:min(i+16, len(buf))], i)
		}
	}
	if l.out != nil || l.pend != nil {
		t.Error("buffers kept after Flush")
	}
}

// TestLargeRecordGrowsPooledBuffer reads a record larger than the initial
// input buffer, then a small one after a release: both come out whole.
func TestLargeRecordGrowsPooledBuffer(t *testing.T) {
	big := bytes.Repeat([]byte{0xa5}, MaxPlaintext)
	stream := append(rawRecord(23, 0x0303, big), rawRecord(23, 0x0303, []byte("small"))...)
	l := NewLayer(byteReader{&loop{buf: stream}})
	l.SetVersion(suites.VersionTLS12)
	if _, p, err := l.ReadRecord(); err != nil || !bytes.Equal(p, big) {
		t.Fatalf("large record: %d bytes, %v", len(p), err)
	}
	l.ReleaseReadBuffer()
	if _, p, err := l.ReadRecord(); err != nil || string(p) != "small" {
		t.Fatalf("small record %q, %v", p, err)
	}
}

// TestInputBufferFollowsRecordSizes: after ExpectSmallRecords the layer
// waits for a record with a tiny buffer; a full record grows it, the next
// buffer is a large one, and a run of small records brings it back down.
func TestInputBufferFollowsRecordSizes(t *testing.T) {
	big := bytes.Repeat([]byte{0x5a}, MaxPlaintext)
	stream := rawRecord(23, 0x0303, []byte("hi"))
	stream = append(stream, rawRecord(23, 0x0303, big)...)
	for range 8 {
		stream = append(stream, rawRecord(23, 0x0303, []byte("small"))...)
	}
	l := NewLayer(byteReader{&loop{buf: stream}})
	l.SetVersion(suites.VersionTLS12)
	l.ExpectSmallRecords()
	sizes := []int{}
	for range 10 {
		if _, _, err := l.ReadRecord(); err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(l.in))
		l.ReleaseReadBuffer()
	}
	// The buffer each record was read into: tiny for the first, grown to
	// large for the full record, large while the hint decays, tiny again.
	if sizes[0] != tinyInBufSize || sizes[1] != inBufSize || sizes[2] != inBufSize || sizes[len(sizes)-1] != tinyInBufSize {
		t.Fatalf("input buffer sizes %v", sizes)
	}
}

// failingRand is a random source that has run dry.
type failingRand struct{}

func (failingRand) Read([]byte) (int, error) { return 0, errors.New("no randomness") }

// TestFailedSealLeavesNoPlaintext: a TLS 1.2 CBC Seal copies the plaintext
// into the output buffer and then reads its IV; when that read fails, the
// record is dropped, and since the output buffer goes back to the pool
// cleared only up to its length, the plaintext past it must be gone too.
func TestFailedSealLeavesNoPlaintext(t *testing.T) {
	l := NewLayer(&loop{})
	l.SetVersion(suites.VersionTLS12)
	if err := l.WriteRecord(wire.ContentApplicationData, []byte("before")); err != nil {
		t.Fatal(err)
	}
	p, err := NewProtection(suites.VersionTLS12, suites.CipherAES128CBC, suites.MACSHA1, fill(16, 1), nil, fill(20, 3), failingRand{})
	if err != nil {
		t.Fatal(err)
	}
	l.SetWriteProtection(p)
	if err := l.WriteRecord(wire.ContentApplicationData, secretMarker); err == nil {
		t.Fatal("Seal without randomness succeeded")
	}
	if got := string(l.out[HeaderLen:]); got != "before" {
		t.Fatalf("output buffer holds %q after the failed record, want the record before it", got)
	}
	if bytes.Contains(l.out[:cap(l.out)], secretMarker[:16]) {
		t.Fatal("the failed record's plaintext is still in the output buffer")
	}
}

// TestReadDestination: with a read destination set, an application-data
// record of an AEAD suite (TLS 1.2 or 1.3) is opened straight into it and
// the input buffer never holds its plaintext; a record whose plaintext does
// not fit, a handshake record and a suite without OpenTo are returned from
// the input buffer as before, and leave nothing in the destination. Either
// way the payload is the record's plaintext.
func TestReadDestination(t *testing.T) {
	for i, s := range perfSuites {
		w, r := layerPair(t, i)
		_, canOpenTo := r.rd.prot.(openerTo)
		if _, ok := r.rd.prot.(innerOpenerTo); ok {
			canOpenTo = true
		}
		dst := make([]byte, 2*len(secretMarker))
		r.SetReadDestination(dst)
		cases := []struct {
			name string
			typ  wire.ContentType
			data []byte
			into bool // expected in dst
		}{
			{"fits", wire.ContentApplicationData, secretMarker, canOpenTo},
			{"too large", wire.ContentApplicationData, bytes.Repeat(secretMarker, 3), false},
			{"handshake", wire.ContentHandshake, secretMarker, false},
		}
		for _, c := range cases {
			if err := w.WriteRecord(c.typ, c.data); err != nil {
				t.Fatal(err)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			var got []byte
			for len(got) < len(c.data) {
				typ, p, err := r.ReadRecord()
				if err != nil || typ != c.typ {
					t.Fatalf("%s %s: ReadRecord = %v, %v", s.name, c.name, typ, err)
				}
				if inDst := len(p) > 0 && &p[0] == &dst[0]; inDst != c.into {
					t.Errorf("%s %s: payload in the destination = %v, want %v", s.name, c.name, inDst, c.into)
				}
				got = append(got, p...)
			}
			if !bytes.Equal(got, c.data) {
				t.Fatalf("%s %s: read %d bytes that differ from the %d written", s.name, c.name, len(got), len(c.data))
			}
			if !c.into && bytes.Contains(dst, secretMarker[:16]) {
				// TLS 1.3 knows a record's type only once it is decrypted:
				// a handshake record opened into dst must not stay there.
				t.Errorf("%s %s: the destination holds the plaintext of a record returned elsewhere", s.name, c.name)
			}
			if c.into && bytes.Contains(r.in[:cap(r.in)], secretMarker[:16]) {
				t.Errorf("%s %s: the input buffer holds plaintext opened into the destination", s.name, c.name)
			}
			clear(dst)
		}
	}
}

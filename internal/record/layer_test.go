package record

import (
	"bytes"
	"errors"
	"io"
	"math"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// loop is an in-memory byte pipe: what is written can be read back. It
// reuses its buffer, so it does not allocate in steady state.
type loop struct {
	buf    []byte
	r      int
	writes int
}

func (l *loop) Write(p []byte) (int, error) {
	if l.r == len(l.buf) {
		l.buf, l.r = l.buf[:0], 0
	}
	l.buf = append(l.buf, p...)
	l.writes++
	return len(p), nil
}

func (l *loop) Read(p []byte) (int, error) {
	if l.r == len(l.buf) {
		return 0, io.EOF
	}
	n := copy(p, l.buf[l.r:])
	l.r += n
	return n, nil
}

// rawRecord builds a record with the given header fields.
func rawRecord(typ byte, vers uint16, body []byte) []byte {
	return append([]byte{typ, byte(vers >> 8), byte(vers), byte(len(body) >> 8), byte(len(body))}, body...)
}

// readerOf returns a Layer reading the concatenation of records.
func readerOf(records ...[]byte) *Layer {
	return NewLayer(&loop{buf: bytes.Join(records, nil)})
}

func TestLayerRoundTrip(t *testing.T) {
	for name, mk := range newTestProtections(t) {
		t.Run(name, func(t *testing.T) {
			pipe := &loop{}
			w, r := NewLayer(pipe), NewLayer(pipe)
			w.SetVersion(suites.VersionTLS12)
			r.SetVersion(suites.VersionTLS12)
			if err := w.WriteRecord(wire.ContentHandshake, []byte{1, 0, 0, 0}); err != nil {
				t.Fatal(err)
			}
			w.SetWriteProtection(mk())
			msgs := []struct {
				typ wire.ContentType
				b   []byte
			}{
				{wire.ContentHandshake, fill(16, 0)},
				{wire.ContentApplicationData, nil},
				{wire.ContentApplicationData, fill(MaxPlaintext, 9)},
				{wire.ContentAlert, []byte{1, 0}},
			}
			for _, m := range msgs {
				if err := w.WriteRecord(m.typ, m.b); err != nil {
					t.Fatal(err)
				}
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if pipe.writes != 1 {
				t.Errorf("flight took %d writes, want 1", pipe.writes)
			}
			if typ, b, err := r.ReadRecord(); err != nil || typ != wire.ContentHandshake || len(b) != 4 {
				t.Fatalf("plaintext record: %v %x %v", typ, b, err)
			}
			r.SetReadProtection(mk())
			if r.ReadEpoch() != 1 || w.WriteEpoch() != 1 {
				t.Errorf("epochs %d/%d, want 1/1", r.ReadEpoch(), w.WriteEpoch())
			}
			for _, m := range msgs {
				typ, b, err := r.ReadRecord()
				if (strings.Contains(name, "TLS10") || strings.HasPrefix(name, "SSL3") && strings.Contains(name, "CBC")) && len(m.b) > 1 && len(b) == 1 {
					// 1/n-1 split: the rest follows in the next record.
					first := b[0]
					typ, b, err = r.ReadRecord()
					b = append([]byte{first}, b...)
				}
				if err != nil || typ != m.typ || !bytes.Equal(b, m.b) {
					t.Fatalf("read %v %d bytes %v; want %v %d bytes", typ, len(b), err, m.typ, len(m.b))
				}
				if h := r.RecordHeader(); h[0] != byte(m.typ) || h[1] != 3 || h[2] != 3 {
					t.Errorf("RecordHeader %x", h)
				}
			}
			if _, _, err := r.ReadRecord(); err != io.EOF {
				t.Fatalf("at end: %v, want io.EOF", err)
			}
		})
	}
}

func TestWriteRecordDefaultsToTLS10HeaderBeforeSetVersion(t *testing.T) {
	pipe := &loop{}
	w := NewLayer(pipe)
	w.WriteRecord(wire.ContentHandshake, []byte{1, 0, 0, 0})
	w.Flush()
	if got := pipe.buf[:3]; !bytes.Equal(got, []byte{22, 3, 1}) {
		t.Fatalf("header %x, want 160301", got)
	}
}

func TestWriteRecordFragmentsAtMaxPlaintext(t *testing.T) {
	msg := append([]byte{11, 0, 0xa0, 0x00}, fill(40<<10, 5)...) // 40 KiB Certificate
	pipe := &loop{}
	w := NewLayer(pipe)
	w.WriteRecord(wire.ContentHandshake, msg)
	w.Flush()
	r := NewLayer(pipe)
	var a Assembler
	var got []byte
	records := 0
	for {
		typ, b, err := r.ReadRecord()
		if err == io.EOF {
			break
		}
		if err != nil || typ != wire.ContentHandshake || len(b) > MaxPlaintext {
			t.Fatalf("record %d: %v %d bytes %v", records, typ, len(b), err)
		}
		records++
		if err := a.Add(b); err != nil {
			t.Fatal(err)
		}
		if m, ok := a.Next(); ok {
			got = m
		}
	}
	if records != 3 || !bytes.Equal(got, msg) || a.Pending() {
		t.Fatalf("%d records, reassembled %d bytes (want %d), pending %v", records, len(got), len(msg), a.Pending())
	}
}

func TestSetMaxPlaintextLimitsWrittenRecords(t *testing.T) {
	pipe := &loop{}
	w := NewLayer(pipe)
	w.SetMaxPlaintext(512)
	w.WriteRecord(wire.ContentApplicationData, fill(1300, 0))
	w.Flush()
	r := NewLayer(pipe)
	for _, want := range []int{512, 512, 276} {
		if _, b, err := r.ReadRecord(); err != nil || len(b) != want {
			t.Fatalf("record of %d bytes (%v), want %d", len(b), err, want)
		}
	}
}

func TestWriteRecordRefusesEmptyHandshake(t *testing.T) {
	w := NewLayer(&loop{})
	if err := w.WriteRecord(wire.ContentHandshake, nil); err == nil {
		t.Fatal("empty handshake record written")
	}
}

func TestReadRecordRejectsOversizedCiphertext(t *testing.T) {
	mk := newTestProtections(t)["AES128GCM"]
	first := rawRecord(22, 0x0303, []byte{14, 0, 0, 0})
	r := readerOf(first, rawRecord(23, 0x0303, make([]byte, MaxCiphertext+1)))
	r.ReadRecord()
	r.SetReadProtection(mk())
	_, _, err := r.ReadRecord()
	wantAlert(t, err, wire.AlertRecordOverflow)

	// Without protection the limit is the plaintext one (RFC 5246 §6.2.1).
	r = readerOf(first, rawRecord(23, 0x0303, make([]byte, MaxPlaintext+1)))
	r.ReadRecord()
	_, _, err = r.ReadRecord()
	wantAlert(t, err, wire.AlertRecordOverflow)
}

func TestReadRecordRejectsOversizedPlaintext(t *testing.T) {
	mk := newTestProtections(t)["AES128GCM"]
	frag, _ := mk().Seal(nil, 0, wire.ContentApplicationData, suites.VersionTLS12, make([]byte, MaxPlaintext+1))
	r := readerOf(rawRecord(23, 0x0303, frag))
	r.SetReadProtection(mk())
	_, _, err := r.ReadRecord()
	wantAlert(t, err, wire.AlertRecordOverflow)
}

func TestReadRecordRejectsUnknownContentType(t *testing.T) {
	for _, typ := range []byte{25, 24, 99} {
		r := readerOf(rawRecord(22, 0x0303, []byte{14, 0, 0, 0}), rawRecord(typ, 0x0303, []byte{1}))
		r.ReadRecord()
		_, _, err := r.ReadRecord()
		wantAlert(t, err, wire.AlertUnexpectedMessage)
	}
}

func TestReadRecordRejectsEmptyHandshakeFragment(t *testing.T) {
	for _, typ := range []byte{20, 21, 22} {
		_, _, err := readerOf(rawRecord(typ, 0x0301, nil)).ReadRecord()
		wantAlert(t, err, wire.AlertUnexpectedMessage)
	}
	// Also when the emptiness only shows after decryption.
	mk := newTestProtections(t)["ChaCha20"]
	frag, _ := mk().Seal(nil, 0, wire.ContentHandshake, suites.VersionTLS12, nil)
	r := readerOf(rawRecord(22, 0x0303, frag))
	r.SetReadProtection(mk())
	_, _, err := r.ReadRecord()
	wantAlert(t, err, wire.AlertUnexpectedMessage)
}

func TestReadRecordAcceptsEmptyApplicationData(t *testing.T) {
	typ, b, err := readerOf(rawRecord(23, 0x0303, nil)).ReadRecord()
	if err != nil || typ != wire.ContentApplicationData || len(b) != 0 {
		t.Fatalf("%v %x %v", typ, b, err)
	}
}

func TestReadRecordRejectsWrongVersionAfterSetVersion(t *testing.T) {
	r := readerOf(rawRecord(22, 0x0303, []byte{14, 0, 0, 0}), rawRecord(22, 0x0301, []byte{14, 0, 0, 0}))
	r.SetVersion(suites.VersionTLS12)
	if _, _, err := r.ReadRecord(); err != nil {
		t.Fatal(err)
	}
	_, _, err := r.ReadRecord()
	wantAlert(t, err, wire.AlertProtocolVersion)
}

// RFC 5246 Appendix E.1: "TLS servers MUST accept any value {03,XX} as the
// record layer version number for ClientHello", and RFC 8446 §5.1 says
// legacy_record_version "MUST be ignored for all purposes". Before the
// version is set every 0x03XX passes; another major version does not.
func TestReadRecordToleratesHelloVersionsBeforeSetVersion(t *testing.T) {
	var recs [][]byte
	versions := []uint16{0x0300, 0x0301, 0x0302, 0x0303, 0x0304, 0x03fe, 0x03ff}
	for _, v := range versions {
		recs = append(recs, rawRecord(22, v, []byte{1, 0, 0, 0}))
	}
	recs = append(recs, rawRecord(22, 0x0205, []byte{1, 0, 0, 0}))
	r := readerOf(recs...)
	for _, v := range versions {
		if _, _, err := r.ReadRecord(); err != nil {
			t.Fatalf("record version %#04x: %v", v, err)
		}
	}
	_, _, err := r.ReadRecord()
	wantAlert(t, err, wire.AlertProtocolVersion)

	// The first record too: 0x0304 and 0x03FE are TLS, not another protocol.
	for _, v := range []uint16{0x0304, 0x03fe} {
		if _, _, err := readerOf(rawRecord(22, v, []byte{1, 0, 0, 0})).ReadRecord(); err != nil {
			t.Errorf("first record with version %#04x: %v", v, err)
		}
	}
}

func TestSetVersionTLS13UsesLegacyRecordVersion(t *testing.T) {
	pipe := &loop{}
	w := NewLayer(pipe)
	w.SetVersion(suites.VersionTLS13)
	w.WriteRecord(wire.ContentHandshake, []byte{2, 0, 0, 0})
	w.Flush()
	if !bytes.Equal(pipe.buf[:3], []byte{22, 3, 3}) {
		t.Fatalf("header %x, want 160303", pipe.buf[:5])
	}
	r := NewLayer(pipe)
	r.SetVersion(suites.VersionTLS13)
	if _, _, err := r.ReadRecord(); err != nil {
		t.Fatal(err)
	}
}

func TestReadRecordReportsNotTLSForHTTP(t *testing.T) {
	cases := map[string]string{
		"HTTP/1.1 400 Bad Request\r\n\r\n": "HTTP response",
		"GET / HTTP/1.1\r\n":               "HTTP request",
		"SSH-2.0-OpenSSH_9.6\r\n":          "SSH",
		"220 mx.example.com ESMTP\r\n":     "SMTP",
		"* OK IMAP4rev1 ready\r\n":         "IMAP",
		"\x80\x2e\x01\x03\x01":             "SSL 2.0",
		"\x00\x00\x00\x00\x00":             "",
	}
	for in, want := range cases {
		_, _, err := NewLayer(&loop{buf: []byte(in)}).ReadRecord()
		var nt *NotTLSError
		if !errors.As(err, &nt) {
			t.Fatalf("%q: error %v, want *NotTLSError", in, err)
		}
		if !strings.Contains(nt.Protocol, want) || !bytes.HasPrefix([]byte(in), nt.Prefix) || len(nt.Prefix) == 0 {
			t.Errorf("%q: %+v, want protocol containing %q", in, nt, want)
		}
	}
}

// oneShot returns its bytes on the first Read and fails the test on any
// later Read: it stands for a server that sends a banner and then waits.
type oneShot struct {
	t    *testing.T
	b    []byte
	done bool
}

func (o *oneShot) Read(p []byte) (int, error) {
	if o.done {
		o.t.Fatal("Layer kept reading after a non-TLS banner")
	}
	o.done = true
	return copy(p, o.b), nil
}
func (o *oneShot) Write(p []byte) (int, error) { return len(p), nil }

func TestReadRecordReportsNotTLSWithoutWaitingForMore(t *testing.T) {
	_, _, err := NewLayer(&oneShot{t: t, b: []byte("+OK")}).ReadRecord()
	var nt *NotTLSError
	if !errors.As(err, &nt) || !strings.Contains(nt.Protocol, "POP3") {
		t.Fatalf("error %v, want POP3 NotTLSError", err)
	}
}

func TestLooksLikeTLS(t *testing.T) {
	for in, want := range map[string]bool{
		"\x16\x03\x01\x02\x00": true,
		"\x16\x03":             true,
		"\x17\x03\x03\x48\x01": true, // too long, but TLS: record_overflow (RFC 8446 §5.1)
		"\x16\x03\x05":         true, // any {03,XX} (RFC 5246 Appendix E.1)
		"\x16\x03\xfe":         true,
		"\x16\x02\x03":         false,
		"GET ":                 false,
		"\x30\x03\x01\x00\x01": true, // unknown type, TLS version: unexpected_message (RFC 8446 §5)
		"\x19\x03\x03":         true,
		"\x19\x03":             true, // undecided until the minor version
		"\x19\x03\x05":         false,
		"\x19":                 false,
		"\x00\x00\x00":         false,
		"\x81\x03\x01\x03\x01": false, // an SSL 2.0 CLIENT-HELLO of 0x103 bytes
		"":                     true,
	} {
		if got := LooksLikeTLS([]byte(in)); got != want {
			t.Errorf("LooksLikeTLS(%x) = %v", in, got)
		}
	}
}

// RFC 8446 §5.1: a record longer than 2^14 bytes "MUST terminate the
// connection with a "record_overflow" alert". A first record with a TLS
// header and an oversized length (a ClientHello sent in one record) is TLS
// that failed, not another protocol, so it gets the alert rather than a
// silent close, at its header (OpenSSL 3 does the same).
func TestReadRecordOversizedFirstRecordIsRecordOverflow(t *testing.T) {
	for _, n := range []int{MaxPlaintext + 1, MaxCiphertext + 1, 0xffff} {
		_, _, err := NewLayer(&oneShot{t: t, b: []byte{22, 3, 1, byte(n >> 8), byte(n)}}).ReadRecord()
		wantAlert(t, err, wire.AlertRecordOverflow)
	}
}

func TestReadRecordEOF(t *testing.T) {
	whole := rawRecord(22, 0x0303, []byte{14, 0, 0, 0})
	cases := []struct {
		in   []byte
		want error
	}{
		{nil, io.EOF},
		{whole[:3], io.ErrUnexpectedEOF},
		{whole[:7], io.ErrUnexpectedEOF},
		{append(bytes.Clone(whole), whole[:5]...), io.ErrUnexpectedEOF},
		{whole, io.EOF},
	}
	for _, c := range cases {
		r := readerOf(c.in)
		var err error
		for err == nil {
			_, _, err = r.ReadRecord()
		}
		if err != c.want {
			t.Errorf("%x: %v, want %v", c.in, err, c.want)
		}
		if _, _, again := r.ReadRecord(); again != err {
			t.Errorf("%x: error not sticky: %v then %v", c.in, err, again)
		}
	}
}

func TestReadRecordFailsWhenBadRecordMACThenStays(t *testing.T) {
	mk := newTestProtections(t)["AES128CBCSHA256"]
	frag, _ := mk().Seal(nil, 0, wire.ContentApplicationData, suites.VersionTLS12, []byte("x"))
	frag[len(frag)-1] ^= 1
	good, _ := mk().Seal(nil, 1, wire.ContentApplicationData, suites.VersionTLS12, []byte("y"))
	r := readerOf(rawRecord(23, 0x0303, frag), rawRecord(23, 0x0303, good))
	r.SetReadProtection(mk())
	_, _, err := r.ReadRecord()
	wantAlert(t, err, wire.AlertBadRecordMAC)
	_, _, err = r.ReadRecord()
	wantAlert(t, err, wire.AlertBadRecordMAC)
}

func TestSequenceNumberDoesNotWrap(t *testing.T) {
	w := NewLayer(&loop{})
	w.wr.seq = math.MaxUint64
	if err := w.WriteRecord(wire.ContentApplicationData, []byte("last")); err != nil {
		t.Fatalf("sequence number 2^64-1 refused: %v", err)
	}
	if err := w.WriteRecord(wire.ContentApplicationData, []byte("wrapped")); err != ErrSequenceExhausted {
		t.Fatalf("write after 2^64-1: %v, want ErrSequenceExhausted", err)
	}
	w.SetWriteProtection(nil)
	if err := w.WriteRecord(wire.ContentApplicationData, []byte("x")); err != ErrSequenceExhausted {
		t.Fatalf("write error not sticky: %v", err)
	}

	rec := rawRecord(23, 0x0303, []byte("a"))
	r := readerOf(rec, rec, rec)
	r.rd.seq = math.MaxUint64
	if _, _, err := r.ReadRecord(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.ReadRecord(); err != ErrSequenceExhausted {
		t.Fatalf("read after 2^64-1: %v", err)
	}
}

func TestSetWriteProtectionResetsSequence(t *testing.T) {
	mk := newTestProtections(t)["AES128GCM"]
	pipe := &loop{}
	w := NewLayer(pipe)
	w.SetVersion(suites.VersionTLS12)
	w.SetWriteProtection(mk())
	w.WriteRecord(wire.ContentApplicationData, []byte("a"))
	w.WriteRecord(wire.ContentApplicationData, []byte("b"))
	w.SetWriteProtection(mk())
	w.WriteRecord(wire.ContentApplicationData, []byte("c"))
	w.Flush()
	// The GCM explicit nonce is the sequence number.
	var seqs []byte
	for b := pipe.buf; len(b) > 0; {
		n := HeaderLen + (int(b[3])<<8 | int(b[4]))
		seqs = append(seqs, b[HeaderLen+7])
		b = b[n:]
	}
	if !bytes.Equal(seqs, []byte{0, 1, 0}) {
		t.Fatalf("explicit nonces end in %v, want [0 1 0]", seqs)
	}
	if w.WriteEpoch() != 2 {
		t.Fatalf("WriteEpoch %d", w.WriteEpoch())
	}
}

// innerFake is a stand-in for TLS 1.3 protection (no cryptography): the
// plaintext is followed by the real content type, the header says
// application_data.
type innerFake struct{}

func (innerFake) Seal(out []byte, _ uint64, typ wire.ContentType, _ suites.Version, p []byte) ([]byte, error) {
	return append(append(out, p...), byte(typ)), nil
}
func (innerFake) Open(uint64, wire.ContentType, suites.Version, []byte) ([]byte, error) {
	panic("Layer must use OpenInner")
}
func (innerFake) MaxOverhead() int            { return 1 }
func (innerFake) OuterType() wire.ContentType { return wire.ContentApplicationData }
func (innerFake) MaxFragment() int            { return MaxCiphertextTLS13 }
func (innerFake) OpenInner(_ uint64, _ wire.ContentType, _ suites.Version, f []byte) (wire.ContentType, []byte, error) {
	if len(f) == 0 {
		return 0, nil, errBadRecordMAC
	}
	return wire.ContentType(f[len(f)-1]), f[:len(f)-1], nil
}

func TestInnerTypeProtectionHidesContentType(t *testing.T) {
	pipe := &loop{}
	w := NewLayer(pipe)
	w.SetVersion(suites.VersionTLS13)
	w.SetWriteProtection(innerFake{})
	w.WriteRecord(wire.ContentHandshake, []byte{20, 0, 0, 0})
	w.Flush()
	if pipe.buf[0] != byte(wire.ContentApplicationData) {
		t.Fatalf("outer type %d, want application_data", pipe.buf[0])
	}
	// A middlebox-compatibility CCS arrives unprotected (RFC 8446 §5).
	pipe.Write(rawRecord(20, 0x0303, []byte{1}))
	r := NewLayer(pipe)
	r.SetVersion(suites.VersionTLS13)
	r.SetReadProtection(innerFake{})
	if typ, b, err := r.ReadRecord(); err != nil || typ != wire.ContentHandshake || len(b) != 4 {
		t.Fatalf("%v %x %v", typ, b, err)
	}
	if typ, b, err := r.ReadRecord(); err != nil || typ != wire.ContentChangeCipherSpec || len(b) != 1 {
		t.Fatalf("%v %x %v", typ, b, err)
	}
}

func TestWriteRecordSplitsTLS10ApplicationDataOneByteFirst(t *testing.T) {
	mk := newTestProtections(t)["TLS10AES128CBC"]
	pipe := &loop{}
	w := NewLayer(pipe)
	w.SetVersion(suites.VersionTLS10)
	w.SetWriteProtection(mk())
	w.WriteRecord(wire.ContentApplicationData, fill(100, 0))
	w.WriteRecord(wire.ContentHandshake, fill(20, 0))
	w.Flush()
	r := NewLayer(pipe)
	r.SetVersion(suites.VersionTLS10)
	r.SetReadProtection(mk())
	var sizes []int
	var app []byte
	for {
		typ, b, err := r.ReadRecord()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, len(b))
		if typ == wire.ContentApplicationData {
			app = append(app, b...)
		}
	}
	if !slices.Equal(sizes, []int{1, 99, 20}) || !bytes.Equal(app, fill(100, 0)) {
		t.Fatalf("record sizes %v", sizes)
	}
}

// timeoutConn delivers its bytes one Read at a time, with a timeout
// between them.
type timeoutConn struct {
	chunks [][]byte
	tick   bool
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

func (c *timeoutConn) Read(p []byte) (int, error) {
	c.tick = !c.tick
	if c.tick {
		return 0, timeoutErr{}
	}
	if len(c.chunks) == 0 {
		return 0, io.EOF
	}
	n := copy(p, c.chunks[0])
	c.chunks = c.chunks[1:]
	return n, nil
}
func (c *timeoutConn) Write(p []byte) (int, error) { return len(p), nil }

func TestReadRecordResumesAfterTimeout(t *testing.T) {
	rec := rawRecord(22, 0x0303, []byte{14, 0, 0, 0})
	r := NewLayer(&timeoutConn{chunks: [][]byte{rec[:3], rec[3:7], rec[7:]}})
	for {
		typ, b, err := r.ReadRecord()
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() {
			continue
		}
		if err != nil || typ != wire.ContentHandshake || !bytes.Equal(b, rec[5:]) {
			t.Fatalf("%v %x %v", typ, b, err)
		}
		return
	}
}

// recordSizes returns the type and fragment length of each record in b.
func recordSizes(b []byte) (types []byte, sizes []int) {
	for len(b) > 0 {
		n := int(b[3])<<8 | int(b[4])
		types, sizes = append(types, b[0]), append(sizes, n)
		b = b[HeaderLen+n:]
	}
	return types, sizes
}

// Consecutive handshake messages share a record, up to the size limit; a
// change of protection, another content type or Flush ends the record.
func TestWriteRecordCoalescesHandshakeMessages(t *testing.T) {
	pipe := &loop{}
	w := NewLayer(pipe)
	w.SetVersion(suites.VersionTLS12)
	w.WriteRecord(wire.ContentHandshake, fill(100, 1)) // ServerHello
	w.WriteRecord(wire.ContentHandshake, fill(50, 2))
	w.WriteRecord(wire.ContentChangeCipherSpec, []byte{1})
	w.SetWriteProtection(innerFake{})
	w.WriteRecord(wire.ContentHandshake, fill(300, 3))
	w.WriteRecord(wire.ContentHandshake, fill(400, 4))
	w.SetWriteProtection(innerFake{})
	w.WriteRecord(wire.ContentHandshake, fill(10, 5)) // a ticket under the next keys
	if w.Unflushed() == 0 {
		t.Fatal("Unflushed does not count handshake bytes not yet sealed")
	}
	w.Flush()
	types, sizes := recordSizes(pipe.buf)
	if !bytes.Equal(types, []byte{22, 20, 23, 23}) || !slices.Equal(sizes, []int{150, 1, 701, 11}) {
		t.Fatalf("records %v of %v bytes, want [22 20 23 23] of [150 1 701 11]", types, sizes)
	}
	if w.WriteEpoch() != 2 {
		t.Fatalf("WriteEpoch %d", w.WriteEpoch())
	}
}

// A coalesced flight is cut at the limit; SetMaxPlaintext seals what was
// written under the old limit before the new one applies.
func TestCoalescedHandshakeRespectsMaxPlaintext(t *testing.T) {
	pipe := &loop{}
	w := NewLayer(pipe)
	w.SetMaxPlaintext(256)
	for range 3 {
		w.WriteRecord(wire.ContentHandshake, fill(200, 7))
	}
	w.SetMaxPlaintext(100)
	w.WriteRecord(wire.ContentHandshake, fill(250, 8))
	w.Flush()
	_, sizes := recordSizes(pipe.buf)
	if !slices.Equal(sizes, []int{256, 256, 88, 100, 100, 50}) {
		t.Fatalf("record sizes %v, want [256 256 88 100 100 50]", sizes)
	}
	r := NewLayer(pipe)
	for range sizes {
		if _, _, err := r.ReadRecord(); err != nil {
			t.Fatal(err)
		}
	}
}

// byteByByte hands out its bytes one Read at a time, then io.EOF: a first
// record split by the network at every byte.
type byteByByte struct{ b []byte }

func (r *byteByByte) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, io.EOF
	}
	p[0], r.b = r.b[0], r.b[1:]
	return 1, nil
}
func (r *byteByByte) Write(p []byte) (int, error) { return len(p), nil }

// A first record of an unknown content type in a TLS header is TLS that
// failed (RFC 8446 §5: unexpected_message), even when its first byte
// arrives alone: the layer waits for the second before deciding. A lone
// non-TLS byte followed by the end of the stream is still not TLS.
func TestUnknownFirstContentTypeByteByByte(t *testing.T) {
	_, _, err := NewLayer(&byteByByte{b: []byte{48, 3, 1, 0, 1, 1}}).ReadRecord()
	var we *wire.Error
	if !errors.As(err, &we) || we.Alert != wire.AlertUnexpectedMessage {
		t.Fatalf("error %v, want unexpected_message", err)
	}
	_, _, err = NewLayer(&byteByByte{b: []byte("G")}).ReadRecord()
	var nt *NotTLSError
	if !errors.As(err, &nt) {
		t.Fatalf("error %v, want *NotTLSError", err)
	}
}

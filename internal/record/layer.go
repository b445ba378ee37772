package record

import (
	"errors"
	"io"
	"math"
	"net"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Record size limits.
const (
	// HeaderLen is the length of a record header: type, version, length
	// (RFC 5246 §6.2.1).
	HeaderLen = 5
	// MaxPlaintext is the largest TLSPlaintext fragment, 2^14 bytes
	// (RFC 5246 §6.2.1, RFC 8446 §5.1).
	MaxPlaintext = 1 << 14
	// MaxCiphertext is the largest TLSCiphertext fragment, 2^14 + 2048
	// bytes (RFC 5246 §6.2.3).
	MaxCiphertext = MaxPlaintext + 2048
	// MaxCiphertextTLS13 is the largest TLS 1.3 TLSCiphertext fragment,
	// 2^14 + 256 bytes (RFC 8446 §5.2).
	MaxCiphertextTLS13 = MaxPlaintext + 256
)

// inBufSize holds two largest records, so that one read from the socket can
// pick up a record and the start of the next without moving bytes often.
// The buffer starts at initialInBufSize, which holds a handshake flight, and
// grows to inBufSize only when a record needs it: most connections of a
// busy server exchange a few small records, and 36 KiB of buffer each would
// be most of a handshake's memory.
const (
	inBufSize        = 2 * (HeaderLen + MaxCiphertext)
	initialInBufSize = 8 << 10
	// initialOutBufSize fits a typical flight, so that writing one grows
	// the output buffer once, not record by record.
	initialOutBufSize = 4 << 10
)

// ErrSequenceExhausted is returned when a direction has used sequence number
// 2^64-1. RFC 5246 §6.1: "Sequence numbers do not wrap. If a TLS
// implementation would need to wrap a sequence number, it must renegotiate
// instead." The connection must stop rather than reuse a nonce.
var ErrSequenceExhausted = &wire.Error{Alert: wire.AlertInternalError, Message: "record sequence number exhausted; the connection must be rekeyed or closed"}

// direction is the state of one direction of a Layer.
type direction struct {
	prot      Protection
	seq       uint64
	exhausted bool // seq 2^64-1 has been used
	epoch     int
}

// next returns the sequence number for the next record and advances.
func (d *direction) next() (uint64, error) {
	if d.exhausted {
		return 0, ErrSequenceExhausted
	}
	seq := d.seq
	if seq == math.MaxUint64 {
		d.exhausted = true
	} else {
		d.seq++
	}
	return seq, nil
}

func (d *direction) set(p Protection) {
	if p == nil {
		p = NullProtection{}
	}
	d.prot, d.seq, d.exhausted = p, 0, false
	d.epoch++
}

// Layer reads and writes TLS records on one connection (RFC 5246 §6.2,
// RFC 8446 §5). It is not safe for concurrent use; a connection serialises
// reads and writes itself and may use ReadRecord and WriteRecord/Flush from
// two goroutines, since the two directions share no state.
type Layer struct {
	conn io.ReadWriter

	version suites.Version // 0 until SetVersion
	maxOut  int

	// Read side. in[r:w] are buffered bytes not yet consumed.
	rd direction
	// in comes from a pool (see bufpool.go) and goes back to it when
	// ReleaseReadBuffer finds nothing buffered; inUsed is how much of it
	// has held bytes since then, what is cleared on the way back.
	in     []byte
	r, w   int
	inUsed int
	// readHint sizes the next input buffer taken from the pool: the
	// length of the last record read, or half the hint before it if that
	// is more, so that a connection receiving full records gets room for
	// two at once, and one that has seen only small records for a while
	// gets (and, blocked in Read, holds) a small buffer.
	readHint  int
	header    [HeaderLen]byte
	readCount uint64
	readErr   error
	// readDst, when set, is where ReadRecord puts the plaintext of an
	// application-data record whose protection can open into it and
	// which fits (SetReadDestination).
	readDst []byte
	// skipBudget is how many bytes of early data (TLS 1.3 0-RTT that this
	// side does not accept) may still be discarded; see SkipEarlyData.
	skipBudget int

	// Write side. out holds whole records not yet flushed; pend holds
	// handshake bytes not yet sealed, so that the messages of a flight
	// under one protection share records (see WriteRecord). Both come
	// from pools and go back once they are empty (after Flush and
	// sealPending).
	wr       direction
	out      []byte
	pend     []byte
	writeErr error
}

// NewLayer returns a Layer on conn with null protection in both directions,
// no version set and the default maximum plaintext of 2^14 bytes.
func NewLayer(conn io.ReadWriter) *Layer {
	return &Layer{
		conn:   conn,
		maxOut: MaxPlaintext,
		rd:     direction{prot: NullProtection{}},
		wr:     direction{prot: NullProtection{}},
		// A handshake flight fits; ExpectSmallRecords lowers it after.
		readHint: initialInBufSize,
	}
}

// ExpectSmallRecords sizes the next input buffer for small records, as
// after a handshake, whose flights needed a bigger one: an established
// connection waiting for its first request then holds a small buffer.
func (l *Layer) ExpectSmallRecords() { l.readHint = 0 }

// SetVersion sets the protocol version of record headers: the version
// written and the only version accepted when reading. Before it is called,
// records are written as TLS 1.0 (0x0301, which RFC 8446 Appendix D
// recommends for an initial ClientHello for compatibility) and any header
// version 0x03XX is accepted (RFC 5246 Appendix E.1). For TLS 1.3, pass VersionTLS13 or
// VersionTLS12: both mean a legacy_record_version of 0x0303 (RFC 8446 §5.1).
func (l *Layer) SetVersion(v suites.Version) {
	// Handshake bytes already written keep the version they were written
	// under (a ClientHello queued before a client commits to TLS 1.3).
	_ = l.sealPending() // a failure is kept in writeErr
	if v == suites.VersionTLS13 {
		v = suites.VersionTLS12
	}
	l.version = v
}

// SetMaxPlaintext sets the largest plaintext put in one written record, for
// max_fragment_length (RFC 6066 §4) or record_size_limit (RFC 8449).
// Values outside [1, 2^14] mean 2^14. It does not change what is accepted
// when reading, which is always up to 2^14 bytes. Handshake bytes already
// written keep the limit they were written under.
func (l *Layer) SetMaxPlaintext(n int) {
	if n < 1 || n > MaxPlaintext {
		n = MaxPlaintext
	}
	_ = l.sealPending() // a failure is kept in writeErr
	l.maxOut = n
}

// MaxPlaintext is the largest plaintext put in one written record.
func (l *Layer) MaxPlaintext() int { return l.maxOut }

// SetReadProtection installs the protection for records read from now on
// and resets the read sequence number to 0 (RFC 5246 §6.1: at
// ChangeCipherSpec). A nil p means NullProtection.
func (l *Layer) SetReadProtection(p Protection) { l.rd.set(p) }

// SetWriteProtection installs the protection for records written from now
// on and resets the write sequence number to 0 (RFC 5246 §6.1). Records
// already written, including handshake bytes not yet sealed, keep the
// protection they were written under.
func (l *Layer) SetWriteProtection(p Protection) {
	_ = l.sealPending() // a failure is kept in writeErr
	l.wr.set(p)
}

// ReadEpoch is the number of read protections installed so far.
func (l *Layer) ReadEpoch() int { return l.rd.epoch }

// WriteEpoch is the number of write protections installed so far.
func (l *Layer) WriteEpoch() int { return l.wr.epoch }

// RecordHeader returns the header of the last record read, for traces.
func (l *Layer) RecordHeader() [HeaderLen]byte { return l.header }

// Buffered reports how many bytes have been read from the connection but not
// yet returned as records, for traces. Records are decrypted only when
// ReadRecord returns them, so bytes buffered across a key change are opened
// with the new keys, as they must be.
func (l *Layer) Buffered() int { return l.w - l.r }

// ReadRecord reads the next record, removes its protection and returns its
// content type and plaintext (RFC 5246 §6.2). The payload aliases the
// Layer's input buffer and is valid until the next ReadRecord.
//
// Errors: a header whose content type is unknown is unexpected_message; a
// header version other than the one set by SetVersion (before it, one
// whose major version is not 3) is protocol_version; a fragment longer
// than 2^14 bytes (null protection), 2^14+2048 bytes (TLS 1.0–1.2
// protection) or MaxFragment (InnerTypeProtection) is record_overflow, and
// so is a plaintext longer than 2^14 bytes; a record that fails
// authentication is bad_record_mac; an empty handshake, alert or
// change_cipher_spec record is unexpected_message (RFC 5246 §6.2.1). When
// the very first record is not a plausible TLS header the error is
// *NotTLSError. The connection closing at a record boundary is io.EOF,
// inside a record io.ErrUnexpectedEOF. Every error is kept and returned by
// all later calls, since the position in the stream is lost, except a
// transport timeout: the bytes received so far stay buffered and a later
// call carries on where this one stopped.
func (l *Layer) ReadRecord() (wire.ContentType, []byte, error) {
	if l.readErr != nil {
		return 0, nil, l.readErr
	}
	typ, payload, err := l.readRecord()
	for err == errSkippedEarlyData {
		typ, payload, err = l.readRecord()
	}
	if err != nil {
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			l.readErr = err
		}
		return 0, nil, err
	}
	return typ, payload, nil
}

func (l *Layer) readRecord() (wire.ContentType, []byte, error) {
	first := l.readCount == 0
	if err := l.fill(HeaderLen, first); err != nil {
		return 0, nil, err
	}
	typ, vers, n, err := l.readHeader(first)
	if err != nil {
		return 0, nil, err
	}

	prot := l.rd.prot
	inner, isInner := prot.(InnerTypeProtection)
	compatCCS := isInner && typ == wire.ContentChangeCipherSpec
	// A TLS 1.3 peer that fails before it switches to its handshake keys
	// sends its alert in the clear (RFC 8446 §5: records are protected only
	// once the sender has keys): a client rejecting the server's
	// certificate does exactly that. Such an alert can only come before
	// the first protected record of the first protected epoch.
	plainAlert := isInner && typ == wire.ContentAlert && l.rd.epoch == 1 && l.rd.seq == 0
	if compatCCS || plainAlert {
		// RFC 8446 §5: a TLS 1.3 peer may also send an unprotected
		// change_cipher_spec for middlebox compatibility; the caller checks
		// and drops it. Neither is a protected record, so neither takes a
		// sequence number.
		prot, isInner = NullProtection{}, false
	}
	limit := MaxCiphertext
	switch {
	case isInner:
		// Never more than the input buffer was sized for.
		limit = min(inner.MaxFragment(), MaxCiphertext)
	case isNull(prot):
		limit = MaxPlaintext
	}
	if n > limit {
		return 0, nil, wire.Errorf(wire.AlertRecordOverflow, "%v record of %d bytes exceeds the limit of %d", typ, n, limit)
	}
	if err := l.fill(HeaderLen+n, false); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return 0, nil, err
	}
	fragment := l.in[l.r+HeaderLen : l.r+HeaderLen+n]
	l.r += HeaderLen + n
	l.readHint = max(HeaderLen+n, l.readHint/2)
	l.readCount++

	var seq uint64
	if !compatCCS && !plainAlert {
		if seq, err = l.rd.next(); err != nil {
			return 0, nil, err
		}
	}
	var payload []byte
	if l.skipBudget > 0 && !isInner && isNull(prot) && !compatCCS {
		switch {
		case typ == wire.ContentApplicationData && l.skipEarly(n):
			return 0, nil, errSkippedEarlyData
		case typ == wire.ContentChangeCipherSpec:
			// A compatibility-mode client sends its change_cipher_spec
			// between the ClientHello and the early data (RFC 8446
			// Appendix D.4); the early data that follows is still skipped.
		default:
			l.skipBudget = 0
		}
	}
	if isInner {
		typ, payload, err = l.openInner(inner, seq, typ, vers, fragment)
		if err != nil && l.skipBudget > 0 && l.skipEarly(n) {
			l.rd.seq--
			return 0, nil, errSkippedEarlyData
		}
		if err == nil {
			l.skipBudget = 0
			err = checkContentType(typ) // the real type, now visible
		}
	} else {
		payload, err = l.open(prot, seq, typ, vers, fragment)
	}
	if err != nil {
		return 0, nil, err
	}
	return typ, payload, checkPlaintext(typ, payload)
}

// open removes a TLS 1.0–1.2 protection: application data into readDst
// when the protection can and the plaintext fits, anything else in place.
func (l *Layer) open(prot Protection, seq uint64, typ wire.ContentType, vers suites.Version, fragment []byte) ([]byte, error) {
	if o, ok := prot.(openerTo); ok && l.readDst != nil && typ == wire.ContentApplicationData {
		if payload, fits, err := o.OpenTo(l.readDst, seq, typ, vers, fragment); fits {
			return payload, err
		}
	}
	return prot.Open(seq, typ, vers, fragment)
}

// openInner removes a TLS 1.3 protection: into readDst when the protection
// can and the plaintext fits, where only application data stays; anything
// else in place.
func (l *Layer) openInner(inner InnerTypeProtection, seq uint64, outer wire.ContentType, vers suites.Version, fragment []byte) (wire.ContentType, []byte, error) {
	if o, ok := inner.(innerOpenerTo); ok && l.readDst != nil {
		if typ, payload, fits, err := o.OpenInnerTo(l.readDst, seq, outer, vers, fragment); fits {
			return typ, payload, err
		}
	}
	return inner.OpenInner(seq, outer, vers, fragment)
}

// SetReadDestination makes ReadRecord decrypt an application-data record
// straight into dst when the protection allows it (TLS 1.2 AEAD suites and
// TLS 1.3) and the plaintext fits (in TLS 1.3 with its content type and
// padding, so a full record needs more than 16 KiB); the payload it
// returns then aliases dst, and the input buffer held only the protected
// record. A Conn sets the caller's Read buffer for the length of one Read
// and nil after it, which saves copying every record out of the input
// buffer. dst must not be memory of
// the Layer's.
func (l *Layer) SetReadDestination(dst []byte) { l.readDst = dst }

// checkPlaintext applies the limits on an opened record's plaintext.
func checkPlaintext(typ wire.ContentType, payload []byte) error {
	if len(payload) > MaxPlaintext {
		return wire.Errorf(wire.AlertRecordOverflow, "%v record decrypts to %d bytes, more than 2^14", typ, len(payload))
	}
	// RFC 5246 §6.2.1: "Implementations MUST NOT send zero-length
	// fragments of Handshake, Alert, or ChangeCipherSpec content types.
	// Zero-length fragments of Application data MAY be sent".
	if len(payload) == 0 && typ != wire.ContentApplicationData {
		return wire.Errorf(wire.AlertUnexpectedMessage, "empty %v record", typ)
	}
	return nil
}

// readHeader checks the header of the record at l.r, which fill has
// buffered, and saves a copy of it in l.header.
func (l *Layer) readHeader(first bool) (wire.ContentType, suites.Version, int, error) {
	hdr := l.in[l.r : l.r+HeaderLen]
	copy(l.header[:], hdr)
	typ := wire.ContentType(hdr[0])
	vers := suites.Version(hdr[1])<<8 | suites.Version(hdr[2])
	n := int(hdr[3])<<8 | int(hdr[4])
	if first && !plausibleHeader(hdr) {
		return 0, 0, 0, newNotTLSError(l.in[l.r:l.w])
	}
	if err := checkContentType(typ); err != nil {
		return 0, 0, 0, err
	}
	if l.version == 0 {
		// Before the version is known, accept what a ClientHello record
		// may carry. RFC 5246 Appendix E.1: "TLS servers MUST accept any
		// value {03,XX} as the record layer version number for
		// ClientHello"; RFC 8446 §5.1: legacy_record_version "MUST be
		// ignored for all purposes". A major version other than 3 is not
		// TLS at all.
		if vers>>8 != 3 {
			return 0, 0, 0, wire.Errorf(wire.AlertProtocolVersion, "record version %#04x is not TLS", uint16(vers))
		}
	} else if vers != l.version {
		return 0, 0, 0, wire.Errorf(wire.AlertProtocolVersion, "record version %#04x, want %#04x", uint16(vers), uint16(l.version))
	}
	return typ, vers, n, nil
}

// errSkippedEarlyData tells ReadRecord that readRecord discarded a record of
// rejected early data and should read the next one.
var errSkippedEarlyData = errors.New("record: skipped early data")

// SkipEarlyData makes the layer discard up to budget bytes of TLS 1.3
// early data that the server did not accept (RFC 8446 §4.2.10): under a
// TLS 1.3 protection, records that fail to decrypt, until the first that
// decrypts; under no protection (after a HelloRetryRequest), records of
// type application_data, until a record of another type. Discarded records
// take no sequence number: they were never under this key.
func (l *Layer) SkipEarlyData(budget int) { l.skipBudget = budget }

// skipEarly reports whether a record of n bytes is rejected early data to
// discard, and charges it to the budget.
func (l *Layer) skipEarly(n int) bool {
	if l.skipBudget < n {
		l.skipBudget = 0
		return false
	}
	l.skipBudget -= n
	return true
}

// checkContentType accepts the four content types of RFC 5246 §6.2.1.
// Heartbeat (RFC 6520) is never negotiated by clasp, so it is as unexpected
// as an unassigned type.
func checkContentType(typ wire.ContentType) error {
	switch typ {
	case wire.ContentChangeCipherSpec, wire.ContentAlert, wire.ContentHandshake, wire.ContentApplicationData:
		return nil
	}
	return wire.Errorf(wire.AlertUnexpectedMessage, "record of unexpected content type %v", typ)
}

func isNull(p Protection) bool {
	_, ok := p.(NullProtection)
	return ok
}

// fill makes sure that at least need bytes are buffered at l.r, reading
// from the connection as needed. When sniff is set (the first record), each
// read is checked so that a peer speaking another protocol is recognised as
// soon as its first bytes arrive, even if it then waits for us to answer.
func (l *Layer) fill(need int, sniff bool) error {
	if l.w-l.r >= need {
		return nil
	}
	if l.in == nil {
		l.in = getInBuf(max(need, l.readHint))
	}
	if l.r+need > len(l.in) {
		if need > len(l.in) {
			bigger := getInBuf(max(need, 2*len(l.in)))
			l.w = copy(bigger, l.in[l.r:l.w])
			putInBuf(l.in, l.inUsed)
			l.in, l.inUsed = bigger, l.w
		} else {
			// Move the partial record to the front to make room.
			l.w = copy(l.in, l.in[l.r:l.w])
		}
		l.r = 0
	}
	for l.w-l.r < need {
		m, err := l.conn.Read(l.in[l.w:])
		l.w += m
		l.inUsed = max(l.inUsed, l.w)
		// One byte cannot tell an unknown content type in a TLS header
		// from another protocol; two can (see plausibleHeader), or the end
		// of the stream.
		if sniff && l.w-l.r >= 2 && !plausibleHeader(l.in[l.r:l.w]) {
			return newNotTLSError(l.in[l.r:l.w])
		}
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			if l.w == l.r {
				return io.EOF
			}
			if sniff && !plausibleHeader(l.in[l.r:l.w]) {
				return newNotTLSError(l.in[l.r:l.w])
			}
			return io.ErrUnexpectedEOF
		}
		if l.w-l.r >= need {
			break // use what arrived; the error will come back next time
		}
		return err
	}
	return nil
}

// ReleaseReadBuffer gives the input buffer back to the pool when no bytes
// are buffered in it, so that a connection between records holds none; the
// next ReadRecord takes one again. The payload of the last ReadRecord is
// then no longer valid: call it only once that payload has been used or
// copied.
func (l *Layer) ReleaseReadBuffer() {
	if l.in == nil || l.r != l.w {
		return
	}
	putInBuf(l.in, l.inUsed)
	l.in, l.r, l.w, l.inUsed = nil, 0, 0, 0
}

// WriteRecord splits payload into records of at most the maximum plaintext
// size, protects each with the current write protection and sequence number
// and appends them to the output buffer (RFC 5246 §6.2.1: "multiple client
// messages of the same ContentType MAY be coalesced into a single
// TLSPlaintext record, or a single message MAY be fragmented across several
// records"). Nothing is written to the connection until Flush. An empty
// application-data payload becomes one empty record; an empty payload of
// any other type is refused, as the RFC forbids sending it.
//
// Handshake bytes are coalesced: consecutive handshake payloads written
// under one protection and one size limit share records, each filled up to
// the limit, as TLS stacks commonly send a flight (RFC 8448's server sends
// EncryptedExtensions to Finished in one record). They are sealed when
// something else is written, when the protection or the limit changes, and
// at Flush.
//
// Under TLS 1.0 CBC protection, application data is split 1/n-1: the first
// record carries one byte. With IVs chained from the previous record
// (RFC 2246 §6.2.3.2) an attacker who injects chosen plaintext can predict
// the IV (BEAST); the one-byte record's MAC makes the IV of the record with
// the rest unpredictable.
func (l *Layer) WriteRecord(typ wire.ContentType, payload []byte) error {
	if l.writeErr != nil {
		return l.writeErr
	}
	if len(payload) == 0 && typ != wire.ContentApplicationData {
		return wire.Errorf(wire.AlertInternalError, "refusing to send an empty %v record (RFC 5246 §6.2.1)", typ)
	}
	if typ == wire.ContentHandshake {
		l.pend = growBuf(l.pend, len(payload))
		l.pend = append(l.pend, payload...)
		// Whole records leave at once; the last partial one waits for
		// the rest of the flight.
		n := 0
		for len(l.pend)-n > l.maxOut {
			if err := l.writeOne(wire.ContentHandshake, l.pend[n:n+l.maxOut]); err != nil {
				l.writeErr = err
				return err
			}
			n += l.maxOut
		}
		l.pend = l.pend[:copy(l.pend, l.pend[n:])]
		return nil
	}
	if err := l.sealPending(); err != nil {
		return err
	}
	first := l.maxOut
	if l.SplitsApplicationData() && typ == wire.ContentApplicationData && len(payload) > 1 {
		first = 1
	}
	for {
		n := min(len(payload), l.maxOut, first)
		first = l.maxOut
		if err := l.writeOne(typ, payload[:n]); err != nil {
			l.writeErr = err
			return err
		}
		payload = payload[n:]
		if len(payload) == 0 {
			return nil
		}
	}
}

// SplitsApplicationData reports whether WriteRecord sends application
// data 1/n-1: under CBC protection with chained IVs (TLS 1.0, SSL 3.0).
func (l *Layer) SplitsApplicationData() bool {
	cbc, ok := l.wr.prot.(*cbcProtection)
	return ok && !cbc.explicitIV
}

func (l *Layer) writeOne(typ wire.ContentType, fragment []byte) error {
	seq, err := l.wr.next()
	if err != nil {
		return err
	}
	prot := l.wr.prot
	outer := typ
	vers := l.version
	if vers == 0 {
		vers = suites.VersionTLS10
	}
	if inner, ok := prot.(InnerTypeProtection); ok {
		outer = inner.OuterType()
		// RFC 8446 §5.2: every TLSCiphertext says 0x0303, also a client's
		// 0-RTT records, which leave before the version is negotiated.
		vers = suites.VersionTLS12
	}
	buf := growBuf(l.out, HeaderLen+len(fragment)+prot.MaxOverhead())
	start := len(buf)
	buf = append(buf, byte(outer), byte(vers>>8), byte(vers), 0, 0)
	sealed, err := prot.Seal(buf, seq, typ, vers, fragment)
	if err != nil {
		// Seal may have copied plaintext past start before it failed (CBC
		// does, then reads its IV), and Flush clears only up to the
		// length: clear it here.
		clear(buf[start:cap(buf)])
		l.out = buf[:start]
		return err
	}
	l.out = sealed
	n := len(l.out) - start - HeaderLen
	l.out[start+3], l.out[start+4] = byte(n>>8), byte(n)
	return nil
}

// sealPending puts the handshake bytes not yet sealed into records, under
// the current protection and limit.
func (l *Layer) sealPending() error {
	if l.writeErr != nil || len(l.pend) == 0 {
		return l.writeErr
	}
	for p := l.pend; len(p) > 0; {
		n := min(len(p), l.maxOut)
		if err := l.writeOne(wire.ContentHandshake, p[:n]); err != nil {
			l.writeErr = err
			return err
		}
		p = p[n:]
	}
	// Bytes past pend's length may be handshake plaintext moved to the
	// front by WriteRecord: clear up to the capacity.
	putOutBuf(l.pend, cap(l.pend))
	l.pend = nil
	return nil
}

// growBuf returns buf with room for n more bytes, taking a bigger buffer from
// the pool (or, past the largest pooled size, the heap) and giving the old
// one back when buf is too small.
func growBuf(buf []byte, n int) []byte {
	if cap(buf)-len(buf) >= n {
		return buf
	}
	bigger := append(getOutBuf(max(len(buf)+n, 2*cap(buf))), buf...)
	if buf != nil {
		putOutBuf(buf, cap(buf))
	}
	return bigger
}

// Unflushed is the number of bytes written by WriteRecord and not yet sent
// by Flush: whole records, plus handshake bytes not yet sealed into one.
func (l *Layer) Unflushed() int { return len(l.out) + len(l.pend) }

// Flush writes every buffered record to the connection in a single Write,
// so that a whole flight leaves in one segment where the network allows.
func (l *Layer) Flush() error {
	if err := l.sealPending(); err != nil {
		return err
	}
	if len(l.out) == 0 {
		return nil
	}
	_, err := l.conn.Write(l.out)
	// out only ever grew by appending whole records (writeOne clears what
	// a failed Seal left past its length), so its length is all it used.
	putOutBuf(l.out, len(l.out))
	l.out = nil
	if err != nil {
		l.writeErr = err
	}
	return err
}

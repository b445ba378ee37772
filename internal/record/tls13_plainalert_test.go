package record

import (
	"bytes"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// A TLS 1.3 client that rejects the server's certificate sends its alert
// before it has switched to its handshake keys, in the clear (OpenSSL does);
// the server, already reading with the client's handshake keys, must still
// see the alert — but only before any protected record arrived.
func TestTLS13PlaintextAlertBeforeFirstProtectedRecord(t *testing.T) {
	prot, err := NewProtectionTLS13(suites.CipherAES128GCM, make([]byte, 16), make([]byte, 12))
	if err != nil {
		t.Fatal(err)
	}
	alert := []byte{21, 3, 3, 0, 2, 2, 48} // fatal unknown_ca
	l := readerOf(alert)
	l.SetVersion(suites.VersionTLS13)
	l.SetReadProtection(prot)
	typ, payload, err := l.ReadRecord()
	if err != nil || typ != wire.ContentAlert || !bytes.Equal(payload, []byte{2, 48}) {
		t.Fatalf("ReadRecord = %v %x %v, want the plaintext alert", typ, payload, err)
	}

	// After a protected record, a plaintext alert is an injection.
	var stream bytes.Buffer
	w := NewLayer(&stream)
	w.SetVersion(suites.VersionTLS13)
	wprot, _ := NewProtectionTLS13(suites.CipherAES128GCM, make([]byte, 16), make([]byte, 12))
	w.SetWriteProtection(wprot)
	if err := w.WriteRecord(wire.ContentHandshake, []byte{20, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	stream.Write(alert)
	r := NewLayer(&stream)
	r.SetVersion(suites.VersionTLS13)
	rprot, _ := NewProtectionTLS13(suites.CipherAES128GCM, make([]byte, 16), make([]byte, 12))
	r.SetReadProtection(rprot)
	if _, _, err := r.ReadRecord(); err != nil {
		t.Fatalf("protected record: %v", err)
	}
	_, _, err = r.ReadRecord()
	wantAlert(t, err, wire.AlertUnexpectedMessage)

	// Under application keys (a later epoch) it is an injection too.
	late := readerOf(alert)
	late.SetVersion(suites.VersionTLS13)
	for range 2 {
		p, _ := NewProtectionTLS13(suites.CipherAES128GCM, make([]byte, 16), make([]byte, 12))
		late.SetReadProtection(p)
	}
	_, _, err = late.ReadRecord()
	wantAlert(t, err, wire.AlertUnexpectedMessage)
}

// RFC 8446 §4.2.10: a server that rejects 0-RTT discards the client's
// early records (they fail to decrypt under the handshake key) up to a
// budget, without using sequence numbers, and then reads on normally.
func TestSkipEarlyDataDiscardsUndecryptableRecords(t *testing.T) {
	key, iv := fill(16, 1), fill(12, 2)
	early := tls13Seal(fill(16, 7), iv, 0, wire.ContentApplicationData, []byte("0-RTT"), 0)
	good := tls13Seal(key, iv, 0, wire.ContentHandshake, []byte{20, 0, 0, 0}, 0)
	stream := append(append(append([]byte{}, early...), early...), good...)

	r := readerOf(stream)
	r.SetVersion(suites.VersionTLS13)
	p, _ := NewProtectionTLS13(suites.CipherAES128GCM, key, iv)
	r.SetReadProtection(p)
	r.SkipEarlyData(1 << 10)
	typ, payload, err := r.ReadRecord()
	if err != nil || typ != wire.ContentHandshake || !bytes.Equal(payload, []byte{20, 0, 0, 0}) {
		t.Fatalf("ReadRecord = %v %x %v, want the handshake record after the skipped early data", typ, payload, err)
	}

	// Without the budget the same stream is a bad_record_mac.
	r = readerOf(stream)
	r.SetVersion(suites.VersionTLS13)
	p, _ = NewProtectionTLS13(suites.CipherAES128GCM, key, iv)
	r.SetReadProtection(p)
	_, _, err = r.ReadRecord()
	wantAlert(t, err, wire.AlertBadRecordMAC)
}

package wire

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// javaV2Hello is the SSL 2.0-format hello Java 17's JSSE sent with
// "SSLv2Hello" and "TLSv1.2" enabled and one suite (captured from a
// listener): msg_length 0x2f, CLIENT-HELLO, version 0x0303, two cipher
// specs (TLS_RSA_WITH_AES_128_CBC_SHA and the renegotiation SCSV), no
// session ID, a 32-byte challenge (zeros here; Java's was random).
var javaV2Hello = append([]byte{0x80, 0x2f, 0x01, 0x03, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x20,
	0x00, 0x00, 0x2f, 0x00, 0x00, 0xff}, make([]byte, 32)...)

func TestParseV2ClientHelloAsJavaSendsIt(t *testing.T) {
	if !IsV2ClientHelloHeader(javaV2Hello) {
		t.Fatal("not recognised as an SSL 2.0-format hello")
	}
	m, err := ParseV2ClientHello(javaV2Hello[2:])
	if err != nil {
		t.Fatal(err)
	}
	want := &V2ClientHello{Version: suites.VersionTLS12, CipherSpecs: []uint32{0x00002f, 0x0000ff}, Challenge: make([]byte, 32)}
	if !reflect.DeepEqual(m, want) {
		t.Fatalf("parsed %+v, want %+v", m, want)
	}
	rec, err := m.MarshalRecord()
	if err != nil || !bytes.Equal(rec, javaV2Hello) {
		t.Fatalf("re-marshalled %x (%v), want %x", rec, err, javaV2Hello)
	}
	ch := m.ClientHello()
	if ch.Version != suites.VersionTLS12 || !reflect.DeepEqual(ch.CipherSuites, []suites.ID{0x002f, 0x00ff}) ||
		!bytes.Equal(ch.CompressionMethods, []uint8{0}) || ch.Extensions != nil || ch.SessionID != nil {
		t.Fatalf("ClientHello %+v", ch)
	}
}

// Every strict prefix of a valid hello is a decode_error (the lengths
// inside no longer fit), never a panic or an accepted message.
func TestParseV2ClientHelloRejectsPrefixes(t *testing.T) {
	body := javaV2Hello[2:]
	for n := range len(body) {
		_, err := ParseV2ClientHello(body[:n])
		var we *Error
		if !errors.As(err, &we) || we.Alert != AlertDecodeError {
			t.Fatalf("prefix of %d bytes: %v, want decode_error", n, err)
		}
	}
}

// FuzzParseV2ClientHello: any body parses or fails with a *Error, and what
// parses marshals back to the same bytes.
func FuzzParseV2ClientHello(f *testing.F) {
	f.Add(javaV2Hello[2:])
	f.Add([]byte{0x01, 0x03, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10, 0x01, 0x00, 0x80,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16})
	f.Add([]byte{0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x10})
	f.Fuzz(func(t *testing.T, body []byte) {
		m, err := ParseV2ClientHello(body)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %v is %T, want *Error", err, err)
			}
			return
		}
		rec, err := m.MarshalRecord()
		if err != nil || !bytes.Equal(rec[2:], body) {
			t.Fatalf("re-marshalled %x (%v), want %x", rec, err, body)
		}
		ch := m.ClientHello()
		if len(ch.CipherSuites) > len(m.CipherSpecs) || !bytes.HasSuffix(ch.Random[:], m.Challenge) {
			t.Fatalf("ClientHello %+v from %+v", ch, m)
		}
	})
}

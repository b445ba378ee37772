package wire

import (
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// RFC 8449 §4: uint16 RecordSizeLimit, at least 64.
func TestRecordSizeLimitParses(t *testing.T) {
	for _, msg := range []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions} {
		for _, limit := range []uint16{64, 256, 1 << 14, 1<<14 + 1, 0xffff} {
			e := acceptsExt(t, msg, ExtRecordSizeLimit, []byte{byte(limit >> 8), byte(limit)})
			if got := e.(*RecordSizeLimitExt).Limit; got != limit {
				t.Errorf("%v: limit %d, want %d", msg, got, limit)
			}
		}
	}
}

// "An endpoint MUST treat receipt of a smaller value as a fatal error and
// generate an "illegal_parameter" alert."
func TestRecordSizeLimitRejectsBelow64(t *testing.T) {
	for _, msg := range []HandshakeType{TypeClientHello, TypeServerHello, TypeEncryptedExtensions} {
		rejectsExt(t, msg, ExtRecordSizeLimit, []byte{0, 63}, AlertIllegalParameter)
		rejectsExt(t, msg, ExtRecordSizeLimit, []byte{0, 0}, AlertIllegalParameter)
	}
}

func TestRecordSizeLimitRejectsBadLength(t *testing.T) {
	rejectsExt(t, TypeClientHello, ExtRecordSizeLimit, []byte{0x40}, AlertDecodeError)
	rejectsExt(t, TypeClientHello, ExtRecordSizeLimit, []byte{0x40, 0x01, 0}, AlertDecodeError)
	rejectsExt(t, TypeEncryptedExtensions, ExtRecordSizeLimit, nil, AlertDecodeError)
}

func TestRecordSizeLimitRefusesToMarshalBelow64(t *testing.T) {
	ee := &EncryptedExtensions{Extensions: []Extension{&RecordSizeLimitExt{Limit: 63}}}
	if _, err := ee.Marshal(); err == nil {
		t.Fatal("marshalled a record_size_limit of 63")
	}
	ee.Extensions[0] = &RecordSizeLimitExt{Limit: 64}
	raw, err := ee.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseHandshake(raw, Context{Version: suites.VersionTLS13})
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := FindExtension[*RecordSizeLimitExt](m.(*EncryptedExtensions).Extensions); !ok || e.Limit != 64 {
		t.Fatalf("got %#v", e)
	}
}

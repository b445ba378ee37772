package record

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"io"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// fuzzProtectionNames are the read protections FuzzReadRecord chooses
// from; index 0 is none.
var fuzzProtectionNames = []string{"", "AES128GCM", "ChaCha20", "AES128CBCSHA256", "TLS10AES128CBC", "TLS13"}

// fuzzProtection builds the named protection with fixed test keys.
func fuzzProtection(tb testing.TB, name string) Protection {
	if name == "TLS13" {
		p, err := NewProtectionTLS13(suites.CipherAES128GCM, fill(16, 1), fill(12, 2))
		if err != nil {
			tb.Fatal(err)
		}
		return p
	}
	return newTestProtections(tb)[name]()
}

// sealedStream returns handshake records sealed under the named protection.
func sealedStream(tb testing.TB, name string, msgs ...[]byte) []byte {
	return sealedStreamOf(tb, name, wire.ContentHandshake, msgs...)
}

// sealedStreamOf returns records of type typ sealed under the named
// protection.
func sealedStreamOf(tb testing.TB, name string, typ wire.ContentType, msgs ...[]byte) []byte {
	var out []byte
	p := fuzzProtection(tb, name)
	for i, m := range msgs {
		frag, err := p.Seal(nil, uint64(i), typ, suites.VersionTLS12, m)
		if err != nil {
			tb.Fatal(err)
		}
		outer := byte(typ)
		if inner, ok := p.(InnerTypeProtection); ok {
			outer = byte(inner.OuterType())
		}
		out = append(out, rawRecord(outer, 0x0303, frag)...)
	}
	return out
}

func checkReadError(t *testing.T, err error) {
	var we *wire.Error
	var nt *NotTLSError
	switch {
	case errors.As(err, &we), errors.As(err, &nt), err == io.EOF, err == io.ErrUnexpectedEOF:
	default:
		t.Fatalf("unexpected error type %T: %v", err, err)
	}
}

// FuzzReadRecord feeds an arbitrary byte stream to a Layer under no
// protection or one of the real ones: no panic, no hang, only protocol or
// I/O errors, and only legal records come out.
func FuzzReadRecord(f *testing.F) {
	f.Add(byte(0), rawRecord(22, 0x0301, []byte{1, 0, 0, 0}))
	f.Add(byte(0), append(rawRecord(22, 0x0303, []byte{2, 0, 0, 0}), rawRecord(20, 0x0303, []byte{1})...))
	f.Add(byte(0), []byte("HTTP/1.0 200 OK\r\n"))
	f.Add(byte(0), []byte{0x16, 3, 1, 0x40, 0x01})
	f.Add(byte(0x80), rawRecord(23, 0x0303, nil))
	// Empty handshake, alert and change_cipher_spec records (RFC 5246
	// §6.2.1, RFC 8446 §5.1), an alert of the wrong length, a CCS of the
	// wrong value, and a handshake record whose message the next one ends.
	f.Add(byte(0x80), append(rawRecord(22, 0x0303, nil), rawRecord(21, 0x0303, nil)...))
	f.Add(byte(0x80), append(rawRecord(20, 0x0303, nil), rawRecord(21, 0x0303, []byte{1, 112, 0})...))
	f.Add(byte(0x80), append(rawRecord(22, 0x0303, []byte{14, 0, 0, 0, 11, 0}), rawRecord(20, 0x0303, []byte{2})...))
	for i, name := range fuzzProtectionNames[1:] {
		f.Add(byte(i+1), sealedStream(f, name, []byte{20, 0, 0, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12}, []byte("x")))
		// Application data, which the second layer opens into its read
		// destination: one record that fits, one that does not.
		f.Add(byte(i+1), sealedStreamOf(f, name, wire.ContentApplicationData, []byte("fits"), make([]byte, 600)))
	}
	f.Fuzz(func(t *testing.T, mode byte, stream []byte) {
		newLayer := func(conn io.ReadWriter) *Layer {
			l := NewLayer(conn)
			if name := fuzzProtectionNames[int(mode&0x7f)%len(fuzzProtectionNames)]; name != "" {
				l.SetReadProtection(fuzzProtection(t, name))
			}
			if mode&0x80 != 0 {
				l.SetVersion(suites.VersionTLS12) // also TLS 1.3's record version
			}
			return l
		}
		// released gives its input buffer back to the pool after every
		// record, as Conn does between reads, and its connection hands
		// over one byte per read, so that no bytes of the next record are
		// buffered and every release takes place: it must read exactly
		// what l, which keeps its buffer, reads. It also has a read
		// destination, as a Conn's Read sets, so that application data
		// that fits is opened into it rather than in place.
		l, released := newLayer(&loop{buf: stream}), newLayer(byteReader{&loop{buf: stream}})
		released.SetReadDestination(make([]byte, 512))
		for i := 0; ; i++ {
			if i > len(stream)/HeaderLen+1 {
				t.Fatal("more records than the stream can hold")
			}
			typ, b, err := l.ReadRecord()
			b = bytes.Clone(b)
			typ2, b2, err2 := released.ReadRecord()
			if typ != typ2 || !bytes.Equal(b, b2) || (err == nil) != (err2 == nil) {
				t.Fatalf("record %d: %v %x %v with a kept buffer, %v %x %v with a released one", i, typ, b, err, typ2, b2, err2)
			}
			released.ReleaseReadBuffer() // b2 is no longer valid
			if err != nil {
				checkReadError(t, err)
				return
			}
			if len(b) > MaxPlaintext || (len(b) == 0 && typ != wire.ContentApplicationData) {
				t.Fatalf("illegal record returned: %v, %d bytes", typ, len(b))
			}
			if typ < 20 || typ > 23 {
				t.Fatalf("content type %v returned", typ)
			}
		}
	})
}

// byteReader returns at most one byte per Read.
type byteReader struct{ *loop }

func (b byteReader) Read(p []byte) (int, error) { return b.loop.Read(p[:min(len(p), 1)]) }

// FuzzAssembler splits an arbitrary handshake stream into fragments of a
// fuzzed size: what comes out is exactly the stream, message by message,
// until the first refusal, and nothing over the limit is ever buffered.
func FuzzAssembler(f *testing.F) {
	f.Add(append(hsMsg(1, fill(40, 0)), hsMsg(14, nil)...), byte(3))
	f.Add([]byte{11, 0, 4, 1, 0}, byte(0))
	f.Add(hsMsg(2, fill(600, 1)), byte(255))
	f.Fuzz(func(t *testing.T, stream []byte, chunk byte) {
		const max = 512
		a := Assembler{MaxMessageSize: max}
		orig := bytes.Clone(stream)
		var out []byte
		step := int(chunk) + 1
		for len(stream) > 0 {
			n := min(step, len(stream))
			if err := a.Add(stream[:n]); err != nil {
				var we *wire.Error
				if !errors.As(err, &we) || we.Alert != wire.AlertDecodeError {
					t.Fatalf("refusal %v", err)
				}
				break
			}
			stream = stream[n:]
			for m, ok := a.Next(); ok; m, ok = a.Next() {
				if bodyLen := int(m[1])<<16 | int(m[2])<<8 | int(m[3]); bodyLen != len(m)-4 || bodyLen > max {
					t.Fatalf("message of %d bytes declares %d", len(m), bodyLen)
				}
				out = append(out, m...)
			}
			if !bytes.HasPrefix(orig, out) {
				t.Fatal("messages out are not the stream in")
			}
			if len(a.buf)-a.start > max+4 {
				t.Fatalf("%d bytes pending with a %d-byte limit", len(a.buf)-a.start, max)
			}
		}
	})
}

// fuzzOpen is the body shared by the per-protection Open fuzzers: Open never
// panics, fails only with the shared bad_record_mac error, and a plaintext
// it returns lies inside the fragment.
func fuzzOpen(f *testing.F, name string) {
	for _, n := range []int{0, 1, 15, 100} {
		rec, _ := fuzzProtection(f, name).Seal(nil, 7, wire.ContentApplicationData, suites.VersionTLS12, fill(n, 0))
		f.Add(uint64(7), byte(23), rec)
	}
	f.Add(uint64(0), byte(22), []byte{})
	f.Fuzz(func(t *testing.T, seq uint64, typ byte, frag []byte) {
		p := func() Protection { return fuzzProtection(t, name) }
		orig := bytes.Clone(frag)
		pt, err := p().Open(seq, wire.ContentType(typ), suites.VersionTLS12, frag)
		checkOpenTo(t, p(), seq, wire.ContentType(typ), bytes.Clone(orig), pt, err)
		if err != nil {
			var we *wire.Error
			if name == "TLS13" && errors.As(err, &we) && we.Alert != wire.AlertBadRecordMAC {
				return // wrong outer type, no inner type: after authentication
			}
			if err != errBadRecordMAC {
				t.Fatalf("error %v is not the shared bad_record_mac", err)
			}
			return
		}
		if len(pt) > len(frag) {
			t.Fatal("plaintext longer than the fragment")
		}
		// Whatever opened must seal back to something that opens to the
		// same plaintext.
		again, _ := p().Seal(nil, seq, wire.ContentType(typ), suites.VersionTLS12, pt)
		if pt2, err := p().Open(seq, wire.ContentType(typ), suites.VersionTLS12, again); err != nil || !bytes.Equal(pt, pt2) {
			t.Fatalf("resealed record of %x does not open: %v", orig, err)
		}
	})
}

// checkOpenTo opens frag again into a destination, as a Conn's Read does,
// where the protection can (TLS 1.2 AEAD, TLS 1.3): the outcome must be
// Open's (pt, err), application data must be left in the destination and
// nothing else may be. The destination's size, from seq, is sometimes too
// small, and then nothing may be done.
func checkOpenTo(t *testing.T, p Protection, seq uint64, typ wire.ContentType, frag, pt []byte, err error) {
	dst := make([]byte, int(seq%512))
	var got []byte
	var gotErr error
	var fits bool
	inDst := typ == wire.ContentApplicationData
	switch o := p.(type) {
	case innerOpenerTo:
		var inner wire.ContentType
		inner, got, fits, gotErr = o.OpenInnerTo(dst, seq, typ, suites.VersionTLS12, frag)
		inDst = gotErr == nil && inner == wire.ContentApplicationData
	case openerTo:
		got, fits, gotErr = o.OpenTo(dst, seq, typ, suites.VersionTLS12, frag)
	default:
		return
	}
	switch {
	case !fits:
		if got != nil || gotErr != nil || !bytes.Equal(dst, make([]byte, len(dst))) {
			t.Fatal("a destination too small was used")
		}
	case (gotErr == nil) != (err == nil) || !bytes.Equal(got, pt):
		t.Fatalf("opened into a destination: %x, %v; in place: %x, %v", got, gotErr, pt, err)
	case inDst && len(got) > 0 && &got[0] != &dst[0]:
		t.Fatal("application data opened elsewhere than the destination")
	case !inDst && !bytes.Equal(dst, make([]byte, len(dst))):
		t.Fatal("a record that is not application data left bytes in the destination")
	}
}

func FuzzOpenGCM(f *testing.F)      { fuzzOpen(f, "AES128GCM") }
func FuzzOpenChaCha20(f *testing.F) { fuzzOpen(f, "ChaCha20") }
func FuzzOpenCBC(f *testing.F)      { fuzzOpen(f, "AES128CBCSHA256") }
func FuzzOpenCBCTLS10(f *testing.F) { fuzzOpen(f, "TLS10AES128CBC") }
func FuzzOpenTLS13(f *testing.F)    { fuzzOpen(f, "TLS13") }
func FuzzOpenCBCETM(f *testing.F)   { fuzzOpen(f, "ETMAES128CBCSHA256") }
func FuzzOpen3DES(f *testing.F)     { fuzzOpen(f, "TLS103DESCBCSHA") }
func FuzzOpenRC4(f *testing.F)      { fuzzOpen(f, "RC4SHA") }
func FuzzOpenNULL(f *testing.F)     { fuzzOpen(f, "NULLMD5") }
func FuzzOpenSSL3CBC(f *testing.F)  { fuzzOpen(f, "SSL3AES128CBCSHA") }

// FuzzCBCOpenAgainstReference checks the constant-time CBC Open against a
// plain, branching implementation of RFC 5246 §6.2.3.2. Random ciphertext
// almost never decrypts to a valid padding, so the fuzzer controls the
// decrypted body instead: content, a correct MAC, padding of the fuzzed
// length, then fuzzed damage to the tail. Both must agree on accept or
// reject and on the content.
func FuzzCBCOpenAgainstReference(f *testing.F) {
	f.Add(fill(20, 0), byte(11), []byte{}, uint16(0))
	f.Add(fill(200, 0), byte(255), []byte{0, 0, 1}, uint16(0))
	f.Add(fill(3, 0), byte(12), []byte{0xff}, uint16(5))
	f.Add([]byte{}, byte(0), []byte{0x10}, uint16(0))
	key, macKey, iv := fill(16, 1), fill(32, 2), fill(16, 3)
	f.Fuzz(func(t *testing.T, content []byte, padLen byte, damage []byte, macFlip uint16) {
		const macSize = 32
		excess := (len(content) + macSize + int(padLen) + 1) % 16
		if excess > len(content) {
			return
		}
		content = content[:len(content)-excess]
		m := hmac.New(sha256.New, macKey)
		m.Write(handAD(1, wire.ContentApplicationData, suites.VersionTLS12, len(content)))
		m.Write(content)
		body := m.Sum(bytes.Clone(content))
		if macFlip != 0 {
			body[len(content)+int(macFlip)%macSize] ^= byte(macFlip >> 8)
		}
		for i := 0; i <= int(padLen); i++ {
			body = append(body, padLen)
		}
		for i, d := range damage {
			if i >= len(body) {
				break
			}
			body[len(body)-1-i] ^= d
		}

		// Reference: straightforward, branching decoding.
		wantOK := func() bool {
			n := len(body)
			pl := int(body[n-1])
			if pl+1+macSize > n {
				return false
			}
			for _, b := range body[n-1-pl:] {
				if int(b) != pl {
					return false
				}
			}
			c := body[:n-1-pl-macSize]
			r := hmac.New(sha256.New, macKey)
			r.Write(handAD(1, wire.ContentApplicationData, suites.VersionTLS12, len(c)))
			r.Write(c)
			if !hmac.Equal(r.Sum(nil), body[len(c):len(c)+macSize]) {
				return false
			}
			content = c
			return true
		}()

		block, _ := aes.NewCipher(key)
		rec := bytes.Clone(iv)
		ct := make([]byte, len(body))
		cipher.NewCBCEncrypter(block, iv).CryptBlocks(ct, body)
		rec = append(rec, ct...)
		p, _ := NewProtection(suites.VersionTLS12, suites.CipherAES128CBC, suites.MACSHA256, key, nil, macKey, nil)
		pt, err := p.Open(1, wire.ContentApplicationData, suites.VersionTLS12, rec)
		if (err == nil) != wantOK {
			t.Fatalf("Open error %v, reference accepts: %v (padLen %d, damage %x)", err, wantOK, padLen, damage)
		}
		if wantOK && !bytes.Equal(pt, content) {
			t.Fatalf("Open returned %x, reference %x", pt, content)
		}
	})
}

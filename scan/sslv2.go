package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// SSL 2.0 has its own message format (draft-hickman-netscape-ssl-00, "The
// SSL Protocol", 1995; RFC 6101 Appendix E describes how SSL 3.0 meets it):
// a two-byte record header with the high bit set and the length in the
// other fifteen bits, then the message. A CLIENT-HELLO offers three-byte
// cipher kinds; a server that speaks SSL 2.0 answers with a SERVER-HELLO
// carrying its certificate and the kinds it shares with the client. RFC
// 6176 prohibits SSL 2.0; a server that still speaks it is open to DROWN
// (Aviram et al., USENIX Security 2016, CVE-2016-0800).

// SSL 2.0 message types (draft-hickman-netscape-ssl-00, "Protocol Message
// Codes").
const (
	ssl2MsgError       = 0
	ssl2MsgClientHello = 1
	ssl2MsgServerHello = 4
)

// SSLv2Cipher is an SSL 2.0 cipher kind, a three-byte code.
type SSLv2Cipher uint32

// ssl2Ciphers are the cipher kinds of draft-hickman-netscape-ssl-00
// Appendix C, with the names OpenSSL 1.0 gave them.
var ssl2Ciphers = []struct {
	kind          SSLv2Cipher
	name, openssl string
}{
	{0x010080, "SSL_CK_RC4_128_WITH_MD5", "RC4-MD5"},
	{0x020080, "SSL_CK_RC4_128_EXPORT40_WITH_MD5", "EXP-RC4-MD5"},
	{0x030080, "SSL_CK_RC2_128_CBC_WITH_MD5", "RC2-CBC-MD5"},
	{0x040080, "SSL_CK_RC2_128_CBC_EXPORT40_WITH_MD5", "EXP-RC2-CBC-MD5"},
	{0x050080, "SSL_CK_IDEA_128_CBC_WITH_MD5", "IDEA-CBC-MD5"},
	{0x060040, "SSL_CK_DES_64_CBC_WITH_MD5", "DES-CBC-MD5"},
	{0x0700C0, "SSL_CK_DES_192_EDE3_CBC_WITH_MD5", "DES-CBC3-MD5"},
}

// String names the kind, or gives its code.
func (c SSLv2Cipher) String() string {
	for _, k := range ssl2Ciphers {
		if k.kind == c {
			return k.name
		}
	}
	return fmt.Sprintf("SSLv2Cipher(0x%06X)", uint32(c))
}

// SSLv2 is what the SSL 2.0 probes found.
type SSLv2 struct {
	// Supported: the server answered an SSL 2.0 CLIENT-HELLO with a
	// SERVER-HELLO that offers at least one cipher kind.
	Supported bool `json:"supported"`
	// Answer says what the server did with the SSL 2.0 hello.
	Answer string `json:"answer"`
	// Ciphers is the SERVER-HELLO's cipher kinds.
	Ciphers []SSLv2CipherEntry `json:"ciphers,omitempty"`
	// Certificate is the SERVER-HELLO's certificate (DER).
	Certificate []byte `json:"-"`
	// CompatHello: the server answered a TLS ClientHello in the SSL 2.0
	// format (RFC 5246 Appendix E.2) with a TLS ServerHello; CompatAnswer
	// says what it did.
	CompatHello  bool   `json:"v2_format_hello_accepted"`
	CompatAnswer string `json:"v2_format_hello_answer"`
}

// SSLv2CipherEntry names one SSL 2.0 cipher kind.
type SSLv2CipherEntry struct {
	Kind    SSLv2Cipher `json:"-"`
	Code    string      `json:"code"`
	Name    string      `json:"name"`
	OpenSSL string      `json:"openssl,omitempty"`
}

func ssl2Entry(c SSLv2Cipher) SSLv2CipherEntry {
	e := SSLv2CipherEntry{Kind: c, Code: fmt.Sprintf("0x%06X", uint32(c)), Name: c.String()}
	for _, k := range ssl2Ciphers {
		if k.kind == c {
			e.OpenSSL = k.openssl
		}
	}
	return e
}

// ssl2ClientHello builds an SSL 2.0 CLIENT-HELLO record: version, the
// lengths of the cipher specs, session ID (none) and challenge, then the
// specs and a 16-byte challenge. For the RFC 5246 Appendix E.2 form the
// version is a TLS one and the specs are TLS suites as 0x00XXYY.
func ssl2ClientHello(version suites.Version, specs []uint32) ([]byte, error) {
	challenge := make([]byte, 16)
	if _, err := io.ReadFull(rand.Reader, challenge); err != nil {
		return nil, err
	}
	var b cryptobyte.Builder
	b.AddUint8(ssl2MsgClientHello)
	b.AddUint16(uint16(version))
	b.AddUint16(uint16(3 * len(specs)))
	b.AddUint16(0)
	b.AddUint16(uint16(len(challenge)))
	for _, s := range specs {
		b.AddUint8(uint8(s >> 16))
		b.AddUint16(uint16(s))
	}
	b.AddBytes(challenge)
	msg, err := b.Bytes()
	if err != nil {
		return nil, err
	}
	if len(msg) > 0x7fff {
		return nil, fmt.Errorf("scan: an SSL 2.0 hello of %d bytes does not fit a two-byte header", len(msg))
	}
	return append([]byte{0x80 | byte(len(msg)>>8), byte(len(msg))}, msg...), nil
}

// ssl2ServerHello is a parsed SERVER-HELLO.
type ssl2ServerHello struct {
	version     uint16
	certificate []byte
	ciphers     []SSLv2Cipher
}

// ssl2Error is an SSL 2.0 ERROR message.
type ssl2Error struct{ code uint16 }

func (e *ssl2Error) Error() string {
	names := map[uint16]string{1: "NO-CIPHER-ERROR", 2: "NO-CERTIFICATE-ERROR", 4: "BAD-CERTIFICATE-ERROR", 6: "UNSUPPORTED-CERTIFICATE-TYPE-ERROR"}
	if n, ok := names[e.code]; ok {
		return "SSL 2.0 error " + n
	}
	return fmt.Sprintf("SSL 2.0 error 0x%04X", e.code)
}

// readSSL2Message reads one SSL 2.0 record and returns its message. A
// three-byte header (high bit clear) carries padding after the message,
// which is dropped. A TLS record instead (content type 21 or 22 in the
// first byte) is reported as errNotSSL2 with the record.
func readSSL2Message(r io.Reader) ([]byte, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return nil, err
	}
	if hdr[0]&0x80 == 0 {
		if hdr[0] >= 20 && hdr[0] <= 24 && hdr[1] == 3 {
			return nil, tlsRecordInstead(r, hdr)
		}
		// Three-byte header: the third byte is the padding length.
		var pad [1]byte
		if _, err := io.ReadFull(r, pad[:]); err != nil {
			return nil, err
		}
		n := int(hdr[0]&0x3f)<<8 | int(hdr[1])
		body := make([]byte, n)
		if _, err := io.ReadFull(r, body); err != nil {
			return nil, err
		}
		if int(pad[0]) > n {
			return nil, fmt.Errorf("SSL 2.0 record with %d bytes of padding in %d", pad[0], n)
		}
		return body[:n-int(pad[0])], nil
	}
	n := int(hdr[0]&0x7f)<<8 | int(hdr[1])
	body := make([]byte, n)
	_, err := io.ReadFull(r, body)
	return body, err
}

// tlsRecordInstead reads the rest of a TLS record whose first two bytes
// are hdr: an alert becomes an *alertError, anything else errNotSSL2.
func tlsRecordInstead(r io.Reader, hdr [2]byte) error {
	rec, err := readRaw(io.MultiReader(bytes.NewReader(hdr[:]), r))
	if err != nil {
		return errNotSSL2{typ: wire.ContentType(hdr[0])}
	}
	if a, err := wire.ParseAlert(rec.payload); rec.typ == wire.ContentAlert && err == nil {
		return &alertError{a}
	}
	return errNotSSL2{typ: rec.typ}
}

// errNotSSL2 is a TLS record where an SSL 2.0 one was expected: a TLS
// server's alert (or, to an SSL 2.0-format TLS hello, its ServerHello).
type errNotSSL2 struct{ typ wire.ContentType }

func (e errNotSSL2) Error() string { return fmt.Sprintf("a TLS %v record", e.typ) }

// parseSSL2ServerHello reads a SERVER-HELLO (or an ERROR) message.
func parseSSL2ServerHello(msg []byte) (*ssl2ServerHello, error) {
	s := cryptobyte.String(msg)
	var typ uint8
	if !s.ReadUint8(&typ) {
		return nil, fmt.Errorf("an empty SSL 2.0 message")
	}
	if typ == ssl2MsgError {
		var code uint16
		if !s.ReadUint16(&code) {
			return nil, fmt.Errorf("a truncated SSL 2.0 ERROR")
		}
		return nil, &ssl2Error{code}
	}
	if typ != ssl2MsgServerHello {
		return nil, fmt.Errorf("SSL 2.0 message type %d, not SERVER-HELLO", typ)
	}
	var hit, certType uint8
	var certLen, specsLen, connIDLen uint16
	sh := &ssl2ServerHello{}
	var cert, specs, connID []byte
	if !s.ReadUint8(&hit) || !s.ReadUint8(&certType) || !s.ReadUint16(&sh.version) ||
		!s.ReadUint16(&certLen) || !s.ReadUint16(&specsLen) || !s.ReadUint16(&connIDLen) ||
		!s.ReadBytes(&cert, int(certLen)) || !s.ReadBytes(&specs, int(specsLen)) || !s.ReadBytes(&connID, int(connIDLen)) {
		return nil, fmt.Errorf("a truncated SSL 2.0 SERVER-HELLO")
	}
	if len(specs)%3 != 0 {
		return nil, fmt.Errorf("SSL 2.0 SERVER-HELLO cipher specs of %d bytes", len(specs))
	}
	sh.certificate = append([]byte(nil), cert...)
	for i := 0; i < len(specs); i += 3 {
		sh.ciphers = append(sh.ciphers, SSLv2Cipher(uint32(specs[i])<<16|uint32(specs[i+1])<<8|uint32(specs[i+2])))
	}
	return sh, nil
}

// sslv2 runs both SSL 2.0 probes.
func (s *scanner) sslv2(ctx context.Context) (*SSLv2, error) {
	out := &SSLv2{}
	var kinds []uint32
	for _, k := range ssl2Ciphers {
		kinds = append(kinds, uint32(k.kind))
	}
	hello, err := ssl2ClientHello(0x0002, kinds)
	if err != nil {
		return nil, err
	}
	err = s.runner.converse(ctx, s.addr, func(conn net.Conn) error {
		if _, err := conn.Write(hello); err != nil {
			out.Answer = describeSSL2Failure(err)
			return nil
		}
		msg, err := readSSL2Message(conn)
		if err == nil {
			var sh *ssl2ServerHello
			if sh, err = parseSSL2ServerHello(msg); err == nil {
				out.Certificate = sh.certificate
				for _, c := range sh.ciphers {
					out.Ciphers = append(out.Ciphers, ssl2Entry(c))
				}
				out.Supported = len(sh.ciphers) > 0
				out.Answer = fmt.Sprintf("SERVER-HELLO version %d with %d cipher kinds", sh.version, len(sh.ciphers))
				return nil
			}
		}
		out.Answer = describeSSL2Failure(err)
		return nil
	})
	if err := ctxOrDial(err, out); err != nil {
		return nil, err
	}
	return out, s.compatHello(ctx, out)
}

// ctxOrDial keeps a failed dial as the probe's answer and returns any other
// error (a cancelled scan).
func ctxOrDial(err error, out *SSLv2) error {
	var de *errDial
	if errors.As(err, &de) {
		out.Answer = de.Error()
		return nil
	}
	return err
}

// describeSSL2Failure says in a few words how the server refused.
func describeSSL2Failure(err error) string {
	var e2 *ssl2Error
	var nt errNotSSL2
	switch {
	case errors.As(err, &e2):
		return e2.Error()
	case errors.As(err, &nt):
		return "answered with " + nt.Error()
	case errors.As(err, new(*alertError)):
		return "answered with a TLS " + failed(err).Summary()
	case isTimeout(err):
		return "no answer before the timeout"
	}
	return describe(err).Error()
}

// compatHello sends a TLS 1.2 ClientHello in the SSL 2.0 format (RFC 5246
// Appendix E.2: "TLS 1.2 servers ... MAY accept" it) offering every suite
// that TLS 1.0–1.2 may negotiate, and records whether a TLS ServerHello
// comes back.
func (s *scanner) compatHello(ctx context.Context, out *SSLv2) error {
	var specs []uint32
	for _, id := range suitesFor(suites.VersionTLS10) {
		specs = append(specs, uint32(id))
	}
	for _, id := range suitesFor(suites.VersionTLS12) {
		if !suitesFor10Has(id) {
			specs = append(specs, uint32(id))
		}
	}
	specs = append(specs, uint32(suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV))
	hello, err := ssl2ClientHello(suites.VersionTLS12, specs)
	if err != nil {
		return err
	}
	err = s.runner.converse(ctx, s.addr, func(conn net.Conn) error {
		if _, err := conn.Write(hello); err != nil {
			out.CompatAnswer = describe(err).Error()
			return nil
		}
		in := &handshakeReader{conn: conn}
		msg, err := in.next()
		if err != nil {
			out.CompatAnswer = failed(err).Summary()
			return nil
		}
		sh, err := wire.ParseServerHello(msg[4:])
		if wire.HandshakeType(msg[0]) != wire.TypeServerHello || err != nil {
			out.CompatAnswer = fmt.Sprintf("%v, not a ServerHello", wire.HandshakeType(msg[0]))
			return nil
		}
		res := helloResult(sh)
		out.CompatHello, out.CompatAnswer = true, res.Summary()
		return nil
	})
	var de *errDial
	if errors.As(err, &de) {
		out.CompatAnswer = de.Error()
		return nil
	}
	return err
}

// suitesFor10Has reports whether id may be negotiated in TLS 1.0.
func suitesFor10Has(id suites.ID) bool {
	s := suites.SuiteByID(id)
	return s != nil && s.SupportsVersion(suites.VersionTLS10)
}

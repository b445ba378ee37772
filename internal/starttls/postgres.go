package starttls

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"strings"
)

// sslRequestCode is the SSLRequest's request code, 1234 in the high 16 bits
// and 5679 in the low ones, chosen not to collide with a protocol version
// (PostgreSQL documentation, "Message Formats": SSLRequest).
const sslRequestCode = 80877103

// maxPostgresError bounds the ErrorResponse a server may send instead of
// answering the SSLRequest.
const maxPostgresError = 8192

// postgres sends the SSLRequest (PostgreSQL documentation, "Protocol Flow",
// SSL Session Encryption) and reads the one-byte answer: 'S' to go on with
// TLS, 'N' for no. A server may also answer with an ErrorResponse ('E').
// The answer is read one byte alone, so that nothing the server sends
// after 'S' is taken for the TLS handshake's (CVE-2021-23222: such bytes
// would be read as the server's TLS records and fail the handshake).
func (s *session) postgres() error {
	var req [8]byte
	binary.BigEndian.PutUint32(req[0:4], 8)
	binary.BigEndian.PutUint32(req[4:8], sslRequestCode)
	if _, err := s.conn.Write(req[:]); err != nil {
		return err
	}
	var answer [1]byte
	if _, err := io.ReadFull(s.conn, answer[:]); err != nil {
		return fmt.Errorf("starttls: reading the PostgreSQL server's answer to SSLRequest: %w", err)
	}
	switch answer[0] {
	case 'S':
		return nil
	case 'N':
		return fmt.Errorf("starttls: the PostgreSQL server does not accept SSL (it answered SSLRequest with 'N')")
	case 'E':
		return s.postgresError()
	}
	return fmt.Errorf("starttls: not a PostgreSQL answer to SSLRequest: 0x%02x", answer[0])
}

// postgresError reads the ErrorResponse after its 'E': an int32 length that
// counts itself, then fields each a type byte and a NUL-ended string, ended
// by a zero byte ("Message Formats": ErrorResponse).
func (s *session) postgresError() error {
	var lenBuf [4]byte
	if _, err := io.ReadFull(s.conn, lenBuf[:]); err != nil {
		return fmt.Errorf("starttls: the PostgreSQL server answered SSLRequest with an error, then: %w", err)
	}
	n := binary.BigEndian.Uint32(lenBuf[:])
	if n < 5 || n > maxPostgresError {
		return fmt.Errorf("starttls: the PostgreSQL server answered SSLRequest with an error of impossible length %d", n)
	}
	body := make([]byte, n-4)
	if _, err := io.ReadFull(s.conn, body); err != nil {
		return fmt.Errorf("starttls: the PostgreSQL server answered SSLRequest with an error, then: %w", err)
	}
	fields := map[byte]string{}
	for len(body) > 0 && body[0] != 0 {
		end := bytes.IndexByte(body[1:], 0)
		if end < 0 {
			return fmt.Errorf("starttls: the PostgreSQL server answered SSLRequest with a malformed error")
		}
		fields[body[0]] = string(body[1 : 1+end])
		body = body[2+end:]
	}
	if len(body) != 1 {
		return fmt.Errorf("starttls: the PostgreSQL server answered SSLRequest with a malformed error")
	}
	// S: severity, C: SQLSTATE code, M: the message.
	parts := []string{fields['S'], fields['C'], fields['M']}
	return fmt.Errorf("starttls: the PostgreSQL server answered SSLRequest with an error: %s", strings.Join(strings.Fields(strings.Join(parts, " ")), " "))
}

// Package starttls upgrades a plain connection to TLS the way each
// protocol asks: SMTP's STARTTLS (RFC 3207), IMAP's STARTTLS (RFC 3501
// §6.2.1), POP3's STLS (RFC 2595 §4), FTP's AUTH TLS (RFC 4217 §4), XMPP's
// <starttls/> (RFC 6120 §5), LDAP's StartTLS extended operation (RFC 4511
// §4.14) and PostgreSQL's SSLRequest. After Negotiate returns nil, the next
// bytes on the connection are the client's ClientHello. clasp scan and
// clasp connect use it for --starttls.
package starttls

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sort"
	"strings"
)

// negotiators maps each protocol name to its plain-text exchange.
var negotiators = map[string]func(*session) error{
	"smtp":     (*session).smtp,
	"imap":     (*session).imap,
	"pop3":     (*session).pop3,
	"ftp":      (*session).ftp,
	"xmpp":     (*session).xmpp,
	"ldap":     (*session).ldap,
	"postgres": (*session).postgres,
}

// Protocols lists the protocols Negotiate speaks, sorted.
func Protocols() []string {
	names := make([]string, 0, len(negotiators))
	for name := range negotiators {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

// Negotiate runs the protocol's plain-text exchange up to the point where
// TLS starts. The caller bounds it with the connection's deadline. XMPP
// needs the server's domain name: use NegotiateFor.
func Negotiate(conn net.Conn, protocol string) error {
	return NegotiateFor(conn, protocol, "")
}

// NegotiateFor is Negotiate for a server known by serverName (the name the
// client would put in SNI). XMPP sends it as the stream's to= (RFC 6120
// §4.7.2), without which a server cannot tell which domain's features and
// certificate to offer; the other protocols do not use it.
func NegotiateFor(conn net.Conn, protocol, serverName string) error {
	negotiate, ok := negotiators[strings.ToLower(protocol)]
	if !ok {
		return fmt.Errorf("starttls: %q is not one of %s", protocol, strings.Join(Protocols(), ", "))
	}
	err := negotiate(&session{conn: conn, serverName: serverName})
	if err != nil && !strings.HasPrefix(err.Error(), "starttls:") {
		// A failed write, mostly: say where it happened.
		err = fmt.Errorf("starttls: %s: %w", strings.ToLower(protocol), err)
	}
	return err
}

type session struct {
	conn       net.Conn
	serverName string
}

// line reads one line, CR LF or LF ended, a byte at a time so that nothing
// after it (the server's first TLS bytes never come before ours, but a
// pipelining server's would) is taken from the connection.
func (s *session) line() (string, error) {
	var b strings.Builder
	buf := make([]byte, 1)
	for b.Len() < 4096 {
		if _, err := io.ReadFull(s.conn, buf); err != nil {
			if b.Len() > 0 || !errors.Is(err, io.EOF) {
				return b.String(), fmt.Errorf("starttls: reading the server's line: %w", err)
			}
			return "", fmt.Errorf("starttls: the server closed the connection: %w", err)
		}
		if buf[0] == '\n' {
			return strings.TrimRight(b.String(), "\r"), nil
		}
		b.WriteByte(buf[0])
	}
	return b.String(), errors.New("starttls: a line of more than 4096 bytes")
}

func (s *session) send(cmd string) error {
	_, err := io.WriteString(s.conn, cmd+"\r\n")
	return err
}

// maxReplyLines bounds one multi-line SMTP or FTP reply: an EHLO reply
// lists a dozen extensions, FTP banners run to a few dozen lines, and a
// server that never ends its reply must not fill our memory.
const maxReplyLines = 128

// reply reads an SMTP reply (RFC 5321 §4.2: "250-..." lines, then "250 ...")
// and returns its code and lines.
func (s *session) reply() (string, []string, error) {
	var lines []string
	for len(lines) < maxReplyLines {
		l, err := s.line()
		if err != nil {
			return "", lines, err
		}
		if len(l) < 3 {
			return "", lines, fmt.Errorf("starttls: not an SMTP reply: %q", l)
		}
		lines = append(lines, l)
		if len(l) == 3 || l[3] == ' ' {
			return l[:3], lines, nil
		}
	}
	return "", lines, fmt.Errorf("starttls: an SMTP reply of more than %d lines", maxReplyLines)
}

func (s *session) smtp() error {
	if code, lines, err := s.reply(); err != nil || code != "220" {
		return unexpected("SMTP greeting", code, lines, err)
	}
	if err := s.send("EHLO clasp.invalid"); err != nil {
		return err
	}
	code, lines, err := s.reply()
	if err != nil || code != "250" {
		return unexpected("EHLO", code, lines, err)
	}
	if !offers(lines, "STARTTLS") {
		return fmt.Errorf("starttls: the SMTP server does not offer STARTTLS (its EHLO reply: %s)", strings.Join(lines, " | "))
	}
	if err := s.send("STARTTLS"); err != nil {
		return err
	}
	if code, lines, err := s.reply(); err != nil || code != "220" {
		return unexpected("STARTTLS", code, lines, err)
	}
	return nil
}

func (s *session) imap() error {
	greeting, err := s.line()
	if err != nil || !strings.HasPrefix(greeting, "* OK") {
		return unexpected("IMAP greeting", "", []string{greeting}, err)
	}
	if err := s.send("c1 STARTTLS"); err != nil {
		return err
	}
	for {
		l, err := s.line()
		if err != nil {
			return err
		}
		switch {
		case strings.HasPrefix(l, "c1 OK"):
			return nil
		case strings.HasPrefix(l, "c1 "):
			return fmt.Errorf("starttls: the IMAP server refused STARTTLS: %q", l)
		}
	}
}

func (s *session) pop3() error {
	greeting, err := s.line()
	if err != nil || !strings.HasPrefix(greeting, "+OK") {
		return unexpected("POP3 greeting", "", []string{greeting}, err)
	}
	if err := s.send("STLS"); err != nil {
		return err
	}
	l, err := s.line()
	if err != nil || !strings.HasPrefix(l, "+OK") {
		return unexpected("STLS", "", []string{l}, err)
	}
	return nil
}

// offers reports whether an EHLO reply lists the keyword (RFC 5321 §4.1.1.1).
func offers(lines []string, keyword string) bool {
	for _, l := range lines[1:] {
		if len(l) <= 4 {
			continue
		}
		if fields := strings.Fields(l[4:]); len(fields) > 0 && strings.EqualFold(fields[0], keyword) {
			return true
		}
	}
	return false
}

func unexpected(step, code string, lines []string, err error) error {
	if err != nil {
		return &stepError{step: step, err: err}
	}
	return fmt.Errorf("starttls: unexpected answer to %s: %s", step, strings.Join(lines, " | "))
}

// stepError names the step an error happened in, without repeating the
// "starttls:" its cause may already start with.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string {
	return "starttls: " + e.step + ": " + strings.TrimPrefix(e.err.Error(), "starttls: ")
}

func (e *stepError) Unwrap() error { return e.err }

package starttls

import (
	"fmt"
	"strings"
)

// ftp asks for TLS with AUTH TLS (RFC 4217 §4) after the server's greeting.
func (s *session) ftp() error {
	code, lines, err := s.ftpGreeting()
	if err != nil || code != "220" {
		return unexpected("FTP greeting", code, lines, err)
	}
	if err := s.send("AUTH TLS"); err != nil {
		return err
	}
	code, lines, err = s.ftpReply()
	if err != nil {
		return unexpected("AUTH TLS", code, lines, err)
	}
	// RFC 4217 §4: 234 means the server is ready for the TLS handshake;
	// 431, 500, 502, 504 and 534 are its ways of saying no.
	if code != "234" {
		return fmt.Errorf("starttls: the FTP server refused AUTH TLS: %s", strings.Join(lines, " | "))
	}
	return nil
}

// ftpGreeting reads the greeting, which RFC 959 §5.4 lets a busy server
// precede with "120 Service ready in nnn minutes" replies.
func (s *session) ftpGreeting() (string, []string, error) {
	for range 4 {
		code, lines, err := s.ftpReply()
		if err != nil || code != "120" {
			return code, lines, err
		}
	}
	return "", nil, fmt.Errorf("starttls: the FTP server keeps saying it will be ready later (120)")
}

// ftpReply reads one FTP reply (RFC 959 §4.2): "ddd text", or a
// multi-line reply that opens with "ddd-text" and ends at the first line
// that starts with the same code and a space. The lines between may hold
// any text, including other numbers.
func (s *session) ftpReply() (string, []string, error) {
	first, err := s.line()
	if err != nil {
		return "", nil, err
	}
	lines := []string{first}
	if !isFTPCode(first) || len(first) > 3 && first[3] != ' ' && first[3] != '-' {
		return "", lines, fmt.Errorf("starttls: not an FTP reply: %q", first)
	}
	code := first[:3]
	if len(first) == 3 || first[3] == ' ' {
		return code, lines, nil
	}
	for len(lines) < maxReplyLines {
		l, err := s.line()
		if err != nil {
			return code, lines, err
		}
		lines = append(lines, l)
		if strings.HasPrefix(l, code+" ") || l == code {
			return code, lines, nil
		}
	}
	return code, lines, fmt.Errorf("starttls: an FTP reply of more than %d lines", maxReplyLines)
}

// isFTPCode reports whether a line starts with a reply code: three digits,
// the first from 1 to 5 (RFC 959 §4.2.1).
func isFTPCode(l string) bool {
	return len(l) >= 3 && l[0] >= '1' && l[0] <= '5' &&
		l[1] >= '0' && l[1] <= '9' && l[2] >= '0' && l[2] <= '9'
}

package starttls

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// FuzzNegotiate feeds arbitrary server bytes to each protocol's exchange
// over a pipe. Whatever the server sends, Negotiate must return (an error
// or success) without panicking and before the deadline: the server's
// bytes are finite and it closes after them, so waiting for the deadline
// would mean an unbounded wait; the bounds on lines and messages keep
// memory small.
func FuzzNegotiate(f *testing.F) {
	protocols := Protocols()
	seeds := map[string][]string{
		"smtp":     {"220 hi\r\n250-x\r\n250 STARTTLS\r\n220 go\r\n", "220 hi\r\n250 x\r\n"},
		"imap":     {"* OK hi\r\nc1 OK go\r\n", "* OK hi\r\nc1 NO\r\n"},
		"pop3":     {"+OK hi\r\n+OK go\r\n", "-ERR\r\n"},
		"ftp":      {"220-a\r\n220 b\r\n234 go\r\n", "120 x\r\n220 a\r\n534 no\r\n"},
		"xmpp":     {xmppHeader + xmppFeatures + "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>", xmppHeader + "<stream:error><x/></stream:error>"},
		"ldap":     {unhex("300c 020101 7807 0a0100 0400 0400"), unhex("3084 00000018 020101 7884 0000000f 0a0100 0484 00000000 0484 00000000")},
		"postgres": {"S", "N", "E\x00\x00\x00\x0aSFATAL\x00\x00"},
	}
	for i, p := range protocols {
		for _, s := range seeds[p] {
			f.Add(uint8(i), []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, data []byte) {
		protocol := protocols[int(which)%len(protocols)]
		client, srv := net.Pipe()
		done := make(chan struct{})
		go func() {
			defer close(done)
			// Drain what the client sends, so its writes never block.
			go func() { _, _ = io.Copy(io.Discard, srv) }()
			_, _ = srv.Write(data)
			srv.Close()
		}()
		_ = client.SetDeadline(time.Now().Add(10 * time.Second))
		err := NegotiateFor(client, protocol, "localhost")
		client.Close()
		<-done
		if errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("%s: Negotiate waited for the deadline on %d finite bytes: %v", protocol, len(data), err)
		}
	})
}

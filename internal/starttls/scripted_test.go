package starttls

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// The servers here are scripts of bytes, for what no real server can be
// made to send: garbage, a close in the middle, endless replies. They
// read what the client sends (readUntil / readN) and answer with raw bytes.

// scripted runs NegotiateFor against server on the other end of a pipe
// and returns its error; after a success it also returns the next byte the
// server sent, to show that Negotiate read nothing past its exchange.
func scripted(t *testing.T, protocol string, server func(c net.Conn)) (error, byte) {
	t.Helper()
	client, srv := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer srv.Close()
		server(srv)
	}()
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	err := NegotiateFor(client, protocol, "localhost")
	var next [1]byte
	if err == nil {
		if _, rerr := io.ReadFull(client, next[:]); rerr != nil {
			t.Errorf("reading the byte after the exchange: %v", rerr)
		}
	}
	client.Close()
	<-done
	if errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("%s: Negotiate hung until the deadline: %v", protocol, err)
	}
	return err, next[0]
}

// readUntil reads from the client until what it sent ends with suffix.
func readUntil(c net.Conn, suffix string) bool {
	var got []byte
	var b [1]byte
	for !bytes.HasSuffix(got, []byte(suffix)) {
		if _, err := c.Read(b[:]); err != nil {
			return false
		}
		got = append(got, b[0])
	}
	return true
}

func readN(c net.Conn, n int) bool {
	_, err := io.ReadFull(c, make([]byte, n))
	return err == nil
}

func write(c net.Conn, s string) { _, _ = io.WriteString(c, s) }

// endless writes chunk until the client closes, and counts what went out.
func endless(c net.Conn, chunk string, written *int) {
	for {
		n, err := io.WriteString(c, chunk)
		*written += n
		if err != nil {
			return
		}
	}
}

func unhex(s string) string {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return string(b)
}

type scriptCase struct {
	name   string
	server func(c net.Conn)
	// wantErr is part of the error wanted; "" means success, after which
	// the server must have sent "Z" as the first byte of its TLS.
	wantErr string
}

func runScripts(t *testing.T, protocol string, cases []scriptCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err, next := scripted(t, protocol, tc.server)
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("%s: %v", protocol, err)
			case tc.wantErr == "" && next != 'Z':
				t.Fatalf("%s: the byte after the exchange is %q, not the server's 'Z': Negotiate read past its exchange", protocol, next)
			case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), "starttls") || !strings.Contains(err.Error(), tc.wantErr)):
				t.Fatalf("%s: got %v, want an error with %q", protocol, err, tc.wantErr)
			}
		})
	}
}

// The endless servers must be stopped by Negotiate's bounds, not by the
// deadline, and after reading not much more than the bound.
func runEndless(t *testing.T, protocol, wantErr string, limit int, server func(c net.Conn, written *int)) {
	t.Helper()
	var written int
	err, _ := scripted(t, protocol, func(c net.Conn) { server(c, &written) })
	if err == nil || !strings.Contains(err.Error(), wantErr) {
		t.Fatalf("%s, endless answer: got %v, want an error with %q", protocol, err, wantErr)
	}
	if written > limit {
		t.Fatalf("%s: Negotiate read %d bytes of an endless answer, more than its bound of about %d", protocol, written, limit)
	}
}

func TestFTPScripted(t *testing.T) {
	ok := func(greeting string) func(c net.Conn) {
		return func(c net.Conn) {
			write(c, greeting)
			if readUntil(c, "AUTH TLS\r\n") {
				write(c, "234 AUTH TLS OK.\r\nZ")
			}
		}
	}
	runScripts(t, "ftp", []scriptCase{
		{"one-line greeting", ok("220 ready\r\n"), ""},
		// RFC 959 §4.2: inside a multi-line reply, lines that start with
		// another code or with the code and a hyphen do not end it.
		{"multi-line greeting", ok("220-welcome\r\n234 not the end\r\n220-nor this\r\n220 ready\r\n"), ""},
		// RFC 959 §5.4: 120 (ready in nnn minutes) may come before 220.
		{"120 then 220", ok("120 ready in 1 minute\r\n220 ready\r\n"), ""},
		{"refused", func(c net.Conn) {
			write(c, "220 ready\r\n")
			if readUntil(c, "AUTH TLS\r\n") {
				write(c, "534 Local policy on server does not allow TLS.\r\n")
			}
		}, "refused AUTH TLS: 534"},
		{"greeting 421", func(c net.Conn) { write(c, "421 too many users\r\n") }, "FTP greeting"},
		{"garbage", func(c net.Conn) { write(c, "SSH-2.0-OpenSSH_9.2\r\n") }, "not an FTP reply"},
		{"code without space", func(c net.Conn) { write(c, "220ready\r\n") }, "not an FTP reply"},
		{"closed at once", func(c net.Conn) {}, "closed the connection"},
		{"closed inside the greeting", func(c net.Conn) { write(c, "220-welcome\r\n") }, "EOF"},
		{"closed after AUTH TLS", func(c net.Conn) {
			write(c, "220 ready\r\n")
			readUntil(c, "AUTH TLS\r\n")
		}, "AUTH TLS"},
		{"always 120", func(c net.Conn) {
			write(c, strings.Repeat("120 later\r\n", 5))
		}, "later"},
	})
	t.Run("endless line", func(t *testing.T) {
		runEndless(t, "ftp", "more than 4096 bytes", 4096+1024, func(c net.Conn, n *int) {
			write(c, "220 ")
			endless(c, strings.Repeat("a", 1024), n)
		})
	})
	t.Run("endless reply", func(t *testing.T) {
		runEndless(t, "ftp", "more than 128 lines", 129*7+1024, func(c net.Conn, n *int) {
			write(c, "220-x\r\n")
			endless(c, "more\r\n", n)
		})
	})
}

// The SMTP reply is bounded like FTP's (RFC 5321 sets no limit on the
// lines of a reply; 128 is far above any EHLO reply).
func TestSMTPEndlessReply(t *testing.T) {
	runEndless(t, "smtp", "more than 128 lines", 129*7+1024, func(c net.Conn, n *int) {
		write(c, "220 hi\r\n")
		if readUntil(c, "\r\n") {
			write(c, "250-x\r\n")
			endless(c, "250-x\r\n", n)
		}
	})
}

func TestPostgresScripted(t *testing.T) {
	sslRequest := unhex("0000 0008 04d2 162f")
	answer := func(a string) func(c net.Conn) {
		return func(c net.Conn) {
			if readUntil(c, sslRequest) {
				write(c, a)
			}
		}
	}
	fields := "SFATAL\x00C0A000\x00Munsupported frontend protocol 1234.5679\x00\x00"
	errorResponse := "E" + string(binary.BigEndian.AppendUint32(nil, uint32(4+len(fields)))) + fields
	runScripts(t, "postgres", []scriptCase{
		{"S", answer("SZ"), ""},
		{"N", answer("N"), "does not accept SSL"},
		{"ErrorResponse", answer(errorResponse), "FATAL 0A000 unsupported frontend protocol"},
		{"garbage", answer("HTTP/1.1 400 Bad Request\r\n"), "not a PostgreSQL answer"},
		{"closed at once", func(c net.Conn) {}, "starttls"},
		{"closed after SSLRequest", answer(""), "EOF"},
		{"error of impossible length", answer("E" + unhex("7fff ffff")), "impossible length"},
		{"error without its fields' end", answer("E" + unhex("0000 000a") + "SFATAL"), "malformed"},
		{"error cut short", answer("E" + unhex("0000 0020") + "SFATAL\x00"), "EOF"},
	})
}

// The LDAP answers: an LDAPMessage (RFC 4511 §4.2) with messageID 1 and an
// ExtendedResponse [APPLICATION 24] (§4.12).
func TestLDAPScripted(t *testing.T) {
	request := string(startTLSRequest())
	answer := func(a string) func(c net.Conn) {
		return func(c net.Conn) {
			if readN(c, len(request)) {
				write(c, a)
			}
		}
	}
	runScripts(t, "ldap", []scriptCase{
		// What slapd sends: success, empty matchedDN and diagnosticMessage.
		{"success", answer(unhex("300c 020101 7807 0a0100 0400 0400") + "Z"), ""},
		// With the responseName, which an ExtendedResponse may carry (RFC 4511
		// §4.12).
		{"success with responseName", answer(unhex("3024 020101 781f 0a0100 0400 0400 8a16") + startTLSOID + "Z"), ""},
		// BER's long form of length (X.690 §8.1.3) may take more bytes than needed;
		// Active Directory sends four-byte ones.
		{"four-byte lengths", answer(unhex("3084 00000018 020101 7884 0000000f 0a0100 0484 00000000 0484 00000000") + "Z"), ""},
		{"refused", answer(unhex("3020 020101 781b 0a0134 0400 0414") + "TLS is not available"), "refused StartTLS: resultCode 52 (unavailable)"},
		{"notice of disconnection", answer(unhex("3024 020100 781f 0a0134 0400 0400 8a16") + "1.3.6.1.4.1.1466.20036"), "notification"},
		{"other message ID", answer(unhex("300c 020102 7807 0a0100 0400 0400")), "message 2"},
		{"other operation", answer(unhex("300c 020101 6507 0a0100 0400 0400")), "tag 0x65"},
		{"other responseName", answer(unhex("3011 020101 780c 0a0100 0400 0400 8a03") + "1.2"), "another operation"},
		{"trailing bytes in the response", answer(unhex("300e 020101 7809 0a0100 0400 0400 0500")), "malformed"},
		{"trailing bytes in the message", answer(unhex("300e 020101 7807 0a0100 0400 0400 0500")), "malformed"},
		{"element longer than its parent", answer(unhex("300c 020101 7807 0a0100 0400 0410")), "malformed"},
		{"result code of five bytes", answer(unhex("3010 020101 780b 0a050000000000 0400 0400")), "malformed"},
		// RFC 4511 §5.1: only the definite form of length.
		{"indefinite length", answer(unhex("3080 020101")), "length of form 0x80"},
		{"garbage", answer("HTTP/1.0 400 Bad Request\r\n"), "not an LDAP message"},
		{"closed at once", func(c net.Conn) {}, "starttls"},
		{"closed inside the message", answer(unhex("300c 0201")), "EOF"},
	})
	t.Run("endless message", func(t *testing.T) {
		runEndless(t, "ldap", "more than the", 6+1024, func(c net.Conn, n *int) {
			if readN(c, len(request)) {
				write(c, unhex("3084 7fffffff"))
				endless(c, strings.Repeat("\x00", 1024), n)
			}
		})
	})
}

const (
	xmppHeader   = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='1' from='localhost' version='1.0'>"
	xmppFeatures = "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>"
)

func TestXMPPScripted(t *testing.T) {
	// server answers the client's header with first, and its <starttls/>
	// with then.
	server := func(first, then string) func(c net.Conn) {
		return func(c net.Conn) {
			if !readUntil(c, "'http://etherx.jabber.org/streams'>") {
				return
			}
			write(c, first)
			if then != "" && readUntil(c, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>") {
				write(c, then)
			}
		}
	}
	runScripts(t, "xmpp", []scriptCase{
		{"proceed", server(xmppHeader+xmppFeatures, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>Z"), ""},
		// The end tag of <proceed> is read too, and nothing after it.
		{"proceed with an end tag", server(xmppHeader+"\n  "+xmppFeatures, "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'></proceed>Z"), ""},
		{"prefixed namespace", server(xmppHeader+"<stream:features><tls:starttls xmlns:tls='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
			"<tls:proceed xmlns:tls='urn:ietf:params:xml:ns:xmpp-tls'/>Z"), ""},
		// RFC 6120 §5.4.2.2: <failure/>, then the server closes.
		{"failure", server(xmppHeader+xmppFeatures, "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:stream>"), "refused STARTTLS"},
		{"not offered", server(xmppHeader+"<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/></stream:features>", ""), "does not offer STARTTLS"},
		// starttls in another namespace is not XMPP's STARTTLS.
		{"starttls of another namespace", server(xmppHeader+"<stream:features><starttls xmlns='urn:example'/></stream:features>", ""), "does not offer STARTTLS"},
		{"stream error", server(xmppHeader+"<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>", ""), "stream error: host-unknown"},
		{"no version", server(strings.Replace(xmppHeader, "' version='1.0'>", "'>", 1), ""), "no version 1.0"},
		{"not a stream", server("<html><body>", ""), "not a stream header"},
		{"something else than features", server(xmppHeader+"<message/>", ""), "<message>"},
		{"something else than proceed", server(xmppHeader+xmppFeatures, "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>"), "answered <starttls/> with <success>"},
		{"stream closed", server(xmppHeader+"</stream:stream>", ""), "closed its stream"},
		// RFC 6120 §11.1: no comments, processing instructions or DTDs.
		{"comment", server(xmppHeader+"<!-- hi -->"+xmppFeatures, ""), "comment"},
		{"processing instruction", server(xmppHeader+"<?php x?>"+xmppFeatures, ""), "processing instruction"},
		{"DTD", server("<!DOCTYPE stream [<!ENTITY a 'b'>]>"+xmppHeader, ""), "DTD"},
		{"text between elements", server(xmppHeader+"hello"+xmppFeatures, ""), "text where an element belongs"},
		{"garbage", server("HTTP/1.1 400 Bad Request\r\n", ""), "text where an element belongs"},
		{"not XML", server("<<<>>>", ""), "XMPP server's stream"},
		{"closed at once", func(c net.Conn) {}, "starttls"},
		{"closed inside the features", server(xmppHeader+"<stream:features><starttls", ""), "closed the connection"},
		{"closed after starttls", func(c net.Conn) {
			if readUntil(c, "'http://etherx.jabber.org/streams'>") {
				write(c, xmppHeader+xmppFeatures)
				readUntil(c, "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
			}
		}, "closed the connection"},
	})
	t.Run("endless features", func(t *testing.T) {
		runEndless(t, "xmpp", "more than 65536 bytes", maxXMPPBytes+1024, func(c net.Conn, n *int) {
			if readUntil(c, "'http://etherx.jabber.org/streams'>") {
				write(c, xmppHeader+"<stream:features>")
				endless(c, strings.Repeat("<x/>", 256), n)
			}
		})
	})
	t.Run("no domain", func(t *testing.T) {
		client, srv := net.Pipe()
		defer client.Close()
		defer srv.Close()
		if err := Negotiate(client, "xmpp"); err == nil || !strings.Contains(err.Error(), "domain name") {
			t.Fatalf("xmpp without a domain: %v", err)
		}
	})
}

// The header names the domain, escaped for its attribute: a name cannot
// inject XML into the stream.
func TestXMPPHeaderEscapesDomain(t *testing.T) {
	client, srv := net.Pipe()
	got := make(chan string, 1)
	go func() {
		defer srv.Close()
		var b [512]byte
		n, _ := io.ReadAtLeast(srv, b[:], 1)
		got <- string(b[:n])
	}()
	_ = client.SetDeadline(time.Now().Add(5 * time.Second))
	_ = NegotiateFor(client, "xmpp", "a'b<c")
	client.Close()
	if h := <-got; !strings.Contains(h, "to='a&#39;b&lt;c'") {
		t.Fatalf("stream header %q", h)
	}
}

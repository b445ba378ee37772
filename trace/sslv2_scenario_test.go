package trace_test

import (
	"io"
	"net"
	"time"

	"github.com/clasp-tls/clasp"
)

// v2HelloRecord is an SSL 2.0-format ClientHello written from RFC 5246
// Appendix E.2: msg_length 0x8000|34, CLIENT-HELLO, version TLS 1.2,
// cipher_spec_length 9 (the SSL 2.0 kind RC4_128_WITH_MD5 0x010080, which
// a TLS server passes over, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 as
// 0x00c02b and the renegotiation SCSV 0x0000ff), no session ID, and a
// 16-byte challenge.
var v2HelloRecord = append([]byte{0x80, 34, 0x01, 0x03, 0x03, 0x00, 0x09, 0x00, 0x00, 0x00, 0x10,
	0x01, 0x00, 0x80, 0x00, 0xc0, 0x2b, 0x00, 0x00, 0xff}, []byte("SSLv2 challenge!")...)

// sendV2Hello plays a client that sends v2HelloRecord, reads the server's
// first flight and hangs up.
func sendV2Hello(conn net.Conn) error {
	if _, err := conn.Write(v2HelloRecord); err != nil {
		return err
	}
	// ServerHello, Certificate, ServerKeyExchange and ServerHelloDone
	// come in one flight; reading until the server waits is enough.
	_ = conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	buf := make([]byte, 4096)
	for {
		n, err := conn.Read(buf)
		if err != nil || n < len(buf) && endsWithServerHelloDone(buf[:n]) {
			return nil
		}
	}
}

// endsWithServerHelloDone reports whether a read ends with an empty
// ServerHelloDone (type 14, length 0).
func endsWithServerHelloDone(b []byte) bool {
	return len(b) >= 4 && b[len(b)-4] == 14 && b[len(b)-3] == 0 && b[len(b)-2] == 0 && b[len(b)-1] == 0
}

// runScripted runs a clasp server against peer over net.Pipe and returns
// the server's handshake error.
func runScripted(serverCfg *clasp.Config, peer func(net.Conn) error) error {
	cRaw, sRaw := net.Pipe()
	deadline := time.Now().Add(20 * time.Second)
	cRaw.SetDeadline(deadline)
	sRaw.SetDeadline(deadline)
	serverErr := make(chan error, 1)
	go func() {
		conn := clasp.Server(sRaw, serverCfg)
		err := conn.Handshake()
		conn.Close()
		serverErr <- err
	}()
	if err := peer(cRaw); err != nil {
		cRaw.Close()
		<-serverErr
		return err
	}
	cRaw.Close()
	go io.Copy(io.Discard, cRaw)
	return <-serverErr
}

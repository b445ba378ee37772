package clasp

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// ClientHelloExtensions chooses the hello's extensions and their order;
// what clasp cannot honour is refused before anything is sent.
func TestClientHelloExtensionsRefusesWhatCannotWork(t *testing.T) {
	for name, tc := range map[string]struct {
		list []uint16
		want string
	}{
		"unfillable code point": {[]uint16{0, 10, 13, 43, 51, 24}, "cannot fill"}, // token_binding
		"listed twice":          {[]uint16{0, 10, 13, 43, 51, 10}, "twice"},
		"psk not last":          {[]uint16{0, 10, 13, 41, 43, 51}, "last"},
		"no supported_versions": {[]uint16{0, 10, 13, 51}, "supported_versions"},
		"no key_share":          {[]uint16{0, 10, 13, 43}, "key_share"},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testClientConfig13(t)
			cfg.ClientHelloExtensions = tc.list
			run := startScripted(t, true, cfg)
			err := run.wait()
			var ce *configError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("handshake error %v, want a configuration error about %q", err, tc.want)
			}
		})
	}
}

// The listed order is the order on the wire; unlisted extensions are left
// out, listed TLS 1.2 extensions are sent in a TLS 1.3-only hello, and
// MiddleboxCompatDisabled leaves the session ID empty.
func TestClientHelloExtensionsOrder(t *testing.T) {
	cfg := testClientConfig13(t)
	cfg.MiddleboxCompatDisabled = true
	cfg.ClientHelloExtensions = []uint16{51, 0xff01, 43, 35, 13, 10, 0}
	run := startScripted(t, true, cfg)
	p := newPeer13(t, run.peer.conn)
	ch, raw := p.readClientHello()
	_, exts := splitHello(t, raw, true)
	if got, want := extTypes(exts), cfg.ClientHelloExtensions; !slicesEqual16(got, want) {
		t.Errorf("extensions %#04x, want %#04x", got, want)
	}
	if len(ch.SessionID) != 0 {
		t.Errorf("session ID of %d bytes without compatibility mode", len(ch.SessionID))
	}
	run.peer.conn.Close()
	run.wait()
}

func slicesEqual16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// RFC 7685 padding: a hello of 256 to 511 bytes grows to exactly 512 (or
// one byte of padding past it when the gap is smaller than the extension
// heading); any other hello is left alone.
func TestPaddingSizes(t *testing.T) {
	base := func(sni string) *wire.ClientHello {
		return &wire.ClientHello{Version: suites.VersionTLS12, CipherSuites: []suites.ID{suites.TLS_AES_128_GCM_SHA256},
			CompressionMethods: []uint8{0}, Extensions: []wire.Extension{&wire.ServerNameExt{HostName: sni}, &wire.PaddingExt{}}}
	}
	for _, n := range []int{1, 150, 250, 300, 400, 500, 503, 504, 505, 510, 600} {
		hello := base(strings.Repeat("a", n))
		unpadded := *hello
		unpadded.Extensions = hello.Extensions[:1]
		before := len(mustMarshal(t, &unpadded))
		sized, err := sizedForWire(hello)
		if err != nil {
			t.Fatal(err)
		}
		after := len(mustMarshal(t, sized))
		switch {
		case before < 256 || before >= 512:
			if after != before {
				t.Errorf("%d-byte hello padded to %d", before, after)
			}
		case 512-before >= 5:
			if after != 512 {
				t.Errorf("%d-byte hello padded to %d, want 512", before, after)
			}
		default:
			if after != before+5 {
				t.Errorf("%d-byte hello padded to %d, want one byte of padding (%d)", before, after, before+5)
			}
		}
		if _, ok := wire.FindExtension[*wire.PaddingExt](hello.Extensions); !ok {
			t.Fatal("the placeholder left the hello")
		}
	}
}

// With HelloRetryForPreferredGroup the server asks for its favourite
// group although the client sent a share for another common one; a clasp
// client answers, and the connection ends up on the server's group.
func TestHelloRetryForPreferredGroup(t *testing.T) {
	client := testClientConfig13(t)
	client.Groups = []CurveID{X25519, CurveP256}
	server := testServerConfig13(t)
	server.Groups = []CurveID{CurveP256, X25519}
	server.HelloRetryForPreferredGroup, server.HelloRetryCookie = true, true
	r := testHandshake(t, client, server)
	r.mustSucceed(t)
	for _, st := range []ConnectionState{r.clientState, r.serverState} {
		if !st.DidHelloRetryRequest || st.CurveID != CurveP256 {
			t.Errorf("HelloRetryRequest %v, group %v; want true and P-256", st.DidHelloRetryRequest, st.CurveID)
		}
	}
	// Without the switch the client's X25519 share is taken.
	server.HelloRetryForPreferredGroup = false
	r = testHandshake(t, client, server)
	r.mustSucceed(t)
	if cs := r.clientState; cs.DidHelloRetryRequest || cs.CurveID != X25519 {
		t.Errorf("HelloRetryRequest %v, group %v; want none and X25519", cs.DidHelloRetryRequest, cs.CurveID)
	}
}

// A second ClientHello must echo the HelloRetryRequest's cookie
// unchanged: a missing one is missing_extension, an altered one
// illegal_parameter, and one sealed for another handshake too.
func TestServerChecksHelloRetryCookie(t *testing.T) {
	groups := []suites.Group{suites.X25519, suites.Secp256r1}
	for name, tc := range map[string]struct {
		mutate func(cookie []byte) []byte
		alert  wire.AlertDescription
	}{
		"missing":  {func([]byte) []byte { return nil }, wire.AlertMissingExtension},
		"altered":  {func(c []byte) []byte { c = bytes.Clone(c); c[len(c)-1] ^= 1; return c }, wire.AlertIllegalParameter},
		"replaced": {func(c []byte) []byte { return bytes.Repeat([]byte{1}, len(c)) }, wire.AlertIllegalParameter},
	} {
		t.Run(name, func(t *testing.T) {
			cfg := testServerConfig13(t)
			cfg.Groups = []CurveID{X25519}
			cfg.HelloRetryCookie = true
			ch1, _ := clientHello13(t, groups, suites.Secp256r1)
			run, p, hrr := startHelloRetry13(t, cfg, ch1)
			cookie, ok := wire.FindExtension[*wire.CookieExt](hrr.Extensions)
			if !ok || len(cookie.Cookie) == 0 {
				t.Fatal("HelloRetryRequest without a cookie")
			}
			ch2, _ := clientHello13(t, groups, suites.X25519)
			if c := tc.mutate(cookie.Cookie); c != nil {
				ch2.Extensions = append(ch2.Extensions, &wire.CookieExt{Cookie: c})
			}
			p.send(ch2)
			p.flush()
			p.expectAlert(tc.alert)
			if err := run.wait(); err == nil {
				t.Fatal("the server accepted the second hello")
			}
		})
	}
}

// A listed heartbeat extension (for probers such as clasp scan) goes out
// with the mode peer_not_allowed_to_send, since clasp answers no heartbeat
// request, and the handshake completes.
func TestClientHelloExtensionsHeartbeat(t *testing.T) {
	cli, srv := testClientConfig(t), testServerConfig(t)
	cli.MaxVersion = VersionTLS12
	cli.ClientHelloExtensions = []uint16{0, 10, 11, 13, 23, 0xff01, 15}
	var mode []byte
	srv.Tracer = messageSpy(func(m wire.Message) {
		if ch, ok := m.(*wire.ClientHello); ok {
			if ext, ok := wire.LookupExtension(ch.Extensions, wire.ExtHeartbeat); ok {
				mode = ext.(*wire.UnknownExt).Data
			}
		}
	})
	r := testHandshake(t, cli, srv)
	if r.clientErr != nil || r.serverErr != nil {
		t.Fatalf("client %v, server %v", r.clientErr, r.serverErr)
	}
	if !bytes.Equal(mode, []byte{heartbeatPeerNotAllowedToSend}) {
		t.Errorf("heartbeat extension data %x, want %x", mode, heartbeatPeerNotAllowedToSend)
	}
}

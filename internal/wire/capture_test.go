package wire

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
)

// captureClientHello runs a crypto/tls client against a pipe and returns the
// body of the first record it writes, which is its ClientHello.
func captureClientHello(t *testing.T, cfg *tls.Config) []byte {
	t.Helper()
	clientConn, serverConn := net.Pipe()
	defer serverConn.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = tls.Client(clientConn, cfg).Handshake() // fails once we hang up
	}()
	_ = serverConn.SetDeadline(time.Now().Add(10 * time.Second))
	header := make([]byte, 5)
	if _, err := io.ReadFull(serverConn, header); err != nil {
		t.Fatal(err)
	}
	if ContentType(header[0]) != ContentHandshake {
		t.Fatalf("first record is %v", ContentType(header[0]))
	}
	body := make([]byte, int(header[3])<<8|int(header[4]))
	if _, err := io.ReadFull(serverConn, body); err != nil {
		t.Fatal(err)
	}
	serverConn.Close()
	clientConn.Close()
	<-done
	return body
}

func TestParseCryptoTLSClientHello(t *testing.T) {
	raw := captureClientHello(t, &tls.Config{
		ServerName:         "example.com",
		NextProtos:         []string{"h2", "http/1.1"},
		ClientSessionCache: tls.NewLRUClientSessionCache(1), // adds session_ticket and psk_key_exchange_modes
	})
	m, err := ParseHandshake(raw, Context{})
	if err != nil {
		t.Fatalf("parse crypto/tls ClientHello %x: %v", raw, err)
	}
	ch := m.(*ClientHello)
	for _, e := range ch.Extensions {
		t.Logf("%v: %T", e.ExtType(), e)
	}
	if again := mustMarshal(t, ch); !bytes.Equal(again, raw) {
		t.Fatalf("re-marshal differs\n got %x\nwant %x", again, raw)
	}
	if ch.Version != suites.VersionTLS12 || len(ch.SessionID) != 32 {
		t.Errorf("legacy_version %x, session ID %d bytes; want 0303 and 32 (middlebox compatibility)", ch.Version, len(ch.SessionID))
	}
	for _, id := range []suites.ID{0x1301, 0xc02b, 0xc02f} {
		if !containsSuite(ch.CipherSuites, id) {
			t.Errorf("cipher suites %x lack %04x", ch.CipherSuites, id)
		}
	}
	if sni, ok := FindExtension[*ServerNameExt](ch.Extensions); !ok || sni.HostName != "example.com" {
		t.Errorf("server_name = %#v", sni)
	}
	if alpn, ok := FindExtension[*ALPNExt](ch.Extensions); !ok || len(alpn.Protocols) != 2 || alpn.Protocols[0] != "h2" {
		t.Errorf("ALPN = %#v", alpn)
	}
	if g, ok := FindExtension[*SupportedGroupsExt](ch.Extensions); !ok || !containsGroup(g.Groups, 29) {
		t.Errorf("supported_groups = %#v, want x25519 (29)", g)
	}
	if sr, ok := FindExtension[*StatusRequestExt](ch.Extensions); !ok || sr.StatusType != StatusTypeOCSP {
		t.Errorf("status_request = %#v", sr)
	}
	for _, want := range []Extension{
		&SignatureAlgorithmsExt{}, &ECPointFormatsExt{}, &ExtendedMasterSecretExt{},
		&RenegotiationInfoExt{}, &SessionTicketExt{},
	} {
		if _, ok := LookupExtension(ch.Extensions, want.ExtType()); !ok {
			t.Errorf("%v missing", want.ExtType())
		}
	}
	// The TLS 1.3 extensions come out typed.
	if sv, ok := FindExtension[*SupportedVersionsExt](ch.Extensions); !ok || len(sv.Versions) == 0 || sv.Versions[0] != suites.VersionTLS13 {
		t.Errorf("supported_versions = %#v, want TLS 1.3 first", sv)
	}
	if ks, ok := FindExtension[*KeyShareExt](ch.Extensions); !ok || !hasShare(ks.Entries, suites.X25519, 32) {
		t.Errorf("key_share = %#v, want a 32-byte X25519 share", ks)
	}
	if pm, ok := FindExtension[*PSKKeyExchangeModesExt](ch.Extensions); !ok || len(pm.Modes) != 1 || pm.Modes[0] != PSKModeDHEKE {
		t.Errorf("psk_key_exchange_modes = %#v, want [psk_dhe_ke]", pm)
	}
	for _, e := range ch.Extensions {
		if u, ok := e.(*UnknownExt); ok {
			t.Errorf("%v kept raw: %x", u.Code, u.Data)
		}
	}
}

func TestParseCryptoTLS12ClientHello(t *testing.T) {
	raw := captureClientHello(t, &tls.Config{ServerName: "legacy.example", MaxVersion: tls.VersionTLS12})
	m, err := ParseHandshake(raw, Context{})
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	ch := m.(*ClientHello)
	if again := mustMarshal(t, ch); !bytes.Equal(again, raw) {
		t.Fatalf("re-marshal differs")
	}
	if _, ok := LookupExtension(ch.Extensions, ExtKeyShare); ok {
		t.Error("TLS 1.2-only ClientHello carries key_share")
	}
	if containsSuite(ch.CipherSuites, 0x1301) {
		t.Error("TLS 1.2-only ClientHello offers a TLS 1.3 suite")
	}
}

func hasShare(entries []KeyShareEntry, g suites.Group, size int) bool {
	for _, e := range entries {
		if e.Group == g && len(e.KeyExchange) == size {
			return true
		}
	}
	return false
}

func containsSuite(ids []suites.ID, id suites.ID) bool {
	for _, v := range ids {
		if v == id {
			return true
		}
	}
	return false
}

func containsGroup(gs []suites.Group, g suites.Group) bool {
	for _, v := range gs {
		if v == g {
			return true
		}
	}
	return false
}

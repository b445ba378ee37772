package clasp

import (
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// RFC 8446 §4.1.2: after a HelloRetryRequest "the client MUST send the same
// ClientHello without modification, except as follows": key_share replaced
// by a single share for the group asked for, early_data removed, a cookie
// added if the HelloRetryRequest carried one, pre_shared_key updated (ages
// and binders recomputed, PSKs for another hash removed), padding added,
// removed or resized. Every other field and extension is compared, whether
// clasp knows it or not; a change is illegal_parameter. The RFC names no
// alert; OpenSSL 3 sends illegal_parameter for the one change it checks
// (cipher suites that change its choice; it lets a changed random, session
// ID or signature_algorithms through, as openssl s_server -groups P-384
// shows). (The first cases are in
// TestServerRejectsSecondClientHelloThatChangedMoreThanAsked.)

// hrrHello is the first ClientHello of these tests: a P-256 share only
// (the server wants X25519) and a wide set of extensions to change.
func hrrHello(t *testing.T, share suites.Group) *wire.ClientHello {
	t.Helper()
	ch, _ := clientHello13(t, []suites.Group{suites.X25519, suites.Secp256r1}, share)
	ch.SessionID = make([]byte, 32)
	ch.Extensions = append(ch.Extensions,
		&wire.ALPNExt{Protocols: []string{"h2", "http/1.1"}},
		&wire.RecordSizeLimitExt{Limit: 16385},
		&wire.ExtendedMasterSecretExt{},
		&wire.UnknownExt{Code: 0x1234, Data: []byte("opaque")},
	)
	return ch
}

// hrrServer starts a server that answers hrrHello with a HelloRetryRequest
// for X25519, and sends it.
func hrrServer(t *testing.T, cookie bool) (*scriptedRun, *peer13, *wire.ServerHello) {
	t.Helper()
	cfg := testServerConfig13(t)
	cfg.Groups = []CurveID{X25519}
	cfg.HelloRetryCookie = cookie
	return startHelloRetry13(t, cfg, hrrHello(t, suites.Secp256r1))
}

// startHelloRetry13 starts a clasp server with cfg, sends it the first
// ClientHello ch1 and checks that the server answers with a
// HelloRetryRequest, which it returns.
func startHelloRetry13(t *testing.T, cfg *Config, ch1 wire.Message) (*scriptedRun, *peer13, *wire.ServerHello) {
	t.Helper()
	run, p := startServer13(t, cfg)
	p.send(ch1)
	p.flush()
	msg, _ := p.readMessage()
	hrr, ok := msg.(*wire.ServerHello)
	if !ok || !hrr.IsHelloRetryRequest() {
		t.Fatalf("server answered %v, want a HelloRetryRequest", msg.Type())
	}
	return run, p, hrr
}

// setExtension replaces the extension of ext's type, or adds it before a
// final pre_shared_key.
func setExtension(ch *wire.ClientHello, ext wire.Extension) {
	for i, e := range ch.Extensions {
		if e.ExtType() == ext.ExtType() {
			ch.Extensions[i] = ext
			return
		}
	}
	ch.Extensions = insertBeforePSK(ch.Extensions, ext)
}

func dropExtension(ch *wire.ClientHello, t wire.ExtensionType) {
	for i, e := range ch.Extensions {
		if e.ExtType() == t {
			ch.Extensions = append(ch.Extensions[:i:i], ch.Extensions[i+1:]...)
			return
		}
	}
}

func TestServerRejectsSecondClientHelloWithChangedExtension(t *testing.T) {
	for name, mutate := range map[string]func(ch *wire.ClientHello){
		"legacy_version": func(ch *wire.ClientHello) { ch.Version = suites.VersionTLS11 },
		"compression":    func(ch *wire.ClientHello) { ch.CompressionMethods = []uint8{0, 1} },
		"cipher suite order": func(ch *wire.ClientHello) {
			ch.CipherSuites[0], ch.CipherSuites[1] = ch.CipherSuites[1], ch.CipherSuites[0]
		},
		"server_name": func(ch *wire.ClientHello) { setExtension(ch, &wire.ServerNameExt{HostName: "other.test"}) },
		"supported_groups": func(ch *wire.ClientHello) {
			setExtension(ch, &wire.SupportedGroupsExt{Groups: []suites.Group{suites.X25519}})
		},
		"signature_algorithms": func(ch *wire.ClientHello) {
			setExtension(ch, &wire.SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{suites.Ed25519}})
		},
		"supported_versions": func(ch *wire.ClientHello) {
			setExtension(ch, &wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13, suites.VersionTLS12}})
		},
		"psk_key_exchange_modes": func(ch *wire.ClientHello) {
			setExtension(ch, &wire.PSKKeyExchangeModesExt{Modes: []uint8{wire.PSKModeKE, wire.PSKModeDHEKE}})
		},
		"alpn":                       func(ch *wire.ClientHello) { setExtension(ch, &wire.ALPNExt{Protocols: []string{"http/1.1"}}) },
		"record_size_limit":          func(ch *wire.ClientHello) { setExtension(ch, &wire.RecordSizeLimitExt{Limit: 1024}) },
		"unknown extension changed":  func(ch *wire.ClientHello) { setExtension(ch, &wire.UnknownExt{Code: 0x1234, Data: []byte("OPAQUE")}) },
		"unknown extension added":    func(ch *wire.ClientHello) { setExtension(ch, &wire.UnknownExt{Code: 0x5678}) },
		"unknown extension dropped":  func(ch *wire.ClientHello) { dropExtension(ch, 0x1234) },
		"known extension dropped":    func(ch *wire.ClientHello) { dropExtension(ch, wire.ExtExtendedMasterSecret) },
		"known extension added":      func(ch *wire.ClientHello) { setExtension(ch, &wire.PostHandshakeAuthExt{}) },
		"cookie nobody asked for":    func(ch *wire.ClientHello) { setExtension(ch, &wire.CookieExt{Cookie: []byte("made up")}) },
		"status_request added":       func(ch *wire.ClientHello) { setExtension(ch, &wire.StatusRequestExt{StatusType: wire.StatusTypeOCSP}) },
		"pre_shared_key not offered": func(ch *wire.ClientHello) { setExtension(ch, psk("a ticket never offered")) },
	} {
		t.Run(name, func(t *testing.T) {
			run, p, _ := hrrServer(t, false)
			ch2 := hrrHello(t, suites.X25519)
			mutate(ch2)
			p.send(ch2)
			p.flush()
			p.expectAlert(wire.AlertIllegalParameter)
			err := run.wait()
			wantClaspFailure(t, err, "negotiate TLS 1.3 parameters", wire.AlertIllegalParameter)
			if !strings.Contains(err.Error(), "second ClientHello") {
				t.Errorf("error %q does not come from the second ClientHello check", err)
			}
		})
	}
}

// psk is a pre_shared_key offering one identity with a dummy binder.
func psk(identity string) *wire.PreSharedKeyExt {
	return &wire.PreSharedKeyExt{Identities: []wire.PSKIdentity{{Identity: []byte(identity), ObfuscatedTicketAge: 1}},
		Binders: [][]byte{make([]byte, 32)}}
}

// What §4.1.2 does allow passes: padding added, the cookie the
// HelloRetryRequest carried echoed, and the extensions in another order.
func TestServerAcceptsSecondClientHelloWithPermittedChanges(t *testing.T) {
	for name, cookie := range map[string]bool{"without cookie": false, "with cookie": true} {
		t.Run(name, func(t *testing.T) {
			run, p, hrr := hrrServer(t, cookie)
			ch2 := hrrHello(t, suites.X25519)
			ch2.Extensions[0], ch2.Extensions[1] = ch2.Extensions[1], ch2.Extensions[0]
			ch2.Extensions = append(ch2.Extensions, &wire.PaddingExt{Length: 100})
			if c, ok := wire.FindExtension[*wire.CookieExt](hrr.Extensions); ok {
				ch2.Extensions = append(ch2.Extensions, &wire.CookieExt{Cookie: c.Cookie})
			} else if cookie {
				t.Fatal("the HelloRetryRequest carries no cookie")
			}
			p.send(ch2)
			p.flush()
			if msg, _ := p.readMessage(); msg.Type() != wire.TypeServerHello {
				t.Fatalf("server answered %v, want ServerHello", msg.Type())
			}
			run.peer.conn.Close()
			run.wait()
		})
	}
}

// "(optionally) removing any PSKs which are incompatible with the
// server's indicated cipher suite": a second ClientHello that drops the
// ticket the first offered is a full handshake, not an error.
func TestServerAcceptsSecondClientHelloThatDropsPSK(t *testing.T) {
	client, server := testClientConfig13(t), testServerConfig13(t)
	client.ClientSessionCache = NewLRUClientSessionCache(4)
	server.Groups = []CurveID{X25519}
	obtainTicket(t, client, server)
	cs, _ := client.ClientSessionCache.Get(client.ServerName)

	ch1 := hrrHello(t, suites.Secp256r1)
	run, p, _ := startHelloRetry13(t, server, rawMessage{typ: wire.TypeClientHello, raw: offerTicket(t, ch1, cs, time.Second)})
	p.send(hrrHello(t, suites.X25519))
	p.flush()
	msg, _ := p.readMessage()
	sh, ok := msg.(*wire.ServerHello)
	if !ok {
		t.Fatalf("server answered %v, want ServerHello", msg.Type())
	}
	if _, resumed := wire.FindExtension[*wire.PreSharedKeyExt](sh.Extensions); resumed {
		t.Fatal("server resumed with a PSK the second ClientHello dropped")
	}
	run.peer.conn.Close()
	run.wait()
}

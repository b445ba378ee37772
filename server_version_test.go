package clasp

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Server version negotiation and ClientHello size, against scripted
// clients that send exactly the bytes under test. Where an RFC names no
// alert, the tests expect what OpenSSL 3.0.19's s_server answered to the
// same bytes (probed with a small Go program sending hand-built
// ClientHellos), and say so.

// helloOffering is a ClientHello that a server can answer with TLS 1.2 or
// TLS 1.3: TLS 1.2 and TLS 1.3 suites, and legacy_version legacy. With
// versions it carries supported_versions listing them, an X25519 key share
// (the base point, so that the bytes are always the same) and
// psk_key_exchange_modes; with none it has no supported_versions at all.
func helloOffering(legacy suites.Version, versions ...suites.Version) *wire.ClientHello {
	ch := scriptedClientHello(append(suites.DefaultSuites(), suites.TLS_AES_128_GCM_SHA256)...)
	ch.Version = legacy
	if len(versions) == 0 {
		return ch
	}
	share := make([]byte, 32)
	share[0] = 9
	ch.Extensions = append(ch.Extensions,
		&wire.KeyShareExt{Entries: []wire.KeyShareEntry{{Group: suites.X25519, KeyExchange: share}}},
		&wire.PSKKeyExchangeModesExt{Modes: []uint8{wire.PSKModeDHEKE}},
		&wire.SupportedVersionsExt{Versions: versions})
	return ch
}

// expectServerHello reads clasp's answer, checks that it is a ServerHello
// for version want, and ends the exchange. RFC 8446 §4.1.3 and §4.2.1: a
// TLS 1.3 ServerHello says 0x0303 in legacy_version and 0x0304 in
// supported_versions; a server that "negotiates a version of TLS prior to
// TLS 1.3 MUST set ServerHello.version and MUST NOT send the
// "supported_versions" extension".
func expectServerHello(t *testing.T, run *scriptedRun, want suites.Version) *wire.ServerHello {
	t.Helper()
	msg := run.peer.readMessage()
	sh, ok := msg.(*wire.ServerHello)
	if !ok {
		t.Fatalf("server answered %v, want ServerHello", msg.Type())
	}
	sv, hasSV := wire.FindExtension[*wire.SupportedVersionsExt](sh.Extensions)
	switch {
	case want == suites.VersionTLS13 && (!hasSV || sv.Versions[0] != suites.VersionTLS13 || sh.Version != suites.VersionTLS12):
		t.Errorf("ServerHello legacy_version %s, supported_versions %v; want TLS 1.3", sh.Version, sv)
	case want != suites.VersionTLS13 && hasSV:
		t.Errorf("%s ServerHello carries supported_versions %v", sh.Version, sv.Versions)
	case want != suites.VersionTLS13 && sh.Version != want:
		t.Errorf("ServerHello version %s, want %s", sh.Version, want)
	}
	run.peer.conn.Close()
	if err := run.wait(); err == nil {
		t.Fatal("handshake completed without the client's second flight")
	}
	return sh
}

// wantDowngradeSentinel checks RFC 8446 §4.1.3: a server able to do TLS 1.3
// that negotiates TLS 1.2 ends its random with "DOWNGRD\x01".
func wantDowngradeSentinel(t *testing.T, sh *wire.ServerHello) {
	t.Helper()
	if !bytes.Equal(sh.Random[24:], wire.DowngradeTLS12[:]) {
		t.Errorf("ServerHello random ends %x, want the TLS 1.2 downgrade sentinel", sh.Random[24:])
	}
}

// wantProtocolVersion checks that clasp refused the version offer at the
// ClientHello with protocol_version, which it sent.
func wantProtocolVersion(t *testing.T, run *scriptedRun) {
	t.Helper()
	run.peer.expectAlert(wire.AlertProtocolVersion)
	err := run.wait()
	var ne *NegotiationError
	if !errors.As(err, &ne) || ne.What != "protocol version" {
		t.Errorf("error %v, want a NegotiationError for the protocol version", err)
	}
	var he *HandshakeError
	if !errors.As(err, &he) || he.Step != "read ClientHello" || !he.AlertSent || he.Alert != uint8(wire.AlertProtocolVersion) {
		t.Errorf("error %v, want protocol_version sent at read ClientHello", err)
	}
}

// ---- legacy_version without supported_versions ----

// RFC 8446 §4.2.1: "If this extension is not present, servers which are
// compliant with this specification and which also support TLS 1.2 MUST
// negotiate TLS 1.2 or prior as specified in [RFC5246], even if
// ClientHello.legacy_version is 0x0304 or later." RFC 5246 Appendix E.1:
// the server proceeds with "the highest version supported by the server
// that is not greater than ClientHello.client_version". Clasp used to take
// 0x0304 for TLS 1.3 inside the TLS 1.2 driver and fail with "no cipher
// suite in common".
func TestServerNegotiatesTLS12ForLegacyVersionAboveTLS12WithoutSupportedVersions(t *testing.T) {
	for _, legacy := range []suites.Version{suites.VersionTLS13, 0x03fe, 0x03ff, 0x0400, 0xfefd} {
		t.Run(legacy.String(), func(t *testing.T) {
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.sendMessages(helloOffering(legacy))
			wantDowngradeSentinel(t, expectServerHello(t, run, suites.VersionTLS12))
		})
	}
	t.Run("TLS 1.2 server", func(t *testing.T) {
		run := serverVersusScript(t, nil)
		run.peer.sendMessages(helloOffering(suites.VersionTLS13))
		expectServerHello(t, run, suites.VersionTLS12)
	})
}

// The same client against a TLS 1.3-only server: the highest version at or
// below legacy_version without supported_versions is TLS 1.2, which the
// server does not enable (RFC 5246 Appendix E.1: protocol_version; OpenSSL
// 3 with -tls1_3 answers the same).
func TestServerRejectsLegacyVersionAboveTLS12WithoutSupportedVersionsWhenTLS13Only(t *testing.T) {
	cfg := testServerConfig13(t)
	cfg.MinVersion = VersionTLS13
	run := serverVersusScript(t, cfg)
	run.peer.sendMessages(helloOffering(suites.VersionTLS13))
	wantProtocolVersion(t, run)
}

// ---- supported_versions decides alone ----

// RFC 8446 §4.2.1: "If this extension is present in the ClientHello,
// servers MUST NOT use the ClientHello.legacy_version value for version
// negotiation and MUST use only the "supported_versions" extension".
// A list whose only enabled version is TLS 1.2 gets TLS 1.2 (with the
// downgrade sentinel, RFC 8446 §4.1.3), even next to legacy_version
// 0x0304; clasp used to ignore a list without TLS 1.3 and go by
// legacy_version.
func TestServerNegotiatesTLS12WhenSupportedVersionsListsOnlyTLS12(t *testing.T) {
	for _, legacy := range []suites.Version{suites.VersionTLS12, suites.VersionTLS13} {
		t.Run("legacy_version "+legacy.String(), func(t *testing.T) {
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.sendMessages(helloOffering(legacy, suites.VersionTLS12))
			wantDowngradeSentinel(t, expectServerHello(t, run, suites.VersionTLS12))
		})
	}
}

// An older version the server enables is negotiated from the list too:
// here TLS 1.1, named in MinVersion, although legacy_version says TLS 1.2.
func TestServerNegotiatesOlderEnabledVersionFromSupportedVersions(t *testing.T) {
	cfg := testServerConfig(t)
	cfg.MinVersion = VersionTLS11
	cfg.CipherSuites = []uint16{uint16(suites.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA)}
	run := serverVersusScript(t, cfg)
	ch := helloOffering(suites.VersionTLS12, suites.VersionTLS11, suites.VersionTLS10)
	ch.CipherSuites = []suites.ID{suites.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}
	run.peer.sendMessages(ch)
	expectServerHello(t, run, suites.VersionTLS11)
}

// The list wins over legacy_version upwards as well: legacy_version TLS 1.0
// with supported_versions [TLS 1.3] is TLS 1.3 (OpenSSL 3 agrees).
func TestServerNegotiatesTLS13FromSupportedVersionsDespiteLegacyVersion(t *testing.T) {
	run := serverVersusScript(t, testServerConfig13(t))
	run.peer.sendMessages(helloOffering(suites.VersionTLS10, suites.VersionTLS13))
	expectServerHello(t, run, suites.VersionTLS13)
}

// RFC 8446 §4.2.1: servers "MUST ignore any unknown versions that are
// present in that extension", GREASE (RFC 8701 §3) among them: they
// neither stop the server from picking a version nor get picked.
func TestServerIgnoresGREASEAndUnknownSupportedVersions(t *testing.T) {
	for name, c := range map[string]struct {
		versions []suites.Version
		want     suites.Version
	}{
		"TLS 1.3 after GREASE, draft and future": {[]suites.Version{0x0a0a, 0x7f1c, 0x0305, suites.VersionTLS13, suites.VersionTLS12}, suites.VersionTLS13},
		"TLS 1.2 after GREASE and future":        {[]suites.Version{0x1a1a, 0x03ff, suites.VersionTLS12}, suites.VersionTLS12},
	} {
		t.Run(name, func(t *testing.T) {
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.sendMessages(helloOffering(suites.VersionTLS12, c.versions...))
			expectServerHello(t, run, c.want)
		})
	}
}

// RFC 8446 §4.2.1: "Servers MUST only select a version of TLS present in
// that extension". A list with nothing the server enables (SSL 3.0 only,
// unknown and future versions only, or TLS 1.1, which the default
// configuration leaves off) leaves nothing to select: protocol_version,
// as RFC 5246 Appendix E.1 names for a version the server does not
// support, and as OpenSSL 3 answers each of these lists.
func TestServerRejectsSupportedVersionsWithNothingEnabled(t *testing.T) {
	for name, versions := range map[string][]suites.Version{
		"SSL 3.0 only":             {suites.VersionSSL30},
		"unknown and future only":  {0x0a0a, 0x7f1c, 0x0305, 0x7f7f},
		"disabled TLS 1.1 only":    {suites.VersionTLS11},
		"disabled TLS 1.1 and 1.0": {suites.VersionTLS11, suites.VersionTLS10},
	} {
		t.Run(name, func(t *testing.T) {
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.sendMessages(helloOffering(suites.VersionTLS12, versions...))
			wantProtocolVersion(t, run)
		})
	}
	// Clasp used to negotiate TLS 1.2 from legacy_version here; OpenSSL 3
	// with -no_tls1_3 answers protocol_version.
	t.Run("TLS 1.3 only at a TLS 1.2 server", func(t *testing.T) {
		run := serverVersusScript(t, nil)
		run.peer.sendMessages(helloOffering(suites.VersionTLS12, suites.VersionTLS13))
		wantProtocolVersion(t, run)
	})
}

// RFC 8446 Appendix D.5: "TLS 1.3 servers ... MAY abort the handshake" when
// legacy_version is 0x0300 or less; a client that sends supported_versions
// has no reason to claim SSL 3.0 or older. Clasp aborts, with the
// protocol_version alert OpenSSL 3 chooses (SSL_R_BAD_LEGACY_VERSION; for
// exactly 0x0300 OpenSSL's alert goes out as handshake_failure, since it
// answers in SSL 3.0, which has no protocol_version alert).
func TestServerRejectsSupportedVersionsWithLegacyVersionSSL30OrBelow(t *testing.T) {
	for _, legacy := range []suites.Version{suites.VersionSSL30, 0x0200, 0x0002} {
		t.Run(legacy.String(), func(t *testing.T) {
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.sendMessages(helloOffering(legacy, suites.VersionTLS13, suites.VersionTLS12))
			wantProtocolVersion(t, run)
		})
	}
}

// RFC 8446 §4.1.2 (the second ClientHello is the first changed only as
// asked) and §4.2.1 (supported_versions alone decides): a second
// ClientHello whose list no longer holds TLS 1.3 cannot continue the TLS
// 1.3 handshake the HelloRetryRequest began. RFC 8446 names no alert;
// OpenSSL 3 answers protocol_version.
func TestServerRejectsSecondClientHelloWithoutTLS13(t *testing.T) {
	cfg := testServerConfig13(t)
	cfg.Groups = []CurveID{X25519}
	groups := []suites.Group{suites.X25519, suites.Secp256r1}
	ch1, _ := clientHello13(t, groups, suites.Secp256r1)
	ch1.Extensions[3] = &wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13, suites.VersionTLS12}}
	run, p, _ := startHelloRetry13(t, cfg, ch1)
	ch2, _ := clientHello13(t, groups, suites.X25519)
	ch2.Extensions[3] = &wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS12}}
	p.send(ch2)
	p.flush()
	p.expectAlert(wire.AlertProtocolVersion)
	wantClaspFailure(t, run.wait(), "negotiate TLS 1.3 parameters", wire.AlertProtocolVersion)
}

// ---- the record version of the first ClientHello ----

// RFC 5246 Appendix E.1: "TLS servers MUST accept any value {03,XX} as the
// record layer version number for ClientHello"; RFC 8446 §5.1:
// legacy_record_version "MUST be ignored for all purposes". Clasp refused
// 0x0304 with protocol_version and closed silently on 0x03FE and above,
// taking them for another protocol.
func TestServerAcceptsAnyClientHelloRecordVersion03XX(t *testing.T) {
	for _, vers := range []uint16{0x0300, 0x0301, 0x0303, 0x0304, 0x0305, 0x03fe, 0x03ff} {
		for _, want := range []suites.Version{suites.VersionTLS12, suites.VersionTLS13} {
			t.Run(suites.Version(vers).String()+" "+want.String(), func(t *testing.T) {
				run := serverVersusScript(t, testServerConfig13(t))
				run.peer.recVs = vers
				run.peer.sendMessages(helloOffering(suites.VersionTLS12, want))
				expectServerHello(t, run, want)
			})
		}
	}
}

// A first record whose major version is not 3 is not TLS: clasp reports
// record.NotTLSError and sends nothing, as before. OpenSSL 3 also closes
// without an alert ("Doesn't look like TLS - don't send an alert").
func TestServerClosesSilentlyOnFirstRecordOfAnotherMajorVersion(t *testing.T) {
	for _, vers := range []uint16{0x0203, 0x0403} {
		t.Run(suites.Version(vers).String(), func(t *testing.T) {
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.recVs = vers
			run.peer.sendMessages(helloOffering(suites.VersionTLS12, suites.VersionTLS13))
			err := run.wait()
			var nt *record.NotTLSError
			if !errors.As(err, &nt) || alertOf(err) != -1 {
				t.Fatalf("error %v (alert %d), want a NotTLSError and no alert", err, alertOf(err))
			}
			run.peer.expectNoMoreBytes()
		})
	}
}

// ---- ClientHello size ----

// handshakeRecords frames msg as handshake records of at most size bytes,
// each with record version vers.
func handshakeRecords(vers uint16, size int, msg []byte) []byte {
	var out []byte
	for len(msg) > 0 {
		n := min(len(msg), size)
		out = append(out, rawRecord(wire.ContentHandshake, vers, msg[:n])...)
		msg = msg[n:]
	}
	return out
}

// padClientHello adds a padding extension (RFC 7685) that makes ch's body
// exactly bodyLen bytes and returns the marshalled message.
func padClientHello(t testing.TB, ch *wire.ClientHello, bodyLen int) []byte {
	t.Helper()
	pad := &wire.PaddingExt{}
	ch.Extensions = append(ch.Extensions, pad)
	pad.Length = bodyLen - (len(mustMarshal(t, ch)) - 4)
	raw := mustMarshal(t, ch)
	if pad.Length < 0 || len(raw)-4 != bodyLen {
		t.Fatalf("ClientHello body of %d bytes, want %d", len(raw)-4, bodyLen)
	}
	return raw
}

// fillToLongest gives ch the longest session ID and cipher suite list the
// syntax allows (RFC 5246 §7.4.1.2): 32 bytes, and 2^15-1 suites, made up
// of ch's own followed by values the server does not know.
func fillToLongest(ch *wire.ClientHello) {
	ch.SessionID = bytes.Repeat([]byte{0x5a}, 32)
	for id := suites.ID(0x6000); len(ch.CipherSuites) < 0x7fff; id++ {
		ch.CipherSuites = append(ch.CipherSuites, id)
	}
}

// RFC 5246 §7.4.1.2 and RFC 8446 §4.1.2 bound every part of a ClientHello,
// and the longest one they allow (wire.MaxClientHelloLen, 131396 bytes:
// a 32-byte session ID, 2^15-1 suites, 255 compression methods, 2^16-1
// bytes of extensions) is a valid ClientHello that OpenSSL 3 answers with
// a ServerHello. Clasp's default limit of 64 KiB per handshake message
// refused anything over 65536 bytes; by default a server now reads every
// ClientHello the syntax allows, spread over as many records as it takes.
func TestServerAcceptsLongestPossibleClientHelloByDefault(t *testing.T) {
	ch := helloOffering(suites.VersionTLS12)
	fillToLongest(ch)
	ch.CompressionMethods = make([]uint8, 255)
	for i := range ch.CompressionMethods {
		ch.CompressionMethods[i] = uint8(i)
	}
	raw := padClientHello(t, ch, wire.MaxClientHelloLen)
	run := serverVersusScript(t, testServerConfig13(t))
	run.peer.send(handshakeRecords(VersionTLS10, record.MaxPlaintext, raw))
	expectServerHello(t, run, suites.VersionTLS12)
}

// The same for TLS 1.3, whose ClientHello carries exactly one compression
// method (RFC 8446 §4.1.2), so its longest is 254 bytes shorter. Small
// records split the message headers too.
func TestServerAcceptsLongestTLS13ClientHelloOverManyRecords(t *testing.T) {
	for _, size := range []int{record.MaxPlaintext, 1000, 3} {
		t.Run(fmt.Sprintf("%d-byte records", size), func(t *testing.T) {
			ch, _ := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
			fillToLongest(ch)
			raw := padClientHello(t, ch, wire.MaxClientHelloLen-254)
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.send(handshakeRecords(VersionTLS10, size, raw))
			expectServerHello(t, run, suites.VersionTLS13)
		})
	}
}

// recordsOf re-frames the handshake records in b (a whole flight) into
// records of at most size bytes.
func recordsOf(t testing.TB, b []byte, size int) []byte {
	t.Helper()
	var payload []byte
	vers := uint16(b[1])<<8 | uint16(b[2])
	for len(b) > 0 {
		n := int(b[3])<<8 | int(b[4])
		if b[0] != byte(wire.ContentHandshake) || len(b) < 5+n {
			t.Fatalf("unexpected record %x", b[:5])
		}
		payload = append(payload, b[5:5+n]...)
		b = b[5+n:]
	}
	return handshakeRecords(vers, size, payload)
}

// RFC 8446 §5.1 lets a handshake message span records, as long as it does
// not span a key change. A clasp client whose ClientHello arrives in 5-byte
// records completes a TLS 1.3 handshake with a clasp server and exchanges
// data: the server's first key change finds nothing half-read.
func TestServerCompletesTLS13HandshakeWithClientHelloInManyRecords(t *testing.T) {
	wrap := func(c net.Conn) net.Conn {
		return &tamperConn{Conn: c, onWrite: func(i int, b []byte) []byte {
			if i == 0 {
				return recordsOf(t, b, 5)
			}
			return b
		}}
	}
	r := testHandshakeConns(t, testClientConfig13(t), testServerConfig13(t), wrap)
	r.mustSucceed(t)
	if r.serverState.Version != VersionTLS13 {
		t.Fatalf("negotiated %s", VersionName(r.serverState.Version))
	}
	r.exchange(t)
}

// A header declaring one byte more than the longest possible ClientHello
// is refused at once, before any of the body arrives (the scripted client
// sends none), with an alert rather than a silent close. RFC 8446 §6.2:
// decode_error is for a message whose "length ... was incorrect", and no
// ClientHello can be this long. OpenSSL 3 stops at the same length (a
// header declaring 131396 bytes makes it wait for the body, 131397 is
// refused at once) but sends illegal_parameter ("excessive message size").
func TestServerRejectsClientHelloLongerThanItsSyntaxAllows(t *testing.T) {
	for _, n := range []int{wire.MaxClientHelloLen + 1, 1<<24 - 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			run := serverVersusScript(t, testServerConfig13(t))
			run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS10, []byte{byte(wire.TypeClientHello), byte(n >> 16), byte(n >> 8), byte(n)}))
			run.peer.expectAlert(wire.AlertDecodeError)
			wantClaspFailure(t, run.wait(), "read ClientHello", wire.AlertDecodeError)
		})
	}
}

// Only the ClientHello limit grew: the server's other messages keep the 64
// KiB default (record.DefaultMaxMessageSize), so a ClientKeyExchange
// declaring more is refused before it is buffered, as before.
func TestServerKeepsDefaultLimitForMessagesAfterClientHello(t *testing.T) {
	run := serverAfterHello12(t, nil)
	n := record.DefaultMaxMessageSize + 1
	run.peer.send(rawRecord(wire.ContentHandshake, VersionTLS12, []byte{byte(wire.TypeClientKeyExchange), byte(n >> 16), byte(n >> 8), byte(n)}))
	run.peer.expectAlert(wire.AlertDecodeError)
	wantClaspFailure(t, run.wait(), "read ClientKeyExchange", wire.AlertDecodeError)
}

package scan

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Heartbleed after the handshake. The probe of heartbleed.go sends its
// request in the clear, before any key exchange; a server that handles
// heartbeats only once the connection is encrypted drops it silently, and
// that silence proves nothing. So this probe also completes a handshake —
// a clasp client offering the heartbeat extension through
// Config.ClientHelloExtensions — and then writes the same malformed
// request (1 byte of payload claiming 64) encrypted, followed by a
// well-formed one (16 bytes, claiming 16). clasp has no heartbeat, so the
// Conn is left alone after its handshake: the two records are sealed, and
// the answers opened, here, with the keys the key log gives (RFC 5246 §6.3)
// and sequence number 1 in each direction (each side's Finished was record
// 0 of the epoch).
//
// A heartbeat response longer than the one byte sent is memory: vulnerable.
// An alert or a close is a server that refuses heartbeats; an echo of the
// well-formed request alone is one that discarded the malformed request as
// RFC 6520 §4 says. Silence is unknown.

// heartbeatEchoLen is the payload of the well-formed request.
const heartbeatEchoLen = 16

// afterHandshakeExtensions are the hello's extensions: what a TLS 1.2
// handshake needs, heartbeat, and no encrypt_then_mac (the records are
// sealed here MAC-then-encrypt).
var afterHandshakeExtensions = []uint16{
	uint16(wire.ExtServerName), uint16(wire.ExtSupportedGroups), uint16(wire.ExtECPointFormats), uint16(wire.ExtSignatureAlgorithms),
	uint16(wire.ExtExtendedMasterSecret), uint16(wire.ExtRenegotiationInfo), uint16(wire.ExtHeartbeat),
}

// heartbeatVerdict is what one Heartbleed probe concluded.
type heartbeatVerdict struct {
	status   Status
	evidence string
}

// heartbleedAfterHandshake runs the encrypted probe. TLS 1.1 and 1.2 only:
// TLS 1.0's CBC IVs and RC4's keystream carry on from the handshake's
// records, which this probe does not see.
func (s *scanner) heartbleedAfterHandshake(ctx context.Context, rep *Report) (heartbeatVerdict, error) {
	v := highestBelow13(rep)
	if v < suites.VersionTLS11 {
		return heartbeatVerdict{StatusNotApplicable, "no TLS 1.1 or 1.2 to send an encrypted heartbeat in"}, nil
	}
	cfg := s.clientConfig(v)
	cfg.CipherSuites = slices.DeleteFunc(cfg.CipherSuites, func(id uint16) bool {
		c := suites.SuiteByID(suites.ID(id))
		return c == nil || !(c.IsAEAD() || isCBC(c))
	})
	cfg.SessionTicketsDisabled = true
	cfg.ClientHelloExtensions = afterHandshakeExtensions
	var keyLog bytes.Buffer
	cfg.KeyLogWriter = &keyLog
	out := heartbeatVerdict{StatusUnknown, ""}
	hs, err := s.handshake(ctx, handshakeSpec{config: cfg, onTransport: func(hs *fullHandshake, conn *clasp.Conn, raw net.Conn) {
		out = s.encryptedHeartbeat(hs.ServerHello, conn.ConnectionState(), keyLog.Bytes(), raw)
	}})
	if err != nil {
		return out, err
	}
	if hs.Err != nil {
		// Not run: the probe in the clear decides alone.
		out = heartbeatVerdict{StatusNotApplicable, "no handshake to send it in: " + errText(hs.Err)}
	}
	return out, nil
}

// encryptedHeartbeat sends the two requests on an established connection
// and reads the answers.
func (s *scanner) encryptedHeartbeat(sh *wire.ServerHello, st clasp.ConnectionState, keyLog []byte, raw net.Conn) heartbeatVerdict {
	unknown := func(format string, args ...any) heartbeatVerdict {
		return heartbeatVerdict{StatusUnknown, fmt.Sprintf(format, args...)}
	}
	v, suite := suites.Version(st.Version), suites.SuiteByID(suites.ID(st.CipherSuite))
	if sh == nil || suite == nil {
		return unknown("the handshake's ServerHello was not seen")
	}
	clientWrite, serverWrite, err := protectionsFromKeyLog(keyLog, v, suite, sh.Random[:])
	if err != nil {
		return unknown("%v", err)
	}
	advertised := "without"
	if hasExtension(sh, wire.ExtHeartbeat) {
		advertised = "with"
	}
	where := fmt.Sprintf("%v %s, ServerHello %s the heartbeat extension", v, suite.Name, advertised)
	malformed, err := heartbleedRequest()
	if err != nil {
		return unknown("%v", err)
	}
	wellFormed := make([]byte, 3+heartbeatEchoLen+heartbeatPaddingLen)
	wellFormed[0], wellFormed[2] = heartbeatRequest, heartbeatEchoLen
	if _, err := rand.Read(wellFormed[3:]); err != nil {
		return unknown("%v", err)
	}
	var out []byte
	for i, req := range [][]byte{malformed, wellFormed} {
		sealed, err := clientWrite.Seal(nil, uint64(1+i), wire.ContentHeartbeat, v, req)
		if err != nil {
			return unknown("sealing the request: %v", err)
		}
		out = append(out, byte(wire.ContentHeartbeat), byte(v>>8), byte(v))
		out = append(append(out, byte(len(sealed)>>8), byte(len(sealed))), sealed...)
	}
	if _, err := raw.Write(out); err != nil {
		return heartbeatVerdict{StatusNotVulnerable, fmt.Sprintf("after a completed handshake (%s) the server closed before the encrypted heartbeats could be written", where)}
	}
	return readHeartbeatAnswers(raw, serverWrite, v, wellFormed[:3+heartbeatEchoLen], s.afterFlightWait(), where)
}

// readHeartbeatAnswers reads the server's records after the two requests
// until one decides: a leak, an alert, a close, or the echo of the
// well-formed request (which the server handled after the malformed one).
func readHeartbeatAnswers(raw net.Conn, serverWrite record.Protection, v suites.Version, echo []byte, wait time.Duration, where string) heartbeatVerdict {
	sent := fmt.Sprintf("an encrypted heartbeat request carrying %d byte of payload but claiming %d, then a well-formed one of %d", heartbleedPayloadLen, heartbleedClaimed, heartbeatEchoLen)
	_ = raw.SetReadDeadline(time.Now().Add(wait))
	for seq := uint64(1); seq < 8; seq++ {
		rec, err := readRaw(raw)
		switch {
		case err != nil && isTimeout(err):
			return heartbeatVerdict{StatusUnknown, fmt.Sprintf("%s after a completed handshake (%s) got no answer", sent, where)}
		case err != nil:
			return heartbeatVerdict{StatusNotVulnerable, fmt.Sprintf("%s after a completed handshake (%s): the server closed the connection", sent, where)}
		}
		plain, err := serverWrite.Open(seq, rec.typ, v, rec.payload)
		if err != nil {
			return heartbeatVerdict{StatusUnknown, fmt.Sprintf("%s (%s): the server's %v record %d did not decrypt: %v", sent, where, rec.typ, seq, err)}
		}
		switch {
		case rec.typ == wire.ContentAlert:
			desc := "malformed"
			if a, err := wire.ParseAlert(plain); err == nil {
				desc = a.Description.String()
			}
			return heartbeatVerdict{StatusNotVulnerable, fmt.Sprintf("%s after a completed handshake (%s) got alert %s", sent, where, desc)}
		case rec.typ != wire.ContentHeartbeat:
			continue
		case len(plain) >= len(echo) && bytes.Equal(plain[1:len(echo)], echo[1:]):
			return heartbeatVerdict{StatusNotVulnerable, fmt.Sprintf("%s after a completed handshake (%s): the malformed one was discarded and the well-formed one echoed, as RFC 6520 §4 asks", sent, where)}
		}
		if claimed, ok := heartbeatPayloadLength(plain); ok && claimed > heartbleedPayloadLen || len(plain) > 3+heartbleedPayloadLen+heartbeatPaddingLen {
			return heartbeatVerdict{StatusVulnerable, fmt.Sprintf("%s after a completed handshake (%s): the server answered the malformed one with an encrypted heartbeat of %d bytes", sent, where, len(plain))}
		}
	}
	return heartbeatVerdict{StatusUnknown, fmt.Sprintf("%s (%s): records came, but neither a heartbeat response nor an alert", sent, where)}
}

// protectionsFromKeyLog builds both directions' record protection of a
// TLS 1.1/1.2 connection from its NSS key log line (CLIENT_RANDOM and the
// master secret) and the ServerHello's random.
func protectionsFromKeyLog(keyLog []byte, v suites.Version, suite *suites.Suite, serverRandom []byte) (clientWrite, serverWrite record.Protection, err error) {
	var clientRandom, master []byte
	for line := range strings.Lines(string(keyLog)) {
		f := strings.Fields(line)
		if len(f) == 3 && f[0] == "CLIENT_RANDOM" {
			clientRandom, err = hex.DecodeString(f[1])
			if err == nil {
				master, err = hex.DecodeString(f[2])
			}
		}
	}
	if err != nil || len(master) != keys.MasterSecretLength {
		return nil, nil, fmt.Errorf("no master secret in the key log (%v)", err)
	}
	macLen, keyLen, ivLen := 0, suite.Cipher.Info().KeyLen, suite.Cipher.Info().FixedIVLen
	if !suite.IsAEAD() {
		// TLS 1.1 and 1.2 CBC records carry their IV (RFC 4346 §6.2.3.2).
		macLen, ivLen = suite.MAC.Size(), 0
	}
	kb := keys.DeriveKeyBlock(v, suite.PRFHash, master, clientRandom, serverRandom, macLen, keyLen, ivLen)
	clientWrite, err = record.NewProtection(v, suite.Cipher, suite.MAC, kb.ClientKey, kb.ClientIV, kb.ClientMACKey, rand.Reader)
	if err == nil {
		serverWrite, err = record.NewProtection(v, suite.Cipher, suite.MAC, kb.ServerKey, kb.ServerIV, kb.ServerMACKey, rand.Reader)
	}
	return clientWrite, serverWrite, err
}

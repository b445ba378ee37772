package clasp

import (
	"bytes"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Alert tests: which alerts end a connection, which are ignored, how many
// may be ignored in a row, and that nothing follows a fatal alert.

// ---- helpers ----

// expectEOF checks that clasp closes the connection next: no further
// record, not even close_notify.
func (p *peer13) expectEOF() {
	p.t.Helper()
	if typ, body, err := p.readRecord(); err == nil {
		p.t.Fatalf("scripted peer: clasp sent a %v record (%x), want the connection closed", typ, body)
	}
}

// expectAlertThenEOF reads clasp's records up to its fatal alert desc (a
// ticket may come first) and checks that the connection closes after it.
func (p *peer13) expectAlertThenEOF(desc wire.AlertDescription) {
	p.t.Helper()
	p.expectAlert(desc)
	p.expectEOF()
}

func alertBody(level wire.AlertLevel, desc wire.AlertDescription) []byte {
	return wire.Alert{Level: level, Description: desc}.Marshal()
}

// completeClient13 runs a TLS 1.3 handshake between a clasp client and the
// scripted server to its end; the peer then holds the application keys.
func completeClient13(t *testing.T) (*scriptedRun, *peer13) {
	t.Helper()
	run, p, _ := clientAfterHello13(t, nil)
	p.sendFlightBeforeFinished(&wire.EncryptedExtensions{})
	p.finishAsServer(run)
	return run, p
}

// serverFlight13 sends a TLS 1.3 ClientHello to a clasp server, reads its
// ServerHello, installs the handshake keys, and reads the rest of its
// flight up to its Finished. A nil cfg is testServerConfig13 without
// session tickets, so that every record the server sends after its flight
// is one a test provoked.
func serverFlight13(t *testing.T, cfg *Config) (*scriptedRun, *peer13) {
	t.Helper()
	if cfg == nil {
		cfg = testServerConfig13(t)
		cfg.SessionTicketsDisabled = true
	}
	run, p := startServer13(t, cfg)
	ch, privs := clientHello13(t, []suites.Group{suites.X25519}, suites.X25519)
	p.send(ch)
	p.flush()
	p.readServerFlight(privs[suites.X25519], nil)
	p.rd, p.rdSeq = p.protection(p.sAP), 0 // the server's alerts come under its application key
	return run, p
}

// completeServer13 runs a TLS 1.3 handshake between the scripted client and
// a clasp server (without tickets) to its end; the peer then holds the
// application keys.
func completeServer13(t *testing.T) (*scriptedRun, *peer13) {
	t.Helper()
	run, p := serverFlight13(t, nil)
	p.finishAsClient(run)
	return run, p
}

// clientRefusesRecord13 sends a record of typ holding body to a clasp TLS
// 1.3 client that has just read the ServerHello (clientAfterHello13), and
// checks that the client's fatal desc is the last it sends and its
// handshake fails with it while reading EncryptedExtensions.
func clientRefusesRecord13(t *testing.T, typ wire.ContentType, body []byte, desc wire.AlertDescription) {
	t.Helper()
	run, p, _ := clientAfterHello13(t, nil)
	p.writeRecord(typ, body)
	p.flush()
	p.expectAlertThenEOF(desc)
	wantClaspFailure(t, run.wait(), "read EncryptedExtensions", desc)
}

// serverRefusesRecord13 is clientRefusesRecord13 for a clasp server
// waiting for its client's Finished (serverFlight13).
func serverRefusesRecord13(t *testing.T, typ wire.ContentType, body []byte, desc wire.AlertDescription) {
	t.Helper()
	run, p := serverFlight13(t, nil)
	p.writeRecord(typ, body)
	p.flush()
	p.expectAlertThenEOF(desc)
	wantClaspFailure(t, run.wait(), "read client Finished", desc)
}

// readInBackground starts a Read on c and returns where its error arrives.
func readInBackground(c *Conn) <-chan error {
	errc := make(chan error, 1)
	go func() {
		_, err := c.Read(make([]byte, 1))
		errc <- err
	}()
	return errc
}

// wantEndedBy checks the state of a connection after the error first: Read
// and Write return it again and send nothing, and Close sends nothing.
func wantEndedBy(t *testing.T, c *Conn, first error) {
	t.Helper()
	if _, err := c.Read(make([]byte, 1)); err != first {
		t.Errorf("second Read: %v, want the first error %v", err, first)
	}
	if _, err := c.Write([]byte("x")); err != first {
		t.Errorf("Write: %v, want the first error %v", err, first)
	}
	if err := c.CloseWrite(); err != first {
		t.Errorf("CloseWrite: %v, want the first error %v", err, first)
	}
	if err := c.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
}

// ---- nothing after a fatal alert (RFC 5246 §7.2.2, RFC 8446 §6.2) ----

// postHandshakeTriggers13 are records that make a TLS 1.3 endpoint send a
// fatal alert after the handshake, with the alert each calls for.
var postHandshakeTriggers13 = []struct {
	name string
	send func(p *peer13)
	want wire.AlertDescription
}{
	// RFC 8446 §4.6.3: request_update other than 0 or 1 is illegal_parameter.
	{"malformed KeyUpdate", func(p *peer13) { p.writeRecord(wire.ContentHandshake, []byte{byte(wire.TypeKeyUpdate), 0, 0, 1, 7}) }, wire.AlertIllegalParameter},
	// RFC 8446 §5: a change_cipher_spec after the handshake is unexpected_message.
	{"ChangeCipherSpec", func(p *peer13) {
		p.out = append(p.out, rawRecord(wire.ContentChangeCipherSpec, VersionTLS12, wire.ChangeCipherSpec)...)
	}, wire.AlertUnexpectedMessage},
	// RFC 8446 §5.2: a record that fails to deprotect is bad_record_mac.
	{"bad record MAC", func(p *peer13) {
		p.writeRecord(wire.ContentApplicationData, []byte("data"))
		p.out[len(p.out)-1] ^= 1
	}, wire.AlertBadRecordMAC},
	// RFC 8446 §4.6: only NewSessionTicket, KeyUpdate and post-handshake
	// authentication messages come after the handshake.
	{"EncryptedExtensions after the handshake", func(p *peer13) {
		p.writeRecord(wire.ContentHandshake, []byte{byte(wire.TypeEncryptedExtensions), 0, 0, 2, 0, 0})
	}, wire.AlertUnexpectedMessage},
}

// RFC 8446 §6.2: "Upon transmission or receipt of a fatal alert message,
// both parties MUST immediately close the connection." After its fatal
// alert a clasp server sends nothing, not even close_notify at Close, and
// Read and Write return the first error.
func TestServerSendsNothingAfterItsFatalAlert13(t *testing.T) {
	sendsNothingAfterItsFatalAlert13(t, completeServer13, true)
}

// The same from the client's side.
func TestClientSendsNothingAfterItsFatalAlert13(t *testing.T) {
	sendsNothingAfterItsFatalAlert13(t, completeClient13, false)
}

// sendsNothingAfterItsFatalAlert13 runs each of postHandshakeTriggers13
// against a clasp endpoint whose handshake complete ran, and checks that
// the endpoint's fatal alert is the last it sends and that Read (whose
// error must carry the alert when checkRead is set) and Write return the
// first error.
func sendsNothingAfterItsFatalAlert13(t *testing.T, complete func(*testing.T) (*scriptedRun, *peer13), checkRead bool) {
	for _, tc := range postHandshakeTriggers13 {
		t.Run(tc.name, func(t *testing.T) {
			run, p := complete(t)
			errc := readInBackground(run.conn)
			tc.send(p)
			p.flush()
			p.expectAlert(tc.want)
			first := <-errc
			var we *wire.Error
			if checkRead && (!errors.As(first, &we) || we.Alert != tc.want) {
				t.Fatalf("Read: %v, want %s", first, tc.want)
			}
			// Whatever the failure, the alert clasp sent is reachable as
			// crypto/tls's AlertError type.
			var sent AlertError
			if !errors.As(first, &sent) || sent != AlertError(tc.want) {
				t.Fatalf("Read: %v does not wrap AlertError(%s)", first, tc.want)
			}
			wantEndedBy(t, run.conn, first)
			p.expectEOF()
		})
	}
}

// RFC 8446 §6.2 again, for a received alert: after the peer's fatal alert
// (or, RFC 8446 §6, any error alert whatever its level) clasp sends
// nothing; Read and Write return the peer's alert.
func TestSendsNothingAfterPeersFatalAlert13(t *testing.T) {
	for _, side := range []string{"client", "server"} {
		for _, level := range []wire.AlertLevel{wire.AlertLevelFatal, wire.AlertLevelWarning} {
			t.Run(side+"/"+level.String(), func(t *testing.T) {
				var run *scriptedRun
				var p *peer13
				if side == "client" {
					run, p = completeClient13(t)
				} else {
					run, p = completeServer13(t)
				}
				errc := readInBackground(run.conn)
				p.writeRecord(wire.ContentAlert, alertBody(level, wire.AlertDecryptError))
				p.flush()
				first := <-errc
				if a := receivedAlert(first); a != int(wire.AlertDecryptError) {
					t.Fatalf("Read: %v, want the peer's decrypt_error", first)
				}
				if !errors.Is(first, AlertError(wire.AlertDecryptError)) {
					t.Fatalf("Read: %v does not wrap AlertError(decrypt_error)", first)
				}
				wantEndedBy(t, run.conn, first)
				p.expectEOF()
			})
		}
	}
}

// During the handshake the same holds: clasp's fatal alert is the last
// record, and Close (which the scripted run calls) sends nothing more.
func TestSendsNothingAfterFatalAlertDuringHandshake(t *testing.T) {
	t.Run("TLS 1.2 client", func(t *testing.T) {
		run, _ := clientVersusScript(t, nil)
		run.peer.sendMessages(scriptedServerHello(suites.TLS_RSA_WITH_AES_128_GCM_SHA256))
		run.peer.expectAlert(wire.AlertIllegalParameter)
		run.peer.expectEOF()
		wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
	})
	t.Run("TLS 1.2 server", func(t *testing.T) {
		run := serverAfterHello12(t, nil)
		// A duplicated ClientHello where ClientKeyExchange belongs.
		run.peer.sendMessages(scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256))
		run.peer.expectAlert(wire.AlertUnexpectedMessage)
		run.peer.expectEOF()
		wantClaspFailure(t, run.wait(), "read ClientKeyExchange", wire.AlertUnexpectedMessage)
	})
	t.Run("TLS 1.3 client", func(t *testing.T) {
		clientRefusesRecord13(t, wire.ContentHandshake, []byte{byte(wire.TypeFinished), 0, 0, 1, 0}, wire.AlertUnexpectedMessage) // Finished instead of EncryptedExtensions
	})
	t.Run("TLS 1.3 server", func(t *testing.T) {
		serverRefusesRecord13(t, wire.ContentHandshake, []byte{byte(wire.TypeFinished), 0, 0, 3, 1, 2, 3}, wire.AlertDecodeError) // a Finished of the wrong length
	})
}

// ---- TLS 1.3: every alert but close_notify and user_canceled is fatal ----

// RFC 8446 §6: alerts "MUST be treated as error alerts when received
// regardless of the AlertLevel in the message". A warning-level
// unrecognized_name ends the handshake; clasp sends nothing back.
func TestWarningAlertEndsHandshake13(t *testing.T) {
	t.Run("client", func(t *testing.T) {
		run, p, _ := clientAfterHello13(t, nil)
		p.writeRecord(wire.ContentAlert, alertBody(wire.AlertLevelWarning, wire.AlertUnrecognizedName))
		p.flush()
		p.expectEOF()
		if a := receivedAlert(run.wait()); a != int(wire.AlertUnrecognizedName) {
			t.Fatalf("handshake error does not carry the peer's unrecognized_name")
		}
	})
	t.Run("server", func(t *testing.T) {
		run, p := serverFlight13(t, nil)
		p.writeRecord(wire.ContentAlert, alertBody(wire.AlertLevelWarning, wire.AlertBadCertificate))
		p.flush()
		p.expectEOF()
		if a := receivedAlert(run.wait()); a != int(wire.AlertBadCertificate) {
			t.Fatalf("handshake error does not carry the peer's bad_certificate")
		}
	})
}

// RFC 8446 §6 says nothing of levels other than warning and fatal, since
// the level carries no meaning in TLS 1.3: an alert of level 3 is treated
// by its description, here as an error alert. OpenSSL 3 does the same
// (it sends nothing back).
func TestUnknownAlertLevelIsTreatedByDescription13(t *testing.T) {
	t.Run("server", func(t *testing.T) {
		run, p := serverFlight13(t, nil)
		p.writeRecord(wire.ContentAlert, alertBody(3, wire.AlertUnrecognizedName))
		p.flush()
		p.expectEOF()
		if a := receivedAlert(run.wait()); a != int(wire.AlertUnrecognizedName) {
			t.Fatalf("handshake error does not carry the peer's alert")
		}
	})
	t.Run("client", func(t *testing.T) {
		run, p, _ := clientAfterHello13(t, nil)
		p.writeRecord(wire.ContentAlert, alertBody(0, wire.AlertBadCertificate))
		p.flush()
		p.expectEOF()
		if a := receivedAlert(run.wait()); a != int(wire.AlertBadCertificate) {
			t.Fatalf("handshake error does not carry the peer's alert")
		}
	})
}

// RFC 8446 §6.1: user_canceled "should be followed by a close_notify",
// which ends the connection; the user_canceled itself is not fatal (OpenSSL
// 3 ignores it whatever its level). Proof that it is skipped: the
// message after it is what clasp objects to.
func TestUserCanceledIsNotFatal13(t *testing.T) {
	for _, level := range []wire.AlertLevel{wire.AlertLevelWarning, wire.AlertLevelFatal} {
		t.Run(level.String(), func(t *testing.T) {
			run, p, _ := clientAfterHello13(t, nil)
			p.writeRecord(wire.ContentAlert, alertBody(level, wire.AlertUserCanceled))
			p.writeRecord(wire.ContentHandshake, []byte{byte(wire.TypeFinished), 0, 0, 1, 0})
			p.flush()
			p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
			wantClaspFailure(t, run.wait(), "read EncryptedExtensions", wire.AlertUnexpectedMessage)
		})
	}
	t.Run("then close_notify", func(t *testing.T) {
		run, p := serverFlight13(t, nil)
		p.writeRecord(wire.ContentAlert, alertBody(wire.AlertLevelWarning, wire.AlertUserCanceled))
		p.writeRecord(wire.ContentAlert, alertBody(wire.AlertLevelWarning, wire.AlertCloseNotify))
		p.flush()
		p.expectEOF()
		err := run.wait()
		if !errors.Is(err, io.EOF) || alertOf(err) != -1 {
			t.Fatalf("handshake error %v, want EOF with no alert sent", err)
		}
	})
}

// ---- TLS 1.2: warnings ----

// RFC 5246 §7.2.2 lets the receiver of a warning go on, and OpenSSL 3 does
// for every warning but close_notify and no_renegotiation. A server that
// has no certificate for the name sends unrecognized_name as a warning
// (RFC 6066 §3); the handshake goes on, and ConnectionState.Warnings says
// what came. Proof that it goes on: the ServerHello after it is checked.
func TestClientContinuesAfterWarningAlert12(t *testing.T) {
	run, _ := clientVersusScript(t, nil)
	warning := rawRecord(wire.ContentAlert, VersionTLS12, alertBody(wire.AlertLevelWarning, wire.AlertUnrecognizedName))
	run.peer.send(warning, run.peer.handshakeRecord(scriptedServerHello(suites.TLS_RSA_WITH_AES_128_GCM_SHA256)))
	run.peer.expectAlert(wire.AlertIllegalParameter)
	wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
	wantWarning(t, run.conn, "unrecognized_name")
}

func TestServerContinuesAfterWarningAlert12(t *testing.T) {
	run := serverVersusScript(t, nil)
	ch := scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)
	run.peer.send(run.peer.handshakeRecord(ch),
		rawRecord(wire.ContentAlert, VersionTLS12, alertBody(wire.AlertLevelWarning, wire.AlertUserCanceled)),
		run.peer.handshakeRecord(ch))
	run.peer.expectAlert(wire.AlertUnexpectedMessage) // the second ClientHello, not the warning
	wantClaspFailure(t, run.wait(), "read ClientKeyExchange", wire.AlertUnexpectedMessage)
	wantWarning(t, run.conn, "user_canceled")
}

func wantWarning(t *testing.T, c *Conn, name string) {
	t.Helper()
	for _, w := range c.ConnectionState().Warnings {
		if strings.Contains(w, name) {
			return
		}
	}
	t.Errorf("ConnectionState.Warnings %q does not mention the %s warning", c.ConnectionState().Warnings, name)
}

// A no_renegotiation warning during the initial handshake refuses nothing
// that was asked. RFC 5246 names no alert; OpenSSL 3 ends the handshake
// with handshake_failure ("no renegotiation"), and so does clasp.
func TestNoRenegotiationWarningDuringInitialHandshake12(t *testing.T) {
	warning := rawRecord(wire.ContentAlert, VersionTLS12, alertBody(wire.AlertLevelWarning, wire.AlertNoRenegotiation))
	t.Run("client", func(t *testing.T) {
		run, _ := clientVersusScript(t, nil)
		run.peer.send(warning)
		run.peer.expectAlert(wire.AlertHandshakeFailure)
		run.peer.expectEOF()
		wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertHandshakeFailure)
	})
	t.Run("server", func(t *testing.T) {
		run := serverVersusScript(t, nil)
		run.peer.send(run.peer.handshakeRecord(scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)), warning)
		run.peer.expectAlert(wire.AlertHandshakeFailure)
		wantClaspFailure(t, run.wait(), "read ClientKeyExchange", wire.AlertHandshakeFailure)
	})
}

// RFC 5246 §7.2 defines the levels warning(1) and fatal(2) and names no
// alert for another; OpenSSL 3 answers illegal_parameter ("unknown alert
// type"), and so does clasp, on both sides.
func TestUnknownAlertLevelIsIllegalParameter12(t *testing.T) {
	for _, level := range []wire.AlertLevel{0, 3, 255} {
		bad := rawRecord(wire.ContentAlert, VersionTLS12, alertBody(level, wire.AlertCloseNotify))
		t.Run("client/"+level.String(), func(t *testing.T) {
			run, _ := clientVersusScript(t, nil)
			run.peer.send(bad)
			run.peer.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertIllegalParameter)
		})
		t.Run("server/"+level.String(), func(t *testing.T) {
			run := serverVersusScript(t, nil)
			run.peer.send(run.peer.handshakeRecord(scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)), bad)
			run.peer.expectAlert(wire.AlertIllegalParameter)
			wantClaspFailure(t, run.wait(), "read ClientKeyExchange", wire.AlertIllegalParameter)
		})
	}
}

// RFC 5246 §7.2: an alert is two bytes; RFC 8446 §5.1: an alert record
// holds exactly one alert. Any other length is decode_error ("the length
// of the message was incorrect", RFC 8446 §6.2). OpenSSL 3 sends
// unexpected_message here; clasp follows the RFC's definition.
func TestAlertRecordOfWrongLengthIsDecodeError(t *testing.T) {
	for _, body := range [][]byte{{1}, {1, 112, 0}, {2, 40, 2, 40}} {
		t.Run("TLS 1.2 client", func(t *testing.T) {
			run, _ := clientVersusScript(t, nil)
			run.peer.send(rawRecord(wire.ContentAlert, VersionTLS12, body))
			run.peer.expectAlert(wire.AlertDecodeError)
			wantClaspFailure(t, run.wait(), "read ServerHello", wire.AlertDecodeError)
		})
		t.Run("TLS 1.2 server", func(t *testing.T) {
			run := serverVersusScript(t, nil)
			run.peer.send(run.peer.handshakeRecord(scriptedClientHello(suites.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)),
				rawRecord(wire.ContentAlert, VersionTLS12, body))
			run.peer.expectAlert(wire.AlertDecodeError)
			wantClaspFailure(t, run.wait(), "read ClientKeyExchange", wire.AlertDecodeError)
		})
		t.Run("TLS 1.3 client", func(t *testing.T) {
			clientRefusesRecord13(t, wire.ContentAlert, body, wire.AlertDecodeError)
		})
		t.Run("TLS 1.3 server", func(t *testing.T) {
			serverRefusesRecord13(t, wire.ContentAlert, body, wire.AlertDecodeError)
		})
	}
}

// ---- how many records may be skipped in a row ----

// Warning alerts clasp ignores and empty application-data records make no
// progress; a peer that sends nothing else must not keep a connection
// busy. OpenSSL 3 ignores four warnings in a row and fails the fifth with
// unexpected_message ("too many warn alerts"); clasp does the same and
// counts empty records with them (RFC 5246 and RFC 8446 name no limit).
func TestFifthSkippedRecordInARowIsUnexpected(t *testing.T) {
	warn12 := rawRecord(wire.ContentAlert, VersionTLS12, alertBody(wire.AlertLevelWarning, wire.AlertUnrecognizedName))
	for n, want := range map[int]wire.AlertDescription{4: wire.AlertIllegalParameter, 5: wire.AlertUnexpectedMessage} {
		t.Run(strconv.Itoa(n)+" "+"TLS 1.2 warnings/client", func(t *testing.T) {
			run, _ := clientVersusScript(t, nil)
			// After four warnings, the ServerHello is read (and refused for
			// its suite); the fifth warning is refused itself.
			run.peer.send(bytes.Repeat(warn12, n), run.peer.handshakeRecord(scriptedServerHello(suites.TLS_RSA_WITH_AES_128_GCM_SHA256)))
			run.peer.expectAlert(want)
			wantClaspFailure(t, run.wait(), "read ServerHello", want)
		})
		t.Run(strconv.Itoa(n)+" "+"TLS 1.2 warnings/server", func(t *testing.T) {
			run := serverVersusScript(t, nil)
			ch := scriptedClientHello(suites.TLS_RSA_WITH_AES_128_CBC_SHA) // no suite in common
			run.peer.send(bytes.Repeat(warn12, n), run.peer.handshakeRecord(ch))
			want := want
			if n == 4 {
				want = wire.AlertHandshakeFailure
			}
			run.peer.expectAlert(want)
			if err := run.wait(); alertOf(err) != int(want) {
				t.Fatalf("sent %s, want %s (%v)", wire.AlertDescription(alertOf(err)), want, err)
			}
		})
		t.Run(strconv.Itoa(n)+" "+"TLS 1.3 user_canceled/client", func(t *testing.T) {
			run, p, _ := clientAfterHello13(t, nil)
			for range n {
				p.writeRecord(wire.ContentAlert, alertBody(wire.AlertLevelWarning, wire.AlertUserCanceled))
			}
			p.writeRecord(wire.ContentHandshake, []byte{byte(wire.TypeFinished), 0, 0, 1, 0})
			p.flush()
			// The fifth alert, or the Finished in place of EncryptedExtensions:
			// unexpected_message either way, so the error message tells.
			p.expectAlertThenEOF(wire.AlertUnexpectedMessage)
			err := run.wait()
			wantClaspFailure(t, err, "read EncryptedExtensions", wire.AlertUnexpectedMessage)
			if tooMany := strings.Contains(err.Error(), "in a row"); tooMany != (n == 5) {
				t.Fatalf("after %d user_canceled alerts: %v", n, err)
			}
		})
		t.Run(strconv.Itoa(n)+" "+"TLS 1.3 user_canceled/server", func(t *testing.T) {
			run, p := serverFlight13(t, nil)
			for range n {
				p.writeRecord(wire.ContentAlert, alertBody(wire.AlertLevelWarning, wire.AlertUserCanceled))
			}
			p.writeRecord(wire.ContentHandshake, []byte{byte(wire.TypeFinished), 0, 0, 1, 0})
			p.flush()
			want := wire.AlertUnexpectedMessage // the fifth alert, or the Finished of the wrong length
			if n == 4 {
				want = wire.AlertDecodeError
			}
			p.expectAlertThenEOF(want)
			wantClaspFailure(t, run.wait(), "read client Finished", want)
		})
	}
	// After the handshake, empty application-data records and ignored
	// alerts count together: four are fine, the fifth is not.
	for n, ok := range map[int]bool{4: true, 5: false} {
		t.Run(strconv.Itoa(n)+" "+"TLS 1.3 empty records and alerts after the handshake", func(t *testing.T) {
			run, p := completeServer13(t)
			errc := readInBackground(run.conn)
			for i := range n {
				if i%2 == 0 {
					p.writeRecord(wire.ContentApplicationData, nil)
				} else {
					p.writeRecord(wire.ContentAlert, alertBody(wire.AlertLevelWarning, wire.AlertUserCanceled))
				}
			}
			p.writeRecord(wire.ContentApplicationData, []byte("x"))
			p.flush()
			err := <-errc
			if ok {
				if err != nil {
					t.Fatalf("Read after %d skipped records: %v", n, err)
				}
				return
			}
			var we *wire.Error
			if !errors.As(err, &we) || we.Alert != wire.AlertUnexpectedMessage {
				t.Fatalf("Read: %v, want unexpected_message", err)
			}
			p.expectAlert(wire.AlertUnexpectedMessage)
		})
	}
}

// writeRecorder keeps the record types a clasp endpoint writes once
// started, so that a TLS 1.2 test can see what went out under keys it does
// not hold.
type writeRecorder struct {
	net.Conn
	mu  sync.Mutex
	on  bool
	buf []byte
}

func (w *writeRecorder) Write(b []byte) (int, error) {
	w.mu.Lock()
	if w.on {
		w.buf = append(w.buf, b...)
	}
	w.mu.Unlock()
	return w.Conn.Write(b)
}

func (w *writeRecorder) start() { w.mu.Lock(); w.on = true; w.mu.Unlock() }

func (w *writeRecorder) types() []wire.ContentType {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []wire.ContentType
	for b := w.buf; len(b) >= 5; b = b[min(len(b), 5+int(b[3])<<8|int(b[4])):] {
		out = append(out, wire.ContentType(b[0]))
	}
	return out
}

// pair12 completes a clasp TLS 1.2 handshake whose server (or client,
// with recordClient) writes through a writeRecorder.
func pair12(t *testing.T, scfg *Config, recordClient bool) (client, server *Conn, clientRaw net.Conn, rec *writeRecorder) {
	t.Helper()
	a, b := loopbackPair(t)
	ccfg := testClientConfig(t)
	ccfg.MaxVersion, scfg.MaxVersion = VersionTLS12, VersionTLS12
	if recordClient {
		rec = &writeRecorder{Conn: a}
		client, server = Client(rec, ccfg), Server(b, scfg)
		a = b // the raw end an attacker writes to reaches the client
	} else {
		rec = &writeRecorder{Conn: b}
		client, server = Client(a, ccfg), Server(rec, scfg)
	}
	handshakeBoth(t, client, server)
	rec.start()
	return client, server, a, rec
}

// RFC 5246 §7.2.2: "Upon transmission or receipt of a fatal alert message,
// both parties immediately close the connection." A TLS 1.2 server sends
// its one fatal alert and nothing after it: no second alert when a
// renegotiation it runs fails, no close_notify at Close; Read and Write
// return the first error.
func TestServerSendsNothingAfterFatalAlert12(t *testing.T) {
	triggers := map[string]struct {
		renegotiate bool
		send        func(client *Conn, raw net.Conn)
		sent        int // fatal alerts the server sends: 1, or 0 after the peer's
	}{
		// A tampered record: bad_record_mac (RFC 5246 §6.2.3.3).
		"bad record MAC": {send: func(_ *Conn, raw net.Conn) {
			_, _ = raw.Write(rawRecord(wire.ContentApplicationData, VersionTLS12, make([]byte, 40)))
		}, sent: 1},
		// A renegotiating ClientHello not bound to the handshake (RFC 5746
		// §3.7): the renegotiation fails with handshake_failure.
		"failed renegotiation": {renegotiate: true, send: func(client *Conn, _ net.Conn) {
			inject(t, client, scriptedClientHello())
		}, sent: 1},
		// The peer's fatal alert.
		"received fatal alert": {send: func(client *Conn, _ net.Conn) {
			client.out.Lock()
			_ = client.sendAlert(wire.AlertLevelFatal, wire.AlertInternalError)
			client.out.Unlock()
		}, sent: 0},
	}
	for name, tc := range triggers {
		t.Run(name, func(t *testing.T) {
			scfg := testServerConfig(t)
			if tc.renegotiate {
				scfg.Renegotiation = RenegotiateFreelyAsClient
			}
			client, server, raw, rec := pair12(t, scfg, false)
			go tc.send(client, raw)
			_, first := server.Read(make([]byte, 1))
			if first == nil {
				t.Fatal("Read succeeded")
			}
			wantEndedBy(t, server, first)
			want := []wire.ContentType{wire.ContentAlert}
			if tc.sent == 0 {
				want = nil
			}
			if got := rec.types(); !slices.Equal(got, want) {
				t.Fatalf("server wrote records %v after the handshake, want %v", got, want)
			}
		})
	}
}

// The client's side of TestServerSendsNothingAfterFatalAlert12: a tampered
// record or the server's fatal alert, then nothing more from the client.
func TestClientSendsNothingAfterFatalAlert12(t *testing.T) {
	for name, tc := range map[string]struct {
		send func(server *Conn, raw net.Conn)
		want []wire.ContentType
	}{
		"bad record MAC": {func(_ *Conn, raw net.Conn) {
			_, _ = raw.Write(rawRecord(wire.ContentApplicationData, VersionTLS12, make([]byte, 40)))
		}, []wire.ContentType{wire.ContentAlert}},
		"received fatal alert": {func(server *Conn, _ net.Conn) {
			server.out.Lock()
			_ = server.sendAlert(wire.AlertLevelFatal, wire.AlertInternalError)
			server.out.Unlock()
		}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			client, server, raw, rec := pair12(t, testServerConfig(t), true)
			go tc.send(server, raw)
			_, first := client.Read(make([]byte, 1))
			if first == nil {
				t.Fatal("Read succeeded")
			}
			wantEndedBy(t, client, first)
			if got := rec.types(); !slices.Equal(got, tc.want) {
				t.Fatalf("client wrote records %v after the handshake, want %v", got, tc.want)
			}
		})
	}
}

// A program written for crypto/tls unwraps alerts with a value of its
// uint8 AlertError type: `var ae tls.AlertError; errors.As(err, &ae)`. With
// clasp the same code finds the alert this side sent and the one it
// received, and clasp's richer AlertReceivedError is there as well.
func TestAlertErrorAsInCryptoTLS(t *testing.T) {
	client := testClientConfig(t)
	client.RootCAs = x509.NewCertPool() // the server's certificate is from an unknown CA
	res := testHandshake(t, client, testServerConfig(t))
	var sent AlertError
	if !errors.As(res.clientErr, &sent) || sent != AlertError(wire.AlertUnknownCA) {
		t.Fatalf("client: %v: errors.As found AlertError %v, want unknown_ca", res.clientErr, sent)
	}
	if !errors.Is(res.clientErr, AlertError(wire.AlertUnknownCA)) {
		t.Errorf("client: errors.Is(err, AlertError(unknown_ca)) is false for %v", res.clientErr)
	}
	var received AlertError
	if !errors.As(res.serverErr, &received) || received != AlertError(wire.AlertUnknownCA) {
		t.Fatalf("server: %v: errors.As found AlertError %v, want unknown_ca", res.serverErr, received)
	}
	var rich *AlertReceivedError
	if !errors.As(res.serverErr, &rich) || rich.Level != uint8(wire.AlertLevelFatal) || rich.Step == "" {
		t.Errorf("server: AlertReceivedError %+v, want the fatal alert with the step it arrived at", rich)
	}
	if got, want := received.Error(), "tls: unknown_ca"; got != want {
		t.Errorf("AlertError.Error() = %q, want %q", got, want)
	}
	// A handshake that failed without an alert wraps none.
	var none AlertError
	if errors.As(&HandshakeError{Side: "client", Step: "read ServerHello", Err: io.EOF}, &none) {
		t.Errorf("a HandshakeError that sent no alert unwrapped to AlertError %v", none)
	}
}

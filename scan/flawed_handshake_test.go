package scan

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"slices"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// The flawed server's whole TLS 1.2 handshake, for the bleedsEncrypted
// flaw: RSA key exchange with flawedSuite (AES-128-CBC, HMAC-SHA1),
// extended master secret when it answered it, then the encrypted records
// that follow. Test code only.

// finishHandshake reads the client's ClientKeyExchange, ChangeCipherSpec
// and Finished, answers with its own, and then serves encrypted records:
// heartbeats bleed, anything else ends the connection. Heartbeats in the
// clear before the key exchange are dropped without a word.
func (fc *flawedConn) finishHandshake(hello *wire.ClientHello, helloMsg []byte, sh *wire.ServerHello, flight []byte) {
	v, suite := sh.Version, suites.SuiteByID(flawedSuite)
	tr := keys.NewTranscript()
	tr.SetHash(v, suite.PRFHash)
	tr.Write(helloMsg)
	tr.Write(flight)
	rec, err := readRaw(fc)
	for err == nil && rec.typ == wire.ContentHeartbeat {
		rec, err = readRaw(fc)
	}
	if err != nil || rec.typ != wire.ContentHandshake || len(rec.payload) < 6 || rec.payload[0] != byte(wire.TypeClientKeyExchange) {
		fc.alert(wire.AlertUnexpectedMessage)
		return
	}
	tr.Write(rec.payload)
	// RFC 5246 §7.4.7.1: a bad premaster becomes a random one, so that
	// the failure shows only at the Finished.
	premaster, err := rsa.DecryptPKCS1v15(nil, fc.leaf.Key.(*rsa.PrivateKey), rec.payload[6:])
	if err != nil || len(premaster) != 48 {
		premaster = make([]byte, 48)
		rand.Read(premaster)
	}
	master := keys.MasterSecret(v, suite.PRFHash, premaster, hello.Random[:], sh.Random[:])
	if hasExtension(sh, wire.ExtExtendedMasterSecret) {
		master = keys.ExtendedMasterSecret(v, suite.PRFHash, premaster, tr.Sum())
	}
	kb := keys.DeriveKeyBlock(v, suite.PRFHash, master, hello.Random[:], sh.Random[:], suite.MAC.Size(), suite.Cipher.Info().KeyLen, 0)
	clientWrite, err1 := record.NewProtection(v, suite.Cipher, suite.MAC, kb.ClientKey, kb.ClientIV, kb.ClientMACKey, rand.Reader)
	serverWrite, err2 := record.NewProtection(v, suite.Cipher, suite.MAC, kb.ServerKey, kb.ServerIV, kb.ServerMACKey, rand.Reader)
	if err1 != nil || err2 != nil {
		return
	}
	if rec, err := readRaw(fc); err != nil || rec.typ != wire.ContentChangeCipherSpec {
		fc.alert(wire.AlertUnexpectedMessage)
		return
	}
	rec, err = readRaw(fc)
	if err != nil {
		return
	}
	finished, err := clientWrite.Open(0, rec.typ, v, rec.payload)
	want := append([]byte{byte(wire.TypeFinished), 0, 0, keys.FinishedLength}, keys.FinishedVerifyData(v, suite.PRFHash, master, true, tr.Sum())...)
	if err != nil || !bytes.Equal(finished, want) {
		fc.alert(wire.AlertBadRecordMAC)
		return
	}
	tr.Write(finished)
	var seq uint64
	send := func(typ wire.ContentType, plain []byte) {
		sealed, err := serverWrite.Seal(nil, seq, typ, v, plain)
		if err == nil {
			writeRaw(fc.conn, typ, v, sealed)
		}
		seq++
	}
	writeRaw(fc.conn, wire.ContentChangeCipherSpec, v, wire.ChangeCipherSpec)
	send(wire.ContentHandshake, append([]byte{byte(wire.TypeFinished), 0, 0, keys.FinishedLength}, keys.FinishedVerifyData(v, suite.PRFHash, master, false, tr.Sum())...))
	fc.serveEncrypted(clientWrite, v, func(b []byte) { send(wire.ContentHeartbeat, b) })
}

// serveEncrypted reads the client's records after the handshake: a
// heartbeat bleeds, anything else (or a record that does not open) ends
// the connection.
func (fc *flawedConn) serveEncrypted(clientWrite record.Protection, v suites.Version, writeHeartbeat func([]byte)) {
	for seq := uint64(1); ; seq++ {
		rec, err := readRaw(fc)
		if err != nil {
			return
		}
		plain, err := clientWrite.Open(seq, rec.typ, v, rec.payload)
		if err != nil || rec.typ != wire.ContentHeartbeat {
			return
		}
		fc.bleed(slices.Clone(plain), writeHeartbeat)
	}
}

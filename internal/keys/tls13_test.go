package keys

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// The tests in this file check the TLS 1.3 key schedule byte for byte
// against the traces of RFC 8448. Every trace there uses
// TLS_AES_128_GCM_SHA256: SHA-256, a 16-byte key and a 12-byte IV.

// rfcHex decodes hex as the RFC prints it: pairs separated by spaces and
// line breaks.
func rfcHex(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

// rfcMessage reads one handshake message of RFC 8448 from testdata/rfc8448
// and checks that its header length matches its size.
func rfcMessage(t *testing.T, name string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "rfc8448", name+".hex"))
	if err != nil {
		t.Fatal(err)
	}
	var hexText strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if !strings.HasPrefix(line, "#") {
			hexText.WriteString(line)
		}
	}
	msg := rfcHex(hexText.String())
	if len(msg) < 4 || int(msg[1])<<16|int(msg[2])<<8|int(msg[3]) != len(msg)-4 {
		t.Fatalf("%s: handshake header does not match its %d bytes", name, len(msg))
	}
	return msg
}

// check compares a derived value with the RFC's.
func check(t *testing.T, what string, got []byte, wantHex string) {
	t.Helper()
	if want := rfcHex(wantHex); !bytes.Equal(got, want) {
		t.Errorf("%s:\n got %x\nwant %x", what, got, want)
	}
}

// newTranscript13 returns a TLS 1.3 SHA-256 transcript holding msgs.
func newTranscript13(msgs ...[]byte) *Transcript {
	tr := NewTranscript()
	for _, m := range msgs {
		tr.Write(m)
	}
	tr.SetHash(suites.VersionTLS13, crypto.SHA256)
	return tr
}

func TestHKDFExpandLabelInfo(t *testing.T) {
	// RFC 8448 §3 prints the HkdfLabel ("info") of each expansion; the
	// "derived" one (49 octets) and the key one (13 octets) pin down the
	// encoding: length, "tls13 "-prefixed label, context, each with its own
	// length prefix. Reproduce them through HKDF to check the whole path.
	early := rfcHex(`33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2
		10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a`)
	check(t, "derived", HKDFExpandLabel(crypto.SHA256, early, "derived", EmptyHash(crypto.SHA256), 32),
		`6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba`)
	check(t, "empty hash", EmptyHash(crypto.SHA256),
		`e3 b0 c4 42 98 fc 1c 14 9a fb f4 c8 99 6f b9 24 27 ae 41 e4 64 9b 93 4c a4 95 99 1b 78 52 b8 55`)

	defer func() {
		if recover() == nil {
			t.Error("a 250-byte label did not panic")
		}
	}()
	HKDFExpandLabel(crypto.SHA256, early, strings.Repeat("x", 250), nil, 32)
}

// TestRFC8448Simple1RTT follows RFC 8448 §3, "Simple 1-RTT Handshake",
// from the (EC)DHE shared secret and the handshake messages to every secret,
// traffic key, IV and Finished value the trace prints.
func TestRFC8448Simple1RTT(t *testing.T) {
	h := crypto.SHA256
	ch := rfcMessage(t, "sec3_client_hello")
	sh := rfcMessage(t, "sec3_server_hello")
	ee := rfcMessage(t, "sec3_encrypted_extensions")
	cert := rfcMessage(t, "sec3_certificate")
	cv := rfcMessage(t, "sec3_certificate_verify")
	sfin := rfcMessage(t, "sec3_server_finished")
	cfin := rfcMessage(t, "sec3_client_finished")

	// {server} extract secret "early": no PSK, so IKM is 32 zero bytes.
	s := NewSchedule13(h, nil)
	check(t, "early secret", s.EarlySecret(),
		`33 ad 0a 1c 60 7e c0 3b 09 e6 cd 98 93 68 0c e2 10 ad f3 00 aa 1f 26 60 e1 b2 2e 10 f1 70 f9 2a`)

	// {server} derive secret for handshake "tls13 derived"
	check(t, "derived (handshake)", DeriveSecret(h, s.EarlySecret(), "derived", EmptyHash(h)),
		`6f 26 15 a1 08 c7 02 c5 67 8f 54 fc 9d ba b6 97 16 c0 76 18 9c 48 25 0c eb ea c3 57 6c 36 11 ba`)

	// {server} extract secret "handshake": IKM is the X25519 shared secret.
	s.SetSharedSecret(rfcHex(`8b d4 05 4f b5 5b 9d 63 fd fb ac f9 f0 4b 9f 0d
		35 e6 d6 3f 53 75 63 ef d4 62 72 90 0f 89 49 2d`))
	check(t, "handshake secret", s.HandshakeSecret(),
		`1d c8 26 e9 36 06 aa 6f dc 0a ad c1 2f 74 1b 01 04 6a a6 b9 9f 69 1e d2 21 a9 f0 ca 04 3f be ac`)

	tr := newTranscript13(ch, sh)
	thSH := tr.Sum()
	check(t, "Transcript-Hash(ClientHello..ServerHello)", thSH,
		`86 0c 06 ed c0 78 58 ee 8e 78 f0 e7 42 8c 58 ed d6 b4 3f 2c a3 e6 e9 5f 02 ed 06 3c f0 e1 ca d8`)

	cHS := s.ClientHandshakeTrafficSecret(thSH)
	check(t, "c hs traffic", cHS,
		`b3 ed db 12 6e 06 7f 35 a7 80 b3 ab f4 5e 2d 8f 3b 1a 95 07 38 f5 2e 96 00 74 6a 0e 27 a5 5a 21`)
	sHS := s.ServerHandshakeTrafficSecret(thSH)
	check(t, "s hs traffic", sHS,
		`b6 7b 7d 69 0c c1 6c 4e 75 e5 42 13 cb 2d 37 b4 e9 c9 12 bc de d9 10 5d 42 be fd 59 d3 91 ad 38`)

	// {server} derive secret for master "tls13 derived", extract "master"
	check(t, "derived (master)", DeriveSecret(h, s.HandshakeSecret(), "derived", EmptyHash(h)),
		`43 de 77 e0 c7 77 13 85 9a 94 4d b9 db 25 90 b5 31 90 a6 5b 3e e2 e4 f1 2d d7 a0 bb 7c e2 54 b4`)
	s.SetMasterSecret()
	check(t, "master secret", s.MasterSecret(),
		`18 df 06 84 3d 13 a0 8b f2 a4 49 84 4c 5f 8a 47 80 01 bc 4d 4c 62 79 84 d5 a4 1d a8 d0 40 29 19`)

	// {server} derive write traffic keys for handshake data
	key, iv := TrafficKey(h, sHS, 16, 12)
	check(t, "server handshake key", key, `3f ce 51 60 09 c2 17 27 d0 f2 e4 e8 6e e4 03 bc`)
	check(t, "server handshake iv", iv, `5d 31 3e b2 67 12 76 ee 13 00 0b 30`)

	// {server} calculate finished "tls13 finished"
	tr.Write(ee)
	tr.Write(cert)
	tr.Write(cv)
	check(t, "server finished_key", HKDFExpandLabel(h, sHS, "finished", nil, 32),
		`00 8d 3b 66 f8 16 ea 55 9f 96 b5 37 e8 85 c3 1f c0 68 bf 49 2c 65 2f 01 f2 88 a1 d8 cd c1 9f c8`)
	check(t, "server Finished", FinishedVerifyData13(h, sHS, tr.Sum()),
		`9b 9b 14 1d 90 63 37 fb d2 cb dc e7 1d f4 de da 4a b4 2c 30 95 72 cb 7f ff ee 54 54 b7 8f 07 18`)
	if !bytes.Equal(sfin[4:], FinishedVerifyData13(h, sHS, tr.Sum())) {
		t.Error("server Finished message does not carry the computed verify_data")
	}

	// {server} derive secret "tls13 c ap traffic", "s ap traffic", "exp master"
	tr.Write(sfin)
	thSF := tr.Sum()
	check(t, "Transcript-Hash(ClientHello..server Finished)", thSF,
		`96 08 10 2a 0f 1c cc 6d b6 25 0b 7b 7e 41 7b 1a 00 0e aa da 3d aa e4 77 7a 76 86 c9 ff 83 df 13`)
	cAP := s.ClientApplicationTrafficSecret(thSF)
	check(t, "c ap traffic", cAP,
		`9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5`)
	sAP := s.ServerApplicationTrafficSecret(thSF)
	check(t, "s ap traffic", sAP,
		`a1 1a f9 f0 55 31 f8 56 ad 47 11 6b 45 a9 50 32 82 04 b4 f4 4b fb 6b 3a 4b 4f 1f 3f cb 63 16 43`)
	check(t, "exp master", s.ExporterMasterSecret(thSF),
		`fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50`)

	// {server} derive write traffic keys for application data
	key, iv = TrafficKey(h, sAP, 16, 12)
	check(t, "server application key", key, `9f 02 28 3b 6c 9c 07 ef c2 6b b9 f2 ac 92 e3 56`)
	check(t, "server application iv", iv, `cf 78 2b 88 dd 83 54 9a ad f1 e9 84`)

	// {server} derive read traffic keys for handshake data (= the client's
	// handshake write keys)
	key, iv = TrafficKey(h, cHS, 16, 12)
	check(t, "client handshake key", key, `db fa a6 93 d1 76 2c 5b 66 6a f5 d9 50 25 8d 01`)
	check(t, "client handshake iv", iv, `5b d3 c7 1b 83 6e 0b 76 bb 73 26 5f`)

	// {client} calculate finished "tls13 finished": over the same
	// transcript, through the server Finished.
	check(t, "client finished_key", HKDFExpandLabel(h, cHS, "finished", nil, 32),
		`b8 0a d0 10 15 fb 2f 0b d6 5f f7 d4 da 5d 6b f8 3f 84 82 1d 1f 87 fd c7 d3 c7 5b 5a 7b 42 d9 c4`)
	check(t, "client Finished", FinishedVerifyData13(h, cHS, thSF),
		`a8 ec 43 6d 67 76 34 ae 52 5a c1 fc eb e1 1a 03 9e c1 76 94 fa c6 e9 85 27 b6 42 f2 ed d5 ce 61`)
	if !bytes.Equal(cfin[4:], FinishedVerifyData13(h, cHS, thSF)) {
		t.Error("client Finished message does not carry the computed verify_data")
	}

	// {client} derive write traffic keys for application data
	key, iv = TrafficKey(h, cAP, 16, 12)
	check(t, "client application key", key, `17 42 2d da 59 6e d5 d9 ac d8 90 e3 c6 3f 50 51`)
	check(t, "client application iv", iv, `5b 78 92 3d ee 08 57 90 33 e5 23 d9`)

	// {client} derive secret "tls13 res master": through the client Finished.
	tr.Write(cfin)
	thCF := tr.Sum()
	check(t, "Transcript-Hash(ClientHello..client Finished)", thCF,
		`20 91 45 a9 6e e8 e2 a1 22 ff 81 00 47 cc 95 26 84 65 8d 60 49 e8 64 29 42 6d b8 7c 54 ad 14 3d`)
	rms := s.ResumptionMasterSecret(thCF)
	check(t, "res master", rms,
		`7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c`)

	// {server} generate resumption secret "tls13 resumption": the ticket
	// nonce is in the NewSessionTicket (lifetime 4, age_add 4, nonce<1>).
	nst := rfcMessage(t, "sec3_new_session_ticket")
	nonce := nst[4+8+1 : 4+8+1+int(nst[4+8])]
	check(t, "ticket nonce", nonce, `00 00`)
	check(t, "resumption PSK", ResumptionPSK(h, rms, nonce),
		`4e cd 0e b6 ec 3b 4d 87 f5 d6 02 8f 92 2c a4 c5 85 1a 27 7f d4 13 11 c9 e6 2d 2c 94 92 e1 c4 f3`)
}

// TestRFC8448Resumed0RTT follows RFC 8448 §4, "Resumed 0-RTT Handshake":
// the PSK of §3's ticket, the binder over the truncated ClientHello, and the
// early secrets.
func TestRFC8448Resumed0RTT(t *testing.T) {
	h := crypto.SHA256
	psk := ResumptionPSK(h,
		rfcHex(`7d f2 35 f2 03 1d 2a 05 12 87 d0 2b 02 41 b0 bf da f8 6c c8 56 23 1f 2d 5a ba 46 c4 34 ec 19 6c`),
		[]byte{0, 0})

	// {client} extract secret "early"
	s := NewSchedule13(h, psk)
	check(t, "early secret", s.EarlySecret(),
		`9b 21 88 e9 b2 fc 6d 64 d7 1d c3 29 90 0e 20 bb 41 91 50 00 f6 78 aa 83 9c bb 79 7c b7 d8 33 2c`)

	// {client} calculate PSK binder: the ClientHello up to, not including,
	// the binders list (§4.2.11.2) — the 477-octet "ClientHello prefix".
	ch := rfcMessage(t, "sec4_client_hello")
	binders := ch[len(ch)-35:] // binders<33..2^16-1> holding one 32-byte binder
	if !bytes.Equal(binders[:3], []byte{0x00, 0x21, 0x20}) {
		t.Fatalf("binders list starts %x", binders[:3])
	}
	truncated := ch[:len(ch)-35]
	if len(truncated) != 477 {
		t.Fatalf("truncated ClientHello is %d bytes, the RFC's prefix 477", len(truncated))
	}
	binderHash := newTranscript13(truncated).Sum()
	check(t, "binder hash", binderHash,
		`63 22 4b 2e 45 73 f2 d3 45 4c a8 4b 9d 00 9a 04 f6 be 9e 05 71 1a 83 96 47 3a ef a0 1e 92 4a 14`)
	binderKey := s.BinderKey(true)
	check(t, "res binder key", binderKey,
		`69 fe 13 1a 3b ba d5 d6 3c 64 ee bc c3 0e 39 5b 9d 81 07 72 6a 13 d0 74 e3 89 db c8 a4 e4 72 56`)
	check(t, "binder finished_key", HKDFExpandLabel(h, binderKey, "finished", nil, 32),
		`55 88 67 3e 72 cb 59 c8 7d 22 0c af fe 94 f2 de a9 a3 b1 60 9f 7d 50 e9 0a 48 22 7d b9 ed 7e aa`)
	binder := FinishedVerifyData13(h, binderKey, binderHash)
	check(t, "binder", binder,
		`3a dd 4f b2 d8 fd f8 22 a0 ca 3c f7 67 8e f5 e8 8d ae 99 01 41 c5 92 4d 57 bb 6f a3 1b 9e 5f 9d`)
	if !bytes.Equal(binders[3:], binder) {
		t.Error("the ClientHello does not carry the computed binder")
	}
	if bytes.Equal(s.BinderKey(false), binderKey) {
		t.Error("ext binder key equals res binder key")
	}

	// {client} derive secret "tls13 c e traffic" and "tls13 e exp master":
	// over the whole ClientHello, binders included.
	thCH := newTranscript13(ch).Sum()
	check(t, "Transcript-Hash(ClientHello)", thCH,
		`08 ad 0f a0 5d 7c 72 33 b1 77 5b a2 ff 9f 4c 5b 8b 59 27 6b 7f 22 7f 13 a9 76 24 5f 5d 96 09 13`)
	cET := s.ClientEarlyTrafficSecret(thCH)
	check(t, "c e traffic", cET,
		`3f bb e6 a6 0d eb 66 c3 0a 32 79 5a ba 0e ff 7e aa 10 10 55 86 e7 be 5c 09 67 8d 63 b6 ca ab 62`)
	check(t, "e exp master", s.EarlyExporterMasterSecret(thCH),
		`b2 02 68 66 61 09 37 d7 42 3e 5b e9 08 62 cc f2 4c 0e 60 91 18 6d 34 f8 12 08 9f f5 be 2e f7 df`)

	// {client} derive write traffic keys for early application data
	key, iv := TrafficKey(h, cET, 16, 12)
	check(t, "early key", key, `92 02 05 a5 b7 bf 21 15 e6 fc 5c 29 42 83 4f 54`)
	check(t, "early iv", iv, `6d 47 5f 09 93 c8 e5 64 61 0d b2 b9`)
}

// TestRFC8448HelloRetryRequest follows RFC 8448 §5: the server answers an
// X25519 share with a HelloRetryRequest for P-256, so the transcript starts
// with message_hash(ClientHello1) (RFC 8446 §4.4.1) and every secret from
// the handshake secret on depends on that construction.
func TestRFC8448HelloRetryRequest(t *testing.T) {
	h := crypto.SHA256
	ch1 := rfcMessage(t, "sec5_client_hello1")
	hrr := rfcMessage(t, "sec5_hello_retry_request")
	ch2 := rfcMessage(t, "sec5_client_hello2")
	sh := rfcMessage(t, "sec5_server_hello")

	tr := NewTranscript()
	tr.Write(ch1)
	tr.SetHash(suites.VersionTLS13, h) // the HRR names TLS_AES_128_GCM_SHA256
	tr.ReplaceWithMessageHash()
	ch1Hash := sha256.Sum256(ch1)
	wantSynthetic := append([]byte{254, 0, 0, 32}, ch1Hash[:]...)
	if !bytes.Equal(tr.Messages(), wantSynthetic) {
		t.Fatalf("synthetic message = %x, want %x", tr.Messages(), wantSynthetic)
	}
	if want := sha256.Sum256(wantSynthetic); !bytes.Equal(tr.Sum(), want[:]) {
		t.Fatal("transcript hash is not the hash of message_hash(ClientHello1)")
	}
	tr.Write(hrr)
	tr.Write(ch2)
	tr.Write(sh)
	thSH := tr.Sum()
	check(t, "Transcript-Hash(message_hash..ServerHello)", thSH,
		`8a a8 e8 28 ec 2f 8a 88 4f ec 95 a3 13 9d e0 1c 15 a3 da a7 ff 5b fc 3f 4b fc c2 1b 43 8d 7b f8`)

	s := NewSchedule13(h, nil)
	// {server} extract secret "handshake": the P-256 ECDH shared secret.
	s.SetSharedSecret(rfcHex(`c1 42 ce 13 ca 11 b5 c2 23 36 52 e6 3a d3 d9 78
		44 f1 62 1f bf b9 de 69 d5 47 dc 8f ed ea be b4`))
	cHS := s.ClientHandshakeTrafficSecret(thSH)
	sHS := s.ServerHandshakeTrafficSecret(thSH)

	// The handshake traffic secrets show in the keys, IVs and finished
	// keys the trace prints.
	key, iv := TrafficKey(h, sHS, 16, 12)
	check(t, "server handshake key", key, `46 46 bf ac 17 12 c4 26 cd 78 d8 a2 4a 8a 6f 6b`)
	check(t, "server handshake iv", iv, `c7 d3 95 c0 8d 62 f2 97 d1 37 68 ea`)
	key, iv = TrafficKey(h, cHS, 16, 12)
	check(t, "client handshake key", key, `2f 1f 91 86 63 d5 90 e7 42 11 49 a2 9d 94 b0 b6`)
	check(t, "client handshake iv", iv, `41 4d 54 85 23 5e 1a 68 87 93 bd 74`)
	check(t, "server finished_key", HKDFExpandLabel(h, sHS, "finished", nil, 32),
		`e7 f8 bb 3e a4 b6 c3 0c 47 10 b3 d0 9c 33 13 65 81 17 e7 0b 09 7e 85 03 68 e2 51 0c a5 63 1f 74`)
	check(t, "client finished_key", HKDFExpandLabel(h, cHS, "finished", nil, 32),
		`81 be 41 31 fb b9 b6 f4 47 14 50 84 6f 74 fd 1e 68 c5 22 4b a7 c2 a8 67 7f 5c 53 ad 22 6f dc 13`)

	tr.Write(rfcMessage(t, "sec5_encrypted_extensions"))
	tr.Write(rfcMessage(t, "sec5_certificate"))
	tr.Write(rfcMessage(t, "sec5_certificate_verify"))
	sfin := rfcMessage(t, "sec5_server_finished")
	check(t, "server Finished", FinishedVerifyData13(h, sHS, tr.Sum()), hex.EncodeToString(sfin[4:]))
	tr.Write(sfin)
	thSF := tr.Sum()
	cfin := rfcMessage(t, "sec5_client_finished")
	check(t, "client Finished", FinishedVerifyData13(h, cHS, thSF), hex.EncodeToString(cfin[4:]))

	s.SetMasterSecret()
	key, iv = TrafficKey(h, s.ServerApplicationTrafficSecret(thSF), 16, 12)
	check(t, "server application key", key, `f2 7a 5d 97 bd 25 55 0c 48 23 b0 f3 e5 d2 93 88`)
	check(t, "server application iv", iv, `0d d6 31 f7 b7 1c bb c7 97 c3 5f e7`)
	key, iv = TrafficKey(h, s.ClientApplicationTrafficSecret(thSF), 16, 12)
	check(t, "client application key", key, `a7 eb 2a 05 25 eb 43 31 d5 8f cb f9 f7 ca 2e 9c`)
	check(t, "client application iv", iv, `86 e8 be 22 7c 1b d2 b3 e3 9c b4 44`)

	tr.Write(cfin)
	check(t, "Transcript-Hash(message_hash..client Finished)", tr.Sum(),
		`0e 8b 34 91 58 b8 55 fd cd 0c 11 db bc 4e 83 e4 3c aa 6e 48 3c 6c 65 df 53 15 18 88 e5 01 65 f4`)
}

func TestSchedule13StageMisusePanics(t *testing.T) {
	th := make([]byte, 32)
	cases := map[string]func(s *Schedule13){
		"handshake secret at early":   func(s *Schedule13) { s.ClientHandshakeTrafficSecret(th) },
		"application secret at early": func(s *Schedule13) { s.ServerApplicationTrafficSecret(th) },
		"master before handshake":     func(s *Schedule13) { s.SetMasterSecret() },
		"early secret after handshake": func(s *Schedule13) {
			s.SetSharedSecret(nil)
			s.ClientEarlyTrafficSecret(th)
		},
		"binder after master": func(s *Schedule13) {
			s.SetSharedSecret(nil)
			s.SetMasterSecret()
			s.BinderKey(true)
		},
		"shared secret twice": func(s *Schedule13) {
			s.SetSharedSecret(nil)
			s.SetSharedSecret(nil)
		},
	}
	for name, f := range cases {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f(NewSchedule13(crypto.SHA256, nil))
		})
	}
	for _, h := range []crypto.Hash{0, crypto.SHA1, crypto.MD5, crypto.SHA512} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("NewSchedule13(%v) did not panic", h)
				}
			}()
			NewSchedule13(h, nil)
		}()
	}
}

func TestSchedule13SHA384(t *testing.T) {
	// TLS_AES_256_GCM_SHA384: every secret is 48 bytes, and the psk_ke
	// path (nil shared secret) equals an explicit 48-byte zero IKM.
	a := NewSchedule13(crypto.SHA384, nil)
	b := NewSchedule13(crypto.SHA384, make([]byte, 48))
	if !bytes.Equal(a.EarlySecret(), b.EarlySecret()) || len(a.EarlySecret()) != 48 {
		t.Fatal("nil PSK is not 48 zero bytes")
	}
	a.SetSharedSecret(nil)
	b.SetSharedSecret(make([]byte, 48))
	if !bytes.Equal(a.HandshakeSecret(), b.HandshakeSecret()) {
		t.Fatal("nil shared secret is not 48 zero bytes")
	}
	th := EmptyHash(crypto.SHA384)
	if got := a.ClientHandshakeTrafficSecret(th); len(got) != 48 {
		t.Fatalf("traffic secret of %d bytes", len(got))
	}
	key, iv := TrafficKey(crypto.SHA384, a.ServerHandshakeTrafficSecret(th), 32, 12)
	if len(key) != 32 || len(iv) != 12 {
		t.Fatalf("key %d, iv %d bytes", len(key), len(iv))
	}
	if got := FinishedVerifyData13(crypto.SHA384, key, th); len(got) != 48 {
		t.Fatalf("Finished of %d bytes", len(got))
	}
}

func TestNextTrafficSecret(t *testing.T) {
	// RFC 8446 §7.2: application_traffic_secret_N+1 =
	// HKDF-Expand-Label(application_traffic_secret_N, "traffic upd", "", Hash.length).
	// Checked against the construction itself with RFC 8448 §3's
	// client_application_traffic_secret_0, and for being a one-way chain.
	s0 := rfcHex(`9e 40 64 6c e7 9a 7f 9d c0 5a f8 88 9b ce 65 52 87 5a fa 0b 06 df 00 87 f7 92 eb b7 c1 75 04 a5`)
	s1 := NextTrafficSecret(crypto.SHA256, s0)
	if want := HKDFExpandLabel(crypto.SHA256, s0, "traffic upd", nil, 32); !bytes.Equal(s1, want) {
		t.Fatal("NextTrafficSecret is not Expand-Label(\"traffic upd\")")
	}
	if bytes.Equal(s0, s1) || bytes.Equal(NextTrafficSecret(crypto.SHA256, s1), s1) {
		t.Fatal("KeyUpdate does not change the secret")
	}
}

func TestExportKeyingMaterial13NilContextIsEmpty(t *testing.T) {
	ems := rfcHex(`fe 22 f8 81 17 6e da 18 eb 8f 44 52 9e 67 92 c5 0c 9a 3f 89 45 2f 68 d8 ae 31 1b 43 09 d3 cf 50`)
	a := ExportKeyingMaterial13(crypto.SHA256, ems, "EXPORTER-test", nil, 40)
	b := ExportKeyingMaterial13(crypto.SHA256, ems, "EXPORTER-test", []byte{}, 40)
	c := ExportKeyingMaterial13(crypto.SHA256, ems, "EXPORTER-test", []byte{0}, 40)
	if !bytes.Equal(a, b) || bytes.Equal(a, c) || len(a) != 40 {
		t.Fatalf("nil %x, empty %x, {0} %x", a, b, c)
	}
}

func TestNSSKeyLogLine(t *testing.T) {
	got := NSSKeyLogLine(KeyLogClientHandshakeTrafficSecret, []byte{0xab, 0x01}, []byte{0x00, 0xff})
	if want := "CLIENT_HANDSHAKE_TRAFFIC_SECRET ab01 00ff\n"; got != want {
		t.Fatalf("got %q, want %q", got, want)
	}
}

func TestTranscriptTLS13(t *testing.T) {
	tr := NewTranscript()
	if tr.Hash() != 0 {
		t.Fatal("Hash before SetHash is not zero")
	}
	tr.Write([]byte("abc"))
	tr.SetHash(suites.VersionTLS13, crypto.SHA384)
	if tr.Hash() != crypto.SHA384 || len(tr.Sum()) != 48 {
		t.Fatalf("hash %v, sum of %d bytes", tr.Hash(), len(tr.Sum()))
	}
	tr12 := NewTranscript()
	tr12.SetHash(suites.VersionTLS11, 0)
	if tr12.Hash() != crypto.MD5SHA1 {
		t.Fatalf("TLS 1.1 Hash() = %v", tr12.Hash())
	}

	for name, f := range map[string]func(){
		"TLS 1.3 without a hash": func() { NewTranscript().SetHash(suites.VersionTLS13, 0) },
		"TLS 1.3 with SHA-1":     func() { NewTranscript().SetHash(suites.VersionTLS13, crypto.SHA1) },
		"message hash before SetHash": func() {
			NewTranscript().ReplaceWithMessageHash()
		},
		"message hash for TLS 1.2": func() {
			tr := NewTranscript()
			tr.SetHash(suites.VersionTLS12, crypto.SHA256)
			tr.ReplaceWithMessageHash()
		},
	} {
		t.Run(name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("no panic")
				}
			}()
			f()
		})
	}
}

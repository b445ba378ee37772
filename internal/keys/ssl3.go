package keys

import (
	"crypto/md5"
	"crypto/sha1"
	"encoding"
	"hash"
)

// SSL 3.0 (RFC 6101) has no PRF. Its master secret and key block are
// built from nested MD5 and SHA-1 with the labels "A", "BB", "CCC", ...
// (RFC 6101 §6.1 and §6.2.2), and its Finished from the pad1/pad2
// construction of §5.6.9. clasp runs SSL 3.0 only when Config.MinVersion
// names it.

// ssl3Expand fills out with
//
//	MD5(secret + SHA('A' + secret + seed)) +
//	MD5(secret + SHA('BB' + secret + seed)) + ...
//
// RFC 6101 §6.1 (master secret, seed = client_random + server_random) and
// §6.2.2 (key block, seed = server_random + client_random).
func ssl3Expand(secret, seed, out []byte) {
	md, sh := md5.New(), sha1.New()
	for i := 0; len(out) > 0; i++ {
		label := make([]byte, i+1)
		for j := range label {
			label[j] = 'A' + byte(i)
		}
		sh.Reset()
		sh.Write(label)
		sh.Write(secret)
		sh.Write(seed)
		md.Reset()
		md.Write(secret)
		md.Write(sh.Sum(nil))
		out = out[copy(out, md.Sum(nil)):]
	}
}

// SSL 3.0 Finished senders (RFC 6101 §5.6.9): "CLNT" and "SRVR".
var (
	ssl3SenderClient = []byte{0x43, 0x4C, 0x4E, 0x54}
	ssl3SenderServer = []byte{0x53, 0x52, 0x56, 0x52}
)

// SSL3Pads returns pad1 and pad2 of RFC 6101 §5.2.3.1 and §5.6.9 for a
// hash: 0x36 and 0x5c repeated 48 times for MD5, 40 times for SHA-1.
func SSL3Pads(size int) (pad1, pad2 []byte) {
	n := 48
	if size == sha1.Size {
		n = 40
	}
	pad1, pad2 = make([]byte, n), make([]byte, n)
	for i := range pad1 {
		pad1[i], pad2[i] = 0x36, 0x5c
	}
	return pad1, pad2
}

// ssl3Finished is RFC 6101 §5.6.9 for one hash:
//
//	hash(master_secret + pad2 + hash(handshake_messages + Sender + master_secret + pad1))
//
// running is the transcript's hash of handshake_messages, which is copied
// so the transcript goes on.
func ssl3Finished(running hash.Hash, newHash func() hash.Hash, master, sender []byte) []byte {
	state, err := running.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		panic("keys: cannot copy the transcript hash: " + err.Error())
	}
	inner := newHash()
	if err := inner.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
		panic("keys: cannot copy the transcript hash: " + err.Error())
	}
	pad1, pad2 := SSL3Pads(inner.Size())
	inner.Write(sender)
	inner.Write(master)
	inner.Write(pad1)
	outer := newHash()
	outer.Write(master)
	outer.Write(pad2)
	outer.Write(inner.Sum(nil))
	return outer.Sum(nil)
}

// SSL3Finished returns the 36-byte SSL 3.0 Finished body (md5_hash +
// sha_hash, RFC 6101 §5.6.9) over the messages so far. The transcript must
// have been set to SSL 3.0 (SetHash), which keeps MD5 and SHA-1 running.
func (t *Transcript) SSL3Finished(master []byte, fromClient bool) []byte {
	if len(t.hashes) != 2 {
		panic("keys: Transcript.SSL3Finished without the SSL 3.0 MD5 and SHA-1 hashes")
	}
	sender := ssl3SenderServer
	if fromClient {
		sender = ssl3SenderClient
	}
	out := ssl3Finished(t.hashes[0], md5.New, master, sender)
	return append(out, ssl3Finished(t.hashes[1], sha1.New, master, sender)...)
}

// SSL3CertificateVerify returns what an SSL 3.0 CertificateVerify signs
// (RFC 6101 §5.6.8): the Finished construction without a sender,
//
//	MD5(master_secret + pad_2 + MD5(handshake_messages + master_secret + pad_1)) +
//	SHA(master_secret + pad_2 + SHA(handshake_messages + master_secret + pad_1))
//
// over the messages so far. An RSA key signs the 36 bytes as TLS 1.0 signs
// MD5 || SHA-1.
func (t *Transcript) SSL3CertificateVerify(master []byte) []byte {
	if len(t.hashes) != 2 {
		panic("keys: Transcript.SSL3CertificateVerify without the SSL 3.0 MD5 and SHA-1 hashes")
	}
	out := ssl3Finished(t.hashes[0], md5.New, master, nil)
	return append(out, ssl3Finished(t.hashes[1], sha1.New, master, nil)...)
}

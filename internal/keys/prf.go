// Package keys derives the secrets of a TLS connection from the values the
// handshake agreed on: the TLS 1.0–1.2 PRF, master secret (plain and
// extended), key block and Finished verify_data; the TLS 1.3 key schedule of
// RFC 8446 §7 (HKDF-Expand-Label, Derive-Secret, Schedule13, traffic keys,
// Finished, KeyUpdate, resumption PSK, exporter); and the handshake
// transcript they are computed over, including TLS 1.3's message_hash after
// a HelloRetryRequest.
//
// The functions here take the protocol version and PRF hash explicitly rather
// than a cipher-suite value, so that they depend only on the code-point types
// and a trace can show exactly which inputs produced which secret.
package keys

import (
	"crypto"
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"fmt"
	"hash"

	// The PRF hashes are chosen at run time by crypto.Hash; link them in so
	// that crypto.Hash.New works for every hash a TLS 1.2 suite can name.
	_ "crypto/sha256"
	_ "crypto/sha512"

	"github.com/clasp-tls/clasp/internal/suites"
)

// Labels and lengths fixed by the RFCs.
const (
	// MasterSecretLength is the length of the master secret (RFC 5246 §8.1).
	MasterSecretLength = 48
	// FinishedLength is verify_data_length for every cipher suite clasp
	// knows: RFC 5246 §7.4.9 lets a suite choose, and none do.
	FinishedLength = 12

	labelMaster         = "master secret"          // RFC 5246 §8.1
	labelExtendedMaster = "extended master secret" // RFC 7627 §4
	labelKeyExpansion   = "key expansion"          // RFC 5246 §6.3
	labelClientFinished = "client finished"        // RFC 5246 §7.4.9
	labelServerFinished = "server finished"        // RFC 5246 §7.4.9
)

// PRF fills out with PRF(secret, label, seed) for the given version.
//
// TLS 1.2 (RFC 5246 §5) uses P_<prfHash>; a zero prfHash means SHA-256, the
// PRF that RFC 5246 §5 assigns to every suite that does not name its own.
// TLS 1.0 and 1.1 (RFC 2246 §5, unchanged in RFC 4346 §5) split the secret in
// two halves and XOR P_MD5 over the first with P_SHA-1 over the second;
// prfHash is ignored there.
//
// SSL 3.0 and TLS 1.3 have no PRF of this shape; asking for one is a bug in
// the caller and panics rather than producing a secret the peer cannot match.
func PRF(version suites.Version, prfHash crypto.Hash, secret []byte, label string, seed []byte, out []byte) {
	labelAndSeed := make([]byte, 0, len(label)+len(seed))
	labelAndSeed = append(labelAndSeed, label...)
	labelAndSeed = append(labelAndSeed, seed...)

	switch {
	case version == suites.VersionTLS10 || version == suites.VersionTLS11:
		prf10(secret, labelAndSeed, out)
	case version == suites.VersionTLS12:
		h := prf12Hash(prfHash)
		clear(out)
		pHash(h.New, secret, labelAndSeed, out)
	default:
		panic(fmt.Sprintf("keys: no TLS 1.0-1.2 PRF for version %#04x", uint16(version)))
	}
}

// prf12Hash resolves the TLS 1.2 PRF hash, defaulting to SHA-256.
func prf12Hash(h crypto.Hash) crypto.Hash {
	if h == 0 {
		h = crypto.SHA256
	}
	if !h.Available() {
		panic(fmt.Sprintf("keys: PRF hash %v is not available", h))
	}
	return h
}

// prf10 is the TLS 1.0/1.1 PRF of RFC 2246 §5: "S1 and S2 are the two halves
// of the secret and each is the same length. S1 is taken from the first half
// of the secret, S2 from the second half. Their length is created by rounding
// up the length of the overall secret divided by two; thus, if the original
// secret is an odd number of bytes long, the last byte of S1 will be the same
// as the first byte of S2."
func prf10(secret, labelAndSeed, out []byte) {
	half := (len(secret) + 1) / 2
	s1 := secret[:half]
	s2 := secret[len(secret)-half:]
	clear(out)
	// pHash XORs into out, so the two expansions combine in place.
	pHash(md5.New, s1, labelAndSeed, out)
	pHash(sha1.New, s2, labelAndSeed, out)
}

// pHash XORs P_hash(secret, seed) into out (RFC 5246 §5):
//
//	P_hash(secret, seed) = HMAC_hash(secret, A(1) + seed) +
//	                       HMAC_hash(secret, A(2) + seed) + ...
//	A(0) = seed, A(i) = HMAC_hash(secret, A(i-1))
//
// XOR rather than copy lets the TLS 1.0 PRF combine its two halves without a
// second buffer; callers that want plain P_hash clear out first.
func pHash(newHash func() hash.Hash, secret, seed, out []byte) {
	mac := hmac.New(newHash, secret)
	mac.Write(seed)
	a := mac.Sum(nil) // A(1)

	var block []byte
	for len(out) > 0 {
		mac.Reset()
		mac.Write(a)
		mac.Write(seed)
		block = mac.Sum(block[:0])
		n := min(len(out), len(block))
		for i := range n {
			out[i] ^= block[i]
		}
		out = out[n:]
		if len(out) == 0 {
			// A(i+1) would only feed a block nobody asked for: every
			// TLS PRF output (Finished, master secret, key block) ends
			// here one HMAC sooner.
			break
		}

		mac.Reset()
		mac.Write(a)
		a = mac.Sum(a[:0]) // A(i+1)
	}
}

// MasterSecret computes the 48-byte master secret of RFC 5246 §8.1:
//
//	master_secret = PRF(pre_master_secret, "master secret",
//	                    ClientHello.random + ServerHello.random)[0..47]
//
// RFC 7627 shows why this binding to the randoms alone is weak (the triple
// handshake attack); prefer ExtendedMasterSecret whenever the peer offers it.
func MasterSecret(version suites.Version, prfHash crypto.Hash, preMaster, clientRandom, serverRandom []byte) []byte {
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom))
	seed = append(seed, clientRandom...)
	seed = append(seed, serverRandom...)
	out := make([]byte, MasterSecretLength)
	if version == suites.VersionSSL30 {
		ssl3Expand(preMaster, seed, out) // RFC 6101 §6.1
		return out
	}
	PRF(version, prfHash, preMaster, labelMaster, seed, out)
	return out
}

// ExtendedMasterSecret computes the master secret of RFC 7627 §4:
//
//	master_secret = PRF(pre_master_secret, "extended master secret",
//	                    session_hash)[0..47]
//
// session_hash is the transcript hash (Transcript.Sum) up to and including
// the ClientKeyExchange, so the secret is bound to the whole handshake and
// not just to the two randoms.
func ExtendedMasterSecret(version suites.Version, prfHash crypto.Hash, preMaster, sessionHash []byte) []byte {
	out := make([]byte, MasterSecretLength)
	PRF(version, prfHash, preMaster, labelExtendedMaster, sessionHash, out)
	return out
}

// KeyBlock is the key material of RFC 5246 §6.3, partitioned in the order the
// RFC lists it. Fields a suite does not use (MAC keys of an AEAD suite, IVs of
// a TLS 1.1+ CBC suite) are empty.
type KeyBlock struct {
	ClientMACKey, ServerMACKey []byte
	ClientKey, ServerKey       []byte
	ClientIV, ServerIV         []byte
}

// DeriveKeyBlock expands the master secret into the connection keys (RFC 5246
// §6.3):
//
//	key_block = PRF(SecurityParameters.master_secret, "key expansion",
//	                SecurityParameters.server_random +
//	                SecurityParameters.client_random)
//
// Note the seed puts the server random first, the reverse of MasterSecret.
// For AEAD suites ivLen is the implicit (salt) part of the nonce, 4 bytes for
// AES-GCM (RFC 5288 §3) and 12 for ChaCha20-Poly1305 (RFC 7905 §2).
func DeriveKeyBlock(version suites.Version, prfHash crypto.Hash, master, clientRandom, serverRandom []byte, macLen, keyLen, ivLen int) KeyBlock {
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom))
	seed = append(seed, serverRandom...)
	seed = append(seed, clientRandom...)
	block := make([]byte, 2*(macLen+keyLen+ivLen))
	if version == suites.VersionSSL30 {
		ssl3Expand(master, seed, block) // RFC 6101 §6.2.2
	} else {
		PRF(version, prfHash, master, labelKeyExpansion, seed, block)
	}

	// Full slice expressions keep an append on one key from overwriting the
	// next.
	next := func(n int) []byte {
		b := block[:n:n]
		block = block[n:]
		return b
	}
	var kb KeyBlock
	kb.ClientMACKey = next(macLen)
	kb.ServerMACKey = next(macLen)
	kb.ClientKey = next(keyLen)
	kb.ServerKey = next(keyLen)
	kb.ClientIV = next(ivLen)
	kb.ServerIV = next(ivLen)
	return kb
}

// FinishedVerifyData computes the verify_data of a Finished message (RFC 5246
// §7.4.9):
//
//	verify_data = PRF(master_secret, finished_label,
//	                  Hash(handshake_messages))[0..verify_data_length-1]
//
// finished_label is "client finished" when fromClient, else "server
// finished". handshakeHash is Transcript.Sum over every handshake message
// before this Finished (for the server's, that includes the client's
// Finished).
func FinishedVerifyData(version suites.Version, prfHash crypto.Hash, master []byte, fromClient bool, handshakeHash []byte) []byte {
	label := labelServerFinished
	if fromClient {
		label = labelClientFinished
	}
	out := make([]byte, FinishedLength)
	PRF(version, prfHash, master, label, handshakeHash, out)
	return out
}

// ExportKeyingMaterial12 is the RFC 5705 §4 exporter of TLS 1.0-1.2:
// PRF(master_secret, label, client_random + server_random [+ context
// length (2 bytes) + context]), length bytes. A nil context and an empty
// one differ: only a non-nil context is appended, with its length (RFC
// 5705 §4: "context_value_length" is present only when a context is).
func ExportKeyingMaterial12(version suites.Version, prfHash crypto.Hash, master, clientRandom, serverRandom []byte, label string, context []byte, length int) []byte {
	seed := make([]byte, 0, len(clientRandom)+len(serverRandom)+2+len(context))
	seed = append(seed, clientRandom...)
	seed = append(seed, serverRandom...)
	if context != nil {
		seed = append(seed, byte(len(context)>>8), byte(len(context)))
		seed = append(seed, context...)
	}
	out := make([]byte, length)
	PRF(version, prfHash, master, label, seed, out)
	return out
}

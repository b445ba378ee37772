package kex

import (
	"crypto"
	"crypto/rsa"
	"crypto/subtle"
	"fmt"
	"io"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// PreMasterLength is the length of an RSA-transported premaster secret (RFC
// 5246 §7.4.7.1): client_version (2 bytes) followed by 46 random bytes.
const PreMasterLength = 48

// GenerateRSAPremaster creates the client's premaster secret for RSA key
// transport and encrypts it to the server's certificate key with RSAES-PKCS1-
// v1_5 (RFC 5246 §7.4.7.1). clientVersion must be the version the client
// offered in its ClientHello, not the negotiated one: the server checks it to
// detect version rollback.
func GenerateRSAPremaster(rand io.Reader, clientVersion suites.Version, pub *rsa.PublicKey) (preMaster, encrypted []byte, err error) {
	preMaster = make([]byte, PreMasterLength)
	preMaster[0], preMaster[1] = byte(clientVersion>>8), byte(clientVersion)
	if _, err := io.ReadFull(rand, preMaster[2:]); err != nil {
		return nil, nil, fmt.Errorf("kex: generating premaster secret: %w", err)
	}
	encrypted, err = rsa.EncryptPKCS1v15(rand, pub, preMaster)
	if err != nil {
		return nil, nil, fmt.Errorf("kex: encrypting premaster secret: %w", err)
	}
	return preMaster, encrypted, nil
}

// DecryptRSAPremaster recovers the premaster secret from a ClientKeyExchange
// (RFC 5246 §7.4.7.1) without becoming a padding oracle (Bleichenbacher 1998,
// and its descendants ROBOT and Marvin).
//
// RFC 5246 §7.4.7.1: "In any case, a TLS server MUST NOT generate an alert if
// processing an RSA-encrypted premaster secret message fails, or the version
// number is not as expected. Instead, it MUST continue the handshake with a
// randomly generated premaster secret." So on bad padding, a plaintext that
// is not 48 bytes, or version bytes other than clientVersion, this returns
// clientVersion followed by 46 random bytes — chosen in constant time, with
// no error — and the handshake fails later at the Finished, identically
// whatever went wrong. The random bytes are drawn before decryption so that
// how much randomness is read does not depend on the ciphertext.
//
// key must be an *rsa.PrivateKey or a crypto.Decrypter with an RSA public
// key; anything else is an internal_error (a certificate/suite mismatch on
// this side, not the peer's fault). A ciphertext of the wrong length is not
// an error either: its length was public already.
func DecryptRSAPremaster(rand io.Reader, key crypto.PrivateKey, encrypted []byte, clientVersion suites.Version) ([]byte, error) {
	fake := make([]byte, PreMasterLength)
	fake[0], fake[1] = byte(clientVersion>>8), byte(clientVersion)
	if _, err := io.ReadFull(rand, fake[2:]); err != nil {
		return nil, wire.Errorf(wire.AlertInternalError, "kex: generating fallback premaster secret: %v", err)
	}

	var plain []byte
	switch k := key.(type) {
	case *rsa.PrivateKey:
		// DecryptPKCS1v15SessionKey overwrites its key argument only when
		// the padding is valid and the message is exactly 48 bytes, in
		// constant time. Its error (wrong ciphertext length) depends only on
		// public lengths.
		plain = make([]byte, PreMasterLength)
		copy(plain, fake)
		_ = rsa.DecryptPKCS1v15SessionKey(nil, k, encrypted, plain)
	case crypto.Decrypter:
		if _, ok := k.Public().(*rsa.PublicKey); !ok {
			return nil, wire.Errorf(wire.AlertInternalError, "kex: RSA key exchange with a %T key", k.Public())
		}
		// With SessionKeyLen set, a Decrypter that follows crypto/rsa's
		// contract returns random bytes instead of a padding error. One that
		// errs anyway (a hardware module, say) gets the fallback.
		var err error
		plain, err = k.Decrypt(rand, encrypted, &rsa.PKCS1v15DecryptOptions{SessionKeyLen: PreMasterLength})
		if err != nil || len(plain) != PreMasterLength {
			plain = fake
		}
	default:
		return nil, wire.Errorf(wire.AlertInternalError, "kex: RSA key exchange with a %T key", key)
	}

	// Version rollback check, folded into the same constant-time choice:
	// good is 1 only if the two version bytes match clientVersion.
	good := subtle.ConstantTimeByteEq(plain[0], fake[0]) & subtle.ConstantTimeByteEq(plain[1], fake[1])
	out := make([]byte, PreMasterLength)
	copy(out, fake)
	subtle.ConstantTimeCopy(good, out, plain)
	return out, nil
}

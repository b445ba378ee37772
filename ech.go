package clasp

import (
	"crypto"
	"crypto/ecdh"
	"crypto/hkdf"
	"crypto/hpke"
	"crypto/rand"
	"errors"
	"fmt"
	"io"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Encrypted Client Hello (RFC 9849): what both sides share. The client is
// in ech_client.go, the server in ech_server.go; HPKE is crypto/hpke's.

// EncryptedClientHelloKey is one ECH key a server holds, as in crypto/tls:
// Config is a serialized ECHConfig (RFC 9849 §4, version 0xfe0d), byte for
// byte what clients were given; PrivateKey is the HPKE private key of its
// KEM as RFC 9180's SerializePrivateKey writes it; SendAsRetry puts Config
// in the retry_configs a server sends when it cannot decrypt a client's
// ClientHelloInner (RFC 9849 §7.1).
type EncryptedClientHelloKey struct {
	Config      []byte
	PrivateKey  []byte
	SendAsRetry bool
}

// ECHRejectionError is the error a client's handshake returns when it
// offered ECH and the server used the ClientHelloOuter instead (RFC 9849
// §6.1.6). The handshake with the public name completed and was
// authenticated for it, but the connection is not usable: clasp sent the
// ech_required alert. RetryConfigList is the ECHConfigList the server sent
// for a new attempt, nil when it sent none — which, as in crypto/tls, the
// client may treat as the server securely disabling ECH.
type ECHRejectionError struct {
	RetryConfigList []byte
}

func (e *ECHRejectionError) Error() string {
	if len(e.RetryConfigList) == 0 {
		return "clasp: the server rejected Encrypted Client Hello and sent no retry configurations"
	}
	return "clasp: the server rejected Encrypted Client Hello and sent retry configurations"
}

// HPKE identifiers (RFC 9180 §7) clasp's generated keys use.
const (
	hpkeKEMX25519      = 0x0020
	hpkeKDFHKDFSHA256  = 0x0001
	hpkeAEADAES128GCM  = 0x0001
	hpkeAEADAES256GCM  = 0x0002
	hpkeAEADChaCha20   = 0x0003
	hpkeAEADExportOnly = 0xffff
	echTagLen          = 16 // every AEAD ECH can use has a 16-byte tag
)

// echCipherSuite turns an ECHConfig's KEM and a symmetric suite into
// crypto/hpke's values. Export-only is refused: ECH must seal.
func echCipherSuite(kemID uint16, cs wire.HPKESymmetricCipherSuite) (hpke.KEM, hpke.KDF, hpke.AEAD, error) {
	kem, err := hpke.NewKEM(kemID)
	if err != nil {
		return nil, nil, nil, err
	}
	kdf, err := hpke.NewKDF(cs.KDF)
	if err != nil {
		return nil, nil, nil, err
	}
	if cs.AEAD == hpkeAEADExportOnly {
		return nil, nil, nil, errors.New("export-only AEAD")
	}
	aead, err := hpke.NewAEAD(cs.AEAD)
	if err != nil {
		return nil, nil, nil, err
	}
	return kem, kdf, aead, nil
}

// echInfo is HPKE's info for an ECHConfig: "tls ech" || 0x00 || ECHConfig
// (RFC 9849 §6.1, §7.1).
func echInfo(configRaw []byte) []byte {
	return append([]byte("tls ech\x00"), configRaw...)
}

// ECH acceptance labels (RFC 9849 §7.2, §7.2.1).
const (
	echAcceptLabel    = "ech accept confirmation"
	echHRRAcceptLabel = "hrr ech accept confirmation"
)

// echConfirmation is RFC 9849 §7.2's
//
//	HKDF-Expand-Label(HKDF-Extract(0, ClientHelloInner.random), label,
//	                  transcript hash, 8)
//
// with the hash of the negotiated suite.
func echConfirmation(hash crypto.Hash, innerRandom []byte, label string, transcriptHash []byte) []byte {
	prk, err := hkdf.Extract(hash.New, innerRandom, make([]byte, hash.Size()))
	if err != nil {
		panic("clasp: HKDF-Extract: " + err.Error())
	}
	return keys.HKDFExpandLabel(hash, prk, label, transcriptHash, wire.ECHConfirmationLen)
}

// echTranscriptHash hashes t followed by extra without changing t, setting
// t's hash first when the suite was not known when t was started.
func echTranscriptHash(t *keys.Transcript, hash crypto.Hash, extra []byte) []byte {
	if t.Hash() == 0 {
		t.SetHash(suites.VersionTLS13, hash)
	}
	return t.SumWith(extra)
}

// GenerateEncryptedClientHelloKey makes a new ECH key for a server whose
// client-facing name is publicName: an X25519 HPKE key pair (RFC 9180
// DHKEM(X25519, HKDF-SHA256), the suite RFC 9849 §9 makes mandatory) with
// HKDF-SHA256 and AES-128-GCM, AES-256-GCM or ChaCha20-Poly1305, a random
// config_id and a maximum_name_length of 64. SendAsRetry is set. Give
// clients ECHConfigList([]EncryptedClientHelloKey{key}). rand is
// crypto/rand.Reader when nil.
func GenerateEncryptedClientHelloKey(publicName string, rand io.Reader) (EncryptedClientHelloKey, error) {
	if err := checkPublicName(publicName); err != nil {
		return EncryptedClientHelloKey{}, err
	}
	rand = orCryptoRand(rand)
	priv, err := ecdh.X25519().GenerateKey(rand)
	if err != nil {
		return EncryptedClientHelloKey{}, err
	}
	var id [1]byte
	if _, err := io.ReadFull(rand, id[:]); err != nil {
		return EncryptedClientHelloKey{}, err
	}
	cfg := &wire.ECHConfig{ConfigID: id[0], KEM: hpkeKEMX25519, PublicKey: priv.PublicKey().Bytes(),
		CipherSuites: []wire.HPKESymmetricCipherSuite{
			{KDF: hpkeKDFHKDFSHA256, AEAD: hpkeAEADAES128GCM},
			{KDF: hpkeKDFHKDFSHA256, AEAD: hpkeAEADAES256GCM},
			{KDF: hpkeKDFHKDFSHA256, AEAD: hpkeAEADChaCha20}},
		MaxNameLength: greaseMaxNameLength, PublicName: publicName}
	raw, err := wire.MarshalECHConfig(cfg)
	if err != nil {
		return EncryptedClientHelloKey{}, err
	}
	return EncryptedClientHelloKey{Config: raw, PrivateKey: priv.Bytes(), SendAsRetry: true}, nil
}

func orCryptoRand(r io.Reader) io.Reader {
	if r == nil {
		return rand.Reader
	}
	return r
}

// ECHConfigList returns the ECHConfigList of the keys' configs, in order:
// what clients put in Config.EncryptedClientHelloConfigList (and what a DNS
// HTTPS record's ech parameter carries).
func ECHConfigList(keys []EncryptedClientHelloKey) ([]byte, error) {
	var configs [][]byte
	for _, k := range keys {
		configs = append(configs, k.Config)
	}
	list, err := wire.MarshalECHConfigList(configs)
	if err != nil {
		return nil, fmt.Errorf("clasp: ECHConfigList: %w", err)
	}
	return list, nil
}

// checkPublicName applies RFC 9849 §6.1.7: a public_name must be a host
// name of dot-separated LDH labels of at most 63 octets, whose last label
// is not all digits nor a hexadecimal number (which could read as an IPv4
// address).
func checkPublicName(name string) error {
	bad := func(why string) error {
		return fmt.Errorf("clasp: ECH public name %q %s (RFC 9849 §6.1.7)", name, why)
	}
	if name == "" || len(name) > 255 || name[0] == '.' || name[len(name)-1] == '.' {
		return bad("is empty, too long, or begins or ends with a dot")
	}
	label, last := 0, ""
	for i := 0; i < len(name); i++ {
		ch := name[i]
		switch {
		case ch == '.':
			if label == 0 {
				return bad("has an empty label")
			}
			label = 0
			continue
		case ch == '-', '0' <= ch && ch <= '9', 'a' <= ch && ch <= 'z', 'A' <= ch && ch <= 'Z':
		default:
			return bad("has a character outside letters, digits and hyphen")
		}
		if label++; label > 63 {
			return bad("has a label over 63 octets")
		}
	}
	for i := len(name) - 1; i >= 0 && name[i] != '.'; i-- {
		last = name[i:]
	}
	if isDigits(last) || isHexNumber(last) {
		return bad("ends in a numeric label, which could be read as an IPv4 address")
	}
	return nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func isHexNumber(s string) bool {
	if len(s) < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 'X') {
		return false
	}
	for i := 2; i < len(s); i++ {
		ch := s[i] | 0x20
		if !('0' <= s[i] && s[i] <= '9') && !('a' <= ch && ch <= 'f') {
			return false
		}
	}
	return true
}

// EncryptedClientHelloKeysFromList pairs each ECHConfig of an ECHConfigList
// with one HPKE private key (RFC 9180 SerializePrivateKey form), each sent
// as a retry config: the keys of a server whose published list has one key
// behind every config.
func EncryptedClientHelloKeysFromList(list, privateKey []byte) ([]EncryptedClientHelloKey, error) {
	configs, err := wire.ParseECHConfigList(list)
	if err != nil {
		return nil, fmt.Errorf("clasp: ECHConfigList: %w", err)
	}
	var keys []EncryptedClientHelloKey
	for _, c := range configs {
		if c.Version != wire.ECHConfigVersion {
			continue
		}
		kem, err := hpke.NewKEM(c.KEM)
		if err != nil {
			return nil, fmt.Errorf("clasp: ECHConfig %d: %w", c.ConfigID, err)
		}
		priv, err := kem.NewPrivateKey(privateKey)
		if err != nil {
			return nil, fmt.Errorf("clasp: ECHConfig %d: %w", c.ConfigID, err)
		}
		if string(priv.PublicKey().Bytes()) != string(c.PublicKey) {
			return nil, fmt.Errorf("clasp: ECHConfig %d: its public key is not the private key's", c.ConfigID)
		}
		keys = append(keys, EncryptedClientHelloKey{Config: c.Raw, PrivateKey: privateKey, SendAsRetry: true})
	}
	if len(keys) == 0 {
		return nil, errors.New("clasp: the ECHConfigList has no ECHConfig of a version clasp supports")
	}
	return keys, nil
}

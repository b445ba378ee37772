package main

import (
	"bufio"
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/clasp-tls/clasp"
)

// keyOptions are the flags for TLS without certificates: pre-shared keys
// (TLS 1.2 PSK suites, RFC 4279/5489, and TLS 1.3 external PSKs, RFC 8446
// §4.2.11) and raw public keys (RFC 7250).
type keyOptions struct {
	// Client side.
	psk         string // hex
	pskIdentity string
	// Server side.
	pskFile string
	pskHint string
	// Both sides.
	rawKeyFile  string // this side's private key, sent as a raw public key
	peerKeyFile string // the peer's public keys, pinned
}

func (o *keyOptions) registerClient(flags *pflag.FlagSet) {
	flags.StringVar(&o.psk, "psk", "", "pre-shared key in hex (16 bytes or more), used with --psk-identity: TLS 1.3 external PSK, TLS 1.2 PSK suites")
	flags.StringVar(&o.pskIdentity, "psk-identity", "", "identity of --psk, as the server knows it")
	o.registerRawKeys(flags, "the server")
}

func (o *keyOptions) registerServer(flags *pflag.FlagSet) {
	flags.StringVar(&o.pskFile, "psk-file", "", `pre-shared keys clients may use, one "identity:hexkey" per line (# comments); without --cert the server serves PSK clients only`)
	flags.StringVar(&o.pskHint, "psk-hint", "", "psk_identity_hint sent to TLS 1.2 PSK clients (RFC 4279 §5.2)")
	o.registerRawKeys(flags, "clients")
}

func (o *keyOptions) registerRawKeys(flags *pflag.FlagSet, peer string) {
	flags.StringVar(&o.rawKeyFile, "raw-public-key", "", "PEM private key to authenticate with as a raw public key (RFC 7250, TLS 1.2 and 1.3) to a peer that asks for one")
	flags.StringVar(&o.peerKeyFile, "peer-key", "", "PEM file of the public keys (or certificates, whose keys count) of "+peer+", pinned: a raw public key (RFC 7250) is asked for and must be one of them")
}

// applyClient sets the client's PSK and raw key options; pinned says
// whether the server's key is pinned (its verification line then says so).
func (o *keyOptions) applyClient(cfg *clasp.Config, warnings *[]string) (pinned bool, err error) {
	if (o.psk == "") != (o.pskIdentity == "") {
		return false, usageErrorf("--psk and --psk-identity go together")
	}
	if o.psk != "" {
		key, err := hex.DecodeString(strings.TrimSpace(o.psk))
		if err != nil || len(key) < 16 {
			return false, usageErrorf("--psk: want a key of 16 bytes or more in hex (%d hex digits or more)", 32)
		}
		cfg.ExternalPSKs = []clasp.ExternalPSK{{Identity: []byte(o.pskIdentity), Key: key}}
	}
	return o.applyRawKeys(cfg, warnings)
}

// applyServer sets the server's PSK and raw key options and reports how
// many identities --psk-file holds.
func (o *keyOptions) applyServer(cfg *clasp.Config, warnings *[]string) (identities int, err error) {
	if o.pskFile != "" {
		keys, err := readPSKFile(o.pskFile)
		if err != nil {
			return 0, err
		}
		cfg.GetExternalPSK = func(identity []byte) (*clasp.ExternalPSK, error) {
			key, ok := keys[string(identity)]
			if !ok {
				return nil, nil
			}
			return &clasp.ExternalPSK{Identity: identity, Key: key}, nil
		}
		cfg.PSKIdentityHint = []byte(o.pskHint)
		identities = len(keys)
	} else if o.pskHint != "" {
		return 0, usageErrorf("--psk-hint needs --psk-file")
	}
	pinned, err := o.applyRawKeys(cfg, warnings)
	if err != nil {
		return 0, err
	}
	if pinned && cfg.ClientAuth == clasp.NoClientCert {
		// Pinning client keys means asking for one.
		cfg.ClientAuth = clasp.RequireAnyClientCert
	}
	return identities, nil
}

// readPSKFile reads "identity:hexkey" lines; a bad line is reported with
// its number, and so is an identity given twice.
func readPSKFile(path string) (map[string][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--psk-file: %v", err)
	}
	return parsePSKFile(path, data)
}

// parsePSKFile parses the contents of a --psk-file named path.
func parsePSKFile(path string, data []byte) (map[string][]byte, error) {
	keys := map[string][]byte{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		// The key is after the last colon: an identity may hold colons.
		i := strings.LastIndexByte(line, ':')
		if i <= 0 {
			return nil, usageErrorf("--psk-file %s line %d: want identity:hexkey", path, n)
		}
		identity := line[:i]
		key, err := hex.DecodeString(strings.TrimSpace(line[i+1:]))
		switch {
		case err != nil:
			return nil, usageErrorf("--psk-file %s line %d: the key of %q is not hex", path, n, identity)
		case len(key) < 16:
			return nil, usageErrorf("--psk-file %s line %d: the key of %q has %d bytes; want 16 or more", path, n, identity, len(key))
		case len(identity) > 1<<16-1:
			return nil, usageErrorf("--psk-file %s line %d: an identity has at most 65535 bytes", path, n)
		}
		if _, dup := keys[identity]; dup {
			return nil, usageErrorf("--psk-file %s line %d: identity %q is given twice", path, n, identity)
		}
		keys[identity] = key
	}
	if err := sc.Err(); err != nil {
		return nil, usageErrorf("--psk-file %s: %v", path, err)
	}
	if len(keys) == 0 {
		return nil, usageErrorf("--psk-file %s: no identity:hexkey line", path)
	}
	return keys, nil
}

// applyRawKeys loads --raw-public-key (this side's key, as the key of a
// throwaway self-signed certificate that peers without RFC 7250 get) and
// --peer-key (VerifyRawPublicKey against the pinned keys).
func (o *keyOptions) applyRawKeys(cfg *clasp.Config, warnings *[]string) (pinned bool, err error) {
	if o.rawKeyFile != "" {
		key, err := readPrivateKey(o.rawKeyFile)
		if err != nil {
			return false, usageErrorf("--raw-public-key: %v", err)
		}
		cert, err := certificateForKey(key)
		if err != nil {
			return false, err
		}
		cfg.Certificates = append(cfg.Certificates, cert)
		cfg.RawPublicKey = true
	}
	if o.peerKeyFile == "" {
		return false, nil
	}
	pins, err := readPublicKeys(o.peerKeyFile)
	if err != nil {
		return false, usageErrorf("--peer-key: %v", err)
	}
	cfg.VerifyRawPublicKey = func(spki []byte) error {
		for _, pin := range pins {
			if bytes.Equal(pin, spki) {
				return nil
			}
		}
		return fmt.Errorf("the peer's raw public key (SHA-256 %s) is not one of the %d in --peer-key", spkiFingerprint(spki), len(pins))
	}
	return true, nil
}

// spkiFingerprint is the SHA-256 of a SubjectPublicKeyInfo in hex, the
// form in which a raw key is shown and pinned by people.
func spkiFingerprint(spki []byte) string {
	sum := sha256.Sum256(spki)
	return hex.EncodeToString(sum[:])
}

func readPrivateKey(path string) (crypto.Signer, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		var key any
		switch block.Type {
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %v", path, err)
		}
		switch k := key.(type) {
		case *ecdsa.PrivateKey, *rsa.PrivateKey, ed25519.PrivateKey:
			return k.(crypto.Signer), nil
		}
		return nil, fmt.Errorf("%s: a %T cannot sign a TLS handshake", path, key)
	}
	return nil, fmt.Errorf("%s: no PEM private key in the file", path)
}

// readPublicKeys reads the pinned keys: PUBLIC KEY blocks, or the keys of
// CERTIFICATE blocks, each kept as its DER SubjectPublicKeyInfo.
func readPublicKeys(path string) ([][]byte, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var pins [][]byte
	for block, rest := pem.Decode(data); block != nil; block, rest = pem.Decode(rest) {
		switch block.Type {
		case "PUBLIC KEY":
			if _, err := x509.ParsePKIXPublicKey(block.Bytes); err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			pins = append(pins, block.Bytes)
		case "CERTIFICATE":
			cert, err := x509.ParseCertificate(block.Bytes)
			if err != nil {
				return nil, fmt.Errorf("%s: %v", path, err)
			}
			pins = append(pins, cert.RawSubjectPublicKeyInfo)
		}
	}
	if len(pins) == 0 {
		return nil, errors.New(path + ": no PEM PUBLIC KEY or CERTIFICATE in the file")
	}
	return pins, nil
}

// certificateForKey wraps a raw key in a self-signed certificate for
// "localhost": the stack takes a Certificate, sends only its key to a peer
// that asked for a raw key (RFC 7250), and the certificate to any other,
// which will not trust it.
func certificateForKey(key crypto.Signer) (clasp.Certificate, error) {
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "raw public key (clasp)"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(365 * 24 * time.Hour),
		DNSNames: []string{"localhost"}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return clasp.Certificate{}, fmt.Errorf("--raw-public-key: %v", err)
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return clasp.Certificate{}, err
	}
	return clasp.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, nil
}

// describeKeys says in the summary that a handshake authenticated by a
// pre-shared key or a raw public key, and which: there is no chain to
// report, and "verified against system roots" would not be true.
func (s *connectionSummary) describeKeys(st clasp.ConnectionState) {
	switch {
	case st.PeerRawPublicKey != nil:
		s.RawPublicKey = spkiFingerprint(st.PeerRawPublicKey)
		s.Verification = "raw public key (RFC 7250), one of the pinned keys"
	case len(st.PSKIdentity) > 0:
		s.PSKIdentity = string(st.PSKIdentity)
		if len(st.PeerCertificates) == 0 {
			s.Verification = fmt.Sprintf("by the pre-shared key %q (no certificate)", st.PSKIdentity)
		} else {
			s.Verification += fmt.Sprintf(", and the pre-shared key %q (RSA_PSK)", st.PSKIdentity)
		}
	}
}

package main

import (
	"crypto/ecdh"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/clasp-tls/clasp"
)

// Encrypted Client Hello on the command line: clasp connect --ech,
// clasp serve --ech-key / --ech-public-name, clasp cert --ech.
//
// An ECH key file is PEM, as OpenSSL's ECH work and
// draft-farrell-tls-pemesni write it: the X25519 private key as PKCS#8
// ("PRIVATE KEY") and the ECHConfigList ("ECHCONFIG"). clasp connect
// --ech takes the list itself, as base64 (what a DNS HTTPS record's ech=
// parameter holds) or a file: such a PEM file, or the raw or base64 bytes.

const (
	pemECHConfig  = "ECHCONFIG"
	pemPrivateKey = "PRIVATE KEY"
)

// readECHConfigList reads --ech: base64 text, or a file holding an
// ECHCONFIG PEM block, base64 text or the binary list.
func readECHConfigList(arg string) ([]byte, error) {
	if list, err := base64.StdEncoding.DecodeString(strings.TrimSpace(arg)); err == nil && len(list) > 4 {
		return list, nil
	}
	data, err := os.ReadFile(arg)
	if err != nil {
		return nil, usageErrorf("--ech %q: neither base64 nor a readable file: %v", arg, err)
	}
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		if block.Type == pemECHConfig {
			return block.Bytes, nil
		}
	}
	if list, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data))); err == nil {
		return list, nil
	}
	return data, nil
}

// writeECHKey writes key as an ECH key file.
func writeECHKey(w io.Writer, key clasp.EncryptedClientHelloKey) error {
	priv, err := ecdh.X25519().NewPrivateKey(key.PrivateKey)
	if err != nil {
		return fmt.Errorf("ECH key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return err
	}
	list, err := clasp.ECHConfigList([]clasp.EncryptedClientHelloKey{key})
	if err != nil {
		return err
	}
	if err := pem.Encode(w, &pem.Block{Type: pemPrivateKey, Bytes: der}); err != nil {
		return err
	}
	return pem.Encode(w, &pem.Block{Type: pemECHConfig, Bytes: list})
}

// readECHKeyFile reads an ECH key file written by writeECHKey (or by
// OpenSSL's ECH tools with an X25519 key): each ECHConfig of the list
// becomes a key with the one private key, sent as a retry config.
func readECHKeyFile(path string) ([]clasp.EncryptedClientHelloKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--ech-key: %v", err)
	}
	var priv, list []byte
	for rest := data; ; {
		var block *pem.Block
		if block, rest = pem.Decode(rest); block == nil {
			break
		}
		switch block.Type {
		case pemPrivateKey:
			k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
			if err != nil {
				return nil, usageErrorf("--ech-key %s: %v", path, err)
			}
			x, ok := k.(*ecdh.PrivateKey)
			if !ok || x.Curve() != ecdh.X25519() {
				return nil, usageErrorf("--ech-key %s: the private key is %T, want X25519", path, k)
			}
			priv = x.Bytes()
		case pemECHConfig:
			list = block.Bytes
		}
	}
	if priv == nil || list == nil {
		return nil, usageErrorf("--ech-key %s: want a PRIVATE KEY and an ECHCONFIG PEM block", path)
	}
	keys, err := clasp.EncryptedClientHelloKeysFromList(list, priv)
	if err != nil {
		return nil, usageErrorf("--ech-key %s: %v", path, err)
	}
	return keys, nil
}

// applyECH sets up Encrypted Client Hello on a server: a key file, or a
// fresh key for a public name, whose ECHConfigList is printed for clients.
func (o *serveOptions) applyECH(cfg *clasp.Config, stderr io.Writer) error {
	switch {
	case o.echKey != "" && o.echPublicName != "":
		return usageErrorf("--ech-key and --ech-public-name exclude each other")
	case o.echKey != "":
		keys, err := readECHKeyFile(o.echKey)
		if err != nil {
			return err
		}
		cfg.EncryptedClientHelloKeys = keys
	case o.echPublicName != "":
		key, err := clasp.GenerateEncryptedClientHelloKey(o.echPublicName, nil)
		if err != nil {
			return usageErrorf("--ech-public-name: %v", err)
		}
		cfg.EncryptedClientHelloKeys = []clasp.EncryptedClientHelloKey{key}
	default:
		return nil
	}
	list, err := clasp.ECHConfigList(cfg.EncryptedClientHelloKeys)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "ECH config list (clasp connect --ech): %s\n", base64.StdEncoding.EncodeToString(list))
	return nil
}

// echRejected explains a rejected ECH offer on the command line: how to
// retry with the server's configs.
func echRejected(err error) error {
	var rej *clasp.ECHRejectionError
	if !errors.As(err, &rej) {
		return err
	}
	if len(rej.RetryConfigList) == 0 {
		return fmt.Errorf("%w (ECH rejected; the server offers no ECH configuration: it has disabled ECH)", err)
	}
	return fmt.Errorf("%w (ECH rejected; retry with --ech %s)", err, base64.StdEncoding.EncodeToString(rej.RetryConfigList))
}

// failHandshake reports a failed dial: a rejected ECH offer with the retry
// list and without the probes that find what a refusing server accepts
// (the server accepted the handshake; it only could not decrypt the
// inner hello), any other failure as connect always does.
func (c *connectRun) failHandshake(err error) error {
	var rejected *clasp.ECHRejectionError
	if errors.As(err, &rejected) {
		return c.fail(echRejected(err), false)
	}
	return c.fail(err, true)
}

// runCertECH writes an ECH key file for a public name (clasp cert --ech)
// and prints its ECHConfigList.
func runCertECH(out io.Writer, opts *certOptions) error {
	key, err := clasp.GenerateEncryptedClientHelloKey(opts.ech, nil)
	if err != nil {
		return usageErrorf("--ech: %v", err)
	}
	if err := os.MkdirAll(opts.out, 0o755); err != nil {
		return err
	}
	path := opts.out + string(os.PathSeparator) + certECHFile
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if opts.force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return err
	}
	if err := writeECHKey(f, key); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	list, _ := clasp.ECHConfigList([]clasp.EncryptedClientHelloKey{key})
	fmt.Fprintf(out, "wrote %s: the ECH key for public name %s (clasp serve --ech-key)\nECH config list (clasp connect --ech): %s\n",
		path, opts.ech, base64.StdEncoding.EncodeToString(list))
	return nil
}

const certECHFile = "ech.pem"

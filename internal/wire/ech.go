package wire

import (
	"golang.org/x/crypto/cryptobyte"
)

// Encrypted Client Hello (RFC 9849): the ECHConfigList a server publishes,
// the encrypted_client_hello extension in its three shapes, and
// ech_outer_extensions. No HPKE here: this file only knows bytes.

// ECHConfigVersion is the only ECHConfig version RFC 9849 §4 defines
// (the extension's code point, 0xfe0d).
const ECHConfigVersion = 0xfe0d

// HPKESymmetricCipherSuite is one KDF and AEAD pair (RFC 9849 §4,
// identifiers from RFC 9180 §7.2 and §7.3).
type HPKESymmetricCipherSuite struct {
	KDF  uint16
	AEAD uint16
}

// ECHConfigExtension is one extension of an ECHConfig (RFC 9849 §4.2).
// A type with the high bit set is mandatory: a client that does not know
// it must skip the whole ECHConfig.
type ECHConfigExtension struct {
	Type uint16
	Data []byte
}

// Mandatory reports whether the high-order bit of the type is set.
func (e ECHConfigExtension) Mandatory() bool { return e.Type&0x8000 != 0 }

// ECHConfig is one entry of an ECHConfigList (RFC 9849 §4). Raw is the
// whole serialized ECHConfig, version and length included: HPKE's info
// string is "tls ech" || 0x00 || Raw (RFC 9849 §6.1), and a server's
// EncryptedClientHelloKey.Config is compared with it byte for byte. An
// ECHConfig of a version other than ECHConfigVersion keeps only Version and
// Raw: clients skip it.
type ECHConfig struct {
	Version       uint16
	Raw           []byte
	ConfigID      uint8
	KEM           uint16
	PublicKey     []byte
	CipherSuites  []HPKESymmetricCipherSuite
	MaxNameLength uint8
	PublicName    string
	Extensions    []ECHConfigExtension
}

// ParseECHConfigList reads an ECHConfigList (ECHConfig
// ECHConfigList<4..2^16-1>, RFC 9849 §4). Anything malformed is
// decode_error: §6.1.6 asks a client to abort with decode_error on
// retry_configs that are not syntactically valid. ECHConfigs of unknown
// versions are kept unparsed.
func ParseECHConfigList(b []byte) ([]ECHConfig, error) {
	s := cryptobyte.String(b)
	var list cryptobyte.String
	if !s.ReadUint16LengthPrefixed(&list) || !s.Empty() || len(list) < 4 {
		return nil, Errorf(AlertDecodeError, "ECHConfigList: bad length")
	}
	var out []ECHConfig
	for !list.Empty() {
		start := list
		var version uint16
		var body cryptobyte.String
		if !list.ReadUint16(&version) || !list.ReadUint16LengthPrefixed(&body) {
			return nil, Errorf(AlertDecodeError, "ECHConfigList: truncated ECHConfig")
		}
		raw := start[:len(start)-len(list)]
		cfg := ECHConfig{Version: version, Raw: cloneBytes(raw)}
		if version == ECHConfigVersion {
			if err := parseECHConfigContents(body, &cfg); err != nil {
				return nil, err
			}
		}
		out = append(out, cfg)
	}
	return out, nil
}

// parseECHConfigContents reads ECHConfigContents (RFC 9849 §4).
func parseECHConfigContents(s cryptobyte.String, cfg *ECHConfig) error {
	var publicKey, cipherSuites, publicName, extensions cryptobyte.String
	if !s.ReadUint8(&cfg.ConfigID) || !s.ReadUint16(&cfg.KEM) ||
		!s.ReadUint16LengthPrefixed(&publicKey) || publicKey.Empty() ||
		!s.ReadUint16LengthPrefixed(&cipherSuites) || len(cipherSuites) < 4 || len(cipherSuites)%4 != 0 ||
		!s.ReadUint8(&cfg.MaxNameLength) ||
		!s.ReadUint8LengthPrefixed(&publicName) || publicName.Empty() ||
		!s.ReadUint16LengthPrefixed(&extensions) || !s.Empty() {
		return Errorf(AlertDecodeError, "ECHConfig: malformed contents")
	}
	cfg.PublicKey = cloneBytes(publicKey)
	cfg.PublicName = string(publicName)
	for !cipherSuites.Empty() {
		var cs HPKESymmetricCipherSuite
		cipherSuites.ReadUint16(&cs.KDF)
		cipherSuites.ReadUint16(&cs.AEAD)
		cfg.CipherSuites = append(cfg.CipherSuites, cs)
	}
	seen := map[uint16]bool{}
	for !extensions.Empty() {
		var e ECHConfigExtension
		var data cryptobyte.String
		if !extensions.ReadUint16(&e.Type) || !extensions.ReadUint16LengthPrefixed(&data) {
			return Errorf(AlertDecodeError, "ECHConfig: malformed extensions")
		}
		// RFC 9849 §4.2: "there MUST NOT be more than one extension of
		// the same type in the extensions block".
		if seen[e.Type] {
			return Errorf(AlertDecodeError, "ECHConfig: extension 0x%04x twice", e.Type)
		}
		seen[e.Type] = true
		e.Data = cloneBytes(data)
		cfg.Extensions = append(cfg.Extensions, e)
	}
	return nil
}

// MarshalECHConfig serializes a version-0xfe0d ECHConfig from its
// contents (Raw and Version are ignored).
func MarshalECHConfig(cfg *ECHConfig) ([]byte, error) {
	var b builder
	b.AddUint16(ECHConfigVersion)
	b.AddUint16LengthPrefixed(func(b *builder) {
		if len(cfg.PublicKey) == 0 || len(cfg.CipherSuites) == 0 || cfg.PublicName == "" || len(cfg.PublicName) > 255 {
			b.SetError(errMarshal("ECHConfig without a public key, cipher suite or public name"))
			return
		}
		b.AddUint8(cfg.ConfigID)
		b.AddUint16(cfg.KEM)
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(cfg.PublicKey) })
		b.AddUint16LengthPrefixed(func(b *builder) {
			for _, cs := range cfg.CipherSuites {
				b.AddUint16(cs.KDF)
				b.AddUint16(cs.AEAD)
			}
		})
		b.AddUint8(cfg.MaxNameLength)
		b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes([]byte(cfg.PublicName)) })
		b.AddUint16LengthPrefixed(func(b *builder) {
			for _, e := range cfg.Extensions {
				b.AddUint16(e.Type)
				b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(e.Data) })
			}
		})
	})
	return b.Bytes()
}

// MarshalECHConfigList joins serialized ECHConfigs into an ECHConfigList.
func MarshalECHConfigList(configs [][]byte) ([]byte, error) {
	var b builder
	b.AddUint16LengthPrefixed(func(b *builder) {
		if len(configs) == 0 {
			b.SetError(errMarshal("empty ECHConfigList"))
		}
		for _, c := range configs {
			b.AddBytes(c)
		}
	})
	return b.Bytes()
}

// ECHClientHelloType is ECHClientHello.type (RFC 9849 §5).
type ECHClientHelloType uint8

// The two ECHClientHello types.
const (
	ECHOuter ECHClientHelloType = 0
	ECHInner ECHClientHelloType = 1
)

// ECHConfirmationLen is the length of an accept confirmation (RFC 9849
// §7.2, §7.2.1).
const ECHConfirmationLen = 8

// EncryptedClientHelloExt is the encrypted_client_hello extension. Its
// body depends on the message (RFC 9849 §5): in a ClientHello an
// ECHClientHello (Type, and for the outer variant CipherSuite, ConfigID,
// Enc, Payload); in a HelloRetryRequest the 8-byte Confirmation; in
// EncryptedExtensions the server's RetryConfigs, a serialized
// ECHConfigList.
type EncryptedClientHelloExt struct {
	Type         ECHClientHelloType
	CipherSuite  HPKESymmetricCipherSuite
	ConfigID     uint8
	Enc          []byte
	Payload      []byte
	Confirmation []byte
	RetryConfigs []byte
}

// ExtType returns ExtEncryptedClientHello.
func (*EncryptedClientHelloExt) ExtType() ExtensionType { return ExtEncryptedClientHello }

func (e *EncryptedClientHelloExt) marshalBody(b *builder, msg HandshakeType) {
	if e == nil {
		b.SetError(errMarshal("nil encrypted_client_hello"))
		return
	}
	switch msg {
	case TypeHelloRetryRequest:
		if len(e.Confirmation) != ECHConfirmationLen {
			b.SetError(errMarshal("encrypted_client_hello confirmation of %d bytes", len(e.Confirmation)))
			return
		}
		b.AddBytes(e.Confirmation)
	case TypeEncryptedExtensions:
		b.AddBytes(e.RetryConfigs)
	default:
		b.AddUint8(uint8(e.Type))
		if e.Type == ECHInner {
			return
		}
		b.AddUint16(e.CipherSuite.KDF)
		b.AddUint16(e.CipherSuite.AEAD)
		b.AddUint8(e.ConfigID)
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(e.Enc) })
		b.AddUint16LengthPrefixed(func(b *builder) { b.AddBytes(e.Payload) })
	}
}

// parseEncryptedClientHello reads the extension in the shape of msg. A
// confirmation that is not 8 bytes and retry_configs that do not parse are
// decode_error (RFC 9849 §6.1.4, §6.1.6): only a client that offered ECH
// gets them. In a ClientHello a body that is not an ECHClientHello is kept
// as *UnknownExt: a server without ECH keys ignores the extension like any
// it does not implement (RFC 8446 §4.2; crypto/tls and OpenSSL do too),
// and one with keys calls ParseECHClientHello for the alert.
func parseEncryptedClientHello(body cryptobyte.String, msg HandshakeType) (Extension, error) {
	if msg == TypeClientHello {
		e, err := ParseECHClientHello(body)
		if err != nil {
			return &UnknownExt{Code: ExtEncryptedClientHello, Data: cloneBytes(body)}, nil
		}
		return e, nil
	}
	e := &EncryptedClientHelloExt{}
	switch msg {
	case TypeHelloRetryRequest:
		if len(body) != ECHConfirmationLen {
			return nil, Errorf(AlertDecodeError, "encrypted_client_hello in HelloRetryRequest of %d bytes, not 8", len(body))
		}
		e.Confirmation = cloneBytes(body)
		return e, nil
	case TypeEncryptedExtensions:
		if _, err := ParseECHConfigList(body); err != nil {
			return nil, Errorf(AlertDecodeError, "encrypted_client_hello retry_configs: %v", err)
		}
		e.RetryConfigs = cloneBytes(body)
		return e, nil
	}
	return nil, decodeError("encrypted_client_hello in " + msg.String())
}

// ParseECHClientHello reads the body of a ClientHello's
// encrypted_client_hello (RFC 9849 §5). A type other than outer or inner
// is illegal_parameter (§7: "If ECHClientHello.type is not a valid
// ECHClientHelloType, then the server MUST abort with an
// "illegal_parameter" alert"); anything else malformed is decode_error.
func ParseECHClientHello(b []byte) (*EncryptedClientHelloExt, error) {
	body := cryptobyte.String(b)
	e := &EncryptedClientHelloExt{}
	var typ uint8
	if !body.ReadUint8(&typ) {
		return nil, decodeError("encrypted_client_hello")
	}
	e.Type = ECHClientHelloType(typ)
	switch e.Type {
	case ECHInner:
		if !body.Empty() {
			return nil, decodeError("encrypted_client_hello (inner, trailing bytes)")
		}
		return e, nil
	case ECHOuter:
	default:
		return nil, Errorf(AlertIllegalParameter, "encrypted_client_hello of type %d, neither outer nor inner", typ)
	}
	var enc, payload cryptobyte.String
	if !body.ReadUint16(&e.CipherSuite.KDF) || !body.ReadUint16(&e.CipherSuite.AEAD) ||
		!body.ReadUint8(&e.ConfigID) || !body.ReadUint16LengthPrefixed(&enc) ||
		!body.ReadUint16LengthPrefixed(&payload) || payload.Empty() || !body.Empty() {
		return nil, decodeError("encrypted_client_hello (outer)")
	}
	e.Enc, e.Payload = cloneBytes(enc), cloneBytes(payload)
	return e, nil
}

// ECHOuterExtensionsExt is ech_outer_extensions (RFC 9849 §5.1): in an
// EncodedClientHelloInner only, the extensions to copy from the
// ClientHelloOuter in its place. Types holds 1 to 127 code points
// (ExtensionType OuterExtensions<2..254>).
type ECHOuterExtensionsExt struct {
	Types []ExtensionType
}

// ExtType returns ExtECHOuterExtensions.
func (*ECHOuterExtensionsExt) ExtType() ExtensionType { return ExtECHOuterExtensions }

func (e *ECHOuterExtensionsExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || len(e.Types) == 0 || len(e.Types) > 127 {
		b.SetError(errMarshal("ech_outer_extensions with 0 or over 127 types"))
		return
	}
	b.AddUint8LengthPrefixed(func(b *builder) {
		for _, t := range e.Types {
			b.AddUint16(uint16(t))
		}
	})
}

func parseECHOuterExtensions(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var list cryptobyte.String
	if !body.ReadUint8LengthPrefixed(&list) || !body.Empty() || len(list) < 2 || len(list)%2 != 0 {
		return nil, decodeError("ech_outer_extensions")
	}
	e := &ECHOuterExtensionsExt{}
	for !list.Empty() {
		var t uint16
		list.ReadUint16(&t)
		e.Types = append(e.Types, ExtensionType(t))
	}
	return e, nil
}

// ClientHelloBody returns a ClientHello's serialization without the 4-byte
// handshake header: the form RFC 9849 encrypts (§5.1) and authenticates
// (§5.2).
func ClientHelloBody(m *ClientHello) ([]byte, error) {
	raw, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	return raw[4:], nil
}

// ParseEncodedClientHelloInner splits an EncodedClientHelloInner (RFC
// 9849 §5.1) into its ClientHello and the padding after it. It is
// decode_error when the ClientHello does not parse; the caller checks the
// padding is all zeros.
func ParseEncodedClientHelloInner(b []byte) (*ClientHello, []byte, error) {
	s := cryptobyte.String(b)
	var skip cryptobyte.String
	if !s.Skip(2+32) || !s.ReadUint8LengthPrefixed(&skip) || !s.ReadUint16LengthPrefixed(&skip) ||
		!s.ReadUint8LengthPrefixed(&skip) || !s.ReadUint16LengthPrefixed(&skip) {
		return nil, nil, Errorf(AlertDecodeError, "EncodedClientHelloInner: truncated ClientHello")
	}
	n := len(b) - len(s)
	hello, err := ParseClientHello(b[:n])
	if err != nil {
		return nil, nil, err
	}
	return hello, b[n:], nil
}

package trace

import (
	"fmt"

	"github.com/clasp-tls/clasp/internal/wire"
)

// echStory tells the Encrypted Client Hello extensions (RFC 9849): in a
// ClientHelloOuter the sealed inner hello, in a ClientHelloInner the mark
// that it is one, in a HelloRetryRequest the acceptance confirmation, in
// EncryptedExtensions the retry configurations; and ech_outer_extensions.
func (t *storyTracer) echStory(e wire.Extension) (key string, args []any, sub [][]any) {
	switch e := e.(type) {
	case *wire.ECHOuterExtensionsExt:
		return "ext.ech_outer_extensions", []any{"list", joinNames(e.Types)}, nil
	case *wire.EncryptedClientHelloExt:
		switch {
		case len(e.Confirmation) > 0:
			return "ext.ech_confirmation", []any{"hex", hexString(e.Confirmation)}, nil
		case len(e.RetryConfigs) > 0:
			return "ext.ech_retry", []any{"bytes", len(e.RetryConfigs)}, nil
		case e.Type == wire.ECHInner:
			return "ext.ech_inner", []any{}, nil
		}
		key := "ext.ech_outer"
		if t.echGREASE {
			key = "ext.ech_grease" // only the client that made it knows
		}
		return key, []any{"id", int(e.ConfigID), "bytes", len(e.Payload),
			"suite", fmt.Sprintf("0x%04x/0x%04x", e.CipherSuite.KDF, e.CipherSuite.AEAD)}, nil
	}
	return "ext.other", []any{}, nil
}

// addECHFields adds encrypted_client_hello's fields for the msg and JSON
// renderers: the confirmation of a HelloRetryRequest, the retry configs of
// EncryptedExtensions, or the ECHClientHello of a ClientHello.
func addECHFields(o *object, e *wire.EncryptedClientHelloExt) {
	switch {
	case len(e.Confirmation) > 0:
		o.add("confirmation_hex", hexString(e.Confirmation))
	case len(e.RetryConfigs) > 0:
		o.add("retry_configs_hex", hexString(e.RetryConfigs))
	default:
		name := "outer"
		if e.Type == wire.ECHInner {
			name = "inner"
		}
		o.add("ech_type", codePoint(uint16(e.Type), name))
		if e.Type == wire.ECHOuter {
			o.add("config_id", int(e.ConfigID))
			o.add("hpke_kdf", int(e.CipherSuite.KDF))
			o.add("hpke_aead", int(e.CipherSuite.AEAD))
			o.add("enc_hex", hexString(e.Enc))
			o.add("payload_hex", hexString(e.Payload))
		}
	}
}

func addECHOuterExtensionsFields(o *object, e *wire.ECHOuterExtensionsExt) {
	types := make([]any, 0, len(e.Types))
	for _, t := range e.Types {
		types = append(types, codePoint(uint16(t), t.String()))
	}
	o.add("outer_extensions", types)
}

package wire

import "golang.org/x/crypto/cryptobyte"

// psk_key_exchange_modes (RFC 8446 §4.2.9).

// PSK key exchange modes (RFC 8446 §4.2.9).
const (
	// PSKModeKE is psk_ke: resumption without (EC)DHE, so without forward
	// secrecy.
	PSKModeKE uint8 = 0
	// PSKModeDHEKE is psk_dhe_ke: resumption with a fresh (EC)DHE.
	PSKModeDHEKE uint8 = 1
)

// PSKKeyExchangeModesExt is the psk_key_exchange_modes extension: the modes
// the client accepts for its PSKs. Unknown modes are kept (RFC 8446 §4.2.9
// tells servers to ignore them; the driver does).
type PSKKeyExchangeModesExt struct {
	// Modes is non-empty (ke_modes<1..255>).
	Modes []uint8
}

// ExtType returns ExtPSKKeyExchangeModes.
func (*PSKKeyExchangeModesExt) ExtType() ExtensionType { return ExtPSKKeyExchangeModes }

func (e *PSKKeyExchangeModesExt) marshalBody(b *builder, _ HandshakeType) {
	if e == nil || len(e.Modes) == 0 {
		b.SetError(errMarshal("psk_key_exchange_modes with no modes"))
		return
	}
	b.AddUint8LengthPrefixed(func(b *builder) { b.AddBytes(e.Modes) })
}

func parsePSKKeyExchangeModes(body cryptobyte.String, _ HandshakeType) (Extension, error) {
	var modes cryptobyte.String
	// PskKeyExchangeMode ke_modes<1..255>.
	if !body.ReadUint8LengthPrefixed(&modes) || !body.Empty() || modes.Empty() {
		return nil, decodeError("psk_key_exchange_modes")
	}
	return &PSKKeyExchangeModesExt{Modes: cloneBytes(modes)}, nil
}

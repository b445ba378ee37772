package clasp

import (
	"fmt"
	"slices"

	"github.com/clasp-tls/clasp/internal/wire"
)

// Config.ClientHelloExtensions: the extensions of a client's hello, chosen
// and ordered by the Config instead of by clasp.

// fillableExtensions are the extensions clasp can fill from a Config.
var fillableExtensions = []wire.ExtensionType{
	wire.ExtServerName, wire.ExtSupportedGroups, wire.ExtECPointFormats, wire.ExtSignatureAlgorithms,
	wire.ExtALPN, wire.ExtPadding, wire.ExtExtendedMasterSecret, wire.ExtRecordSizeLimit,
	wire.ExtSessionTicket, wire.ExtPreSharedKey, wire.ExtEarlyData, wire.ExtSupportedVersions,
	wire.ExtCookie, wire.ExtPSKKeyExchangeModes, wire.ExtKeyShare, wire.ExtRenegotiationInfo,
	wire.ExtStatusRequest, wire.ExtSignedCertificateTimestamp, wire.ExtEncryptThenMAC,
	wire.ExtMaxFragmentLength, wire.ExtPostHandshakeAuth, wire.ExtCompressCertificate,
	wire.ExtServerCertificateType, wire.ExtClientCertificateType, wire.ExtHeartbeat,
}

// heartbeatPeerNotAllowedToSend is the heartbeat extension's mode (RFC 6520
// §2) for a sender that answers no HeartbeatRequest, as clasp does not.
const heartbeatPeerNotAllowedToSend = 2

// requiredFor13 are the extensions without which a TLS 1.3 offer cannot
// work (RFC 8446 §9.2).
var requiredFor13 = []wire.ExtensionType{wire.ExtSupportedVersions, wire.ExtKeyShare, wire.ExtSupportedGroups, wire.ExtSignatureAlgorithms}

// listsExtension reports whether the client may send ext: always when
// ClientHelloExtensions is unset, otherwise only when it is listed.
func (c *Config) listsExtension(ext wire.ExtensionType) bool {
	return c.ClientHelloExtensions == nil || slices.Contains(c.ClientHelloExtensions, uint16(ext))
}

// listsExtensionExplicitly reports whether ClientHelloExtensions names ext.
// Extensions clasp leaves out of some hellos (renegotiation_info and
// session_ticket in a TLS 1.3-only hello, padding everywhere) are sent
// only when named.
func (c *Config) listsExtensionExplicitly(ext wire.ExtensionType) bool {
	return slices.Contains(c.ClientHelloExtensions, uint16(ext))
}

// checkClientHelloExtensions rejects a list clasp cannot honour.
func (c *Config) checkClientHelloExtensions(offers13 bool) error {
	list := c.ClientHelloExtensions
	if list == nil {
		return nil
	}
	seen := make(map[uint16]bool)
	for i, code := range list {
		ext := wire.ExtensionType(code)
		if !slices.Contains(fillableExtensions, ext) {
			return &configError{fmt.Sprintf("ClientHelloExtensions lists %s (%d), which clasp cannot fill", ext, code)}
		}
		if seen[code] {
			return &configError{fmt.Sprintf("ClientHelloExtensions lists %s twice", ext)}
		}
		seen[code] = true
		if ext == wire.ExtPreSharedKey && i != len(list)-1 {
			return &configError{"ClientHelloExtensions must list pre_shared_key last (RFC 8446 §4.2.11)"}
		}
	}
	if offers13 {
		for _, ext := range requiredFor13 {
			if !seen[uint16(ext)] {
				return &configError{fmt.Sprintf("ClientHelloExtensions leaves out %s, without which TLS 1.3 cannot be offered", ext)}
			}
		}
	}
	return nil
}

// addListedExtras adds the extensions clasp sends only when they are
// listed: renegotiation_info and session_ticket in a TLS 1.3-only hello
// (harmless there, and some clients send them), heartbeat (for probers:
// clasp itself has no use for it), and the padding
// placeholder that sizedForWire fills in.
func addListedExtras(cfg *Config, offer *clientOffer, verifyData []byte) {
	has := func(t wire.ExtensionType) bool {
		return slices.ContainsFunc(offer.hello.Extensions, func(e wire.Extension) bool { return e.ExtType() == t })
	}
	if cfg.listsExtensionExplicitly(wire.ExtRenegotiationInfo) && !has(wire.ExtRenegotiationInfo) {
		offer.hello.Extensions = append(offer.hello.Extensions, &wire.RenegotiationInfoExt{Data: append([]byte{}, verifyData...)})
	}
	if cfg.listsExtensionExplicitly(wire.ExtSessionTicket) && !has(wire.ExtSessionTicket) && !cfg.SessionTicketsDisabled {
		offer.hello.Extensions = append(offer.hello.Extensions, &wire.SessionTicketExt{})
	}
	if cfg.listsExtensionExplicitly(wire.ExtHeartbeat) {
		offer.hello.Extensions = append(offer.hello.Extensions, &wire.UnknownExt{Code: wire.ExtHeartbeat, Data: []byte{heartbeatPeerNotAllowedToSend}})
	}
	if cfg.listsExtensionExplicitly(wire.ExtPadding) {
		offer.hello.Extensions = append(offer.hello.Extensions, &wire.PaddingExt{})
	}
}

// orderExtensions puts exts in the order of ClientHelloExtensions and
// drops what it does not list. A cookie it does not list goes before
// pre_shared_key, where clasp puts it by default: a HelloRetryRequest's
// cookie must be echoed (RFC 8446 §4.2.2).
func orderExtensions(list []uint16, exts []wire.Extension) []wire.Extension {
	if list == nil {
		return exts
	}
	out := make([]wire.Extension, 0, len(exts))
	for _, code := range list {
		for _, e := range exts {
			if uint16(e.ExtType()) == code {
				out = append(out, e)
			}
		}
	}
	if !slices.Contains(list, uint16(wire.ExtCookie)) {
		for _, e := range exts {
			if cookie, ok := e.(*wire.CookieExt); ok {
				out = insertBeforePSK(out, cookie)
			}
		}
	}
	return out
}

// Padding (RFC 7685): some middleboxes mishandle a ClientHello whose
// handshake message is 256 to 511 bytes long, so a client that pads grows
// such a hello to 512.
const (
	paddingRangeLow  = 0x100
	paddingTarget    = 0x200
	extensionHeading = 4 // extension type and length
)

// sizedForWire returns the hello to write: the padding placeholder sized
// for this hello, or removed when the hello needs none. The hello itself
// keeps the placeholder, so that a second hello after a HelloRetryRequest
// is padded for its own size.
func sizedForWire(hello *wire.ClientHello) (*wire.ClientHello, error) {
	i := slices.IndexFunc(hello.Extensions, func(e wire.Extension) bool { _, ok := e.(*wire.PaddingExt); return ok })
	if i < 0 {
		return hello, nil
	}
	out := *hello
	out.Extensions = slices.Delete(slices.Clone(hello.Extensions), i, i+1)
	raw, err := out.Marshal()
	if err != nil {
		return nil, err
	}
	if n := len(raw); n >= paddingRangeLow && n < paddingTarget {
		// The padding extension's own heading counts towards the 512; a
		// gap too small for it gets one byte of padding and overshoots.
		pad := paddingTarget - n - extensionHeading
		if pad < 1 {
			pad = 1
		}
		out.Extensions = slices.Insert(out.Extensions, i, wire.Extension(&wire.PaddingExt{Length: pad}))
	}
	return &out, nil
}

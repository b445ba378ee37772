package trace

import (
	"fmt"

	"github.com/clasp-tls/clasp/internal/wire"
)

// The story of TLS 1.3 pre-shared keys (RFC 8446 §4.2.11): a ticket from
// an earlier session, or an external PSK agreed outside TLS. The wire
// tells them apart by the obfuscated age: a ticket's is its age plus the
// server's random ticket_age_add, and an external identity's is 0, as
// §4.2.11 asks ("For identities established externally, an
// obfuscated_ticket_age of 0 SHOULD be used"; clasp and OpenSSL do so).
// A ticket whose sum is 0 has a chance of 1 in 2^32.

// offeredPSK is one identity of a ClientHello's pre_shared_key.
type offeredPSK struct {
	identity []byte
	external bool
}

// offeredPSKsOf lists the identities a ClientHello offers.
func offeredPSKsOf(ch *wire.ClientHello) []offeredPSK {
	ext, ok := wire.FindExtension[*wire.PreSharedKeyExt](ch.Extensions)
	if !ok {
		return nil
	}
	out := make([]offeredPSK, len(ext.Identities))
	for i, id := range ext.Identities {
		out[i] = offeredPSK{identity: id.Identity, external: id.ObfuscatedTicketAge == 0}
	}
	return out
}

// offersExternalPSK says the last ClientHello offered an external PSK.
func (t *storyTracer) offersExternalPSK() bool {
	for _, p := range t.offeredPSKs {
		if p.external {
			return true
		}
	}
	return false
}

// pskName is an external identity as the story shows it: quoted, and cut
// after 60 characters.
func pskName(identity []byte) string {
	return fmt.Sprintf("%.60q", identity)
}

// preSharedKeyStory tells a ClientHello's offered identities, each as a
// ticket or an external PSK with its binder, or the one a ServerHello
// selected.
func (t *storyTracer) preSharedKeyStory(e *wire.PreSharedKeyExt) (key string, args []any, sub [][]any) {
	if len(e.Identities) == 0 {
		n := int(e.SelectedIdentity)
		if n < len(t.offeredPSKs) && t.offeredPSKs[n].external {
			t.externalPSK = pskName(t.offeredPSKs[n].identity)
			return "ext.psk_selected_external", []any{"n", n + 1, "identity", t.externalPSK}, nil
		}
		return "ext.psk_selected", []any{"n", n + 1}, nil
	}
	key, args = "ext.psk_offered", []any{"count", len(e.Identities)}
	if t.offersExternalPSK() {
		key = "ext.psk_offered_external"
	}
	for i, id := range e.Identities {
		binder := []byte(nil)
		if i < len(e.Binders) {
			binder = e.Binders[i]
		}
		if id.ObfuscatedTicketAge == 0 {
			sub = append(sub, []any{"ext.psk_identity_external", "n", i + 1, "identity", pskName(id.Identity),
				"bytes", len(id.Identity), "binder", t.shortHex(binder)})
			continue
		}
		sub = append(sub, []any{"ext.psk_identity", "n", i + 1, "bytes", len(id.Identity),
			"age", id.ObfuscatedTicketAge, "binder", t.shortHex(binder)})
	}
	return key, args, sub
}

package clasp

import (
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/wire"
)

// record_size_limit (RFC 8449). Each side announces the largest protected
// record plaintext it is willing to receive, and limits the protected
// records it writes to what its peer announced. clasp reads records of any
// size the protocol allows, so it announces the protocol maximum; what it
// honours is the peer's limit, which a constrained peer sets lower.

// ourRecordSizeLimit is the limit clasp announces: 2^14+1 in TLS 1.3,
// where the limit counts the content type byte of TLSInnerPlaintext, and
// 2^14 in TLS 1.2 and below (RFC 8449 §4). A client offering both versions
// announces the TLS 1.3 value, as NSS does; a TLS 1.2 server treats it as
// 2^14.
func ourRecordSizeLimit(tls13 bool) uint16 {
	if tls13 {
		return wire.MaxRecordSizeLimitTLS13
	}
	return wire.MaxRecordSizeLimitTLS12
}

// peerPlaintextLimit is the largest plaintext clasp puts in one protected
// record for a peer that announced limit. In TLS 1.3 the limit includes the
// content type byte (and padding, which clasp does not send), so the
// content gets one byte less; in TLS 1.2 it covers the plaintext, "all
// input to compression and encryption". A limit above the protocol maximum
// leaves the protocol maximum: "Even if a larger record size limit is
// provided by a peer, an endpoint MUST NOT send records larger than the
// protocol-defined limit".
func peerPlaintextLimit(limit uint16, tls13 bool) int {
	n := int(limit)
	if tls13 {
		n--
	}
	return min(n, record.MaxPlaintext)
}

// checkServerRecordSizeLimit applies the client's side of RFC 8449 §4: "A
// client MAY abort the handshake with an "illegal_parameter" alert if the
// record_size_limit extension includes a value greater than the maximum
// record size permitted by the negotiated protocol version". clasp does:
// no extension it knows of allows more. (A server "MUST NOT enforce this
// restriction" on the client's value, and clasp's does not.)
func checkServerRecordSizeLimit(e *wire.RecordSizeLimitExt, tls13 bool) error {
	if max := ourRecordSizeLimit(tls13); e.Limit > max {
		return wire.Errorf(wire.AlertIllegalParameter, "server's record_size_limit %d exceeds the protocol maximum of %d", e.Limit, max)
	}
	return nil
}

package record

import (
	"bytes"
	"fmt"

	"github.com/clasp-tls/clasp/internal/wire"
)

// NotTLSError reports that the first bytes from the peer are not a TLS
// record header, so the peer speaks some other protocol: a plain HTTP
// server on the TLS port, an SSH or SMTP banner, a STARTTLS service that
// expects its own greeting first. It lets the diagnosis code say so in plain
// words instead of reporting a decoding failure.
type NotTLSError struct {
	// Prefix is what had arrived when the decision was made (at most 64
	// bytes).
	Prefix []byte
	// Protocol names the protocol that Prefix looks like ("HTTP",
	// "SSH", ...), or is empty when it is not recognised.
	Protocol string
}

func (e *NotTLSError) Error() string {
	if e.Protocol != "" {
		return fmt.Sprintf("peer is not speaking TLS: its first bytes %q look like %s", e.Prefix, e.Protocol)
	}
	return fmt.Sprintf("peer is not speaking TLS: first bytes %x are not a TLS record header", e.Prefix)
}

// maxNotTLSPrefix bounds NotTLSError.Prefix.
const maxNotTLSPrefix = 64

func newNotTLSError(prefix []byte) *NotTLSError {
	prefix = bytes.Clone(prefix[:min(len(prefix), maxNotTLSPrefix)])
	return &NotTLSError{Prefix: prefix, Protocol: guessProtocol(prefix)}
}

// bannerPrefixes maps the opening bytes of other protocols, as seen on a
// port where TLS was expected, to their names.
var bannerPrefixes = []struct{ prefix, protocol string }{
	{"HTTP/", "an HTTP response"},
	{"GET ", "an HTTP request"},
	{"POST ", "an HTTP request"},
	{"HEAD ", "an HTTP request"},
	{"PUT ", "an HTTP request"},
	{"DELETE ", "an HTTP request"},
	{"OPTIONS ", "an HTTP request"},
	{"CONNECT ", "an HTTP request"},
	{"PATCH ", "an HTTP request"},
	{"PRI * HTTP/2", "a cleartext HTTP/2 preface"},
	{"SSH-", "an SSH banner"},
	{"220 ", "an SMTP or FTP greeting (try STARTTLS or implicit-TLS port)"},
	{"220-", "an SMTP or FTP greeting (try STARTTLS or implicit-TLS port)"},
	{"* OK", "an IMAP greeting (try STARTTLS or port 993)"},
	{"+OK", "a POP3 greeting (try STLS or port 995)"},
}

func guessProtocol(prefix []byte) string {
	for _, b := range bannerPrefixes {
		if n := min(len(prefix), len(b.prefix)); n >= 3 && bytes.Equal(prefix[:n], []byte(b.prefix[:n])) {
			return b.protocol
		}
	}
	if wire.IsV2ClientHelloHeader(prefix) {
		return "an SSL 2.0-compatible ClientHello (not supported)"
	}
	return ""
}

// LooksLikeTLS reports whether b, the first bytes of a record (any number of
// them, up to the full 5-byte header), could start a TLS record: a known
// content type and major version 3 (any minor version: RFC 5246 Appendix
// E.1 has servers accept {03,XX} in a ClientHello's record), or an unknown
// content type under a version TLS has used, {03,00} to {03,04}. It is
// meant for telling "not TLS at all" from "TLS that failed", not for
// validating records: a TLS header with an oversized length is TLS that
// failed, and RFC 8446 §5.1 answers it with record_overflow, not silence;
// an unknown content type in a TLS header is TLS too, and RFC 8446 §5 (RFC
// 5246 §6) answers it with unexpected_message, as OpenSSL does.
func LooksLikeTLS(b []byte) bool { return plausibleHeader(b) }

func plausibleHeader(b []byte) bool {
	if len(b) >= 2 && b[1] != 3 {
		return false
	}
	if len(b) >= 1 && (b[0] < 20 || b[0] > 24) {
		// One byte cannot tell; two leave the minor version to come. An
		// SSL 2.0 CLIENT-HELLO whose length ends in 03 is not TLS.
		return len(b) == 2 || len(b) >= 3 && b[2] <= 4 && !wire.IsV2ClientHelloHeader(b)
	}
	return true
}

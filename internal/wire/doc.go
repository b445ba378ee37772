// Package wire turns TLS bytes into typed values and back: every TLS 1.2
// handshake message, the hello extensions clasp understands, alerts and
// ChangeCipherSpec. It knows bytes and structs only: no I/O, no crypto, no
// connection state. What the bytes cannot say (the negotiated version and key
// exchange) comes in a Context.
//
// Conventions, relied on by the round-trip tests and by callers:
//
//   - Untrusted bytes are read only through cryptobyte.String, and messages
//     are built only with builder (builder.go: cryptobyte.Builder's methods
//     over one pooled buffer), so no length is computed by hand. Parsed values copy their bytes; they never alias the input.
//   - Empty byte vectors parse to nil. The one place where "absent" and
//     "empty" differ on the wire, a hello's extensions block, is kept apart:
//     nil means no block, a non-nil empty slice means an empty block.
//   - Everything the peer sent is kept in wire order, unknown code points
//     included (cipher suites, groups, schemes, *UnknownExt), so a trace shows
//     what was on the wire and a parsed message re-marshals byte for byte.
//   - Errors are *Error values carrying the alert to send: decode_error for
//     anything that breaks the RFC's syntax (bad lengths, vectors outside
//     their bounds, trailing bytes), unexpected_message for a message type
//     that cannot come next, and the RFC's own alert where it names one
//     (illegal_parameter, as OpenSSL sends, for a duplicated extension). Checks that need to know what was offered or
//     negotiated (a ServerHello's suite, its extensions, compression method
//     0, Finished contents) are the handshake driver's.
//   - Marshal refuses values its parser would refuse, with internal_error:
//     sending them would only make the peer fail less clearly.
//
// TLS 1.3 (RFC 8446) messages whose shape changed are separate types
// (Certificate13, CertificateRequest13, NewSessionTicket13), selected by
// Context.Version; ClientHello, ServerHello, CertificateVerify and Finished
// are shared. A HelloRetryRequest is a *ServerHello whose Random is
// HelloRetryRequestRandom: ParseServerHello notices it and reads the
// extensions in their HRR shapes. Which message may carry which extension is
// one table, in extensions.go.
package wire

// Package scan probes a TLS server the many ways one handshake cannot: which
// protocol versions it speaks, which cipher suites it accepts for each and in
// what order, which key exchange groups it takes. It is the engine behind
// `clasp scan`, and the one connect's diagnosis is to use for "what does the
// server accept" (one engine, not two).
//
// # Probes and the Runner
//
// A Probe is a ClientHello shaped exactly as asked: any legacy_version and
// supported_versions, any cipher suite code points (including the many
// clasp cannot run), any groups, key shares, signature schemes and extra
// extensions. The Runner sends it on a fresh TCP connection and reads only as
// far as the server's answer: the ServerHello (or HelloRetryRequest), and for
// TLS 1.2 and below, when the probe asks, the rest of the server's first
// flight up to ServerHelloDone (Certificate, ServerKeyExchange). A TLS 1.3
// ServerHello is in the clear, so its suite and key_share group are known
// without finishing the handshake; nothing is ever encrypted or decrypted.
// Each probe ends in a Result with an Outcome: accepted (version, suite,
// group), hello_retry_request (the group the server asks for), alert (its
// description), closed, timeout, not_tls, malformed or unreachable.
//
// The Runner bounds the connections open at once (MaxConnections, default
// 8) and gives each probe a deadline (Timeout, default 5 s); it counts the
// connections it makes.
//
// # Checks
//
// A check is a function of a Runner and a target that sends probes and
// returns typed results: Versions (SSL 3.0 to TLS 1.3, each decided by the
// server's answer to a hello offering that version alone), Suites (per
// version, by offering the registry's whole list and removing the accepted
// suite until the server refuses: O(accepted) connections, the server's
// preference order, and whether it follows the client's order instead),
// Groups (TLS 1.3 key_share one group at a time, a HelloRetryRequest
// counting as supported, then the accepted ones by elimination with a share
// each for their order; TLS 1.2 ECDHE groups by elimination, read from the
// ServerKeyExchange). Scan runs them all and returns a Report, which
// marshals to the JSON documented in docs/scan-json.md.
//
// # Weaknesses
//
// After the tables, Scan probes SSL 2.0 (its own CLIENT-HELLO format, and a
// TLS hello in that format), version intolerance and TLS_FALLBACK_SCSV,
// and the known weaknesses: some read from the tables (POODLE, SWEET32,
// FREAK, Logjam, RC4, BEAST, DROWN), some from one more hello (CRIME,
// renegotiation_info, extended master secret, the DH prime), and some by
// talking past the server's first flight on a raw connection (Heartbleed,
// CCS injection, ROBOT, Ticketbleed; rawconn.go). Each is a Finding with a
// status, a severity and its evidence; the Grade is the worst severity's
// letter (docs/scan-grading.md).
package scan

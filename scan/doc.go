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
// Once suites and groups are known, more checks run together
// (strength.go): Certificates asks for the chain once per kind of key (only
// that kind's schemes and suites offered) with and without SNI and judges
// each (certinfo.go, chain.go); a TLS 1.3-only server's encrypted chain
// comes from a handshake of clasp's own client. Signature schemes: TLS 1.3
// by bisecting signature_algorithms (a server refuses before its
// ServerHello when no offered scheme fits its keys), TLS 1.2 by
// elimination over the ServerKeyExchange. DHE: the prime of the
// ServerKeyExchange named against data/dh_groups.txt and RFC 7919, and the
// RFC 7919 groups the server negotiates. Each accepted suite then gets its
// Strength from the registry and those findings.
//
// # Client simulation and compliance
//
// A ClientProfile (one JSON file per client in clients/, embedded) is the
// ClientHello a real client sends, without what changes per connection,
// plus the limits it applies to the answer (versions, DH and RSA sizes)
// and its source. The profiles of the clients installed on the test
// machine are captured from them by TestCapturedClientProfiles, which fails
// when a file drifts from what the client sends; the others come from
// testssl.sh's copy of SSL Labs' client list (checked against it when
// installed) or from vendors' documentation, with what is uncertain named.
// SimulateClients sends each profile's hello as a Probe and judges the
// answer as that client would; a refusal is explained from the Report
// (no common version, suite or group). MozillaGuidelines.Check compares a
// Report with Mozilla's modern, intermediate and old profiles (version 5.7,
// compliance/mozilla-5.7.json) and names each deviation.
// # Whole handshakes
//
// Resumption (resumption.go), renegotiation (renegotiation.go), ALPN
// (extensions.go) and the fleet run (fleet.go) need more than the server's
// first answer: for them the scan is a clasp client (handshake.go), with
// every suite, group and scheme clasp can run and no certificate
// verification, and a Tracer keeps what the server sent. Fleet makes N
// connections per resumption mechanism, each offering the previous one's
// session, and tells backends apart by certificate, ServerHello shape and
// ticket key name; its findings and fixes are data (fleet_texts.json).
//
// # Weaknesses
//
// Last, Scan probes SSL 2.0 (its own CLIENT-HELLO format, and a TLS hello
// in that format), version intolerance and TLS_FALLBACK_SCSV, and the
// known weaknesses: some read from what the scan already found (POODLE,
// SWEET32, FREAK, RC4, BEAST, anonymous, NULL and sub-112-bit suites
// from the tables, DROWN from the certificates; Logjam from the DHE parameters; CRIME and extended master
// secret from the extension probes; insecure renegotiation from the
// renegotiation check), and some by talking past the server's first
// flight on a raw connection (Heartbleed, CCS injection, ROBOT,
// Ticketbleed; rawconn.go). Each is a Finding with a status, a severity
// and its evidence; the Grade is the worst severity's letter
// (docs/scan-grading.md).
package scan

// Package peertest starts real TLS peers — OpenSSL, GnuTLS, NSS and curl —
// for interoperability tests. It is imported only from _test.go files.
//
// A test gets the shared throwaway PKI with NewPKI, starts a peer server
// with StartOpenSSLServer, StartGnuTLSServer or StartNSSServer (each waits
// until the server listens on a free 127.0.0.1 port and stops it when the
// test ends), or runs a peer client to completion with RunOpenSSLClient,
// RunGnuTLSClient, RunNSSClient or RunCurl (each bounded by 20 s). Every
// command line is logged with t.Logf, so a failing test shows how to
// reproduce the peer by hand. Peers are looked up with Require: a missing
// one skips the test, except under CI=true, where it fails it.
//
// # One TLS 1.2 suite per peer
//
// Interop tests usually need each peer to speak TLS 1.2 and exactly one
// cipher suite. The helpers take the IANA name (SuiteNames lists the 27
// known ones: ECDHE_ECDSA and ECDHE_RSA with AES_128/256_GCM, CHACHA20,
// AES_128/256_CBC_SHA, AES_128_CBC_SHA256, AES_256_CBC_SHA384; DHE_RSA with
// AES_128/256_GCM, CHACHA20, AES_128/256_CBC_SHA and _SHA256; RSA with
// AES_128/256_GCM, AES_128/256_CBC_SHA and _SHA256), and give, for
// TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256:
//
//	OpenSSL  OpenSSLCipherArgs  -tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256
//	curl     CurlCipherArgs     --tlsv1.2 --tls-max 1.2 --ciphers ECDHE-ECDSA-AES128-GCM-SHA256
//	GnuTLS   GnuTLSPriority     NONE:+VERS-TLS1.2:+ECDHE-ECDSA:+AES-128-GCM:+AEAD:+SIGN-ALL:+COMP-NULL:+GROUP-ALL
//	NSS      NSSCipherArgs      -V tls1.2:tls1.2 -c :C02B
//
// and PKI.LeafFor picks the certificate the suite needs (ECDSA for
// ECDHE_ECDSA, RSA otherwise). Every row has been negotiated between the
// peers themselves (TestPeerFlagsAllSuites) with OpenSSL 3.0.x, GnuTLS 3.7.9
// and NSS 3.87.
//
// Quirks found on the way, kept here so nobody has to find them again:
//
//   - OpenSSL: -cipher covers TLS 1.2 and below only (TLS 1.3 suites are
//     -ciphersuites); -tls1_2 takes TLS 1.3 out. At OpenSSL 3.0's default
//     security level 1 every suite above works, static RSA and SHA-1 MACs
//     included, so no @SECLEVEL is added. SECLEVEL=0 (append ":@SECLEVEL=0"
//     to the -cipher string) is needed only for SHA-1 signatures, TLS
//     1.0/1.1 or short keys. Debian builds OpenSSL without 3DES and RC4
//     suites. s_client's "New, TLSv1.0, Cipher is X" shows the version that
//     introduced the cipher, not the negotiated one; read "Protocol  :".
//   - GnuTLS has no per-suite switch: from NONE, one key exchange, one cipher
//     and one MAC ("AEAD" for AEAD ciphers) leave exactly one suite. Its
//     session line omits the MAC for AEAD suites:
//     "(TLS1.2-X.509)-(RSA)-(AES-128-GCM)". GnuTLS and OpenSSL negotiate
//     encrypt_then_mac for CBC suites (crypto/tls never offers it); rule it
//     out with ":%NO_ETM" or -no_etm. gnutls-serv requests a client
//     certificate unless given --disable-client-cert, and binds the wildcard
//     address.
//   - NSS tools name suites by hex code point after a colon (":C02B"; see
//     `tstclnt -Y`); letters exist only for a few old suites. -c disables all
//     suites and enables the listed ones; DHE needs no -H 1 in selfserv 3.87
//     once named. NSS files certificates by subject, so the PKI gives every
//     leaf its own subject (OU=rsa, ...) and NSS nickname. NSS 3.87 cannot
//     import Ed25519 keys. tstclnt never exits once its stdin is at
//     end-of-file, so RunNSSClient feeds the data with -A FILE instead;
//     tstclnt does not print the suite's name. NSS accepts a notBefore up
//     to two days ahead (certdb.c's pendingSlop) and reports a certificate
//     that is not yet valid as SEC_ERROR_EXPIRED_CERTIFICATE; NSS 3.87
//     accepts SHA-1 signed certificates. Without -n, tstclnt picks a client
//     certificate from its database by itself, so PKI.NSSDB's "client" goes
//     out to any server that names the PKI's CA. A stapled OCSP response is
//     checked only with -T -O -F, which reports "revoked" as exit status 3
//     and no text; a CRL imported with crlutil gives a message.
//   - s_server -Verify 1 refuses a missing client certificate but carries
//     on with an untrusted one unless -verify_return_error is given.
//   - nginx 1.22 enables TLS 1.3 neither for clients (ssl_protocols) nor
//     upstream (proxy_ssl_protocols) by default, and sends no SNI upstream
//     unless proxy_ssl_server_name is on.
//   - curl on Debian uses OpenSSL, so it takes OpenSSL suite names.
//   - crypto/tls (the stand-in for clasp in this package's own tests) has no
//     DHE suites, and uses static RSA and CBC suites only when they are
//     listed in Config.CipherSuites.
//
// # TLS 1.3
//
// SuiteNames13 lists the three TLS 1.3 suites every peer enables, and
// OpenSSLTLS13Args (-tls1_3 -ciphersuites NAME), GnuTLSPriority13
// (NONE:+VERS-TLS1.3:+AES-128-GCM:+AEAD:+SIGN-ALL:+COMP-NULL:+GROUP-ALL, no
// key exchange keyword) and NSSTLS13Args (-V tls1.3:tls1.3 -c :1301) pin
// TLS 1.3 and one suite, or all three for "" (TestPeerFlagsTLS13). Resumption:
// s_client -sess_out FILE / -sess_in FILE ("Reused, TLSv1.3"), gnutls-cli
// --resume ("*** This is a resumed session"; it waits only briefly for a
// ticket, so the server should write soon after the handshake), tstclnt -L 2
// ("1 stateless resumes" with -v; tstclnt 3.87 aborts when -L is combined
// with -c), selfserv -u (no TLS 1.3 tickets without it). KeyUpdate: s_server
// and s_client send one on the stdin commands "k" (update_not_requested) and
// "K" (update_requested); StartOpenSSLClient keeps s_client's stdin open for
// them. s_server's "SSL_do_handshake -> 1" goes through a buffered stdout and
// may never appear; -msg output ("KeyUpdate") is flushed. s_server -stateless
// is unusable over TCP in OpenSSL 3.0 (it fails after its HelloRetryRequest).
// OpenSSL 3.0, GnuTLS 3.7 and NSS 3.87 have no ML-KEM group. crypto/tls and
// gnutls-serv put an empty status_request extension in their TLS 1.3
// CertificateRequest (RFC 8446 §4.4.2.1); OpenSSL and NSS do not.
//
// When nothing the client offers is acceptable, s_server answers with a
// fatal handshake_failure alert and prints "no shared cipher"
// (TestNoCommonSuite).
//
// # Ports
//
// Servers listen on 127.0.0.1 ports found with FreePort. A port is free
// when chosen but may be taken before the peer binds it; the Start functions
// retry on a fresh port when the peer reports "address in use", and they
// confirm readiness by finding the listening socket in /proc among the
// peer's own file descriptors rather than by connecting, so no probe
// connection shows up in the peer's output or counts against -naccept.
package peertest

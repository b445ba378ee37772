package clasp

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync/atomic"
	"time"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/sessions"
	"github.com/clasp-tls/clasp/trace"
)

// Protocol versions, with the values and names of crypto/tls. Like
// crypto/tls's they are untyped constants, so `var v int = VersionTLS12`
// compiles after the import swap as it did before.
const (
	VersionTLS10 = 0x0301
	VersionTLS11 = 0x0302
	VersionTLS12 = 0x0303
	VersionTLS13 = 0x0304
)

// CurveID is a named group code point (the name crypto/tls uses).
type CurveID = suites.Group

// Named groups.
const (
	// X25519MLKEM768 is the hybrid post-quantum group (ML-KEM-768 with
	// X25519), first in clasp's default TLS 1.3 offer.
	X25519MLKEM768 = suites.X25519MLKEM768
	// SecP256r1MLKEM768 and SecP384r1MLKEM1024 join ML-KEM with a NIST
	// curve (draft-ietf-tls-ecdhe-mlkem), for deployments that need
	// FIPS-approved halves; second and third in the default offer, as in
	// Go 1.26's crypto/tls.
	SecP256r1MLKEM768  = suites.SecP256r1MLKEM768
	SecP384r1MLKEM1024 = suites.SecP384r1MLKEM1024
	X25519             = suites.X25519
	CurveP256          = suites.Secp256r1
	CurveP384          = suites.Secp384r1
	CurveP521          = suites.Secp521r1
	FFDHE2048          = suites.FFDHE2048
	FFDHE3072          = suites.FFDHE3072
	FFDHE4096          = suites.FFDHE4096
	FFDHE6144          = suites.FFDHE6144
	FFDHE8192          = suites.FFDHE8192
)

// TLS 1.3 PSK key exchange modes (RFC 8446 §4.2.9), for
// Config.PSKKeyExchangeModes.
const (
	PSKModePlainKE uint8 = 0 // psk_ke: the PSK alone, no forward secrecy
	PSKModeDHEKE   uint8 = 1 // psk_dhe_ke: the PSK with a fresh (EC)DHE exchange
)

// SignatureScheme is a signature scheme code point.
type SignatureScheme = suites.SignatureScheme

// Signature schemes, with crypto/tls's names.
const (
	PKCS1WithSHA1          = suites.PKCS1WithSHA1
	PKCS1WithSHA256        = suites.PKCS1WithSHA256
	PKCS1WithSHA384        = suites.PKCS1WithSHA384
	PKCS1WithSHA512        = suites.PKCS1WithSHA512
	PSSWithSHA256          = suites.PSSWithSHA256
	PSSWithSHA384          = suites.PSSWithSHA384
	PSSWithSHA512          = suites.PSSWithSHA512
	ECDSAWithP256AndSHA256 = suites.ECDSAWithP256AndSHA256
	ECDSAWithP384AndSHA384 = suites.ECDSAWithP384AndSHA384
	ECDSAWithP521AndSHA512 = suites.ECDSAWithP521AndSHA512
	ECDSAWithSHA1          = suites.ECDSAWithSHA1
	Ed25519                = suites.Ed25519
	// DSA for the DHE_DSS suites of old peers (RFC 5246 §7.4.1.4.1), used
	// only when SignatureSchemes names them; crypto/tls has none.
	DSAWithSHA1   = suites.DSAWithSHA1
	DSAWithSHA256 = suites.DSAWithSHA256
)

// Certificate is a certificate chain and the private key of its leaf. It has
// the shape of crypto/tls.Certificate so that code moves over unchanged.
type Certificate struct {
	// Certificate is the chain in DER, leaf first.
	Certificate [][]byte
	// PrivateKey is the leaf's key: a crypto.Signer (RSA, ECDSA, Ed25519);
	// an RSA key must also be a crypto.Decrypter for RSA key exchange.
	PrivateKey crypto.PrivateKey
	// Leaf is the parsed leaf; filled in lazily when nil.
	Leaf *x509.Certificate
	// OCSPStaple is a DER OCSP response for the leaf, which a server
	// staples for clients that ask (status_request, RFC 6066 §8).
	OCSPStaple []byte
	// SignedCertificateTimestamps are SCTs for the leaf (RFC 6962 §3.3),
	// which a server sends to clients that ask.
	SignedCertificateTimestamps [][]byte
	// SupportedSignatureAlgorithms, when set, restricts the schemes this
	// certificate's key signs with (a key in hardware that can do only
	// some): the Config's schemes in their order, less the others.
	SupportedSignatureAlgorithms []SignatureScheme
}

// ClientHelloInfo is what a server knows about a client when it chooses a
// certificate.
type ClientHelloInfo struct {
	ServerName        string
	CipherSuites      []uint16
	SupportedCurves   []CurveID
	SignatureSchemes  []SignatureScheme
	SupportedProtos   []string
	SupportedVersions []uint16
	Conn              net.Conn
	// Extensions lists the code points of the hello's extensions, in the
	// order sent (GREASE values included).
	Extensions []uint16
	// SupportedPoints is the ec_point_formats list (RFC 8422 §5.1.2).
	SupportedPoints []uint8
	// HelloRetryRequest is true for the second ClientHello of a TLS 1.3
	// handshake, the answer to a HelloRetryRequest.
	HelloRetryRequest bool

	ctx    context.Context
	config *Config
}

// ClientAuthType is a server's policy for client certificates, with the
// names and meanings of crypto/tls.
type ClientAuthType int

// Client certificate policies.
const (
	// NoClientCert sends no CertificateRequest.
	NoClientCert ClientAuthType = iota
	// RequestClientCert asks for a certificate but accepts none, unverified.
	RequestClientCert
	// RequireAnyClientCert requires a certificate but does not verify it.
	RequireAnyClientCert
	// VerifyClientCertIfGiven verifies a certificate if one is sent.
	VerifyClientCertIfGiven
	// RequireAndVerifyClientCert requires a certificate that verifies.
	RequireAndVerifyClientCert
)

// CertificateRequestInfo is what a server asked for in CertificateRequest.
type CertificateRequestInfo struct {
	// AcceptableCAs are the DER distinguished names of the CAs the server
	// accepts; empty means any.
	AcceptableCAs [][]byte
	// SignatureSchemes are the schemes the server accepts.
	SignatureSchemes []SignatureScheme
	// Version is the negotiated version.
	Version uint16

	ctx context.Context
}

// Config configures a client or a server. A Config may be shared by many
// connections and must not be modified while in use. The zero value is a
// valid client configuration with clasp's secure defaults.
type Config struct {
	// Rand supplies all randomness; crypto/rand.Reader when nil. Tests
	// inject a deterministic reader to make handshakes reproducible.
	Rand io.Reader
	// Time returns the current time; time.Now when nil.
	Time func() time.Time

	// Certificates are this side's chains. A server picks one per
	// connection by SNI and by the key type the chosen suite needs.
	Certificates []Certificate
	// GetCertificate, when set on a server, chooses the certificate from the
	// ClientHello; returning (nil, nil) falls back to Certificates.
	GetCertificate func(*ClientHelloInfo) (*Certificate, error)
	// NameToCertificate maps a server name to its certificate; a server
	// takes the entry for the client's SNI name (or its "*.parent"
	// wildcard) before looking at Certificates.
	//
	// Deprecated: as in crypto/tls, one name can map to one certificate
	// only; leave it nil and clasp picks from Certificates by SNI and key
	// type.
	NameToCertificate map[string]*Certificate
	// GetConfigForClient, when set on a server, is called after each
	// ClientHello and may return the Config to use for this connection
	// instead (nil keeps this one): per-client suites, versions or
	// certificates, as in crypto/tls. An error ends the handshake with
	// internal_error.
	GetConfigForClient func(*ClientHelloInfo) (*Config, error)

	// EncryptedClientHelloConfigList is a serialized ECHConfigList (RFC
	// 9849 §4). A client that has one encrypts its real ClientHello to
	// the first ECHConfig it supports and sends it inside an outer one
	// addressed to the config's public name (ech_client.go); it then
	// offers TLS 1.3 only (a MinVersion below it is an error), and the
	// handshake succeeds only if the server accepts: otherwise it returns
	// an *ECHRejectionError. A list with no usable config is an error.
	// Servers ignore it.
	EncryptedClientHelloConfigList []byte
	// EncryptedClientHelloRejectionVerify, when set, is called on a client
	// whose ECH offer the server rejected, to check the certificate the
	// server presented for the public name; normal verification does not
	// run then. When nil, the chain is verified against RootCAs for the
	// public name whatever InsecureSkipVerify says, and
	// VerifyPeerCertificate and VerifyConnection are not called (as in
	// crypto/tls).
	EncryptedClientHelloRejectionVerify func(ConnectionState) error
	// GetEncryptedClientHelloKeys, when set, gives a server the ECH keys
	// for a ClientHello that offers ECH, instead of
	// EncryptedClientHelloKeys. An error ends the handshake.
	GetEncryptedClientHelloKeys func(*ClientHelloInfo) ([]EncryptedClientHelloKey, error)
	// EncryptedClientHelloKeys are a server's ECH keys: a ClientHelloInner
	// encrypted to one of them is decrypted and answered instead of the
	// ClientHelloOuter (ech_server.go); when none decrypts it the server
	// answers the outer hello and sends the configs of the keys marked
	// SendAsRetry as retry_configs. Clients ignore it.
	EncryptedClientHelloKeys []EncryptedClientHelloKey
	// EncryptedClientHelloGREASEDisabled stops a client without an
	// EncryptedClientHelloConfigList from sending a GREASE
	// encrypted_client_hello in its TLS 1.3 hello. By default it sends one
	// (RFC 9849 §6.2: a client without a config SHOULD): random values of a
	// real offer's shape, so that connections with and without ECH look
	// alike on the wire and servers keep tolerating the extension. What a
	// server answers to it is checked and ignored. A hello whose extensions
	// are chosen by ClientHelloExtensions never carries one. crypto/tls
	// sends no GREASE ECH; set this to match its hello.
	EncryptedClientHelloGREASEDisabled bool

	// RootCAs are the roots a client trusts; the system roots when nil.
	RootCAs *x509.CertPool
	// ServerName is the name the client sends in SNI and checks in the
	// server's certificate.
	ServerName string
	// InsecureSkipVerify turns off certificate chain and host name checks.
	// Only for testing: the connection is then open to interception.
	InsecureSkipVerify bool
	// VerifyPeerCertificate, when set, is called after the normal checks
	// (or instead of them with InsecureSkipVerify) with the raw chain and
	// the verified chains; an error aborts the handshake with bad_certificate.
	VerifyPeerCertificate func(rawCerts [][]byte, verifiedChains [][]*x509.Certificate) error
	// VerifyConnection, when set, is called on both sides once per
	// handshake, full or resumed, after the certificate checks and
	// VerifyPeerCertificate, with the connection's state so far (as in
	// crypto/tls: a client calls it before its Finished, a server after
	// the client's certificate, or where it would have come). An error
	// aborts the handshake with bad_certificate.
	VerifyConnection func(ConnectionState) error
	// InsecureSkipKeyUsageCheck accepts a peer leaf whose keyUsage
	// extension forbids what the handshake does with its key (signing
	// without digitalSignature, RSA key exchange without keyEncipherment;
	// RFC 5280 §4.2.1.3), which clasp otherwise refuses with
	// unsupported_certificate. Only for deployments with such certificates
	// that cannot yet replace them; each use is reported in
	// ConnectionState.Warnings and the trace.
	InsecureSkipKeyUsageCheck bool
	// InsecureExporterWithoutEMS lets ConnectionState.ExportKeyingMaterial
	// work on a TLS 1.0-1.2 connection without extended master secret,
	// where the exported keys may equal another connection's (the triple
	// handshake attack, RFC 7627 §5.4); crypto/tls refuses the same unless
	// GODEBUG=tlsunsafeekm=1.
	InsecureExporterWithoutEMS bool

	// DynamicRecordSizingDisabled is accepted for crypto/tls
	// compatibility. clasp never sizes records dynamically (crypto/tls
	// starts connections with small records): each record carries as much
	// of a Write as the 16 KiB limit, or the peer's record_size_limit,
	// allows; so there is nothing to disable.
	DynamicRecordSizingDisabled bool

	// MinVersion and MaxVersion bound the protocol versions: TLS 1.2 and
	// TLS 1.3 when zero. Versions below TLS 1.2 must be named here explicitly and are
	// reported as weak when used.
	MinVersion uint16
	MaxVersion uint16
	// AcceptSSLv2ClientHello makes a server accept a first ClientHello in
	// the SSL 2.0 format (RFC 5246 Appendix E.2) for TLS 1.0–1.2 (and SSL
	// 3.0 when MinVersion allows it), as Java's JSSE sends it with
	// "SSLv2Hello" enabled. Such a hello has no extensions: no extended
	// master secret, no server name, no signature_algorithms (so TLS 1.2
	// signs with SHA-1), no renegotiation_info (only the SCSV). OpenSSL 3
	// accepts it by default; clasp only when named here, and the
	// connection carries a warning. A clasp client never sends one.
	AcceptSSLv2ClientHello bool

	// CipherSuites lists the TLS 1.2 and earlier suites in preference
	// order. When nil, clasp uses ECDHE with AEAD only. Suites outside that
	// default are allowed when listed here and reported as weak when used.
	// The legacy 3DES-EDE-CBC, RC4-128, NULL, DHE_DSS (DSA certificates;
	// in TLS 1.2 with a dsa_* scheme in SignatureSchemes) and anonymous
	// DH_anon/ECDH_anon suites (for old systems only) run only when listed
	// here; a connection that uses one carries a warning in
	// ConnectionState.Warnings and in its trace.
	CipherSuites []uint16
	// PreferServerCipherSuites is accepted for compatibility with
	// crypto/tls: a clasp server follows its own order by default.
	PreferServerCipherSuites bool
	// PreferClientCipherSuites makes a server follow the client's order.
	PreferClientCipherSuites bool

	// Groups lists the key exchange groups in preference order (ECDHE
	// curves and, for DHE, the RFC 7919 groups).
	Groups []CurveID
	// CurvePreferences is crypto/tls's name for Groups, used when Groups
	// is empty, so that a crypto/tls configuration works unchanged.
	CurvePreferences []CurveID
	// HelloRetryForPreferredGroup makes a TLS 1.3 server ask, with a
	// HelloRetryRequest, for the first of its Groups that the client
	// supports, even when the client sent a key share for another common
	// group. It costs a round trip and buys the server's choice: for
	// example X25519MLKEM768 from clients that support it but guessed
	// X25519. By default the server takes the first of its groups the
	// client sent a share for.
	HelloRetryForPreferredGroup bool
	// HelloRetryCookie makes a TLS 1.3 server put a cookie in its
	// HelloRetryRequest (RFC 8446 §4.2.2): the hash of the first
	// ClientHello and the group asked for, sealed like a ticket (see
	// TicketSealer), so that the second ClientHello proves it answers this
	// server's request; the server opens and checks it.
	HelloRetryCookie bool
	// SignatureSchemes lists the signature schemes this side accepts from
	// the peer and may use itself, in preference order.
	SignatureSchemes []SignatureScheme

	// ClientAuth is a server's policy for client certificates.
	ClientAuth ClientAuthType
	// ClientCAs are the roots a server verifies client certificates against;
	// their subjects are sent in CertificateRequest as the acceptable CAs.
	ClientCAs *x509.CertPool
	// GetClientCertificate, when set on a client, chooses the certificate to
	// send in answer to a CertificateRequest. Returning an empty Certificate
	// sends none.
	GetClientCertificate func(*CertificateRequestInfo) (*Certificate, error)

	// Renegotiation is the TLS 1.2 renegotiation policy (RFC 5746 only).
	Renegotiation RenegotiationSupport
	// InsecureLegacyRenegotiation makes a client behave as one from before
	// RFC 5746: its hellos carry no renegotiation_info, and Renegotiate
	// runs a new handshake that nothing binds to the previous one, which
	// lets an attacker splice its own traffic in front of the client's
	// (CVE-2009-3555). Dangerous: it exists to ask whether a server still
	// accepts such renegotiations (clasp scan does), and every connection
	// that uses it says so in ConnectionState.Warnings.
	InsecureLegacyRenegotiation bool
	// MaxRenegotiations bounds renegotiations per connection under
	// RenegotiateFreelyAsClient (those this side starts count too); 3 when
	// zero.
	MaxRenegotiations int

	// NextProtos lists the ALPN protocols in preference order.
	NextProtos []string

	// MiddleboxCompatDisabled turns off a client's TLS 1.3 middlebox
	// compatibility mode (RFC 8446 Appendix D.4): the ClientHello then
	// carries an empty legacy_session_id and no dummy change_cipher_spec is
	// sent. The mode is on by default because some middleboxes drop TLS
	// 1.3 handshakes that do not look like TLS 1.2 resumptions.
	MiddleboxCompatDisabled bool
	// ClientHelloExtensions, when set, fixes which extensions a client's
	// ClientHello carries and in what order, by code point: to look like a
	// given client, to probe a peer, or to reproduce a published trace.
	// Each listed extension is filled from the rest of the Config; one with
	// nothing to say in this hello (pre_shared_key without a ticket, cookie
	// before a HelloRetryRequest, early_data without 0-RTT, ALPN without
	// NextProtos) is left out. Listed renegotiation_info and session_ticket
	// are sent even in a TLS 1.3-only hello; listed padding pads a hello of
	// 256 to 511 bytes to 512 (RFC 7685: some middleboxes mishandle that
	// range); listed heartbeat (RFC 6520) is sent with the mode
	// peer_not_allowed_to_send, since clasp answers no heartbeat request,
	// and a server's heartbeat extension is then accepted (a prober sends
	// its own heartbeats). Extensions clasp would send but that are not listed are left
	// out, except a HelloRetryRequest's cookie, which goes before
	// pre_shared_key. A TLS 1.3 offer without supported_versions, key_share,
	// supported_groups or signature_algorithms, a code point clasp cannot
	// fill, or pre_shared_key anywhere but last is a configuration error.
	ClientHelloExtensions []uint16

	// HandshakeTimeout bounds each handshake of a connection from its
	// start to its end, however slowly the peer trickles its bytes: the
	// first one (whether Handshake, HandshakeContext, Read or Write starts
	// it) and every TLS 1.2 renegotiation, including one the peer starts
	// inside Read. A handshake that runs out of time fails with a
	// *HandshakeTimeoutError (errors.Is context.DeadlineExceeded) and leaves
	// the connection unusable; clasp sends no alert, since TLS has none for
	// a timeout, and the caller's Close just closes the transport (as
	// OpenSSL and crypto/tls do).
	//
	// Zero means no limit of clasp's own for Client, Server and Dial, as in
	// crypto/tls: the caller bounds the handshake with a context
	// (HandshakeContext, Dialer.DialContext, DialWithDialer's Timeout) or
	// with SetDeadline, and a context's deadline applies alongside this one.
	// A connection that Listen or NewListener accepts gets 10 seconds when
	// this is zero, because http.Server runs the handshake lazily inside its
	// first Read, which nothing bounds unless its ReadTimeout or
	// ReadHeaderTimeout is set. A negative value means no limit even there.
	HandshakeTimeout time.Duration

	// MaxHandshakeSize caps a single handshake message; larger messages
	// are refused before they are buffered. When zero, 64 KiB, except
	// that a server reads a ClientHello of any length its syntax allows
	// (131396 bytes, as OpenSSL does): long suite and extension lists and
	// padding must not lock clients out.
	MaxHandshakeSize int
	// RawPublicKey lets this side authenticate with the key of its
	// certificate alone (RFC 7250 raw public keys, TLS 1.2 and 1.3) to a peer that
	// takes one: a server to a client that asks, a client to a server with
	// VerifyRawPublicKey. Other peers still get the X.509 chain.
	RawPublicKey bool
	// VerifyRawPublicKey asks the peer for a raw public key (X.509 remains
	// acceptable) and is the check of one: it gets the peer's
	// SubjectPublicKeyInfo (DER) and returns an error unless it is a key
	// expected (pinned, provisioned, in a database). On a server it
	// applies to client certificates (with ClientAuth asking for one). A
	// peer that sends a certificate chain is verified as usual.
	VerifyRawPublicKey func(spki []byte) error
	// ExternalPSKs, on a client, are pre-shared keys agreed outside TLS.
	// In TLS 1.3 (RFC 8446 §4.2.11) all of them are offered, in order,
	// after the cached ticket when there is one (a server that cannot
	// open the ticket takes an external key instead), with psk_dhe_ke
	// (forward secrecy) unless PSKKeyExchangeModes names psk_ke; a key
	// whose hash no offered suite has is left out. In TLS 1.2 the first is
	// used with a PSK cipher suite (RFC 4279, RFC 5489), which the client
	// offers only when it has a key: by default ECDHE_PSK and DHE_PSK with
	// an AEAD; plain PSK and RSA_PSK only when CipherSuites names them. A
	// handshake that uses one has no certificates (RSA_PSK aside);
	// ConnectionState.PSKIdentity names it.
	ExternalPSKs []ExternalPSK
	// GetExternalPSK, on a server, returns the pre-shared key of an
	// identity a client offers (nil: none; in TLS 1.3 the identity is then
	// skipped, and a server without a certificate that knows none of the
	// identities ends the handshake with handshake_failure; in TLS 1.2 it
	// ends with unknown_psk_identity), so
	// that keys can come from a database or a KMS. A server that only
	// serves PSK clients needs no Certificates; with it the server accepts
	// the TLS 1.2 PSK suites too.
	GetExternalPSK func(identity []byte) (*ExternalPSK, error)
	// GetClientPSK, on a TLS 1.2 client, chooses the pre-shared key by the
	// server's psk_identity_hint (RFC 4279 §5.2; nil when the server sent
	// none) instead of ExternalPSKs[0]. Setting it makes the client offer
	// the PSK suites.
	GetClientPSK func(hint []byte) (*ExternalPSK, error)
	// PSKIdentityHint, on a TLS 1.2 server, is the psk_identity_hint sent
	// in ServerKeyExchange (RFC 4279 §5.2) to help a client choose its
	// identity; none when empty.
	PSKIdentityHint []byte
	// CertificateCompression lists certificate compression algorithms
	// (RFC 8879: CertCompressionBrotli, CertCompressionZstd,
	// CertCompressionZlib) in order of preference. A TLS 1.3 client offers
	// them in its ClientHello and a server in its CertificateRequest (nil:
	// none); either side compresses its own certificate with the first of
	// them that the peer offered (nil: brotli, zstd, zlib).
	CertificateCompression []uint16
	// MaxFragmentLength, on a client, asks the server for records of at
	// most this many plaintext bytes (RFC 6066 §4: 512, 1024, 2048 or
	// 4096; 0 asks for nothing), for devices with little memory. A server
	// always honours such a request, unless the client also sent
	// record_size_limit (RFC 8449 §5), which clasp's clients always do and
	// which wins; ConnectionState.MaxFragmentLength says what was agreed.
	MaxFragmentLength int
	// MinDHBits is the smallest DHE prime a client accepts from a server;
	// 2048 when zero.
	MinDHBits int

	// DisableExtendedMasterSecret stops offering and accepting RFC 7627.
	// Without it a session's master secret is not bound to its handshake.
	DisableExtendedMasterSecret bool

	// SessionTicketsDisabled turns off session tickets on both sides, TLS
	// 1.3 tickets and TLS 1.2 RFC 5077 tickets: a server issues none, a
	// client offers none (TLS 1.2 session IDs still work).
	SessionTicketsDisabled bool
	// SessionTicketKey is the base key of a server's session tickets;
	// servers that share it can resume each other's sessions. A random key
	// per process when zero.
	SessionTicketKey [32]byte
	// TicketKeyRotation is how long one ticket key is used; tickets open
	// for up to two periods. 24 hours when zero.
	TicketKeyRotation time.Duration
	// TicketLifetime is the lifetime a server announces for its TLS 1.3
	// tickets and holds them to; TicketKeyRotation when zero, seven days
	// at most (RFC 8446 §4.6.1).
	TicketLifetime time.Duration
	// WrapSession, when set on a server, turns a session into the ticket
	// (TLS 1.2 RFC 5077 ticket or TLS 1.3 PSK identity) the client gets,
	// instead of EncryptTicket: to keep sessions in a database and send a
	// handle, or to add SessionState.Extra. UnwrapSession does the
	// reverse; returning (nil, nil) means "not resumable", a full
	// handshake. Both receive the connection's state so far.
	WrapSession func(ConnectionState, *SessionState) ([]byte, error)
	// explicitTicketKeys holds SetSessionTicketKeys's keys ([][32]byte).
	explicitTicketKeys atomic.Value
	UnwrapSession      func(identity []byte, cs ConnectionState) (*SessionState, error)
	// TicketSealer, when set, seals and opens a server's tickets (TLS 1.3
	// and RFC 5077) instead of clasp's rotating ticket keys: for keys kept
	// in a key management system, or tickets another system must read.
	TicketSealer TicketSealer
	// ResumptionTicketsDisabled stops a server from sending a new TLS 1.3
	// ticket on a resumed connection; the client keeps resuming with the
	// ticket it has until that expires. By default every connection gets a
	// fresh ticket.
	ResumptionTicketsDisabled bool
	// ServerNameOnResumption makes a TLS 1.3 server acknowledge the
	// client's server_name (an empty server_name in EncryptedExtensions)
	// on resumed handshakes too, as NSS does in RFC 8448 §4. RFC 6066 §3
	// says "When resuming a session, the server MUST NOT include a
	// server_name extension in the server hello", so by default clasp
	// acknowledges the name on full handshakes only.
	ServerNameOnResumption bool
	// EarlyData lets a client send 0-RTT data (RFC 8446 §2.3) when it
	// resumes with a ticket that allows it: the first Write's bytes, up to
	// the ticket's limit, leave with the ClientHello instead of a round
	// trip later. An attacker can replay early data (RFC 8446 §8), so it
	// is for requests that are safe to repeat, and clasp reports it as a
	// warning. Early data the server rejects is sent again after the
	// handshake; ConnectionState.EarlyDataAccepted tells which happened.
	// Dial and DialWithDialer complete the handshake before returning, so
	// 0-RTT needs Client over a connection of the caller's.
	EarlyData bool
	// MaxEarlyData is the most 0-RTT bytes a server accepts with one of its
	// tickets; 0 (the default) accepts none. Its tickets then announce it,
	// and early data is accepted only with the first PSK the client
	// offers, the ticket's suite, ALPN and server name, a ticket age within
	// ten seconds of the server's own view, and once per ClientHello: a
	// replayed hello is remembered in SessionStore and refused (RFC 8446
	// §8.2). Read returns the early data before the rest.
	MaxEarlyData uint32
	// PSKKeyExchangeModes, on a client, lists the TLS 1.3 PSK key exchange
	// modes offered in psk_key_exchange_modes (RFC 8446 §4.2.9), in order:
	// PSKModeDHEKE (psk_dhe_ke, a fresh (EC)DHE exchange with the PSK) or
	// PSKModePlainKE (psk_ke, the PSK alone). nil offers psk_dhe_ke alone.
	// On a server it lists the modes it resumes with: psk_ke only when
	// PSKModePlainKE is listed (as OpenSSL only with -allow_no_dhe_kex);
	// nil means psk_dhe_ke alone. A psk_ke resumption has no forward
	// secrecy: whoever later learns the ticket key reads the connection. It
	// is for probing what a server accepts (clasp scan does) and for
	// constrained peers, and it is reported in ConnectionState.Warnings.
	PSKKeyExchangeModes []uint8
	// ClientSessionCache, on a client, keeps sessions (TLS 1.2 session IDs
	// and tickets, TLS 1.3 tickets) to resume with; nil turns resumption off.
	ClientSessionCache ClientSessionCache
	// SessionStore keeps a server's TLS 1.2 sessions by session ID. A
	// store shared by a fleet (sessions/redisstore) lets any server resume
	// any session; nil means one in-memory store for the process. Entries
	// are sealed under SessionTicketKey's base key.
	SessionStore sessions.Store
	// SessionTTL is how long a TLS 1.2 session can be resumed; two hours
	// when zero.
	SessionTTL time.Duration
	// SessionIDsDisabled stops a server from issuing TLS 1.2 session IDs.
	SessionIDsDisabled bool
	// Logger receives warnings that do not fail a connection, such as an
	// unreachable session store; slog.Default() when nil.
	Logger *slog.Logger

	// Tracer receives every handshake event (see package trace). With no
	// Tracer the handshake does no tracing work at all.
	Tracer trace.Tracer
	// KeyLogWriter receives secrets in the NSS key log format so that tools
	// such as Wireshark can decrypt a capture. It defeats the security of
	// the connection: use it only for debugging.
	KeyLogWriter io.Writer
}

func (c *Config) rand() io.Reader {
	if c.Rand != nil {
		return c.Rand
	}
	return rand.Reader
}

func (c *Config) now() time.Time {
	if c.Time != nil {
		return c.Time()
	}
	return time.Now()
}

// Clone returns a shallow copy of c.
func (c *Config) Clone() *Config {
	if c == nil {
		return nil
	}
	clone := *c
	return &clone
}

func (c *Config) minVersion() suites.Version {
	if c.MinVersion == 0 {
		return suites.VersionTLS12
	}
	return suites.Version(c.MinVersion)
}

func (c *Config) maxVersion() suites.Version {
	if c.MaxVersion == 0 || c.MaxVersion > VersionTLS13 {
		return suites.VersionTLS13
	}
	return suites.Version(c.MaxVersion)
}

// cipherSuites is this side's TLS 1.0–1.2 suite list in preference order,
// limited to what clasp implements.
func (c *Config) cipherSuites() []suites.ID {
	if c.CipherSuites == nil {
		return c.defaultSuites12()
	}
	out := make([]suites.ID, 0, len(c.CipherSuites))
	for _, id := range c.CipherSuites {
		if s := suites.SuiteByID(suites.ID(id)); s != nil && s.Implemented && !s.IsTLS13() {
			out = append(out, s.ID)
		}
	}
	return out
}

// defaultSuites13 is the TLS 1.3 order: AES-128-GCM is fastest where AES
// has hardware support, which is nearly everywhere clasp runs.
var defaultSuites13 = []suites.ID{suites.TLS_AES_128_GCM_SHA256, suites.TLS_AES_256_GCM_SHA384, suites.TLS_CHACHA20_POLY1305_SHA256}

// cipherSuites13 is the TLS 1.3 suite list: the TLS 1.3 suites named in
// CipherSuites, or all three in the default order when it names none
// (crypto/tls does not let TLS 1.3 suites be configured at all).
func (c *Config) cipherSuites13() []suites.ID {
	var out []suites.ID
	for _, id := range c.CipherSuites {
		if s := suites.SuiteByID(suites.ID(id)); s != nil && s.Implemented && s.IsTLS13() {
			out = append(out, s.ID)
		}
	}
	if len(out) == 0 {
		return defaultSuites13
	}
	return out
}

func (c *Config) groups() []suites.Group {
	switch {
	case c.Groups != nil:
		return c.Groups
	case c.CurvePreferences != nil:
		return c.CurvePreferences
	}
	return suites.DefaultGroups()
}

// schemesFor is this side's signature schemes for signing with cert:
// signatureSchemes, less those cert.SupportedSignatureAlgorithms leaves out.
func (c *Config) schemesFor(cert *Certificate) []suites.SignatureScheme {
	ours := c.signatureSchemes()
	if cert == nil || len(cert.SupportedSignatureAlgorithms) == 0 {
		return ours
	}
	var out []suites.SignatureScheme
	for _, s := range ours {
		if slices.Contains(cert.SupportedSignatureAlgorithms, s) {
			out = append(out, s)
		}
	}
	return out
}

func (c *Config) signatureSchemes() []suites.SignatureScheme {
	if c.SignatureSchemes == nil {
		return suites.DefaultSignatureSchemes()
	}
	return c.SignatureSchemes
}

func (c *Config) maxHandshakeSize() int {
	if c.MaxHandshakeSize <= 0 {
		return 64 << 10
	}
	return c.MaxHandshakeSize
}

// maxClientHelloSize is the largest ClientHello a server reads:
// MaxHandshakeSize when set, otherwise the longest the syntax allows.
func (c *Config) maxClientHelloSize() int {
	if c.MaxHandshakeSize <= 0 {
		return wire.MaxClientHelloLen
	}
	return c.MaxHandshakeSize
}

func (c *Config) minDHBits() int {
	if c.MinDHBits <= 0 {
		return 2048
	}
	return c.MinDHBits
}

// supportsVersion reports whether v lies within the configured range.
func (c *Config) supportsVersion(v suites.Version) bool {
	return v >= c.minVersion() && v <= c.maxVersion()
}

func (c *Config) acceptsGroup(g suites.Group) bool {
	return slices.Contains(c.groups(), g)
}

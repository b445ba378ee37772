package clasp

import (
	"crypto/x509"
	"slices"

	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// ConnectionState describes a connection: what was negotiated and who the
// peer proved to be.
type ConnectionState struct {
	// Version is the negotiated protocol version (VersionTLS12, ...).
	Version uint16
	// HandshakeComplete is true once the handshake has finished.
	HandshakeComplete bool
	// DidResume is true when the handshake resumed an earlier session.
	DidResume bool
	// ResumedBy names the mechanism of a resumption: "session ID" or
	// "session ticket" (TLS 1.2, RFC 5077), "psk_dhe_ke" or "psk_ke"
	// (TLS 1.3 tickets); "" for a full handshake.
	ResumedBy string
	// CipherSuite is the negotiated suite's code point.
	CipherSuite uint16
	// CipherSuiteName is the suite's IANA name.
	CipherSuiteName string
	// CurveID is the key exchange group (ECDHE curve or FFDHE group); 0 for
	// RSA key exchange.
	CurveID CurveID
	// SignatureScheme is the scheme the server signed its key exchange
	// with; 0 when nothing was signed (RSA key exchange).
	SignatureScheme SignatureScheme
	// NegotiatedProtocol is the ALPN protocol, "" when none.
	NegotiatedProtocol string
	// ServerName is the SNI name (sent by the client, received by the server).
	ServerName string
	// PeerCertificates is the peer's chain as sent, leaf first.
	PeerCertificates []*x509.Certificate
	// VerifiedChains are the chains crypto/x509 built to a trusted root.
	VerifiedChains [][]*x509.Certificate
	// ExtendedMasterSecret is true when RFC 7627 was negotiated.
	ExtendedMasterSecret bool
	// SecureRenegotiation is true when both sides signalled RFC 5746.
	SecureRenegotiation bool
	// DidHelloRetryRequest is true when the TLS 1.3 server asked for
	// another key share (or a cookie) before answering.
	DidHelloRetryRequest bool
	// SessionID is the TLS 1.2 session ID the server assigned, if any.
	SessionID []byte
	// Warnings lists every way the connection is weaker than clasp's
	// secure defaults (an old version, RSA key exchange, a CBC suite ...).
	Warnings []string
	// EarlyDataAccepted reports that 0-RTT data was sent (client) or
	// received (server) and accepted; see Config.EarlyData.
	EarlyDataAccepted bool
	// TLSUnique is the tls-unique channel binding (RFC 5929 §3): nil in
	// TLS 1.3 and for a TLS 1.2 resumption without extended master secret.
	TLSUnique []byte
	// OCSPResponse is the OCSP response the server stapled, if any (a
	// client's view; RFC 6066 §8, RFC 8446 §4.4.2.1).
	OCSPResponse []byte
	// SignedCertificateTimestamps are the SCTs the server sent in the
	// handshake (RFC 6962 §3.3), if any.
	SignedCertificateTimestamps [][]byte
	// PeerRawPublicKey is the peer's SubjectPublicKeyInfo when it
	// authenticated with a raw public key (RFC 7250; Config.RawPublicKey,
	// VerifyRawPublicKey) instead of a certificate chain.
	PeerRawPublicKey []byte
	// PSKIdentity is the identity of the external pre-shared key the
	// handshake used (Config.ExternalPSKs, GetClientPSK, GetExternalPSK):
	// a TLS 1.3 external PSK or a TLS 1.2 PSK cipher suite; nil for a
	// certificate handshake or a resumption.
	PSKIdentity []byte
	// MaxFragmentLength is the record size max_fragment_length (RFC 6066
	// §4) agreed on, in bytes; 0 when none was.
	MaxFragmentLength int
	// EncryptThenMAC is true when a CBC suite's records are MACed after
	// encryption (RFC 7366), which clasp negotiates whenever it can.
	EncryptThenMAC bool
	// HelloRetryRequest is DidHelloRetryRequest under crypto/tls's name.
	HelloRetryRequest bool
	// NegotiatedProtocolIsMutual is always true: the server picks the
	// ALPN protocol from the client's list.
	//
	// Deprecated: kept for crypto/tls compatibility.
	NegotiatedProtocolIsMutual bool
	// ECHAccepted is true when the client offered Encrypted Client Hello
	// (RFC 9849) and the server accepted it: the handshake used the
	// encrypted ClientHelloInner.
	ECHAccepted bool

	ekm func(label string, context []byte, length int) ([]byte, error)
}

// ConnectionState returns the state of the connection.
func (c *Conn) ConnectionState() ConnectionState {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	return c.connectionStateLocked()
}

// connectionStateLocked is ConnectionState for a caller that holds
// handshakeMu: the handshake itself, for Config.VerifyConnection.
func (c *Conn) connectionStateLocked() ConnectionState {
	st := c.state
	cs := ConnectionState{
		Version:              uint16(st.version),
		HandshakeComplete:    c.handshakeComplete.Load(),
		DidResume:            st.didResume,
		ResumedBy:            st.resumedBy,
		DidHelloRetryRequest: st.helloRetry,
		CurveID:              st.group,
		SignatureScheme:      st.scheme,
		NegotiatedProtocol:   st.alpn,
		ServerName:           st.serverName,
		PeerCertificates:     st.peerCertificates,
		VerifiedChains:       st.verifiedChains,
		ExtendedMasterSecret: st.ems,
		SecureRenegotiation:  st.secureRenegotiation,
		SessionID:            slices.Clone(st.sessionID),
		Warnings:             slices.Clone(st.warnings),
		EarlyDataAccepted:    st.earlyDataAccepted,
		TLSUnique:            c.tlsUnique(),
		HelloRetryRequest:    st.helloRetry,
		EncryptThenMAC:       st.etm,
		MaxFragmentLength:    st.maxFragment,
		PSKIdentity:          slices.Clone(st.pskIdentity),
		PeerRawPublicKey:     slices.Clone(st.peerRawPublicKey),
		OCSPResponse:         slices.Clone(st.ocspResponse),

		SignedCertificateTimestamps: slices.Clone(st.scts),

		NegotiatedProtocolIsMutual: true,
		ECHAccepted:                st.echAccepted,
		ekm:                        c.exporter(),
	}
	if st.suite != nil {
		cs.CipherSuite = uint16(st.suite.ID)
		cs.CipherSuiteName = st.suite.Name
	}
	return cs
}

// CipherSuiteName returns the IANA name of a cipher suite code point, or a
// hex form for a value clasp does not know.
func CipherSuiteName(id uint16) string { return suites.ID(id).String() }

// VersionName returns "TLS 1.2" and so on.
func VersionName(version uint16) string { return suites.Version(version).String() }

func groupName(g suites.Group) string {
	if g == 0 {
		return ""
	}
	return g.String()
}

// messageName is the name people know a handshake message by.
func messageName(t wire.HandshakeType) string {
	switch t {
	case wire.TypeHelloRequest:
		return "HelloRequest"
	case wire.TypeClientHello:
		return "ClientHello"
	case wire.TypeServerHello:
		return "ServerHello"
	case wire.TypeNewSessionTicket:
		return "NewSessionTicket"
	case wire.TypeEncryptedExtensions:
		return "EncryptedExtensions"
	case wire.TypeCertificate:
		return "Certificate"
	case wire.TypeServerKeyExchange:
		return "ServerKeyExchange"
	case wire.TypeCertificateRequest:
		return "CertificateRequest"
	case wire.TypeServerHelloDone:
		return "ServerHelloDone"
	case wire.TypeCertificateVerify:
		return "CertificateVerify"
	case wire.TypeClientKeyExchange:
		return "ClientKeyExchange"
	case wire.TypeFinished:
		return "Finished"
	case wire.TypeKeyUpdate:
		return "KeyUpdate"
	}
	return t.String()
}

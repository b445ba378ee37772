package scan

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"slices"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

func wantExt(t *testing.T, name string, a *ExtAnswer, supported bool, value string) {
	t.Helper()
	switch {
	case a == nil:
		t.Errorf("%s: not checked", name)
	case a.Supported != supported || a.Value != value:
		t.Errorf("%s: supported %v value %q (%s), want %v %q", name, a.Supported, a.Value, a.Answer, supported, value)
	}
}

func wantALPN(t *testing.T, a *ALPN, protocols []string, unknown string) {
	t.Helper()
	if a == nil || !slices.Equal(a.Protocols, protocols) || a.Unknown != unknown {
		t.Errorf("ALPN %+v, want %v, unknown %s", a, protocols, unknown)
	}
}

// OpenSSL 3.0 answers EMS and encrypt-then-MAC, has no record_size_limit
// (RFC 8449 came in 3.2?) nor heartbeat (removed in 1.1.0) nor zlib
// compression in Debian's build; without -client_renegotiation it refuses
// a client's renegotiation with a no_renegotiation warning.
func TestExtensionsOpenSSLDefaults(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-comp", "-quiet")
	rep := sessionChecks(t, srv.Addr, tls12and13...)
	e := rep.Extensions
	wantExt(t, "extended_master_secret", e.ExtendedMasterSecret, true, "")
	wantExt(t, "encrypt_then_mac", e.EncryptThenMAC, true, "")
	wantExt(t, "record_size_limit", e.RecordSizeLimit, false, "")
	wantExt(t, "compression", e.Compression, false, "null")
	wantExt(t, "heartbeat", e.Heartbeat, false, "")
	wantExt(t, "status_request", e.StatusRequest, false, "")
	wantALPN(t, e.ALPN, nil, "ignored")
	r := rep.Renegotiation
	if r == nil || !r.Secure || r.Insecure || r.ClientInitiated != "refused" || !strings.Contains(r.ClientAnswer, "no_renegotiation") {
		t.Errorf("renegotiation %+v, want secure, client-initiated refused with no_renegotiation", r)
	}
}

func TestExtensionsOpenSSLALPNAndRenegotiation(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-alpn", "h2,http/1.1", "-client_renegotiation", "-no_resumption_on_reneg", "-no_etm", "-quiet")
	rep := sessionChecks(t, srv.Addr, tls12and13...)
	wantExt(t, "encrypt_then_mac (-no_etm)", rep.Extensions.EncryptThenMAC, false, "")
	// s_server's ALPN callback refuses a hello whose protocols it does not
	// know with no_application_protocol (RFC 7301 §3.2).
	wantALPN(t, rep.Extensions.ALPN, []string{"h2", "http/1.1"}, "rejected")
	// Without -legacy_renegotiation OpenSSL refuses a client that did not
	// signal RFC 5746.
	if r := rep.Renegotiation; r == nil || !r.Secure || r.ClientInitiated != "accepted" || r.Legacy != "refused" || r.Insecure {
		t.Errorf("renegotiation %+v, want client-initiated accepted, legacy refused", r)
	}
}

// -legacy_renegotiation lets OpenSSL renegotiate with clients that do not
// signal RFC 5746 (SSL_OP_ALLOW_UNSAFE_LEGACY_RENEGOTIATION); it still
// answers renegotiation_info to those that do. With -client_renegotiation
// a legacy client's renegotiation then completes: insecure renegotiation.
func TestExtensionsOpenSSLLegacyRenegotiation(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartOpenSSLServer(t, pki.RSA, "-tls1_2", "-legacy_renegotiation", "-client_renegotiation", "-alpn", "http/1.1", "-quiet")
	rep := sessionChecks(t, srv.Addr, suites.VersionTLS12)
	wantALPN(t, rep.Extensions.ALPN, []string{"http/1.1"}, "rejected")
	if rep.Extensions.ALPN.Version != "TLS 1.2" {
		t.Errorf("ALPN checked in %s, want TLS 1.2", rep.Extensions.ALPN.Version)
	}
	if r := rep.Renegotiation; r == nil || !r.Secure || r.ClientInitiated != "accepted" || r.Legacy != "accepted" || !r.Insecure {
		t.Errorf("renegotiation %+v, want secure and legacy renegotiation both accepted: insecure", r)
	}
}

// GnuTLS implements record_size_limit (RFC 8449) and heartbeat (with
// --heartbeat), and accepts a client's renegotiation.
func TestExtensionsGnuTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "", "--echo", "--disable-client-cert", "--heartbeat", "--recordsize=4096", "--alpn=h2", "--alpn-fatal")
	rep := sessionChecks(t, srv.Addr, tls12and13...)
	e := rep.Extensions
	wantExt(t, "record_size_limit", e.RecordSizeLimit, true, "4096")
	wantExt(t, "heartbeat", e.Heartbeat, true, "peer_allowed_to_send")
	wantExt(t, "extended_master_secret", e.ExtendedMasterSecret, true, "")
	wantALPN(t, e.ALPN, []string{"h2"}, "rejected")
	// In TLS 1.3 the limit counts the inner content type byte (RFC 8449 §4).
	if e.ALPN.RecordSizeLimit != 4097 {
		t.Errorf("TLS 1.3 record_size_limit %d, want 4097", e.ALPN.RecordSizeLimit)
	}
	if r := rep.Renegotiation; r == nil || !r.Secure || r.ClientInitiated != "accepted" {
		t.Errorf("renegotiation %+v, want client-initiated accepted", r)
	}
}

// A GnuTLS priority with %DISABLE_SAFE_RENEGOTIATION drops RFC 5746: the
// scan reports insecure renegotiation, and GnuTLS runs a renegotiation
// without it. %NO_SESSION_HASH drops extended master secret.
func TestRenegotiationGnuTLSWithoutRFC5746(t *testing.T) {
	pki := peertest.NewPKI(t)
	srv := peertest.StartGnuTLSServer(t, pki.RSA, "NORMAL:%DISABLE_SAFE_RENEGOTIATION:%NO_SESSION_HASH", "--echo", "--disable-client-cert")
	rep := sessionChecks(t, srv.Addr, tls12and13...)
	wantExt(t, "extended_master_secret", rep.Extensions.ExtendedMasterSecret, false, "")
	if r := rep.Renegotiation; r == nil || r.Secure || !r.Insecure || r.ClientInitiated != "not_tried" || r.Legacy != "accepted" {
		t.Errorf("renegotiation %+v, want insecure, legacy renegotiation accepted", r)
	}
}

// crypto/tls staples what Certificate.OCSPStaple holds; its ALPN refuses
// unknown protocols when NextProtos is set.
func TestExtensionsCryptoTLS(t *testing.T) {
	pki := peertest.NewPKI(t)
	cert := pki.RSA.TLS
	cert.OCSPStaple = []byte("not really an OCSP response")
	addr := startGoServer(t, &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1", "h2"}})
	rep := sessionChecks(t, addr, tls12and13...)
	e := rep.Extensions
	wantExt(t, "status_request", e.StatusRequest, true, "")
	wantExt(t, "encrypt_then_mac", e.EncryptThenMAC, false, "")
	// crypto/tls picks by its own NextProtos order.
	wantALPN(t, e.ALPN, []string{"http/1.1", "h2"}, "rejected")
}

// clasp's server answers EMS and record_size_limit, takes no CBC suite by
// default (so encrypt-then-MAC is not asked), and accepts a client's
// renegotiation when its Renegotiation policy allows it. The whole scan
// runs, so the extension probes offer what the suite check found.
func TestExtensionsClasp(t *testing.T) {
	pki := peertest.NewPKI(t)
	cfg := &clasp.Config{Certificates: []clasp.Certificate{claspCertOf(pki.ECDSA)}, NextProtos: []string{"http/1.1"},
		Renegotiation: clasp.RenegotiateOnceAsClient}
	rep := scanOK(t, startClaspEchoServer(t, cfg))
	e := rep.Extensions
	wantExt(t, "extended_master_secret", e.ExtendedMasterSecret, true, "")
	wantExt(t, "record_size_limit", e.RecordSizeLimit, true, "16384")
	if e.EncryptThenMAC == nil || e.EncryptThenMAC.Supported || !strings.Contains(e.EncryptThenMAC.Answer, "not asked") {
		t.Errorf("encrypt_then_mac %+v, want not asked", e.EncryptThenMAC)
	}
	wantALPN(t, e.ALPN, []string{"http/1.1"}, "rejected")
	if r := rep.Renegotiation; r == nil || !r.Secure || r.ClientInitiated != "accepted" || r.Legacy != "refused" {
		t.Errorf("renegotiation %+v, want accepted (RenegotiateOnceAsClient), legacy refused", r)
	}
}

// No installable server compresses (Debian's OpenSSL 3 is built without
// zlib, and gnutls-serv has no option for it), so a deliberately flawed server, test code
// only, answers every hello with a TLS 1.2 ServerHello that picks DEFLATE
// when offered, as OpenSSL 1.0 with zlib did (CRIME).
func TestCompressionFoundOnACompressingServer(t *testing.T) {
	addr := startListener(t, func(c net.Conn) {
		defer c.Close()
		h := readOneHello(c)
		if h == nil {
			return
		}
		sh := &wire.ServerHello{Version: suites.VersionTLS12, CipherSuite: h.CipherSuites[0], Extensions: []wire.Extension{}}
		if slices.Contains(h.CompressionMethods, deflateCompressionMethod) {
			sh.CompressionMethod = deflateCompressionMethod
		}
		msg, err := sh.Marshal()
		if err != nil {
			return
		}
		c.Write(append([]byte{22, 3, 3, byte(len(msg) >> 8), byte(len(msg))}, msg...))
		io.Copy(io.Discard, c)
	})
	s, rep := checkScanner(addr, suites.VersionTLS12)
	ext := &Extensions{}
	rep.Extensions = ext
	// The ServerHello probes only: this server cannot finish a handshake.
	if err := s.helloExtensions(context.Background(), rep, suites.VersionTLS12, ext); err != nil {
		t.Fatal(err)
	}
	wantExt(t, "compression", rep.Extensions.Compression, true, "DEFLATE")
	wantExt(t, "extended_master_secret", rep.Extensions.ExtendedMasterSecret, false, "")
}

// readOneHello reads a ClientHello that fits in one record.
func readOneHello(c net.Conn) *wire.ClientHello {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err != nil {
		return nil
	}
	body := make([]byte, int(hdr[3])<<8|int(hdr[4]))
	// An SSL 2.0 hello (the scan sends one) has no TLS header.
	if _, err := io.ReadFull(c, body); err != nil || hdr[0] != byte(wire.ContentHandshake) || len(body) < 4 {
		return nil
	}
	h, err := wire.ParseClientHello(body[4:])
	if err != nil {
		return nil
	}
	return h
}

package diagnose

import (
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden diagnoses under testdata/golden")

// The golden diagnoses: one representative failure of each family (the
// negotiation, certificate faults, peer alerts, mutual TLS, the transport,
// odd targets, the probes' verdict, warnings, the resumption verdict),
// rendered as clasp prints them in each language of the catalogue. The
// inputs are fixed (a fixed clock, certificates from fixed Ed25519 seeds,
// whose signatures are deterministic), so a golden changes only when a
// text does. The English goldens pin the wording; the others show that
// every text of these diagnoses has its translation.

// goldenNow is the local clock of every golden diagnosis.
var goldenNow = time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)

func TestGoldenDiagnosesInEveryLanguage(t *testing.T) {
	pki := newGoldenPKI(t)
	for _, c := range goldenCases(pki) {
		for _, lang := range Languages() {
			t.Run(c.name+"."+lang, func(t *testing.T) {
				got := c.render(lang)
				path := filepath.Join("testdata", "golden", c.name+"."+lang+".txt")
				if *updateGolden {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					return
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("%v (run with -update to create it)", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", path, got, want)
				}
			})
		}
	}
}

// Every text of a golden diagnosis is translated: in another language no
// line of the rendering is the English line, except for the error line
// (the stack's own error, English by design) and lines of values alone. A key no catalogue holds would print as its own name, and a
// placeholder a text does not fill as itself: neither may appear.
func TestGoldenDiagnosesAreTranslated(t *testing.T) {
	pki := newGoldenPKI(t)
	for _, c := range goldenCases(pki) {
		en := strings.Split(c.render("en"), "\n")
		for _, lang := range Languages() {
			got := c.render(lang)
			if m := leftover.FindString(got); m != "" {
				t.Errorf("%s.%s: %q left in the text:\n%s", c.name, lang, m, got)
			}
			if lang == "en" {
				continue
			}
			for _, line := range strings.Split(got, "\n") {
				if strings.HasPrefix(line, "error: ") || !englishWords.MatchString(line) {
					continue
				}
				if slices.Contains(en, line) {
					t.Errorf("%s.%s: line left in English: %q", c.name, lang, line)
				}
			}
		}
	}
}

// englishWords finds the small words of an English sentence, which a line
// of values alone (names, suites, a wrapped chain) does not have.
var englishWords = regexp.MustCompile(`\b(the|this|is|are|was|to|of|and|with|on|not|by|has|it)\b`)

// leftover is an unfilled {placeholder} or a catalogue key printed as
// itself ("alert.x.server[]").
var leftover = regexp.MustCompile(`\{[a-z_0-9]+\}|\b[a-z_0-9]+\.[a-z_0-9.]+\[`)

type goldenCase struct {
	name   string
	render func(lang string) string
}

// printed is a diagnosis as clasp connect prints it: the summary, the
// error line, then the why and what-to-change block.
func printed(d *Diagnosis, err error) string {
	return d.Summary + "\nerror: " + err.Error() + "\n" + d.Text()
}

// explainCase is a case whose diagnosis Explain makes from an error and
// the facts this side recorded.
func explainCase(name, side string, err error, f func() *facts, cfg *clasp.Config) goldenCase {
	return goldenCase{name: name, render: func(lang string) string {
		facts := &facts{side: side}
		if f != nil {
			facts = f()
		}
		return printed(explainFacts(lang, err, facts, side, goldenNow, cfg), err)
	}}
}

func handshakeErr(side, step string, err error) error {
	return &clasp.HandshakeError{Side: side, Step: step, Err: err}
}

func sentHello() *facts {
	ch := &wire.ClientHello{Version: 0x0303,
		CipherSuites: []suites.ID{suites.TLS_AES_128_GCM_SHA256, suites.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
		Extensions: []wire.Extension{
			&wire.ServerNameExt{HostName: "www.example.com"},
			&wire.SupportedVersionsExt{Versions: []suites.Version{suites.VersionTLS13, suites.VersionTLS12}},
			&wire.SupportedGroupsExt{Groups: []suites.Group{suites.X25519, suites.Secp256r1}},
			&wire.SignatureAlgorithmsExt{Schemes: []suites.SignatureScheme{suites.ECDSAWithP256AndSHA256, suites.PSSWithSHA256}},
		}}
	return &facts{side: "client", clientHello: ch, lastSent: &trace.Message{Name: "ClientHello", Parsed: ch}}
}

func goldenCases(pki *goldenPKI) []goldenCase {
	var cases []goldenCase
	cases = append(cases, negotiationCases()...)
	cases = append(cases, certificateCases(pki)...)
	cases = append(cases, alertCases(pki)...)
	cases = append(cases, transportCases()...)
	cases = append(cases, verdictCases(pki)...)
	cases = append(cases, moreCases(pki)...)
	cases = append(cases, tableCases()...)
	return cases
}

// tableCases list the texts of the two tables a diagnosis picks one row
// from: what each alert means from a server and from a client with its
// fix, and why each weak suite is weak.
func tableCases() []goldenCase {
	return []goldenCase{
		{name: "alert-table", render: func(lang string) string {
			x := &explainer{t: Language(lang), f: &facts{}}
			var b strings.Builder
			for code := 0; code < 256; code++ {
				desc := wire.AlertDescription(code)
				if _, ok := alertTable[desc]; !ok {
					continue
				}
				fromServer, fix := x.meaning(desc, "server")
				fromClient, _ := x.meaning(desc, "client")
				fmt.Fprintf(&b, "%s (%d)\n  server: %s\n  client: %s\n  fix: %s\n", desc, code, fromServer, fromClient, fix)
			}
			return b.String()
		}},
		{name: "weak-suite-reasons", render: func(lang string) string {
			var b strings.Builder
			for _, s := range suites.AllSuites() {
				if weak, why := s.IsWeak(); weak {
					fmt.Fprintf(&b, "%s: %s\n", s.Name, weakReason(Language(lang), why))
				}
			}
			return b.String()
		}},
	}
}

// moreCases are further causes of the families above: the rarer
// negotiation parameters, a weak DH group, a pre-shared key the server
// does not know, a server that accepts no version, a server-side close.
func moreCases(pki *goldenPKI) []goldenCase {
	schemes := &clasp.NegotiationError{What: "signature scheme", ClientOffered: []string{"rsa_pss_rsae_sha256", "rsa_pkcs1_sha256"},
		ServerAccepts: []string{"ed25519"}}
	withKey := &clasp.Config{Certificates: []clasp.Certificate{{Certificate: [][]byte{pki.leaf.Raw}, Leaf: pki.leaf}}}
	alpn := &clasp.NegotiationError{What: "application protocol", ClientOffered: []string{"h2"}, ServerAccepts: []string{"imap"}}
	old := &clasp.NegotiationError{What: "protocol version", ClientOffered: []string{"TLS 1.0", "TLS 1.1"}, ServerAccepts: []string{"TLS 1.2", "TLS 1.3"}}
	weakDH := func() *facts {
		f := sentHello()
		f.peerDHBits = 1024
		return f
	}
	psk := func() *facts {
		f := sentHello()
		f.pskIdentity = []byte("sensor-7")
		return f
	}
	return []goldenCase{
		explainCase("negotiation-schemes-server", "server", handshakeErr("server", "write CertificateVerify", schemes), nil, withKey),
		explainCase("negotiation-alpn-client", "client", handshakeErr("client", "read EncryptedExtensions", alpn), sentHello, nil),
		explainCase("negotiation-old-client-server", "server", handshakeErr("server", "read ClientHello", old), nil, nil),
		explainCase("weak-dh-group", "client", handshakeErr("client", "read ServerKeyExchange",
			wire.Errorf(wire.AlertInsufficientSecurity, "DH prime of 1024 bits")), weakDH, nil),
		explainCase("psk-unknown-identity", "client", handshakeErr("client", "read ServerHello",
			&clasp.AlertReceivedError{Level: 2, Description: uint8(wire.AlertUnknownPSKIdentity), Step: "read ServerHello"}), psk, nil),
		explainCase("certificate-weak-key", "client", handshakeErr("client", "read ServerKeyExchange",
			errors.New("crypto/rsa: 512-bit keys are insecure")), func() *facts {
			f := sentHello()
			f.peerChain = []*x509.Certificate{pki.weakKey, pki.intermediate}
			return f
		}, nil),
		explainCase("transport-closed-before-hello-server", "server", handshakeErr("server", "read ClientHello", io.EOF), nil, nil),
		{name: "probe-no-version", render: func(lang string) string {
			err := handshakeErr("client", "read ServerHello", io.EOF)
			d := explainFacts(lang, err, sentHello(), "client", goldenNow, nil)
			ApplyAcceptance(d, &Acceptance{Probes: []ProbeStep{{Check: "versions", Connections: 5}}}, helloRecorder(sentHello()), &clasp.Config{}, lang)
			return printed(d, err)
		}},
		{name: "probe-ffdhe-groups", render: func(lang string) string {
			err := handshakeErr("client", "read ServerHello", &clasp.OfferRejectedError{
				Alert: &clasp.AlertReceivedError{Level: 2, Description: uint8(wire.AlertHandshakeFailure)}, Versions: []string{"TLS 1.3"}})
			d := explainFacts(lang, err, sentHello(), "client", goldenNow, nil)
			a := &Acceptance{Versions: []suites.Version{suites.VersionTLS13}, Version: suites.VersionTLS13,
				Suites: []suites.ID{suites.TLS_AES_128_GCM_SHA256}, GroupsProbed: true, Groups: []suites.Group{suites.FFDHE2048},
				Probes: []ProbeStep{{Check: "versions", Connections: 4}, {Check: "TLS 1.3 groups", Connections: 7}}}
			ApplyAcceptance(d, a, helloRecorder(sentHello()), &clasp.Config{}, lang)
			return printed(d, err)
		}},
	}
}

func negotiationCases() []goldenCase {
	weakOnly := &clasp.NegotiationError{What: "cipher suite",
		ClientOffered: []string{"TLS_RSA_WITH_3DES_EDE_CBC_SHA", "TLS_RSA_WITH_RC4_128_SHA"},
		ServerAccepts: []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}}
	groups := &clasp.NegotiationError{What: "group", ClientOffered: []string{"secp384r1"}, ServerAccepts: []string{"X25519", "secp256r1"}}
	versions := &clasp.OfferRejectedError{Alert: &clasp.AlertReceivedError{Level: 2, Description: uint8(wire.AlertProtocolVersion)},
		Versions: []string{"TLS 1.3"}}
	refused := &clasp.OfferRejectedError{Alert: &clasp.AlertReceivedError{Level: 2, Description: uint8(wire.AlertHandshakeFailure)},
		Versions: []string{"TLS 1.3", "TLS 1.2"}, CipherSuites: []string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"},
		Groups: []string{"X25519"}, Signatures: []string{"ecdsa_secp256r1_sha256"}}
	narrowed := &clasp.Config{CipherSuites: []uint16{uint16(suites.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384)}, MaxVersion: clasp.VersionTLS12}
	return []goldenCase{
		explainCase("negotiation-weak-suites-server", "server", handshakeErr("server", "read ClientHello", weakOnly), nil, nil),
		explainCase("negotiation-group-client", "client", handshakeErr("client", "read ServerHello", groups), sentHello, nil),
		explainCase("negotiation-version-refused", "client", handshakeErr("client", "read ServerHello", versions), sentHello, nil),
		explainCase("negotiation-offer-refused-narrowed", "client", handshakeErr("client", "read ServerHello", refused), sentHello, narrowed),
		{name: "probe-only-rsa-cbc", render: func(lang string) string {
			err := handshakeErr("client", "read ServerHello", refused)
			d := explainFacts(lang, err, sentHello(), "client", goldenNow, nil)
			a := &Acceptance{Versions: []suites.Version{suites.VersionTLS12}, Version: suites.VersionTLS12,
				Suites: []suites.ID{suites.TLS_RSA_WITH_AES_128_CBC_SHA, suites.TLS_RSA_WITH_AES_256_CBC_SHA,
					suites.TLS_RSA_WITH_AES_128_GCM_SHA256, suites.TLS_RSA_WITH_AES_256_GCM_SHA384, suites.TLS_RSA_WITH_AES_128_CBC_SHA256},
				Probes: []ProbeStep{{Check: "versions", Found: []string{"TLS 1.2"}, Connections: 4}, {Check: "TLS 1.2 suites", Found: []string{"TLS_RSA_WITH_AES_128_CBC_SHA"}, Connections: 9}}}
			ApplyAcceptance(d, a, helloRecorder(sentHello()), &clasp.Config{}, lang)
			return printed(d, err)
		}},
	}
}

// helloRecorder records what f says this client sent.
func helloRecorder(f *facts) *Recorder {
	rec := NewRecorder()
	rec.Trace(&trace.Message{Header: trace.Header{Kind: trace.KindMessage, Side: trace.Client}, Direction: trace.Sent,
		ContentType: uint8(wire.ContentHandshake), Name: "ClientHello", Parsed: f.clientHello})
	return rec
}

func certificateCases(pki *goldenPKI) []goldenCase {
	verify := func(chain []*x509.Certificate, host string, roots ...*x509.Certificate) error {
		opts := x509.VerifyOptions{DNSName: host, CurrentTime: goldenNow, Roots: x509.NewCertPool(), Intermediates: x509.NewCertPool()}
		for _, r := range roots {
			opts.Roots.AddCert(r)
		}
		for _, c := range chain[1:] {
			opts.Intermediates.AddCert(c)
		}
		_, err := chain[0].Verify(opts)
		return handshakeErr("client", "read server Certificate", &clasp.CertificateVerificationError{UnverifiedCertificates: chain, Err: err})
	}
	rootsCfg := &clasp.Config{RootCAs: x509.NewCertPool()}
	rootsCfg.RootCAs.AddCert(pki.root)
	return []goldenCase{
		explainCase("certificate-self-signed", "client", verify([]*x509.Certificate{pki.selfSigned}, "www.example.com", pki.root), nil, rootsCfg),
		explainCase("certificate-intermediate-missing", "client", verify([]*x509.Certificate{pki.leaf}, "www.example.com", pki.root), nil, rootsCfg),
		explainCase("certificate-untrusted-root", "client", verify([]*x509.Certificate{pki.leaf, pki.intermediate}, "www.example.com"), nil, &clasp.Config{RootCAs: x509.NewCertPool()}),
		explainCase("certificate-hostname", "client", verify([]*x509.Certificate{pki.leaf, pki.intermediate}, "mail.example.com", pki.root), nil, rootsCfg),
		explainCase("certificate-expired", "client", verify([]*x509.Certificate{pki.expired, pki.intermediate}, "www.example.com", pki.root), nil, rootsCfg),
		explainCase("certificate-not-yet-valid", "client", verify([]*x509.Certificate{pki.future, pki.intermediate}, "www.example.com", pki.root), nil, rootsCfg),
		explainCase("certificate-wrong-usage", "client", verify([]*x509.Certificate{pki.clientOnly, pki.intermediate}, "www.example.com", pki.root), nil, rootsCfg),
	}
}

func alertCases(pki *goldenPKI) []goldenCase {
	alert := func(desc wire.AlertDescription, step string) error {
		return handshakeErr("client", step, &clasp.AlertReceivedError{Level: 2, Description: uint8(desc), Step: step})
	}
	afterFinished := func() *facts {
		f := sentHello()
		f.lastSent = &trace.Message{Name: "Finished"}
		f.finishedSent = true
		return f
	}
	askedForCert := func(chain ...*x509.Certificate) func() *facts {
		return func() *facts {
			f := afterFinished()
			f.certRequest = true
			f.certRequestCAs = [][]byte{pki.root.RawSubject}
			f.ownCertSent = true
			f.ownChain = chain
			return f
		}
	}
	withClientCert := &clasp.Config{Certificates: []clasp.Certificate{{Certificate: [][]byte{pki.otherClient.Raw}, Leaf: pki.otherClient}}}
	serverSide := func() *facts {
		return &facts{side: "server", certRequest: true, certRequestCAs: [][]byte{pki.root.RawSubject}, peerCertReceived: true}
	}
	return []goldenCase{
		explainCase("alert-handshake-failure", "client", alert(wire.AlertHandshakeFailure, "read server Certificate"), sentHello, nil),
		explainCase("alert-unrecognized-name", "client", alert(wire.AlertUnrecognizedName, "read ServerHello"), sentHello, nil),
		explainCase("alert-protocol-version", "client", &clasp.AlertReceivedError{Level: 2, Description: uint8(wire.AlertProtocolVersion), Step: "read ServerHello"}, sentHello, nil),
		explainCase("alert-keys-mismatch", "client", alert(wire.AlertBadRecordMAC, "read server Finished"), afterFinished, nil),
		explainCase("mtls-required", "client", alert(wire.AlertCertificateRequired, ""), askedForCert(), &clasp.Config{}),
		explainCase("mtls-not-requested-ca", "client", alert(wire.AlertCertificateRequired, ""), askedForCert(), withClientCert),
		explainCase("mtls-rejected", "client", alert(wire.AlertUnknownCA, ""), askedForCert(pki.otherClient), withClientCert),
		explainCase("mtls-required-server-side", "server", handshakeErr("server", "read client Certificate",
			wire.Errorf(wire.AlertCertificateRequired, "the client sent no certificate")), serverSide, nil),
	}
}

func transportCases() []goldenCase {
	stalled := func() *facts {
		f := sentHello()
		f.lastReceived = &trace.Message{Name: "ServerHello"}
		return f
	}
	refused := &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
	return []goldenCase{
		explainCase("transport-closed-after-hello", "client", handshakeErr("client", "read ServerHello", io.EOF), sentHello, nil),
		explainCase("transport-reset", "client", handshakeErr("client", "read ServerHello", syscall.ECONNRESET), stalled, nil),
		explainCase("transport-refused", "client", refused, nil, nil),
		explainCase("transport-stalled", "client", handshakeErr("client", "read server Certificate", os.ErrDeadlineExceeded), stalled, nil),
		explainCase("transport-timeout-connecting", "client", &net.OpError{Op: "dial", Net: "tcp", Err: os.ErrDeadlineExceeded}, nil, nil),
		explainCase("odd-http-port", "client", handshakeErr("client", "read ServerHello",
			&record.NotTLSError{Prefix: []byte("HTTP/1.1 400 Bad Request\r\n"), Protocol: "HTTP"}), sentHello, nil),
		explainCase("odd-smtp-port", "client", handshakeErr("client", "read ServerHello",
			&record.NotTLSError{Prefix: []byte("220 mail.example.com ESMTP\r\n"), Protocol: "SMTP"}), sentHello, nil),
		explainCase("odd-plaintext-client", "server", handshakeErr("server", "read ClientHello",
			&record.NotTLSError{Prefix: []byte("GET / HTTP/1.1\r\n"), Protocol: "HTTP"}), nil, nil),
		explainCase("odd-dns", "client", &net.DNSError{Name: "no-such-host.invalid", Err: "no such host", IsNotFound: true}, nil, nil),
		{name: "odd-address-target", render: func(lang string) string {
			f := sentHello()
			f.clientHello.Extensions = f.clientHello.Extensions[1:]
			err := handshakeErr("client", "read ServerHello", io.EOF)
			d := explainFacts(lang, err, f, "client", goldenNow, nil)
			NoteAddressTarget(d, err, helloRecorder(f), &clasp.Config{ServerName: "192.0.2.7"}, lang)
			return printed(d, err)
		}},
		{name: "odd-redis-port", render: func(lang string) string {
			err := handshakeErr("client", "read ServerHello", os.ErrDeadlineExceeded)
			d := explainFacts(lang, err, sentHello(), "client", goldenNow, nil)
			NoteWellKnownPort(d, "192.0.2.7:6379", helloRecorder(sentHello()), lang)
			return printed(d, err)
		}},
		explainCase("unknown", "client", handshakeErr("client", "read ServerHello", errors.New("something odd")), nil, nil),
	}
}

func verdictCases(pki *goldenPKI) []goldenCase {
	return []goldenCase{
		{name: "warnings", render: func(lang string) string {
			st := clasp.ConnectionState{Version: clasp.VersionTLS10, CipherSuite: uint16(suites.TLS_RSA_WITH_AES_128_CBC_SHA),
				PeerCertificates: []*x509.Certificate{pki.expiringSoon, pki.intermediate}}
			var b strings.Builder
			for _, w := range ConnectionWarnings(lang, st, nil, goldenNow) {
				fmt.Fprintf(&b, "warning: %s [%s]\n", w.Text, w.Code)
			}
			return b.String()
		}},
		{name: "resumption-different-backend", render: func(lang string) string {
			first := Attempt{Certificate: "aa", Shape: "TLS 1.2 x [65281]", TicketIssued: true, SessionLeft: true}
			reconnects := []Attempt{
				{Offered: "session ticket", Resumed: true, Mechanism: "session ticket", TicketIssued: true, SessionLeft: true},
				{Offered: "session ticket", Certificate: "bb", Shape: "TLS 1.2 x [65281 23]", TicketIssued: true, SessionLeft: true},
				{Offered: "session ticket", Certificate: "aa", Shape: "TLS 1.2 x [65281]", TicketIssued: true, SessionLeft: true},
			}
			return ConcludeResumption(lang, first, reconnects).Text()
		}},
		{name: "resumption-none", render: func(lang string) string {
			first := Attempt{Certificate: "aa", Shape: "TLS 1.3 x [43 51]"}
			return ConcludeResumption(lang, first, []Attempt{{Certificate: "aa", Shape: "TLS 1.3 x [43 51]"}}).Text()
		}},
	}
}

// goldenPKI holds fixed certificates: Ed25519 keys from fixed seeds sign
// deterministically, so every run makes the same bytes (and fingerprints).
type goldenPKI struct {
	root, intermediate                  *x509.Certificate
	leaf, expired, future, expiringSoon *x509.Certificate
	selfSigned, clientOnly, otherClient *x509.Certificate
	weakKey                             *x509.Certificate // a 512-bit RSA key
}

// weakRSAKey is a 512-bit RSA public key with a fixed modulus: only its
// size matters to the diagnosis, and the issuer's Ed25519 signature over
// it is deterministic.
func weakRSAKey() *rsa.PublicKey {
	var n []byte
	for i := 0; len(n) < 64; i++ {
		sum := sha256.Sum256([]byte{byte(i)})
		n = append(n, sum[:]...)
	}
	n[0] |= 0x80
	n[63] |= 1
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n[:64]), E: 65537}
}

// issueWith signs tmpl for pub with the issuer's key, from fixed dates.
func issueWith(t *testing.T, tmpl, parent *x509.Certificate, pub any, key ed25519.PrivateKey) *x509.Certificate {
	t.Helper()
	tmpl.SerialNumber = big.NewInt(1000)
	tmpl.NotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tmpl.NotAfter = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	der, err := x509.CreateCertificate(nil, tmpl, parent, pub, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func goldenKey(name string) ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("clasp golden diagnosis " + name))
	return ed25519.NewKeyFromSeed(seed[:])
}

func newGoldenPKI(t *testing.T) *goldenPKI {
	t.Helper()
	var serialNo int64
	issue := func(name string, tmpl *x509.Certificate, parent *x509.Certificate, parentKey string) *x509.Certificate {
		serialNo++
		tmpl.SerialNumber = big.NewInt(serialNo)
		if tmpl.NotBefore.IsZero() {
			tmpl.NotBefore = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
			tmpl.NotAfter = time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if parent == nil {
			parent = tmpl
		}
		der, err := x509.CreateCertificate(nil, tmpl, parent, goldenKey(name).Public(), goldenKey(parentKey))
		if err != nil {
			t.Fatal(err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	ca := func(cn string) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn, Organization: []string{"Example Trust"}}, IsCA: true,
			BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	}
	leaf := func(cn string, eku x509.ExtKeyUsage, from, until time.Time) *x509.Certificate {
		return &x509.Certificate{Subject: pkix.Name{CommonName: cn}, DNSNames: []string{cn}, NotBefore: from, NotAfter: until,
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{eku},
			IssuingCertificateURL: []string{"http://ca.example.net/intermediate.crt"}}
	}
	p := &goldenPKI{}
	p.root = issue("root", ca("Example Root CA"), nil, "root")
	p.intermediate = issue("intermediate", ca("Example Issuing CA 1"), p.root, "root")
	var zero time.Time
	p.leaf = issue("leaf", leaf("www.example.com", x509.ExtKeyUsageServerAuth, zero, zero), p.intermediate, "intermediate")
	p.expired = issue("expired", leaf("www.example.com", x509.ExtKeyUsageServerAuth,
		time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)), p.intermediate, "intermediate")
	p.future = issue("future", leaf("www.example.com", x509.ExtKeyUsageServerAuth,
		time.Date(2026, 6, 4, 0, 0, 0, 0, time.UTC), time.Date(2027, 6, 4, 0, 0, 0, 0, time.UTC)), p.intermediate, "intermediate")
	p.expiringSoon = issue("soon", leaf("www.example.com", x509.ExtKeyUsageServerAuth,
		time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 6, 11, 0, 0, 0, 0, time.UTC)), p.intermediate, "intermediate")
	self := leaf("www.example.com", x509.ExtKeyUsageServerAuth, zero, zero)
	self.IssuingCertificateURL = nil
	p.selfSigned = issue("self", self, nil, "self")
	p.clientOnly = issue("clientonly", leaf("www.example.com", x509.ExtKeyUsageClientAuth, zero, zero), p.intermediate, "intermediate")
	p.weakKey = issueWith(t, leaf("www.example.com", x509.ExtKeyUsageServerAuth, zero, zero), p.intermediate, weakRSAKey(), goldenKey("intermediate"))
	otherCA := issue("otherca", ca("Other Client CA"), nil, "otherca")
	p.otherClient = issue("otherclient", leaf("device-17", x509.ExtKeyUsageClientAuth, zero, zero), otherCA, "otherca")
	return p
}

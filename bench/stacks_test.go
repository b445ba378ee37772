package bench

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
	"github.com/clasp-tls/clasp/sessions"
)

// serverName is the name every peertest leaf is issued for; the clients
// verify the chain and this name, as a real client would.
const serverName = "localhost"

// scenario is one configuration that both stacks are run with.
type scenario struct {
	name string
	// version is the one protocol version both sides are limited to;
	// 0 means TLS 1.2.
	version uint16
	suite   uint16
	leaf    func(*peertest.PKI) *peertest.Leaf
	// group is the key exchange group both sides are limited to; 0 for RSA
	// key exchange, which has none. It is an IANA code point, the same
	// number in clasp.CurveID and tls.CurveID.
	group tls.CurveID
	// resume is how the client resumes: fullHandshake turns session
	// tickets off on both servers, so that only the full handshake is done.
	resume resumeMode
}

// resumeMode says which kind of session a scenario's client keeps and
// offers.
type resumeMode uint8

const (
	// fullHandshake: no session is kept or offered, and both servers
	// have session tickets turned off.
	fullHandshake resumeMode = iota
	// resumeTicket: the client keeps a session ticket (RFC 5077 for
	// TLS 1.2, a NewSessionTicket PSK for TLS 1.3) in a session cache.
	resumeTicket
	// resumeSessionID: a TLS 1.2 client resumes by session ID from the
	// clasp server's session store. crypto/tls has no server-side session
	// cache, so only clasp runs these.
	resumeSessionID
)

// tlsVersion is the version both sides are limited to.
func (s scenario) tlsVersion() uint16 {
	if s.version == 0 {
		return tls.VersionTLS12
	}
	return s.version
}

// firstByte reports whether each connection ends with the server writing
// one byte and the client reading it. A TLS 1.3 server sends its
// NewSessionTicket after the handshake: crypto/tls writes it inside
// Handshake, which over the synchronous net.Pipe blocks until the client
// reads, and clasp queues it until the server's next write. The one-byte
// exchange delivers the ticket on both stacks the same way.
func (s scenario) firstByte() bool {
	return s.tlsVersion() == tls.VersionTLS13 && s.resume != fullHandshake
}

func ecdsaLeaf(p *peertest.PKI) *peertest.Leaf { return p.ECDSA }
func rsaLeaf(p *peertest.PKI) *peertest.Leaf   { return p.RSA }

// handshakeScenarios are the full handshakes BenchmarkHandshake measures.
var handshakeScenarios = []scenario{
	{name: "ECDHE-ECDSA-P256-AES128GCM", suite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.CurveP256},
	{name: "ECDHE-RSA2048-X25519-AES128GCM", suite: tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, leaf: rsaLeaf, group: tls.X25519},
	// crypto/tls leaves RSA key exchange out of its default suites, but
	// Config.cipherSuites keeps a suite that CipherSuites names explicitly:
	// the GODEBUG setting tlsrsakex=1 only changes the defaults, so no
	// //go:debug directive is needed. TestScenariosNegotiateTheirSuite
	// proves the suite is negotiated.
	{name: "RSA2048-AES128GCM", suite: tls.TLS_RSA_WITH_AES_128_GCM_SHA256, leaf: rsaLeaf},
}

// bulkScenarios are the connections BenchmarkBulk pushes data through.
var bulkScenarios = []scenario{
	{name: "AES128GCM", suite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.CurveP256},
	{name: "ChaCha20Poly1305", suite: tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, leaf: ecdsaLeaf, group: tls.CurveP256},
	// TLS 1.3, both stacks' default: the content type travels inside the
	// encrypted record (RFC 8446 §5.2).
	{name: "TLS13-AES128GCM", version: tls.VersionTLS13, suite: tls.TLS_AES_128_GCM_SHA256, leaf: ecdsaLeaf, group: tls.X25519},
	// Legacy protections (issue 13), for comparison only: both stacks run
	// them when CipherSuites names them. crypto/tls has no NULL suite and
	// no SSL 3.0, so those are only in internal/record's BenchmarkSealOpen.
	{name: "AES128CBCSHA", suite: tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, leaf: ecdsaLeaf, group: tls.CurveP256},
	{name: "3DESCBCSHA", suite: tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, leaf: rsaLeaf, group: tls.CurveP256},
	{name: "RC4SHA", suite: tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, leaf: ecdsaLeaf, group: tls.CurveP256},
}

// smallBulkScenarios are the connections BenchmarkBulkSmall pushes 1 KiB
// writes through: the AEAD rows of bulkScenarios, the ones in use today
// (the legacy rows are for comparison at full records only).
var smallBulkScenarios = bulkScenarios[:3]

// endpoint is one side of a connection of either stack.
type endpoint interface {
	net.Conn
	Handshake() error
}

// negotiated is what a handshake agreed on, as either stack reports it.
type negotiated struct {
	version uint16
	suite   uint16
	group   uint16
	resumed bool
}

// stack is one TLS implementation set up for one scenario.
type stack struct {
	// name is the sub-benchmark name. The key=value form lets
	// `benchstat -col /impl` put the two stacks in columns and print
	// clasp's difference from crypto/tls directly.
	name       string
	client     func(net.Conn) endpoint
	server     func(net.Conn) endpoint
	negotiated func(endpoint) negotiated
	// firstByte: after the handshake the server writes one byte and the
	// client reads it (see scenario.firstByte).
	firstByte bool
}

// stacks returns crypto/tls and clasp configured for the scenario, in that
// order so that benchstat takes crypto/tls as the baseline column. Both
// sides of both stacks are limited to the scenario's version, suite and
// group, and both clients verify the server's chain against the PKI's CA.
// A session-ID scenario has no crypto/tls stack: crypto/tls servers keep
// no session cache.
func (s scenario) stacks(pki *peertest.PKI) []stack {
	if s.resume == resumeSessionID {
		return []stack{s.clasp(pki)}
	}
	return []stack{s.cryptoTLS(pki), s.clasp(pki)}
}

func (s scenario) cryptoTLS(pki *peertest.PKI) stack {
	return s.cryptoTLSStack(s.cryptoTLSConfigs(pki))
}

func (s scenario) clasp(pki *peertest.PKI) stack {
	return s.claspStack(s.claspConfigs(pki))
}

// cryptoTLSConfigs are the crypto/tls client and server configurations
// for the scenario. A caller may change them before cryptoTLSStack.
func (s scenario) cryptoTLSConfigs(pki *peertest.PKI) (client, server *tls.Config) {
	var groups []tls.CurveID
	if s.group != 0 {
		groups = []tls.CurveID{s.group}
	}
	var suites []uint16
	if s.tlsVersion() <= tls.VersionTLS12 {
		// crypto/tls does not let TLS 1.3 suites be configured; its
		// TLS 1.3 order puts AES-128-GCM first on machines with AES
		// hardware, which the plain tests check.
		suites = []uint16{s.suite}
	}
	server = &tls.Config{
		Certificates:     []tls.Certificate{s.leaf(pki).TLS},
		CipherSuites:     suites,
		CurvePreferences: groups,
		MinVersion:       s.tlsVersion(),
		MaxVersion:       s.tlsVersion(),
		// A crypto/tls client always offers session tickets, and the server
		// would then seal and send one after every full handshake. A full-
		// handshake scenario turns tickets off on both servers, so that
		// both stacks do the same work: the handshake alone.
		SessionTicketsDisabled: s.resume == fullHandshake,
	}
	client = &tls.Config{
		RootCAs:          pki.CAPool,
		ServerName:       serverName,
		CipherSuites:     suites,
		CurvePreferences: groups,
		MinVersion:       s.tlsVersion(),
		MaxVersion:       s.tlsVersion(),
	}
	if s.resume != fullHandshake {
		client.ClientSessionCache = tls.NewLRUClientSessionCache(8)
	}
	return client, server
}

func (s scenario) cryptoTLSStack(clientConfig, serverConfig *tls.Config) stack {
	return stack{
		name:   "impl=crypto_tls",
		client: func(c net.Conn) endpoint { return tls.Client(c, clientConfig) },
		server: func(c net.Conn) endpoint { return tls.Server(c, serverConfig) },
		negotiated: func(e endpoint) negotiated {
			st := e.(*tls.Conn).ConnectionState()
			return negotiated{version: st.Version, suite: st.CipherSuite, group: uint16(st.CurveID), resumed: st.DidResume}
		},
		firstByte: s.firstByte(),
	}
}

// claspConfigs are the clasp client and server configurations for the
// scenario. A caller may change them (a session store, a tracer) before
// claspStack.
func (s scenario) claspConfigs(pki *peertest.PKI) (client, server *clasp.Config) {
	var groups []clasp.CurveID
	if s.group != 0 {
		groups = []clasp.CurveID{clasp.CurveID(s.group)}
	}
	leaf := s.leaf(pki)
	server = &clasp.Config{
		Certificates: []clasp.Certificate{{Certificate: leaf.TLS.Certificate, PrivateKey: leaf.TLS.PrivateKey, Leaf: leaf.Cert}},
		// clasp takes TLS 1.3 suites from CipherSuites too.
		CipherSuites:           []uint16{s.suite},
		Groups:                 groups,
		MinVersion:             s.tlsVersion(),
		MaxVersion:             s.tlsVersion(),
		SessionTicketsDisabled: s.resume == fullHandshake,
	}
	client = &clasp.Config{
		RootCAs:      pki.CAPool,
		ServerName:   serverName,
		CipherSuites: []uint16{s.suite},
		Groups:       groups,
		MinVersion:   s.tlsVersion(),
		MaxVersion:   s.tlsVersion(),
		// crypto/tls sends no GREASE ECH; clasp's default one costs an
		// X25519 key and ~350 bytes per hello. The same wire work on
		// both sides keeps the ratios about the stacks.
		EncryptedClientHelloGREASEDisabled: true,
	}
	switch s.resume {
	case resumeTicket:
		client.ClientSessionCache = clasp.NewLRUClientSessionCache(8)
	case resumeSessionID:
		client.ClientSessionCache = clasp.NewLRUClientSessionCache(8)
		// Without a ticket to offer, the client offers the session ID.
		client.SessionTicketsDisabled = true
		// A store of the stack's own rather than the process-wide
		// default, so that no other benchmark's sessions are in it.
		server.SessionStore = sessions.NewMemoryStore(sessions.MemoryOptions{MaxEntries: 1024})
	}
	return client, server
}

func (s scenario) claspStack(clientConfig, serverConfig *clasp.Config) stack {
	return stack{
		name:   "impl=clasp",
		client: func(c net.Conn) endpoint { return clasp.Client(c, clientConfig) },
		server: func(c net.Conn) endpoint { return clasp.Server(c, serverConfig) },
		negotiated: func(e endpoint) negotiated {
			st := e.(*clasp.Conn).ConnectionState()
			return negotiated{version: st.Version, suite: st.CipherSuite, group: uint16(st.CurveID), resumed: st.DidResume}
		},
		firstByte: s.firstByte(),
	}
}

// handshake runs both sides of a handshake over the two ends of a
// connection, the server in its own goroutine, and returns once both are
// done; with st.firstByte, the server then writes one byte and the client
// reads it. A side that fails closes its end so that the other cannot wait
// forever for a message that will not come.
func handshake(st stack, clientRaw, serverRaw net.Conn) (client, server endpoint, err error) {
	client, server = st.client(clientRaw), st.server(serverRaw)
	serverDone := make(chan error, 1)
	go func() {
		err := server.Handshake()
		if err == nil && st.firstByte {
			_, err = server.Write(oneByte[:])
		}
		if err != nil {
			serverRaw.Close()
		}
		serverDone <- err
	}()
	clientErr := client.Handshake()
	if clientErr == nil && st.firstByte {
		var b [1]byte
		_, clientErr = io.ReadFull(client, b[:])
	}
	if clientErr != nil {
		clientRaw.Close()
	}
	serverErr := <-serverDone
	if clientErr != nil || serverErr != nil {
		return nil, nil, errors.Join(clientErr, serverErr)
	}
	return client, server, nil
}

// oneByte is what a server writes after the handshake when stack.firstByte
// is set.
var oneByte = [1]byte{'x'}

// handshakeOverPipe runs one complete handshake over net.Pipe, which has no
// kernel buffers or syscalls to add noise, and closes the pipe. The pipe
// is closed rather than the TLS connections: net.Pipe is synchronous, so a
// close_notify would block until the peer read it, and closing is not part
// of what is measured.
func handshakeOverPipe(st stack) (client, server negotiated, err error) {
	clientRaw, serverRaw := net.Pipe()
	defer clientRaw.Close()
	defer serverRaw.Close()
	c, s, err := handshake(st, clientRaw, serverRaw)
	if err != nil {
		return negotiated{}, negotiated{}, err
	}
	return st.negotiated(c), st.negotiated(s), nil
}

// tcpPair connects a client and a server over loopback TCP and completes
// their handshake. The connections are closed when tb ends.
func tcpPair(tb testing.TB, st stack) (client, server endpoint) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	type accepted struct {
		conn net.Conn
		err  error
	}
	acceptDone := make(chan accepted, 1)
	go func() {
		conn, err := ln.Accept()
		acceptDone <- accepted{conn, err}
	}()
	clientRaw, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { clientRaw.Close() })
	a := <-acceptDone
	if a.err != nil {
		tb.Fatal(a.err)
	}
	serverRaw := a.conn
	tb.Cleanup(func() { serverRaw.Close() })
	client, server, err = handshake(st, clientRaw, serverRaw)
	if err != nil {
		tb.Fatalf("%s handshake: %v", st.name, err)
	}
	return client, server
}

// bulkWriteSize is one Write in BenchmarkBulk: a full TLS record's worth
// of plaintext (RFC 5246 §6.2.1).
const bulkWriteSize = 16 << 10

// smallWriteSize is one Write in BenchmarkBulkSmall: 1 KiB, one small record
// per Write, as request/response protocols and interactive streams send.
// Per-record costs (headers, nonces, syscalls, wake-ups) weigh sixteen
// times more per byte than with full records.
const smallWriteSize = 1 << 10

// readBufferSize is the reader's buffer in every bulk transfer: one full
// record, so that neither stack ever has to split a record over two Reads.
const readBufferSize = 16 << 10

// transfer writes writes×size bytes to w, size bytes per Write, while a
// goroutine reads and discards them from r, and returns once the reader has
// consumed every byte, so that a caller timing it has timed the whole
// transfer.
func transfer(w io.Writer, r io.Reader, writes, size int) error {
	total := int64(writes) * int64(size)
	readDone := make(chan error, 1)
	go func() { readDone <- discard(r, total) }()
	payload := make([]byte, size)
	for range writes {
		if _, err := w.Write(payload); err != nil {
			// The reader may be waiting for bytes that will not come; the
			// caller's cleanup closes the connection and ends it.
			return err
		}
	}
	return <-readDone
}

// discard reads exactly n bytes from r into a record-sized buffer. It does
// not use io.Copy to io.Discard, whose ReadFrom reads 8 KiB at a time and
// would split every full record into two Reads.
func discard(r io.Reader, n int64) error {
	buf := make([]byte, readBufferSize)
	for read := int64(0); read < n; {
		m, err := r.Read(buf[:min(int64(len(buf)), n-read)])
		read += int64(m)
		if err != nil && read < n {
			return err
		}
	}
	return nil
}

// memPair completes a handshake over a memPipe. The connections are closed
// when tb ends.
func memPair(tb testing.TB, st stack) (client, server endpoint) {
	tb.Helper()
	clientRaw, serverRaw := memPipe()
	tb.Cleanup(func() { clientRaw.Close(); serverRaw.Close() })
	client, server, err := handshake(st, clientRaw, serverRaw)
	if err != nil {
		tb.Fatalf("%s handshake: %v", st.name, err)
	}
	return client, server
}

// writeAndReadBack writes payload to w and reads exactly as many bytes
// from r into buf, on the calling goroutine.
func writeAndReadBack(w io.Writer, r io.Reader, payload, buf []byte) error {
	if _, err := w.Write(payload); err != nil {
		return err
	}
	for read := 0; read < len(payload); {
		n, err := r.Read(buf[:min(len(buf), len(payload)-read)])
		read += n
		if err != nil && read < len(payload) {
			return err
		}
	}
	return nil
}

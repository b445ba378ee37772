// Package clasp is a TLS stack whose handshake can be watched and explained.
//
// Its API mirrors crypto/tls: Config, Conn, Client, Server, Dial, Listen
// and ConnectionState have the same names and shapes, so moving a program
// over is a search-and-replace. What clasp adds is visibility (every message,
// decision and key change goes to Config.Tracer), errors that say which side
// offered what, and features crypto/tls leaves out.
package clasp

import (
	"context"
	"crypto/subtle"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/record"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
	"github.com/clasp-tls/clasp/trace"
)

// maxPostHandshakeRun bounds the TLS 1.3 handshake messages
// (NewSessionTicket, KeyUpdate) a peer may send after the handshake with
// no application data between them. Each costs a key derivation or a
// ticket to store while Read makes no progress, so an endless stream would
// keep the connection and the CPU busy. Servers send one or two tickets at
// a time (OpenSSL 3 two); crypto/tls also stops at 16. A TLS 1.2 peer's
// renegotiation requests are not counted: the renegotiation policy bounds
// the handshakes, and a declined request costs a two-byte warning (GnuTLS's
// gnutls-cli repeats a refused request many times before giving up).
const maxPostHandshakeRun = 16

// maxPlaintext is the largest record plaintext, RFC 5246 §6.2.1.
const maxPlaintext = 1 << 14

// interruptDeadline is a deadline in the past: setting it makes a blocked
// read or write return at once.
var interruptDeadline = time.Unix(1, 0)

// Conn is a TLS connection over an underlying net.Conn. It implements
// net.Conn. Read and Write run the handshake first if it has not happened.
type Conn struct {
	conn     net.Conn
	isClient bool
	config   *Config
	tracer   trace.Tracer // copied from config so the nil check is cheap
	// handshakeTimeout bounds every handshake, renegotiations included:
	// Config.HandshakeTimeout, or a Listener's default. None when <= 0.
	handshakeTimeout time.Duration

	handshakeMu       sync.Mutex
	handshakeErr      error
	handshakeCtx      context.Context // while a handshake runs, for the callbacks' Context
	handshakeComplete atomic.Bool
	echServer         *echServerState // a server's ECH state once a ClientHello offered ECH
	echRejectedName   string          // a client's ECH public name, once the server rejected ECH

	// in guards the read side, out the write side. The handshake holds both.
	in, out sync.Mutex

	layer *record.Layer
	hsIn  record.Assembler
	// transcript, when set, receives every handshake message sent or
	// received (except HelloRequest, which RFC 5246 §7.4.1.1 leaves out).
	transcript *keys.Transcript
	parseCtx   wire.Context
	step       string // current handshake step, for errors and traces
	stepTraced bool   // the tracer has seen step

	// pendingHandshake is a message read ahead while looking for an
	// optional one; the next readHandshake returns it.
	pendingHandshake wire.Message
	// lastHandshakeRaw aliases the bytes of the message readHandshake
	// returned last, valid until the next read (PSK binders cover them).
	lastHandshakeRaw []byte
	// helloRetryRaw holds a HelloRetryRequest's bytes: they enter the
	// transcript only after the first ClientHello is replaced by its hash.
	helloRetryRaw []byte

	tls13            bool
	phaBase          *keys.Transcript // the handshake's transcript, for post-handshake auth
	pha              *phaRequest      // a server's outstanding post-handshake CertificateRequest
	sawCompatCCS     bool
	trafficSecrets   [2][]byte         // TLS 1.3 application secrets: read, write
	exporterSecret   *exporterSecret13 // derived on first use
	resumptionSecret []byte
	recordsWritten   uint64 // under the current write key, for automatic KeyUpdate
	readGeneration   int    // KeyUpdates received, for the key log
	writeGeneration  int    // KeyUpdates sent
	keyUpdateOwed    bool   // the peer asked for a KeyUpdate, sent before the next data (guarded by out)
	// keyLogRandom is the client random that names this connection in the
	// key log: a copy, since a slice of the ClientHello's Random would keep
	// the whole parsed ClientHello alive for as long as the connection.
	keyLogRandom [32]byte

	// Renegotiation (TLS 1.2, RFC 5746).
	renegotiating         bool   // a handshake is running on an established connection
	awaitingRenegotiation bool   // a no_renegotiation warning now means "refused"
	renegotiations        int    // completed or attempted renegotiations
	clientVerifyData      []byte // the last handshake's Finished verify_data, client's
	serverVerifyData      []byte // and server's
	pendingAppData        []byte // application data that arrived during a renegotiation

	offeredSession bool // the client offered a cached session, which a fatal error invalidates

	// 0-RTT (RFC 8446 §4.2.10). A client's first Write hands its bytes to
	// the handshake in earlyData; earlyDataSent of them left as 0-RTT data.
	// A server that accepted early data is readingEarlyData until
	// EndOfEarlyData, taking at most earlyDataBudget more bytes into
	// pendingAppData.
	earlyData        []byte
	earlySuite       *suites.Suite // the suite of a client's 0-RTT keys
	earlyDataSent    int
	readingEarlyData bool
	earlyDataBudget  int
	sentCompatCCS    bool

	// alertProtection is the write protection the peer already reads
	// under while this side has not switched to it yet (a TLS 1.3 client
	// between the server's ServerHello and its own second flight); fail
	// installs it so that the peer can read the alert (RFC 8446 §5.1).
	alertProtection record.Protection

	readErr         error
	writeErr        error
	closeNotifySent bool
	input           []byte // unread application data; aliases the layer's buffer
	// postHandshakeRun counts TLS 1.3 handshake messages read after the
	// handshake since the last application data record (maxPostHandshakeRun).
	postHandshakeRun int

	// fatalAlert is set once a fatal alert was sent or received: the
	// connection is over and nothing more is sent (RFC 5246 §7.2.2, RFC
	// 8446 §6.2), not even close_notify.
	fatalAlert atomic.Bool

	state connState
}

// connState holds what the handshake negotiated; ConnectionState reports it.
type connState struct {
	version             suites.Version
	suite               *suites.Suite
	group               suites.Group
	scheme              suites.SignatureScheme
	serverName          string
	alpn                string
	peerCertificates    []*x509.Certificate
	verifiedChains      [][]*x509.Certificate
	ems                 bool
	secureRenegotiation bool
	sessionID           []byte
	didResume           bool
	resumedBy           string
	helloRetry          bool
	earlyDataAccepted   bool
	warnings            []string
	tls12               *tls12Secrets // for the TLS 1.0-1.2 exporter
	etm                 bool          // encrypt-then-MAC (RFC 7366) for the CBC suite
	maxFragment         int           // the negotiated max_fragment_length in bytes, 0 for none
	pskIdentity         []byte        // the external PSK the handshake used
	rawPublicKey        bool          // the server authenticates with a raw public key (RFC 7250)
	clientRawPublicKey  bool          // and the client, in its Certificate
	peerRawPublicKey    []byte        // its SubjectPublicKeyInfo, on the client
	ocspResponse        []byte        // stapled by the server
	scts                [][]byte      // the server's Signed Certificate Timestamps
	echAccepted         bool          // the server used the encrypted ClientHelloInner (RFC 9849)
}

func newConn(conn net.Conn, config *Config, isClient bool) *Conn {
	if config == nil {
		config = &Config{}
	}
	c := &Conn{conn: conn, config: config, isClient: isClient, tracer: config.Tracer, handshakeTimeout: config.HandshakeTimeout}
	c.layer = record.NewLayer(conn)
	c.hsIn.MaxMessageSize = config.maxHandshakeSize()
	return c
}

// Client returns a client-side TLS connection over conn. The config must
// set ServerName or InsecureSkipVerify.
func Client(conn net.Conn, config *Config) *Conn { return newConn(conn, config, true) }

// Server returns a server-side TLS connection over conn. The config must
// hold at least one certificate or a GetCertificate callback.
func Server(conn net.Conn, config *Config) *Conn { return newConn(conn, config, false) }

func (c *Conn) side() trace.Side {
	if c.isClient {
		return trace.Client
	}
	return trace.Server
}

func (c *Conn) sideName() string { return c.side().String() }

// Handshake runs the handshake if it has not yet run. Most callers need not
// call it: Read and Write do.
func (c *Conn) Handshake() error { return c.HandshakeContext(context.Background()) }

// HandshakeContext runs the handshake, giving up when ctx is done. A
// cancelled handshake leaves the connection unusable.
func (c *Conn) HandshakeContext(ctx context.Context) error {
	c.handshakeMu.Lock()
	defer c.handshakeMu.Unlock()
	if c.handshakeErr != nil {
		return c.handshakeErr
	}
	if c.handshakeComplete.Load() {
		return nil
	}
	c.in.Lock()
	defer c.in.Unlock()
	c.out.Lock()
	defer c.out.Unlock()

	ctx, cancel := c.withHandshakeTimeout(ctx)
	defer cancel()
	c.handshakeCtx = ctx
	defer func() { c.handshakeCtx = nil }()
	// A blocked read or write only returns when the socket does, so a
	// cancelled context interrupts it through an immediate deadline.
	stop := c.interruptOnDone(ctx)

	var err error
	if c.isClient {
		err = c.clientHandshake()
	} else {
		err = c.serverHandshake()
	}
	// A handshake that ended just as ctx did may have had its deadline
	// moved into the past all the same; the connection is then unusable,
	// so it fails too (as crypto/tls's does).
	if interrupted := stop(); interrupted || err != nil && ctx.Err() != nil {
		err = &HandshakeError{Side: c.sideName(), Step: c.step, Err: context.Cause(ctx)}
	}
	c.transcript = nil
	if err != nil {
		c.handshakeErr = err
		c.readErr, c.writeErr = err, err
		if c.tracer != nil {
			c.emit(&trace.Failed{Header: c.header(trace.KindFailed), Err: err})
		}
		return err
	}
	c.handshakeComplete.Store(true)
	c.layer.ExpectSmallRecords()
	c.releaseReadBuffer()
	c.hsIn.Release()
	c.lastHandshakeRaw = nil
	if c.tracer != nil {
		c.emitDone()
	}
	return nil
}

// releaseReadBuffer gives the record layer's input buffer back to its pool
// when it holds nothing unread: no application data waiting in c.input
// (which aliases it) and no bytes of a next record. A connection between
// handshake and data, or between reads, then holds no read buffer. The
// caller holds in.
func (c *Conn) releaseReadBuffer() {
	if len(c.input) == 0 {
		c.input = nil
		c.layer.ReleaseReadBuffer()
	}
}

// emitDone reports a completed handshake (the first, or a renegotiation).
func (c *Conn) emitDone() {
	st := &c.state
	done := &trace.Done{Header: c.header(trace.KindDone), Version: st.version.String(), CipherSuite: st.suite.Name,
		Group: groupName(st.group), ALPN: st.alpn, ExtendedMasterSecret: st.ems, Resumed: st.didResume,
		HelloRetryRequest: st.helloRetry}
	if st.scheme != 0 {
		done.SignatureScheme = st.scheme.String()
	}
	c.emit(done)
}

// setStep records the step the handshake is at. Errors name it, and a
// tracer sees it as a state transition once the step sends or receives
// something: a step with nothing to do (no CertificateRequest to answer)
// leaves no trace.
func (c *Conn) setStep(step string) {
	c.step = step
	c.stepTraced = false
}

// traceStep reports the current step to the tracer, once.
func (c *Conn) traceStep() {
	if !c.stepTraced && c.step != "" {
		c.stepTraced = true
		c.emit(&trace.State{Header: c.header(trace.KindState), Name: c.step})
	}
}

// fail ends the handshake: it sends the alert the error calls for (unless
// the peer already sent one or the transport is gone), and wraps the error
// with the step it happened at.
func (c *Conn) fail(err error) error {
	var he *HandshakeError
	if errors.As(err, &he) {
		return err
	}
	he = &HandshakeError{Side: c.sideName(), Step: c.step, Err: err}
	c.invalidateSession(err)
	if shouldSendAlert(err) {
		if c.alertProtection != nil {
			c.setWriteProtection(c.alertProtection)
			c.alertProtection = nil
		}
		desc := alertFor(err)
		if c.sendAlert(wire.AlertLevelFatal, desc) == nil {
			he.Alert, he.AlertSent = uint8(desc), true
		}
	}
	return he
}

// invalidateSession forgets the connection's session after a fatal error:
// RFC 5246 §7.2.2 says a session ended by a fatal alert must not be
// resumed. A transport error (the peer went away) does not count.
func (c *Conn) invalidateSession(err error) {
	var ne net.Error
	var alert *AlertReceivedError
	if errors.As(err, &alert) && alert.Level == uint8(wire.AlertLevelWarning) && alert.Description == uint8(wire.AlertNoRenegotiation) {
		return // a refused renegotiation: nothing went wrong with the session
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) || errors.As(err, &ne) {
		return
	}
	if c.isClient {
		if c.offeredSession && c.config.ClientSessionCache != nil {
			c.config.ClientSessionCache.Put(c.sessionCacheKey(), nil)
		}
		return
	}
	if len(c.state.sessionID) > 0 && !c.tls13 {
		c.forgetSession(c.state.sessionID)
	}
}

func shouldSendAlert(err error) bool {
	var ae *AlertReceivedError
	var ce *configError
	if errors.As(err, &ae) || errors.As(err, &ce) {
		return false
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return false
	}
	var we *wire.Error
	var notTLS *record.NotTLSError
	return errors.As(err, &we) || !errors.As(err, &notTLS)
}

// sendAlert writes an alert record and flushes it. The caller holds out.
// After a fatal alert, sent or received, it sends nothing: RFC 5246 §7.2.2
// and RFC 8446 §6.2 close the connection at once.
func (c *Conn) sendAlert(level wire.AlertLevel, desc wire.AlertDescription) error {
	if c.fatalAlert.Load() {
		return errConnectionEnded
	}
	if level == wire.AlertLevelFatal {
		c.fatalAlert.Store(true)
	}
	alert := wire.Alert{Level: level, Description: desc}
	if c.tracer != nil {
		c.emit(&trace.Alert{Header: c.header(trace.KindAlert), Direction: trace.Sent,
			Level: uint8(level), Description: uint8(desc), Name: desc.String(), Epoch: c.layer.WriteEpoch()})
	}
	if err := c.layer.WriteRecord(wire.ContentAlert, alert.Marshal()); err != nil {
		return err
	}
	return c.layer.Flush()
}

// readRecord reads the next record that is not an alert. Alerts are handled
// here (receiveAlert): close_notify becomes io.EOF, an alert that ends the
// connection an *AlertReceivedError, and warnings to ignore are skipped, as are
// empty application-data records where application data may come. At most
// maxSkippedRecords are skipped in a row.
func (c *Conn) readRecord() (wire.ContentType, []byte, error) {
	for skipped := 1; ; skipped++ {
		typ, payload, err := c.layer.ReadRecord()
		if err != nil {
			return 0, nil, c.recordHeaderError(err)
		}
		switch {
		case typ == wire.ContentAlert:
			if err := c.receiveAlert(payload); err != nil {
				return 0, nil, err
			}
		case typ == wire.ContentApplicationData && len(payload) == 0 && (c.handshakeComplete.Load() || c.readingEarlyData):
			// RFC 5246 §6.2.1 and RFC 8446 §5.4: "Zero-length fragments of
			// Application Data MAY be sent". During the handshake, before
			// application data may flow, one is as unexpected as any other
			// application data, and readHandshake says so.
		default:
			return typ, payload, nil
		}
		if skipped > maxSkippedRecords {
			return 0, nil, wire.Errorf(wire.AlertUnexpectedMessage, "%d warning alerts or empty records in a row", skipped)
		}
	}
}

// parseReceived parses a handshake message from the peer. A type that only
// this side sends is unexpected_message before its body is read: a
// ServerHello sent to a server is "an inappropriate message" (RFC 8446
// §6.2, RFC 5246 §7.2.2) whatever its body holds, which is also how
// OpenSSL's state machine answers it (a decode_error would blame the body).
func (c *Conn) parseReceived(raw []byte) (wire.Message, error) {
	if t := wire.HandshakeType(raw[0]); !t.SentBy(c.isClient) {
		return nil, wire.Errorf(wire.AlertUnexpectedMessage, "received %v, which only a %s sends", t, c.side())
	}
	return wire.ParseHandshake(raw, c.parseCtx)
}

// readHandshake returns the next handshake message, parsed. This is the
// only place where handshake bytes become typed messages; each driver step
// then accepts only the type it expects.
func (c *Conn) readHandshake() (wire.Message, error) {
	if msg := c.pendingHandshake; msg != nil {
		c.pendingHandshake = nil
		return msg, nil
	}
	for {
		if raw, ok := c.hsIn.Next(); ok {
			msg, err := c.parseReceived(raw)
			if err != nil {
				return nil, err
			}
			c.lastHandshakeRaw = raw
			if c.tracer != nil {
				c.emitMessage(trace.Received, wire.ContentHandshake, raw, msg, c.layer.ReadEpoch())
			}
			if c.mustEndRecord(msg) {
				if err := c.checkRecordBoundary(messageName(msg.Type())); err != nil {
					return nil, err
				}
			}
			if sh, ok := msg.(*wire.ServerHello); ok && sh.IsHelloRetryRequest() {
				c.helloRetryRaw = slices.Clone(raw)
				return msg, nil
			}
			if _, isHelloRequest := msg.(*wire.HelloRequest); isHelloRequest {
				if c.isClient && !c.handshakeComplete.Load() {
					// RFC 5246 §7.4.1.1: a HelloRequest that arrives while a
					// handshake is under way is ignored.
					continue
				}
				return msg, nil
			}
			if c.transcript != nil {
				c.transcript.Write(raw)
			}
			return msg, nil
		}
		typ, payload, err := c.readRecord()
		if err != nil {
			return nil, err
		}
		switch typ {
		case wire.ContentHandshake:
			if err := c.hsIn.Add(payload); err != nil {
				return nil, err
			}
		case wire.ContentApplicationData:
			if c.readingEarlyData {
				if err := c.takeEarlyData(payload); err != nil {
					return nil, err
				}
				continue
			}
			if !c.renegotiating {
				return nil, wire.Errorf(wire.AlertUnexpectedMessage, "application data arrived at %s", c.step)
			}
			// RFC 5246 allows application data to interleave with a
			// renegotiation's handshake; it is kept for Read.
			c.pendingAppData = append(c.pendingAppData, payload...)
		case wire.ContentChangeCipherSpec:
			// RFC 8446 §5: during a TLS 1.3 handshake one unprotected
			// change_cipher_spec (middlebox compatibility) is dropped;
			// any other is an error.
			if c.tls13 && !c.sawCompatCCS && !c.hsIn.Pending() && wire.ParseChangeCipherSpec(payload) == nil {
				c.sawCompatCCS = true
				if c.tracer != nil {
					// It travels in the clear whatever keys are installed.
					// The event gets a copy: payload is in the pooled
					// record buffer, which another connection may reuse.
					c.emitMessage(trace.Received, wire.ContentChangeCipherSpec, slices.Clone(payload), nil, 0)
				}
				continue
			}
			return nil, wire.Errorf(wire.AlertUnexpectedMessage, "ChangeCipherSpec arrived at %s, before the handshake message it expected", c.step)
		default:
			return nil, wire.Errorf(wire.AlertUnexpectedMessage, "%s record arrived at %s", typ, c.step)
		}
	}
}

// readChangeCipherSpec reads the peer's ChangeCipherSpec. RFC 5246 §7.1: it
// must not arrive in the middle of a handshake message, since the message's
// remaining bytes would then be read under different keys.
func (c *Conn) readChangeCipherSpec() error {
	if err := c.checkRecordBoundary("the handshake messages before ChangeCipherSpec"); err != nil {
		return err
	}
	typ, payload, err := c.readRecord()
	if err != nil {
		return err
	}
	if typ != wire.ContentChangeCipherSpec {
		return wire.Errorf(wire.AlertUnexpectedMessage, "expected ChangeCipherSpec, received a %s record", typ)
	}
	if err := wire.ParseChangeCipherSpec(payload); err != nil {
		return err
	}
	if c.tracer != nil {
		// A copy, as above: the record buffer goes back to the pool.
		c.emitMessage(trace.Received, wire.ContentChangeCipherSpec, slices.Clone(payload), nil, c.layer.ReadEpoch())
	}
	return nil
}

// writeHandshake marshals msg, adds it to the transcript and queues it in
// the record layer. Flights are sent by flush.
func (c *Conn) writeHandshake(msg wire.Message) ([]byte, error) {
	raw, err := msg.Marshal()
	if err != nil {
		return nil, err
	}
	return c.writeMarshalledHandshake(msg, raw)
}

// writeMarshalledHandshake is writeHandshake for a message already
// marshalled into raw.
func (c *Conn) writeMarshalledHandshake(msg wire.Message, raw []byte) ([]byte, error) {
	if c.transcript != nil && inTranscript(msg) {
		c.transcript.Write(raw)
	}
	if c.tracer != nil {
		c.emitMessage(trace.Sent, wire.ContentHandshake, raw, msg, c.layer.WriteEpoch())
	}
	return raw, c.layer.WriteRecord(wire.ContentHandshake, raw)
}

// inTranscript reports whether a message belongs to the handshake
// transcript: HelloRequest does not (RFC 5246 §7.4.1.1), nor do TLS 1.3's
// post-handshake messages, even when a ticket leaves with the server's
// handshake flight (RFC 8446 §4.4.1).
func inTranscript(msg wire.Message) bool {
	switch msg.(type) {
	case *wire.HelloRequest, *wire.NewSessionTicket13, *wire.KeyUpdate:
		return false
	}
	return true
}

func (c *Conn) writeChangeCipherSpec() error {
	if c.tracer != nil {
		c.emitMessage(trace.Sent, wire.ContentChangeCipherSpec, wire.ChangeCipherSpec, nil, c.layer.WriteEpoch())
	}
	return c.layer.WriteRecord(wire.ContentChangeCipherSpec, wire.ChangeCipherSpec)
}

// writeCompatChangeCipherSpec sends TLS 1.3's middlebox-compatibility
// change_cipher_spec (RFC 8446 Appendix D.4), which changes nothing.
func (c *Conn) writeCompatChangeCipherSpec() error {
	if c.sentCompatCCS || (c.isClient && c.config.MiddleboxCompatDisabled) {
		// Sent already (before the client's early data), or a client
		// without compatibility mode.
		return nil
	}
	c.sentCompatCCS = true
	return c.writeChangeCipherSpec()
}

func (c *Conn) flush() error { return c.layer.Flush() }

func (c *Conn) setReadProtection(p record.Protection) {
	c.layer.SetReadProtection(p)
	if c.tracer != nil {
		c.emit(&trace.Keys{Header: c.header(trace.KindKeys), Direction: trace.Received,
			Epoch: c.layer.ReadEpoch(), Suite: c.suiteName()})
	}
}

func (c *Conn) setWriteProtection(p record.Protection) {
	c.layer.SetWriteProtection(p)
	if c.tracer != nil {
		c.emit(&trace.Keys{Header: c.header(trace.KindKeys), Direction: trace.Sent,
			Epoch: c.layer.WriteEpoch(), Suite: c.suiteName()})
	}
}

// suiteName names the negotiated suite for the trace; a client's 0-RTT
// keys come before any suite is negotiated, under its ticket's suite.
func (c *Conn) suiteName() string {
	if c.state.suite != nil {
		return c.state.suite.Name
	}
	if c.earlySuite != nil {
		return c.earlySuite.Name
	}
	return ""
}

// Read reads application data, running the handshake first if needed.
func (c *Conn) Read(b []byte) (int, error) {
	// Once complete, a handshake cannot have failed: skip handshakeMu.
	if !c.handshakeComplete.Load() {
		if err := c.Handshake(); err != nil {
			return 0, err
		}
	}
	if len(b) == 0 {
		return 0, nil
	}
	c.in.Lock()
	defer c.in.Unlock()
	for len(c.input) == 0 {
		if len(c.pendingAppData) > 0 {
			c.input, c.pendingAppData = c.pendingAppData, nil
			break
		}
		if c.readErr != nil {
			return 0, c.readErr
		}
		// Application data may be opened straight into b (see
		// record.Layer.SetReadDestination), which saves copying it out.
		c.layer.SetReadDestination(b)
		err := c.readApplicationRecord()
		c.layer.SetReadDestination(nil)
		if err != nil {
			// A read deadline that passed does not end the connection: the
			// record layer keeps the bytes it had read, and the next Read
			// goes on. net/http's HTTP/1.1 server relies on it, aborting
			// its background read with a past deadline between requests
			// of a keep-alive connection (crypto/tls allows it too).
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				c.readErr = err
			}
			return 0, err
		}
	}
	if &c.input[0] == &b[0] {
		// Opened into b: the record's data is there already.
		n := len(c.input)
		c.input = nil
		c.releaseReadBuffer()
		return n, nil
	}
	n := copy(b, c.input)
	c.input = c.input[n:]
	c.releaseReadBuffer()
	return n, nil
}

// readApplicationRecord reads one record after the handshake. Handshake
// messages at this point ask for renegotiation, which clasp declines with
// the no_renegotiation warning (RFC 5246 §7.2.2, RFC 5746 §4.2 and §4.4).
func (c *Conn) readApplicationRecord() error {
	typ, payload, err := c.readRecord()
	if err != nil {
		if err == io.EOF {
			return io.EOF
		}
		return c.failAfterHandshake(err)
	}
	switch typ {
	case wire.ContentApplicationData:
		c.input = payload
		c.postHandshakeRun = 0
		if c.tracer != nil {
			c.emitApplicationData(trace.Received, len(payload), c.layer.ReadEpoch())
		}
		return nil
	case wire.ContentHandshake:
		if err := c.hsIn.Add(payload); err != nil {
			return c.failAfterHandshake(err)
		}
		for {
			raw, ok := c.hsIn.Next()
			if !ok {
				c.hsIn.Release()
				c.lastHandshakeRaw = nil
				return nil
			}
			msg, err := c.parseReceived(raw)
			if err != nil {
				return c.failAfterHandshake(err)
			}
			c.lastHandshakeRaw = raw
			if c.tracer != nil {
				c.emitMessage(trace.Received, wire.ContentHandshake, raw, msg, c.layer.ReadEpoch())
			}
			if c.tls13 {
				if c.postHandshakeRun++; c.postHandshakeRun > maxPostHandshakeRun {
					return c.failAfterHandshake(wire.Errorf(wire.AlertUnexpectedMessage,
						"%d handshake messages in a row after the handshake without application data", c.postHandshakeRun))
				}
				err = c.handlePostHandshake13(msg)
			} else {
				err = c.answerRenegotiation(msg)
			}
			if err != nil {
				return c.failAfterHandshake(err)
			}
		}
	default:
		return c.failAfterHandshake(wire.Errorf(wire.AlertUnexpectedMessage, "%s record after the handshake", typ))
	}
}

// failAfterHandshake sends the alert for a protocol error found after the
// handshake and returns the error. When a fatal alert went either way the
// error is sticky for writes as well: the connection is over.
func (c *Conn) failAfterHandshake(err error) error {
	c.invalidateSession(err)
	send := shouldSendAlert(err)
	if !send && !c.fatalAlert.Load() {
		return err // the transport failed: there is nobody to tell
	}
	c.out.Lock()
	defer c.out.Unlock()
	if send {
		desc := alertFor(err)
		if c.sendAlert(wire.AlertLevelFatal, desc) == nil {
			err = &alertSentError{err: err, alert: AlertError(desc)}
		}
	}
	if c.writeErr == nil {
		c.writeErr = err
	}
	return err
}

// Write writes application data, running the handshake first if needed.
// With Config.EarlyData, the bytes of a client's first Write may leave as
// 0-RTT data during the handshake; what the server rejects goes again.
func (c *Conn) Write(b []byte) (int, error) {
	if c.handshakeComplete.Load() {
		// Nothing left for the handshake or early data to do, and taking
		// handshakeMu on every Read and Write cost 5 % of a 1 KiB
		// record's CPU.
		return c.write(b)
	}
	offeredEarly := false
	if c.isClient && c.config.EarlyData && len(b) > 0 && !c.handshakeComplete.Load() {
		c.handshakeMu.Lock()
		if c.handshakeErr == nil && !c.handshakeComplete.Load() && c.earlyData == nil {
			c.earlyData, offeredEarly = b, true
		}
		c.handshakeMu.Unlock()
	}
	if err := c.Handshake(); err != nil {
		return 0, err
	}
	sentEarly := 0
	if offeredEarly {
		c.handshakeMu.Lock()
		if c.state.earlyDataAccepted {
			sentEarly = c.earlyDataSent
		}
		c.earlyData = nil
		c.handshakeMu.Unlock()
	}
	if sentEarly == len(b) {
		return sentEarly, nil
	}
	n, err := c.write(b[sentEarly:])
	return sentEarly + n, err
}

// write sends application data after the handshake.
func (c *Conn) write(b []byte) (int, error) {
	c.out.Lock()
	defer c.out.Unlock()
	if c.writeErr != nil {
		return 0, c.writeErr
	}
	if c.closeNotifySent {
		return 0, errShutdown
	}
	written := 0
	for written < len(b) {
		chunk := min(len(b)-written, maxPlaintext)
		if err := c.maybeUpdateKeys(); err != nil {
			c.writeErr = err
			return written, err
		}
		if c.tracer != nil && c.layer.SplitsApplicationData() && chunk > 1 {
			// The trace shows records: the 1/n-1 split is two of them.
			c.emitApplicationData(trace.Sent, 1, c.layer.WriteEpoch())
			c.emitApplicationData(trace.Sent, chunk-1, c.layer.WriteEpoch())
		} else if c.tracer != nil {
			c.emitApplicationData(trace.Sent, chunk, c.layer.WriteEpoch())
		}
		err := c.layer.WriteRecord(wire.ContentApplicationData, b[written:written+chunk])
		if err == nil {
			err = c.layer.Flush()
		}
		if err != nil {
			c.writeErr = err
			return written, err
		}
		written += chunk
	}
	return written, nil
}

// CloseWrite sends close_notify: the peer sees EOF, and this side can still
// read. The connection must have completed its handshake; after a fatal
// alert it returns the error that ended the connection.
func (c *Conn) CloseWrite() error {
	if !c.handshakeComplete.Load() {
		return errHandshakeNeeded
	}
	if c.fatalAlert.Load() {
		c.out.Lock()
		defer c.out.Unlock()
		if c.writeErr != nil {
			return c.writeErr
		}
		return errConnectionEnded
	}
	return c.closeNotify()
}

// closeNotify sends close_notify, unless a fatal alert already ended the
// connection: then RFC 5246 §7.2.2 and RFC 8446 §6.2 allow no further
// record, and there is nothing to do.
func (c *Conn) closeNotify() error {
	c.out.Lock()
	defer c.out.Unlock()
	if c.closeNotifySent || c.fatalAlert.Load() {
		return nil
	}
	// A peer that stopped reading must not make Close hang. The alert
	// also carries anything still queued, such as a TLS 1.3 ticket.
	_ = c.conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
	err := c.sendAlert(wire.AlertLevelWarning, wire.AlertCloseNotify)
	c.closeNotifySent = true
	if c.writeErr == nil {
		c.writeErr = errClosed
	}
	return err
}

// Close sends close_notify (after a completed handshake, unless a fatal
// alert ended the connection) and closes the underlying connection.
func (c *Conn) Close() error {
	var alertErr error
	if c.handshakeComplete.Load() {
		alertErr = c.closeNotify()
	}
	if err := c.conn.Close(); err != nil {
		return err
	}
	return alertErr
}

// LocalAddr returns the local network address.
func (c *Conn) LocalAddr() net.Addr { return c.conn.LocalAddr() }

// RemoteAddr returns the remote network address.
func (c *Conn) RemoteAddr() net.Addr { return c.conn.RemoteAddr() }

// SetDeadline sets the read and write deadlines of the underlying connection.
func (c *Conn) SetDeadline(t time.Time) error { return c.conn.SetDeadline(t) }

// SetReadDeadline sets the read deadline of the underlying connection.
func (c *Conn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }

// SetWriteDeadline sets the write deadline of the underlying connection.
func (c *Conn) SetWriteDeadline(t time.Time) error { return c.conn.SetWriteDeadline(t) }

// NetConn returns the underlying connection.
func (c *Conn) NetConn() net.Conn { return c.conn }

// header builds the common part of an event. Only called with a tracer.
func (c *Conn) header(kind trace.Kind) trace.Header {
	return trace.Header{Kind: kind, Side: c.side(), Time: c.config.now()}
}

func (c *Conn) emit(e trace.Event) { c.tracer.Trace(e) }

func (c *Conn) emitMessage(dir trace.Direction, typ wire.ContentType, raw []byte, msg wire.Message, epoch int) {
	if !c.handshakeComplete.Load() {
		c.traceStep()
	}
	ev := &trace.Message{Header: c.header(trace.KindMessage), Direction: dir,
		ContentType: uint8(typ), Raw: raw, Epoch: epoch, Length: len(raw),
		RecordVersion: c.recordVersion()}
	if dir == trace.Received {
		// What the peer actually put in the header of the record that
		// completed this message.
		hdr := c.layer.RecordHeader()
		ev.RecordVersion = uint16(hdr[1])<<8 | uint16(hdr[2])
	}
	switch {
	case msg != nil:
		ev.HandshakeType = uint8(msg.Type())
		ev.Name = messageName(msg.Type())
		ev.Parsed = msg
	case typ == wire.ContentChangeCipherSpec:
		ev.Name = "ChangeCipherSpec"
	}
	c.emit(ev)
}

// recordVersion is the version record headers carry at this point: TLS 1.0
// until the version is negotiated (see record.Layer.SetVersion).
func (c *Conn) recordVersion() uint16 {
	if c.state.version == 0 {
		return uint16(suites.VersionTLS10)
	}
	return uint16(min(c.state.version, suites.VersionTLS12))
}

// emitApplicationData reports application data by length only.
func (c *Conn) emitApplicationData(dir trace.Direction, n int, epoch int) {
	c.emit(&trace.Message{Header: c.header(trace.KindMessage), Direction: dir,
		ContentType: uint8(wire.ContentApplicationData), Name: "ApplicationData", Epoch: epoch,
		Length: n, RecordVersion: c.recordVersion()})
}

// decide reports a negotiation decision to the tracer. Callers check
// c.tracer first so that building the event costs nothing untraced.
func (c *Conn) decide(d *trace.Decision) {
	c.traceStep()
	d.Header = c.header(trace.KindDecision)
	c.emit(d)
}

// warn records that something weaker than clasp's secure defaults is in use;
// ConnectionState.Warnings reports it and the command prints it.
func (c *Conn) warn(warning string) {
	c.state.warnings = append(c.state.warnings, warning)
}

// handshakeStep is one step of a handshake driver: a message or a flight.
type handshakeStep struct {
	name string
	run  func() error
}

// runSteps runs a driver's steps in order. Each step's name is what errors
// and traces call it; the first failure ends the handshake through fail.
func (c *Conn) runSteps(steps []handshakeStep) error {
	for _, step := range steps {
		if step.run == nil {
			continue // a step this configuration does not need
		}
		if c.step != step.name {
			c.setStep(step.name)
		}
		if err := step.run(); err != nil {
			return c.fail(err)
		}
	}
	return nil
}

// readFinished reads the peer's Finished and compares it, in constant
// time, with want: the verify_data this side computed over the transcript
// before the message arrived.
func (c *Conn) readFinished(want []byte) error {
	msg, err := c.readHandshake()
	if err != nil {
		return err
	}
	fin, ok := msg.(*wire.Finished)
	if !ok {
		return errUnexpected("Finished", msg)
	}
	if len(fin.VerifyData) != len(want) {
		// Not a wrong value but a malformed message: decode_error, "the
		// length of the message was incorrect" (RFC 5246 §7.2.2, RFC 8446
		// §6.2); OpenSSL 3 agrees ("bad digest length").
		return wire.Errorf(wire.AlertDecodeError, "Finished of %d bytes, want %d", len(fin.VerifyData), len(want))
	}
	if subtle.ConstantTimeCompare(fin.VerifyData, want) != 1 {
		peer := "client"
		if c.isClient {
			peer = "server"
		}
		return wire.Errorf(wire.AlertDecryptError, "%s's Finished does not match: the two sides derived different keys or saw different handshakes", peer)
	}
	return nil
}

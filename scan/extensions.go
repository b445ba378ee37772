package scan

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/suites"
	"github.com/clasp-tls/clasp/internal/wire"
)

// Extensions is what the server answers to the TLS extensions a scan asks
// about. All but ALPN are read from a TLS 1.2 (or the highest version
// below TLS 1.3) ServerHello, one probe each with the extension added:
// in TLS 1.3 the answers travel encrypted, and the TLS 1.2 ServerHello
// says the same of the server's code.
type Extensions struct {
	// Version is the version of the ServerHello probes; absent when the
	// server has no version from TLS 1.0 to 1.2.
	Version string `json:"version,omitempty"`
	// ExtendedMasterSecret: RFC 7627, echoed.
	ExtendedMasterSecret *ExtAnswer `json:"extended_master_secret,omitempty"`
	// EncryptThenMAC: RFC 7366, echoed to a hello offering the server's
	// CBC suites ("not asked" when it accepts none).
	EncryptThenMAC *ExtAnswer `json:"encrypt_then_mac,omitempty"`
	// RecordSizeLimit: RFC 8449, the server's own limit as Value.
	RecordSizeLimit *ExtAnswer `json:"record_size_limit,omitempty"`
	// Compression: DEFLATE offered beside null, chosen or not.
	Compression *ExtAnswer `json:"compression,omitempty"`
	// Heartbeat: RFC 6520, answered (its mode as Value); no heartbeat
	// message is sent.
	Heartbeat *ExtAnswer `json:"heartbeat,omitempty"`
	// StatusRequest: RFC 6066 §8 OCSP stapling, an empty status_request
	// in the ServerHello promising a CertificateStatus.
	StatusRequest *ExtAnswer `json:"status_request,omitempty"`
	// ALPN: what the server selects from h2 and http/1.1, at its highest
	// version.
	ALPN *ALPN `json:"alpn,omitempty"`
}

// ExtAnswer is the server's answer about one extension.
type ExtAnswer struct {
	// Supported: the server answered the extension (or, for
	// compression, compresses).
	Supported bool `json:"supported"`
	// Value is what the answer carried, when it carries something.
	Value string `json:"value,omitempty"`
	// Answer says what the server did, in a few words.
	Answer string `json:"answer"`
}

// heartbeat (RFC 6520) and encrypt_then_mac (RFC 7366) have no typed value
// in clasp's wire package (clasp never sends them): the probes send them as
// wire.UnknownExt and find them in the ServerHello by code point.

// heartbeatModePeerAllowed is RFC 6520 §2's HeartbeatMode
// peer_allowed_to_send (1); 2 is peer_not_allowed_to_send.
const heartbeatModePeerAllowed = 1

// deflateCompressionMethod is the DEFLATE compression method (RFC 3749 §2).
const deflateCompressionMethod = 1

// extensionProbe is one extension check: how to change the base probe,
// and how to read the answer.
type extensionProbe struct {
	field  **ExtAnswer
	adjust func(*Probe) bool // false: not applicable
	judge  func(*Result) *ExtAnswer
}

// extensions runs the extension probes concurrently, then the ALPN
// handshakes.
func (s *scanner) extensions(ctx context.Context, rep *Report) error {
	ext := &Extensions{}
	rep.Extensions = ext
	if v := highestBelow13(rep); v != 0 {
		ext.Version = v.String()
		if err := s.helloExtensions(ctx, rep, v, ext); err != nil {
			return err
		}
	}
	alpn, err := s.alpn(ctx, rep)
	if err != nil {
		return err
	}
	ext.ALPN = alpn
	return nil
}

func (s *scanner) helloExtensions(ctx context.Context, rep *Report, v suites.Version, ext *Extensions) error {
	accepted := suitesAcceptedIn(rep, v)
	probes := []extensionProbe{
		{&ext.ExtendedMasterSecret, addExtension(&wire.ExtendedMasterSecretExt{}), echoed(wire.ExtExtendedMasterSecret)},
		{&ext.EncryptThenMAC, offerCBC(accepted), echoed(wire.ExtEncryptThenMAC)},
		{&ext.RecordSizeLimit, addExtension(&wire.RecordSizeLimitExt{Limit: 1 << 14}), recordSizeLimit},
		{&ext.Compression, func(p *Probe) bool {
			p.CompressionMethods = []uint8{deflateCompressionMethod, 0}
			return true
		}, compression},
		{&ext.Heartbeat, addExtension(&wire.UnknownExt{Code: wire.ExtHeartbeat, Data: []byte{heartbeatModePeerAllowed}}), heartbeat},
		{&ext.StatusRequest, addExtension(&wire.StatusRequestExt{StatusType: wire.StatusTypeOCSP}), echoed(wire.ExtStatusRequest)},
	}
	var wg sync.WaitGroup
	errs := make([]error, len(probes))
	for i, ep := range probes {
		p := helloFor(v, accepted, s.serverName)
		if !ep.adjust(p) {
			*ep.field = &ExtAnswer{Answer: "not asked: the server accepts no CBC suite in " + v.String()}
			continue
		}
		wg.Go(func() {
			res, err := s.run(ctx, p)
			if err != nil {
				errs[i] = err
				return
			}
			*ep.field = ep.judge(res)
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// suitesAcceptedIn is what the suite check found for v, or every suite of
// v when it found nothing.
func suitesAcceptedIn(rep *Report, v suites.Version) []suites.ID {
	for _, vs := range rep.CipherSuites {
		if vs.Version == v && len(vs.Suites) > 0 {
			var ids []suites.ID
			for _, e := range vs.Suites {
				ids = append(ids, e.ID)
			}
			return ids
		}
	}
	return suitesFor(v)
}

func addExtension(e wire.Extension) func(*Probe) bool {
	return func(p *Probe) bool {
		p.Extra = append(p.Extra, e)
		return true
	}
}

// offerCBC keeps the CBC suites among accepted and asks for
// encrypt_then_mac, which means nothing to an AEAD suite (RFC 7366 §3).
func offerCBC(accepted []suites.ID) func(*Probe) bool {
	return func(p *Probe) bool {
		var cbc []suites.ID
		for _, id := range accepted {
			if s := suites.SuiteByID(id); s != nil && !s.IsAEAD() && !s.SCSV && s.Cipher.Info().BlockSize > 0 {
				cbc = append(cbc, id)
			}
		}
		if len(cbc) == 0 {
			return false
		}
		p.CipherSuites = append(cbc, suites.TLS_EMPTY_RENEGOTIATION_INFO_SCSV)
		p.Extra = append(p.Extra, &wire.UnknownExt{Code: wire.ExtEncryptThenMAC})
		return true
	}
}

// serverHelloExtension finds an extension of type t in a ServerHello.
func serverHelloExtension(res *Result, t wire.ExtensionType) (wire.Extension, bool) {
	if res.Outcome != OutcomeAccepted || res.ServerHello == nil {
		return nil, false
	}
	i := slices.IndexFunc(res.ServerHello.Extensions, func(e wire.Extension) bool { return e.ExtType() == t })
	if i < 0 {
		return nil, false
	}
	return res.ServerHello.Extensions[i], true
}

// echoed judges an extension the server answers by sending it back.
func echoed(t wire.ExtensionType) func(*Result) *ExtAnswer {
	return func(res *Result) *ExtAnswer {
		if res.Outcome != OutcomeAccepted {
			return &ExtAnswer{Answer: "no ServerHello: " + res.Summary()}
		}
		if _, ok := serverHelloExtension(res, t); ok {
			return &ExtAnswer{Supported: true, Answer: "answered in the ServerHello"}
		}
		return &ExtAnswer{Answer: "not in the ServerHello"}
	}
}

func recordSizeLimit(res *Result) *ExtAnswer {
	a := echoed(wire.ExtRecordSizeLimit)(res)
	if e, ok := serverHelloExtension(res, wire.ExtRecordSizeLimit); ok {
		if rsl, ok := e.(*wire.RecordSizeLimitExt); ok {
			a.Value = fmt.Sprint(rsl.Limit)
			a.Answer = fmt.Sprintf("the server's records carry at most %d bytes of plaintext", rsl.Limit)
		}
	}
	return a
}

func compression(res *Result) *ExtAnswer {
	if res.Outcome != OutcomeAccepted {
		return &ExtAnswer{Answer: "no ServerHello: " + res.Summary()}
	}
	m := res.ServerHello.CompressionMethod
	switch m {
	case 0:
		return &ExtAnswer{Value: "null", Answer: "chose no compression"}
	case deflateCompressionMethod:
		return &ExtAnswer{Supported: true, Value: "DEFLATE", Answer: "chose DEFLATE: secrets in compressed records leak through their length (CRIME)"}
	}
	return &ExtAnswer{Supported: true, Value: fmt.Sprint(m), Answer: fmt.Sprintf("chose compression method %d, which was not offered", m)}
}

func heartbeat(res *Result) *ExtAnswer {
	a := echoed(wire.ExtHeartbeat)(res)
	if e, ok := serverHelloExtension(res, wire.ExtHeartbeat); ok {
		if raw, ok := e.(*wire.UnknownExt); ok && len(raw.Data) == 1 {
			a.Value = map[byte]string{1: "peer_allowed_to_send", 2: "peer_not_allowed_to_send"}[raw.Data[0]]
			if a.Value == "" {
				a.Value = fmt.Sprintf("mode %d", raw.Data[0])
			}
			a.Answer = "answered (" + a.Value + "); no heartbeat message was sent"
		}
	}
	return a
}

// ALPN is what a server does with Application-Layer Protocol Negotiation
// (RFC 7301), seen through full handshakes at its highest version (in TLS
// 1.3 the answer is in EncryptedExtensions).
type ALPN struct {
	Version string `json:"version"`
	// Protocols are those of h2 and http/1.1 the server selects, its
	// choice among both first.
	Protocols []string `json:"protocols"`
	// Unknown is what the server does with a hello offering only a
	// protocol it cannot know: "ignored" (no ALPN in its answer),
	// "rejected" (no_application_protocol, RFC 7301 §3.2), "selected", or
	// "failed" (another failure, in Answer).
	Unknown string `json:"unknown"`
	Answer  string `json:"answer"`
	// RecordSizeLimit is the TLS 1.3 server's record_size_limit from
	// EncryptedExtensions (RFC 8449); 0 when it sent none or the
	// handshakes were not TLS 1.3.
	RecordSizeLimit uint16 `json:"record_size_limit_tls13,omitempty"`
}

// unknownALPNProtocol is an ALPN protocol ID no server knows (not in IANA's
// registry).
const unknownALPNProtocol = "x-clasp-scan-unknown"

// alpnNoApplicationProtocol is RFC 7301 §3.2's alert.
const alpnNoApplicationProtocol = 120

func (s *scanner) alpn(ctx context.Context, rep *Report) (*ALPN, error) {
	v := highestBelow13(rep)
	if speaks(rep, suites.VersionTLS13) {
		v = suites.VersionTLS13
	}
	if v == 0 {
		return nil, nil
	}
	a := &ALPN{Version: v.String()}
	offer := func(protos ...string) (*fullHandshake, error) {
		cfg := s.clientConfig(v)
		cfg.NextProtos = protos
		return s.handshake(ctx, handshakeSpec{config: cfg})
	}
	bothOffered, err := offer("h2", "http/1.1")
	if err != nil {
		return nil, err
	}
	if bothOffered.Err != nil {
		a.Answer = "the handshake offering h2 and http/1.1 failed: " + errText(bothOffered.Err)
		return a, nil
	}
	a.RecordSizeLimit = tls13RecordSizeLimit(bothOffered)
	if first := bothOffered.State.NegotiatedProtocol; first != "" {
		a.Protocols = []string{first}
		other := map[string]string{"h2": "http/1.1", "http/1.1": "h2"}[first]
		alone, err := offer(other)
		if err != nil {
			return nil, err
		}
		if alone.Err == nil && alone.State.NegotiatedProtocol == other {
			a.Protocols = append(a.Protocols, other)
		}
	}
	unknown, err := offer(unknownALPNProtocol)
	if err != nil {
		return nil, err
	}
	a.Unknown, a.Answer = judgeUnknownALPN(unknown, a.Protocols)
	return a, nil
}

func judgeUnknownALPN(hs *fullHandshake, protocols []string) (string, string) {
	selects := "selects none of h2 and http/1.1"
	if len(protocols) > 0 {
		selects = fmt.Sprintf("selects %v", protocols)
	}
	var alert *clasp.AlertReceivedError
	switch {
	case errors.As(hs.Err, &alert) && alert.Description == alpnNoApplicationProtocol:
		return "rejected", selects + "; refuses a hello offering only unknown protocols with no_application_protocol"
	case hs.Err != nil:
		return "failed", selects + "; the handshake offering an unknown protocol failed: " + errText(hs.Err)
	case hs.State.NegotiatedProtocol != "":
		return "selected", selects + "; selected the unknown protocol " + hs.State.NegotiatedProtocol
	}
	return "ignored", selects + "; ignores a hello offering only unknown protocols (no ALPN in its answer)"
}

func tls13RecordSizeLimit(hs *fullHandshake) uint16 {
	if hs.EncryptedExtensions == nil {
		return 0
	}
	if rsl, ok := wire.FindExtension[*wire.RecordSizeLimitExt](hs.EncryptedExtensions.Extensions); ok {
		return rsl.Limit
	}
	return 0
}

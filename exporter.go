package clasp

import (
	"errors"
	"fmt"
	"slices"
	"sync"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/suites"
)

// Keying material exporters (RFC 5705 for TLS 1.0-1.2, RFC 8446 §7.5 for
// TLS 1.3) and the tls-unique channel binding (RFC 5929 §3).

// reservedExporterLabels are the PRF labels of TLS itself: exporting under
// one of them would hand out the key block or Finished values (RFC 5705
// §4 forbids them, and crypto/tls refuses them too).
var reservedExporterLabels = []string{"client finished", "server finished", "master secret", "key expansion", "extended master secret"}

// tls12Secrets is what a TLS 1.0-1.2 exporter needs after the handshake.
type tls12Secrets struct {
	master, clientRandom, serverRandom []byte
}

// keepTLS12Secrets is called wherever the key block is derived, so the
// exporter uses the keys of the connection's latest handshake.
func (c *Conn) keepTLS12Secrets(master, clientRandom, serverRandom []byte) {
	// One allocation holds the three copies.
	buf := slices.Concat(master, clientRandom, serverRandom)
	m, cr := len(master), len(master)+len(clientRandom)
	c.state.tls12 = &tls12Secrets{buf[:m:m], buf[m:cr:cr], buf[cr:]}
}

// exporterSecret13 is a TLS 1.3 connection's exporter_master_secret (RFC
// 8446 §7.1), derived the first time an exporter asks for it: most
// connections never export keying material, and the derivation is an
// HKDF-Expand (about twenty allocations in crypto/hkdf) per side of every
// handshake. It keeps only the master secret and the transcript hash of
// ClientHello...server Finished, which the application traffic secrets the
// connection holds are derived from as well.
type exporterSecret13 struct {
	once           sync.Once
	schedule       *keys.Schedule13 // master stage only
	transcriptHash []byte
	secret         []byte
}

// newExporterSecret13 keeps what the exporter secret is derived from;
// schedule must be at its master stage.
func newExporterSecret13(schedule *keys.Schedule13, transcriptHash []byte) *exporterSecret13 {
	return &exporterSecret13{schedule: schedule.MasterStage(), transcriptHash: slices.Clone(transcriptHash)}
}

// get derives the secret once and then forgets the master secret.
func (e *exporterSecret13) get() []byte {
	e.once.Do(func() {
		e.secret = e.schedule.ExporterMasterSecret(e.transcriptHash)
		e.schedule, e.transcriptHash = nil, nil
	})
	return e.secret
}

// logExporterSecret13 writes EXPORTER_SECRET to the key log, deriving the
// secret now only when there is a key log to write it to.
func (c *Conn) logExporterSecret13(clientRandom []byte) {
	if c.config.KeyLogWriter != nil {
		c.logSecret("EXPORTER_SECRET", clientRandom, c.exporterSecret.get())
	}
}

// exporter returns the function ConnectionState.ExportKeyingMaterial
// calls, bound to the state as it is now; nil before the handshake.
func (c *Conn) exporter() func(string, []byte, int) ([]byte, error) {
	st := c.state
	if !c.handshakeComplete.Load() || st.suite == nil {
		return nil
	}
	if st.version >= suites.VersionTLS13 {
		if c.exporterSecret == nil {
			return nil
		}
		hash, secret := st.suite.PRFHash, c.exporterSecret
		return func(label string, context []byte, length int) ([]byte, error) {
			return keys.ExportKeyingMaterial13(hash, secret.get(), label, context, length), nil
		}
	}
	if st.version == suites.VersionSSL30 {
		return func(string, []byte, int) ([]byte, error) {
			return nil, errors.New("clasp: SSL 3.0 has no PRF, so no RFC 5705 exporter")
		}
	}
	if !st.ems && !c.config.InsecureExporterWithoutEMS {
		return func(string, []byte, int) ([]byte, error) {
			return nil, errors.New("clasp: ExportKeyingMaterial is unsafe without extended master secret (RFC 7627 §5.4: the exported keys could be shared with another connection); set Config.InsecureExporterWithoutEMS to allow it")
		}
	}
	version, prfHash, secrets := st.version, st.suite.PRFHash, st.tls12
	return func(label string, context []byte, length int) ([]byte, error) {
		if slices.Contains(reservedExporterLabels, label) {
			return nil, fmt.Errorf("clasp: the exporter label %q is reserved by TLS (RFC 5705 §4)", label)
		}
		if context != nil && len(context) >= 1<<16 {
			return nil, fmt.Errorf("clasp: the exporter context is %d bytes, at most 65535 (RFC 5705 §4)", len(context))
		}
		return keys.ExportKeyingMaterial12(version, prfHash, secrets.master, secrets.clientRandom, secrets.serverRandom, label, context, length), nil
	}
}

// ExportKeyingMaterial returns length bytes of keying material derived
// from the connection's secrets for label and context (RFC 5705; RFC 8446
// §7.5 in TLS 1.3). In TLS 1.0-1.2 a nil context and an empty one give
// different keys, and the exporter refuses to work without extended
// master secret unless Config.InsecureExporterWithoutEMS allows it.
func (cs *ConnectionState) ExportKeyingMaterial(label string, context []byte, length int) ([]byte, error) {
	if cs.ekm == nil {
		return nil, errors.New("clasp: ExportKeyingMaterial needs a completed handshake")
	}
	return cs.ekm(label, context, length)
}

// tlsUnique is the RFC 5929 §3 channel binding: the first Finished
// message's verify_data of the latest handshake (the client's in a full
// handshake, the server's in an abbreviated one). Like crypto/tls, none
// in TLS 1.3, where RFC 8446 §C.5 and RFC 9266 replace it with an
// exporter, and none for a resumption without extended master secret
// (the triple handshake attack makes it ambiguous there, RFC 7627 §1).
func (c *Conn) tlsUnique() []byte {
	st := c.state
	if !c.handshakeComplete.Load() || st.version >= suites.VersionTLS13 || (st.didResume && !st.ems) {
		return nil
	}
	if st.didResume {
		return slices.Clone(c.serverVerifyData)
	}
	return slices.Clone(c.clientVerifyData)
}

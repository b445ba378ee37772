package clasp

import (
	"fmt"

	"github.com/clasp-tls/clasp/internal/keys"
	"github.com/clasp-tls/clasp/internal/wire"
)

// keyUpdateInterval is how many records clasp writes under one TLS 1.3
// key before replacing it. RFC 8446 §5.5 bounds AES-GCM at 2^24.5 full
// records per key; updating at 2^23 stays well inside that for every suite.
const keyUpdateInterval = 1 << 23

// handlePostHandshake13 acts on a handshake message that arrives after a
// TLS 1.3 handshake (RFC 8446 §4.6). The caller holds c.in.
func (c *Conn) handlePostHandshake13(msg wire.Message) error {
	switch m := msg.(type) {
	case *wire.NewSessionTicket13:
		return c.handleNewSessionTicket(m)
	case *wire.CertificateRequest13:
		if c.isClient {
			return c.answerCertificateRequest(m)
		}
	case *wire.Certificate13, *wire.CompressedCertificate, *wire.CertificateVerify, *wire.Finished:
		if !c.isClient {
			return c.readPostHandshakeAnswer(msg)
		}
	case *wire.KeyUpdate:
		// RFC 8446 §5.1: a key change must not split a handshake message.
		if err := c.checkRecordBoundary("KeyUpdate"); err != nil {
			return err
		}
		next := keys.NextTrafficSecret(c.state.suite.PRFHash, c.trafficSecrets[0])
		prot, err := c.protection13(c.state.suite, next)
		if err != nil {
			return err
		}
		c.setReadProtection(prot)
		c.trafficSecrets[0] = next
		c.readGeneration++
		c.logSecret(trafficSecretLabel(!c.isClient, c.readGeneration), c.keyLogRandom[:], next)
		if m.RequestUpdate {
			// RFC 8446 §4.6.3: the answer is due "prior to sending its
			// next Application Data record", so that several requests
			// while this side is silent get one KeyUpdate (write sends
			// it through maybeUpdateKeys).
			c.out.Lock()
			c.keyUpdateOwed = true
			c.out.Unlock()
		}
		return nil
	}
	return wire.Errorf(wire.AlertUnexpectedMessage, "unexpected %s after the TLS 1.3 handshake", msg.Type())
}

// KeyUpdate replaces this side's TLS 1.3 traffic key now, and asks the
// peer to replace its own when requestPeer is set (RFC 8446 §4.6.3).
func (c *Conn) KeyUpdate(requestPeer bool) error {
	if err := c.Handshake(); err != nil {
		return err
	}
	if !c.tls13 {
		return fmt.Errorf("clasp: KeyUpdate needs TLS 1.3; this connection is %s", c.state.version)
	}
	c.out.Lock()
	defer c.out.Unlock()
	if c.writeErr != nil {
		return c.writeErr
	}
	return c.sendKeyUpdate(requestPeer)
}

// maybeUpdateKeys runs before each application data record: it sends the
// KeyUpdate the peer asked for, if one is owed, and counts records under
// the current write key to update it before the AEAD's limit comes near.
// The caller holds c.out.
func (c *Conn) maybeUpdateKeys() error {
	if !c.tls13 {
		return nil
	}
	if c.keyUpdateOwed {
		if err := c.sendKeyUpdate(false); err != nil {
			return err
		}
	}
	c.recordsWritten++
	if c.recordsWritten < keyUpdateInterval {
		return nil
	}
	return c.sendKeyUpdate(false)
}

// sendKeyUpdate sends KeyUpdate under the old key, then switches to the
// next write secret. The caller holds c.out.
func (c *Conn) sendKeyUpdate(requestPeer bool) error {
	if _, err := c.writeHandshake(&wire.KeyUpdate{RequestUpdate: requestPeer}); err != nil {
		return err
	}
	if err := c.flush(); err != nil {
		return err
	}
	next := keys.NextTrafficSecret(c.state.suite.PRFHash, c.trafficSecrets[1])
	prot, err := c.protection13(c.state.suite, next)
	if err != nil {
		return err
	}
	c.setWriteProtection(prot)
	c.trafficSecrets[1] = next
	// Any KeyUpdate answers the peer's requests: this side's key moved.
	c.keyUpdateOwed = false
	c.recordsWritten = 0
	c.writeGeneration++
	c.logSecret(trafficSecretLabel(c.isClient, c.writeGeneration), c.keyLogRandom[:], next)
	return nil
}

// trafficSecretLabel names an application traffic secret in the NSS key
// log format.
func trafficSecretLabel(client bool, generation int) string {
	if client {
		return fmt.Sprintf("CLIENT_TRAFFIC_SECRET_%d", generation)
	}
	return fmt.Sprintf("SERVER_TRAFFIC_SECRET_%d", generation)
}

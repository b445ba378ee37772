package clasp

import "crypto/x509"

// A resumed session carries the client's certificate chain, so that a
// server that authorises by client certificate sees the same identity on
// a resumed connection as on the full one (crypto/tls keeps it too). The
// chain is verified again under today's ClientAuth and ClientCAs: a
// session whose certificate no longer verifies (expired, CA removed) is
// not resumed, and the client gets a full handshake.

// restoreClientIdentity parses and, when the policy verifies client
// certificates, verifies a session's client chain. ok is false when the
// session must not be resumed; the reason says why.
func (c *Conn) restoreClientIdentity(ders [][]byte) (certs []*x509.Certificate, chains [][]*x509.Certificate, reason string) {
	if len(ders) == 0 {
		if c.config.ClientAuth >= RequireAnyClientCert {
			return nil, nil, "the server now requires a client certificate, which the session lacks"
		}
		return nil, nil, ""
	}
	certs, err := parseCertificates(ders)
	if err != nil {
		return nil, nil, "the session's client certificate does not parse"
	}
	if c.config.ClientAuth < VerifyClientCertIfGiven {
		return certs, nil, ""
	}
	chains, err = c.checkPeerChain(ders, certs)
	if err != nil {
		return nil, nil, "the session's client certificate no longer verifies: " + err.Error()
	}
	return certs, chains, ""
}

// rawCertificates is the DER of certs, for a session to keep.
func rawCertificates(certs []*x509.Certificate) [][]byte {
	var out [][]byte
	for _, c := range certs {
		out = append(out, c.Raw)
	}
	return out
}

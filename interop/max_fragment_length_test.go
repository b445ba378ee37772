package interop

import (
	"strings"
	"testing"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// max_fragment_length (RFC 6066 §4) with OpenSSL, which implements it on
// both sides but not record_size_limit, so the two agree on MFL. clasp's
// side reports the agreement; OpenSSL's reading of clasp's records (it
// refuses longer ones) and clasp's of OpenSSL's show both fragment.
func TestMaxFragmentLengthWithOpenSSL(t *testing.T) {
	pki := peertest.NewPKI(t)
	for _, v := range stapleVersions {
		t.Run(v.name+"/openssl client", func(t *testing.T) {
			addr, results := startClaspServer(t, &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
				MinVersion: v.version, MaxVersion: v.version}, 1)
			line := "a line longer than nothing " + strings.Repeat("x", 1500)
			out, err := peertest.RunOpenSSLClient(t, addr, line+"\n", v.flag, "-maxfraglen", "512", "-ign_eof")
			if err != nil {
				t.Fatalf("s_client: %v\n%s", err, out)
			}
			res := <-results
			if res.err != nil || res.line != line || res.state.MaxFragmentLength != 512 {
				t.Errorf("clasp server: %v, %d-byte line, MaxFragmentLength %d", res.err, len(res.line), res.state.MaxFragmentLength)
			}
			// s_client 3.0 prints nothing about the agreement, but it
			// refuses a record longer than the agreed length
			// (SSL_R_DATA_LENGTH_TOO_LONG): the 1.5 KB echo arriving
			// whole shows clasp split it into 512-byte records.
			if !strings.Contains(out, "clasp echo: "+line) {
				t.Errorf("s_client did not get the echo:\n%s", out)
			}
		})
		t.Run(v.name+"/openssl server", func(t *testing.T) {
			srv := peertest.StartOpenSSLServer(t, pki.ECDSA, v.flag, "-www", "-quiet")
			cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", MinVersion: v.version, MaxVersion: v.version,
				MaxFragmentLength: 1024,
				// Without record_size_limit, which a server would take
				// instead (RFC 8449 §5); OpenSSL 3.0 has none anyway.
				ClientHelloExtensions: []uint16{0, 1, 10, 11, 13, 23, 0xff01, 43, 51, 45}}
			body, st := claspGet(t, srv.Addr, cfg)
			if st.MaxFragmentLength != 1024 || !strings.Contains(body, "200 ok") || len(body) < 2048 {
				t.Errorf("MaxFragmentLength %d, %d bytes of answer", st.MaxFragmentLength, len(body))
			}
		})
	}
}

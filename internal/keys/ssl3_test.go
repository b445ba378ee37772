package keys

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

// TestSSL3KnownAnswers checks the SSL 3.0 master secret, key block and
// Finished against testdata/ssl3_vectors.json, which
// testdata/ssl3_vectors.py computes from RFC 6101 with Python's hashlib
// alone.
func TestSSL3KnownAnswers(t *testing.T) {
	raw, err := os.ReadFile("testdata/ssl3_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v map[string]string
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	b := func(k string) []byte {
		out, err := hex.DecodeString(v[k])
		if err != nil || len(out) == 0 {
			t.Fatalf("vector %s: %v", k, err)
		}
		return out
	}
	master := MasterSecret(suites.VersionSSL30, 0, b("pre_master"), b("client_random"), b("server_random"))
	if !bytes.Equal(master, b("master")) {
		t.Fatalf("master secret %x\nwant %x", master, b("master"))
	}
	kb := DeriveKeyBlock(suites.VersionSSL30, 0, master, b("client_random"), b("server_random"), 20, 16, 16)
	got := bytes.Join([][]byte{kb.ClientMACKey, kb.ServerMACKey, kb.ClientKey, kb.ServerKey, kb.ClientIV, kb.ServerIV}, nil)
	if !bytes.Equal(got, b("key_block_mac20_key16_iv16")) {
		t.Fatalf("key block %x\nwant %x", got, b("key_block_mac20_key16_iv16"))
	}
	tr := NewTranscript()
	tr.Write(b("messages")[:100])
	tr.SetHash(suites.VersionSSL30, 0)
	tr.Write(b("messages")[100:])
	for _, c := range []struct {
		client bool
		want   string
	}{{true, "finished_client"}, {false, "finished_server"}} {
		if got := tr.SSL3Finished(master, c.client); !bytes.Equal(got, b(c.want)) {
			t.Errorf("%s = %x\nwant %x", c.want, got, b(c.want))
		}
	}
	if got := tr.SSL3CertificateVerify(master); !bytes.Equal(got, b("certificate_verify")) {
		t.Errorf("certificate_verify = %x\nwant %x", got, b("certificate_verify"))
	}
	// The transcript goes on after a Finished: computing one twice gives
	// the same value.
	if !bytes.Equal(tr.SSL3Finished(master, true), b("finished_client")) {
		t.Error("SSL3Finished disturbed the running transcript")
	}
}

package interop

import (
	"crypto/ecdh"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp"
	"github.com/clasp-tls/clasp/internal/peertest"
)

// Encrypted Client Hello against NSS 3.87 (Debian 12's libnss3), which
// implements RFC 9849's wire format on both sides: tstclnt -N takes a
// base64 ECHConfigList, selfserv -X a base64 raw private key followed by
// the ECHConfigList. The inner name is "localhost", the name NSS's test
// database holds a certificate for; the public name is echPublicName.
//
// NSS 3.87's server gets the ClientHelloInner right only when the client
// compresses extensions with ech_outer_extensions (as crypto/tls and clasp
// do): from an uncompressed EncodedClientHelloInner it echoes an empty
// legacy_session_id and confirms acceptance over another transcript.

func TestECHNSSClientClaspServer(t *testing.T) {
	peertest.Require(t, "tstclnt")
	pki := peertest.NewPKI(t)
	key, list := echKey(t)
	ln, err := clasp.Listen("tcp", "127.0.0.1:0", &clasp.Config{Certificates: []clasp.Certificate{claspCert(pki.ECDSA)},
		EncryptedClientHelloKeys: []clasp.EncryptedClientHelloKey{key}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	states := make(chan clasp.ConnectionState, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(15 * time.Second))
		cc := conn.(*clasp.Conn)
		if cc.Handshake() == nil {
			states <- cc.ConnectionState()
			_ = echoOnce(conn)
		}
	}()
	out, err := peertest.RunNSSClient(t, ln.Addr().String(), "hello through ech\n",
		append(peertest.NSSTLS13Args(""), "-N", base64.StdEncoding.EncodeToString(list))...)
	if err != nil || !strings.Contains(out, "HELLO THROUGH ECH") {
		t.Fatalf("tstclnt -N: %v\n%s", err, out)
	}
	select {
	case st := <-states:
		if !st.ECHAccepted || st.ServerName != "localhost" {
			t.Fatalf("clasp server: ECHAccepted %v, name %q", st.ECHAccepted, st.ServerName)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the clasp server did not complete a handshake")
	}
}

func TestECHClaspClientNSSServer(t *testing.T) {
	pki := peertest.NewPKI(t)
	key, list := echKey(t)
	_, stale := echKey(t)
	priv, err := ecdh.X25519().NewPrivateKey(key.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8 := nssX25519PKCS8(t, priv)
	var b cryptobyte.Builder
	b.AddUint16LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(pkcs8) })
	b.AddBytes(list)
	params := base64.StdEncoding.EncodeToString(b.BytesOrPanic())
	srv := peertest.StartNSSServer(t, pki.ECDSA, append(peertest.NSSTLS13Args(""), "-X", params)...)
	for _, rejected := range []bool{false, true} {
		cfg := &clasp.Config{RootCAs: pki.CAPool, ServerName: "localhost", EncryptedClientHelloConfigList: list}
		if rejected {
			// The public name needs a certificate for the rejection's
			// check, which NSS's server does not have: the verification
			// hook stands in, as crypto/tls's EncryptedClientHelloRejectionVerify.
			cfg.EncryptedClientHelloConfigList = stale
			cfg.EncryptedClientHelloRejectionVerify = func(st clasp.ConnectionState) error { return nil }
		}
		conn, err := clasp.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", srv.Addr, cfg)
		if rejected {
			var rej *clasp.ECHRejectionError
			if !errors.As(err, &rej) || string(rej.RetryConfigList) != string(list) {
				t.Fatalf("stale config: %v; want ECHRejectionError with selfserv's list\n%s", err, srv.Output())
			}
			continue
		}
		if err != nil {
			t.Fatalf("clasp against selfserv -X: %v\n%s", err, srv.Output())
		}
		st := conn.ConnectionState()
		conn.Close()
		if !st.ECHAccepted {
			t.Fatal("ECH not accepted by selfserv")
		}
	}
}

// nssX25519PKCS8 encodes an X25519 key as NSS 3.87 imports it: PKCS#8 with
// id-ecPublicKey and NSS's curve25519 OID (1.3.6.1.4.1.11591.15.1) around
// an RFC 5915 ECPrivateKey with the public key; NSS does not know RFC
// 8410's id-X25519 there ("Unrecognized Object Identifier").
func nssX25519PKCS8(t *testing.T, priv *ecdh.PrivateKey) []byte {
	t.Helper()
	type ecPrivateKey struct {
		Version    int
		PrivateKey []byte
		PublicKey  asn1.BitString `asn1:"optional,explicit,tag:1"`
	}
	inner, err := asn1.Marshal(ecPrivateKey{Version: 1, PrivateKey: priv.Bytes(),
		PublicKey: asn1.BitString{Bytes: priv.PublicKey().Bytes(), BitLength: 8 * len(priv.PublicKey().Bytes())}})
	if err != nil {
		t.Fatal(err)
	}
	type algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.ObjectIdentifier
	}
	type privateKeyInfo struct {
		Version    int
		Algorithm  algorithm
		PrivateKey []byte
	}
	der, err := asn1.Marshal(privateKeyInfo{Algorithm: algorithm{
		Algorithm:  asn1.ObjectIdentifier{1, 2, 840, 10045, 2, 1},
		Parameters: asn1.ObjectIdentifier{1, 3, 6, 1, 4, 1, 11591, 15, 1}}, PrivateKey: inner})
	if err != nil {
		t.Fatal(err)
	}
	return der
}

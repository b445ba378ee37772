package wire

import (
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"golang.org/x/crypto/cryptobyte"

	"github.com/clasp-tls/clasp/internal/suites"
)

// readHex reads testdata/rfc8448/name: hex bytes, whitespace ignored, lines
// starting with # are comments.
func readHex(t testing.TB, name string) []byte {
	t.Helper()
	text, err := os.ReadFile(filepath.Join("testdata", "rfc8448", name))
	if err != nil {
		t.Fatal(err)
	}
	var digits strings.Builder
	for line := range strings.Lines(string(text)) {
		if strings.HasPrefix(line, "#") {
			continue
		}
		digits.WriteString(strings.Join(strings.Fields(line), ""))
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return b
}

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

// parseRFC8448 parses one message of the trace, requires a byte-for-byte
// re-marshal and no extension left untyped except those in rawOK.
func parseRFC8448(t *testing.T, name string, ctx Context, rawOK ...ExtensionType) Message {
	t.Helper()
	raw := readHex(t, name)
	m, err := ParseHandshake(raw, ctx)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if again := mustMarshal(t, m); !bytes.Equal(again, raw) {
		t.Fatalf("%s: re-marshal differs\n got %x\nwant %x", name, again, raw)
	}
	for _, e := range extensionsOf(m) {
		if u, ok := e.(*UnknownExt); ok && !slices.Contains(rawOK, u.Code) {
			t.Errorf("%s: %v kept raw", name, u.Code)
		}
	}
	return m
}

// TestRFC8448SimpleHandshake parses every plaintext handshake message of RFC
// 8448 §3 and re-marshals each byte for byte, every extension typed.
func TestRFC8448SimpleHandshake(t *testing.T) {
	ch := parseRFC8448(t, "client_hello.hex", Context{}).(*ClientHello)
	if rsl, ok := FindExtension[*RecordSizeLimitExt](ch.Extensions); !ok || rsl.Limit != MaxRecordSizeLimitTLS13 {
		t.Errorf("record_size_limit = %#v, want 2^14+1", rsl)
	}
	if sni, ok := FindExtension[*ServerNameExt](ch.Extensions); !ok || sni.HostName != "server" {
		t.Errorf("server_name = %#v", sni)
	}
	wantShare := KeyShareEntry{Group: suites.X25519, KeyExchange: unhex("99381de560e4bd43d23d8e435a7dbafeb3c06e51c13cae4d5413691e529aaf2c")}
	if ks, ok := FindExtension[*KeyShareExt](ch.Extensions); !ok || !reflect.DeepEqual(ks.Entries, []KeyShareEntry{wantShare}) {
		t.Errorf("key_share = %#v", ks)
	}
	if sv, ok := FindExtension[*SupportedVersionsExt](ch.Extensions); !ok || !reflect.DeepEqual(sv.Versions, []suites.Version{suites.VersionTLS13}) {
		t.Errorf("supported_versions = %#v", sv)
	}
	if pm, ok := FindExtension[*PSKKeyExchangeModesExt](ch.Extensions); !ok || !bytes.Equal(pm.Modes, []uint8{PSKModeDHEKE}) {
		t.Errorf("psk_key_exchange_modes = %#v", pm)
	}
	if sa, ok := FindExtension[*SignatureAlgorithmsExt](ch.Extensions); !ok || len(sa.Schemes) != 15 {
		t.Errorf("signature_algorithms = %#v", sa)
	}

	sh := parseRFC8448(t, "server_hello.hex", Context{}).(*ServerHello)
	if sh.IsHelloRetryRequest() || sh.CipherSuite != 0x1301 {
		t.Errorf("ServerHello %#v", sh)
	}
	wantShare.KeyExchange = unhex("c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f")
	if ks, ok := FindExtension[*KeyShareExt](sh.Extensions); !ok || !reflect.DeepEqual(ks.Entries, []KeyShareEntry{wantShare}) {
		t.Errorf("key_share = %#v", ks)
	}
	if sv, ok := FindExtension[*SupportedVersionsExt](sh.Extensions); !ok || !reflect.DeepEqual(sv.Versions, []suites.Version{suites.VersionTLS13}) {
		t.Errorf("supported_versions = %#v", sv)
	}

	ee := parseRFC8448(t, "encrypted_extensions.hex", tls13).(*EncryptedExtensions)
	if rsl, ok := FindExtension[*RecordSizeLimitExt](ee.Extensions); !ok || rsl.Limit != MaxRecordSizeLimitTLS13 {
		t.Errorf("record_size_limit = %#v, want 2^14+1", rsl)
	}
	if g, ok := FindExtension[*SupportedGroupsExt](ee.Extensions); !ok || len(g.Groups) != 9 {
		t.Errorf("supported_groups = %#v", g)
	}
	if sni, ok := FindExtension[*ServerNameExt](ee.Extensions); !ok || sni.HostName != "" {
		t.Errorf("server_name = %#v", sni)
	}

	cert := parseRFC8448(t, "certificate.hex", tls13).(*Certificate13)
	if cert.Context != nil || len(cert.Entries) != 1 || len(cert.Entries[0].Data) != 432 || cert.Entries[0].Extensions != nil {
		t.Errorf("Certificate %d entries", len(cert.Entries))
	}

	cv := parseRFC8448(t, "certificate_verify.hex", tls13).(*CertificateVerify)
	if cv.Signature.Scheme != 0x0804 || len(cv.Signature.Signature) != 128 {
		t.Errorf("CertificateVerify scheme %v, %d-byte signature", cv.Signature.Scheme, len(cv.Signature.Signature))
	}

	fin := parseRFC8448(t, "finished.hex", tls13).(*Finished)
	if len(fin.VerifyData) != 32 {
		t.Errorf("Finished %d bytes", len(fin.VerifyData))
	}
}

// TestRFC8448BytesMatchTheTraceSecrets checks the hex files against secrets
// RFC 8448 §3 prints, so a mistyped byte cannot hide: the traffic secrets
// are derived from transcript hashes of exactly these messages, and the
// server Finished is an HMAC of the ones before it (RFC 8446 §7.1, §4.4.4).
func TestRFC8448BytesMatchTheTraceSecrets(t *testing.T) {
	ch, sh := readHex(t, "client_hello.hex"), readHex(t, "server_hello.hex")
	var flight []byte
	for _, name := range []string{"encrypted_extensions.hex", "certificate.hex", "certificate_verify.hex", "finished.hex"} {
		flight = append(flight, readHex(t, name)...)
	}
	fin := readHex(t, "finished.hex")
	hash := func(msgs ...[]byte) []byte {
		h := sha256.New()
		for _, m := range msgs {
			h.Write(m)
		}
		return h.Sum(nil)
	}
	// HKDF-Expand-Label(Secret, Label, Context, Length), RFC 8446 §7.1.
	expandLabel := func(secret []byte, label string, context []byte, length int) []byte {
		b := cryptobyte.NewBuilder(nil)
		b.AddUint16(uint16(length))
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes([]byte("tls13 " + label)) })
		b.AddUint8LengthPrefixed(func(b *cryptobyte.Builder) { b.AddBytes(context) })
		out, err := hkdf.Expand(sha256.New, secret, string(b.BytesOrPanic()), length)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	handshakeSecret := unhex("1dc826e93606aa6fdc0aadc12f741b01046aa6b99f691ed221a9f0ca043fbeac")
	masterSecret := unhex("18df06843d13a08bf2a449844c5f8a478001bc4d4c627984d5a41da8d0402919")
	serverFinishedKey := unhex("008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8")

	if got, want := expandLabel(handshakeSecret, "c hs traffic", hash(ch, sh), 32),
		unhex("b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21"); !bytes.Equal(got, want) {
		t.Errorf("client_handshake_traffic_secret from ClientHello..ServerHello = %x, RFC 8448 says %x", got, want)
	}
	if got, want := expandLabel(masterSecret, "s ap traffic", hash(ch, sh, flight), 32),
		unhex("a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643"); !bytes.Equal(got, want) {
		t.Errorf("server_application_traffic_secret_0 from ClientHello..server Finished = %x, RFC 8448 says %x", got, want)
	}
	mac := hmac.New(sha256.New, serverFinishedKey)
	mac.Write(hash(ch, sh, flight[:len(flight)-len(fin)]))
	if !bytes.Equal(mac.Sum(nil), fin[4:]) {
		t.Errorf("server Finished is not HMAC(finished_key, Transcript-Hash(ClientHello..CertificateVerify))")
	}
}

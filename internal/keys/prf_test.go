package keys

import (
	"bytes"
	"crypto"
	"encoding/hex"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

// TestPRFTLS12PublishedVectors checks P_SHA256 and P_SHA384 against the TLS 1.2
// PRF vectors posted to the IETF TLS working group list
// (https://www.ietf.org/mail-archive/web/tls/current/msg03416.html), the same
// vectors GnuTLS runs in tests/tls12-prf.c, plus GnuTLS's own P_SHA256
// vectors from that file (odd seed and output lengths, a 32-byte secret).
func TestPRFTLS12PublishedVectors(t *testing.T) {
	tests := []struct {
		name         string
		hash         crypto.Hash
		secret, seed string
		want         string
	}{
		{
			name:   "msg03416 SHA-256",
			hash:   crypto.SHA256,
			secret: "9bbe436ba940f017b17652849a71db35",
			seed:   "a0ba9f936cda311827a6f796ffd5198c",
			want: "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a" +
				"6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab" +
				"4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff701" +
				"87347b66",
		},
		{
			name:   "msg03416 SHA-384",
			hash:   crypto.SHA384,
			secret: "b80b733d6ceefcdc71566ea48e5567df",
			seed:   "cd665cf6a8447dd6ff8b27555edb7465",
			want: "7b0c18e9ced410ed1804f2cfa34a336a1c14dffb4900bb5fd7942107e81c83cd" +
				"e9ca0faa60be9fe34f82b1233c9146a0e534cb400fed2700884f9dc236f80edd" +
				"8bfa961144c9e8d792eca722a7b32fc3d416d473ebc2c5fd4abfdad05d918425" +
				"9b5bf8cd4d90fa0d31e2dec479e4f1a26066f2eea9a69236a3e52655c9e9aee6" +
				"91c8f3a26854308d5eaa3be85e0990703d73e56f",
		},
		{
			name:   "GnuTLS sha256_test1",
			hash:   crypto.SHA256,
			secret: "0450b0ea9ecd3602ee0d76c5c3c86f4a",
			seed:   "207acc0254b867f5b925b45a33601d8b",
			want:   "ae679e0e714f5975763768b166979e1d",
		},
		{
			name:   "GnuTLS sha256_test3",
			hash:   crypto.SHA256,
			secret: "a3691aa1f6814b80592bf1cf2acf1697",
			seed:   "5523d41e320e694d0c1ff5734d830b933e46927071c92621",
			want:   "6ad0984fa06f78fe161bd46d7c261de43340d728dddc3d0ff0dd7e0d",
		},
		{
			name:   "GnuTLS sha256_test4",
			hash:   crypto.SHA256,
			secret: "210ec937069707e5465bc46bf779e104108b18fdb793be7b218dbf145c8641f3",
			seed:   "1e351a0baf35c79945924394b881cfe31dae8f1c1ed54d3b",
			want:   "7653fa809cde3b553c4a17e2cdbcc918f36527f22219a7d7f95d97243ff2d5dee8265ef0af03",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want := unhex(t, tt.want)
			got := make([]byte, len(want))
			PRF(suites.VersionTLS12, tt.hash, unhex(t, tt.secret), "test label", unhex(t, tt.seed), got)
			if !bytes.Equal(got, want) {
				t.Errorf("PRF =\n%x\nwant\n%x", got, want)
			}
		})
	}
}

// TestPRFOutputIsPrefixStable checks that a short output is a prefix of a long
// one: P_hash is a stream, and an off-by-one in the A(i) chain shows here.
func TestPRFOutputIsPrefixStable(t *testing.T) {
	for _, v := range []suites.Version{suites.VersionTLS10, suites.VersionTLS12} {
		long := make([]byte, 200)
		PRF(v, crypto.SHA256, []byte("secret!"), "label", []byte("seed"), long)
		for _, n := range []int{0, 1, 12, 16, 20, 31, 32, 33, 64, 199} {
			short := make([]byte, n)
			PRF(v, crypto.SHA256, []byte("secret!"), "label", []byte("seed"), short)
			if !bytes.Equal(short, long[:n]) {
				t.Errorf("version %#x: %d-byte PRF is not a prefix of the 200-byte one", v, n)
			}
		}
	}
}

// TestPRFZeroHashIsSHA256 pins the documented default.
func TestPRFZeroHashIsSHA256(t *testing.T) {
	a, b := make([]byte, 40), make([]byte, 40)
	PRF(suites.VersionTLS12, 0, []byte("k"), "l", []byte("s"), a)
	PRF(suites.VersionTLS12, crypto.SHA256, []byte("k"), "l", []byte("s"), b)
	if !bytes.Equal(a, b) {
		t.Fatal("zero PRF hash does not behave as SHA-256")
	}
}

func TestPRFPanicsForVersionWithoutPRF(t *testing.T) {
	for _, v := range []suites.Version{suites.VersionSSL30, suites.VersionTLS13, 0x0200} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("PRF(%#x) did not panic", v)
				}
			}()
			PRF(v, crypto.SHA256, nil, "x", nil, make([]byte, 4))
		}()
	}
}

// cavp holds one NIST CAVP SP 800-135 TLS KDF test case (COUNT=0 of each
// section), as reproduced in Bouncy Castle's TLSKDFTest.java
// (prov/src/test/java/org/bouncycastle/jce/provider/test). The master secret
// uses the hello randoms; the key block uses a second, separate pair of
// randoms, as in the CAVP files.
type cavp struct {
	name                                        string
	version                                     suites.Version
	hash                                        crypto.Hash
	preMaster, helloClient, helloServer, master string
	client, server, keyBlock                    string
}

var cavpVectors = []cavp{
	{
		name:        "TLS 1.0/1.1",
		version:     suites.VersionTLS10,
		preMaster:   "bded7fa5c1699c010be23dd06ada3a48349f21e5f86263d512c0c5cc379f0e780ec55d9844b2f1db02a96453513568d0",
		helloServer: "135e4d557fdf3aa6406d82975d5c606a9734c9334b42136e96990fbd5358cdb2",
		helloClient: "e5acaf549cd25c22d964c0d930fa4b5261d2507fad84c33715b7b9a864020693",
		server:      "67267e650eb32444119d222a368c191af3082888dc35afe8368e638c828874be",
		client:      "d58a7b1cd4fedaa232159df652ce188f9d997e061b9bf48e83b62990440931f6",
		master:      "2f6962dfbc744c4b2138bb6b3d33054c5ecc14f24851d9896395a44ab3964efc2090c5bf51a0891209f46c1e1e998f62",
		keyBlock: "3088825988e77fce68d19f756e18e43eb7fe672433504feaf99b3c503d9091b164f166db301d70c9fc0870b4a945639" +
			"07bee1a61fb786cb717576890bcc51cb9ead97e01d0a2fea99c953377b195205ff07b369589178796edc963fd80fdbe518a2fc1c35c18ae8d",
	},
	{
		name:        "TLS 1.2 SHA-256",
		version:     suites.VersionTLS12,
		hash:        crypto.SHA256,
		preMaster:   "f8938ecc9edebc5030c0c6a441e213cd24e6f770a50dda07876f8d55da062bcadb386b411fd4fe4313a604fce6c17fbc",
		helloServer: "f6c9575ed7ddd73e1f7d16eca115415812a43c2b747daaaae043abfb50053fce",
		helloClient: "36c129d01a3200894b9179faac589d9835d58775f9b5ea3587cb8fd0364cae8c",
		server:      "ae6c806f8ad4d80784549dff28a4b58fd837681a51d928c3e30ee5ff14f39868",
		client:      "62e1fd91f23f558a605f28478c58cf72637b89784d959df7e946d3f07bd1b616",
		master:      "202c88c00f84a17a20027079604787461176455539e705be730890602c289a5001e34eeb3a043e5d52a65e66125188bf",
		keyBlock: "d06139889fffac1e3a71865f504aa5d0d2a2e89506c6f2279b670c3e1b74f531016a2530c51a3a0f7e1d6590d0f0566b" +
			"2f387f8d11fd4f731cdd572d2eae927f6f2f81410b25e6960be68985add6c38445ad9f8c64bf8068bf9a6679485d966f" +
			"1ad6f68b43495b10a683755ea2b858d70ccac7ec8b053c6bd41ca299d4e51928",
	},
	{
		name:        "TLS 1.2 SHA-384",
		version:     suites.VersionTLS12,
		hash:        crypto.SHA384,
		preMaster:   "a5e2642633f5b8c81ad3fe0c2fe3a8e5ef806b06121dd10df4bb0fe857bfdcf522558e05d2682c9a80c741a3aab1716f",
		helloServer: "cb6e0b3eb02976b6466dfa9651c2919414f1648fd3a7838d02153e5bd39535b6",
		helloClient: "abe4bf5527429ac8eb13574d2709e8012bd1a113c6d3b1d3aa2c3840518778ac",
		server:      "1b1c8568344a65c30828e7483c0e353e2c68641c9551efae6927d9cd627a107c",
		client:      "954b5fe1849c2ede177438261f099a2fcd884d001b9fe1de754364b1f6a6dd8e",
		master:      "b4d49bfa87747fe815457bc3da15073d6ac73389e703079a3503c09e14bd559a5b3c7c601c7365f6ea8c68d3d9596827",
		keyBlock: "10fd89ef689c7ef033387b8a8f3e5e8e7c11f680f6bdd71fbac3246a73e98d45d03185dde686e6b2369e4503e9dc5a6d" +
			"2cee3e2bf2fa3f41d3de57dff3e197c8a9d5f74cc2d277119d894f8584b07a0a5822f0bd68b3433ec6adaf5c9406c5f3" +
			"ddbb71bbe17ce98f3d4d5893d3179ef369f57aad908e2bf710639100c3ce7e0c",
	},
	{
		name:        "TLS 1.2 SHA-512",
		version:     suites.VersionTLS12,
		hash:        crypto.SHA512,
		preMaster:   "dfef39af25c12663a91ee5d27042b9644a16ef55b81055d1bd7dcb0b8f06eb001708cdefcf82591defca1a6f1ac693ab",
		helloServer: "e2339a6c681eb30808883971b1ce5b9b1ece0f3d011a96a7fff1f5f9d80ffd4b",
		helloClient: "78bc5298dfe9cf8ed336c2e2f0f6b46e2456f39f35f1143cd21eaa16277025b2",
		server:      "11cfbd3b45e5e917c4edbabc27b9feac833bbbacabd079465b2759fab3063330",
		client:      "b5c41ac5ebd55d136d916547fee741bc1b509f766d50b29d7378b0cebace3c8a",
		master:      "a70c5fe8d34b645a20ce98969bd30858e729c77c8a5f05d3e289219d6b5752b75b75e1ca00d3329658d7f188ed1ab7e0",
		keyBlock: "a56650076e6bdaad7e1ea42d68a0f5ffead9b6b5232ba538767e4cc6a3ae9abcae897b068645496cd620f865ce087908" +
			"1a98901fb98b112ce1f00165e7d6b3288eb4d4ed9811fdbbc24e290b8e448c71da72498449ea67cfdafd66adc31a89d8" +
			"3cc44cf01c749fb531494ff8cb9a677762a7220e32b7f251fde09841bf97110e",
	},
}

// TestMasterSecretAndKeyBlockCAVP checks MasterSecret (the non-EMS
// derivation) and DeriveKeyBlock against the CAVP vectors, for TLS 1.0/1.1
// (MD5 ⊕ SHA-1 PRF) and TLS 1.2 with three PRF hashes.
func TestMasterSecretAndKeyBlockCAVP(t *testing.T) {
	for _, tc := range cavpVectors {
		t.Run(tc.name, func(t *testing.T) {
			versions := []suites.Version{tc.version}
			if tc.version == suites.VersionTLS10 {
				// The CAVP file lists one section for both versions.
				versions = append(versions, suites.VersionTLS11)
			}
			for _, v := range versions {
				master := MasterSecret(v, tc.hash, unhex(t, tc.preMaster), unhex(t, tc.helloClient), unhex(t, tc.helloServer))
				if want := unhex(t, tc.master); !bytes.Equal(master, want) {
					t.Errorf("version %#x: master secret\n%x\nwant\n%x", v, master, want)
				}

				want := unhex(t, tc.keyBlock)
				// Split the block as a suite would: 2*(mac+key+iv) must equal
				// the CAVP length (104 bytes = 2*(20+32); 128 = 2*(32+32)).
				macLen, keyLen, ivLen := 32, 32, 0
				if len(want) == 104 {
					macLen, keyLen, ivLen = 20, 16, 16
				}
				kb := DeriveKeyBlock(v, tc.hash, unhex(t, tc.master), unhex(t, tc.client), unhex(t, tc.server), macLen, keyLen, ivLen)
				got := bytes.Join([][]byte{kb.ClientMACKey, kb.ServerMACKey, kb.ClientKey, kb.ServerKey, kb.ClientIV, kb.ServerIV}, nil)
				if !bytes.Equal(got, want) {
					t.Errorf("version %#x: key block\n%x\nwant\n%x", v, got, want)
				}
			}
		})
	}
}

func TestKeyBlockPartsDoNotAlias(t *testing.T) {
	kb := DeriveKeyBlock(suites.VersionTLS12, crypto.SHA256, make([]byte, 48), make([]byte, 32), make([]byte, 32), 0, 16, 4)
	if len(kb.ClientMACKey) != 0 || len(kb.ClientKey) != 16 || len(kb.ServerIV) != 4 {
		t.Fatalf("unexpected lengths: %d %d %d", len(kb.ClientMACKey), len(kb.ClientKey), len(kb.ServerIV))
	}
	serverKey := bytes.Clone(kb.ServerKey)
	_ = append(kb.ClientKey, 0xff)
	if !bytes.Equal(kb.ServerKey, serverKey) {
		t.Fatal("appending to ClientKey overwrote ServerKey")
	}
}

func TestFinishedVerifyDataLabels(t *testing.T) {
	master, hash := make([]byte, 48), make([]byte, 32)
	c := FinishedVerifyData(suites.VersionTLS12, crypto.SHA256, master, true, hash)
	s := FinishedVerifyData(suites.VersionTLS12, crypto.SHA256, master, false, hash)
	if len(c) != 12 || len(s) != 12 || bytes.Equal(c, s) {
		t.Fatalf("client %x server %x: want two different 12-byte values", c, s)
	}
	want := make([]byte, 12)
	PRF(suites.VersionTLS12, crypto.SHA256, master, "client finished", hash, want)
	if !bytes.Equal(c, want) {
		t.Fatal("client Finished does not use the \"client finished\" label")
	}
}

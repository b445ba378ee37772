package keys

import (
	"crypto"
	"crypto/hkdf"
	"crypto/hmac"
	"fmt"
	"slices"
	"sync"
)

// The TLS 1.3 key schedule of RFC 8446 §7.1:
//
//	          0
//	          |
//	          v
//	PSK ->  HKDF-Extract = Early Secret
//	          +-----> Derive-Secret(., "ext binder" | "res binder", "")
//	          +-----> Derive-Secret(., "c e traffic", ClientHello)
//	          +-----> Derive-Secret(., "e exp master", ClientHello)
//	          v
//	    Derive-Secret(., "derived", "")
//	          |
//	          v
//	(EC)DHE -> HKDF-Extract = Handshake Secret
//	          +-----> Derive-Secret(., "c hs traffic", ClientHello...ServerHello)
//	          +-----> Derive-Secret(., "s hs traffic", ClientHello...ServerHello)
//	          v
//	    Derive-Secret(., "derived", "")
//	          |
//	          v
//	0 -> HKDF-Extract = Master Secret
//	          +-----> Derive-Secret(., "c ap traffic", ClientHello...server Finished)
//	          +-----> Derive-Secret(., "s ap traffic", ClientHello...server Finished)
//	          +-----> Derive-Secret(., "exp master", ClientHello...server Finished)
//	          +-----> Derive-Secret(., "res master", ClientHello...client Finished)
//
// The labels, without the "tls13 " prefix HKDFExpandLabel adds.
const (
	labelExtBinder       = "ext binder"
	labelResBinder       = "res binder"
	labelClientEarly     = "c e traffic"
	labelEarlyExporter   = "e exp master"
	labelDerived         = "derived"
	labelClientHandshake = "c hs traffic"
	labelServerHandshake = "s hs traffic"
	labelClientAppData   = "c ap traffic"
	labelServerAppData   = "s ap traffic"
	labelExporterMaster  = "exp master"
	labelResumption      = "res master"
	labelKey             = "key"         // §7.3
	labelIV              = "iv"          // §7.3
	labelFinished        = "finished"    // §4.4.4
	labelTrafficUpdate   = "traffic upd" // §7.2
	labelResumptionPSK   = "resumption"  // §4.6.1
	labelExporter        = "exporter"    // §7.5

	// tls13LabelPrefix is prepended to every label (RFC 8446 §7.1
	// HkdfLabel), so a TLS 1.3 secret can never collide with a value some
	// other protocol derives with HKDF from the same key.
	tls13LabelPrefix = "tls13 "
)

// HKDFExpandLabel is HKDF-Expand-Label of RFC 8446 §7.1:
//
//	HKDF-Expand(Secret, HkdfLabel, Length), where
//	struct {
//	    uint16 length = Length;
//	    opaque label<7..255> = "tls13 " + Label;
//	    opaque context<0..255> = Context;
//	} HkdfLabel;
//
// The length is bound into the info, so a shorter output is not a prefix of a
// longer one. A label or context too long for its one-byte length prefix, or
// a length HKDF cannot produce (more than 255 hash lengths), is a bug in the
// caller and panics: every label and context in TLS 1.3 is short.
func HKDFExpandLabel(hash crypto.Hash, secret []byte, label string, context []byte, length int) []byte {
	if length < 0 || length > 0xffff {
		panic(fmt.Sprintf("keys: HKDF-Expand-Label length %d out of range", length))
	}
	fullLabel := len(tls13LabelPrefix) + len(label)
	if fullLabel > 255 || len(context) > 255 {
		panic(fmt.Sprintf("keys: HKDF-Expand-Label label %q or context (%d bytes) too long", label, len(context)))
	}
	// The HkdfLabel is tiny and built on every key derivation, so it is
	// appended into a buffer on the stack (the limits above bound it) and
	// only the string hkdf.Expand takes is allocated.
	var buf [4 + 255 + 255]byte
	info := append(buf[:0], byte(length>>8), byte(length), byte(fullLabel))
	info = append(info, tls13LabelPrefix...)
	info = append(info, label...)
	info = append(info, byte(len(context)))
	info = append(info, context...)
	out, err := hkdf.Expand(hash13(hash).New, secret, string(info), length)
	if err != nil {
		panic(fmt.Sprintf("keys: HKDF-Expand-Label: %v", err))
	}
	return out
}

// DeriveSecret is Derive-Secret of RFC 8446 §7.1:
//
//	Derive-Secret(Secret, Label, Messages) =
//	    HKDF-Expand-Label(Secret, Label, Transcript-Hash(Messages), Hash.length)
//
// It takes the transcript hash rather than the messages so that one running
// Transcript serves every secret; pass EmptyHash(hash) where the RFC writes
// "" for the messages (that is the hash of nothing, not an empty context).
func DeriveSecret(hash crypto.Hash, secret []byte, label string, transcriptHash []byte) []byte {
	return HKDFExpandLabel(hash, secret, label, transcriptHash, hash.Size())
}

// EmptyHash returns Hash(""), the transcript hash of no messages, which RFC
// 8446 §7.1 uses for "derived", the binder keys and §7.5's exporter.
func EmptyHash(hash crypto.Hash) []byte {
	return slices.Clone(emptyHash(hash))
}

// emptyHashes holds Hash("") for the two TLS 1.3 hashes, computed once:
// every key schedule needs it two or three times per handshake.
var emptyHashes = sync.OnceValue(func() map[crypto.Hash][]byte {
	return map[crypto.Hash][]byte{
		crypto.SHA256: crypto.SHA256.New().Sum(nil),
		crypto.SHA384: crypto.SHA384.New().Sum(nil),
	}
})

// emptyHash is EmptyHash without the copy, for callers that only read it.
func emptyHash(hash crypto.Hash) []byte {
	return emptyHashes()[hash13(hash)]
}

// hash13 checks that hash can serve TLS 1.3: every TLS 1.3 cipher suite
// names SHA-256 or SHA-384 (RFC 8446 §B.4), and anything else here —
// notably a zero hash carried over from a TLS 1.2 default — is a bug that
// would otherwise only show up as a failed Finished at the peer.
func hash13(hash crypto.Hash) crypto.Hash {
	if hash != crypto.SHA256 && hash != crypto.SHA384 {
		panic(fmt.Sprintf("keys: %v is not a TLS 1.3 hash", hash))
	}
	if !hash.Available() {
		panic(fmt.Sprintf("keys: hash %v is not linked in", hash))
	}
	return hash
}

// extract is HKDF-Extract(salt, IKM) with RFC 8446 §7.1's convention that a
// missing input is a string of Hash.length zero bytes.
func extract(hash crypto.Hash, salt, ikm []byte) []byte {
	if ikm == nil {
		ikm = make([]byte, hash.Size())
	}
	if salt == nil {
		salt = make([]byte, hash.Size())
	}
	prk, err := hkdf.Extract(hash13(hash).New, ikm, salt)
	if err != nil {
		panic(fmt.Sprintf("keys: HKDF-Extract: %v", err))
	}
	return prk
}

// Stages of a Schedule13.
const (
	stageEarly = iota
	stageHandshake
	stageMaster
)

var stageNames = [...]string{"early", "handshake", "master"}

// Schedule13 walks the TLS 1.3 key schedule of RFC 8446 §7.1 from the early
// secret through the handshake secret to the master secret, one stage at a
// time, and derives each traffic secret from the stage it belongs to.
//
// Each stage's Derive-Secret methods panic when called at another stage:
// asking for an application traffic secret before the master secret exists
// (or an early one after) is a handshake-driver bug, and a panic names it
// where a wrong secret would only surface as a bad_record_mac at the peer.
//
// The secrets of all three stages are kept so that a trace can show them;
// drop the Schedule13 once the handshake is done.
type Schedule13 struct {
	hash      crypto.Hash
	stage     int
	early     []byte
	handshake []byte
	master    []byte
}

// NewSchedule13 starts the key schedule with the early secret
// HKDF-Extract(0, PSK) (RFC 8446 §7.1). Without a PSK, psk is nil and the
// RFC's "0" — Hash.length zero bytes — takes its place.
func NewSchedule13(hash crypto.Hash, psk []byte) *Schedule13 {
	return &Schedule13{hash: hash13(hash), early: extract(hash, nil, psk)}
}

// Hash returns the hash of the schedule's cipher suite.
func (s *Schedule13) Hash() crypto.Hash { return s.hash }

// EarlySecret returns the early secret.
func (s *Schedule13) EarlySecret() []byte { return s.early }

// HandshakeSecret returns the handshake secret, or nil before
// SetSharedSecret.
func (s *Schedule13) HandshakeSecret() []byte { return s.handshake }

// MasterSecret returns the master secret, or nil before SetMasterSecret.
func (s *Schedule13) MasterSecret() []byte { return s.master }

// MasterStage returns a schedule at the master stage that holds a copy of
// the master secret and nothing of the earlier stages, for a connection
// that derives a master-stage secret (the exporter's) only if it is asked
// for after the handshake.
func (s *Schedule13) MasterStage() *Schedule13 {
	s.at(stageMaster, "MasterStage")
	return &Schedule13{hash: s.hash, stage: stageMaster, master: slices.Clone(s.master)}
}

func (s *Schedule13) at(stage int, what string) {
	if s.stage != stage {
		panic(fmt.Sprintf("keys: %s needs the %s secret, but the schedule is at the %s secret", what, stageNames[stage], stageNames[s.stage]))
	}
}

// BinderKey derives the PSK binder key (RFC 8446 §7.1): "res binder" for a
// PSK from a NewSessionTicket, "ext binder" for an external PSK. The labels
// differ so that a binder made for one kind of PSK never verifies as the
// other (§4.2.11.2). The binder itself is FinishedVerifyData13(hash,
// binderKey, Transcript-Hash(truncated ClientHello)).
func (s *Schedule13) BinderKey(resumption bool) []byte {
	s.at(stageEarly, "BinderKey")
	label := labelExtBinder
	if resumption {
		label = labelResBinder
	}
	return DeriveSecret(s.hash, s.early, label, emptyHash(s.hash))
}

// ClientEarlyTrafficSecret derives client_early_traffic_secret for 0-RTT
// data over the hash of the ClientHello (RFC 8446 §7.1).
func (s *Schedule13) ClientEarlyTrafficSecret(transcriptHash []byte) []byte {
	s.at(stageEarly, "ClientEarlyTrafficSecret")
	return DeriveSecret(s.hash, s.early, labelClientEarly, transcriptHash)
}

// EarlyExporterMasterSecret derives early_exporter_master_secret over the
// hash of the ClientHello (RFC 8446 §7.1, used by §7.5 for 0-RTT exporters).
func (s *Schedule13) EarlyExporterMasterSecret(transcriptHash []byte) []byte {
	s.at(stageEarly, "EarlyExporterMasterSecret")
	return DeriveSecret(s.hash, s.early, labelEarlyExporter, transcriptHash)
}

// SetSharedSecret advances from the early secret to the handshake secret,
// HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE) (RFC 8446
// §7.1). dhe is nil for psk_ke resumption, which has no key exchange: the RFC
// then uses Hash.length zero bytes.
func (s *Schedule13) SetSharedSecret(dhe []byte) {
	s.at(stageEarly, "SetSharedSecret")
	salt := DeriveSecret(s.hash, s.early, labelDerived, emptyHash(s.hash))
	s.handshake = extract(s.hash, salt, dhe)
	s.stage = stageHandshake
}

// ClientHandshakeTrafficSecret derives client_handshake_traffic_secret over
// the hash of ClientHello...ServerHello (RFC 8446 §7.1).
func (s *Schedule13) ClientHandshakeTrafficSecret(transcriptHash []byte) []byte {
	s.at(stageHandshake, "ClientHandshakeTrafficSecret")
	return DeriveSecret(s.hash, s.handshake, labelClientHandshake, transcriptHash)
}

// ServerHandshakeTrafficSecret derives server_handshake_traffic_secret over
// the hash of ClientHello...ServerHello (RFC 8446 §7.1).
func (s *Schedule13) ServerHandshakeTrafficSecret(transcriptHash []byte) []byte {
	s.at(stageHandshake, "ServerHandshakeTrafficSecret")
	return DeriveSecret(s.hash, s.handshake, labelServerHandshake, transcriptHash)
}

// SetMasterSecret advances from the handshake secret to the master secret,
// HKDF-Extract(Derive-Secret(handshake, "derived", ""), 0) (RFC 8446 §7.1).
func (s *Schedule13) SetMasterSecret() {
	s.at(stageHandshake, "SetMasterSecret")
	salt := DeriveSecret(s.hash, s.handshake, labelDerived, emptyHash(s.hash))
	s.master = extract(s.hash, salt, nil)
	s.stage = stageMaster
}

// ClientApplicationTrafficSecret derives client_application_traffic_secret_0
// over the hash of ClientHello...server Finished (RFC 8446 §7.1).
func (s *Schedule13) ClientApplicationTrafficSecret(transcriptHash []byte) []byte {
	s.at(stageMaster, "ClientApplicationTrafficSecret")
	return DeriveSecret(s.hash, s.master, labelClientAppData, transcriptHash)
}

// ServerApplicationTrafficSecret derives server_application_traffic_secret_0
// over the hash of ClientHello...server Finished (RFC 8446 §7.1).
func (s *Schedule13) ServerApplicationTrafficSecret(transcriptHash []byte) []byte {
	s.at(stageMaster, "ServerApplicationTrafficSecret")
	return DeriveSecret(s.hash, s.master, labelServerAppData, transcriptHash)
}

// ExporterMasterSecret derives exporter_master_secret over the hash of
// ClientHello...server Finished (RFC 8446 §7.1).
func (s *Schedule13) ExporterMasterSecret(transcriptHash []byte) []byte {
	s.at(stageMaster, "ExporterMasterSecret")
	return DeriveSecret(s.hash, s.master, labelExporterMaster, transcriptHash)
}

// ResumptionMasterSecret derives resumption_master_secret over the hash of
// ClientHello...client Finished (RFC 8446 §7.1) — one message later than the
// other master-stage secrets, so a ticket is bound to the client's Finished
// as well.
func (s *Schedule13) ResumptionMasterSecret(transcriptHash []byte) []byte {
	s.at(stageMaster, "ResumptionMasterSecret")
	return DeriveSecret(s.hash, s.master, labelResumption, transcriptHash)
}

// TrafficKey derives the record-protection key and IV from a traffic secret
// (RFC 8446 §7.3): HKDF-Expand-Label(secret, "key", "", keyLen) and
// HKDF-Expand-Label(secret, "iv", "", ivLen). The lengths are the AEAD's
// (16 or 32 and 12 for every TLS 1.3 suite).
func TrafficKey(hash crypto.Hash, trafficSecret []byte, keyLen, ivLen int) (key, iv []byte) {
	key = HKDFExpandLabel(hash, trafficSecret, labelKey, nil, keyLen)
	iv = HKDFExpandLabel(hash, trafficSecret, labelIV, nil, ivLen)
	return key, iv
}

// FinishedVerifyData13 computes a TLS 1.3 Finished verify_data (RFC 8446
// §4.4.4): HMAC(finished_key, transcriptHash), where finished_key =
// HKDF-Expand-Label(baseKey, "finished", "", Hash.length). baseKey is the
// sender's handshake traffic secret (or, after the handshake, its
// application traffic secret); the PSK binder (§4.2.11.2) uses the same
// construction with the binder key as baseKey.
//
// Compare the result with hmac.Equal, never bytes.Equal.
func FinishedVerifyData13(hash crypto.Hash, baseKey, transcriptHash []byte) []byte {
	finishedKey := HKDFExpandLabel(hash, baseKey, labelFinished, nil, hash.Size())
	mac := hmac.New(hash.New, finishedKey)
	mac.Write(transcriptHash)
	return mac.Sum(nil)
}

// NextTrafficSecret computes application_traffic_secret_N+1 from
// application_traffic_secret_N after a KeyUpdate (RFC 8446 §7.2):
// HKDF-Expand-Label(secret, "traffic upd", "", Hash.length).
func NextTrafficSecret(hash crypto.Hash, secret []byte) []byte {
	return HKDFExpandLabel(hash, secret, labelTrafficUpdate, nil, hash.Size())
}

// ResumptionPSK computes the PSK a NewSessionTicket stands for (RFC 8446
// §4.6.1): HKDF-Expand-Label(resumption_master_secret, "resumption",
// ticket_nonce, Hash.length). The nonce makes each ticket of one connection
// carry a different PSK.
func ResumptionPSK(hash crypto.Hash, resumptionMasterSecret, ticketNonce []byte) []byte {
	return HKDFExpandLabel(hash, resumptionMasterSecret, labelResumptionPSK, ticketNonce, hash.Size())
}

// ExportKeyingMaterial13 is the TLS 1.3 exporter of RFC 8446 §7.5 (the
// interface of RFC 5705):
//
//	TLS-Exporter(label, context_value, key_length) =
//	    HKDF-Expand-Label(Derive-Secret(Secret, label, ""),
//	                      "exporter", Hash(context_value), key_length)
//
// with the (early_)exporter_master_secret as Secret. TLS 1.3 makes no
// difference between a nil and an empty context (§7.5), unlike TLS 1.2.
func ExportKeyingMaterial13(hash crypto.Hash, exporterMasterSecret []byte, label string, context []byte, length int) []byte {
	secret := DeriveSecret(hash, exporterMasterSecret, label, emptyHash(hash))
	h := hash.New()
	h.Write(context)
	return HKDFExpandLabel(hash, secret, labelExporter, h.Sum(nil), length)
}

// Labels of the NSS key log format (the SSLKEYLOGFILE of NSS, OpenSSL and
// Wireshark; draft-ietf-tls-keylogfile), one per secret a TLS 1.3
// connection can log, and CLIENT_RANDOM for the TLS 1.0–1.2 master secret.
const (
	KeyLogClientRandom                 = "CLIENT_RANDOM"
	KeyLogClientEarlyTrafficSecret     = "CLIENT_EARLY_TRAFFIC_SECRET"
	KeyLogEarlyExporterSecret          = "EARLY_EXPORTER_SECRET"
	KeyLogClientHandshakeTrafficSecret = "CLIENT_HANDSHAKE_TRAFFIC_SECRET"
	KeyLogServerHandshakeTrafficSecret = "SERVER_HANDSHAKE_TRAFFIC_SECRET"
	KeyLogClientTrafficSecret0         = "CLIENT_TRAFFIC_SECRET_0"
	KeyLogServerTrafficSecret0         = "SERVER_TRAFFIC_SECRET_0"
	KeyLogExporterSecret               = "EXPORTER_SECRET"
)

// NSSKeyLogLine formats one line of the NSS key log format: the label, the
// ClientHello random (which identifies the connection) and the secret, both
// in lowercase hex, and a newline.
func NSSKeyLogLine(label string, clientRandom, secret []byte) string {
	return fmt.Sprintf("%s %x %x\n", label, clientRandom, secret)
}

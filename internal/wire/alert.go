package wire

import "fmt"

// ContentType is the type of a TLS record (RFC 5246 §6.2.1, RFC 8446 §5.1).
type ContentType uint8

// Record content types.
const (
	ContentChangeCipherSpec ContentType = 20
	ContentAlert            ContentType = 21
	ContentHandshake        ContentType = 22
	ContentApplicationData  ContentType = 23
	ContentHeartbeat        ContentType = 24
)

var contentTypeNames = map[ContentType]string{
	ContentChangeCipherSpec: "change_cipher_spec",
	ContentAlert:            "alert",
	ContentHandshake:        "handshake",
	ContentApplicationData:  "application_data",
	ContentHeartbeat:        "heartbeat",
}

func (t ContentType) String() string {
	if name, ok := contentTypeNames[t]; ok {
		return name
	}
	return fmt.Sprintf("unknown_content_type(%d)", uint8(t))
}

// AlertLevel is the level byte of an alert.
type AlertLevel uint8

// Alert levels.
const (
	AlertLevelWarning AlertLevel = 1
	AlertLevelFatal   AlertLevel = 2
)

func (l AlertLevel) String() string {
	switch l {
	case AlertLevelWarning:
		return "warning"
	case AlertLevelFatal:
		return "fatal"
	}
	return fmt.Sprintf("unknown_level(%d)", uint8(l))
}

// AlertDescription is the description byte of an alert (RFC 5246 §7.2,
// RFC 8446 §6 and the IANA TLS Alerts registry).
type AlertDescription uint8

// Alert descriptions.
const (
	AlertCloseNotify                  AlertDescription = 0
	AlertUnexpectedMessage            AlertDescription = 10
	AlertBadRecordMAC                 AlertDescription = 20
	AlertDecryptionFailed             AlertDescription = 21
	AlertRecordOverflow               AlertDescription = 22
	AlertDecompressionFailure         AlertDescription = 30
	AlertHandshakeFailure             AlertDescription = 40
	AlertNoCertificate                AlertDescription = 41
	AlertBadCertificate               AlertDescription = 42
	AlertUnsupportedCertificate       AlertDescription = 43
	AlertCertificateRevoked           AlertDescription = 44
	AlertCertificateExpired           AlertDescription = 45
	AlertCertificateUnknown           AlertDescription = 46
	AlertIllegalParameter             AlertDescription = 47
	AlertUnknownCA                    AlertDescription = 48
	AlertAccessDenied                 AlertDescription = 49
	AlertDecodeError                  AlertDescription = 50
	AlertDecryptError                 AlertDescription = 51
	AlertExportRestriction            AlertDescription = 60
	AlertProtocolVersion              AlertDescription = 70
	AlertInsufficientSecurity         AlertDescription = 71
	AlertInternalError                AlertDescription = 80
	AlertInappropriateFallback        AlertDescription = 86
	AlertUserCanceled                 AlertDescription = 90
	AlertNoRenegotiation              AlertDescription = 100
	AlertMissingExtension             AlertDescription = 109
	AlertUnsupportedExtension         AlertDescription = 110
	AlertCertificateUnobtainable      AlertDescription = 111
	AlertUnrecognizedName             AlertDescription = 112
	AlertBadCertificateStatusResponse AlertDescription = 113
	AlertBadCertificateHashValue      AlertDescription = 114
	AlertUnknownPSKIdentity           AlertDescription = 115
	AlertCertificateRequired          AlertDescription = 116
	AlertNoApplicationProtocol        AlertDescription = 120
	AlertECHRequired                  AlertDescription = 121
)

var alertNames = map[AlertDescription]string{
	AlertCloseNotify:                  "close_notify",
	AlertUnexpectedMessage:            "unexpected_message",
	AlertBadRecordMAC:                 "bad_record_mac",
	AlertDecryptionFailed:             "decryption_failed",
	AlertRecordOverflow:               "record_overflow",
	AlertDecompressionFailure:         "decompression_failure",
	AlertHandshakeFailure:             "handshake_failure",
	AlertNoCertificate:                "no_certificate",
	AlertBadCertificate:               "bad_certificate",
	AlertUnsupportedCertificate:       "unsupported_certificate",
	AlertCertificateRevoked:           "certificate_revoked",
	AlertCertificateExpired:           "certificate_expired",
	AlertCertificateUnknown:           "certificate_unknown",
	AlertIllegalParameter:             "illegal_parameter",
	AlertUnknownCA:                    "unknown_ca",
	AlertAccessDenied:                 "access_denied",
	AlertDecodeError:                  "decode_error",
	AlertDecryptError:                 "decrypt_error",
	AlertExportRestriction:            "export_restriction",
	AlertProtocolVersion:              "protocol_version",
	AlertInsufficientSecurity:         "insufficient_security",
	AlertInternalError:                "internal_error",
	AlertInappropriateFallback:        "inappropriate_fallback",
	AlertUserCanceled:                 "user_canceled",
	AlertNoRenegotiation:              "no_renegotiation",
	AlertMissingExtension:             "missing_extension",
	AlertUnsupportedExtension:         "unsupported_extension",
	AlertCertificateUnobtainable:      "certificate_unobtainable",
	AlertUnrecognizedName:             "unrecognized_name",
	AlertBadCertificateStatusResponse: "bad_certificate_status_response",
	AlertBadCertificateHashValue:      "bad_certificate_hash_value",
	AlertUnknownPSKIdentity:           "unknown_psk_identity",
	AlertCertificateRequired:          "certificate_required",
	AlertNoApplicationProtocol:        "no_application_protocol",
	AlertECHRequired:                  "ech_required",
}

func (d AlertDescription) String() string {
	if name, ok := alertNames[d]; ok {
		return name
	}
	return fmt.Sprintf("unknown_alert(%d)", uint8(d))
}

// Alert is the two-byte body of an alert record.
type Alert struct {
	Level       AlertLevel
	Description AlertDescription
}

// Marshal returns the two bytes of the alert record body.
func (a Alert) Marshal() []byte {
	return []byte{byte(a.Level), byte(a.Description)}
}

// ParseAlert parses an alert record body. RFC 5246 §7.2: an alert is exactly
// two bytes, and RFC 8446 §5.1: "a record with an Alert type MUST contain
// exactly one message". Anything else is a decode_error, the alert RFC 8446
// §6.2 defines for a message whose length is incorrect. (OpenSSL 3 sends
// unexpected_message, "invalid alert".)
func ParseAlert(body []byte) (Alert, error) {
	if len(body) != 2 {
		return Alert{}, Errorf(AlertDecodeError, "alert record of %d bytes, want 2", len(body))
	}
	return Alert{Level: AlertLevel(body[0]), Description: AlertDescription(body[1])}, nil
}

// Error is a protocol error found while parsing or checking bytes from the
// peer. It carries the alert that the RFC calls for, so that the single place
// in a connection that sends alerts can choose it without guessing.
type Error struct {
	Alert   AlertDescription
	Message string
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an *Error with the given alert and a formatted message.
func Errorf(alert AlertDescription, format string, args ...any) *Error {
	return &Error{Alert: alert, Message: fmt.Sprintf(format, args...)}
}

// ChangeCipherSpec is the one-byte body of a ChangeCipherSpec record.
var ChangeCipherSpec = []byte{1}

// ParseChangeCipherSpec checks a ChangeCipherSpec record body: RFC 5246 §7.1
// allows exactly the single byte 1. Anything else is unexpected_message:
// RFC 8446 §5 names it ("An implementation which receives any other
// change_cipher_spec value ... MUST abort the handshake with an
// "unexpected_message" alert"); RFC 5246 names no alert, and OpenSSL 3
// sends unexpected_message there too ("bad change cipher spec").
func ParseChangeCipherSpec(body []byte) error {
	if len(body) != 1 || body[0] != 1 {
		return Errorf(AlertUnexpectedMessage, "ChangeCipherSpec body %x, want 01", body)
	}
	return nil
}

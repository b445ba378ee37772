// Package record is clasp's TLS record layer (RFC 5246 §6, RFC 8446 §5):
// framing records on a byte stream, fragmenting writes at the maximum
// plaintext size, coalescing a whole flight into one socket write, protecting
// records per epoch (AEAD, CBC with HMAC, or none) with their sequence
// numbers, and reassembling handshake messages that span records.
//
// Everything on the per-record path reuses buffers owned by the Layer or the
// Protection, so a running connection does not allocate per record.
//
// Errors caused by the peer's bytes are *wire.Error values carrying the alert
// that the RFC calls for; transport errors are passed through (io.EOF at a
// record boundary, io.ErrUnexpectedEOF inside a record); a first record that
// is plainly some other protocol is reported as *NotTLSError so that a person
// can be told what answered instead.
package record

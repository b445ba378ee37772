package wire

// HelloRequest asks the client to start a new handshake (RFC 5246 §7.4.1.1).
// It has an empty body.
type HelloRequest struct{}

// Type returns TypeHelloRequest.
func (*HelloRequest) Type() HandshakeType { return TypeHelloRequest }

// Marshal returns the complete handshake message.
func (*HelloRequest) Marshal() ([]byte, error) {
	return marshalHandshake(TypeHelloRequest, func(*builder) {})
}

// ParseHelloRequest checks that a HelloRequest body is empty.
func ParseHelloRequest(body []byte) (*HelloRequest, error) {
	if len(body) != 0 {
		return nil, decodeError("HelloRequest (body must be empty)")
	}
	return &HelloRequest{}, nil
}

// ServerHelloDone ends the server's first flight (RFC 5246 §7.4.5). It has an
// empty body.
type ServerHelloDone struct{}

// Type returns TypeServerHelloDone.
func (*ServerHelloDone) Type() HandshakeType { return TypeServerHelloDone }

// Marshal returns the complete handshake message.
func (*ServerHelloDone) Marshal() ([]byte, error) {
	return marshalHandshake(TypeServerHelloDone, func(*builder) {})
}

// ParseServerHelloDone checks that a ServerHelloDone body is empty.
func ParseServerHelloDone(body []byte) (*ServerHelloDone, error) {
	if len(body) != 0 {
		return nil, decodeError("ServerHelloDone (body must be empty)")
	}
	return &ServerHelloDone{}, nil
}

// Finished proves that both sides saw the same handshake (RFC 5246 §7.4.9).
type Finished struct {
	// VerifyData is the whole body. Its length is 12 bytes for every TLS
	// 1.2 suite clasp knows, but the driver compares it with the value it
	// computed, so a wrong length fails there as decrypt_error, the alert
	// RFC 5246 names for a bad Finished. Empty becomes nil.
	VerifyData []byte
}

// Type returns TypeFinished.
func (*Finished) Type() HandshakeType { return TypeFinished }

// Marshal returns the complete handshake message.
func (m *Finished) Marshal() ([]byte, error) {
	return marshalHandshake(TypeFinished, func(b *builder) { b.AddBytes(m.VerifyData) })
}

// ParseFinished parses a Finished body; every body is well formed.
func ParseFinished(body []byte) (*Finished, error) {
	return &Finished{VerifyData: cloneBytes(body)}, nil
}

// EndOfEarlyData ends the client's 0-RTT data (RFC 8446 §4.5). It has an
// empty body.
type EndOfEarlyData struct{}

// Type returns TypeEndOfEarlyData.
func (*EndOfEarlyData) Type() HandshakeType { return TypeEndOfEarlyData }

// Marshal returns the complete handshake message.
func (*EndOfEarlyData) Marshal() ([]byte, error) {
	return marshalHandshake(TypeEndOfEarlyData, func(*builder) {})
}

// ParseEndOfEarlyData checks that an EndOfEarlyData body is empty.
func ParseEndOfEarlyData(body []byte) (*EndOfEarlyData, error) {
	if len(body) != 0 {
		return nil, decodeError("EndOfEarlyData (body must be empty)")
	}
	return &EndOfEarlyData{}, nil
}

package clasp

import (
	"fmt"

	"github.com/clasp-tls/clasp/internal/wire"
)

// max_fragment_length (RFC 6066 §4): a client asks for smaller records
// (Config.MaxFragmentLength), and a server that agrees echoes the value;
// both then send records of at most that many plaintext bytes, handshake
// messages included, from the server's answer on. RFC 8449 §5 prefers
// record_size_limit: a server that gets both answers record_size_limit
// only, and a client that gets both back aborts.

// maxFragmentCode is the extension value for n bytes, 0 for none.
func maxFragmentCode(n int) (uint8, error) {
	switch n {
	case 0:
		return 0, nil
	case 512, 1024, 2048, 4096:
		code := uint8(1)
		for 1<<(8+int(code)) != n {
			code++
		}
		return code, nil
	}
	return 0, &configError{fmt.Sprintf("MaxFragmentLength %d: RFC 6066 §4 allows 512, 1024, 2048 or 4096", n)}
}

// requestMaxFragmentLength is the client's max_fragment_length, if any.
func requestMaxFragmentLength(cfg *Config) ([]wire.Extension, error) {
	code, err := maxFragmentCode(cfg.MaxFragmentLength)
	if err != nil || code == 0 || !cfg.listsExtension(wire.ExtMaxFragmentLength) {
		return nil, err
	}
	return []wire.Extension{&wire.MaxFragmentLengthExt{Length: code}}, nil
}

// acceptMaxFragmentLength checks the server's answer (ServerHello in TLS
// 1.2, EncryptedExtensions in TLS 1.3) and applies it to what the client
// writes from now on.
func (c *Conn) acceptMaxFragmentLength(exts []wire.Extension) error {
	mfl, ok := wire.FindExtension[*wire.MaxFragmentLengthExt](exts)
	if !ok {
		return nil
	}
	asked, _ := maxFragmentCode(c.config.MaxFragmentLength)
	if mfl.Length != asked {
		// RFC 6066 §4: a response "that differs from the length it
		// requested" is illegal_parameter.
		return wire.Errorf(wire.AlertIllegalParameter, "server answered max_fragment_length %d bytes; the client asked for %d", mfl.Bytes(), c.config.MaxFragmentLength)
	}
	if _, both := wire.FindExtension[*wire.RecordSizeLimitExt](exts); both {
		// RFC 8449 §5: "A client MUST treat receipt of both
		// max_fragment_length and record_size_limit as a fatal error".
		return wire.Errorf(wire.AlertIllegalParameter, "server answered both max_fragment_length and record_size_limit (RFC 8449 §5)")
	}
	c.state.maxFragment = mfl.Bytes()
	c.layer.SetMaxPlaintext(mfl.Bytes())
	return nil
}

// answerMaxFragmentLength is the server's answer to a client's request:
// the same value echoed, unless the client also sent record_size_limit,
// which wins (RFC 8449 §5). The caller applies the limit once its answer
// is written.
func (c *Conn) answerMaxFragmentLength(hello *wire.ClientHello) []wire.Extension {
	mfl, ok := wire.FindExtension[*wire.MaxFragmentLengthExt](hello.Extensions)
	if !ok {
		return nil
	}
	if _, rsl := wire.FindExtension[*wire.RecordSizeLimitExt](hello.Extensions); rsl {
		return nil
	}
	c.state.maxFragment = mfl.Bytes()
	return []wire.Extension{&wire.MaxFragmentLengthExt{Length: mfl.Length}}
}

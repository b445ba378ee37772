package starttls

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// XMPP's namespaces (RFC 6120 §4.8.1, §5.4).
const (
	nsStreams = "http://etherx.jabber.org/streams"
	nsTLS     = "urn:ietf:params:xml:ns:xmpp-tls"
)

// maxXMPPBytes bounds what is read from the server before <proceed/>: its
// stream header and features are a few hundred bytes; a server streaming
// endless features does not get to hold us.
const maxXMPPBytes = 64 << 10

// xmpp opens a client stream to the server's domain, looks for STARTTLS
// among the stream features and asks for it (RFC 6120 §5.4.2).
func (s *session) xmpp() error {
	if s.serverName == "" {
		return errors.New("starttls: xmpp needs the server's domain name for the stream's to= (RFC 6120 §4.7.2); NegotiateFor takes it")
	}
	var header strings.Builder
	header.WriteString("<?xml version='1.0'?><stream:stream to='")
	if err := xml.EscapeText(&header, []byte(s.serverName)); err != nil {
		return err
	}
	header.WriteString("' version='1.0' xmlns='jabber:client' xmlns:stream='" + nsStreams + "'>")
	if _, err := io.WriteString(s.conn, header.String()); err != nil {
		return err
	}
	x := &xmppReader{dec: xml.NewDecoder(&limitedByteReader{r: s.conn, left: maxXMPPBytes})}
	if err := x.streamHeader(); err != nil {
		return err
	}
	offered, err := x.features()
	if err != nil {
		return err
	}
	if !offered {
		return errors.New("starttls: the XMPP server does not offer STARTTLS among its stream features")
	}
	if _, err := io.WriteString(s.conn, "<starttls xmlns='"+nsTLS+"'/>"); err != nil {
		return err
	}
	return x.proceed()
}

type xmppReader struct {
	dec      *xml.Decoder
	declSeen bool
}

// streamHeader reads the server's <stream:stream>, which must say
// version='1.0': a server without it sends no features, so no STARTTLS
// (RFC 6120 §4.7.5).
func (x *xmppReader) streamHeader() error {
	start, err := x.element()
	if err != nil {
		return err
	}
	if start.Name != (xml.Name{Space: nsStreams, Local: "stream"}) {
		return fmt.Errorf("starttls: the XMPP server's first element is <%s>, not a stream header", start.Name.Local)
	}
	for _, a := range start.Attr {
		if a.Name.Local == "version" && a.Name.Space == "" {
			if major, _, _ := strings.Cut(a.Value, "."); major != "0" && major != "" {
				return nil
			}
		}
	}
	return errors.New("starttls: the XMPP server's stream has no version 1.0, so no features and no STARTTLS (RFC 6120 §4.7.5)")
}

// features reads <stream:features> and reports whether it holds
// <starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/> (RFC 6120 §5.4.1).
func (x *xmppReader) features() (bool, error) {
	start, err := x.element()
	if err != nil {
		return false, err
	}
	if start.Name != (xml.Name{Space: nsStreams, Local: "features"}) {
		return false, fmt.Errorf("starttls: the XMPP server sent <%s> where its stream features belong", start.Name.Local)
	}
	offered := false
	for {
		tok, err := x.token()
		if err != nil {
			return false, err
		}
		switch t := tok.(type) {
		case xml.EndElement:
			return offered, nil
		case xml.StartElement:
			offered = offered || t.Name == xml.Name{Space: nsTLS, Local: "starttls"}
			if err := x.dec.Skip(); err != nil {
				return false, xmlError(err)
			}
		}
	}
}

// proceed reads the server's answer to <starttls/>: <proceed/> (and its end
// tag, so that nothing of it is left for the TLS handshake) or <failure/>
// (RFC 6120 §5.4.2.2, §5.4.2.3).
func (x *xmppReader) proceed() error {
	start, err := x.element()
	if err != nil {
		return err
	}
	switch start.Name {
	case xml.Name{Space: nsTLS, Local: "proceed"}:
		if err := x.dec.Skip(); err != nil {
			return xmlError(err)
		}
		return nil
	case xml.Name{Space: nsTLS, Local: "failure"}:
		return errors.New("starttls: the XMPP server refused STARTTLS (<failure/>)")
	}
	return fmt.Errorf("starttls: the XMPP server answered <starttls/> with <%s>", start.Name.Local)
}

// element returns the next start tag at the current level, passing
// whitespace. A stream error or the end of the stream is an error.
func (x *xmppReader) element() (xml.StartElement, error) {
	for {
		tok, err := x.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if t.Name == (xml.Name{Space: nsStreams, Local: "error"}) {
				return t, x.streamError()
			}
			return t, nil
		case xml.EndElement:
			return xml.StartElement{}, errors.New("starttls: the XMPP server closed its stream")
		}
	}
}

// token returns the next token, refusing what RFC 6120 §11.1 forbids in a
// stream: comments, processing instructions (but the XML declaration
// first), DTDs; and text between the elements this exchange has.
func (x *xmppReader) token() (xml.Token, error) {
	tok, err := x.dec.Token()
	if err != nil {
		return nil, xmlError(err)
	}
	first := !x.declSeen
	x.declSeen = true
	switch t := tok.(type) {
	case xml.ProcInst:
		if first && t.Target == "xml" {
			return x.token()
		}
		return nil, errors.New("starttls: the XMPP server sent a processing instruction (RFC 6120 §11.1 forbids them)")
	case xml.Comment:
		return nil, errors.New("starttls: the XMPP server sent an XML comment (RFC 6120 §11.1 forbids them)")
	case xml.Directive:
		return nil, errors.New("starttls: the XMPP server sent a DTD or other directive (RFC 6120 §11.1 forbids them)")
	case xml.CharData:
		if len(strings.TrimSpace(string(t))) != 0 {
			return nil, fmt.Errorf("starttls: the XMPP server sent text where an element belongs: %.40q", string(t))
		}
		return x.token()
	}
	return tok, nil
}

// streamError reads <stream:error>'s condition (RFC 6120 §4.9.3), the first
// child element, to name it in the error.
func (x *xmppReader) streamError() error {
	condition := "no condition"
	for {
		tok, err := x.dec.Token()
		if err != nil {
			return fmt.Errorf("starttls: the XMPP server sent a stream error (%s), then: %w", condition, xmlError(err))
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if condition == "no condition" && t.Name.Local != "text" {
				condition = t.Name.Local
			}
			if err := x.dec.Skip(); err != nil {
				return fmt.Errorf("starttls: the XMPP server sent a stream error (%s), then: %w", condition, xmlError(err))
			}
		case xml.EndElement:
			return fmt.Errorf("starttls: the XMPP server sent a stream error: %s", condition)
		}
	}
}

// xmlError marks what the XML decoder reports as ours.
func xmlError(err error) error {
	// Inside the open stream the decoder reports an end of input as a
	// syntax error.
	var syntax *xml.SyntaxError
	if errors.Is(err, io.EOF) || errors.As(err, &syntax) && syntax.Msg == "unexpected EOF" {
		return fmt.Errorf("starttls: the XMPP server closed the connection: %w", err)
	}
	if strings.HasPrefix(err.Error(), "starttls:") {
		return err
	}
	return fmt.Errorf("starttls: reading the XMPP server's stream: %w", err)
}

// limitedByteReader hands the XML decoder one byte per read from the
// connection, so that it never reads past <proceed/> into what follows,
// and stops it after left bytes.
type limitedByteReader struct {
	r    io.Reader
	left int
	buf  [1]byte
}

func (l *limitedByteReader) ReadByte() (byte, error) {
	if l.left <= 0 {
		return 0, fmt.Errorf("starttls: more than %d bytes from the XMPP server before <proceed/>", maxXMPPBytes)
	}
	if _, err := io.ReadFull(l.r, l.buf[:]); err != nil {
		return 0, err
	}
	l.left--
	return l.buf[0], nil
}

func (l *limitedByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	b, err := l.ReadByte()
	if err != nil {
		return 0, err
	}
	p[0] = b
	return 1, nil
}

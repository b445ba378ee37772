package explain

import (
	"fmt"
	"regexp"
	"strconv"
)

// OpenSSL library numbers (include/openssl/err.h, the same in 1.0.x, 1.1.x
// and 3.x).
const (
	libPEM  = 9
	libX509 = 11
	libSSL  = 20
)

var libNames = map[int]string{libPEM: "PEM routines", libX509: "x509 certificate routines", libSSL: "SSL routines"}

// OpenSSLCode is a packed OpenSSL error code taken apart.
//
// OpenSSL 1.0.x and 1.1.x pack ERR_PACK(lib, func, reason) as
// lib<<24 | func<<12 | reason, 8, 12 and 12 bits (crypto/err/err.c,
// include/openssl/err.h before 3.0): error:1408F10B is SSL (0x14), function
// 0x08F, reason 0x10B. OpenSSL 3.x dropped the function code: lib<<23 |
// reason, with 23 bits of reason and bit 31 marking a system errno
// (include/openssl/err.h.in, ERR_LIB_OFFSET 23): error:0A00010B is SSL
// (0x0A00010B>>23 = 20), reason 0x10B.
type OpenSSLCode struct {
	Code string `json:"code"`
	// Layout is "1.x" (OpenSSL 1.0/1.1) or "3.x".
	Layout  string `json:"layout"`
	Lib     int    `json:"lib"`
	LibName string `json:"lib_name,omitempty"`
	// Func is the function code of the 1.x layout (0 for 3.x).
	Func   int  `json:"func,omitempty"`
	Reason int  `json:"reason"`
	System bool `json:"system_error,omitempty"`
}

var (
	opensslCodeRE = regexp.MustCompile(`(?i)\berror:([0-9a-f]{8})\b`)
	// A line that is nothing but a code: "0A000086", "0x1408F10B".
	bareCodeRE = regexp.MustCompile(`(?i)^(?:0x)?([0-9a-f]{8})$`)
)

// DecodeOpenSSL takes a packed code apart. Which layout applies is read
// from the code itself: a 3.x code has bits 12 to 22 clear (no reason
// reaches 0x1000), where a 1.x code carries its function number there.
// The text around the code cannot tell: OpenSSL 3.0 prints a function name
// too ("error:0A000086:SSL routines:tls_post_process_server_certificate:..."),
// taken from the source rather than packed in the code.
func DecodeOpenSSL(code uint32) OpenSSLCode {
	c := OpenSSLCode{Code: fmt.Sprintf("%08X", code)}
	if code&0x7FF000 == 0 {
		c.Layout = "3.x"
		if code&0x80000000 != 0 {
			c.System, c.Reason = true, int(code&0x7FFFFFFF)
		} else {
			c.Lib, c.Reason = int(code>>23)&0xFF, int(code&0x7FFFFF)
		}
	} else {
		c.Layout = "1.x"
		c.Lib, c.Func, c.Reason = int(code>>24)&0xFF, int(code>>12)&0xFFF, int(code&0xFFF)
	}
	c.LibName = libNames[c.Lib]
	return c
}

// opensslCodes finds the packed codes in a line.
func opensslCodes(line string) []OpenSSLCode {
	var out []OpenSSLCode
	if m := bareCodeRE.FindStringSubmatch(line); m != nil {
		v, _ := strconv.ParseUint(m[1], 16, 32)
		return []OpenSSLCode{DecodeOpenSSL(uint32(v))}
	}
	for _, m := range opensslCodeRE.FindAllStringSubmatch(line, -1) {
		v, err := strconv.ParseUint(m[1], 16, 32)
		if err != nil {
			continue
		}
		out = append(out, DecodeOpenSSL(uint32(v)))
	}
	return out
}

// byOpenSSLCode finds the entries a decoded code names. A 1.x code is
// looked up by its 1.1.x reason number and, where 1.0.x numbered the
// reason differently, by that one too.
func (c *Catalogue) byOpenSSLCode(code OpenSSLCode) []*Entry {
	if code.System {
		return nil
	}
	var out []*Entry
	for _, e := range c.entries {
		if e.OpenSSLReason == 0 || e.OpenSSLLib != code.Lib {
			continue
		}
		if e.OpenSSLReason == code.Reason || code.Layout == "1.x" && e.OpenSSLReason10 == code.Reason {
			out = append(out, e)
		}
	}
	return out
}

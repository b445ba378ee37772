package explain

import (
	"bytes"
	"strings"
	"testing"
)

func TestCaseAndWhitespaceTolerant(t *testing.T) {
	c := mustLoad(t)
	for _, msg := range []string{
		"ERROR:0A0000C1:SSL ROUTINES::NO SHARED CIPHER",
		"   error:0A0000C1:SSL   routines::no\tshared    cipher  ",
		"no shared cipher",
	} {
		if r := c.Explain(msg, "en", ""); r.Primary != "no_shared_cipher" {
			t.Errorf("%q: primary %q, want no_shared_cipher", msg, r.Primary)
		}
	}
}

func TestPastedLogExplainsEachLine(t *testing.T) {
	c := mustLoad(t)
	log := `2026/12/07 13:00:00 [notice] 1#1: start worker processes
2026/12/07 13:00:01 [info] 7#7: *1 SSL_do_handshake() failed (SSL: error:0A0000C1:SSL routines::no shared cipher) while SSL handshaking, client: 10.0.0.1, server: 0.0.0.0:443
some unrelated line

2026/12/07 13:00:02 [info] 7#7: *2 client sent plain HTTP request to HTTPS port while reading client request headers
curl: (60) SSL certificate problem: certificate has expired`
	r := c.Explain(log, "en", "")
	if len(r.Lines) != 3 || r.UnrecognisedLines != 2 {
		t.Fatalf("recognised %d lines, %d unrecognised; want 3 and 2", len(r.Lines), r.UnrecognisedLines)
	}
	var got []string
	for _, l := range r.Lines {
		got = append(got, l.Cause)
	}
	want := []string{"no_shared_cipher", "http_to_tls_port", "cert_expired"}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("line causes %v, want %v", got, want)
	}
	if r.Lines[0].Number != 2 || r.Lines[2].Number != 6 {
		t.Errorf("line numbers %d, %d; want 2, 6", r.Lines[0].Number, r.Lines[2].Number)
	}
	if len(r.Causes) != 3 {
		t.Errorf("%d distinct causes, want 3", len(r.Causes))
	}
}

func TestUnknownInputIsNotRecognised(t *testing.T) {
	c := mustLoad(t)
	r := c.Explain("the coffee machine is out of beans", "en", "")
	if r.Recognised() || r.Hint == "" {
		t.Fatalf("recognised=%v hint=%q", r.Recognised(), r.Hint)
	}
	var b bytes.Buffer
	c.WriteText(&b, r, "en")
	if !strings.HasPrefix(b.String(), "not recognised") || !strings.Contains(b.String(), "clasp connect HOST:PORT") {
		t.Errorf("text for unknown input:\n%s", b.String())
	}
}

// TestOpenSSLCodeLayouts decodes the same reason in the 1.x and 3.x
// layouts, and a code without its text.
func TestOpenSSLCodeLayouts(t *testing.T) {
	cases := []struct {
		code            uint32
		layout          string
		lib, fn, reason int
	}{
		{0x1408F10B, "1.x", 20, 0x08F, 0x10B},
		{0x0A00010B, "3.x", 20, 0, 0x10B},
		{0x14094410, "1.x", 20, 0x094, 1040},
		{0x0A000410, "3.x", 20, 0, 1040},
		{0x05800074, "3.x", 11, 0, 116},
		{0x0B080074, "1.x", 11, 0x080, 116},
	}
	for _, tc := range cases {
		got := DecodeOpenSSL(tc.code)
		if got.Layout != tc.layout || got.Lib != tc.lib || got.Func != tc.fn || got.Reason != tc.reason {
			t.Errorf("%08X: %+v", tc.code, got)
		}
	}
	sys := DecodeOpenSSL(0x80000002)
	if !sys.System || sys.Reason != 2 {
		t.Errorf("system error code: %+v", sys)
	}
	c := mustLoad(t)
	for code, want := range map[string]string{
		"error:1408F10B":   "not_tls",
		"0x0A00010B":       "not_tls",
		"error:14082174":   "dh_key_too_small", // OpenSSL 1.0.2 numbered it 372
		"error:0A00018A":   "dh_key_too_small",
		"0A000086":         "cert_verify_failed",
		"error:0A000410:x": "handshake_failure_alert",
		// OpenSSL 3.0 names the function in the text; the code is still 3.x.
		"4007DBF35B7F0000:error:0A00009C:SSL routines:ssl3_get_record:xyz:../ssl/record/ssl3_record.c:341:": "http_to_tls_port",
	} {
		if r := c.Explain(code, "en", ""); r.Primary != want {
			t.Errorf("%s: primary %q, want %q", code, r.Primary, want)
		}
	}
}

func TestTargetFromMessage(t *testing.T) {
	for line, want := range map[string]string{
		"curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to example.com:443": "example.com:443",
		"Get \"https://api.example.com/v1\": x509: certificate signed by unknown authority":  "api.example.com:443",
		"upstream: \"https://10.0.0.5:8443/\"":                                               "10.0.0.5:8443",
		"no shared cipher":                                                                   "",
	} {
		if got := TargetIn(line); got != want {
			t.Errorf("TargetIn(%q) = %q, want %q", line, got, want)
		}
	}
	c := mustLoad(t)
	r := c.Explain("curl: (35) OpenSSL SSL_connect: SSL_ERROR_SYSCALL in connection to example.com:443", "en", "")
	if r.Target != "example.com:443" || !strings.Contains(r.Causes[0].Confirm, "example.com:443") {
		t.Errorf("target %q, confirm %q", r.Target, r.Causes[0].Confirm)
	}
}

func TestTextReportFirstLineNamesTheCause(t *testing.T) {
	c := mustLoad(t)
	r := c.Explain("javax.net.ssl.SSLHandshakeException: PKIX path building failed: sun.security.provider.certpath.SunCertPathBuilderException: unable to find valid certification path to requested target", "ru", "")
	var b bytes.Buffer
	c.WriteText(&b, r, "ru")
	first, _, _ := strings.Cut(b.String(), "\n")
	if !strings.HasPrefix(first, "причина: издатель сертификата неизвестен") {
		t.Errorf("first line %q", first)
	}
	if !strings.Contains(b.String(), "java.pkix_path_building") {
		t.Errorf("report does not name the entry:\n%s", b.String())
	}
}

func TestLongLogListsTwentyLines(t *testing.T) {
	c := mustLoad(t)
	log := strings.Repeat("SSL_do_handshake() failed (SSL: error:0A0000C1:SSL routines::no shared cipher)\n", 50)
	r := c.Explain(log, "en", "")
	if len(r.Lines) != 50 || len(r.Causes) != 1 {
		t.Fatalf("%d lines, %d causes", len(r.Lines), len(r.Causes))
	}
	var b bytes.Buffer
	c.WriteText(&b, r, "en")
	if n := strings.Count(b.String(), "\nline "); n != maxShownLines {
		t.Errorf("%d lines listed, want %d", n, maxShownLines)
	}
	if !strings.Contains(b.String(), "30 more recognised lines not shown") || strings.Count(b.String(), "cause [no_shared_cipher]") != 1 {
		t.Errorf("report:\n%s", b.String())
	}
}

package diagnose

import (
	"strings"
	"testing"
)

// wrap keeps every character of a Chinese text, breaks it between
// ideographs to fit the width in terminal columns, and keeps punctuation
// with its neighbour: no line starts with a closing mark or ends with an
// opening one.
func TestWrapChineseByColumns(t *testing.T) {
	text := "连接是打开的，但在允许的时间用完之前服务器没有再发送任何内容（在步骤 \"read server Certificate\"，在这一端发送 ClientHello 之后）。查看服务器的日志，弄清它为何在这一步停止响应。添加一张证书，其密钥能用客户端的某个签名方案签名（rsa_pss_rsae_sha256, rsa_pkcs1_sha256，需要类型为 RSA 的密钥）。"
	out := wrap(text, "  ", 40)
	var joined strings.Builder
	for _, line := range strings.Split(strings.TrimSuffix(out, "\n"), "\n") {
		if columns(line) > 40 {
			t.Errorf("line of %d columns: %q", columns(line), line)
		}
		body := strings.TrimPrefix(line, "  ")
		if strings.ContainsAny(body[:3], "，。）") || strings.HasSuffix(body, "（") {
			t.Errorf("punctuation split from its neighbour: %q", line)
		}
		joined.WriteString(body)
	}
	if strip(joined.String()) != strip(text) {
		t.Errorf("wrap lost characters:\n%s\nfrom\n%s", joined.String(), text)
	}
}

func strip(s string) string { return strings.ReplaceAll(s, " ", "") }

// For text without wide characters wrap breaks at spaces only, as many
// words to a line as fit: the English texts wrap as they always have.
func TestWrapASCIIAtSpaces(t *testing.T) {
	got := wrap("aaa bbb ccc dddddddddddd e", "  ", 11)
	want := "  aaa bbb\n  ccc\n  dddddddddddd\n  e\n"
	if got != want {
		t.Errorf("wrap = %q, want %q", got, want)
	}
}

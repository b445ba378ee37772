package diagnose

import (
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/clasp-tls/clasp"
)

func TestECHRejectionIsExplained(t *testing.T) {
	list := []byte{0, 4, 0xfe, 0x0d, 0, 0}
	for _, lang := range Languages() {
		err := fmt.Errorf("handshake: %w", &clasp.ECHRejectionError{RetryConfigList: list})
		d := ExplainIn(lang, err, nil, "client", time.Now(), nil)
		if d.Cause != CauseECHRejected || !strings.Contains(d.Fix, "--ech "+base64.StdEncoding.EncodeToString(list)) {
			t.Errorf("%s: cause %s, fix %q", lang, d.Cause, d.Fix)
		}
		d = ExplainIn(lang, &clasp.ECHRejectionError{}, nil, "client", time.Now(), nil)
		if d.Cause != CauseECHRejected || d.Evidence["retry_configs"] != false || strings.Contains(d.Fix, "{") {
			t.Errorf("%s, no retry configs: cause %s, fix %q", lang, d.Cause, d.Fix)
		}
	}
}

package diagnose

import (
	"encoding/base64"
	"errors"

	"github.com/clasp-tls/clasp"
)

// CauseECHRejected: the client offered Encrypted Client Hello (RFC 9849)
// and the server answered the outer hello instead, either sending retry
// configurations (its keys changed) or none (it has turned ECH off).
const CauseECHRejected Cause = "ech_rejected"

// echRejected explains an ECHRejectionError: the handshake with the
// public name succeeded, so the server is reachable and authentic for it,
// but it could not (or would not) decrypt the inner hello.
func (x *explainer) echRejected() *Diagnosis {
	var rej *clasp.ECHRejectionError
	if !errors.As(x.err, &rej) {
		return nil
	}
	d := &Diagnosis{Cause: CauseECHRejected, Evidence: map[string]any{"retry_configs": len(rej.RetryConfigList) > 0}}
	if len(rej.RetryConfigList) == 0 {
		d.Summary = x.t.T("ech.disabled.summary")
		d.Explanation = x.t.T("ech.disabled.explain")
		d.Fix = x.t.T("ech.disabled.fix")
		return d
	}
	list := base64.StdEncoding.EncodeToString(rej.RetryConfigList)
	d.Evidence["retry_config_list"] = list
	d.Summary = x.t.T("ech.rejected.summary")
	d.Explanation = x.t.T("ech.rejected.explain")
	d.Fix = x.t.T("ech.rejected.fix", "list", list)
	return d
}

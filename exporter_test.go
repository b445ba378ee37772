package clasp

import (
	"bytes"
	"strings"
	"testing"
)

// RFC 7627 §5.4: without extended master secret a TLS 1.2 master secret
// can be synchronised across connections (the triple handshake), so an
// exporter's keys are not bound to this one; refused unless named.
func TestExporterRefusedWithoutEMS(t *testing.T) {
	client, server := testClientConfig(t), testServerConfig(t)
	client.MaxVersion, client.DisableExtendedMasterSecret = VersionTLS12, true
	res := testHandshake(t, client, server)
	res.mustSucceed(t)
	if _, err := res.clientState.ExportKeyingMaterial("EXPERIMENTAL x", nil, 16); err == nil || !strings.Contains(err.Error(), "extended master secret") {
		t.Errorf("export without EMS: got %v, want a refusal naming extended master secret", err)
	}
	if res.clientState.TLSUnique == nil {
		t.Errorf("tls-unique of a full handshake without EMS is nil; RFC 5929 §3 defines it there")
	}

	client.InsecureExporterWithoutEMS, server.InsecureExporterWithoutEMS = true, true
	res = testHandshake(t, client, server)
	res.mustSucceed(t)
	a, errA := res.clientState.ExportKeyingMaterial("EXPERIMENTAL x", nil, 16)
	b, errB := res.serverState.ExportKeyingMaterial("EXPERIMENTAL x", nil, 16)
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Errorf("InsecureExporterWithoutEMS: client %x (%v), server %x (%v)", a, errA, b, errB)
	}
}

// RFC 5705 §4: the labels TLS itself uses are not for exporters.
func TestExporterRefusesReservedLabels(t *testing.T) {
	client := testClientConfig(t)
	client.MaxVersion = VersionTLS12
	res := testHandshake(t, client, testServerConfig(t))
	res.mustSucceed(t)
	for _, label := range reservedExporterLabels {
		if _, err := res.clientState.ExportKeyingMaterial(label, nil, 16); err == nil {
			t.Errorf("label %q exported keys; it is reserved", label)
		}
	}
	if _, err := (&ConnectionState{}).ExportKeyingMaterial("EXPERIMENTAL x", nil, 16); err == nil {
		t.Errorf("a ConnectionState without a handshake exported keys")
	}
}

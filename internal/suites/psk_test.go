package suites

import (
	"slices"
	"testing"
)

// The PSK suites are implemented rows kept apart from ImplementedSuites
// (which a side without a pre-shared key offers), each named by IANA and
// OpenSSL, and the defaults are the forward-secret AEAD ones.
func TestPSKSuitesAreImplementedPSKRows(t *testing.T) {
	listed := make(map[ID]bool)
	for _, id := range PSKSuites() {
		s := SuiteByID(id)
		if s == nil || !s.Implemented || !s.IsPSK() || !s.SupportsVersion(VersionTLS12) || s.OpenSSLName == "" {
			t.Errorf("%v: not an implemented, OpenSSL-named TLS 1.2 PSK suite", id)
			continue
		}
		if listed[id] || slices.Contains(ImplementedSuites(), id) {
			t.Errorf("%v listed twice", id)
		}
		listed[id] = true
		if byName, ok := SuiteByName(s.OpenSSLName); !ok || byName.ID != id {
			t.Errorf("%s does not find %v by its OpenSSL name", s.OpenSSLName, id)
		}
	}
	for _, s := range AllSuites() {
		if s.IsPSK() && s.Implemented && !listed[s.ID] {
			t.Errorf("%s is implemented but not in PSKSuites", s.Name)
		}
	}
	if len(listed) != 26 {
		t.Errorf("PSKSuites has %d suites, want 26", len(listed))
	}
	for i, id := range DefaultPSKSuites() {
		s := SuiteByID(id)
		if weak, why := s.IsWeak(); weak || !s.ForwardSecret() || PSKSuites()[i] != id {
			t.Errorf("default PSK suite %v: weak %v (%s), forward secret %v", id, weak, why, s.ForwardSecret())
		}
	}
}

package clasp

import (
	"bytes"
	"errors"
	"testing"
)

// TestTicketKeyCacheMatchesDerivation: the cached key of a period is the
// one derived from the base key, and other base keys, other periods and
// explicit keys of the same bytes get keys of their own.
func TestTicketKeyCacheMatchesDerivation(t *testing.T) {
	a := &Config{SessionTicketKey: [32]byte{1}}
	b := &Config{SessionTicketKey: [32]byte{2}}
	aead, name, err := a.periodTicketKey(7)
	if err != nil {
		t.Fatal(err)
	}
	again, nameAgain, _ := a.periodTicketKey(7)
	if again != aead || !bytes.Equal(name, nameAgain) {
		t.Fatal("the second lookup derived the key again")
	}
	fresh, err := a.ticketAEAD(7)
	if err != nil {
		t.Fatal(err)
	}
	freshName, _ := a.ticketKeyName(7)
	if !bytes.Equal(name, freshName) {
		t.Fatalf("cached key name %x, derived %x", name, freshName)
	}
	nonce := make([]byte, aead.NonceSize())
	sealed := aead.Seal(nil, nonce, []byte("session"), nil)
	if plain, err := fresh.Open(nil, nonce, sealed, nil); err != nil || string(plain) != "session" {
		t.Fatalf("a freshly derived key cannot open what the cached one sealed: %q, %v", plain, err)
	}

	_, otherPeriod, _ := a.periodTicketKey(8)
	_, otherBase, _ := b.periodTicketKey(7)
	_, explicit, _ := explicitTicketKey(a.SessionTicketKey)
	for what, n := range map[string][]byte{"next period": otherPeriod, "other base key": otherBase, "explicit key": explicit} {
		if bytes.Equal(n, name) {
			t.Errorf("%s has the same key name %x", what, n)
		}
	}
	if p, err := a.openTicketBytesFor(a); err != nil || string(p) != "state" {
		t.Errorf("a ticket did not open under its own key: %q, %v", p, err)
	}
	if _, err := b.openTicketBytesFor(a); err == nil {
		t.Error("a ticket of one base key opened under another")
	}
}

// openTicketBytesFor seals a ticket under other's keys and opens it with
// c's, returning an error when c cannot open it.
func (c *Config) openTicketBytesFor(other *Config) ([]byte, error) {
	ticket, err := other.sealTicketBytes([]byte("state"))
	if err != nil {
		return nil, err
	}
	plain, ok := c.openTicketBytes(ticket)
	if !ok {
		return nil, errTicketNotOpened
	}
	return plain, nil
}

var errTicketNotOpened = errors.New("ticket not opened")

package sessions

import "time"

// SetSealedStoreClock replaces a SealedStore's clock for deadline tests.
func SetSealedStoreClock(s *SealedStore, now func() time.Time) { s.now = now }

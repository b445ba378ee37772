package clasp

import (
	"crypto/x509"
	"errors"
	"runtime"
	"testing"
	"time"
)

// TestVerifiedChainCacheKeepsEveryCheck: after a chain was verified (and
// cached) for one client, a client that asks for another name, at a time
// outside the certificates' validity or against other roots still fails,
// exactly as without the cache.
func TestVerifiedChainCacheKeepsEveryCheck(t *testing.T) {
	p := testCerts(t)
	serverCfg := testServerConfig(t, p.ecdsaLeaf)
	testHandshake(t, testClientConfig(t), serverCfg).mustSucceed(t)
	key, ok := newChainKey(p.ecdsaLeaf.Certificate, &x509.VerifyOptions{Roots: p.caPool, DNSName: "localhost"}, false)
	if !ok {
		t.Fatal("a chain verified against an explicit pool is not cacheable")
	}
	if _, ok := verifiedChains.lookup(key, time.Now()); !ok {
		t.Fatal("the verified chain was not cached")
	}

	var hostErr x509.HostnameError
	var invalid x509.CertificateInvalidError
	var unknown x509.UnknownAuthorityError
	for _, tc := range []struct {
		name  string
		edit  func(*Config)
		check func(error) bool
	}{
		{"other name", func(c *Config) { c.ServerName = "other.test" }, func(err error) bool { return errors.As(err, &hostErr) }},
		{"after NotAfter", func(c *Config) { c.Time = func() time.Time { return testNotAfter.Add(time.Hour) } },
			func(err error) bool { return errors.As(err, &invalid) && invalid.Reason == x509.Expired }},
		{"before NotBefore", func(c *Config) { c.Time = func() time.Time { return testNotBefore.Add(-time.Hour) } },
			func(err error) bool { return errors.As(err, &invalid) && invalid.Reason == x509.Expired }},
		{"other roots", func(c *Config) { c.RootCAs = p.otherCAPool }, func(err error) bool { return errors.As(err, &unknown) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := testClientConfig(t)
			tc.edit(cfg)
			res := testHandshake(t, cfg, serverCfg)
			if res.clientErr == nil || !tc.check(res.clientErr) {
				t.Fatalf("client error %v", res.clientErr)
			}
		})
	}
}

// TestVerifiedChainCacheAnswersRepeats: a chain verified before is not
// verified again while valid, and every caller gets slices of its own.
func TestVerifiedChainCacheAnswersRepeats(t *testing.T) {
	p := testCerts(t)
	raw := p.sniA.Certificate
	certs, err := parseCertificates(raw)
	if err != nil {
		t.Fatal(err)
	}
	opts := func() *x509.VerifyOptions {
		return &x509.VerifyOptions{Roots: p.caPool, DNSName: "a.test", CurrentTime: time.Now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	}
	first, err := verifyChain(raw, certs, opts(), false)
	if err != nil {
		t.Fatal(err)
	}
	// Plant a marker in the cached entry: a second verifyChain that
	// returns it came from the cache, not from x509.
	key, _ := newChainKey(raw, opts(), false)
	marker := &x509.Certificate{NotBefore: testNotBefore, NotAfter: testNotAfter}
	verifiedChains.store(key, [][]*x509.Certificate{{certs[0], marker}})
	second, err := verifyChain(raw, certs, opts(), false)
	if err != nil {
		t.Fatal(err)
	}
	if len(second) != 1 || len(second[0]) != 2 || second[0][1] != marker {
		t.Fatalf("second verification did not come from the cache: %v", second)
	}
	second[0][1] = nil
	third, _ := verifyChain(raw, certs, opts(), false)
	if third[0][1] != marker {
		t.Fatal("a caller's change to its chains reached the cache")
	}
	// Restore the real chains for other tests.
	verifiedChains.store(key, first)

	// A client's chain (checked for client auth by a server) is another key.
	clientKey, _ := newChainKey(raw, opts(), true)
	if clientKey == key {
		t.Fatal("server and client chains share a cache key")
	}
}

// TestVerifiedChainCacheDoesNotKeepPools: an entry refers to its root pool
// weakly, so a pool made for one connection is collected, and a new pool
// (even with the same roots) is another key.
func TestVerifiedChainCacheDoesNotKeepPools(t *testing.T) {
	p := testCerts(t)
	raw := p.sniB.Certificate
	certs, err := parseCertificates(raw)
	if err != nil {
		t.Fatal(err)
	}
	collected := make(chan struct{})
	func() {
		pool := p.caPool.Clone()
		runtime.AddCleanup(pool, func(ch chan struct{}) { close(ch) }, collected)
		opts := &x509.VerifyOptions{Roots: pool, DNSName: "b.test", CurrentTime: time.Now(),
			KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
		if _, err := verifyChain(raw, certs, opts, false); err != nil {
			t.Fatal(err)
		}
		key, _ := newChainKey(raw, opts, false)
		if _, ok := verifiedChains.lookup(key, time.Now()); !ok {
			t.Fatal("not cached")
		}
	}()
	for i := 0; i < 50; i++ {
		runtime.GC()
		select {
		case <-collected:
			other, _ := newChainKey(raw, &x509.VerifyOptions{Roots: p.caPool.Clone(), DNSName: "b.test"}, false)
			if _, ok := verifiedChains.lookup(other, time.Now()); ok {
				t.Fatal("a new pool found the entry of a collected one")
			}
			return
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatal("the cache kept a root pool alive")
}

// TestLeafParsedOncePerDER: a Certificate without Leaf is not parsed again
// on every handshake; a single certificate is served without a hostname
// check, whatever the client asked for.
func TestLeafParsedOncePerDER(t *testing.T) {
	p := testCerts(t)
	cert := Certificate{Certificate: p.ecdsaLeaf.Certificate, PrivateKey: p.ecdsaLeaf.PrivateKey}
	first, err := leaf(&cert)
	if err != nil {
		t.Fatal(err)
	}
	second, _ := leaf(&cert)
	if first != second {
		t.Fatal("the leaf was parsed again")
	}
	serverCfg := testServerConfig(t, cert)
	clientCfg := testClientConfig(t)
	testHandshake(t, clientCfg, serverCfg).mustSucceed(t)
	clientCfg = testClientConfig(t)
	clientCfg.ServerName = "other.test"
	res := testHandshake(t, clientCfg, serverCfg)
	var hostErr x509.HostnameError
	if !errors.As(res.clientErr, &hostErr) {
		t.Fatalf("client error %v, want the server's only certificate and a HostnameError", res.clientErr)
	}
}

package keys

import (
	"bytes"
	"crypto"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha512"
	"testing"

	"github.com/clasp-tls/clasp/internal/suites"
)

func TestTranscriptReplaysBufferOnSetHash(t *testing.T) {
	msgs := [][]byte{[]byte("\x01\x00\x00\x02hi"), []byte("\x02\x00\x00\x01!"), []byte("\x0b\x00\x00\x00")}
	all := bytes.Join(msgs, nil)

	tr := NewTranscript()
	tr.Write(msgs[0])
	tr.Write(msgs[1])
	tr.SetHash(suites.VersionTLS12, crypto.SHA384)
	tr.Write(msgs[2])

	want := sha512.Sum384(all)
	if got := tr.Sum(); !bytes.Equal(got, want[:]) {
		t.Fatalf("Sum = %x, want %x", got, want)
	}
	// Sum must not disturb the running state.
	if got := tr.Sum(); !bytes.Equal(got, want[:]) {
		t.Fatal("second Sum differs from the first")
	}
	if !bytes.Equal(tr.Messages(), all) {
		t.Fatal("Messages does not return every byte written")
	}
}

func TestTranscriptLegacyIsMD5ThenSHA1(t *testing.T) {
	tr := NewTranscript()
	tr.Write([]byte("abc"))
	tr.SetHash(suites.VersionTLS11, crypto.SHA256) // prfHash ignored before 1.2
	m, s := md5.Sum([]byte("abc")), sha1.Sum([]byte("abc"))
	want := append(m[:], s[:]...)
	if got := tr.Sum(); !bytes.Equal(got, want) {
		t.Fatalf("Sum = %x, want MD5||SHA-1 %x", got, want)
	}
}

func TestTranscriptDropMessages(t *testing.T) {
	// Dropped before the hash is known: the buffer must survive until the
	// replay, then go.
	tr := NewTranscript()
	tr.Write([]byte("one"))
	tr.DropMessages()
	tr.Write([]byte("two"))
	tr.SetHash(suites.VersionTLS12, crypto.SHA256)
	tr.Write([]byte("three"))
	if tr.Messages() != nil || tr.buf != nil {
		t.Fatal("messages kept after DropMessages and SetHash")
	}
	ref := NewTranscript()
	ref.SetHash(suites.VersionTLS12, crypto.SHA256)
	ref.Write([]byte("onetwothree"))
	if !bytes.Equal(tr.Sum(), ref.Sum()) {
		t.Fatal("dropping messages changed the hash")
	}

	defer func() {
		if recover() == nil {
			t.Fatal("SetHash after DropMessages did not panic")
		}
	}()
	tr.SetHash(suites.VersionTLS12, crypto.SHA384)
}

func TestTranscriptSumBeforeSetHashPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("Sum before SetHash did not panic")
		}
	}()
	NewTranscript().Sum()
}

package store

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// Limits shared by both backends, so that code tested on one works on the
// other.
const (
	// maxBucketLen bounds a KV bucket name.
	maxBucketLen = 64
	// maxKeyLen bounds a KV key (bbolt refuses keys over 32 KiB).
	maxKeyLen = 4096
	// maxSetNameLen bounds a set name.
	maxSetNameLen = 256
)

// errStageGone is wrapped by Append and Commit when the stage was aborted,
// committed already, or superseded by a later StageSet of the same name.
var errStageGone = errors.New("stage is no longer open (aborted, committed, or superseded by a newer stage of the same set)")

// setRecord is how a committed version is stored: the chunk container's
// internal ID (never shown to callers) and the version's metadata.
type setRecord struct {
	ID   string  `json:"id"`
	Meta SetMeta `json:"meta"`
}

// checkBucket accepts a short ASCII word: letters, digits, '_', '-', '.'.
// The Redis backend puts the bucket inside a hash tag, so braces and other
// punctuation are refused by both backends alike.
func checkBucket(bucket string) error {
	if bucket == "" {
		return errors.New("empty bucket name")
	}
	if len(bucket) > maxBucketLen {
		return fmt.Errorf("bucket name longer than %d bytes", maxBucketLen)
	}
	for i := 0; i < len(bucket); i++ {
		c := bucket[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-', c == '.':
		default:
			return fmt.Errorf("bucket name %q: only letters, digits, '_', '-' and '.' are allowed", bucket)
		}
	}
	return nil
}

// checkKV validates the arguments every KV call shares. Keys are never
// echoed in errors: callers choose them, and they are none of the store's
// business to print.
func checkKV(bucket, key string) error {
	if err := checkBucket(bucket); err != nil {
		return err
	}
	if key == "" {
		return fmt.Errorf("bucket %s: empty key", bucket)
	}
	if len(key) > maxKeyLen {
		return fmt.Errorf("bucket %s: key longer than %d bytes", bucket, maxKeyLen)
	}
	return nil
}

// checkTTL refuses negative TTLs; zero means "no expiry".
func checkTTL(ttl time.Duration) error {
	if ttl < 0 {
		return fmt.Errorf("negative ttl %s", ttl)
	}
	return nil
}

// ttlMillis converts a positive TTL to whole milliseconds, rounding up so
// that a tiny TTL still expires rather than living forever.
func ttlMillis(ttl time.Duration) int64 {
	ms := int64((ttl + time.Millisecond - 1) / time.Millisecond)
	if ms < 1 && ttl > 0 {
		ms = 1
	}
	return ms
}

// checkSetName validates a set name.
func checkSetName(name string) error {
	if name == "" {
		return errors.New("empty set name")
	}
	if len(name) > maxSetNameLen {
		return fmt.Errorf("set name longer than %d bytes", maxSetNameLen)
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f {
			return fmt.Errorf("set name %q contains a control character", name)
		}
	}
	return nil
}

// randomHex returns n random bytes, hex encoded.
func randomHex(n int) string {
	b := make([]byte, n)
	// crypto/rand.Read never returns an error (it panics on failure).
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// randomGeneration is the first value of a fresh generation counter: a
// random start, so that a wiped store does not repeat generations a
// long-running worker has already seen.
func randomGeneration() uint64 {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return binary.BigEndian.Uint64(b[:]) >> 2
}

// newStageInfo fills in what StageSet decides for a new version: a
// version string (the caller's, or a time-ordered random one) and the
// creation time.
func newStageInfo(meta SetMeta) (SetMeta, error) {
	if err := checkSetName(meta.Name); err != nil {
		return SetMeta{}, err
	}
	if meta.Created.IsZero() {
		meta.Created = time.Now().UTC()
	}
	if meta.Version == "" {
		meta.Version = meta.Created.UTC().Format("20060102T150405Z") + "-" + randomHex(4)
	}
	return meta, nil
}

// finalMeta is the metadata Commit stores: the caller's final meta, with
// name and version checked against the stage, creation time defaulted to
// the stage's, and Chunks set to the number of chunks actually appended.
func finalMeta(staged, final SetMeta, chunks int64) (SetMeta, error) {
	if final.Name == "" {
		final.Name = staged.Name
	}
	if final.Name != staged.Name {
		return SetMeta{}, fmt.Errorf("commit of set %q with metadata named %q", staged.Name, final.Name)
	}
	if final.Version == "" {
		final.Version = staged.Version
	}
	if final.Version != staged.Version {
		return SetMeta{}, fmt.Errorf("commit of set %q version %q with metadata of version %q", staged.Name, staged.Version, final.Version)
	}
	if final.Created.IsZero() {
		final.Created = staged.Created
	}
	final.Chunks = chunks
	return final, nil
}

// vanished is the error ReadSet returns when the version it reads is
// deleted under it. It does not wrap ErrNotFound: the set may well exist
// in a newer version, and reading again is the right reaction.
func vanished(name, version string) error {
	return fmt.Errorf("set %q version %s was replaced or removed while being read; read it again", name, version)
}

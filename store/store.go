// Package store is leakwatch's one storage contract and its two
// implementations: an embedded one on bbolt (the default: one file, no
// server) and one on Redis (several workers sharing the work).
//
// The contract has three parts: versioned fingerprint sets (SetStore),
// small namespaced values (KV), and a work queue (Queue) through which
// workers share the crawl schedule.
//
// # What is stored
//
// Only what is safe to lose to a thief: fingerprint sets (opaque chunks of
// keyed hashes written by package fingerprints, with their metadata), and
// small namespaced values (crawl schedule and seen items, source health,
// findings, the notification outbox). The store never sees a raw record, a
// page's text or the fingerprint key; callers must not hand it any.
//
// # Guarantees every implementation gives
//
//   - Sets are versioned. StageSet starts a new version that is invisible
//     until Commit, which replaces the current version atomically: a reader
//     sees the old version or the new one, whole, never a mix. A stage that
//     is aborted, or never committed because the process died, leaves the
//     current version untouched; its leftovers are reclaimed by a later
//     StageSet or RemoveSet of the same name.
//   - ReadSet streams the chunks of one committed version in the order they
//     were appended, and fails (rather than returning a partial set) if that
//     version disappears while it is read.
//   - SetsGeneration changes whenever any set is committed or removed, so a
//     long-running worker can poll it cheaply and rebuild its index.
//   - Put, PutIfAbsent, Update and Delete on one key are atomic and
//     linearizable across every client of the same store (every process on
//     the same Redis, every goroutine on the same bbolt file). PutIfAbsent
//     succeeds for exactly one of several racing callers.
//   - A value written with a TTL is not returned once the TTL has passed;
//     its space is reclaimed eventually (Redis expiry, or Sweep on bbolt).
//   - Scan visits keys of one bucket in byte order of the key, each at most
//     once; values written during a Scan may or may not be seen.
//   - Nothing is cached across calls: a value another process wrote is seen
//     by the next call.
//   - The work queue keeps each job in one place at a time, delivers it to
//     one consumer at a time, takes it back from a consumer silent for
//     the reclaim timeout, and finishes it atomically; see Queue for the
//     details.
//
// Errors that mean "absent" wrap ErrNotFound; every other error means the
// operation may not have happened and the caller should retry or report it.
package store

import (
	"context"
	"errors"
	"time"
)

// ErrNotFound is wrapped by every error that means the set or key is absent.
var ErrNotFound = errors.New("not found")

// ErrExists is returned by Update callbacks' callers when a caller wants to
// signal that an update found a conflicting value; Update passes it through.
var ErrExists = errors.New("already exists")

// Store is the whole contract. Both backends implement all of it.
type Store interface {
	SetStore
	KV
	Queue
	// Close releases the store. It does not delete anything.
	Close() error
}

// FieldSpec describes one column of a set: which column of the operator's
// file it came from, its kind and whether it alone identifies a record.
type FieldSpec struct {
	Column string `json:"column"`
	Kind   string `json:"kind"`
	Strong bool   `json:"strong,omitempty"`
	// Count is how many fingerprints of this field the set holds.
	Count int64 `json:"count"`
}

// SetMeta is what the store knows about one version of a set. It holds no
// personal data: the salt and key ID are random or derived from the key.
type SetMeta struct {
	Name    string    `json:"name"`
	Version string    `json:"version"`
	Created time.Time `json:"created"`
	// Mode is how fingerprints were made: "keyed" (HMAC under the local
	// key) or "oprf" (blind loading).
	Mode string `json:"mode"`
	// Salt is the set's random salt; KeyID identifies the key that made
	// the fingerprints (so a wrong key is refused, not silently useless).
	Salt  []byte `json:"salt"`
	KeyID []byte `json:"key_id"`
	// Forms is the version of the canonical forms the fingerprints were
	// made of (fingerprints.FormsVersion when loaded; 0 in sets loaded
	// before it was recorded). The store keeps it and does not read it.
	Forms int `json:"forms,omitempty"`
	// IDPattern is the operator's regular expression for `id` fields.
	IDPattern string      `json:"id_pattern,omitempty"`
	Fields    []FieldSpec `json:"fields"`
	// Rows is the number of records, Fingerprints the number of field
	// fingerprints, Pairs the number of pair fingerprints (a name with a
	// weak field of its record; see fingerprints/pair.go), Chunks the
	// number of chunks appended.
	Rows         int64 `json:"rows"`
	Fingerprints int64 `json:"fingerprints"`
	Pairs        int64 `json:"pairs,omitempty"`
	Chunks       int64 `json:"chunks"`
	// Skipped counts rows left out by reason (with --skip-invalid).
	Skipped map[string]int64 `json:"skipped,omitempty"`
	// Source describes the input (file base name, format, encoding).
	Source string `json:"source,omitempty"`
}

// SetStore holds versioned fingerprint sets.
type SetStore interface {
	// StageSet begins a new version of the set named meta.Name. The
	// returned stage must be committed or aborted.
	StageSet(ctx context.Context, meta SetMeta) (SetStage, error)
	// ListSets returns the committed sets, by name.
	ListSets(ctx context.Context) ([]SetMeta, error)
	// GetSet returns the committed version of a set, or ErrNotFound.
	GetSet(ctx context.Context, name string) (SetMeta, error)
	// ReadSet calls fn with the committed version's metadata once, then
	// with each chunk in order. fn must not keep chunk after it returns.
	ReadSet(ctx context.Context, name string, meta func(SetMeta) error, chunk func([]byte) error) error
	// RemoveSet deletes the set and all its versions, or ErrNotFound.
	RemoveSet(ctx context.Context, name string) error
	// SetsGeneration returns a value that changes on every commit or
	// removal of any set.
	SetsGeneration(ctx context.Context) (uint64, error)
}

// SetStage is a version of a set being written.
type SetStage interface {
	// Append adds one chunk. Chunks are read back in the order appended.
	Append(ctx context.Context, chunk []byte) error
	// Commit makes this version the set's current one, replacing the
	// previous version atomically, with meta as its final metadata.
	Commit(ctx context.Context, meta SetMeta) error
	// Abort discards the stage. It is safe to call after Commit (no-op).
	Abort(ctx context.Context) error
}

// KV is a namespaced key-value store for small values. Buckets and keys are
// chosen by callers; a bucket name is a short ASCII word ("seen", "outbox").
// A zero ttl means the value does not expire.
type KV interface {
	// Get returns the value, or an error wrapping ErrNotFound.
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	// Put stores the value, replacing any previous one.
	Put(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) error
	// PutIfAbsent stores the value only if the key is absent (or expired)
	// and reports whether it did.
	PutIfAbsent(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) (bool, error)
	// Update atomically replaces the value with what fn returns. fn gets
	// the current value (nil and exists=false when absent) and may be
	// called more than once (optimistic retry), so it must have no side
	// effects. Returning keep=false deletes the key; an error from fn
	// aborts the update and is returned as is.
	Update(ctx context.Context, bucket, key string, fn func(old []byte, exists bool) (value []byte, keep bool, ttl time.Duration, err error)) error
	// Delete removes the key. Deleting an absent key is not an error.
	Delete(ctx context.Context, bucket, key string) error
	// Scan calls fn for every live key in the bucket that starts with
	// prefix, in byte order. An error from fn stops the scan and is
	// returned.
	Scan(ctx context.Context, bucket, prefix string, fn func(key string, value []byte) error) error
}

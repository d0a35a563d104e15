package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// Top-level buckets of the bbolt file.
var (
	// boltSets maps a set name to its committed setRecord (JSON).
	boltSets = []byte("sets")
	// boltStages maps the ID of an open stage to its set name.
	boltStages = []byte("stages")
	// boltTrash maps the ID of a version awaiting deletion to its set name.
	boltTrash = []byte("trash")
	// boltChunks holds one nested bucket per version ID: sequence -> chunk.
	boltChunks = []byte("chunks")
	// boltKV holds one nested bucket per KV bucket: key -> expiry|value.
	boltKV = []byte("kv")
	// boltMisc holds the sets generation under boltGenKey.
	boltMisc   = []byte("misc")
	boltGenKey = []byte("generation")
)

const (
	// boltLockTimeout is how long OpenBolt waits for another process's
	// lock on the file before giving up.
	boltLockTimeout = time.Second
	// boltDeleteBatch bounds how many chunks or keys one cleanup
	// transaction deletes.
	boltDeleteBatch = 256
	// boltSweepBatch bounds how many keys one Sweep transaction deletes.
	boltSweepBatch = 1000
	// boltReadPageBytes bounds how much one ReadSet or Scan read
	// transaction copies out before the callbacks run.
	boltReadPageBytes = 16 << 20
	// boltScanPageKeys bounds how many keys one Scan read transaction
	// copies out.
	boltScanPageKeys = 256
	// expiryLen is the length of the expiry prefix of a stored KV value.
	expiryLen = 8
)

// Bolt is the embedded Store: one bbolt file, locked by the process that
// opened it. All goroutines of that process share it safely.
//
// Callbacks (ReadSet's, Scan's) run outside any bbolt transaction, so they
// may call the store themselves.
type Bolt struct {
	db   *bolt.DB
	path string

	// qwake holds, per queue, the channel Promote closes to wake the
	// Claims waiting for a ready entry.
	qmu   sync.Mutex
	qwake map[string]chan struct{}
}

var _ Store = (*Bolt)(nil)

// OpenBolt opens (creating if needed) the bbolt file at path, with mode
// 0600 in a directory created with mode 0700. If another process holds the
// file, it fails after about a second with an error saying so.
func OpenBolt(path string) (*Bolt, error) {
	if path == "" {
		return nil, errors.New("open data file: empty path")
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory %s: %w", dir, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout:      boltLockTimeout,
		FreelistType: bolt.FreelistMapType,
		// The freelist is rebuilt by scanning at open instead of being
		// written by every transaction: cheaper for big chunk writes.
		NoFreelistSync: true,
	})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("data file %s is in use by another leakwatch process: %w", path, err)
		}
		return nil, fmt.Errorf("open data file %s: %w", path, err)
	}
	// Concurrent Put, PutIfAbsent and Delete calls share a transaction
	// (and its fsync); a lone caller waits at most this long for company.
	db.MaxBatchDelay = time.Millisecond
	b := &Bolt{db: db, path: path}
	if err := b.init(); err != nil {
		_ = db.Close()
		return nil, err
	}
	return b, nil
}

// init tightens the file mode of a pre-existing file and creates the
// top-level buckets.
func (b *Bolt) init() error {
	fi, err := os.Stat(b.path)
	if err != nil {
		return fmt.Errorf("stat data file %s: %w", b.path, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(b.path, 0o600); err != nil {
			return fmt.Errorf("restrict data file %s to mode 0600: %w", b.path, err)
		}
	}
	err = b.db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{boltSets, boltStages, boltTrash, boltChunks, boltKV, boltMisc} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		misc := tx.Bucket(boltMisc)
		if misc.Get(boltGenKey) == nil {
			return misc.Put(boltGenKey, u64(randomGeneration()))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("initialize data file %s: %w", b.path, err)
	}
	return nil
}

// Path returns the file the store was opened on.
func (b *Bolt) Path() string { return b.path }

// Close closes the file and releases its lock. It deletes nothing.
func (b *Bolt) Close() error {
	if err := b.db.Close(); err != nil {
		return fmt.Errorf("close data file %s: %w", b.path, err)
	}
	return nil
}

// errorf prefixes an error with the file's path.
func (b *Bolt) errorf(format string, args ...any) error {
	return fmt.Errorf("data file %s: "+format, append([]any{b.path}, args...)...)
}

// u64 encodes v big-endian.
func u64(v uint64) []byte {
	var k [8]byte
	binary.BigEndian.PutUint64(k[:], v)
	return k[:]
}

// bumpGeneration increments the sets generation inside tx.
func bumpGeneration(tx *bolt.Tx) error {
	misc := tx.Bucket(boltMisc)
	var g uint64
	if v := misc.Get(boltGenKey); len(v) == 8 {
		g = binary.BigEndian.Uint64(v)
	}
	return misc.Put(boltGenKey, u64(g+1))
}

// trashStagesOf moves every open stage of the named set to the trash.
func trashStagesOf(tx *bolt.Tx, name string) error {
	stages, trash := tx.Bucket(boltStages), tx.Bucket(boltTrash)
	var ids [][]byte
	err := stages.ForEach(func(id, n []byte) error {
		if string(n) == name {
			ids = append(ids, bytes.Clone(id))
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := stages.Delete(id); err != nil {
			return err
		}
		if err := trash.Put(id, []byte(name)); err != nil {
			return err
		}
	}
	return nil
}

// StageSet begins a new version of meta.Name. Open stages of the same name
// are superseded (their Append and Commit fail) and every leftover of the
// set's earlier versions is deleted.
func (b *Bolt) StageSet(ctx context.Context, meta SetMeta) (SetStage, error) {
	if err := ctx.Err(); err != nil {
		return nil, b.errorf("stage set: %w", err)
	}
	meta, err := newStageInfo(meta)
	if err != nil {
		return nil, b.errorf("stage set: %w", err)
	}
	id := randomHex(16)
	err = b.db.Update(func(tx *bolt.Tx) error {
		if err := trashStagesOf(tx, meta.Name); err != nil {
			return err
		}
		if err := tx.Bucket(boltStages).Put([]byte(id), []byte(meta.Name)); err != nil {
			return err
		}
		_, err := tx.Bucket(boltChunks).CreateBucket([]byte(id))
		return err
	})
	if err != nil {
		return nil, b.errorf("stage set %q: %w", meta.Name, err)
	}
	if err := b.reclaim(ctx, meta.Name); err != nil {
		return nil, err
	}
	return &boltStage{b: b, id: id, meta: meta}, nil
}

// reclaim deletes the chunks of every trashed version of the named set, in
// transactions of at most boltDeleteBatch chunks each.
func (b *Bolt) reclaim(ctx context.Context, name string) error {
	var ids [][]byte
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(boltTrash).ForEach(func(id, n []byte) error {
			if string(n) == name {
				ids = append(ids, bytes.Clone(id))
			}
			return nil
		})
	})
	if err != nil {
		return b.errorf("list leftovers of set %q: %w", name, err)
	}
	for _, id := range ids {
		for done := false; !done; {
			if err := ctx.Err(); err != nil {
				return b.errorf("delete leftovers of set %q: %w", name, err)
			}
			err := b.db.Update(func(tx *bolt.Tx) error {
				chunks := tx.Bucket(boltChunks)
				bk := chunks.Bucket(id)
				if bk != nil {
					var keys [][]byte
					c := bk.Cursor()
					for k, _ := c.First(); k != nil && len(keys) < boltDeleteBatch; k, _ = c.Next() {
						keys = append(keys, bytes.Clone(k))
					}
					for _, k := range keys {
						if err := bk.Delete(k); err != nil {
							return err
						}
					}
					if len(keys) == boltDeleteBatch {
						return nil // more to delete in the next transaction
					}
					if err := chunks.DeleteBucket(id); err != nil {
						return err
					}
				}
				done = true
				return tx.Bucket(boltTrash).Delete(id)
			})
			if err != nil {
				return b.errorf("delete leftovers of set %q: %w", name, err)
			}
		}
	}
	return nil
}

// boltStage is a version being written to a Bolt store.
type boltStage struct {
	b    *Bolt
	id   string
	meta SetMeta

	mu     sync.Mutex
	chunks uint64
	closed bool
}

// Append stores chunk in its own transaction.
func (s *boltStage) Append(ctx context.Context, chunk []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return s.b.errorf("append to set %q: %w", s.meta.Name, err)
	}
	if s.closed {
		return s.b.errorf("append to set %q: %w", s.meta.Name, errStageGone)
	}
	err := s.b.db.Update(func(tx *bolt.Tx) error {
		if string(tx.Bucket(boltStages).Get([]byte(s.id))) != s.meta.Name {
			return errStageGone
		}
		bk := tx.Bucket(boltChunks).Bucket([]byte(s.id))
		if bk == nil {
			return errStageGone
		}
		bk.FillPercent = 1 // keys only ever grow
		if chunk == nil {
			chunk = []byte{}
		}
		return bk.Put(u64(s.chunks), chunk)
	})
	if err != nil {
		return s.b.errorf("append to set %q: %w", s.meta.Name, err)
	}
	s.chunks++
	return nil
}

// Commit makes the stage the set's current version in one small
// transaction, then deletes the previous version's chunks. A failure of
// that cleanup is not reported: the commit happened, and the leftovers are
// reclaimed by the set's next StageSet or RemoveSet.
func (s *boltStage) Commit(ctx context.Context, meta SetMeta) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := ctx.Err(); err != nil {
		return s.b.errorf("commit set %q: %w", s.meta.Name, err)
	}
	if s.closed {
		return s.b.errorf("commit set %q: %w", s.meta.Name, errStageGone)
	}
	final, err := finalMeta(s.meta, meta, int64(s.chunks))
	if err != nil {
		return s.b.errorf("%w", err)
	}
	rec, err := json.Marshal(setRecord{ID: s.id, Meta: final})
	if err != nil {
		return s.b.errorf("commit set %q: encode metadata: %w", s.meta.Name, err)
	}
	name := []byte(s.meta.Name)
	err = s.b.db.Update(func(tx *bolt.Tx) error {
		stages, sets := tx.Bucket(boltStages), tx.Bucket(boltSets)
		if string(stages.Get([]byte(s.id))) != s.meta.Name {
			return errStageGone
		}
		if old := sets.Get(name); old != nil {
			var prev setRecord
			if err := json.Unmarshal(old, &prev); err != nil {
				return fmt.Errorf("decode current version: %w", err)
			}
			if err := tx.Bucket(boltTrash).Put([]byte(prev.ID), name); err != nil {
				return err
			}
		}
		if err := sets.Put(name, rec); err != nil {
			return err
		}
		if err := stages.Delete([]byte(s.id)); err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
	if err != nil {
		return s.b.errorf("commit set %q: %w", s.meta.Name, err)
	}
	s.closed = true
	_ = s.b.reclaim(context.WithoutCancel(ctx), s.meta.Name)
	return nil
}

// Abort discards the stage and its chunks. After Commit it does nothing.
func (s *boltStage) Abort(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return s.b.errorf("abort stage of set %q: %w", s.meta.Name, err)
	}
	err := s.b.db.Update(func(tx *bolt.Tx) error {
		stages := tx.Bucket(boltStages)
		if string(stages.Get([]byte(s.id))) != s.meta.Name {
			return nil // superseded: already in the trash
		}
		if err := stages.Delete([]byte(s.id)); err != nil {
			return err
		}
		return tx.Bucket(boltTrash).Put([]byte(s.id), []byte(s.meta.Name))
	})
	if err != nil {
		return s.b.errorf("abort stage of set %q: %w", s.meta.Name, err)
	}
	s.closed = true
	return s.b.reclaim(ctx, s.meta.Name)
}

// getRecord reads the committed record of a set inside tx.
func getRecord(tx *bolt.Tx, name string) (setRecord, error) {
	v := tx.Bucket(boltSets).Get([]byte(name))
	if v == nil {
		return setRecord{}, fmt.Errorf("set %q: %w", name, ErrNotFound)
	}
	var rec setRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return setRecord{}, fmt.Errorf("set %q: decode metadata: %w", name, err)
	}
	return rec, nil
}

// ListSets returns the committed sets in name order.
func (b *Bolt) ListSets(ctx context.Context) ([]SetMeta, error) {
	if err := ctx.Err(); err != nil {
		return nil, b.errorf("list sets: %w", err)
	}
	var out []SetMeta
	err := b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(boltSets).ForEach(func(name, v []byte) error {
			var rec setRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("set %q: decode metadata: %w", name, err)
			}
			out = append(out, rec.Meta)
			return nil
		})
	})
	if err != nil {
		return nil, b.errorf("list sets: %w", err)
	}
	return out, nil
}

// GetSet returns the committed version's metadata, or ErrNotFound.
func (b *Bolt) GetSet(ctx context.Context, name string) (SetMeta, error) {
	if err := ctx.Err(); err != nil {
		return SetMeta{}, b.errorf("get set %q: %w", name, err)
	}
	var rec setRecord
	err := b.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = getRecord(tx, name)
		return err
	})
	if err != nil {
		return SetMeta{}, b.errorf("%w", err)
	}
	return rec.Meta, nil
}

// ReadSet streams the committed version. Chunks are copied out in pages of
// about 16 MB, each page in its own read transaction, so callbacks never
// run inside a transaction; a page that finds the version gone fails the
// read.
func (b *Bolt) ReadSet(ctx context.Context, name string, meta func(SetMeta) error, chunk func([]byte) error) error {
	if err := ctx.Err(); err != nil {
		return b.errorf("read set %q: %w", name, err)
	}
	var rec setRecord
	err := b.db.View(func(tx *bolt.Tx) error {
		var err error
		rec, err = getRecord(tx, name)
		return err
	})
	if err != nil {
		return b.errorf("%w", err)
	}
	if err := meta(rec.Meta); err != nil {
		return err
	}
	total := uint64(rec.Meta.Chunks)
	var page [][]byte
	for next := uint64(0); next < total; {
		if err := ctx.Err(); err != nil {
			return b.errorf("read set %q: %w", name, err)
		}
		page = page[:0]
		err := b.db.View(func(tx *bolt.Tx) error {
			bk := tx.Bucket(boltChunks).Bucket([]byte(rec.ID))
			if bk == nil {
				return vanished(name, rec.Meta.Version)
			}
			c := bk.Cursor()
			size := 0
			for k, v := c.Seek(u64(next)); next+uint64(len(page)) < total && size < boltReadPageBytes; k, v = c.Next() {
				if k == nil || binary.BigEndian.Uint64(k) != next+uint64(len(page)) {
					return vanished(name, rec.Meta.Version)
				}
				page = append(page, bytes.Clone(v))
				size += len(v)
			}
			return nil
		})
		if err != nil {
			return b.errorf("read set %q: %w", name, err)
		}
		for i, c := range page {
			if err := chunk(c); err != nil {
				return err
			}
			page[i] = nil
		}
		next += uint64(len(page))
	}
	return nil
}

// RemoveSet deletes the committed version, every open stage and every
// leftover of the set. It returns ErrNotFound if no version was committed
// (leftovers are deleted all the same).
func (b *Bolt) RemoveSet(ctx context.Context, name string) error {
	if err := ctx.Err(); err != nil {
		return b.errorf("remove set %q: %w", name, err)
	}
	found := false
	err := b.db.Update(func(tx *bolt.Tx) error {
		if err := trashStagesOf(tx, name); err != nil {
			return err
		}
		rec, err := getRecord(tx, name)
		if errors.Is(err, ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		if err := tx.Bucket(boltSets).Delete([]byte(name)); err != nil {
			return err
		}
		if err := tx.Bucket(boltTrash).Put([]byte(rec.ID), []byte(name)); err != nil {
			return err
		}
		return bumpGeneration(tx)
	})
	if err != nil {
		return b.errorf("remove set %q: %w", name, err)
	}
	if err := b.reclaim(ctx, name); err != nil {
		return err
	}
	if !found {
		return b.errorf("remove set %q: %w", name, ErrNotFound)
	}
	return nil
}

// SetsGeneration returns the counter bumped by every commit and removal.
func (b *Bolt) SetsGeneration(ctx context.Context) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, b.errorf("read sets generation: %w", err)
	}
	var g uint64
	err := b.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(boltMisc).Get(boltGenKey); len(v) == 8 {
			g = binary.BigEndian.Uint64(v)
		}
		return nil
	})
	if err != nil {
		return 0, b.errorf("read sets generation: %w", err)
	}
	return g, nil
}

// encodeValue prefixes value with its expiry (Unix nanoseconds, 0 for
// none).
func encodeValue(value []byte, ttl time.Duration, now time.Time) []byte {
	out := make([]byte, expiryLen+len(value))
	setExpiry(out, ttl, now)
	copy(out[expiryLen:], value)
	return out
}

// setExpiry writes the expiry prefix of an encoded value.
func setExpiry(enc []byte, ttl time.Duration, now time.Time) {
	var exp uint64
	if ttl > 0 {
		exp = uint64(now.Add(ttl).UnixNano())
	}
	binary.BigEndian.PutUint64(enc, exp)
}

// liveValue returns the value part of a stored entry, or ok=false if the
// entry is malformed or expired at now. The result aliases stored.
func liveValue(stored []byte, now time.Time) (value []byte, ok bool) {
	if len(stored) < expiryLen {
		return nil, false
	}
	if exp := binary.BigEndian.Uint64(stored); exp != 0 && int64(exp) <= now.UnixNano() {
		return nil, false
	}
	return stored[expiryLen:], true
}

// kvBucket returns the nested bucket of a KV bucket, or nil.
func kvBucket(tx *bolt.Tx, bucket string) *bolt.Bucket {
	return tx.Bucket(boltKV).Bucket([]byte(bucket))
}

// kvBucketRW returns the nested bucket of a KV bucket, creating it.
func kvBucketRW(tx *bolt.Tx, bucket string) (*bolt.Bucket, error) {
	return tx.Bucket(boltKV).CreateBucketIfNotExists([]byte(bucket))
}

// Get returns a copy of the live value, or an error wrapping ErrNotFound.
func (b *Bolt) Get(ctx context.Context, bucket, key string) ([]byte, error) {
	if err := checkKV(bucket, key); err != nil {
		return nil, b.errorf("get: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, b.errorf("get from bucket %s: %w", bucket, err)
	}
	var out []byte
	err := b.db.View(func(tx *bolt.Tx) error {
		if bk := kvBucket(tx, bucket); bk != nil {
			if v, ok := liveValue(bk.Get([]byte(key)), time.Now()); ok {
				out = bytes.Clone(v)
				if out == nil {
					out = []byte{}
				}
				return nil
			}
		}
		return ErrNotFound
	})
	if err != nil {
		return nil, b.errorf("get from bucket %s: %w", bucket, err)
	}
	return out, nil
}

// Put stores value under key, replacing any previous value.
func (b *Bolt) Put(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) error {
	if err := checkKV(bucket, key); err != nil {
		return b.errorf("put: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return b.errorf("put into bucket %s: %w", bucket, err)
	}
	if err := ctx.Err(); err != nil {
		return b.errorf("put into bucket %s: %w", bucket, err)
	}
	enc := encodeValue(value, 0, time.Time{})
	err := b.db.Batch(func(tx *bolt.Tx) error {
		bk, err := kvBucketRW(tx, bucket)
		if err != nil {
			return err
		}
		setExpiry(enc, ttl, time.Now())
		return bk.Put([]byte(key), enc)
	})
	if err != nil {
		return b.errorf("put into bucket %s: %w", bucket, err)
	}
	return nil
}

// PutIfAbsent stores value only if key is absent or expired.
func (b *Bolt) PutIfAbsent(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) (bool, error) {
	if err := checkKV(bucket, key); err != nil {
		return false, b.errorf("put if absent: %w", err)
	}
	if err := checkTTL(ttl); err != nil {
		return false, b.errorf("put if absent into bucket %s: %w", bucket, err)
	}
	if err := ctx.Err(); err != nil {
		return false, b.errorf("put if absent into bucket %s: %w", bucket, err)
	}
	stored := false
	err := b.db.Batch(func(tx *bolt.Tx) error {
		stored = false // Batch may run fn again
		bk, err := kvBucketRW(tx, bucket)
		if err != nil {
			return err
		}
		now := time.Now()
		if _, ok := liveValue(bk.Get([]byte(key)), now); ok {
			return nil
		}
		stored = true
		return bk.Put([]byte(key), encodeValue(value, ttl, now))
	})
	if err != nil {
		return false, b.errorf("put if absent into bucket %s: %w", bucket, err)
	}
	return stored, nil
}

// Update runs fn inside one bbolt write transaction, so fn is called
// exactly once. fn must not call the store.
func (b *Bolt) Update(ctx context.Context, bucket, key string, fn func(old []byte, exists bool) (value []byte, keep bool, ttl time.Duration, err error)) error {
	if err := checkKV(bucket, key); err != nil {
		return b.errorf("update: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return b.errorf("update in bucket %s: %w", bucket, err)
	}
	var fnErr error
	err := b.db.Update(func(tx *bolt.Tx) error {
		bk, err := kvBucketRW(tx, bucket)
		if err != nil {
			return err
		}
		now := time.Now()
		old, exists := liveValue(bk.Get([]byte(key)), now)
		if exists {
			old = bytes.Clone(old)
			if old == nil {
				old = []byte{}
			}
		}
		value, keep, ttl, err := fn(old, exists)
		if err != nil {
			fnErr = err
			return err
		}
		if !keep {
			return bk.Delete([]byte(key))
		}
		if err := checkTTL(ttl); err != nil {
			return err
		}
		return bk.Put([]byte(key), encodeValue(value, ttl, now))
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return b.errorf("update in bucket %s: %w", bucket, err)
	}
	return nil
}

// Delete removes key; an absent key is not an error.
func (b *Bolt) Delete(ctx context.Context, bucket, key string) error {
	if err := checkKV(bucket, key); err != nil {
		return b.errorf("delete: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return b.errorf("delete from bucket %s: %w", bucket, err)
	}
	err := b.db.Batch(func(tx *bolt.Tx) error {
		if bk := kvBucket(tx, bucket); bk != nil {
			return bk.Delete([]byte(key))
		}
		return nil
	})
	if err != nil {
		return b.errorf("delete from bucket %s: %w", bucket, err)
	}
	return nil
}

// kvEntry is a key and value copied out of a read transaction.
type kvEntry struct {
	key   string
	value []byte
}

// Scan visits the live keys of bucket that start with prefix, in byte
// order. Keys are copied out in pages, each in its own read transaction,
// so fn runs outside any transaction and may call the store.
func (b *Bolt) Scan(ctx context.Context, bucket, prefix string, fn func(key string, value []byte) error) error {
	if err := checkBucket(bucket); err != nil {
		return b.errorf("scan: %w", err)
	}
	pfx := []byte(prefix)
	var after []byte // last key visited; nil before the first page
	var page []kvEntry
	for {
		if err := ctx.Err(); err != nil {
			return b.errorf("scan bucket %s: %w", bucket, err)
		}
		page = page[:0]
		more := false
		err := b.db.View(func(tx *bolt.Tx) error {
			bk := kvBucket(tx, bucket)
			if bk == nil {
				return nil
			}
			c := bk.Cursor()
			var k, v []byte
			if after == nil {
				k, v = c.Seek(pfx)
			} else {
				k, v = c.Seek(after)
				if bytes.Equal(k, after) {
					k, v = c.Next()
				}
			}
			now := time.Now()
			size := 0
			for ; k != nil && bytes.HasPrefix(k, pfx); k, v = c.Next() {
				if len(page) >= boltScanPageKeys || size >= boltReadPageBytes {
					more = true
					break
				}
				after = bytes.Clone(k)
				val, ok := liveValue(v, now)
				if !ok {
					continue
				}
				page = append(page, kvEntry{key: string(k), value: bytes.Clone(val)})
				size += len(k) + len(val)
			}
			return nil
		})
		if err != nil {
			return b.errorf("scan bucket %s: %w", bucket, err)
		}
		for _, e := range page {
			v := e.value
			if v == nil {
				v = []byte{}
			}
			if err := fn(e.key, v); err != nil {
				return err
			}
		}
		if !more {
			return nil
		}
	}
}

// Sweep deletes expired KV entries, at most boltSweepBatch per write
// transaction, and reports how many it deleted.
func (b *Bolt) Sweep(ctx context.Context) (removed int, err error) {
	var buckets [][]byte
	err = b.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(boltKV).ForEachBucket(func(k []byte) error {
			buckets = append(buckets, bytes.Clone(k))
			return nil
		})
	})
	if err != nil {
		return 0, b.errorf("sweep: %w", err)
	}
	for _, name := range buckets {
		var after []byte
		for done := false; !done; {
			if err := ctx.Err(); err != nil {
				return removed, b.errorf("sweep bucket %s: %w", name, err)
			}
			n := 0
			err := b.db.Update(func(tx *bolt.Tx) error {
				bk := tx.Bucket(boltKV).Bucket(name)
				if bk == nil {
					done = true
					return nil
				}
				c := bk.Cursor()
				var k, v []byte
				if after == nil {
					k, v = c.First()
				} else {
					k, v = c.Seek(after)
				}
				now := time.Now()
				var expired [][]byte
				examined := 0
				for ; k != nil; k, v = c.Next() {
					if len(expired) >= boltSweepBatch || examined >= 20*boltSweepBatch {
						after = bytes.Clone(k)
						break
					}
					examined++
					if _, ok := liveValue(v, now); !ok {
						expired = append(expired, bytes.Clone(k))
					}
				}
				if k == nil {
					done = true
				}
				for _, k := range expired {
					if err := bk.Delete(k); err != nil {
						return err
					}
				}
				n = len(expired)
				return nil
			})
			if err != nil {
				return removed, b.errorf("sweep bucket %s: %w", name, err)
			}
			removed += n
		}
	}
	return removed, nil
}

package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// State is the storage the crawler needs: the methods of store.KV it uses,
// with the same signatures and meaning, so a store.Store (bbolt or Redis)
// can be passed as is. Absent keys are errors wrapping store.ErrNotFound.
type State interface {
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	Put(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) error
	PutIfAbsent(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) (bool, error)
	Update(ctx context.Context, bucket, key string, fn func(old []byte, exists bool) (value []byte, keep bool, ttl time.Duration, err error)) error
	Delete(ctx context.Context, bucket, key string) error
	Scan(ctx context.Context, bucket, prefix string, fn func(key string, value []byte) error) error
}

// Buckets the crawler writes. Keys start with the source name and '/'.
const (
	bucketSeen       = "crawl.seen"       // source/item key → time seen
	bucketHash       = "crawl.hash"       // source/hex SHA-256 → time seen
	bucketValidators = "crawl.validators" // source/URL → ETag, Last-Modified
	bucketSchedule   = "crawl.schedule"   // source → next due, failures
	bucketHealth     = "crawl.health"     // source → SourceHealth
	bucketLease      = "crawl.lease"      // source → token of the visiting process
)

// DefaultRetention is how long seen items, content hashes and validators
// are kept.
const DefaultRetention = 30 * 24 * time.Hour

// maxItemKey is the longest item key stored as is; longer ones are hashed.
const maxItemKey = 256

// errNotOurs aborts the release of a lease another process holds.
var errNotOurs = errors.New("lease held by another visit")

// SourceHealth is what the crawler knows about a source's recent visits.
// It never holds page text: LastError is the crawler's own message (a
// handler's error is recorded only as "handler failed on URL").
type SourceHealth struct {
	Source              string    `json:"source"`
	Kind                string    `json:"kind"`
	LastVisit           time.Time `json:"last_visit"`
	LastSuccess         time.Time `json:"last_success"`
	LastError           string    `json:"last_error,omitempty"`
	LastErrorAt         time.Time `json:"last_error_at"`
	ConsecutiveFailures int       `json:"consecutive_failures"`
	// ItemsSeen counts the documents handed to the handler, ever.
	ItemsSeen   int64     `json:"items_seen"`
	LastNewItem time.Time `json:"last_new_item"`
	// NextDue is when the next visit is due.
	NextDue time.Time `json:"-"`
}

// schedule is a source's stored schedule.
type schedule struct {
	Next     time.Time `json:"next"`
	Failures int       `json:"failures"`
}

// state is the crawler's view of the store.
type state struct {
	kv        State
	now       func() time.Time
	retention time.Duration
}

func itemKey(source, key string) string {
	if len(key) > maxItemKey {
		sum := sha256.Sum256([]byte(key))
		key = "sha256:" + hex.EncodeToString(sum[:])
	}
	return source + "/" + key
}

func hashKey(source string, h [32]byte) string {
	return source + "/" + hex.EncodeToString(h[:])
}

func (s *state) stamp() []byte {
	return strconv.AppendInt(nil, s.now().UnixNano(), 10)
}

// fresh reports whether a stamp is younger than the retention.
func (s *state) fresh(v []byte) bool {
	n, err := strconv.ParseInt(string(v), 10, 64)
	return err == nil && s.now().Sub(time.Unix(0, n)) < s.retention
}

func (s *state) has(ctx context.Context, bucket, key string) (bool, error) {
	v, err := s.kv.Get(ctx, bucket, key)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("read %s: %w", bucket, err)
	}
	return s.fresh(v), nil
}

func (s *state) mark(ctx context.Context, bucket, key string) error {
	if err := s.kv.Put(ctx, bucket, key, s.stamp(), s.retention); err != nil {
		return fmt.Errorf("write %s: %w", bucket, err)
	}
	return nil
}

// seen reports whether a source's item was handed over (or skipped for
// good) within the retention.
func (s *state) seen(ctx context.Context, source, key string) (bool, error) {
	return s.has(ctx, bucketSeen, itemKey(source, key))
}

func (s *state) markSeen(ctx context.Context, source, key string) error {
	return s.mark(ctx, bucketSeen, itemKey(source, key))
}

func (s *state) hashSeen(ctx context.Context, source string, h [32]byte) (bool, error) {
	return s.has(ctx, bucketHash, hashKey(source, h))
}

func (s *state) markHash(ctx context.Context, source string, h [32]byte) error {
	return s.mark(ctx, bucketHash, hashKey(source, h))
}

type storedValidators struct {
	validators
	Saved int64 `json:"saved"`
}

func (s *state) validators(ctx context.Context, source, url string) (validators, error) {
	v, err := s.kv.Get(ctx, bucketValidators, itemKey(source, url))
	if errors.Is(err, store.ErrNotFound) {
		return validators{}, nil
	}
	if err != nil {
		return validators{}, fmt.Errorf("read %s: %w", bucketValidators, err)
	}
	var sv storedValidators
	if err := json.Unmarshal(v, &sv); err != nil || s.now().Sub(time.Unix(0, sv.Saved)) >= s.retention {
		return validators{}, nil
	}
	return sv.validators, nil
}

func (s *state) saveValidators(ctx context.Context, source, url string, v validators) error {
	b, _ := json.Marshal(storedValidators{validators: v, Saved: s.now().UnixNano()})
	if err := s.kv.Put(ctx, bucketValidators, itemKey(source, url), b, s.retention); err != nil {
		return fmt.Errorf("write %s: %w", bucketValidators, err)
	}
	return nil
}

func (s *state) schedule(ctx context.Context, source string) (schedule, bool, error) {
	v, err := s.kv.Get(ctx, bucketSchedule, source)
	if errors.Is(err, store.ErrNotFound) {
		return schedule{}, false, nil
	}
	if err != nil {
		return schedule{}, false, fmt.Errorf("read %s: %w", bucketSchedule, err)
	}
	var sc schedule
	if err := json.Unmarshal(v, &sc); err != nil {
		return schedule{}, false, nil // unreadable: visit now and rewrite it
	}
	return sc, true, nil
}

func (s *state) saveSchedule(ctx context.Context, source string, sc schedule) error {
	b, _ := json.Marshal(sc)
	if err := s.kv.Put(ctx, bucketSchedule, source, b, 0); err != nil {
		return fmt.Errorf("write %s: %w", bucketSchedule, err)
	}
	return nil
}

func (s *state) health(ctx context.Context, source string) (SourceHealth, error) {
	v, err := s.kv.Get(ctx, bucketHealth, source)
	if errors.Is(err, store.ErrNotFound) {
		return SourceHealth{Source: source}, nil
	}
	if err != nil {
		return SourceHealth{}, fmt.Errorf("read %s: %w", bucketHealth, err)
	}
	var h SourceHealth
	if err := json.Unmarshal(v, &h); err != nil {
		return SourceHealth{Source: source}, nil
	}
	return h, nil
}

func (s *state) updateHealth(ctx context.Context, source string, fn func(*SourceHealth)) error {
	err := s.kv.Update(ctx, bucketHealth, source, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		h := SourceHealth{Source: source}
		if exists {
			_ = json.Unmarshal(old, &h) // a damaged record is replaced
		}
		fn(&h)
		b, err := json.Marshal(h)
		return b, true, 0, err
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", bucketHealth, err)
	}
	return nil
}

// acquire takes a source's lease for ttl; false if another visit holds it.
func (s *state) acquire(ctx context.Context, source, token string, ttl time.Duration) (bool, error) {
	ok, err := s.kv.PutIfAbsent(ctx, bucketLease, source, []byte(token), ttl)
	if err != nil {
		return false, fmt.Errorf("write %s: %w", bucketLease, err)
	}
	return ok, nil
}

// renew extends a lease this visit holds.
func (s *state) renew(ctx context.Context, source, token string, ttl time.Duration) error {
	err := s.kv.Update(ctx, bucketLease, source, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists || string(old) != token {
			return nil, false, 0, errNotOurs
		}
		return old, true, ttl, nil
	})
	if err != nil {
		return fmt.Errorf("renew %s: %w", bucketLease, err)
	}
	return nil
}

// release drops a lease this visit holds, leaving another's alone.
func (s *state) release(ctx context.Context, source, token string) error {
	err := s.kv.Update(ctx, bucketLease, source, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists || string(old) != token {
			return nil, false, 0, errNotOurs
		}
		return nil, false, 0, nil
	})
	if err != nil && !errors.Is(err, errNotOurs) {
		return fmt.Errorf("release %s: %w", bucketLease, err)
	}
	return nil
}

// purge deletes a source's seen items, content hashes and validators
// older than the retention, and returns how many it deleted.
func (s *state) purge(ctx context.Context, source string) (int, error) {
	n := 0
	for _, bucket := range []string{bucketSeen, bucketHash, bucketValidators} {
		var old []string
		err := s.kv.Scan(ctx, bucket, source+"/", func(key string, value []byte) error {
			stale := !s.fresh(value)
			if bucket == bucketValidators {
				var sv storedValidators
				stale = json.Unmarshal(value, &sv) != nil || s.now().Sub(time.Unix(0, sv.Saved)) >= s.retention
			}
			if stale {
				old = append(old, key)
			}
			if len(old) >= 10000 {
				return errStopScan
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopScan) {
			return n, fmt.Errorf("scan %s: %w", bucket, err)
		}
		deleted, err := s.deleteAll(ctx, bucket, old)
		n += deleted
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// purgeConcurrency is how many deletes a purge has in flight: a store
// that batches concurrent writes (bbolt's Batch) commits them together, so
// one after another would pay a commit (and an fsync) for each.
const purgeConcurrency = 64

// deleteAll deletes keys from bucket, purgeConcurrency at a time, and
// returns how many it deleted and the first error.
func (s *state) deleteAll(ctx context.Context, bucket string, keys []string) (int, error) {
	var (
		mu       sync.Mutex
		n        int
		firstErr error
		wg       sync.WaitGroup
	)
	sem := make(chan struct{}, purgeConcurrency)
	for _, k := range keys {
		sem <- struct{}{}
		mu.Lock()
		failed := firstErr != nil
		mu.Unlock()
		if failed {
			<-sem
			break
		}
		wg.Go(func() {
			defer func() { <-sem }()
			err := s.kv.Delete(ctx, bucket, k)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if firstErr == nil {
					firstErr = fmt.Errorf("delete from %s: %w", bucket, err)
				}
				return
			}
			n++
		})
	}
	wg.Wait()
	return n, firstErr
}

// errStopScan ends a purge scan early; the rest waits for the next purge.
var errStopScan = errors.New("enough for one purge")

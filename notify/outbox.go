package notify

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	mrand "math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// KV is the part of the store the notifier uses. Its methods have the
// exact signatures of store.KV, so a store.Store satisfies it; see package
// store for the guarantees relied on (atomic, linearizable single-key
// operations, PutIfAbsent won by exactly one racer).
type KV interface {
	Get(ctx context.Context, bucket, key string) ([]byte, error)
	Put(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) error
	PutIfAbsent(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) (bool, error)
	Update(ctx context.Context, bucket, key string, fn func(old []byte, exists bool) (value []byte, keep bool, ttl time.Duration, err error)) error
	Delete(ctx context.Context, bucket, key string) error
	Scan(ctx context.Context, bucket, prefix string, fn func(key string, value []byte) error) error
}

// Store buckets used by the notifier.
const (
	// BucketOutbox holds queued and failed items, one per key.
	BucketOutbox = "outbox"
	// BucketNotified holds one marker per (set, record ref, URL) ever
	// queued; its value is the key of the outbox item that owns it.
	BucketNotified = "notified"
	// BucketSent holds a short receipt per delivered item, for Status.
	BucketSent = "notifysent"
	// BucketRate holds per-set, per-hour email counters.
	BucketRate = "notifyrate"
	// BucketLock holds short-lived claim locks, one per (set, URL) being
	// enqueued, so that racing workers do not split a page's refs.
	BucketLock = "notifylock"
)

// Item states.
const (
	// StateClaiming is an item whose Enqueue has not finished claiming
	// its idempotency markers (or whose process died meanwhile; Flush
	// completes it).
	StateClaiming = "claiming"
	// StateQueued is an item waiting for delivery or for a retry.
	StateQueued = "queued"
	// StateFailed is an item that failed permanently, or too often. It
	// stays until Retry or until someone deletes it; it is never dropped.
	StateFailed = "failed"
)

// Item modes: how an item is delivered.
const (
	modeSingle = "single" // one email for this finding
	modeDigest = "digest" // gathered with the set's other findings of the period
	modeFolded = "folded" // over the rate limit: into next hour's summary
)

// Defaults of the Notifier's options.
const (
	DefaultLease        = 10 * time.Minute
	DefaultPollInterval = 30 * time.Second
	DefaultRetryBase    = 30 * time.Second
	DefaultRetryMax     = time.Hour
	DefaultMaxAttempts  = 25
	DefaultSentKeep     = 30 * 24 * time.Hour
	// claimGrace is how old a StateClaiming item must be before another
	// Flush finishes its claim for it.
	claimGrace = time.Minute
	// pageLockTTL bounds how long a dead claimer's page lock blocks others;
	// pageLockWait how long a claimer waits for a page lock.
	pageLockTTL  = 2 * time.Minute
	pageLockWait = 3 * time.Minute
)

// item is one outbox entry, stored as JSON. Its finding is sanitized
// before it is stored.
type item struct {
	Key         string    `json:"key"`
	State       string    `json:"state"`
	Mode        string    `json:"mode"`
	Finding     Finding   `json:"finding"`
	RefTotal    int       `json:"ref_total"`
	ClaimRefs   []string  `json:"claim_refs,omitempty"`
	Enqueued    time.Time `json:"enqueued"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt"`
	LeaseOwner  string    `json:"lease_owner,omitempty"`
	LeaseUntil  time.Time `json:"lease_until,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	FailedAt    time.Time `json:"failed_at,omitzero"`
}

// sentReceipt is what remains of a delivered item, for Status.
type sentReceipt struct {
	Key       string    `json:"key"`
	FindingID string    `json:"finding_id"`
	Set       string    `json:"set"`
	SentAt    time.Time `json:"sent_at"`
	MessageID string    `json:"message_id"`
	Attempts  int       `json:"attempts"`
	Digest    bool      `json:"digest,omitempty"`
}

// Notifier turns findings into emails, once. Enqueue records a finding in
// the store's outbox; Flush (or Run, which calls it in a loop) delivers
// what is due. Any number of Notifiers, in one process or many, may share
// one store.
type Notifier struct {
	kv     KV
	cfg    Config
	mailer *Mailer
	logger *slog.Logger

	now         func() time.Time
	worker      string
	lease       time.Duration
	sole        bool // no other worker uses the store (WithSoleWorker)
	poll        time.Duration
	retryBase   time.Duration
	retryMax    time.Duration
	maxAttempts int
	sentKeep    time.Duration
	wake        chan struct{}
	rngMu       sync.Mutex
	rng         *mrand.Rand
	flushMu     sync.Mutex
	// abandoned holds the keys of the items this Notifier's Enqueue wrote,
	// or may have written, but could not finish claiming (the store went
	// away meanwhile). No
	// Enqueue is working on them any more, so Flush finishes them at once
	// instead of after claimGrace, which only guards claims that may still
	// be in progress in another process.
	abandonedMu sync.Mutex
	abandoned   map[string]bool
}

// Option changes a Notifier's defaults.
type Option func(*Notifier)

// WithClock replaces time.Now, for schedules (retries, digests, rate
// windows, leases). Tests use it to step through hours.
func WithClock(now func() time.Time) Option { return func(n *Notifier) { n.now = now } }

// WithWorkerID names this Notifier in leases; the default is host name,
// process ID and a random suffix.
func WithWorkerID(id string) Option { return func(n *Notifier) { n.worker = id } }

// WithLease sets how long a claimed item stays reserved to this worker.
// It must exceed the time one delivery can take (SMTP timeout included).
func WithLease(d time.Duration) Option { return func(n *Notifier) { n.lease = d } }

// WithSoleWorker says that this Notifier is the only one using its store,
// as on the embedded store, which one process holds at a time. A lease
// another worker holds is then left over from a process that died (killed
// while it was sending, say), and is taken over at once rather than when
// it expires: the email is sent again now instead of a lease later. Never
// use it on a store that several workers share.
func WithSoleWorker() Option { return func(n *Notifier) { n.sole = true } }

// WithPollInterval sets how often Run looks for work that other workers
// queued.
func WithPollInterval(d time.Duration) Option { return func(n *Notifier) { n.poll = d } }

// WithRetry sets the backoff of temporary failures: the n-th retry waits
// about base·2ⁿ⁻¹, capped at max, with random jitter; after attempts
// failed attempts the item is marked failed.
func WithRetry(base, max time.Duration, attempts int) Option {
	return func(n *Notifier) { n.retryBase, n.retryMax, n.maxAttempts = base, max, attempts }
}

// New returns a Notifier that keeps its outbox in kv and sends through
// cfg.SMTP. cfg must be valid (see Config.Validate). A nil logger
// discards.
func New(kv KV, cfg Config, logger *slog.Logger, opts ...Option) (*Notifier, error) {
	if kv == nil {
		return nil, errors.New("new notifier: nil store")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("new notifier: %w", err)
	}
	m, err := NewMailer(cfg.SMTP, logger)
	if err != nil {
		return nil, fmt.Errorf("new notifier: %w", err)
	}
	n := &Notifier{
		kv: kv, cfg: cfg, mailer: m, logger: logger,
		now:   time.Now,
		lease: DefaultLease, poll: DefaultPollInterval,
		retryBase: DefaultRetryBase, retryMax: DefaultRetryMax, maxAttempts: DefaultMaxAttempts,
		sentKeep: DefaultSentKeep,
		wake:     make(chan struct{}, 1),
	}
	var seed [16]byte
	_, _ = rand.Read(seed[:])
	n.rng = mrand.New(mrand.NewPCG(binary.LittleEndian.Uint64(seed[:8]), binary.LittleEndian.Uint64(seed[8:])))
	host, _ := os.Hostname()
	n.worker = fmt.Sprintf("%s/%d/%s", host, os.Getpid(), randomHex(4))
	if cfg.Retry.Base > 0 {
		n.retryBase = cfg.Retry.Base
	}
	if cfg.Retry.Max > 0 {
		n.retryMax = cfg.Retry.Max
	}
	if cfg.Retry.Attempts > 0 {
		n.maxAttempts = cfg.Retry.Attempts
	}
	if cfg.Poll > 0 {
		n.poll = cfg.Poll
	}
	for _, o := range opts {
		o(n)
	}
	if n.lease <= 0 || n.poll <= 0 || n.retryBase <= 0 || n.retryMax < n.retryBase || n.maxAttempts < 1 {
		return nil, errors.New("new notifier: lease, poll interval, retry base must be positive, retry max at least base, attempts at least 1")
	}
	m.now = n.now
	return n, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// notifiedKey is the idempotency key of (set, record ref, URL). The ref
// and URL are hashed, so the key has a fixed size and carries neither.
func notifiedKey(set, ref, url string) string {
	h := sha256.New()
	for _, s := range []string{set, ref, url} {
		h.Write([]byte(strconv.Itoa(len(s))))
		h.Write([]byte{':'})
		h.Write([]byte(s))
	}
	return set + "/" + hex.EncodeToString(h.Sum(nil))
}

// pageRef stands for "the whole page" in the idempotency key of a finding
// that lists no record references.
const pageRef = "*"

// Enqueue records a finding for delivery and reports whether anything new
// was queued. The outbox item is written before anything is sent. For each
// (set, record ref, URL) of the finding a marker is claimed in
// BucketNotified with PutIfAbsent; a ref claimed before (by an earlier
// crawl, another worker, or before a restart) is left out, and a finding
// whose refs were all claimed before queues nothing. The same ref on a new
// URL is a new notification.
//
// The finding is sanitized before it is stored (see the package
// documentation); its ID and set name must be valid.
func (n *Notifier) Enqueue(ctx context.Context, f Finding) (bool, error) {
	if err := f.validate(); err != nil {
		return false, fmt.Errorf("enqueue: %w", err)
	}
	sf := f.sanitized()
	refs := make([]string, 0, len(f.Refs))
	seen := make(map[string]bool, len(f.Refs))
	for _, r := range f.Refs {
		r = sanitizeLine(redact(r), maxRefRunes)
		if r != "" && !seen[r] {
			seen[r] = true
			refs = append(refs, r)
		}
	}
	if len(refs) == 0 {
		refs = []string{pageRef}
	}
	now := n.now().UTC()
	it := item{
		Key:       fmt.Sprintf("%016x-%s", now.UnixNano(), randomHex(6)),
		State:     StateClaiming,
		Finding:   sf,
		ClaimRefs: refs,
		Enqueued:  now,
	}
	val, err := json.Marshal(it)
	if err != nil {
		return false, fmt.Errorf("enqueue %s: %w", f.ID, err)
	}
	if err := n.kv.Put(ctx, BucketOutbox, it.Key, val, 0); err != nil {
		// The write may have landed all the same (Redis applied it and
		// went away before replying): this Notifier's next Flush finishes
		// the item if it is there, rather than another's after claimGrace.
		n.abandon(it.Key)
		return false, fmt.Errorf("enqueue %s: write outbox: %w", f.ID, err)
	}
	// finishClaim is idempotent, so a store outage in the middle of it is
	// ridden out here, for a while, rather than left to a Flush after
	// claimGrace (the email would wait that long).
	var queued bool
	cctx, cancel := context.WithTimeout(ctx, claimGrace/2)
	defer cancel()
	err = persist(cctx, func(ctx context.Context) error {
		var err error
		queued, err = n.finishClaim(ctx, it)
		return err
	})
	if err != nil {
		// The item stays in StateClaiming; this Notifier's next Flush
		// finishes it, another's after claimGrace.
		n.abandon(it.Key)
		return false, fmt.Errorf("enqueue %s: %w", f.ID, err)
	}
	if queued {
		n.logger.LogAttrs(ctx, slog.LevelInfo, "finding queued",
			slog.String("finding", f.ID), slog.String("set", f.Set), slog.String("item", it.Key))
		select {
		case n.wake <- struct{}{}:
		default:
		}
	} else {
		n.logger.LogAttrs(ctx, slog.LevelDebug, "finding already notified",
			slog.String("finding", f.ID), slog.String("set", f.Set))
	}
	return queued, nil
}

// finishClaim claims the markers of a StateClaiming item and turns it into
// a queued item holding the refs it owns, or deletes it if it owns none.
// Ownership is decided by the marker's value (the owning item's key), so
// finishing the same item twice, even concurrently, gives the same result.
func (n *Notifier) finishClaim(ctx context.Context, it item) (bool, error) {
	lockKey, unlock, err := n.lockPage(ctx, it)
	if err != nil {
		return false, err
	}
	defer unlock()
	var owned []string
	for i, ref := range it.ClaimRefs {
		if i > 0 && i%500 == 0 {
			// A claim of many refs outlives the lock's TTL: renew it.
			if err := n.kv.Put(ctx, BucketLock, lockKey, []byte(it.Key), pageLockTTL); err != nil {
				return false, fmt.Errorf("renew page lock: %w", err)
			}
		}
		k := notifiedKey(it.Finding.Set, ref, it.Finding.URL)
		won, err := n.kv.PutIfAbsent(ctx, BucketNotified, k, []byte(it.Key), 0)
		if err != nil {
			return false, fmt.Errorf("claim marker: %w", err)
		}
		if !won {
			v, err := n.kv.Get(ctx, BucketNotified, k)
			if err != nil {
				return false, fmt.Errorf("read marker: %w", err)
			}
			won = string(v) == it.Key
		}
		if won {
			owned = append(owned, ref)
		}
	}
	if len(owned) == 0 {
		if err := n.kv.Delete(ctx, BucketOutbox, it.Key); err != nil {
			return false, fmt.Errorf("drop duplicate item: %w", err)
		}
		return false, nil
	}
	pol := n.cfg.PolicyFor(it.Finding.Set)
	queued := false
	err = n.kv.Update(ctx, BucketOutbox, it.Key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		queued = false
		if !exists {
			return nil, false, 0, nil
		}
		var cur item
		if err := json.Unmarshal(old, &cur); err != nil {
			return nil, false, 0, fmt.Errorf("decode item: %w", err)
		}
		if cur.State != StateClaiming {
			queued = true // finished by someone else already
			return old, true, 0, nil
		}
		cur.State = StateQueued
		cur.RefTotal = len(owned)
		cur.Finding.Refs = slices.Clone(owned[:min(len(owned), maxRefsKept)])
		if len(owned) == 1 && owned[0] == pageRef {
			cur.Finding.Refs = nil
			cur.RefTotal = 0
		}
		cur.ClaimRefs = nil
		if pol.Digest == DigestOff {
			cur.Mode = modeSingle
			cur.NextAttempt = cur.Enqueued
		} else {
			cur.Mode = modeDigest
			cur.NextAttempt = periodEnd(cur.Enqueued, pol.Digest)
		}
		b, err := json.Marshal(cur)
		if err != nil {
			return nil, false, 0, err
		}
		queued = true
		return b, true, 0, nil
	})
	if err != nil {
		return false, fmt.Errorf("queue item: %w", err)
	}
	return queued, nil
}

// lockPage takes the claim lock of the item's (set, URL): claims of one
// page are serialized, so two workers that enqueue the same page at once
// do not split its refs into two emails. The lock expires by itself after
// pageLockTTL if its holder dies. It returns the lock's key and a func
// that releases the lock.
func (n *Notifier) lockPage(ctx context.Context, it item) (string, func(), error) {
	sum := sha256.Sum256([]byte(it.Finding.URL))
	key := it.Finding.Set + "/" + hex.EncodeToString(sum[:])
	deadline := time.Now().Add(pageLockWait)
	for {
		ok, err := n.kv.PutIfAbsent(ctx, BucketLock, key, []byte(it.Key), pageLockTTL)
		if err != nil {
			return "", nil, fmt.Errorf("take page lock: %w", err)
		}
		if !ok {
			// A holder that is this item (an earlier, interrupted claim of
			// it) counts as us.
			if v, err := n.kv.Get(ctx, BucketLock, key); err == nil && string(v) == it.Key {
				ok = true
			}
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			return "", nil, errors.New("take page lock: timed out waiting for another worker's claim")
		}
		n.rngMu.Lock()
		wait := time.Duration(2+n.rng.IntN(8)) * time.Millisecond
		n.rngMu.Unlock()
		select {
		case <-ctx.Done():
			return "", nil, fmt.Errorf("take page lock: %w", ctx.Err())
		case <-time.After(wait):
		}
	}
	return key, func() {
		// Retried through a short store outage: a lock left behind holds
		// up every other claim of the page for pageLockTTL.
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		err := persist(uctx, func(ctx context.Context) error {
			err := n.kv.Update(ctx, BucketLock, key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
				if exists && string(old) != it.Key {
					return nil, false, 0, errNotOurs
				}
				return nil, false, 0, nil
			})
			if errors.Is(err, errNotOurs) {
				return nil
			}
			return err
		})
		if err != nil && !errors.Is(err, errNotOurs) {
			n.logger.LogAttrs(ctx, slog.LevelWarn, "could not release page lock; it expires by itself",
				slog.String("item", it.Key), slog.String("error", err.Error()))
		}
	}, nil
}

// errNotOurs aborts the release of a lock someone else holds.
var errNotOurs = errors.New("lock held by another item")

// periodEnd is the end of the digest period holding t: the next full hour,
// or the next UTC midnight.
func periodEnd(t time.Time, digest string) time.Time {
	t = t.UTC()
	if digest == DigestDaily {
		return t.Truncate(24 * time.Hour).Add(24 * time.Hour)
	}
	return t.Truncate(time.Hour).Add(time.Hour)
}

// FlushResult says what one Flush did.
type FlushResult struct {
	// Emails is how many emails the server accepted; Delivered how many
	// outbox items they carried.
	Emails, Delivered int
	// Retrying counts items that failed temporarily and were rescheduled;
	// Failed items that failed permanently (or too often).
	Retrying, Failed int
	// Folded counts items moved into the next summary by the rate limit.
	Folded int
	// Next is the earliest time something in the outbox becomes due (zero
	// if nothing is waiting).
	Next time.Time
}

// abandon records that this Notifier's Enqueue of the item key failed
// and left it claiming, if it wrote it at all.
func (n *Notifier) abandon(key string) {
	n.abandonedMu.Lock()
	defer n.abandonedMu.Unlock()
	if n.abandoned == nil {
		n.abandoned = map[string]bool{}
	}
	n.abandoned[key] = true
}

// Flush delivers every item that is due now: single findings one email
// each (until the set's hourly limit, after which they are folded into
// next hour's summary), digest and folded findings one email per set. An
// item is leased before it is sent and deleted only after the server
// accepted it; a temporary failure reschedules it with backoff, a
// permanent one marks it failed. Flush returns the first store error it
// meets; delivery failures are not errors (they are recorded on items).
func (n *Notifier) Flush(ctx context.Context) (FlushResult, error) {
	n.flushMu.Lock()
	defer n.flushMu.Unlock()
	var res FlushResult
	now := n.now().UTC()

	n.abandonedMu.Lock()
	before := slices.Collect(maps.Keys(n.abandoned))
	n.abandonedMu.Unlock()
	var items []item
	err := n.kv.Scan(ctx, BucketOutbox, "", func(key string, value []byte) error {
		var it item
		if err := json.Unmarshal(value, &it); err != nil {
			n.logger.LogAttrs(ctx, slog.LevelError, "undecodable outbox item left in place",
				slog.String("item", key), slog.String("error", err.Error()))
			return nil
		}
		items = append(items, it)
		return nil
	})
	if err != nil {
		return res, fmt.Errorf("flush: scan outbox: %w", err)
	}
	// An item abandoned before the scan that the scan did not meet was
	// never written (or is finished): nothing is left to do for it.
	n.abandonedMu.Lock()
	for _, key := range before {
		if !slices.ContainsFunc(items, func(it item) bool { return it.Key == key }) {
			delete(n.abandoned, key)
		}
	}
	n.abandonedMu.Unlock()

	due := map[string][]item{}
	var sets []string
	noteNext := func(t time.Time) {
		if res.Next.IsZero() || t.Before(res.Next) {
			res.Next = t
		}
	}
	for _, it := range items {
		if it.State == StateClaiming {
			n.abandonedMu.Lock()
			abandoned := n.abandoned[it.Key]
			n.abandonedMu.Unlock()
			if now.Sub(it.Enqueued) < claimGrace && !abandoned {
				noteNext(it.Enqueued.Add(claimGrace))
				continue
			}
			if _, err := n.finishClaim(ctx, it); err != nil {
				return res, fmt.Errorf("flush: finish claim of %s: %w", it.Key, err)
			}
			n.abandonedMu.Lock()
			delete(n.abandoned, it.Key)
			n.abandonedMu.Unlock()
			n.logger.LogAttrs(ctx, slog.LevelWarn, "finished an interrupted enqueue",
				slog.String("item", it.Key), slog.String("finding", it.Finding.ID))
			// Its new schedule is picked up by the next Flush.
			noteNext(now)
			continue
		}
		if it.State != StateQueued {
			continue
		}
		if it.NextAttempt.After(now) {
			noteNext(it.NextAttempt)
			continue
		}
		if it.LeaseOwner != "" && it.LeaseOwner != n.worker && it.LeaseUntil.After(now) && !n.sole {
			noteNext(it.LeaseUntil)
			continue
		}
		if _, ok := due[it.Finding.Set]; !ok {
			sets = append(sets, it.Finding.Set)
		}
		due[it.Finding.Set] = append(due[it.Finding.Set], it)
	}
	slices.Sort(sets)

	for _, set := range sets {
		pol := n.cfg.PolicyFor(set)
		var summary []item
		for _, it := range due[set] {
			if it.Mode != modeSingle {
				summary = append(summary, it)
				continue
			}
			ok, err := n.reserveRate(ctx, set, now, pol.RateLimit, false)
			if err != nil {
				return res, fmt.Errorf("flush: %w", err)
			}
			if ok {
				if err := n.deliver(ctx, &res, pol, now, []item{it}, false); err != nil {
					return res, err
				}
				continue
			}
			folded, err := n.fold(ctx, it, now)
			if err != nil {
				return res, fmt.Errorf("flush: %w", err)
			}
			if folded {
				res.Folded++
				noteNext(rateWindowEnd(now))
			}
		}
		if len(summary) > 0 {
			// A summary always goes: it is what keeps a flood to one
			// email. It still counts against the hour.
			if _, err := n.reserveRate(ctx, set, now, pol.RateLimit, true); err != nil {
				return res, fmt.Errorf("flush: %w", err)
			}
			if err := n.deliver(ctx, &res, pol, now, summary, true); err != nil {
				return res, err
			}
		}
	}
	return res, nil
}

// rateWindowEnd is the end of the clock hour holding t.
func rateWindowEnd(t time.Time) time.Time { return t.UTC().Truncate(time.Hour).Add(time.Hour) }

// reserveRate takes one of the set's emails for the hour holding now, if
// fewer than limit were taken (or unconditionally with force).
func (n *Notifier) reserveRate(ctx context.Context, set string, now time.Time, limit int, force bool) (bool, error) {
	key := set + "/" + now.UTC().Format("2006010215")
	ok := false
	err := n.kv.Update(ctx, BucketRate, key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		count := 0
		if exists {
			c, err := strconv.Atoi(string(old))
			if err != nil {
				return nil, false, 0, fmt.Errorf("decode rate counter: %w", err)
			}
			count = c
		}
		ok = force || count < limit
		if ok {
			count++
		}
		return []byte(strconv.Itoa(count)), true, 2 * time.Hour, nil
	})
	if err != nil {
		return false, fmt.Errorf("rate counter of set %s: %w", set, err)
	}
	return ok, nil
}

// fold moves an item over the rate limit into the next hour's summary.
func (n *Notifier) fold(ctx context.Context, it item, now time.Time) (bool, error) {
	folded := false
	err := n.kv.Update(ctx, BucketOutbox, it.Key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		folded = false
		if !exists {
			return nil, false, 0, nil
		}
		var cur item
		if err := json.Unmarshal(old, &cur); err != nil {
			return nil, false, 0, fmt.Errorf("decode item: %w", err)
		}
		if cur.State != StateQueued || cur.Mode != modeSingle || !n.leasable(cur, now) {
			return old, true, 0, nil
		}
		cur.Mode = modeFolded
		cur.NextAttempt = rateWindowEnd(now)
		b, err := json.Marshal(cur)
		if err != nil {
			return nil, false, 0, err
		}
		folded = true
		return b, true, 0, nil
	})
	if err != nil {
		return false, fmt.Errorf("fold item %s: %w", it.Key, err)
	}
	if folded {
		n.logger.LogAttrs(ctx, slog.LevelInfo, "rate limit reached, finding folded into next summary",
			slog.String("item", it.Key), slog.String("finding", it.Finding.ID), slog.String("set", it.Finding.Set))
	}
	return folded, nil
}

func (n *Notifier) leasable(it item, now time.Time) bool {
	return !it.NextAttempt.After(now) &&
		(it.LeaseOwner == "" || it.LeaseOwner == n.worker || !it.LeaseUntil.After(now) || n.sole)
}

// errNotLeasable aborts a lease Update whose item is gone, not due, or
// leased to another worker.
var errNotLeasable = errors.New("item not leasable")

// leaseItem reserves one item to this worker for the lease duration from
// the moment it is taken, if it is due and free at now. It returns the
// item as stored, and false if it cannot be had.
func (n *Notifier) leaseItem(ctx context.Context, key string, now time.Time) (item, bool, error) {
	var got item
	err := n.kv.Update(ctx, BucketOutbox, key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists {
			return nil, false, 0, errNotLeasable
		}
		var cur item
		if err := json.Unmarshal(old, &cur); err != nil {
			return nil, false, 0, fmt.Errorf("decode item: %w", err)
		}
		if cur.State != StateQueued || !n.leasable(cur, now) {
			return nil, false, 0, errNotLeasable
		}
		cur.LeaseOwner = n.worker
		cur.LeaseUntil = n.now().UTC().Add(n.lease)
		b, err := json.Marshal(cur)
		if err != nil {
			return nil, false, 0, err
		}
		got = cur
		return b, true, 0, nil
	})
	if errors.Is(err, errNotLeasable) {
		return item{}, false, nil
	}
	if err != nil {
		return item{}, false, fmt.Errorf("lease item %s: %w", key, err)
	}
	return got, true, nil
}

// deliver leases the items, sends them as one email (a summary when
// summary is set) and records the outcome on every item it leased.
func (n *Notifier) deliver(ctx context.Context, res *FlushResult, pol Policy, now time.Time, candidates []item, summary bool) error {
	var leased []item
	for _, c := range candidates {
		it, ok, err := n.leaseItem(ctx, c.Key, now)
		if err != nil {
			return fmt.Errorf("flush: %w", err)
		}
		if ok {
			leased = append(leased, it)
		}
	}
	if len(leased) == 0 {
		return nil
	}
	set := leased[0].Finding.Set
	msg, err := n.compose(leased, pol.Language, summary)
	if err != nil {
		// A rendering failure cannot fix itself: fail the items visibly.
		return n.recordFailure(ctx, res, now, leased, &DeliveryError{Err: err})
	}
	sendErr := n.mailer.Send(ctx, pol.Recipients, msg)

	// Bookkeeping must happen even if ctx was cancelled during the send:
	// a delivered item that is not deleted would be sent again.
	bctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if sendErr == nil {
		res.Emails++
		// The items stay leased to this worker until their lease ends, so
		// a store outage right after the server accepted the email is
		// waited out (up to most of the lease) rather than leaving the
		// items to be sent again by whoever leases them next.
		pctx, pcancel := context.WithTimeout(context.WithoutCancel(ctx), n.lease*3/4)
		defer pcancel()
		for _, it := range leased {
			rec, _ := json.Marshal(sentReceipt{
				Key: it.Key, FindingID: it.Finding.ID, Set: it.Finding.Set,
				SentAt: n.now().UTC(), MessageID: msg.MessageID, Attempts: it.Attempts + 1, Digest: summary,
			})
			if err := persist(pctx, func(ctx context.Context) error {
				return n.kv.Put(ctx, BucketSent, it.Key, rec, n.sentKeep)
			}); err != nil {
				n.logger.LogAttrs(ctx, slog.LevelWarn, "could not record receipt",
					slog.String("item", it.Key), slog.String("error", err.Error()))
			}
			if err := persist(pctx, func(ctx context.Context) error {
				return n.kv.Delete(ctx, BucketOutbox, it.Key)
			}); err != nil {
				return fmt.Errorf("flush: delete delivered item %s: %w", it.Key, err)
			}
			res.Delivered++
		}
		n.logger.LogAttrs(ctx, slog.LevelInfo, "notification sent",
			slog.String("set", set), slog.Int("findings", len(leased)), slog.Bool("summary", summary),
			slog.String("message_id", msg.MessageID))
		return nil
	}
	if ctx.Err() != nil {
		// Interrupted, not failed: give the items back untouched.
		return n.release(bctx, leased)
	}
	return n.recordFailure(bctx, res, now, leased, sendErr)
}

// persist runs a store write until it succeeds or ctx ends, pausing
// 100 ms, then twice as long after each failure (at most 2 s). It returns
// the last error when ctx ends first.
func persist(ctx context.Context, write func(context.Context) error) error {
	pause := 100 * time.Millisecond
	for {
		err := write(ctx)
		if err == nil {
			return nil
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		pause = min(2*pause, 2*time.Second)
	}
}

// compose renders the email for leased items.
func (n *Notifier) compose(items []item, lang string, summary bool) (Message, error) {
	keys := make([]string, len(items))
	for i, it := range items {
		keys[i] = it.Key
	}
	sum := sha256.Sum256([]byte(strings.Join(keys, ",")))
	domain := "leakwatch.invalid"
	if at := strings.LastIndexByte(n.mailer.from.Address, '@'); at >= 0 {
		domain = n.mailer.from.Address[at+1:]
	}
	msgID := hex.EncodeToString(sum[:16]) + "@" + domain

	var msg Message
	var err error
	if !summary {
		msg, err = renderFinding(items[0].Finding, lang, items[0].RefTotal)
	} else {
		d := Digest{Set: items[0].Finding.Set, Start: items[0].Enqueued, End: items[0].Enqueued, RateLimited: true}
		totals := make([]int, len(items))
		for i, it := range items {
			d.Findings = append(d.Findings, it.Finding)
			totals[i] = it.RefTotal
			if it.Enqueued.Before(d.Start) {
				d.Start = it.Enqueued
			}
			if it.Enqueued.After(d.End) {
				d.End = it.Enqueued
			}
			if it.Mode == modeDigest {
				d.RateLimited = false
			}
		}
		msg, err = renderDigest(d, totals, lang)
	}
	msg.MessageID = msgID
	return msg, err
}

// release gives leased items back without counting an attempt.
func (n *Notifier) release(ctx context.Context, items []item) error {
	for _, it := range items {
		err := n.updateOwned(ctx, it.Key, func(cur *item) {})
		if err != nil {
			return fmt.Errorf("flush: release item %s: %w", it.Key, err)
		}
	}
	return nil
}

// recordFailure reschedules temporarily failed items with backoff, or
// marks them failed if the failure is permanent or they failed too often.
func (n *Notifier) recordFailure(ctx context.Context, res *FlushResult, now time.Time, items []item, sendErr error) error {
	temporary := IsTemporary(sendErr)
	reason := truncateRunes(sanitizeLine(sendErr.Error(), 500), 500)
	for _, it := range items {
		var failed bool
		var next time.Time
		err := n.updateOwned(ctx, it.Key, func(cur *item) {
			cur.Attempts++
			cur.LastError = reason
			if temporary && cur.Attempts < n.maxAttempts {
				cur.NextAttempt = now.Add(n.backoff(cur.Attempts))
				next = cur.NextAttempt
				return
			}
			failed = true
			cur.State = StateFailed
			cur.FailedAt = now
			if temporary {
				cur.LastError = truncateRunes(fmt.Sprintf("gave up after %d attempts: %s", cur.Attempts, reason), 500)
			}
		})
		if err != nil {
			return fmt.Errorf("flush: record failure of item %s: %w", it.Key, err)
		}
		if failed {
			res.Failed++
			n.logger.LogAttrs(ctx, slog.LevelError, "notification failed permanently",
				slog.String("item", it.Key), slog.String("finding", it.Finding.ID), slog.String("set", it.Finding.Set),
				slog.String("error", reason))
		} else {
			res.Retrying++
			if res.Next.IsZero() || next.Before(res.Next) {
				res.Next = next
			}
			n.logger.LogAttrs(ctx, slog.LevelWarn, "notification will be retried",
				slog.String("item", it.Key), slog.String("finding", it.Finding.ID),
				slog.Time("next_attempt", next), slog.String("error", reason))
		}
	}
	return nil
}

// updateOwned applies fn to an item this worker has leased and clears the
// lease. An item gone or leased by another worker meanwhile is left alone.
func (n *Notifier) updateOwned(ctx context.Context, key string, fn func(*item)) error {
	return n.kv.Update(ctx, BucketOutbox, key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists {
			return nil, false, 0, nil
		}
		var cur item
		if err := json.Unmarshal(old, &cur); err != nil {
			return nil, false, 0, fmt.Errorf("decode item: %w", err)
		}
		if cur.LeaseOwner != n.worker {
			return old, true, 0, nil
		}
		fn(&cur)
		cur.LeaseOwner = ""
		cur.LeaseUntil = time.Time{}
		b, err := json.Marshal(cur)
		if err != nil {
			return nil, false, 0, err
		}
		return b, true, 0, nil
	})
}

// backoff is the wait before retry number attempt (1-based): base·2^(n-1)
// capped at max, of which a random half is jitter.
func (n *Notifier) backoff(attempt int) time.Duration {
	d := n.retryMax
	if attempt-1 < 30 {
		if e := n.retryBase << (attempt - 1); e > 0 && e < d {
			d = e
		}
	}
	n.rngMu.Lock()
	j := time.Duration(n.rng.Int64N(int64(d)/2 + 1))
	n.rngMu.Unlock()
	return d/2 + j
}

// Run delivers queued findings until ctx is done: it flushes, then sleeps
// until the next item is due, the poll interval passes, or Enqueue in this
// process queues something. Errors of one round are logged, not fatal. It
// returns nil when ctx is done.
func (n *Notifier) Run(ctx context.Context) error {
	for {
		res, err := n.Flush(ctx)
		if err != nil && ctx.Err() == nil {
			n.logger.LogAttrs(ctx, slog.LevelError, "flush failed", slog.String("error", err.Error()))
		}
		wait := n.poll
		if !res.Next.IsZero() {
			if d := res.Next.Sub(n.now()); d < wait {
				wait = max(d, 10*time.Millisecond)
			}
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-n.wake:
			t.Stop()
		case <-t.C:
		}
	}
}

// Status is the state of the outbox, for `leakwatch notify status`.
type Status struct {
	// Queued counts items waiting (claiming included), Failed items that
	// failed for good, Sent receipts of delivered items still kept.
	Queued, Failed, Sent int
	// Items are the queued and failed items, oldest first.
	Items []StatusItem
	// Recent are receipts of delivered items, newest first, at most 100.
	Recent []SentItem
}

// StatusItem describes one queued or failed item. It holds no page text:
// only identifiers, counts and times.
type StatusItem struct {
	// Key is the outbox key, as Retry takes it.
	Key string
	// FindingID and Set identify the finding.
	FindingID string
	Set       string
	// State is StateClaiming, StateQueued or StateFailed.
	State string
	// Mode is "single", "digest" or "folded" (over the rate limit).
	Mode string
	// Records is the finding's record count.
	Records int
	// Enqueued is when the item was written.
	Enqueued time.Time
	// Attempts counts failed deliveries so far.
	Attempts int
	// NextAttempt is when the item is due next.
	NextAttempt time.Time
	// LeaseOwner and LeaseUntil show a worker's claim on the item.
	LeaseOwner string
	LeaseUntil time.Time
	// LastError is the last delivery failure (an SMTP reply or a network
	// error), and FailedAt when the item was marked failed.
	LastError string
	FailedAt  time.Time
}

// SentItem is the receipt of one delivered item.
type SentItem struct {
	// Key is the outbox key the item had.
	Key string
	// FindingID and Set identify the finding.
	FindingID string
	Set       string
	// SentAt is when the server accepted the email.
	SentAt time.Time
	// MessageID is the email's Message-ID, without brackets.
	MessageID string
	// Attempts counts delivery attempts, the successful one included.
	Attempts int
	// Digest says the finding went out in a digest or summary email.
	Digest bool
}

// Status reads the outbox and the sent receipts.
func (n *Notifier) Status(ctx context.Context) (Status, error) {
	var st Status
	err := n.kv.Scan(ctx, BucketOutbox, "", func(key string, value []byte) error {
		var it item
		if err := json.Unmarshal(value, &it); err != nil {
			st.Failed++
			st.Items = append(st.Items, StatusItem{Key: key, State: StateFailed, LastError: "undecodable item: " + err.Error()})
			return nil
		}
		switch it.State {
		case StateFailed:
			st.Failed++
		default:
			st.Queued++
		}
		st.Items = append(st.Items, StatusItem{
			Key: it.Key, FindingID: it.Finding.ID, Set: it.Finding.Set, State: it.State, Mode: it.Mode,
			Records: it.Finding.Records, Enqueued: it.Enqueued, Attempts: it.Attempts,
			NextAttempt: it.NextAttempt, LeaseOwner: it.LeaseOwner, LeaseUntil: it.LeaseUntil,
			LastError: it.LastError, FailedAt: it.FailedAt,
		})
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("notify status: scan outbox: %w", err)
	}
	err = n.kv.Scan(ctx, BucketSent, "", func(key string, value []byte) error {
		var r sentReceipt
		if err := json.Unmarshal(value, &r); err != nil {
			return nil
		}
		st.Sent++
		st.Recent = append(st.Recent, SentItem(r))
		return nil
	})
	if err != nil {
		return Status{}, fmt.Errorf("notify status: scan receipts: %w", err)
	}
	slices.Reverse(st.Recent)
	if len(st.Recent) > 100 {
		st.Recent = st.Recent[:100]
	}
	return st, nil
}

// Retry puts a failed item back in the queue, due now, with its attempt
// count reset. It is an error if the item is absent or not failed.
func (n *Notifier) Retry(ctx context.Context, key string) error {
	now := n.now().UTC()
	err := n.kv.Update(ctx, BucketOutbox, key, func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists {
			return nil, false, 0, fmt.Errorf("no outbox item %s", key)
		}
		var cur item
		if err := json.Unmarshal(old, &cur); err != nil {
			return nil, false, 0, fmt.Errorf("decode item: %w", err)
		}
		if cur.State != StateFailed {
			return nil, false, 0, fmt.Errorf("item %s is %s, not failed", key, cur.State)
		}
		cur.State = StateQueued
		cur.Attempts = 0
		cur.NextAttempt = now
		cur.FailedAt = time.Time{}
		b, err := json.Marshal(cur)
		if err != nil {
			return nil, false, 0, err
		}
		return b, true, 0, nil
	})
	if err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return nil
}

package crawler

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/andybalholm/cascadia"
	"github.com/leakwatch/leakwatch/store"
)

// Document is one new item found by a source, handed to the Handler. Its
// Body is UTF-8 text; the crawler never stores it.
type Document struct {
	// Source is the source's name and Kind its kind.
	Source string
	Kind   string
	// URL is where the item can be seen; Key identifies it within the
	// source (a paste key, "post/123", a feed entry's id, a URL).
	URL   string
	Key   string
	Title string
	// Fetched is when the document was fetched (Options.Now).
	Fetched time.Time
	// MediaType is "text/html", "text/plain" or "application/json".
	MediaType string
	// Body is the item's content decoded to UTF-8.
	Body []byte
	// ContentHash is the SHA-256 of Body.
	ContentHash [32]byte
}

// Handler receives new documents. A document is marked seen only after
// HandleDocument returns nil; an error makes the crawler offer it again
// on the source's next visit. The handler must not keep d.Body after it
// returns unless it copies it.
//
// HandleDocument is called concurrently: by up to Options.ItemWorkers
// goroutines within one visit, and by every visit in progress (up to
// Options.Workers), so it must be safe for concurrent use.
type Handler interface {
	HandleDocument(ctx context.Context, d Document) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, d Document) error

// HandleDocument calls f.
func (f HandlerFunc) HandleDocument(ctx context.Context, d Document) error { return f(ctx, d) }

// Options configure a Crawler. Sources, State and Handler are required.
type Options struct {
	Sources []SourceConfig
	// State keeps schedules, seen items, content hashes, validators and
	// health; a store.Store fits.
	State   State
	Handler Handler
	// Logger receives the crawler's logs (default: discarded).
	Logger *slog.Logger
	// Workers is how many sources are visited at once (default 4).
	Workers int
	// ItemWorkers is how many items (pastes, topics, entries) of one
	// visit are fetched and handed over at once (default 4; 1 handles
	// them one after another). Requests to one host stay spaced by its
	// rate whatever this is; what it overlaps is the waiting on the
	// network, the handler and the store (whose writes, from concurrent
	// items, share a transaction: bbolt's Batch, Redis's pipelining).
	ItemWorkers int
	// Now is the clock for schedules, retention and timestamps (default
	// time.Now). Politeness delays always use the real clock.
	Now func() time.Time
	// Retention is how long seen items and content hashes are remembered
	// (default 30 days).
	Retention time.Duration
	// MaxRetries bounds the retries of one request after 429, 5xx or a
	// network error (default 3; -1 for none).
	MaxRetries int
	// RetryBackoff is the first backoff between retries when the server
	// gives no Retry-After (default 1s); it doubles with jitter.
	RetryBackoff time.Duration
	// MaxRetryWait is the longest wait spent inside a visit for one
	// retry or host pause (default 1m); a longer Retry-After ends the
	// visit and postpones the source's next one.
	MaxRetryWait time.Duration
	// Observer, if set, is told about every HTTP request (see
	// FetchObserver); metrics use it.
	Observer FetchObserver
	// Queue is the work queue Run shares with every process on the same
	// store (default: State, when it implements store.Queue, as both
	// stores do). Run fails without one; VisitOnce does not need it.
	Queue store.Queue
	// ReclaimAfter is how long a visit taken from the queue may go
	// without a sign of life before another process takes it over, and
	// the TTL of a visit's lease (default DefaultReclaimAfter). A visit
	// in progress shows life every ReclaimAfter/3, so this bounds how
	// long a dead process's visit waits, not how long a visit may take.
	// Too short, and a live process whose store calls stall for
	// ReclaimAfter·2/3 (a store outage, a long GC pause) loses its visit
	// to another (the visit is then cancelled, not done twice); too
	// long, and a source whose visitor died waits that long.
	ReclaimAfter time.Duration
	// Consumer names this process in the queue (default
	// host/pid/random). It must differ between processes.
	Consumer string
	// MaxVisit is the longest one visit may take (default
	// DefaultMaxVisit). A visit still running then is cancelled and
	// recorded as failed, so a visit hung on something that never
	// answers turns into a failing source, visible in its health,
	// instead of holding the source forever while showing life. It
	// bounds the whole visit, items included: keep it well above
	// max_items divided by the source's rate.
	MaxVisit time.Duration
}

// DefaultMaxVisit is the default of Options.MaxVisit.
const DefaultMaxVisit = 30 * time.Minute

// ErrVisitTooLong is wrapped by the error of a visit cancelled because it
// ran longer than Options.MaxVisit.
var ErrVisitTooLong = errors.New("visit ran longer than its limit")

// DefaultItemWorkers is the default of Options.ItemWorkers.
const DefaultItemWorkers = 4

// DefaultReclaimAfter is the default of Options.ReclaimAfter.
const DefaultReclaimAfter = 30 * time.Second

// Crawler visits sources on their schedules. It is safe for concurrent
// use; Run may be called once at a time.
type Crawler struct {
	opts    Options
	sources []*source
	byName  map[string]*source
	st      *state
	polite  *politeness
	log     *slog.Logger
	running atomic.Bool
}

// source is one configured source, ready to visit.
type source struct {
	cfg   SourceConfig
	f     *fetcher
	visit func(ctx context.Context, v *visit) error
	// html-listing selectors, compiled once
	itemSel, nextSel, contentSel cascadia.Selector
}

// New validates the options and sources and builds a Crawler.
func New(opts Options) (*Crawler, error) {
	if opts.State == nil {
		return nil, errors.New("crawler: options: state is required")
	}
	if opts.Handler == nil {
		return nil, errors.New("crawler: options: handler is required")
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.ItemWorkers <= 0 {
		opts.ItemWorkers = DefaultItemWorkers
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Retention <= 0 {
		opts.Retention = DefaultRetention
	}
	switch {
	case opts.MaxRetries == 0:
		opts.MaxRetries = 3
	case opts.MaxRetries < 0:
		opts.MaxRetries = 0
	}
	if opts.RetryBackoff <= 0 {
		opts.RetryBackoff = time.Second
	}
	if opts.MaxRetryWait <= 0 {
		opts.MaxRetryWait = time.Minute
	}
	if opts.ReclaimAfter <= 0 {
		opts.ReclaimAfter = DefaultReclaimAfter
	}
	if opts.MaxVisit <= 0 {
		opts.MaxVisit = DefaultMaxVisit
	}
	if opts.Queue == nil {
		opts.Queue, _ = opts.State.(store.Queue)
	}
	if opts.Consumer == "" {
		opts.Consumer = defaultConsumer()
	}
	srcs := append([]SourceConfig(nil), opts.Sources...)
	if err := ValidateSources(srcs); err != nil {
		return nil, fmt.Errorf("crawler: %w", err)
	}
	c := &Crawler{
		opts:   opts,
		byName: map[string]*source{},
		st:     &state{kv: opts.State, now: opts.Now, retention: opts.Retention},
		polite: newPoliteness(),
		log:    opts.Logger,
	}
	retry := retryPolicy{max: opts.MaxRetries, base: opts.RetryBackoff, maxWait: opts.MaxRetryWait}
	for i := range srcs {
		s := &source{cfg: srcs[i]}
		f, err := newFetcher(&s.cfg, c.polite, retry, c.log)
		if err != nil {
			return nil, fmt.Errorf("crawler: source %q: %w", s.cfg.Name, err)
		}
		s.f = f
		if opts.Observer != nil {
			instrument(f.client, s.cfg.Name, opts.Observer)
		}
		switch s.cfg.Kind {
		case KindPasteAPI:
			s.visit = visitPasteAPI
		case KindHTMLListing:
			s.visit = visitHTMLListing
			s.itemSel = cascadia.MustCompile(s.cfg.ItemSelector)
			if s.cfg.NextSelector != "" {
				s.nextSel = cascadia.MustCompile(s.cfg.NextSelector)
			}
			if s.cfg.ContentSelector != "" {
				s.contentSel = cascadia.MustCompile(s.cfg.ContentSelector)
			}
		case KindDiscourse:
			s.visit = visitDiscourse
		case KindFeed:
			s.visit = visitFeed
		case KindURL:
			s.visit = visitURL
		}
		c.sources = append(c.sources, s)
		c.byName[s.cfg.Name] = s
	}
	return c, nil
}

// Close releases idle connections. The Crawler must not be used after.
func (c *Crawler) Close() {
	for _, s := range c.sources {
		s.f.close()
	}
}

// VisitStats counts what one visit did.
type VisitStats struct {
	// Fetched counts responses, including 304s.
	Fetched int
	// New counts documents handed to the handler and accepted.
	New int
	// Duplicates counts documents whose content was already handed over.
	Duplicates int
	// Skipped counts items already seen, not fetched again.
	Skipped int
	// Failed counts items that could not be fetched; they are tried again
	// on the next visit.
	Failed int
}

// VisitOnce visits the named source now, whether due or not, and records
// its health and next due time like a scheduled visit; with a queue, the
// source's queued run moves to that time too (and a dead-lettered source
// is revived). It fails without visiting if another visit of the source
// holds its lease.
func (c *Crawler) VisitOnce(ctx context.Context, name string) (VisitStats, error) {
	s := c.byName[name]
	if s == nil {
		return VisitStats{}, fmt.Errorf("crawler: no source named %q", name)
	}
	stats, next, err := c.leasedVisit(ctx, s, false, nil)
	if c.opts.Queue != nil && !errors.Is(err, errBusy) && ctx.Err() == nil {
		// A source that is in the stream now is left to its holder.
		if _, qerr := c.opts.Queue.Schedule(context.WithoutCancel(ctx), QueueName, name, next, store.ScheduleReplace); qerr != nil {
			c.log.Warn("queued run not moved after a visit", "source", name, "err", qerr)
		}
	}
	return stats, err
}

// errBusy means another visit of the source holds its lease.
var errBusy = errors.New("another visit of this source is in progress")

// errLost means the visit's delivery or lease was taken over by another
// process (after it went silent for Options.ReclaimAfter): the visit was
// cancelled and the new holder does it.
var errLost = errors.New("visit taken over by another process")

// leasedVisit takes the source's lease, visits, records health and
// schedule, and returns when the source is next due. With onlyIfDue, a
// source whose stored schedule is not due (another process, or a manual
// visit, visited it) is left alone. d is the queue delivery the visit
// comes from (nil for VisitOnce): it is kept alive with the lease.
//
// The lease is kept although the queue already gives a job to one
// consumer at a time, because the queue alone does not cover two cases:
// VisitOnce (`leakwatch sources visit`, `run --once`) visits outside the
// queue, and a live process that went silent (stalled store calls, a
// paused VM) for ReclaimAfter loses its delivery to another while it may
// still be fetching. The lease's TTL is ReclaimAfter and it is renewed
// just before each Touch, so a dead process's lease has always expired by
// the time its delivery is reclaimed: the lease never delays a takeover.
func (c *Crawler) leasedVisit(ctx context.Context, s *source, onlyIfDue bool, d *store.Delivery) (VisitStats, time.Time, error) {
	name := s.cfg.Name
	token := newToken()
	ttl := c.opts.ReclaimAfter
	// Without the lease, try again after the source's interval (at most
	// a minute): the holder writes the shared schedule when it is done,
	// and the next attempt follows it. Waiting longer would leave a
	// source to whichever process first won it.
	retry := min(time.Duration(s.cfg.Interval), time.Minute)
	ok, err := c.st.acquire(ctx, name, token, ttl)
	if err != nil {
		return VisitStats{}, c.opts.Now().Add(retry), fmt.Errorf("crawler: source %q: %w", name, err)
	}
	if !ok {
		return VisitStats{}, c.opts.Now().Add(retry), fmt.Errorf("crawler: source %q: %w", name, errBusy)
	}
	persist := context.WithoutCancel(ctx)
	defer c.releaseLease(ctx, name, token)
	if d != nil {
		// Idle time restarts after the lease was taken, so the lease
		// expires before the delivery can be reclaimed.
		if err := c.opts.Queue.Touch(ctx, *d); err != nil {
			if errors.Is(err, store.ErrNotOwner) {
				return VisitStats{}, time.Time{}, fmt.Errorf("crawler: source %q: %w", name, errLost)
			}
			return VisitStats{}, c.opts.Now().Add(retry), fmt.Errorf("crawler: source %q: %w", name, err)
		}
	}
	if onlyIfDue {
		sc, ok, err := c.st.schedule(ctx, name)
		if err != nil {
			// A store that failed here (an outage) is tried again as
			// one that failed the acquire: after the interval, at
			// most a minute.
			return VisitStats{}, c.opts.Now().Add(retry), fmt.Errorf("crawler: source %q: %w", name, err)
		}
		if ok && sc.Next.After(c.opts.Now()) {
			return VisitStats{}, sc.Next, nil
		}
	}
	// The deadline also stops keepAlive, so even a visit stuck in a call
	// that ignores its context stops showing life and is taken over
	// after ReclaimAfter.
	tooLong := fmt.Errorf("%w (%s)", ErrVisitTooLong, c.opts.MaxVisit)
	dctx, dcancel := context.WithTimeoutCause(ctx, c.opts.MaxVisit, tooLong)
	defer dcancel()
	vctx, cancel := context.WithCancel(dctx)
	defer cancel()
	var wg sync.WaitGroup
	var lost atomic.Bool
	wg.Go(func() { c.keepAlive(vctx, cancel, &lost, name, token, d) })
	v := newVisit(c, s)
	start := c.opts.Now()
	c.log.Debug("visit starts", "source", name, "kind", s.cfg.Kind)
	verr := v.finish(vctx, s.visit(vctx, v))
	cancel()
	wg.Wait()
	if ctx.Err() == nil && errors.Is(context.Cause(dctx), ErrVisitTooLong) {
		verr = fmt.Errorf("crawler: source %q: %w", name, tooLong)
	}
	if ctx.Err() != nil && verr != nil {
		// shutting down: the visit was cut short, not failed; it stays
		// due, and what it had not handed over is offered next time.
		return v.stats, c.opts.Now(), verr
	}
	if lost.Load() && verr != nil {
		// Taken over: the new holder visits and records; recording a
		// failure here would push its schedule back.
		return v.stats, time.Time{}, fmt.Errorf("crawler: source %q: %w", name, errLost)
	}
	next := c.record(persist, s, v, start, verr)
	if verr != nil {
		c.log.Warn("visit failed", "source", name, "err", verr, "new", v.stats.New, "fetched", v.stats.Fetched)
	} else {
		c.log.Info("visit done", "source", name, "new", v.stats.New, "duplicates", v.stats.Duplicates,
			"skipped", v.stats.Skipped, "fetched", v.stats.Fetched, "took", c.opts.Now().Sub(start).Round(time.Millisecond))
	}
	return v.stats, next, verr
}

// releaseLease drops a visit's lease. When the store cannot be reached (an
// outage), it tries again with a growing pause until it succeeds, ctx ends
// (shutdown: the lease is then left to expire) or the lease would have
// expired anyway. A lease left behind after a short outage would keep
// every process away from the source for up to its TTL once the store is
// back.
func (c *Crawler) releaseLease(ctx context.Context, name, token string) {
	persist := context.WithoutCancel(ctx)
	leaseTTL := c.opts.ReclaimAfter
	deadline := time.Now().Add(leaseTTL)
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		err := c.st.release(persist, name, token)
		if err == nil {
			if attempt > 1 {
				c.log.Info("lease released after the store came back", "source", name, "attempts", attempt)
			}
			return
		}
		if attempt == 1 {
			c.log.Warn("lease release failed; retrying", "source", name, "err", err)
		}
		if ctx.Err() != nil || time.Now().Add(pause).After(deadline) {
			c.log.Warn("lease release given up; it expires by itself", "source", name, "within", leaseTTL, "err", err)
			return
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
		pause = min(2*pause, 5*time.Second)
	}
}

// keepAlive renews the lease and then touches the delivery (if any),
// every ReclaimAfter/3, until ctx ends. If either fails, the visit is
// cancelled: another process may have taken it over (lost is then set),
// or the store is unreachable, in which case it soon may.
func (c *Crawler) keepAlive(ctx context.Context, cancel context.CancelFunc, lost *atomic.Bool, name, token string, d *store.Delivery) {
	ttl := c.opts.ReclaimAfter
	t := time.NewTicker(ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := c.st.renew(ctx, name, token, ttl)
		if err == nil && d != nil {
			err = c.opts.Queue.Touch(ctx, *d)
		}
		if err != nil && ctx.Err() == nil {
			if errors.Is(err, errNotOurs) || errors.Is(err, store.ErrNotOwner) {
				lost.Store(true)
			}
			c.log.Error("visit no longer held, stopping it", "source", name, "err", err)
			cancel()
			return
		}
	}
}

// record stores the visit's outcome in health and schedule and returns the
// next due time.
func (c *Crawler) record(ctx context.Context, s *source, v *visit, start time.Time, verr error) time.Time {
	name := s.cfg.Name
	now := c.opts.Now()
	sc, _, err := c.st.schedule(ctx, name)
	if err != nil {
		c.log.Warn("schedule read failed", "source", name, "err", err)
	}
	interval := time.Duration(s.cfg.Interval)
	if verr == nil {
		sc.Failures = 0
		sc.Next = now.Add(jittered(interval, s.cfg.Jitter.span(interval)))
	} else {
		sc.Failures++
		sc.Next = now.Add(failureDelay(interval, sc.Failures))
		if rl := (*RetryLaterError)(nil); errors.As(verr, &rl) && rl.Until.After(sc.Next) {
			sc.Next = rl.Until
		}
	}
	if err := c.st.saveSchedule(ctx, name, sc); err != nil {
		c.log.Warn("schedule write failed", "source", name, "err", err)
	}
	err = c.st.updateHealth(ctx, name, func(h *SourceHealth) {
		h.Kind = s.cfg.Kind
		h.LastVisit = start
		h.ItemsSeen += int64(v.stats.New)
		if v.stats.New > 0 {
			h.LastNewItem = v.lastNew
		}
		if verr == nil {
			h.LastSuccess = now
			h.ConsecutiveFailures = 0
			h.LastError = ""
			return
		}
		h.ConsecutiveFailures = sc.Failures
		h.LastError = healthText(verr)
		h.LastErrorAt = now
	})
	if err != nil {
		c.log.Warn("health write failed", "source", name, "err", err)
	}
	return sc.Next
}

// healthText is an error as stored in health: the crawler's own messages
// (which name URLs and statuses, never page text), with a handler's
// message replaced, since a handler may quote what it was given.
func healthText(err error) string {
	var he *handlerError
	if errors.As(err, &he) {
		return fmt.Sprintf("source %q: handler failed on %s", he.source, he.url)
	}
	s := err.Error()
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

// jittered returns interval ± a random part of span.
func jittered(interval, span time.Duration) time.Duration {
	if span <= 0 {
		return interval
	}
	return interval - span + mrand.N(2*span+1)
}

// failureDelay is the wait after n consecutive failed visits: the
// interval doubled per failure, at most max(interval, 6h), with jitter.
func failureDelay(interval time.Duration, n int) time.Duration {
	ceiling := max(interval, 6*time.Hour)
	return backoff(interval, n, ceiling)
}

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Health returns every configured source's health, in configuration order.
func (c *Crawler) Health(ctx context.Context) ([]SourceHealth, error) {
	out := make([]SourceHealth, 0, len(c.sources))
	for _, s := range c.sources {
		h, err := c.st.health(ctx, s.cfg.Name)
		if err != nil {
			return nil, fmt.Errorf("crawler: health of source %q: %w", s.cfg.Name, err)
		}
		h.Source, h.Kind = s.cfg.Name, s.cfg.Kind
		sc, _, err := c.st.schedule(ctx, s.cfg.Name)
		if err != nil {
			return nil, fmt.Errorf("crawler: schedule of source %q: %w", s.cfg.Name, err)
		}
		h.NextDue = sc.Next
		out = append(out, h)
	}
	return out, nil
}

// Purge deletes the configured sources' seen items, content hashes and
// validators older than the retention, and returns how many it deleted.
// Run purges hourly; a store's own TTLs reclaim the same entries
// eventually, Purge does it by the crawler's clock.
func (c *Crawler) Purge(ctx context.Context) (int, error) {
	total := 0
	for _, s := range c.sources {
		n, err := c.st.purge(ctx, s.cfg.Name)
		total += n
		if err != nil {
			return total, fmt.Errorf("crawler: purge source %q: %w", s.cfg.Name, err)
		}
	}
	return total, nil
}

// visit is one visit of a source: the helpers the kinds share. The
// listing of a visit is read by one goroutine, which admits items and
// hands them to an itemPool; the fields under mu are shared with the
// pool's workers.
type visit struct {
	c *Crawler
	s *source

	// owned by the goroutine reading the listing
	budget   int
	admitted map[string]bool // items admitted in this visit

	mu         sync.Mutex
	stats      VisitStats
	incomplete bool // items were left for the next visit
	firstErr   error
	pending    map[string]validators
	lastNew    time.Time
	hashes     map[[32]byte]chan struct{} // content being handed over now
}

func newVisit(c *Crawler, s *source) *visit {
	return &visit{
		c: c, s: s, budget: s.cfg.MaxItems,
		admitted: map[string]bool{},
		pending:  map[string]validators{},
		hashes:   map[[32]byte]chan struct{}{},
	}
}

// fetch gets a URL for the source. With conditional, stored validators
// make the request conditional, and new validators are saved once the
// whole visit succeeded.
func (v *visit) fetch(ctx context.Context, url string, conditional bool) (*page, error) {
	var cond validators
	if conditional {
		var err error
		if cond, err = v.c.st.validators(ctx, v.s.cfg.Name, url); err != nil {
			return nil, fmt.Errorf("source %q: %w", v.s.cfg.Name, err)
		}
	}
	p, err := v.s.f.get(ctx, url, cond)
	if err != nil {
		return nil, err
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	v.stats.Fetched++
	if conditional && !p.NotModified && !p.Validators.empty() && len(v.pending) < 64 {
		v.pending[url] = p.Validators
	}
	return p, nil
}

// admit decides whether a listed item is visited now: it is not when it
// was seen before or already admitted in this visit (a listing naming it
// twice). stop is true when the visit's budget is spent: the rest of the
// listing waits for the next visit. Only the goroutine reading the
// listing calls admit, in listing order, so the budget goes to the
// oldest items first.
func (v *visit) admit(ctx context.Context, key string) (ok, stop bool, err error) {
	if v.admitted[key] {
		return false, false, nil
	}
	seen, err := v.seen(ctx, key)
	if err != nil || seen {
		return false, false, err
	}
	if v.budget <= 0 {
		v.setIncomplete()
		return false, true, nil
	}
	v.budget--
	v.admitted[key] = true
	return true, false, nil
}

// setIncomplete records that items were left for the next visit, so the
// visit's validators are not saved.
func (v *visit) setIncomplete() {
	v.mu.Lock()
	v.incomplete = true
	v.mu.Unlock()
}

// seen reports whether the source already handled an item.
func (v *visit) seen(ctx context.Context, key string) (bool, error) {
	ok, err := v.c.st.seen(ctx, v.s.cfg.Name, key)
	if err != nil {
		return false, fmt.Errorf("source %q: %w", v.s.cfg.Name, err)
	}
	if ok {
		v.mu.Lock()
		v.stats.Skipped++
		v.mu.Unlock()
	}
	return ok, nil
}

// markSeen records items as handled. It is not cancelled with the visit:
// once a handler accepted a document, forgetting that would re-deliver it.
func (v *visit) markSeen(ctx context.Context, keys ...string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, k := range keys {
		if err := v.c.st.markSeen(ctx, v.s.cfg.Name, k); err != nil {
			return fmt.Errorf("source %q: %w", v.s.cfg.Name, err)
		}
	}
	return nil
}

// handlerError is a Handler's refusal of a document.
type handlerError struct {
	source, url string
	err         error
}

// Error names the source and the document's URL, then the handler's error.
func (e *handlerError) Error() string {
	return fmt.Sprintf("source %q: handler failed on %s: %v", e.source, e.url, e.err)
}

// Unwrap returns the handler's error.
func (e *handlerError) Unwrap() error { return e.err }

// lockHash waits until no other item of the visit is handing over the
// same content, and claims it: two items with the same content, handled
// at once, must not both reach the handler. unlock releases the claim.
func (v *visit) lockHash(ctx context.Context, h [32]byte) (unlock func(), err error) {
	for {
		v.mu.Lock()
		busy, ok := v.hashes[h]
		if !ok {
			done := make(chan struct{})
			v.hashes[h] = done
			v.mu.Unlock()
			return func() {
				v.mu.Lock()
				delete(v.hashes, h)
				v.mu.Unlock()
				close(done)
			}, nil
		}
		v.mu.Unlock()
		select {
		case <-busy:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// deliver hands a document to the handler unless its content was already
// handed over, then marks its content and keys seen.
func (v *visit) deliver(ctx context.Context, d Document, keys ...string) error {
	name := v.s.cfg.Name
	d.Source, d.Kind = name, v.s.cfg.Kind
	d.Fetched = v.c.opts.Now()
	d.ContentHash = sha256.Sum256(d.Body)
	unlock, err := v.lockHash(ctx, d.ContentHash)
	if err != nil {
		return err
	}
	defer unlock()
	dup, err := v.c.st.hashSeen(ctx, name, d.ContentHash)
	if err != nil {
		return fmt.Errorf("source %q: %w", name, err)
	}
	if dup {
		v.mu.Lock()
		v.stats.Duplicates++
		v.mu.Unlock()
		return v.markSeen(ctx, keys...)
	}
	if err := v.c.opts.Handler.HandleDocument(ctx, d); err != nil {
		return &handlerError{source: name, url: d.URL, err: err}
	}
	v.mu.Lock()
	v.stats.New++
	if d.Fetched.After(v.lastNew) {
		v.lastNew = d.Fetched
	}
	v.mu.Unlock()
	// The content hash and the keys are written at once, so a store
	// that batches concurrent writes (bbolt) commits them together.
	// Either order is safe: both follow the handler's nil.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	hashErr := make(chan error, 1)
	go func() { hashErr <- v.c.st.markHash(pctx, name, d.ContentHash) }()
	seenErr := v.markSeen(ctx, keys...)
	if err := <-hashErr; err != nil {
		return fmt.Errorf("source %q: %w", name, err)
	}
	return seenErr
}

// itemFailed records an item that could not be fetched and says whether
// the visit must stop: when the host asked for a pause, an address was
// refused or the visit was cancelled. Gone items (404, 410) are marked
// seen so they are not fetched again.
func (v *visit) itemFailed(ctx context.Context, key string, err error) error {
	var se *StatusError
	if errors.As(err, &se) && (se.Code == 404 || se.Code == 410) {
		v.c.log.Info("item gone", "source", v.s.cfg.Name, "err", err)
		return v.markSeen(ctx, key)
	}
	if errors.Is(err, ErrDisallowed) {
		v.c.log.Info("item disallowed by robots.txt", "source", v.s.cfg.Name, "err", err)
		return nil
	}
	var rl *RetryLaterError
	if ctx.Err() != nil || errors.As(err, &rl) || errors.Is(err, ErrAddressRefused) {
		return err
	}
	v.mu.Lock()
	v.stats.Failed++
	if v.firstErr == nil {
		v.firstErr = err
	}
	v.mu.Unlock()
	v.c.log.Warn("item failed", "source", v.s.cfg.Name, "err", err)
	return nil
}

// finish turns failed items into the visit's error and, after a complete
// and successful visit, saves the validators of the pages fetched. It
// runs after every item of the visit has returned.
func (v *visit) finish(ctx context.Context, err error) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	if err == nil && v.firstErr != nil {
		err = fmt.Errorf("%d items failed, first: %w", v.stats.Failed, v.firstErr)
	}
	if err != nil || v.incomplete {
		return err
	}
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for u, val := range v.pending {
		if err := v.c.st.saveValidators(pctx, v.s.cfg.Name, u, val); err != nil {
			return fmt.Errorf("source %q: %w", v.s.cfg.Name, err)
		}
	}
	return nil
}

// itemPool runs the items of one visit on at most Options.ItemWorkers
// goroutines. The first item that stops the visit (an error that is not
// just this item's failure: a handler's refusal, a host's pause, a
// cancelled visit) ends the dispatching; the items already started run to
// their end (they share the visit's context, so a cancelled visit stops
// them too), as the items before it would have, one at a time. Close
// waits for every item and returns that error.
type itemPool struct {
	ctx     context.Context
	slots   chan struct{}
	stopped chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	err     error
}

// items starts the visit's item pool under ctx.
func (v *visit) items(ctx context.Context) *itemPool {
	return &itemPool{ctx: ctx, slots: make(chan struct{}, v.c.opts.ItemWorkers), stopped: make(chan struct{})}
}

// stop records the error that ends the visit, if it is the first.
func (p *itemPool) stop(err error) {
	if err == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.err == nil {
		p.err = err
		close(p.stopped)
	}
}

// done reports whether the pool has stopped or the visit was cancelled,
// recording the cancellation.
func (p *itemPool) done() bool {
	select {
	case <-p.stopped:
		return true
	default:
	}
	if err := p.ctx.Err(); err != nil {
		p.stop(err)
		return true
	}
	return false
}

// Go runs fn on a free worker, waiting for one. It returns false, without
// running fn, once the pool is stopped: the caller stops dispatching and
// calls Close. With one worker, fn runs on the caller's goroutine.
func (p *itemPool) Go(fn func(ctx context.Context) error) bool {
	select {
	case p.slots <- struct{}{}:
	case <-p.stopped:
		return false
	case <-p.ctx.Done():
		p.stop(p.ctx.Err())
		return false
	}
	if p.done() {
		<-p.slots
		return false
	}
	if cap(p.slots) == 1 {
		defer func() { <-p.slots }()
		err := fn(p.ctx)
		p.stop(err)
		return err == nil
	}
	p.wg.Go(func() {
		defer func() { <-p.slots }()
		p.stop(fn(p.ctx))
	})
	return true
}

// Close stops the pool with err (the dispatcher's own error, or nil),
// waits for the items in progress and returns the first error that
// stopped the visit.
func (p *itemPool) Close(err error) error {
	p.stop(err)
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}

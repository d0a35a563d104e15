package crawler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// How Run shares the crawl among processes.
//
// Every source is a job in the store's work queue named QueueName (see
// store.Queue). The queue holds each source in one place: scheduled (by
// next due time), ready, or pending with one process. Each process runs:
//
//   - at start, and every ensureEvery, Schedule(ScheduleIfAbsent) of each
//     configured source, due at its stored schedule (or now, with the
//     first-visit jitter): the first process adds it, the others find it
//     there;
//   - one promoter, which moves due sources into the stream (one script:
//     each due source is enqueued once however many processes promote),
//     sleeping until the earliest due time, at most promoteEvery;
//   - Options.Workers workers, each of which claims a source (a delivery
//     idle for ReclaimAfter first: its process died or went silent), takes
//     its lease, visits it while renewing the lease and touching the
//     delivery every ReclaimAfter/3, and finishes it with Done and the
//     next due time (interval ± jitter, the failure backoff, or a later
//     Retry-After), which moves it back to the schedule atomically.
//
// A killed process's deliveries are claimed by another process once idle
// for ReclaimAfter, which the next Claim of an idle worker notices (a
// worker waits for new work at most claimBlock, ReclaimAfter/4): a dead
// process's source is visited again within about 1.25·ReclaimAfter.
//
// On shutdown (ctx cancelled), a visit in progress is cut short and its
// delivery finished with next due = now, so another process takes it at
// once, rather than left pending for ReclaimAfter: what it had not handed
// over is offered again by the next visit.

// QueueName is the name of the crawl's work queue in the store.
const QueueName = "crawl"

const (
	// promoteEvery is the longest the promoter sleeps: the longest a job
	// another process scheduled earlier than anything this one knew of
	// may wait past its due time.
	promoteEvery = time.Second
	// promoteBatch bounds the jobs one Promote moves.
	promoteBatch = 100
	// ensureEvery is how often every configured source is scheduled
	// again if absent: it re-adds a source that a process without it in
	// its configuration dropped (during a rolling change of the
	// configuration).
	ensureEvery = 5 * time.Minute
	// maxDeliveries is how often one queued visit is delivered before it
	// is dead-lettered: that many processes died (or went silent) in the
	// middle of it.
	maxDeliveries = 5
	// purgeEvery is how often Run purges, at most: a Retention shorter
	// than four of it purges every quarter of the Retention.
	purgeEvery = time.Hour
)

// defaultConsumer names this process: host/pid/random.
func defaultConsumer() string {
	host, _ := os.Hostname()
	if host == "" {
		host = "unknown"
	}
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), newToken()[:8])
}

// claimBlock is how long an idle worker waits for new work in one Claim.
func (c *Crawler) claimBlock() time.Duration {
	return min(2*time.Second, c.opts.ReclaimAfter/4)
}

// Consumer returns the name this crawler's process has in the queue.
func (c *Crawler) Consumer() string { return c.opts.Consumer }

// ReclaimAfter returns the reclaim timeout in use.
func (c *Crawler) ReclaimAfter() time.Duration { return c.opts.ReclaimAfter }

// QueueStats describes the crawl queue (nil error and zero stats without a
// queue).
func (c *Crawler) QueueStats(ctx context.Context) (store.QueueStats, error) {
	if c.opts.Queue == nil {
		return store.QueueStats{}, nil
	}
	s, err := c.opts.Queue.Stats(ctx, QueueName, c.opts.Now())
	if err != nil {
		return s, fmt.Errorf("crawler: %w", err)
	}
	return s, nil
}

// ReadQueue describes the crawl queue of a store, for callers without a
// Crawler (`leakwatch status`).
func ReadQueue(ctx context.Context, q store.Queue, now time.Time) (store.QueueStats, error) {
	s, err := q.Stats(ctx, QueueName, now)
	if err != nil {
		return s, fmt.Errorf("crawler: %w", err)
	}
	return s, nil
}

// Run visits every source when it is due, at most Options.Workers at once,
// sharing the sources with every other process on the same store through
// its work queue, until ctx is cancelled; then it stops the visits in
// progress (items not yet handled are offered again by the next visit),
// hands them back to the queue, and returns nil. Schedules are stored, so
// a restarted crawler resumes where it left off. A failing source is
// retried later with a growing delay while the others go on.
func (c *Crawler) Run(ctx context.Context) error {
	if c.opts.Queue == nil {
		return errors.New("crawler: run: no work queue (the state does not implement store.Queue and Options.Queue is not set)")
	}
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("crawler: run: already running")
	}
	defer c.running.Store(false)
	if err := c.ensureScheduled(ctx); err != nil {
		return fmt.Errorf("crawler: run: %w", err)
	}
	c.log.Info("crawler started", "consumer", c.opts.Consumer, "workers", c.opts.Workers, "reclaim_after", c.opts.ReclaimAfter)
	var wg sync.WaitGroup
	wg.Go(func() { c.promote(ctx) })
	for range c.opts.Workers {
		wg.Go(func() { c.work(ctx) })
	}
	wg.Wait()
	c.log.Info("crawler stopped")
	return nil
}

// ensureScheduled schedules every configured source that is nowhere in
// the queue, due at its stored schedule, or now (plus the first-visit
// jitter) if it has none.
func (c *Crawler) ensureScheduled(ctx context.Context) error {
	now := c.opts.Now()
	for _, s := range c.sources {
		name := s.cfg.Name
		sc, ok, err := c.st.schedule(ctx, name)
		if err != nil {
			return fmt.Errorf("source %q: %w", name, err)
		}
		due := sc.Next
		if !ok {
			iv := time.Duration(s.cfg.Interval)
			due = now.Add(max(0, jittered(0, s.cfg.Jitter.span(iv))))
		}
		added, err := c.opts.Queue.Schedule(ctx, QueueName, name, due, store.ScheduleIfAbsent)
		if err != nil {
			return fmt.Errorf("source %q: %w", name, err)
		}
		if added {
			c.log.Debug("source scheduled", "source", name, "due", due)
		}
	}
	return nil
}

// promote moves due sources into the queue's stream until ctx ends, and
// does the periodic chores: scheduling absent sources, purging.
func (c *Crawler) promote(ctx context.Context) {
	lastEnsure, lastPurge := time.Now(), time.Time{}
	var purging atomic.Bool
	var purges sync.WaitGroup
	defer purges.Wait()
	failing := false
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		if time.Since(lastPurge) >= min(purgeEvery, c.opts.Retention/4) && purging.CompareAndSwap(false, true) {
			// Off the promoting loop: a purge of many entries must not
			// hold up due visits.
			lastPurge = time.Now()
			purges.Go(func() {
				defer purging.Store(false)
				if n, err := c.Purge(ctx); err != nil && ctx.Err() == nil {
					c.log.Warn("purge failed", "err", err)
				} else if n > 0 {
					c.log.Info("purged expired crawl state", "entries", n)
				}
			})
		}
		if time.Since(lastEnsure) >= ensureEvery {
			lastEnsure = time.Now()
			if err := c.ensureScheduled(ctx); err != nil && ctx.Err() == nil {
				c.log.Warn("scheduling the configured sources failed", "err", err)
			}
		}
		now := c.opts.Now()
		n, next, err := c.opts.Queue.Promote(ctx, QueueName, now, promoteBatch)
		wait := promoteEvery
		switch {
		case err != nil:
			if ctx.Err() != nil {
				return
			}
			if !failing {
				c.log.Warn("promoting due sources failed; retrying", "err", err)
			}
			failing = true
			wait, pause = pause, min(2*pause, 5*time.Second)
		case n == promoteBatch:
			wait = 0
		case !next.IsZero():
			wait = min(wait, max(next.Sub(now), 10*time.Millisecond))
		}
		if err == nil {
			if failing {
				c.log.Info("promoting due sources again")
			}
			failing, pause = false, 100*time.Millisecond
		}
		if n > 0 {
			c.log.Debug("sources due", "count", n)
		}
		sleep(ctx, wait)
	}
}

// work claims and visits sources until ctx ends.
func (c *Crawler) work(ctx context.Context) {
	o := store.ClaimOptions{ReclaimAfter: c.opts.ReclaimAfter, Block: c.claimBlock(), MaxDeliveries: maxDeliveries}
	failing := false
	pause := 100 * time.Millisecond
	for ctx.Err() == nil {
		d, err := c.opts.Queue.Claim(ctx, QueueName, c.opts.Consumer, o)
		if err != nil {
			if ctx.Err() != nil {
				return
			}
			if !failing {
				c.log.Warn("claiming a visit failed; retrying", "err", err)
			}
			failing = true
			sleep(ctx, pause)
			pause = min(2*pause, 5*time.Second)
			continue
		}
		if failing {
			c.log.Info("claiming visits again")
			failing, pause = false, 100*time.Millisecond
		}
		if d != nil {
			c.visitDelivery(ctx, *d)
		}
	}
}

// visitDelivery visits the source a delivery names and finishes the
// delivery with the source's next due time.
func (c *Crawler) visitDelivery(ctx context.Context, d store.Delivery) {
	s := c.byName[d.Job]
	if s == nil {
		c.log.Warn("queued source is not in the configuration; dropped from the queue", "source", d.Job)
		c.finish(ctx, d, time.Time{})
		return
	}
	if d.Deliveries > 1 {
		c.log.Info("visit taken over from a silent worker", "source", d.Job, "delivery", d.Deliveries)
	}
	_, next, err := c.leasedVisit(ctx, s, true, &d)
	switch {
	case errors.Is(err, errLost):
		c.log.Warn("visit taken over by another worker", "source", d.Job)
		return
	case errors.Is(err, errBusy):
		c.log.Debug("source busy elsewhere", "source", d.Job, "retry", next)
	case err != nil && ctx.Err() != nil:
		c.log.Info("visit cut short by shutdown; handed back to the queue", "source", d.Job)
	}
	c.finish(ctx, d, next)
}

// finish finishes a delivery (Done), retrying through a store outage for
// up to ReclaimAfter: after that another process may reclaim it, and will
// find the stored schedule that the visit wrote. During shutdown it tries
// for a few seconds only.
func (c *Crawler) finish(ctx context.Context, d store.Delivery, next time.Time) {
	persist := context.WithoutCancel(ctx)
	deadline := time.Now().Add(c.opts.ReclaimAfter)
	if ctx.Err() != nil {
		deadline = time.Now().Add(5 * time.Second)
	}
	pause := 100 * time.Millisecond
	for attempt := 1; ; attempt++ {
		dctx, cancel := context.WithTimeout(persist, 5*time.Second)
		err := c.opts.Queue.Done(dctx, d, next)
		cancel()
		switch {
		case err == nil:
			if attempt > 1 {
				c.log.Info("visit finished in the queue after the store came back", "source", d.Job, "attempts", attempt)
			}
			return
		case errors.Is(err, store.ErrNotOwner):
			c.log.Warn("visit finished after another worker took it over", "source", d.Job, "err", err)
			return
		}
		if attempt == 1 {
			c.log.Warn("finishing a visit in the queue failed; retrying", "source", d.Job, "err", err)
		}
		if time.Now().Add(pause).After(deadline) {
			c.log.Warn("finishing a visit given up; another worker will take it over", "source", d.Job, "within", c.opts.ReclaimAfter, "err", err)
			return
		}
		time.Sleep(pause)
		pause = min(2*pause, 5*time.Second)
	}
}

// sleep waits for d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	if d <= 0 {
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}

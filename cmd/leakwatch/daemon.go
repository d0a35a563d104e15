package main

// The daemon's lifecycle, in one place.
//
//  1. Read the config and check all of it (sources, notify, limits); every
//     problem is reported at once, naming the file and field. Exit 2.
//  2. Open the store (Redis unreachable at start is an error, exit 2) and
//     load the fingerprint key (refused if others can read it).
//  3. Build the matcher from the sets. With no set loaded yet the daemon
//     still starts, warns, and refuses documents until one appears; the
//     crawler offers them again later, so nothing is lost.
//  4. Bind the HTTP address (listen; loopback unless listen_public), so
//     a busy port fails the start. Exit 2.
//  5. Run, until stopped: the crawler (each source on its schedule,
//     resuming the stored schedule after a restart, sharing the sources
//     with the other workers on the same store through its work queue;
//     a killed worker's visit is taken over after `reclaim`), the notifier
//     (delivering the outbox), the set watcher (rebuilding the matcher
//     when a set is loaded, replaced or removed, without a restart; a
//     removed set stops being matched at once), the stall watcher
//     (flagging sources that keep failing or yield nothing new, and
//     emailing the operator once per stall), the HTTP side (status page,
//     /metrics, /healthz, /readyz) and housekeeping (hourly: purge expired
//     seen-items and findings older than findings_retention, sweep
//     expired keys).
//  6. The first SIGINT or SIGTERM stops new visits and waits up to
//     shutdownGrace for visits and sends in flight; the HTTP server
//     finishes the requests in flight (httpShutdownGrace) and closes; the
//     store is closed and the exit code is 0. A second signal kills the process at once
//     (the default action, restored after the first). Everything in
//     flight is safe to lose: items are marked seen only after they were
//     matched and recorded, the outbox is in the store.
//  7. A component that fails for good (the crawler cannot run, the HTTP
//     server stops serving) stops the others and the daemon exits 2.
//
// With --once, there is no HTTP side and step 5 is one visit of every
// source and one delivery of the outbox, then exit: for cron, and for
// tests.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/notify"
	"github.com/leakwatch/leakwatch/store"
	"golang.org/x/sync/errgroup"
)

const (
	shutdownGrace = 30 * time.Second
	housekeeping  = time.Hour
)

// daemon is a running leakwatch: what `run` starts.
type daemon struct {
	cfg      *daemonConfig
	st       store.Store
	pipe     *pipeline
	crawler  *crawler.Crawler
	notifier *notify.Notifier
	mailer   *notify.Mailer // stall emails; nil without notify
	started  time.Time
	fetch    *fetchMetrics
	// beat is this process's heartbeat record; its ID is also the
	// crawler's consumer name in the work queue.
	beat workerBeat

	stallEmails stallCounters
	httpLn      net.Listener // nil: no HTTP side
	httpSrv     *http.Server
}

// startDaemon does steps 1 to 3.
func startDaemon(ctx context.Context, e *env, cfg *daemonConfig) (*daemon, error) {
	if e.dataDir == "" {
		e.dataDir = cfg.Data
	}
	if e.redisURL == "" {
		e.redisURL = cfg.Redis
	}
	if e.keyPath == "" {
		e.keyPath = cfg.Key
	}
	if e.oprfKeyPath == "" && cfg.KeyService != nil {
		e.oprfKeyPath = cfg.KeyService.OPRFKey // to match the sets loaded blind
	}
	key, err := e.loadKey()
	if err != nil {
		return nil, err
	}
	st, err := e.openStore(ctx)
	if err != nil {
		return nil, err
	}
	d := &daemon{cfg: cfg, st: st, started: time.Now(), fetch: newFetchMetrics()}
	d.beat = newWorkerBeat(d.started, len(cfg.Sources))
	fail := func(err error) (*daemon, error) {
		st.Close()
		return nil, err
	}
	d.pipe = &pipeline{st: st, key: key, sets: cfg.Sets, window: cfg.Window, log: e.log, now: time.Now,
		retention: time.Duration(cfg.FindingsRetention)}
	if d.pipe.retention <= 0 {
		d.pipe.retention = defaultFindingsRetention
	}
	if cfg.Notify != nil {
		var opts []notify.Option
		if _, embedded := st.(*store.Bolt); embedded {
			// One process at a time holds the embedded store: an email
			// a killed daemon was sending is sent again at once.
			opts = append(opts, notify.WithSoleWorker())
		}
		if d.notifier, err = notify.New(st, *cfg.Notify, e.log, opts...); err != nil {
			return fail(fmt.Errorf("notify: %w", err))
		}
		if d.mailer, err = notify.NewMailer(cfg.Notify.SMTP, e.log); err != nil {
			return fail(fmt.Errorf("notify: %w", err))
		}
		d.pipe.notifier = d.notifier
		if cfg.Notify.OperatorKey != "" {
			if d.pipe.opPub, err = notify.LoadOperatorPublicKey(cfg.Notify.OperatorKey); err != nil {
				return fail(fmt.Errorf("notify: operator_key: %w", err))
			}
		}
	}
	if err := d.pipe.reload(ctx); err != nil {
		if !errors.Is(err, errNoSets) {
			return fail(err)
		}
		e.log.Warn("no sets loaded yet: documents wait until one is", "hint", "leakwatch sets load NAME FILE --schema SPEC")
	}
	d.crawler, err = crawler.New(crawler.Options{
		Sources: cfg.crawlerSources(), State: st, Handler: d.pipe, Logger: e.log,
		Workers: cfg.Workers, Retention: time.Duration(cfg.Retention), Observer: d.fetch,
		ReclaimAfter: time.Duration(cfg.Reclaim), Consumer: d.beat.ID, MaxVisit: time.Duration(cfg.MaxVisit),
	})
	if err != nil {
		return fail(err)
	}
	d.fetch.touch(cfg.Sources)
	return d, nil
}

// run does step 5 until ctx ends, then step 6. listenHTTP must have
// been called for the HTTP side to run.
func (d *daemon) run(ctx context.Context) error {
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return d.crawler.Run(gctx) })
	if d.notifier != nil {
		g.Go(func() error { return d.notifier.Run(gctx) })
	}
	g.Go(func() error { d.pipe.watchSets(gctx, time.Duration(d.cfg.Reload)); return nil })
	g.Go(func() error { d.watchStalls(gctx); return nil })
	g.Go(func() error { d.housekeep(gctx); return nil })
	g.Go(func() error { d.heartbeat(gctx); return nil })
	if d.httpSrv != nil {
		g.Go(func() error { return d.serveHTTP(gctx) })
	}
	done := make(chan error, 1)
	go func() { done <- g.Wait() }()
	select {
	case err := <-done:
		if ctx.Err() == nil && err != nil {
			return err
		}
		return nil
	case <-ctx.Done():
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	case <-time.After(shutdownGrace):
		return fmt.Errorf("components did not stop within %s of the signal", shutdownGrace)
	}
}

// once visits every source once and delivers the outbox.
func (d *daemon) once(ctx context.Context) (visited, items int, err error) {
	for _, s := range d.cfg.Sources {
		vs, err := d.crawler.VisitOnce(ctx, s.Name)
		if err != nil {
			return visited, items, fmt.Errorf("source %q: %w", s.Name, err)
		}
		visited++
		items += vs.New
	}
	if d.notifier != nil {
		if _, err := d.notifier.Flush(ctx); err != nil {
			return visited, items, fmt.Errorf("delivering notifications: %w", err)
		}
	}
	return visited, items, nil
}

func (d *daemon) housekeep(ctx context.Context) {
	t := time.NewTicker(housekeeping)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := d.crawler.Purge(ctx); err != nil {
			d.pipe.log.Warn("purging seen items", "err", err)
		} else if n > 0 {
			d.pipe.log.Info("purged expired seen items", "count", n)
		}
		if n, err := d.pipe.purgeFindings(ctx); err != nil {
			d.pipe.log.Warn("purging expired findings", "err", err)
		} else if n > 0 {
			d.pipe.log.Info("purged findings older than findings_retention", "count", n)
		}
		if b, ok := d.st.(*store.Bolt); ok {
			if _, err := b.Sweep(ctx); err != nil {
				d.pipe.log.Warn("sweeping expired keys", "err", err)
			}
		}
	}
}

func (d *daemon) close() {
	if d.httpLn != nil {
		d.httpLn.Close() // if run never served it
	}
	d.crawler.Close()
	d.st.Close()
}

package crawler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// runFor runs c until stop returns true or limit passes, and checks that
// Run returns promptly after cancellation.
func runFor(t *testing.T, c *Crawler, limit time.Duration, stop func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && (stop == nil || !stop()) {
		time.Sleep(50 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return within 5s of cancellation")
	}
}

func TestRunHostileSourcesFailAloneWhileOthersGoOn(t *testing.T) {
	pastes := fixtures.NewPasteSite()
	defer pastes.Close()
	forum := fixtures.NewForum(fixtures.ForumOptions{})
	defer forum.Close()
	hs := fixtures.NewHostile()
	defer hs.Close()
	storm := fixtures.NewHostile() // a 429 pauses its whole host, so on its own
	defer storm.Close()
	storm.SetRetryAfter("3600")
	pastes.Publish("p1", "run paste one")
	forum.Post("topic", "alice", "run forum post")

	every := func(s *SourceConfig) { s.Interval = Duration(time.Second); s.Jitter = Jitter{Fraction: 0.05} }
	hostile := func(srv *fixtures.Hostile, path string) SourceConfig {
		return loopSource("hostile"+strings.ReplaceAll(path, "/", "-"), KindURL, srv.URL+path, every, func(s *SourceConfig) { s.Timeout = Duration(time.Second) })
	}
	srcs := []SourceConfig{
		loopSource("pastes", KindPasteAPI, pastes.URL+"/api_scraping.php", every),
		loopSource("forum", KindHTMLListing, forum.ListingURL(), every, func(s *SourceConfig) {
			s.ItemSelector = `a.topictitle, dd.lastpost a[href*="#p"]`
			s.ContentSelector = "div[id^=p] .content"
		}),
		hostile(hs, "/drip"), hostile(hs, "/bomb"), hostile(storm, "/storm"), hostile(hs, "/loop/0"), hostile(hs, "/to-metadata"), hostile(hs, "/huge"),
	}
	h := &collector{}
	c, err := New(Options{Sources: srcs, State: openState(t), Handler: h, Logger: testLogger(t), Workers: 3,
		MaxRetries: 1, RetryBackoff: 50 * time.Millisecond, MaxRetryWait: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	published := false
	start := time.Now()
	runFor(t, c, 15*time.Second, func() bool {
		if !published && time.Since(start) > 1500*time.Millisecond {
			pastes.Publish("p2", "run paste two")
			forum.Reply(1, "bob", "run forum reply")
			published = true
		}
		if !published || len(h.containing("run paste two")) != 1 || len(h.containing("run forum reply")) != 1 {
			return false
		}
		// and every hostile source has been visited (slow under -race)
		health, err := c.Health(context.Background())
		if err != nil {
			return false
		}
		for _, hl := range health {
			if strings.HasPrefix(hl.Source, "hostile") && hl.ConsecutiveFailures == 0 {
				return false
			}
		}
		return true
	})
	for _, want := range []string{"run paste one", "run paste two", "run forum post", "run forum reply"} {
		if n := len(h.containing(want)); n != 1 {
			t.Errorf("%q delivered %d times, want once", want, n)
		}
	}
	health, err := c.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, hl := range health {
		t.Logf("%s: failures=%d items=%d error=%q", hl.Source, hl.ConsecutiveFailures, hl.ItemsSeen, hl.LastError)
		if want, ok := map[string]string{
			"hostile-drip":        "not complete within 1s",
			"hostile-bomb":        "body too large: more than 10485760 bytes after decompression",
			"hostile-storm":       "status 429 Too Many Requests",
			"hostile-loop-0":      "too many redirects",
			"hostile-to-metadata": "169.254.169.254 is a cloud metadata address",
			"hostile-huge":        "body too large",
		}[hl.Source]; ok {
			if hl.ConsecutiveFailures == 0 || !strings.Contains(hl.LastError, want) || hl.ItemsSeen != 0 {
				t.Errorf("%s: %+v, want a recorded failure saying %q", hl.Source, hl, want)
			}
			continue
		}
		if hl.LastError != "" || hl.LastSuccess.IsZero() {
			t.Errorf("%s failed next to hostile sources: %+v", hl.Source, hl)
		}
	}
	if n := storm.Hits().Count("/storm"); n > 2 {
		t.Errorf("/storm asked for an hour's pause but got %d requests", n)
	}
}

func TestRunResumesTheStoredSchedule(t *testing.T) {
	page := fixtures.NewPage("<p>schedule</p>")
	defer page.Close()
	st := openState(t)
	src := loopSource("page", KindURL, page.PageURL(), func(s *SourceConfig) {
		s.Interval = Duration(time.Hour)
		s.Jitter = Jitter{Duration: time.Nanosecond} // first visit at once
	})
	h := &collector{}
	c1 := newCrawler(t, st, h, src)
	runFor(t, c1, 5*time.Second, func() bool { return len(h.all()) == 1 })
	if n := page.Hits().Count("/page"); n != 1 {
		t.Fatalf("first run fetched the page %d times", n)
	}
	c2 := newCrawler(t, st, h, src)
	runFor(t, c2, 700*time.Millisecond, nil)
	if n := page.Hits().Count("/page"); n != 1 {
		t.Fatalf("a restarted crawler visited a source not due for an hour (%d fetches)", n)
	}
	hl, _ := c2.Health(context.Background())
	if d := time.Until(hl[0].NextDue); d < 50*time.Minute || d > 70*time.Minute {
		t.Errorf("next due in %s, want about an hour", d)
	}
}

func TestRunStopsGracefullyWithoutLosingOrRepeating(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	const pastes = 20 // more than the item workers handle at once
	for i := range pastes {
		site.Publish(fmt.Sprint(i), fmt.Sprintf("graceful paste %d", i))
	}
	st := openState(t)
	var handled atomic.Int32
	slow := &collector{fail: func(Document) error {
		time.Sleep(300 * time.Millisecond) // a slow matcher
		handled.Add(1)
		return nil
	}}
	c := newCrawler(t, st, slow, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
		s.Jitter = Jitter{Duration: time.Nanosecond} // due at once
	}))
	runFor(t, c, 10*time.Second, func() bool { return handled.Load() >= 2 })
	first := len(slow.all())
	if first == 0 || first == pastes {
		t.Fatalf("%d pastes handled before the stop; the test needs a stop mid-visit", first)
	}
	rest := &collector{}
	c2 := newCrawler(t, st, rest, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	visitOnce(t, c2, "pastes")
	all := append(slow.all(), rest.all()...)
	for i := range pastes {
		n := 0
		for _, d := range all {
			if string(d.Body) == fmt.Sprintf("graceful paste %d", i) {
				n++
			}
		}
		if n != 1 {
			t.Errorf("paste %d handled %d times across the restart, want once", i, n)
		}
	}
}

func TestNewChecksOptions(t *testing.T) {
	st := openState(t)
	for name, opts := range map[string]Options{
		"no state":   {Handler: &collector{}},
		"no handler": {State: st},
		"bad source": {State: st, Handler: &collector{}, Sources: []SourceConfig{{Name: "x", Kind: "gopher", URL: "http://a.example/"}}},
		"duplicate": {State: st, Handler: &collector{}, Sources: []SourceConfig{
			{Name: "x", Kind: KindURL, URL: "http://a.example/"}, {Name: "x", Kind: KindURL, URL: "http://b.example/"}}},
	} {
		if _, err := New(opts); err == nil {
			t.Errorf("%s: no error", name)
		} else {
			t.Logf("%s: %v", name, err)
		}
	}
}

// queueCrawler builds a crawler over st with its own consumer name and
// reclaim timeout, as one process of a fleet.
func queueCrawler(t *testing.T, st State, h Handler, consumer string, reclaim time.Duration, srcs ...SourceConfig) *Crawler {
	t.Helper()
	c, err := New(Options{Sources: srcs, State: st, Handler: h, Logger: testLogger(t).With("consumer", consumer),
		RetryBackoff: 50 * time.Millisecond, MaxRetryWait: 5 * time.Second, Consumer: consumer, ReclaimAfter: reclaim})
	if err != nil {
		t.Fatalf("new crawler: %v", err)
	}
	t.Cleanup(c.Close)
	return c
}

// TestRunTakesOverADeadProcessVisit: a process claimed a source from the
// queue, took its lease, touched the delivery (as leasedVisit does) and
// died (never renewed, touched or finished either). A live process must leave the source alone until the delivery
// has been idle for the reclaim timeout, and visit it within twice that.
func TestRunTakesOverADeadProcessVisit(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("a", "a paste the dead process never handed over")
	rs := storetest.StartRedis(t, storetest.StartOptions{})
	st, err := store.OpenRedis(context.Background(), rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	const reclaim = 3 * time.Second
	src := loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
		s.Interval = Duration(time.Hour)
		s.Jitter = Jitter{Duration: time.Nanosecond}
	})
	ctx := context.Background()
	// The dead process: scheduled, promoted, claimed, leased.
	if _, err := st.Schedule(ctx, QueueName, "pastes", time.Now().Add(-time.Second), store.ScheduleIfAbsent); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.Promote(ctx, QueueName, time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	d, err := st.Claim(ctx, QueueName, "dead-process", store.ClaimOptions{ReclaimAfter: reclaim})
	if err != nil || d == nil {
		t.Fatalf("claim: %+v %v", d, err)
	}
	if ok, err := st.PutIfAbsent(ctx, bucketLease, "pastes", []byte("dead-token"), reclaim); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	died := time.Now() // at or before its last sign of life, the touch after the lease
	if err := st.Touch(ctx, *d); err != nil {
		t.Fatal(err)
	}

	h := &collector{}
	c := queueCrawler(t, st, h, "live-process", reclaim, src)
	runFor(t, c, 4*reclaim, func() bool { return len(h.all()) == 1 })
	hits := site.Hits().Times("/api_scraping.php")
	if len(hits) == 0 || len(h.all()) != 1 {
		t.Fatalf("the dead process's source was not visited within %s (%d listings, %d documents)", 4*reclaim, len(hits), len(h.all()))
	}
	took := hits[0].Sub(died)
	t.Logf("taken over %s after the dead process's last sign of life (reclaim timeout %s)", took.Round(time.Millisecond), reclaim)
	if took < reclaim-5*time.Millisecond { // Redis's idle time is in whole ms
		t.Errorf("visited %s after the dead process claimed it, before the reclaim timeout %s", took, reclaim)
	}
	if took > 2*reclaim {
		t.Errorf("visited %s after the dead process died, more than twice the reclaim timeout %s", took, reclaim)
	}
	qs, err := c.QueueStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if qs.Scheduled != 1 || qs.Pending != 0 || qs.Ready != 0 {
		t.Errorf("queue after the takeover: %+v; want the source scheduled again", qs)
	}
}

// TestRunSharesSourcesBetweenProcesses: two processes on one store visit
// each source once per interval between them, never at once.
func TestRunSharesSourcesBetweenProcesses(t *testing.T) {
	st := openRedisState(t, storetest.StartOptions{})
	var sites []*fixtures.PasteSite
	var srcs []SourceConfig
	for i := range 3 {
		site := fixtures.NewPasteSite()
		defer site.Close()
		sites = append(sites, site)
		site.Publish("p", fmt.Sprintf("shared paste %d", i))
		srcs = append(srcs, loopSource(fmt.Sprintf("s%d", i), KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
			s.Interval = Duration(time.Second)
			s.Jitter = Jitter{Fraction: 0.01}
		}))
	}
	h := &collector{}
	a := queueCrawler(t, st, h, "a", 5*time.Second, srcs...)
	b := queueCrawler(t, st, h, "b", 5*time.Second, srcs...)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 2)
	go func() { done <- a.Run(ctx) }()
	go func() { done <- b.Run(ctx) }()
	began := time.Now()
	time.Sleep(5 * time.Second)
	cancel()
	for range 2 {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	elapsed := time.Since(began)
	for i, site := range sites {
		times := site.Hits().Times("/api_scraping.php")
		// One visit per interval (less 1% jitter), plus the first.
		allowed := int(elapsed/(990*time.Millisecond)) + 1
		if len(times) > allowed || len(times) < 3 {
			t.Errorf("source s%d listed %d times in %s, want 3 to %d", i, len(times), elapsed, allowed)
		}
	}
	for i := range 3 {
		if n := len(h.containing(fmt.Sprintf("shared paste %d", i))); n != 1 {
			t.Errorf("paste %d handed over %d times, want once", i, n)
		}
	}
}

// TestRunDropsAQueuedSourceNotConfigured: a source removed from the
// configuration (still queued by an older process) is dropped from the
// queue once delivered, not visited and not looped.
func TestRunDropsAQueuedSourceNotConfigured(t *testing.T) {
	page := fixtures.NewPage("<p>kept</p>")
	defer page.Close()
	st := openState(t)
	ctx := context.Background()
	if _, err := st.Schedule(ctx, QueueName, "removed", time.Now().Add(-time.Minute), store.ScheduleIfAbsent); err != nil {
		t.Fatal(err)
	}
	c := newCrawler(t, st, &collector{}, loopSource("page", KindURL, page.PageURL(), func(s *SourceConfig) {
		s.Interval = Duration(time.Hour)
		s.Jitter = Jitter{Duration: time.Nanosecond}
	}))
	runFor(t, c, 5*time.Second, func() bool {
		qs, err := c.QueueStats(ctx)
		return err == nil && qs.Scheduled == 1 && qs.Ready+qs.Pending == 0 && page.Hits().Count("/page") == 1
	})
	qs, err := c.QueueStats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if qs.Scheduled != 1 || qs.Ready+qs.Pending != 0 || qs.Dead != 0 {
		t.Errorf("queue: %+v; want only the configured source, scheduled", qs)
	}
}

// TestRunHandsBackAVisitCutShortByShutdown: a visit in progress when Run
// is stopped goes back to the schedule due now, for another process to
// take at once, instead of staying pending for the reclaim timeout.
func TestRunHandsBackAVisitCutShortByShutdown(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	for i := range 10 {
		site.Publish(fmt.Sprint(i), fmt.Sprintf("slow paste %d", i))
	}
	st := openState(t)
	var handled atomic.Int32
	slow := &collector{fail: func(Document) error {
		time.Sleep(300 * time.Millisecond)
		handled.Add(1)
		return nil
	}}
	c := newCrawler(t, st, slow, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
		s.Interval = Duration(time.Hour)
		s.Jitter = Jitter{Duration: time.Nanosecond}
	}))
	runFor(t, c, 10*time.Second, func() bool { return handled.Load() >= 1 })
	qs, err := c.QueueStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if qs.Pending != 0 || qs.Scheduled != 1 || qs.Overdue != 1 {
		t.Errorf("queue after a shutdown mid-visit: %+v; want the source scheduled and due", qs)
	}
}

// TestVisitOnceMovesTheQueuedRun: a manual visit moves the source's queued
// run to its next due time, so Run does not visit it again at once.
func TestVisitOnceMovesTheQueuedRun(t *testing.T) {
	page := fixtures.NewPage("<p>manual</p>")
	defer page.Close()
	st := openState(t)
	ctx := context.Background()
	if _, err := st.Schedule(ctx, QueueName, "page", time.Now().Add(time.Minute), store.ScheduleIfAbsent); err != nil {
		t.Fatal(err)
	}
	c := newCrawler(t, st, &collector{}, loopSource("page", KindURL, page.PageURL(), func(s *SourceConfig) {
		s.Interval = Duration(time.Hour)
	}))
	visitOnce(t, c, "page")
	_, next, err := st.Promote(ctx, QueueName, time.Now(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(next); d < 50*time.Minute {
		t.Errorf("queued run due in %s after a manual visit, want about an hour", d)
	}
}

// stuckHandler blocks on its first document until the visit is cancelled
// (a handler waiting on something that never answers), then accepts.
type stuckHandler struct {
	collector
	stuck atomic.Bool
}

func (h *stuckHandler) HandleDocument(ctx context.Context, d Document) error {
	if h.stuck.CompareAndSwap(false, true) {
		<-ctx.Done()
		return ctx.Err()
	}
	return h.collector.HandleDocument(ctx, d)
}

// TestVisitLongerThanMaxVisitFails: a visit stuck past MaxVisit is cut
// short and recorded as a failure naming the limit, so the source shows
// up as failing instead of silently held; the next visit hands the
// document over.
func TestVisitLongerThanMaxVisitFails(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("a", "a paste whose first handling hangs")
	st := openState(t)
	h := &stuckHandler{}
	c, err := New(Options{Sources: []SourceConfig{loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php")},
		State: st, Handler: h, Logger: testLogger(t), MaxVisit: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	_, err = c.VisitOnce(context.Background(), "pastes")
	if !errors.Is(err, ErrVisitTooLong) {
		t.Fatalf("a stuck visit returned %v, want ErrVisitTooLong", err)
	}
	if took := time.Since(start); took > 30*time.Second {
		t.Fatalf("the stuck visit returned after %s", took)
	}
	hs, err := c.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || hs[0].ConsecutiveFailures != 1 || !strings.Contains(hs[0].LastError, "visit ran longer than its limit (500ms)") {
		t.Fatalf("health after the stuck visit: %+v", hs)
	}
	if got := visitOnce(t, c, "pastes"); got.New != 1 || len(h.all()) != 1 {
		t.Fatalf("the next visit: %+v, %d documents; want the paste handed over", got, len(h.all()))
	}
}

package crawler

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// discard is a Handler that drops documents.
type discard struct{}

func (discard) HandleDocument(context.Context, Document) error { return nil }

// liftPoliteness removes the per-host spacing for benchmarks.
func liftPoliteness(c *Crawler) {
	for _, s := range c.sources {
		s.cfg.Rate = 1e9
	}
}

// BenchmarkFetchPages measures the fetch path alone (rate limiter, robots
// cache, transport, body limit, charset decoding) on a loopback forum
// page in Shift_JIS.
func BenchmarkFetchPages(b *testing.B) {
	forum := fixtures.NewForum(fixtures.ForumOptions{Encoding: "Shift_JIS"})
	defer forum.Close()
	for i := range 10 {
		forum.Post(fmt.Sprintf("トピック %d", i), "taro", "山田太郎 東京都")
	}
	c := newCrawler(b, openState(b), discard{}, loopSource("bench", KindURL, forum.ListingURL()))
	liftPoliteness(c)
	f := c.byName["bench"].f
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		if _, err := f.get(ctx, forum.ListingURL(), validators{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "pages/s")
}

// BenchmarkVisitPasteSite measures whole visits: a scraping-API listing
// and 200 new pastes per visit, with seen-state written to a real store
// (bbolt, whose every write transaction is an fsync; Redis without
// persistence; Redis with appendfsync always), politeness lifted. Each
// store runs with one item worker (items one after another: the baseline)
// and with several, so the ratio is measured in the same run.
func BenchmarkVisitPasteSite(b *testing.B) {
	const pastes = 200
	site := fixtures.NewPasteSite()
	defer site.Close()
	for i := range pastes {
		site.Publish(fmt.Sprintf("p%d", i), fmt.Sprintf("email,name\nuser%d@example.org,User %d\n", i, i))
	}
	stores := []struct {
		name string
		open func(b *testing.B) State
	}{
		{"bolt", func(b *testing.B) State { return openState(b) }},
		{"redis", func(b *testing.B) State { return openRedisState(b, storetest.StartOptions{}) }},
		{"redis-aof", func(b *testing.B) State { return openRedisState(b, storetest.StartOptions{AOF: true}) }},
	}
	for _, sto := range stores {
		b.Run(sto.name, func(b *testing.B) {
			st := sto.open(b)
			for _, workers := range []int{1, 4, 8} {
				b.Run(fmt.Sprintf("items=%d", workers), func(b *testing.B) {
					benchVisits(b, st, site, pastes, workers)
				})
			}
		})
	}
}

// benchVisits visits the paste site with a fresh source per iteration, so
// every paste is new, and reports pages fetched (and handed over) per
// second of visiting.
func benchVisits(b *testing.B, st State, site *fixtures.PasteSite, pastes, workers int) {
	ctx := context.Background()
	fetched := 0
	var elapsed time.Duration
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("bench-%d-%d-%d", workers, i, time.Now().UnixNano()) // a fresh source: everything is new
		src := loopSource(name, KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
			s.Limit = 250
			s.MaxItems = pastes
		})
		c, err := New(Options{Sources: []SourceConfig{src}, State: st, Handler: discard{}, ItemWorkers: workers})
		if err != nil {
			b.Fatal(err)
		}
		liftPoliteness(c)
		start := time.Now()
		vs, err := c.VisitOnce(ctx, name)
		elapsed += time.Since(start)
		c.Close()
		if err != nil || vs.New != pastes {
			b.Fatalf("visit: %+v, %v", vs, err)
		}
		fetched += vs.Fetched
	}
	b.ReportMetric(float64(fetched)/elapsed.Seconds(), "pages/s")
}

// openRedisState starts a redis-server for the benchmark and opens the
// store on it.
func openRedisState(t testing.TB, opts storetest.StartOptions) *store.Redis {
	t.Helper()
	srv := storetest.StartRedis(t, opts)
	r, err := store.OpenRedis(context.Background(), srv.URL())
	if err != nil {
		t.Fatalf("open redis: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

// latencyHandler notes when each document was handed over, by key.
type latencyHandler struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

func (h *latencyHandler) HandleDocument(_ context.Context, d Document) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.seen[d.Key]; !ok {
		h.seen[d.Key] = time.Now()
	}
	return nil
}

func (h *latencyHandler) at(key string) (time.Time, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	t, ok := h.seen[key]
	return t, ok
}

// BenchmarkDetectionLatency publishes pastes at random moments on a
// fixture paste site that Run polls every second (interval 1s, jitter
// 10%, the default), and reports the p50 and p95 of the detection latency
// (handed to the handler − published), and of the overhead beyond the
// polling wait: handed over − start of the visit that found the paste
// (the last listing request before it; a source's visits never overlap).
// The wait for the next poll is uniform over the interval, so for an
// interval I the p95 latency is about 0.95·I + overhead-p95-ms (a 30 s
// interval: 28.5 s + the overhead); the benchmark logs that figure.
func BenchmarkDetectionLatency(b *testing.B) {
	const (
		interval = time.Second
		perRound = 40 // pastes published per iteration
	)
	site := fixtures.NewPasteSite()
	defer site.Close()
	h := &latencyHandler{seen: map[string]time.Time{}}
	src := loopSource("latency", KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
		s.Interval = Duration(interval)
	})
	c, err := New(Options{Sources: []SourceConfig{src}, State: openState(b), Handler: h})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Error(err)
		}
	}()

	type published struct {
		key string
		at  time.Time
	}
	var pubs []published
	for b.Loop() {
		var round []published
		for i := range perRound {
			// random moments: gaps uniform in [0, interval/2)
			time.Sleep(mrand.N(interval / 2))
			at := time.Now()
			round = append(round, published{site.Publish(fmt.Sprintf("latency %d", i), fmt.Sprintf("paste published at %d", at.UnixNano())), at})
		}
		deadline := time.Now().Add(10 * interval)
		for _, p := range round {
			for {
				if _, ok := h.at(p.key); ok {
					break
				}
				if time.Now().After(deadline) {
					b.Fatalf("paste %s not handed over within %s", p.key, 10*interval)
				}
				time.Sleep(5 * time.Millisecond)
			}
		}
		pubs = append(pubs, round...)
	}
	polls := site.Hits().Times("/api_scraping.php")
	var latency, overhead, wait []time.Duration
	for _, p := range pubs {
		seen, _ := h.at(p.key)
		latency = append(latency, seen.Sub(p.at))
		var poll time.Time // the visit that found it: its listing request
		for _, t := range polls {
			if t.Before(seen) && t.After(poll) {
				poll = t
			}
		}
		overhead = append(overhead, seen.Sub(poll))
		wait = append(wait, max(0, poll.Sub(p.at)))
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(percentile(latency, 50)), "p50-ms")
	b.ReportMetric(ms(percentile(latency, 95)), "p95-ms")
	b.ReportMetric(ms(percentile(overhead, 50)), "overhead-p50-ms")
	b.ReportMetric(ms(percentile(overhead, 95)), "overhead-p95-ms")
	b.ReportMetric(ms(percentile(wait, 95)), "wait-p95-ms")
	b.Logf("%d pastes at a %s interval: latency p50 %s p95 %s; polling wait p95 %s; overhead p50 %s p95 %s; so at a 30s interval p95 ≈ %s",
		len(pubs), interval, percentile(latency, 50), percentile(latency, 95), percentile(wait, 95),
		percentile(overhead, 50), percentile(overhead, 95), time.Duration(0.95*float64(30*time.Second))+percentile(overhead, 95))
}

// percentile returns the p-th percentile (nearest rank) of ds.
func percentile(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := (p*len(s) + 99) / 100
	return s[min(max(i-1, 0), len(s)-1)]
}

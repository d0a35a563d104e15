package crawler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

// soakRetention is the crawl state's retention in a soak of duration dur:
// a tenth of the run (at least a minute), so that purges keep the state at
// its steady size from well before the warm-up ends.
func soakRetention(dur time.Duration) time.Duration {
	return max(dur/10, time.Minute)
}

// EnvSoakProfiles names the environment variable naming a directory where
// TestSoak writes heap profiles after its warm-up and at its end, for
// `go tool pprof -base DIR/heap-after-warmup.pprof DIR/heap-end.pprof`.
const EnvSoakProfiles = "LEAKWATCH_SOAK_PROFILES"

// writeHeapProfile writes a heap profile named heap-NAME.pprof to the
// directory EnvSoakProfiles names, if it is set.
func writeHeapProfile(t *testing.T, name string) {
	dir := os.Getenv(EnvSoakProfiles)
	if dir == "" {
		return
	}
	runtime.GC()
	f, err := os.Create(filepath.Join(dir, "heap-"+name+".pprof"))
	if err != nil {
		t.Fatalf("heap profile: %v", err)
	}
	defer f.Close()
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		t.Fatalf("heap profile: %v", err)
	}
}

// EnvSoak names the environment variable that sets TestSoak's duration
// ("1h"); without it TestSoak runs for soakShort.
const EnvSoak = "LEAKWATCH_SOAK"

const (
	// soakShort is TestSoak's duration in an ordinary test run.
	soakShort = 10 * time.Second
	// soakGrowth is the heap growth TestSoak tolerates: the last
	// quarter's mean HeapInuse over the second quarter's.
	soakGrowth = 1.10
)

// countingHandler counts documents per source and keeps nothing.
type countingHandler struct {
	mu    sync.Mutex
	count map[string]int
	total atomic.Int64
}

func (h *countingHandler) HandleDocument(_ context.Context, d Document) error {
	h.mu.Lock()
	h.count[d.Source]++
	h.mu.Unlock()
	h.total.Add(1)
	return nil
}

func (h *countingHandler) snapshot() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.count))
	for k, v := range h.count {
		out[k] = v
	}
	return out
}

// TestSoak crawls fixture sites continuously, politeness lifted, while
// they publish continuously (pastes, XenForo and vBulletin threads and
// replies, feed entries), and fails if the heap grows: after a warm-up
// (a fifth of the run) it samples HeapInuse after a GC at a steady pace,
// and fails if the last quarter's mean exceeds the second quarter's by
// more than 10%. The fixtures forget old content (as real sites expire
// it), so what is measured is the crawler's own footprint; its seen-state
// grows in bbolt, on disk. It runs for LEAKWATCH_SOAK (make soak: 1h) or
// else for 10 seconds, with the same bound.
func TestSoak(t *testing.T) {
	dur := soakShort
	if v := os.Getenv(EnvSoak); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < soakShort {
			t.Fatalf("%s=%q: want a duration of at least %s, such as 1h", EnvSoak, v, soakShort)
		}
		dur = d
	}
	warmup := dur / 5
	every := min(max(dur/60, 200*time.Millisecond), 5*time.Second)

	pastes := fixtures.NewPasteSite()
	defer pastes.Close()
	xf := fixtures.NewXenForo(5)
	defer xf.Close()
	vb := fixtures.NewVBulletin(5)
	defer vb.Close()
	feeds := fixtures.NewFeeds()
	defer feeds.Close()

	const keepPastes, keepThreads, keepEntries = 60, 12, 20
	var seq atomic.Int64
	text := func(kind string) string {
		n := seq.Add(1)
		return fmt.Sprintf("%s %d: name,email\nUser %d,user%d@example.org\n%s", kind, n, n, n, strings.Repeat("lorem ipsum ", int(n%40)))
	}
	publish := func(i int) {
		pastes.Publish(fmt.Sprintf("soak paste %d", i), text("paste"))
		pastes.Expire(keepPastes)
		if i%4 == 0 {
			xf.Post(fmt.Sprintf("soak thread %d", i), "alice", text("xenforo thread"))
			vb.Post(fmt.Sprintf("soak thread %d", i), "alice", text("vbulletin thread"))
			feeds.Add(fmt.Sprintf("soak entry %d", i), text("entry"))
		} else {
			for _, b := range []interface {
				Posts() []fixtures.BoardPost
				Reply(int, string, string) int
			}{xf, vb} {
				if ps := b.Posts(); len(ps) > 0 {
					b.Reply(ps[len(ps)-1].Thread, "bob", text("reply"))
				}
			}
		}
		xf.Trim(keepThreads)
		vb.Trim(keepThreads)
		feeds.Trim(keepEntries)
	}
	for i := range 4 * max(keepPastes, keepThreads, keepEntries) { // full from the start
		publish(i)
	}

	fast := func(s *SourceConfig) { s.Interval = Duration(time.Second); s.Jitter = Jitter{Fraction: 0.1} }
	srcs := []SourceConfig{
		loopSource("pastes", KindPasteAPI, pastes.URL+"/api_scraping.php", fast, func(s *SourceConfig) { s.Limit = 100 }),
		xenForoSource(xf), vBulletinSource(vb),
		loopSource("feed", KindFeed, feeds.RSSURL(), fast, func(s *SourceConfig) { s.UseContent = true }),
	}
	fast(&srcs[1])
	fast(&srcs[2])
	h := &countingHandler{count: map[string]int{}}
	// Retention is short so that the seen state reaches its steady size
	// early in the run, as the default 30 days does after a month of
	// real crawling: this soak sees ~200,000 items an hour, thousands of
	// times a busy real source, and with a 30-day retention its store
	// (and bbolt's page buffers, which grow with the B+tree) would grow
	// for the whole run.
	c, err := New(Options{Sources: srcs, State: openState(t), Handler: h, MaxRetryWait: 5 * time.Second, Retention: soakRetention(dur)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	liftPoliteness(c)

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- c.Run(ctx) })
	wg.Go(func() {
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for i := 1 << 20; ; i++ {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				publish(i)
				if i%20 == 0 { // the fixtures' request logs are not under test
					for _, h := range []*fixtures.Hits{pastes.Hits(), xf.Hits(), vb.Hits(), feeds.Hits()} {
						h.Reset()
					}
				}
			}
		}
	})

	start := time.Now()
	time.Sleep(warmup)
	writeHeapProfile(t, "after-warmup")
	var heap []uint64
	var ms runtime.MemStats
	for time.Since(start) < dur {
		time.Sleep(every)
		// Twice: sync.Pool contents (bbolt's page buffers) survive one
		// collection; what is measured is what the crawler keeps.
		runtime.GC()
		runtime.GC()
		runtime.ReadMemStats(&ms)
		heap = append(heap, ms.HeapInuse)
	}
	writeHeapProfile(t, "end")
	cancel()
	wg.Wait()
	if err := <-runErr; err != nil {
		t.Fatalf("run: %v", err)
	}

	counts := h.snapshot()
	t.Logf("%s: %d documents handed over %v; goroutines %d", dur, h.total.Load(), counts, runtime.NumGoroutine())
	for _, s := range srcs {
		if counts[s.Name] == 0 {
			t.Errorf("source %s handed over nothing: the soak did not crawl it", s.Name)
		}
	}
	health, err := c.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, hl := range health {
		if hl.LastSuccess.IsZero() || hl.ConsecutiveFailures > 0 {
			t.Errorf("source %s unhealthy: %+v", hl.Source, hl)
		}
	}
	if len(heap) < 8 {
		t.Fatalf("only %d heap samples", len(heap))
	}
	q := len(heap) / 4
	mean := func(s []uint64) float64 {
		sum := 0.0
		for _, v := range s {
			sum += float64(v)
		}
		return sum / float64(len(s))
	}
	q2, q4 := mean(heap[q:2*q]), mean(heap[len(heap)-q:])
	mib := func(v float64) string { return fmt.Sprintf("%.2f MiB", v/(1<<20)) }
	t.Logf("HeapInuse: %d samples every %s after a %s warm-up; first %s, second quarter mean %s, last quarter mean %s (×%.3f), last %s",
		len(heap), every, warmup, mib(float64(heap[0])), mib(q2), mib(q4), q4/q2, mib(float64(heap[len(heap)-1])))
	if q4 > soakGrowth*q2 {
		t.Errorf("heap grew: last quarter's mean HeapInuse %s is more than %.0f%% above the second quarter's %s (samples: %v)",
			mib(q4), (soakGrowth-1)*100, mib(q2), heap)
	}
}

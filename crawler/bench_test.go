package crawler

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
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
// and 200 new pastes per visit, with seen-state written to bbolt.
func BenchmarkVisitPasteSite(b *testing.B) {
	const pastes = 200
	site := fixtures.NewPasteSite()
	defer site.Close()
	for i := range pastes {
		site.Publish(fmt.Sprintf("p%d", i), fmt.Sprintf("email,name\nuser%d@example.org,User %d\n", i, i))
	}
	st := openState(b)
	ctx := context.Background()
	fetched := 0
	var elapsed time.Duration
	for i := 0; b.Loop(); i++ {
		name := fmt.Sprintf("bench-%d", i) // a fresh source: everything is new
		c := newCrawler(b, st, discard{}, loopSource(name, KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) {
			s.Limit = 250
			s.MaxItems = pastes
		}))
		liftPoliteness(c)
		start := time.Now()
		vs, err := c.VisitOnce(ctx, name)
		elapsed += time.Since(start)
		if err != nil || vs.New != pastes {
			b.Fatalf("visit: %+v, %v", vs, err)
		}
		fetched += vs.Fetched
	}
	b.ReportMetric(float64(fetched)/elapsed.Seconds(), "pages/s")
}

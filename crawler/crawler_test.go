package crawler

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
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

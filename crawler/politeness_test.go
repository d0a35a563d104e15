package crawler

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

// robotsSource lists the hostile server's malformed page, which links a
// public and a private page.
func robotsSource(hs *fixtures.Hostile, mod ...func(*SourceConfig)) SourceConfig {
	return loopSource("polite", KindHTMLListing, hs.URL+"/malformed", append([]func(*SourceConfig){func(s *SourceConfig) {
		s.ItemSelector = "a.item"
	}}, mod...)...)
}

func TestRobotsDisallowIsHonoured(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	hs.SetRobots(200, fixtures.RobotsDisallowPrivate)
	h := &collector{}
	c := newCrawler(t, openState(t), h, robotsSource(hs))
	visitOnce(t, c, "polite")
	if n := hs.Hits().Count("/private/page"); n != 0 {
		t.Fatalf("/private/page fetched %d times despite Disallow", n)
	}
	if len(h.containing("public page")) != 1 {
		t.Fatalf("the allowed page was not delivered: %d documents", len(h.all()))
	}

	// a source pointed straight at a disallowed URL fails clearly
	c2 := newCrawler(t, openState(t), h, loopSource("direct", KindURL, hs.URL+"/private/page"))
	err := visitErr(t, c2, "direct")
	if !errors.Is(err, ErrDisallowed) || !strings.Contains(err.Error(), "/private/page") {
		t.Fatalf("err = %v, want ErrDisallowed naming the URL", err)
	}
	// robots: false ignores robots.txt
	c3 := newCrawler(t, openState(t), h, loopSource("rude", KindURL, hs.URL+"/private/page", func(s *SourceConfig) { s.Robots = new(bool) }))
	visitOnce(t, c3, "rude")
	if n := hs.Hits().Count("/private/page"); n != 1 {
		t.Fatalf("robots: false should fetch the page once, fetched %d", n)
	}
}

func TestRobotsCrawlDelayIsRespected(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	hs.SetRobots(200, "User-agent: *\nCrawl-delay: 1\n")
	c := newCrawler(t, openState(t), &collector{}, robotsSource(hs))
	visitOnce(t, c, "polite")
	times := hs.Hits().AllTimes()
	if len(times) < 4 { // robots.txt, listing, two pages
		t.Fatalf("%d requests, want at least 4", len(times))
	}
	sortTimes(times)
	for i := 2; i < len(times); i++ { // after robots.txt, every request 1s apart
		if gap := times[i].Sub(times[i-1]); gap < 950*time.Millisecond {
			t.Errorf("requests %d and %d %s apart; Crawl-delay is 1s", i-1, i, gap)
		}
	}
}

func sortTimes(ts []time.Time) {
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j].Before(ts[j-1]); j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
}

func TestRobotsIsCachedAndFourOhFourAllowsAll(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	h := &collector{}
	c := newCrawler(t, openState(t), h, robotsSource(hs), loopSource("page", KindURL, hs.URL+"/private/page"))
	visitOnce(t, c, "polite")
	visitOnce(t, c, "polite")
	visitOnce(t, c, "page")
	if n := hs.Hits().Count("/robots.txt"); n != 1 {
		t.Fatalf("robots.txt fetched %d times, want once (cached, shared)", n)
	}
	if n := hs.Hits().Count("/private/page"); n != 2 {
		t.Fatalf("/private/page fetched %d times, want 2 (404 robots.txt allows all)", n)
	}
}

func TestRobotsServerErrorDisallowsTemporarily(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	hs.SetRobots(503, "down")
	c := newCrawler(t, openState(t), &collector{}, loopSource("page", KindURL, hs.URL+"/public/page"))
	err := visitErr(t, c, "page")
	var rl *RetryLaterError
	if !errors.As(err, &rl) || !strings.Contains(err.Error(), "robots.txt") || rl.Until.Sub(time.Now()) < 9*time.Minute {
		t.Fatalf("err = %v, want a ten-minute RetryLaterError about robots.txt", err)
	}
	if n := hs.Hits().Count("/public/page"); n != 0 {
		t.Fatalf("page fetched %d times while robots.txt was failing", n)
	}
	_, _ = c.VisitOnce(context.Background(), "page")
	if n := hs.Hits().Count("/robots.txt"); n != 1 {
		t.Fatalf("robots.txt fetched %d times; the failure should be cached", n)
	}
}

func TestRobotsRules(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	hs.SetRobots(200, "User-agent: leakwatch\nDisallow: /search?\nCrawl-delay: 2\n\nUser-agent: *\nDisallow: /\n")
	c := newCrawler(t, openState(t), &collector{}, loopSource("r", KindURL, hs.URL+"/public/page"))
	f := c.byName["r"].f
	rules, err := c.polite.robots(context.Background(), f, mustURL(t, hs.URL+"/x"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		want bool
	}{{"/public/page", true}, {"/search?q=x", false}, {"/search", true}} {
		if got := rules.allowed(f.src.UserAgent, mustURL(t, hs.URL+tc.path)); got != tc.want {
			t.Errorf("allowed(%s) = %v, want %v", tc.path, got, tc.want)
		}
	}
	if d := rules.crawlDelay(f.src.UserAgent); d != 2*time.Second {
		t.Errorf("crawl delay %s, want 2s for the leakwatch group", d)
	}
	if rules.allowed("otherbot/1.0", mustURL(t, hs.URL+"/public/page")) {
		t.Error("another agent should be disallowed by the * group")
	}
}

package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

const (
	// robotsTTL is how long a robots.txt is trusted.
	robotsTTL = 24 * time.Hour
	// robotsUnavailableTTL is how long a robots.txt that could not be
	// fetched (5xx, 429, network error) disallows the site.
	robotsUnavailableTTL = 10 * time.Minute
	// robotsMaxBody is how much of a robots.txt is read (RFC 9309 asks
	// for at least 500 KiB).
	robotsMaxBody = 512 << 10
	// maxCrawlDelay caps a robots.txt Crawl-delay.
	maxCrawlDelay = 5 * time.Minute
	// maxHostBackoff caps the backoff after repeated failures of a host.
	maxHostBackoff = 10 * time.Minute
	// maxEntries bounds the host and robots tables; idle or expired
	// entries are dropped first.
	maxEntries = 4096
)

// politeness is shared by every source of a Crawler: the per-host request
// slots, backoffs and Retry-After blocks, and the robots.txt cache. Both
// tables are bounded.
type politeness struct {
	mu    sync.Mutex
	hosts map[string]*hostState
	cache map[string]*robotsEntry
}

func newPoliteness() *politeness {
	return &politeness{hosts: map[string]*hostState{}, cache: map[string]*robotsEntry{}}
}

// hostState is one host:port's politeness state.
type hostState struct {
	next     time.Time // earliest time of the next request
	blocked  time.Time // Retry-After or backoff block
	failures int       // consecutive failures, for backoff
	used     time.Time
}

func (p *politeness) host(key string) *hostState {
	h := p.hosts[key]
	if h == nil {
		if len(p.hosts) >= maxEntries {
			p.pruneHosts()
		}
		h = &hostState{}
		p.hosts[key] = h
	}
	h.used = time.Now()
	return h
}

// pruneHosts drops hosts that have not been used for a while and hold no
// block, then, if still full, the least recently used.
func (p *politeness) pruneHosts() {
	now := time.Now()
	var oldest string
	for k, h := range p.hosts {
		if now.Sub(h.used) > time.Hour && now.After(h.blocked) {
			delete(p.hosts, k)
			continue
		}
		if oldest == "" || h.used.Before(p.hosts[oldest].used) {
			oldest = k
		}
	}
	if len(p.hosts) >= maxEntries && oldest != "" {
		delete(p.hosts, oldest)
	}
}

// wait reserves the next request slot of a host, at least interval after
// the previous one and not before a block ends, and sleeps until then. A
// block ending later than maxWait from now is a RetryLaterError instead.
func (p *politeness) wait(ctx context.Context, key string, interval, maxWait time.Duration) error {
	p.mu.Lock()
	h := p.host(key)
	now := time.Now()
	if h.blocked.Sub(now) > maxWait {
		until := h.blocked
		p.mu.Unlock()
		return &RetryLaterError{Until: until, Reason: fmt.Sprintf("host %s asked for a pause", key)}
	}
	at := now
	if h.next.After(at) {
		at = h.next
	}
	if h.blocked.After(at) {
		at = h.blocked
	}
	h.next = at.Add(interval)
	p.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// failed records a failure of a host and blocks it for retryAfter if the
// server gave one, else for an exponential backoff with jitter. It returns
// the block's length.
func (p *politeness) failed(key string, base, retryAfter time.Duration) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	h := p.host(key)
	d := retryAfter
	if d == 0 {
		d = backoff(base, h.failures, maxHostBackoff)
	}
	h.failures++
	if until := time.Now().Add(d); until.After(h.blocked) {
		h.blocked = until
	}
	return d
}

// succeeded clears a host's failure count.
func (p *politeness) succeeded(key string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.host(key).failures = 0
}

// robotsEntry is one site's robots.txt, fetched once by the first caller
// while later callers wait on ready.
type robotsEntry struct {
	ready   chan struct{}
	rules   *robotsRules
	err     error
	expires time.Time
}

// robotsRules are a site's parsed rules; nil data allows everything.
type robotsRules struct {
	data *robotstxt.RobotsData
}

func (r *robotsRules) allowed(agent string, u *url.URL) bool {
	if r == nil || r.data == nil {
		return true
	}
	path := u.EscapedPath()
	if path == "" {
		path = "/"
	}
	if u.RawQuery != "" {
		path += "?" + u.RawQuery
	}
	return r.data.TestAgent(path, agent)
}

func (r *robotsRules) crawlDelay(agent string) time.Duration {
	if r == nil || r.data == nil {
		return 0
	}
	return min(r.data.FindGroup(agent).CrawlDelay, maxCrawlDelay)
}

// robots returns the rules of u's site, from the cache (at most 24 hours
// old) or fetched with f. A robots.txt answering 4xx allows everything; one
// answering 5xx or 429, or unreachable, disallows the site for ten minutes
// (a RetryLaterError).
func (p *politeness) robots(ctx context.Context, f *fetcher, u *url.URL) (*robotsRules, error) {
	key := u.Scheme + "://" + hostKey(u)
	p.mu.Lock()
	e := p.cache[key]
	if e != nil {
		select {
		case <-e.ready:
			if time.Now().After(e.expires) {
				delete(p.cache, key)
				e = nil
			}
		default:
		}
	}
	if e == nil {
		if len(p.cache) >= maxEntries {
			p.pruneRobots()
		}
		e = &robotsEntry{ready: make(chan struct{})}
		p.cache[key] = e
		p.mu.Unlock()
		func() {
			defer close(e.ready)
			e.rules, e.expires, e.err = p.fetchRobots(ctx, f, u)
		}()
		return e.rules, e.err
	}
	p.mu.Unlock()
	select {
	case <-e.ready:
		return e.rules, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *politeness) pruneRobots() {
	now := time.Now()
	var oldest string
	for k, e := range p.cache {
		select {
		case <-e.ready:
		default:
			continue
		}
		if now.After(e.expires) {
			delete(p.cache, k)
			continue
		}
		if oldest == "" || e.expires.Before(p.cache[oldest].expires) {
			oldest = k
		}
	}
	if len(p.cache) >= maxEntries && oldest != "" {
		delete(p.cache, oldest)
	}
}

// fetchRobots fetches /robots.txt of u's site, following up to five
// redirects, through the host's rate limit. A fetch cut short by ctx is
// not cached.
func (p *politeness) fetchRobots(ctx context.Context, f *fetcher, u *url.URL) (*robotsRules, time.Time, error) {
	ru := &url.URL{Scheme: u.Scheme, Host: u.Host, Path: "/robots.txt"}
	interval := time.Duration(float64(time.Second) / f.src.Rate)
	unavailable := func(reason string) (*robotsRules, time.Time, error) {
		until := time.Now().Add(robotsUnavailableTTL)
		return nil, until, &RetryLaterError{Until: until, Reason: fmt.Sprintf("robots.txt at %s unavailable (%s), site treated as disallowed", redact(ru), reason)}
	}
	for hop := 0; hop <= maxRedirects; hop++ {
		if err := f.guard.checkTarget(ru); err != nil {
			return nil, time.Now(), fmt.Errorf("robots.txt at %s: %w", redact(ru), err)
		}
		if err := p.wait(ctx, hostKey(ru), interval, f.retry.maxWait); err != nil {
			return nil, time.Now(), err
		}
		resp, err := f.roundTrip(ctx, ru, validators{}, robotsMaxBody, true)
		switch {
		case ctx.Err() != nil:
			return nil, time.Now(), ctx.Err()
		case errors.Is(err, ErrAddressRefused):
			return nil, time.Now(), fmt.Errorf("robots.txt at %s: %w", redact(ru), err)
		case err != nil:
			return unavailable(err.Error())
		}
		switch c := resp.status; {
		case c >= 200 && c < 300:
			data, err := robotstxt.FromBytes(resp.body)
			if err != nil {
				f.log.Warn("robots.txt unparsable, allowing all", "source", f.src.Name, "url", redact(ru), "err", err)
				data = nil
			}
			return &robotsRules{data: data}, time.Now().Add(robotsTTL), nil
		case c >= 300 && c < 400:
			next, err := ru.Parse(resp.header.Get("Location"))
			if err != nil || resp.header.Get("Location") == "" {
				return &robotsRules{}, time.Now().Add(robotsTTL), nil
			}
			ru = next
		case c == 429 || c >= 500:
			return unavailable(fmt.Sprintf("status %d", c))
		default: // 4xx: no robots.txt, everything allowed
			return &robotsRules{}, time.Now().Add(robotsTTL), nil
		}
	}
	// more than five redirects: RFC 9309 treats it as unavailable (4xx)
	return &robotsRules{}, time.Now().Add(robotsTTL), nil
}

package crawler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/gocolly/colly/v2"
	"github.com/saintfish/chardet"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
)

// maxRedirects is how many redirects one fetch follows.
const maxRedirects = 5

// maxRetryAfter caps how long a Retry-After header can hold a host.
const maxRetryAfter = 24 * time.Hour

var (
	// ErrAddressRefused is wrapped by errors for connections refused by
	// the private-address guard.
	ErrAddressRefused = errors.New("address refused")
	// ErrBodyTooLarge is wrapped when a body exceeds max_body after
	// decompression.
	ErrBodyTooLarge = errors.New("body too large")
	// ErrTooManyRedirects is wrapped when a fetch is redirected more than
	// five times.
	ErrTooManyRedirects = errors.New("too many redirects")
	// ErrDisallowed is wrapped when robots.txt forbids a URL.
	ErrDisallowed = errors.New("disallowed by robots.txt")
	// ErrUnsupportedMedia is wrapped when a response is not text (HTML,
	// plain text, JSON or XML).
	ErrUnsupportedMedia = errors.New("unsupported media type")
)

// StatusError is an HTTP status the crawler does not accept.
type StatusError struct {
	Code int
}

// Error reads like "unexpected status 404 Not Found".
func (e *StatusError) Error() string {
	return fmt.Sprintf("unexpected status %d %s", e.Code, http.StatusText(e.Code))
}

// RetryLaterError means a server (or the source's own protocol) asked to
// come back later. The source's next visit is not before Until.
type RetryLaterError struct {
	Until  time.Time
	Reason string
}

// Error gives the reason and the time to retry after.
func (e *RetryLaterError) Error() string {
	return fmt.Sprintf("%s: retry after %s", e.Reason, e.Until.UTC().Format(time.RFC3339))
}

// metadataAddrs are cloud instance-metadata endpoints, refused always.
var metadataAddrs = []netip.Addr{
	netip.MustParseAddr("169.254.169.254"), // AWS, GCP, Azure, OpenStack, DigitalOcean
	netip.MustParseAddr("169.254.170.2"),   // AWS ECS task metadata
	netip.MustParseAddr("100.100.100.200"), // Alibaba Cloud
	netip.MustParseAddr("fd00:ec2::254"),   // AWS IPv6
}

var (
	cgnat    = netip.MustParsePrefix("100.64.0.0/10")
	thisNet  = netip.MustParsePrefix("0.0.0.0/8")
	nat64    = netip.MustParsePrefix("64:ff9b::/96")
	bcast    = netip.MustParseAddr("255.255.255.255")
	reserved = netip.MustParsePrefix("240.0.0.0/4")
)

// refusedReason says why ip may not be contacted, or "" if it may.
// Metadata, unspecified, multicast and broadcast addresses are refused even
// with allowPrivate.
func refusedReason(ip netip.Addr, allowPrivate bool) string {
	ip = ip.Unmap().WithZone("")
	for _, m := range metadataAddrs {
		if ip == m {
			return "a cloud metadata address"
		}
	}
	switch {
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsMulticast(), ip == bcast:
		return "a multicast or broadcast address"
	case nat64.Contains(ip):
		b := ip.As16()
		return refusedReason(netip.AddrFrom4([4]byte(b[12:])), allowPrivate)
	}
	if allowPrivate {
		return ""
	}
	switch {
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case cgnat.Contains(ip):
		return "a carrier-grade NAT address"
	case thisNet.Contains(ip), reserved.Contains(ip), !ip.IsGlobalUnicast():
		return "a reserved address"
	}
	return ""
}

// addrGuard checks every address the transport connects to, after DNS
// resolution, so redirects and DNS rebinding cannot reach a refused
// address. When a proxy is configured every connection goes to that
// proxy, which the operator chose, so connections are not checked; target
// URLs that are IP literals are still checked by checkTarget.
type addrGuard struct {
	allowPrivate bool
	viaProxy     bool
}

func (g *addrGuard) control(network, address string, _ syscall.RawConn) error {
	if g.viaProxy {
		return nil
	}
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %w", ErrAddressRefused, address, err)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return fmt.Errorf("%w: %s is not an IP address", ErrAddressRefused, host)
	}
	return g.check(ip)
}

func (g *addrGuard) check(ip netip.Addr) error {
	if why := refusedReason(ip, g.allowPrivate); why != "" {
		hint := ""
		if refusedReason(ip, true) == "" {
			hint = " (set allow_private: true for this source to permit it)"
		}
		return fmt.Errorf("%w: %s is %s%s", ErrAddressRefused, ip.Unmap(), why, hint)
	}
	return nil
}

// checkTarget refuses non-HTTP URLs and IP-literal hosts the guard
// refuses, before any connection (and even through a proxy).
func (g *addrGuard) checkTarget(u *url.URL) error {
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("scheme %q not allowed", u.Scheme)
	}
	if u.Hostname() == "" {
		return errors.New("missing host")
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil {
		return g.check(ip)
	}
	return nil
}

// newClient builds the source's own HTTP client, which its colly
// collector sends every request with: its proxy, timeouts, keep-alive,
// the address guard, and bodyTransport bounding bodies after
// decompression. Redirects are not followed by the client; fetcher.get
// follows them itself so that each hop is checked against robots.txt and
// the host's rate limit, and capped.
func newClient(src *SourceConfig) (*http.Client, *addrGuard, error) {
	guard := &addrGuard{allowPrivate: src.AllowPrivate, viaProxy: src.Proxy != ""}
	timeout := time.Duration(src.Timeout)
	dialer := &net.Dialer{Timeout: min(timeout, 15*time.Second), KeepAlive: 30 * time.Second, Control: guard.control}
	tr := &http.Transport{
		DialContext:            dialer.DialContext,
		TLSHandshakeTimeout:    min(timeout, 15*time.Second),
		ResponseHeaderTimeout:  timeout,
		ExpectContinueTimeout:  time.Second,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    4,
		MaxResponseHeaderBytes: 1 << 20,
		ForceAttemptHTTP2:      true,
	}
	if src.Proxy != "" {
		pu, err := url.Parse(src.Proxy)
		if err != nil {
			return nil, nil, fmt.Errorf("proxy: %w", err)
		}
		if pu.Scheme == "socks5h" {
			pu.Scheme = "socks5" // Go's socks5 already resolves names at the proxy
		}
		tr.Proxy = http.ProxyURL(pu)
	}
	return &http.Client{
		Transport: &bodyTransport{next: tr, timeout: timeout, limit: int64(src.MaxBody)},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}, guard, nil
}

// validators are a URL's conditional-request validators.
type validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

func (v validators) empty() bool { return v.ETag == "" && v.LastModified == "" }

// page is a fetched response, its body decoded to UTF-8.
type page struct {
	// URL is the final URL, after redirects.
	URL *url.URL
	// NotModified is true for a 304 answer to a conditional request.
	NotModified bool
	// MediaType is "text/html", "text/plain" or "application/json".
	MediaType string
	// XML is true when the response was XML (feeds), served as text/plain.
	XML        bool
	Body       []byte
	Validators validators
	// dom is colly's parse of an HTML page, kept for html-listing
	// sources; nil otherwise.
	dom *goquery.Document
}

// document returns the page's HTML document: colly's parse when there is
// one, else a parse of Body.
func (p *page) document() (*goquery.Document, error) {
	if p.dom != nil {
		return p.dom, nil
	}
	return goquery.NewDocumentFromReader(bytes.NewReader(p.Body))
}

// retryPolicy bounds retries of one request.
type retryPolicy struct {
	max     int           // retries after the first attempt
	base    time.Duration // first backoff
	maxWait time.Duration // longest wait spent inside a visit
}

// fetcher fetches for one source, politely, with the source's colly
// collector over the source's client.
type fetcher struct {
	src    *SourceConfig
	client *http.Client
	coll   *colly.Collector
	guard  *addrGuard
	polite *politeness
	retry  retryPolicy
	log    *slog.Logger
}

func newFetcher(src *SourceConfig, polite *politeness, retry retryPolicy, log *slog.Logger) (*fetcher, error) {
	client, guard, err := newClient(src)
	if err != nil {
		return nil, err
	}
	var parts []string
	for _, c := range src.Cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	coll := newCollector(src, client, strings.Join(parts, "; "))
	return &fetcher{src: src, client: client, coll: coll, guard: guard, polite: polite, retry: retry, log: log}, nil
}

// close releases idle connections.
func (f *fetcher) close() {
	f.client.CloseIdleConnections()
}

// get fetches raw, following up to five redirects, obeying robots.txt and
// the host's rate limit, retrying 429, 5xx and network errors a bounded
// number of times. cond, if not empty, makes the first request
// conditional. Errors name the source and the URL.
func (f *fetcher) get(ctx context.Context, raw string, cond validators) (*page, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("source %q: get %s: %w", f.src.Name, raw, err)
	}
	u.Fragment = ""
	start := u
	for hop := 0; ; hop++ {
		p, next, err := f.hop(ctx, u, cond)
		if err != nil {
			if hop > 0 {
				return nil, fmt.Errorf("source %q: get %s (redirected to %s): %w", f.src.Name, redact(start), redact(u), err)
			}
			return nil, fmt.Errorf("source %q: get %s: %w", f.src.Name, redact(u), err)
		}
		if next == nil {
			return p, nil
		}
		if hop == maxRedirects {
			return nil, fmt.Errorf("source %q: get %s: %w: stopped after %d", f.src.Name, redact(start), ErrTooManyRedirects, maxRedirects)
		}
		u, cond = next, validators{}
	}
}

// hop performs one request (with retries) and returns the page, or the
// URL a redirect points to.
func (f *fetcher) hop(ctx context.Context, u *url.URL, cond validators) (*page, *url.URL, error) {
	if err := f.guard.checkTarget(u); err != nil {
		return nil, nil, err
	}
	key := hostKey(u)
	interval := time.Duration(float64(time.Second) / f.src.Rate)
	if f.src.RobotsEnabled() {
		rules, err := f.polite.robots(ctx, f, u)
		if err != nil {
			return nil, nil, err
		}
		if !rules.allowed(f.src.UserAgent, u) {
			return nil, nil, ErrDisallowed
		}
		interval = max(interval, rules.crawlDelay(f.src.UserAgent))
	}
	for attempt := 0; ; attempt++ {
		if err := f.polite.wait(ctx, key, interval, f.retry.maxWait); err != nil {
			return nil, nil, err
		}
		ex := &exchange{limit: int64(f.src.MaxBody), decode: true, dom: f.src.Kind == KindHTMLListing}
		err := f.send(ctx, u, cond, ex)
		if err != nil {
			if errors.Is(err, ErrAddressRefused) || errors.Is(err, ErrBodyTooLarge) || ctx.Err() != nil || attempt >= f.retry.max {
				return nil, nil, err
			}
			d := f.polite.failed(key, f.retry.base, 0)
			f.log.Debug("retrying after network error", "source", f.src.Name, "url", redact(u), "attempt", attempt+1, "wait", d, "err", err)
			continue
		}
		resp := ex.resp
		switch c := resp.status; {
		case c >= 200 && c < 300:
			f.polite.succeeded(key)
			if ex.err != nil {
				return nil, nil, ex.err
			}
			p := ex.page
			p.URL = u
			return p, nil, nil
		case c == http.StatusNotModified && !cond.empty():
			f.polite.succeeded(key)
			return &page{URL: u, NotModified: true, Validators: cond}, nil, nil
		case c == http.StatusMovedPermanently, c == http.StatusFound, c == http.StatusSeeOther,
			c == http.StatusTemporaryRedirect, c == http.StatusPermanentRedirect:
			f.polite.succeeded(key)
			loc := resp.header.Get("Location")
			if loc == "" {
				return nil, nil, fmt.Errorf("redirect without Location: %w", &StatusError{Code: c})
			}
			next, err := u.Parse(loc)
			if err != nil {
				return nil, nil, fmt.Errorf("redirect to invalid location: %w", err)
			}
			next.Fragment = ""
			return nil, next, nil
		case c == http.StatusTooManyRequests, c == http.StatusServiceUnavailable,
			c == http.StatusInternalServerError, c == http.StatusBadGateway, c == http.StatusGatewayTimeout:
			ra, hasRA := retryAfter(resp.header.Get("Retry-After"), time.Now())
			d := f.polite.failed(key, f.retry.base, ra)
			if attempt < f.retry.max && d <= f.retry.maxWait {
				f.log.Debug("server asked to retry", "source", f.src.Name, "url", redact(u), "status", c, "attempt", attempt+1, "wait", d)
				continue
			}
			if c == http.StatusTooManyRequests || hasRA || c == http.StatusServiceUnavailable {
				return nil, nil, &RetryLaterError{Until: time.Now().Add(d), Reason: fmt.Sprintf("status %d %s after %d attempts", c, http.StatusText(c), attempt+1)}
			}
			return nil, nil, fmt.Errorf("after %d attempts: %w", attempt+1, &StatusError{Code: c})
		default:
			return nil, nil, &StatusError{Code: c}
		}
	}
}

// rawResponse is what one request returned.
type rawResponse struct {
	status int
	header http.Header
	body   []byte
}

// roundTrip sends one GET and reads the body of a 2xx answer, at most
// limit bytes after decompression: more is ErrBodyTooLarge, or is cut
// when truncate is set (robots.txt). The body is not decoded.
func (f *fetcher) roundTrip(ctx context.Context, u *url.URL, cond validators, limit int64, truncate bool) (*rawResponse, error) {
	ex := &exchange{limit: limit, truncate: truncate}
	if err := f.send(ctx, u, cond, ex); err != nil {
		return nil, err
	}
	return ex.resp, ex.err
}

// retryAfter parses a Retry-After value (seconds or an HTTP date).
func retryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		d = time.Duration(min(secs, int64(maxRetryAfter/time.Second))) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	} else {
		return 0, false
	}
	return min(max(d, 0), maxRetryAfter), true
}

// backoff returns the n-th (0-based) exponential backoff from base with
// jitter: a random duration between half of and the full base·2ⁿ, at most
// ceiling.
func backoff(base time.Duration, n int, ceiling time.Duration) time.Duration {
	d := base << min(n, 20)
	if d <= 0 || d > ceiling {
		d = ceiling
	}
	return d/2 + rand.N(d/2+1)
}

// hostKey is the politeness key: host and port.
func hostKey(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	return net.JoinHostPort(strings.ToLower(u.Hostname()), port)
}

// redact drops credentials from a URL for errors and logs.
func redact(u *url.URL) string {
	if u.User == nil {
		return u.String()
	}
	c := *u
	c.User = nil
	return c.String()
}

var xmlDeclRE = regexp.MustCompile(`^\s*<\?xml[^>]*\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']`)

// decodePage classifies the media type and decodes the body to UTF-8.
func decodePage(r *rawResponse) (*page, error) {
	ct := r.header.Get("Content-Type")
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt == "" {
		mt, _, _ = mime.ParseMediaType(http.DetectContentType(r.body))
		ct = ""
	}
	p := &page{Validators: validators{ETag: r.header.Get("ETag"), LastModified: r.header.Get("Last-Modified")}}
	switch {
	case mt == "text/html", mt == "application/xhtml+xml":
		p.MediaType = "text/html"
	case mt == "application/json", strings.HasSuffix(mt, "+json"):
		p.MediaType = "application/json"
	case mt == "text/xml", mt == "application/xml", strings.HasSuffix(mt, "+xml"):
		p.MediaType, p.XML = "text/plain", true
	case strings.HasPrefix(mt, "text/"):
		p.MediaType = "text/plain"
	default:
		return nil, fmt.Errorf("%w %q", ErrUnsupportedMedia, mt)
	}
	body, err := toUTF8(r.body, ct, p.MediaType == "text/html", p.XML)
	if err != nil {
		return nil, err
	}
	p.Body = body
	return p, nil
}

var boms = []struct {
	bom   []byte
	label string
}{
	{[]byte{0xEF, 0xBB, 0xBF}, "utf-8"},
	{[]byte{0xFE, 0xFF}, "utf-16be"},
	{[]byte{0xFF, 0xFE}, "utf-16le"},
}

// toUTF8 decodes body to UTF-8. The encoding is taken from, in order: a
// byte-order mark, the Content-Type charset, the document itself (<meta
// charset> for HTML, the XML declaration for XML); if none is given, valid
// UTF-8 is kept as is and anything else is guessed statistically.
func toUTF8(body []byte, contentType string, isHTML, isXML bool) ([]byte, error) {
	enc, name := pickEncoding(body, contentType, isHTML, isXML)
	for _, b := range boms {
		if bytes.HasPrefix(body, b.bom) {
			body = body[len(b.bom):]
			break
		}
	}
	if name == "utf-8" && utf8.Valid(body) {
		return body, nil
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", name, err)
	}
	return out, nil
}

func pickEncoding(body []byte, contentType string, isHTML, isXML bool) (encoding.Encoding, string) {
	for _, b := range boms {
		if bytes.HasPrefix(body, b.bom) {
			return charset.Lookup(b.label)
		}
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if e, name := charset.Lookup(params["charset"]); e != nil {
			return e, name
		}
	}
	head := body[:min(len(body), 1024)]
	if isHTML {
		// a <meta> declaration comes back "uncertain" (the HTML spec calls
		// it tentative) but is what the page says; windows-1252 is also
		// the fallback when nothing is declared, so it falls through.
		if e, name, _ := charset.DetermineEncoding(head, contentType); name != "windows-1252" {
			return e, name
		}
	}
	if isXML {
		if m := xmlDeclRE.FindSubmatch(head); m != nil {
			if e, name := charset.Lookup(string(m[1])); e != nil {
				return e, name
			}
		}
	}
	if utf8.Valid(body) {
		return encoding.Nop, "utf-8"
	}
	sample := body[:min(len(body), 64<<10)]
	if r, err := chardet.NewTextDetector().DetectBest(sample); err == nil && r.Confidence >= 30 {
		if e, name := charset.Lookup(r.Charset); e != nil {
			return e, name
		}
	}
	e, name := charset.Lookup("windows-1252")
	return e, name
}

package crawler

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/PuerkitoBio/goquery"
	"github.com/gocolly/colly/v2"
)

// This file puts colly v2.3.0 on the fetch path. Each source has one
// synchronous colly.Collector that sends every request (pages, redirect
// hops, retries, robots.txt) through the source's own http.Client; per
// request the collector is cloned (cheap: the HTTP backend is shared) so
// that the clone can carry the request's context and callbacks while the
// item workers of a visit fetch concurrently. What colly would get wrong
// for a long-running monitor is settled below it, in bodyTransport, or
// switched off (see newCollector).

// nonSuccessBodyMax is how much of a non-2xx body is read (and thrown
// away); reading some of it lets small error pages keep the connection.
const nonSuccessBodyMax = 64 << 10

// exchange is one request's state, shared by the fetcher, colly's
// callbacks and bodyTransport (which finds it in the request's context).
// One goroutine uses it: colly's collector is synchronous.
type exchange struct {
	// limit bounds a 2xx body after decompression: more is
	// ErrBodyTooLarge, or is cut when truncate is set (robots.txt).
	limit    int64
	truncate bool
	// decode makes a 2xx answer a page, decoded to UTF-8.
	decode bool
	// dom keeps colly's parse of an HTML page on the page (html-listing).
	dom bool

	header http.Header  // the response header as the server sent it
	resp   *rawResponse // set once colly hands over the response
	page   *page        // with decode and a 2xx answer
	err    error        // why a 2xx answer is not a page
}

type exchangeKey struct{}

// newCollector builds the source's collector around client, overriding
// the colly defaults that do not fit (and anything COLLY_* environment
// variables may have set in NewCollector):
//
//   - its own http.Client (10 s timeout, a cookie jar, redirects followed
//     up to ten times) is replaced by the source's client: our timeouts,
//     proxy, address guard, and no redirects followed (fetcher.get does
//     that, checking each hop);
//   - robots.txt is ignored (politeness.go handles it, with expiry and
//     Crawl-delay) and URLs may be revisited (the State keeps what was
//     seen, with expiry, instead of colly's in-memory store growing
//     forever);
//   - every status reaches OnResponse, so that 304, 429 and 503 are ours
//     to handle;
//   - no charset detection and no gunzip (bodyTransport decodes below
//     colly, decodePage above it), and MaxBodySize above our own limit
//     so that colly never truncates silently;
//   - never Async (one goroutine per Visit, unbounded), no cache
//     directory, no domain or URL filters, no HEAD before GET.
func newCollector(src *SourceConfig, client *http.Client, cookie string) *colly.Collector {
	c := colly.NewCollector()
	c.UserAgent = src.UserAgent
	hdr := http.Header{}
	hdr.Set("Accept", "text/html,application/xhtml+xml,application/json;q=0.9,application/xml;q=0.9,text/plain;q=0.8,*/*;q=0.5")
	for k, v := range src.Headers {
		hdr.Set(k, v)
	}
	if cookie != "" {
		hdr.Set("Cookie", cookie)
	}
	c.Headers = &hdr
	c.Async = false
	c.AllowURLRevisit = true
	c.IgnoreRobotsTxt = true
	c.ParseHTTPErrorResponse = true
	c.DetectCharset = false
	c.CheckHead = false
	c.CacheDir = ""
	c.TraceHTTP = false
	c.MaxDepth = 0
	c.MaxRequests = 0
	c.AllowedDomains, c.DisallowedDomains = nil, nil
	c.URLFilters, c.DisallowedURLFilters = nil, nil
	c.MaxBodySize = int(max(int64(src.MaxBody), robotsMaxBody, nonSuccessBodyMax)) + 1
	c.SetClient(client)
	return c
}

// send makes one GET through colly. It returns an error when no response
// came or its body could not be read; otherwise ex.resp holds the answer
// (and, with ex.decode, ex.page or ex.err). The source's timeout covers
// the whole exchange, body included.
func (f *fetcher) send(ctx context.Context, u *url.URL, cond validators, ex *exchange) error {
	timeout := time.Duration(f.src.Timeout)
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	c := f.coll.Clone()
	c.Context = context.WithValue(ctx, exchangeKey{}, ex)
	c.OnRequest(func(r *colly.Request) {
		if cond.ETag != "" {
			r.Headers.Set("If-None-Match", cond.ETag)
		}
		if cond.LastModified != "" {
			r.Headers.Set("If-Modified-Since", cond.LastModified)
		}
	})
	c.OnResponse(ex.received)
	if ex.dom {
		c.OnHTML("html", func(e *colly.HTMLElement) {
			if e.Index != 0 || ex.page == nil || ex.page.MediaType != "text/html" || len(e.DOM.Nodes) == 0 {
				return
			}
			root := e.DOM.Nodes[0]
			for root.Parent != nil {
				root = root.Parent
			}
			ex.page.dom = goquery.NewDocumentFromNode(root)
		})
	}
	err := c.Request(http.MethodGet, u.String(), nil, nil, nil)
	if ex.resp != nil {
		// the answer arrived; an error now could only be colly failing to
		// parse HTML from memory, and then the page has no DOM and is
		// parsed by its reader
		return nil
	}
	if err == nil {
		return errors.New("no response") // colly aborted the request
	}
	ue := (*url.Error)(nil)
	if !errors.As(err, &ue) {
		return err // reading the body failed: limitedBody says how
	}
	err = ue.Err // the URL is named by the caller
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() != nil && ctx.Err() != context.Canceled {
		return fmt.Errorf("no answer within %s: %w", timeout, err)
	}
	return err
}

// received is colly's OnResponse callback: it records the answer and,
// with decode, turns a 2xx answer into a page, leaving the decoded body
// in r for colly's OnHTML.
func (ex *exchange) received(r *colly.Response) {
	hdr := ex.header
	if hdr == nil {
		hdr = r.Headers.Clone()
	}
	ex.resp = &rawResponse{status: r.StatusCode, header: hdr}
	if r.StatusCode < 200 || r.StatusCode > 299 {
		r.Body = nil // not ours to parse
		return
	}
	if int64(len(r.Body)) > ex.limit { // bodyTransport already refuses this
		if !ex.truncate {
			ex.err = fmt.Errorf("%w: more than %d bytes after decompression", ErrBodyTooLarge, ex.limit)
			r.Body = nil
			return
		}
		r.Body = r.Body[:ex.limit]
	}
	ex.resp.body = r.Body
	if !ex.decode {
		return
	}
	p, err := decodePage(ex.resp)
	if err != nil {
		ex.err = err
		r.Body = nil
		return
	}
	ex.page = p
	r.Body = p.Body
}

// bodyTransport sits between colly and the http.Transport (which
// inflates gzip): it bounds the inflated body, refusing more than the
// limit with ErrBodyTooLarge instead of letting colly's MaxBodySize cut
// it (colly applies that before its own gunzip, so a gzip bomb would pass
// and a large page would come out short). It also hides from colly what
// colly would act on wrongly: responses are marked Uncompressed (colly
// must not gunzip) and colly sees the Content-Type without its charset
// (colly would decode that charset itself, and then decodePage would
// decode twice); the header as sent is kept in the exchange.
type bodyTransport struct {
	next    http.RoundTripper
	timeout time.Duration
	limit   int64 // when a request carries no exchange
}

// RoundTrip sends the request and wraps the response body.
func (t *bodyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	ex, _ := req.Context().Value(exchangeKey{}).(*exchange)
	if ex == nil {
		ex = &exchange{limit: t.limit}
	}
	ex.header = resp.Header.Clone()
	body := &limitedBody{rc: resp.Body, ctx: req.Context(), timeout: t.timeout, limit: ex.limit, truncate: ex.truncate}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		body.limit, body.truncate = nonSuccessBodyMax, true
	} else if ce := strings.ToLower(resp.Header.Get("Content-Encoding")); ce != "" && ce != "identity" && !resp.Uncompressed {
		body.err = fmt.Errorf("unsupported content-encoding %q", ce)
	} else if resp.ContentLength > ex.limit && !ex.truncate {
		body.err = fmt.Errorf("%w: declared %d bytes, limit is %d", ErrBodyTooLarge, resp.ContentLength, ex.limit)
	}
	resp.Body = body
	resp.Uncompressed = true
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err == nil {
			resp.Header.Set("Content-Type", mt)
		} else {
			resp.Header.Del("Content-Type")
		}
	}
	return resp, nil
}

// CloseIdleConnections forwards to the wrapped transport.
func (t *bodyTransport) CloseIdleConnections() {
	if c, ok := t.next.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// limitedBody reads at most limit bytes: past that it fails with
// ErrBodyTooLarge, or ends when truncate is set. err, if set, is returned
// before anything is read.
type limitedBody struct {
	rc       io.ReadCloser
	ctx      context.Context
	timeout  time.Duration
	limit    int64
	truncate bool
	n        int64
	err      error
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.n >= b.limit {
		if b.truncate {
			return 0, io.EOF
		}
		// one more byte tells a body of exactly limit bytes from a larger one
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			b.err = fmt.Errorf("%w: more than %d bytes after decompression", ErrBodyTooLarge, b.limit)
			return 0, b.err
		}
		if err != nil {
			return 0, b.wrap(err)
		}
		return 0, nil
	}
	if rest := b.limit - b.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := b.rc.Read(p)
	b.n += int64(n)
	return n, b.wrap(err)
}

func (b *limitedBody) wrap(err error) error {
	switch {
	case err == nil || err == io.EOF:
		return err
	case b.ctx.Err() == context.DeadlineExceeded:
		b.err = fmt.Errorf("read body: not complete within %s: %w", b.timeout, err)
	default:
		b.err = fmt.Errorf("read body: %w", err)
	}
	return b.err
}

func (b *limitedBody) Close() error { return b.rc.Close() }

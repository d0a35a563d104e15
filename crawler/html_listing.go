package crawler

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// listItem is a link found on a listing page.
type listItem struct {
	url   string
	title string
}

// visitHTMLListing walks the listing pages (item_selector, next_selector,
// max_pages), then fetches every item page not seen yet, oldest listed
// first, following next_selector within an item too. With
// content_selector, each match on an item page is its own document, keyed
// by the id of the match or of its nearest ancestor that has one (a forum
// post: phpBB's div#p123, XenForo's article#js-post-123), so a post found
// again on another page or after a reply is not handed over twice.
func visitHTMLListing(ctx context.Context, v *visit) error {
	cfg := &v.s.cfg
	var items []listItem
	found := map[string]bool{}
	next := cfg.URL
	for n := 0; n < cfg.MaxPages && next != ""; n++ {
		p, err := v.fetch(ctx, next, n == 0)
		if err != nil {
			return err
		}
		if p.NotModified {
			return nil
		}
		if p.MediaType != "text/html" {
			return fmt.Errorf("source %q: listing %s: got %s, want text/html", cfg.Name, redact(p.URL), p.MediaType)
		}
		doc, err := p.document()
		if err != nil {
			return fmt.Errorf("source %q: listing %s: parse: %w", cfg.Name, redact(p.URL), err)
		}
		base := baseOf(doc, p.URL)
		doc.FindMatcher(v.s.itemSel).Each(func(_ int, s *goquery.Selection) {
			if u := linkOf(s, base); u != "" && !found[u] {
				found[u] = true
				items = append(items, listItem{url: u, title: cleanText(s.Text())})
			}
		})
		next = ""
		if v.s.nextSel != nil {
			if u := linkOf(doc.FindMatcher(v.s.nextSel).First(), base); u != "" && !found[u] {
				found[u] = true
				next = u
			}
		}
	}
	return v.eachItem(ctx, len(items), func(i int) string { return items[i].url }, func(ctx context.Context, i int) (bool, error) {
		return fetchItem(ctx, v, items[i])
	})
}

// fetchItem fetches an item's pages and delivers their documents. It
// reports whether the item is done (false: failed, try again next visit).
func fetchItem(ctx context.Context, v *visit, it listItem) (bool, error) {
	cfg := &v.s.cfg
	visited := map[string]bool{}
	next := it.url
	for n := 0; n < cfg.MaxPages && next != "" && !visited[next]; n++ {
		visited[next] = true
		p, err := v.fetch(ctx, next, false)
		if err != nil {
			return false, v.itemFailed(ctx, it.url, err)
		}
		docs, nextURL, err := itemDocuments(v.s, p, it)
		if err != nil {
			return false, v.itemFailed(ctx, it.url, fmt.Errorf("source %q: item %s: %w", cfg.Name, redact(p.URL), err))
		}
		for _, d := range docs {
			if err := v.deliver(ctx, d, d.Key); err != nil {
				return false, err
			}
		}
		next = nextURL
	}
	return true, nil
}

// itemDocuments cuts an item page into documents and finds its next page.
func itemDocuments(s *source, p *page, it listItem) ([]Document, string, error) {
	whole := Document{URL: p.URL.String(), Key: p.URL.String(), Title: it.title, MediaType: p.MediaType, Body: p.Body}
	if p.MediaType != "text/html" {
		return []Document{whole}, "", nil
	}
	doc, err := p.document()
	if err != nil {
		return nil, "", fmt.Errorf("parse: %w", err)
	}
	base := baseOf(doc, p.URL)
	next := ""
	if s.nextSel != nil {
		next = linkOf(doc.FindMatcher(s.nextSel).First(), base)
	}
	if whole.Title == "" {
		whole.Title = cleanText(doc.Find("title").First().Text())
	}
	if s.contentSel == nil {
		return []Document{whole}, next, nil
	}
	matches := doc.FindMatcher(s.contentSel)
	if matches.Length() == 0 {
		return nil, "", fmt.Errorf("content_selector %q matched nothing (has the layout changed?)", s.cfg.ContentSelector)
	}
	var docs []Document
	matches.Each(func(i int, m *goquery.Selection) {
		body, err := goquery.OuterHtml(m)
		if err != nil {
			return
		}
		d := Document{URL: p.URL.String(), Title: whole.Title, MediaType: "text/html", Body: []byte(body)}
		if id := idOf(m); id != "" {
			d.Key = p.URL.Host + "#" + id
			frag := *p.URL
			frag.Fragment = id
			d.URL = frag.String()
		} else {
			d.Key = p.URL.String() + "#" + strconv.Itoa(i)
		}
		docs = append(docs, d)
	})
	return docs, next, nil
}

// idOf returns the id of the element or of its nearest ancestor with one.
func idOf(s *goquery.Selection) string {
	for n := s.Get(0); n != nil; n = n.Parent {
		if n.Type != html.ElementNode {
			continue
		}
		for _, a := range n.Attr {
			if a.Key == "id" && a.Val != "" {
				return a.Val
			}
		}
	}
	return ""
}

// baseOf returns the document's <base href>, resolved, or the page URL.
func baseOf(doc *goquery.Document, pageURL *url.URL) *url.URL {
	if href, ok := doc.Find("base[href]").First().Attr("href"); ok {
		if b, err := pageURL.Parse(strings.TrimSpace(href)); err == nil {
			return b
		}
	}
	return pageURL
}

var hrefSel = cascadia.MustCompile("a[href]")

// linkOf returns the normalized absolute http(s) URL an element links to:
// its own href, or that of the first link inside it.
func linkOf(s *goquery.Selection, base *url.URL) string {
	if s.Length() == 0 {
		return ""
	}
	href, ok := s.Attr("href")
	if !ok {
		href, ok = s.FindMatcher(hrefSel).First().Attr("href")
	}
	href = strings.TrimSpace(href)
	if !ok || href == "" || strings.HasPrefix(href, "#") {
		return ""
	}
	u, err := base.Parse(href)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return normalizeURL(u)
}

var sessionHex = regexp.MustCompile(`^[0-9a-fA-F]{32}$`)

// normalizeURL drops the fragment and session parameters that change per
// visit (phpBB's sid, PHPSESSID, vBulletin's s=<32 hex>), so the same item
// keeps the same key.
func normalizeURL(u *url.URL) string {
	c := *u
	c.Fragment = ""
	c.RawFragment = ""
	if c.RawQuery != "" {
		q := c.Query()
		changed := false
		for _, k := range []string{"sid", "PHPSESSID", "phpsessid"} {
			if q.Has(k) {
				q.Del(k)
				changed = true
			}
		}
		if s := q.Get("s"); s != "" && sessionHex.MatchString(s) {
			q.Del("s")
			changed = true
		}
		if changed {
			c.RawQuery = q.Encode()
		}
	}
	return c.String()
}

var spaces = regexp.MustCompile(`\s+`)

// cleanText collapses whitespace and bounds a title's length.
func cleanText(s string) string {
	s = strings.TrimSpace(spaces.ReplaceAllString(s, " "))
	if len(s) > 300 {
		cut := 300
		for cut > 0 && !isRuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

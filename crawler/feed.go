package crawler

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/url"
	"strings"
)

// feedDoc holds the parts of an RSS 2.0 (or RSS 1.0) or Atom feed the
// crawler reads; names match in any namespace.
type feedDoc struct {
	XMLName xml.Name
	Channel struct {
		Items []rssItem `xml:"item"`
	} `xml:"channel"`
	Items   []rssItem   `xml:"item"` // RSS 1.0 puts items beside the channel
	Entries []atomEntry `xml:"entry"`
}

type rssItem struct {
	Title       string `xml:"title"`
	Link        string `xml:"link"`
	GUID        string `xml:"guid"`
	Description string `xml:"description"`
	Content     string `xml:"http://purl.org/rss/1.0/modules/content/ encoded"`
}

type atomText struct {
	Type  string `xml:"type,attr"`
	Text  string `xml:",chardata"`
	Inner string `xml:",innerxml"`
}

func (t atomText) value() string {
	if t.Type == "xhtml" {
		return strings.TrimSpace(t.Inner)
	}
	return strings.TrimSpace(t.Text)
}

type atomEntry struct {
	ID    string   `xml:"id"`
	Title atomText `xml:"title"`
	Links []struct {
		Href string `xml:"href,attr"`
		Rel  string `xml:"rel,attr"`
	} `xml:"link"`
	Content atomText `xml:"content"`
	Summary atomText `xml:"summary"`
}

// feedEntry is an entry of either format.
type feedEntry struct {
	key, link, title, content string
}

// parseFeed reads an RSS or Atom feed already decoded to UTF-8.
func parseFeed(body []byte) ([]feedEntry, error) {
	var f feedDoc
	d := xml.NewDecoder(bytes.NewReader(body))
	d.Strict = false
	d.Entity = xml.HTMLEntity
	d.CharsetReader = func(_ string, r io.Reader) (io.Reader, error) { return r, nil } // already UTF-8
	if err := d.Decode(&f); err != nil {
		return nil, err
	}
	var out []feedEntry
	switch strings.ToLower(f.XMLName.Local) {
	case "rss", "rdf":
		for _, it := range append(f.Channel.Items, f.Items...) {
			e := feedEntry{key: strings.TrimSpace(it.GUID), link: strings.TrimSpace(it.Link), title: strings.TrimSpace(it.Title)}
			e.content = strings.TrimSpace(it.Content)
			if e.content == "" {
				e.content = strings.TrimSpace(it.Description)
			}
			out = append(out, e)
		}
	case "feed":
		for _, en := range f.Entries {
			e := feedEntry{key: strings.TrimSpace(en.ID), title: en.Title.value(), content: en.Content.value()}
			if e.content == "" {
				e.content = en.Summary.value()
			}
			for _, l := range en.Links {
				if l.Rel == "" || l.Rel == "alternate" {
					e.link = strings.TrimSpace(l.Href)
					break
				}
			}
			out = append(out, e)
		}
	default:
		return nil, fmt.Errorf("root element <%s> is neither <rss> nor <feed>", f.XMLName.Local)
	}
	for i := range out {
		if out[i].key == "" {
			out[i].key = out[i].link
		}
	}
	return out, nil
}

// visitFeed reads an RSS or Atom feed (conditionally) and, for every
// entry not seen yet (by guid or id, else link), oldest first, fetches the
// entry's link, or with use_content takes the entry's content from the
// feed.
func visitFeed(ctx context.Context, v *visit) error {
	cfg := &v.s.cfg
	p, err := v.fetch(ctx, cfg.URL, true)
	if err != nil {
		return err
	}
	if p.NotModified {
		return nil
	}
	entries, err := parseFeed(p.Body)
	if err != nil {
		return fmt.Errorf("source %q: feed %s: %w", cfg.Name, redact(p.URL), err)
	}
	pool := v.items(ctx)
	for i := len(entries) - 1; i >= 0; i-- { // feeds list the newest first
		e := entries[i]
		if e.key == "" {
			continue
		}
		ok, stop, err := v.admit(ctx, e.key)
		if err != nil || stop {
			return pool.Close(err)
		}
		if !ok {
			continue
		}
		link := entryLink(p.URL, e.link)
		if !(cfg.UseContent && e.content != "") && link == "" {
			continue
		}
		if !pool.Go(func(ctx context.Context) error { return feedEntryDocument(ctx, v, e, link, p) }) {
			break
		}
	}
	return pool.Close(nil)
}

// entryLink resolves an entry's link against the feed's URL. Only an
// http(s) URL with a host is kept: the fetcher refuses anything else, and
// an entry that failed at every visit would fail the source for good.
func entryLink(feed *url.URL, link string) string {
	if link == "" {
		return ""
	}
	lu, err := feed.Parse(link)
	if err != nil || (lu.Scheme != "http" && lu.Scheme != "https") || lu.Hostname() == "" {
		return ""
	}
	return lu.String()
}

// feedEntryDocument delivers one entry: its content from the feed (with
// use_content) or the page it links to. A non-nil error stops the visit.
func feedEntryDocument(ctx context.Context, v *visit, e feedEntry, link string, feed *page) error {
	d := Document{URL: link, Key: e.key, Title: e.title}
	if v.s.cfg.UseContent && e.content != "" {
		d.MediaType, d.Body = "text/html", []byte(e.content)
	} else {
		ep, err := v.fetch(ctx, link, false)
		if err != nil {
			return v.itemFailed(ctx, e.key, err)
		}
		d.URL, d.MediaType, d.Body = ep.URL.String(), ep.MediaType, ep.Body
	}
	if d.URL == "" {
		d.URL = redact(feed.URL)
	}
	return v.deliver(ctx, d, e.key)
}

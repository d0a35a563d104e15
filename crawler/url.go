package crawler

import (
	"bytes"
	"context"

	"github.com/PuerkitoBio/goquery"
)

// visitURL watches one page for changes: a conditional request (304 means
// unchanged), then the content hash, so a page is handed over once per
// distinct content within the retention.
func visitURL(ctx context.Context, v *visit) error {
	cfg := &v.s.cfg
	p, err := v.fetch(ctx, cfg.URL, true)
	if err != nil {
		return err
	}
	if p.NotModified {
		return nil
	}
	d := Document{URL: p.URL.String(), Key: cfg.URL, MediaType: p.MediaType, Body: p.Body}
	if p.MediaType == "text/html" {
		if doc, err := goquery.NewDocumentFromReader(bytes.NewReader(p.Body)); err == nil {
			d.Title = cleanText(doc.Find("title").First().Text())
		}
	}
	return v.deliver(ctx, d)
}

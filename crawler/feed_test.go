package crawler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

func TestFeedsFindEveryEntryOnce(t *testing.T) {
	for _, tc := range []struct {
		name       string
		atom       bool
		useContent bool
	}{
		{"rss-links", false, false},
		{"rss-content", false, true},
		{"atom-links", true, false},
		{"atom-content", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := fixtures.NewFeeds()
			defer f.Close()
			for i := range 3 {
				f.Add(fmt.Sprintf("Entry %d", i), fmt.Sprintf("entry body number %d", i))
			}
			u := f.RSSURL()
			if tc.atom {
				u = f.AtomURL()
			}
			h := &collector{}
			c := newCrawler(t, openState(t), h, loopSource("feed", KindFeed, u, func(s *SourceConfig) { s.UseContent = tc.useContent }))
			visitOnce(t, c, "feed")
			f.Add("Entry late", "entry body number late")
			visitOnce(t, c, "feed")
			if st := visitOnce(t, c, "feed"); st.Fetched != 1 || st.New != 0 {
				t.Errorf("third visit %+v, want one 304 and nothing new", st)
			}
			for i, want := range []string{"0", "1", "2", "late"} {
				docs := h.containing("entry body number " + want + "<")
				if len(docs) != 1 {
					t.Fatalf("entry %s delivered %d times", want, len(docs))
				}
				d := docs[0]
				if d.URL != f.EntryURL(i+1) || d.MediaType != "text/html" || !strings.HasPrefix(d.Title, "Entry ") {
					t.Errorf("entry %s: %+v", want, d)
				}
			}
			if len(h.all()) != 4 {
				t.Errorf("%d documents, want 4", len(h.all()))
			}
			entryFetches := 0
			for i := 1; i <= 4; i++ {
				entryFetches += f.Hits().Count(fmt.Sprintf("/entries/%d", i))
			}
			if tc.useContent && entryFetches != 0 {
				t.Errorf("use_content fetched %d entry pages", entryFetches)
			}
			if !tc.useContent && entryFetches != 4 {
				t.Errorf("fetched %d entry pages, want 4", entryFetches)
			}
			if f.NotModified() != 1 {
				t.Errorf("%d 304 answers, want 1", f.NotModified())
			}
		})
	}
}

func TestParseFeedRejectsOtherXML(t *testing.T) {
	if _, err := parseFeed([]byte(`<?xml version="1.0"?><html><body/></html>`)); err == nil || !strings.Contains(err.Error(), "neither") {
		t.Fatalf("err = %v", err)
	}
	es, err := parseFeed([]byte(`<?xml version="1.0" encoding="EUC-JP"?><rss><channel><item><title>t&nbsp;x</title><link>http://a.example/1</link></item></channel></rss>`))
	if err != nil || len(es) != 1 || es[0].key != "http://a.example/1" {
		t.Fatalf("entries %+v, err %v", es, err)
	}
}

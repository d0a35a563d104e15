package crawler

import (
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

func TestURLWatchesForChanges(t *testing.T) {
	p := fixtures.NewPage("<html><head><title>Leak list</title></head><body>version one</body></html>")
	defer p.Close()
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("page", KindURL, p.PageURL()))
	if st := visitOnce(t, c, "page"); st.New != 1 {
		t.Fatalf("first visit %+v", st)
	}
	if st := visitOnce(t, c, "page"); st.New != 0 {
		t.Fatalf("unchanged page delivered again: %+v", st)
	}
	if full, nm := p.Served(); full != 1 || nm != 1 {
		t.Fatalf("served %d full and %d 304, want 1 and 1", full, nm)
	}
	p.Set("<html><body>version two</body></html>")
	visitOnce(t, c, "page")
	p.Set("<html><head><title>Leak list</title></head><body>version one</body></html>") // back to old content
	if st := visitOnce(t, c, "page"); st.New != 0 || st.Duplicates != 1 {
		t.Fatalf("content seen before was delivered again: %+v", st)
	}
	docs := h.all()
	if len(docs) != 2 || docs[0].Title != "Leak list" || len(h.containing("version two")) != 1 {
		t.Fatalf("documents %+v", docs)
	}
	if docs[0].Key != p.PageURL() || docs[0].URL != p.PageURL() {
		t.Errorf("key %q url %q, want the page URL", docs[0].Key, docs[0].URL)
	}
}

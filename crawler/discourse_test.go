package crawler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

func TestDiscourseEveryPostOnce(t *testing.T) {
	d := fixtures.NewDiscourse(2) // two topics per latest.json page
	defer d.Close()
	long, _ := d.CreateTopic("Big leak thread", "alice", "opening post")
	for i := range 44 { // 45 posts: 20 embedded, 25 fetched by id
		d.Reply(long, "bob", fmt.Sprintf("reply number %d", i))
	}
	for i := range 3 {
		d.CreateTopic(fmt.Sprintf("Short topic %d", i), "carol", fmt.Sprintf("short topic body %d", i))
	}
	h := &collector{}
	st := openState(t)
	c := newCrawler(t, st, h, loopSource("disc", KindDiscourse, d.URL+"/", func(s *SourceConfig) { s.MaxPages = 5 }))
	visitOnce(t, c, "disc")
	checkDiscourse(t, h, d.Posts())
	if n := d.Hits().Count("/latest.json"); n != 2 {
		t.Errorf("latest.json fetched %d times, want 2 pages", n)
	}
	if n := d.Hits().Count(fmt.Sprintf("/t/%d/posts.json", long)); n != 2 {
		t.Errorf("posts.json fetched %d times for 25 posts, want 2 batches", n)
	}

	d.Reply(long, "dave", "a late reply beyond the first twenty")
	d.CreateTopic("Newest", "erin", "the newest topic")
	visitOnce(t, c, "disc")
	checkDiscourse(t, h, d.Posts())

	c2 := newCrawler(t, st, h, loopSource("disc", KindDiscourse, d.URL+"/latest.json", func(s *SourceConfig) { s.MaxPages = 5 }))
	if s := visitOnce(t, c2, "disc"); s.New != 0 {
		t.Fatalf("restart delivered %d documents", s.New)
	}
	checkDiscourse(t, h, d.Posts())
}

func checkDiscourse(t *testing.T, h *collector, posts []fixtures.DiscoursePost) {
	t.Helper()
	for _, p := range posts {
		docs := h.containing("<p>" + p.Raw + "</p>")
		if len(docs) != 1 {
			t.Errorf("post %d delivered %d times, want once", p.ID, len(docs))
			continue
		}
		if doc := docs[0]; doc.Key != fmt.Sprintf("post/%d", p.ID) || doc.MediaType != "text/html" ||
			!strings.HasSuffix(doc.URL, fmt.Sprintf("/%d/%d", p.Topic, p.PostNumber)) {
			t.Errorf("post %d: document key %q url %q", p.ID, doc.Key, doc.URL)
		}
	}
	if got := len(h.all()); got != len(posts) {
		t.Errorf("%d documents for %d posts", got, len(posts))
	}
}

package crawler

import (
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

func phpBBSource(f *fixtures.Forum) SourceConfig {
	return loopSource("forum", KindHTMLListing, f.ListingURL(), func(s *SourceConfig) {
		s.ItemSelector = `a.topictitle, dd.lastpost a[href*="#p"]`
		s.NextSelector = "a[rel=next]"
		s.ContentSelector = "div[id^=p] .content"
		s.MaxPages = 10
	})
}

// postsDeliveredOnce checks that every forum post was handed over exactly
// once.
func postsDeliveredOnce(t *testing.T, h *collector, posts []fixtures.ForumPost) {
	t.Helper()
	for _, p := range posts {
		docs := h.containing(p.Body + "<")
		if len(docs) != 1 {
			t.Errorf("post %d delivered %d times, want once", p.ID, len(docs))
			continue
		}
		// phpBB wraps each post's body in div#post_content{id} inside div#p{id}
		if want := fmt.Sprintf("#post_content%d", p.ID); !strings.HasSuffix(docs[0].Key, want) || !strings.HasSuffix(docs[0].URL, want) {
			t.Errorf("post %d: key %q url %q, want them to end in %s", p.ID, docs[0].Key, docs[0].URL, want)
		}
	}
	if got, want := len(h.all()), len(posts); got != want {
		t.Errorf("%d documents for %d posts", got, want)
	}
}

func TestPhpBBEveryPostOnce(t *testing.T) {
	forum := fixtures.NewForum(fixtures.ForumOptions{TopicsPerPage: 3, PostsPerPage: 4})
	defer forum.Close()
	for i := range 7 { // three listing pages
		topic, _ := forum.Post(fmt.Sprintf("Topic %d", i), "alice", fmt.Sprintf("first post of topic %d", i))
		for j := range i { // topic 6 has 7 posts: two topic pages
			forum.Reply(topic, "bob", fmt.Sprintf("reply %d to topic %d", j, i))
		}
	}
	h := &collector{}
	st := openState(t)
	c := newCrawler(t, st, h, phpBBSource(forum))
	visitOnce(t, c, "forum")
	postsDeliveredOnce(t, h, forum.Posts())
	if n := forum.Hits().Count("/viewforum.php"); n != 3 {
		t.Errorf("%d listing pages fetched, want 3", n)
	}

	// new topics and replies to old ones, including one on a new page
	forum.Reply(1, "carol", "late reply to topic 0")
	forum.Reply(7, "carol", "reply that opens page three of topic 6")
	forum.Post("Fresh topic", "dave", "a brand new topic")
	visitOnce(t, c, "forum")
	postsDeliveredOnce(t, h, forum.Posts())

	// a restarted crawler on the same state delivers nothing again
	before := forum.Hits().Count("/viewtopic.php")
	c2 := newCrawler(t, st, h, phpBBSource(forum))
	if s := visitOnce(t, c2, "forum"); s.New != 0 {
		t.Fatalf("restarted crawler delivered %d documents", s.New)
	}
	if n := forum.Hits().Count("/viewtopic.php") - before; n != 0 {
		t.Errorf("restarted crawler fetched %d topic pages; all were seen", n)
	}
	postsDeliveredOnce(t, h, forum.Posts())
}

func TestPasteArchiveRawLinks(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("one", "first archived paste")
	site.Publish("two", "second archived paste")
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("archive", KindHTMLListing, site.ArchiveURL(), func(s *SourceConfig) {
		s.ItemSelector = `table.maintable a[href^="/raw/"]`
	}))
	visitOnce(t, c, "archive")
	site.Publish("three", "third archived paste")
	visitOnce(t, c, "archive")
	for _, p := range site.Pastes() {
		docs := h.containing(p.Body)
		if len(docs) != 1 {
			t.Fatalf("paste %s delivered %d times", p.Key, len(docs))
		}
		if d := docs[0]; string(d.Body) != p.Body || d.MediaType != "text/plain" || d.Title != p.Title || !strings.HasSuffix(d.URL, "/raw/"+p.Key) {
			t.Errorf("document %+v for paste %+v", d, p)
		}
	}
	if len(h.all()) != 3 {
		t.Errorf("%d documents, want 3", len(h.all()))
	}
}

func TestMalformedHTMLStillYieldsItsLinks(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("broken", KindHTMLListing, hs.URL+"/malformed", func(s *SourceConfig) {
		s.ItemSelector = "a.item"
		s.ContentSelector = ".content"
	}))
	st := visitOnce(t, c, "broken")
	if st.New != 2 || len(h.containing("public page")) != 1 || len(h.containing("private page")) != 1 {
		t.Fatalf("stats %+v; want both linked pages delivered", st)
	}
}

func TestContentSelectorMatchingNothingFailsTheItem(t *testing.T) {
	forum := fixtures.NewForum(fixtures.ForumOptions{})
	defer forum.Close()
	forum.Post("t", "a", "body")
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("forum", KindHTMLListing, forum.ListingURL(), func(s *SourceConfig) {
		s.ItemSelector = "a.topictitle"
		s.ContentSelector = "div.message-body" // XenForo's, not phpBB's
	}))
	err := visitErr(t, c, "forum")
	if !strings.Contains(err.Error(), "matched nothing") || !strings.Contains(err.Error(), "viewtopic.php") {
		t.Fatalf("err = %v, want the selector and the page named", err)
	}
	// the item stays unseen, so a fixed selector finds it later
	c.byName["forum"].contentSel = mustSel(t, "div[id^=p] .content")
	if st := visitOnce(t, c, "forum"); st.New != 1 {
		t.Fatalf("after fixing the selector: %+v", st)
	}
}

func TestNormalizeURL(t *testing.T) {
	for in, want := range map[string]string{
		"http://f.example/viewtopic.php?t=3&sid=0123456789abcdef0123456789abcdef#p9": "http://f.example/viewtopic.php?t=3",
		"http://f.example/showthread.php?s=0123456789abcdef0123456789abcdef&t=7":     "http://f.example/showthread.php?t=7",
		"http://f.example/search.php?s=leak":                                         "http://f.example/search.php?s=leak",
		"http://f.example/threads/x.5/page-2":                                        "http://f.example/threads/x.5/page-2",
	} {
		u, _ := url.Parse(in)
		if got := normalizeURL(u); got != want {
			t.Errorf("normalizeURL(%s) = %s, want %s", in, got, want)
		}
	}
}

package crawler

import (
	"fmt"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

// xenForoSource is the documented XenForo 2 example of doc.go.
func xenForoSource(x *fixtures.XenForo) SourceConfig {
	return loopSource("xenforo", KindHTMLListing, x.ListingURL(), func(s *SourceConfig) {
		s.ItemSelector = ".structItem-title a, .structItem-pageJump a"
		s.NextSelector = ".pageNav-jump--next"
		s.ContentSelector = "article.message .bbWrapper"
		s.MaxPages = 10
	})
}

// vBulletinSource is the documented vBulletin example of doc.go.
func vBulletinSource(v *fixtures.VBulletin) SourceConfig {
	return loopSource("vbulletin", KindHTMLListing, v.ListingURL(), func(s *SourceConfig) {
		s.ItemSelector = `a[id^=thread_title_], td[title^="Replies"] a[href*="#post"]`
		s.NextSelector = "a[rel=next]"
		s.ContentSelector = "div[id^=post_message_]"
		s.MaxPages = 10
	})
}

// boardPostsOnce checks that every post was handed over exactly once,
// keyed by the element id the board gives it (idPrefix + post id).
func boardPostsOnce(t *testing.T, h *collector, posts []fixtures.BoardPost, idPrefix string) {
	t.Helper()
	for _, p := range posts {
		docs := h.containing(p.Body + "<")
		if len(docs) != 1 {
			t.Errorf("post %d delivered %d times, want once", p.ID, len(docs))
			continue
		}
		want := fmt.Sprintf("#%s%d", idPrefix, p.ID)
		if !strings.HasSuffix(docs[0].Key, want) || !strings.HasSuffix(docs[0].URL, want) {
			t.Errorf("post %d: key %q url %q, want them to end in %s", p.ID, docs[0].Key, docs[0].URL, want)
		}
		if strings.Contains(docs[0].URL, "s=") {
			t.Errorf("post %d: url %q keeps a session id", p.ID, docs[0].URL)
		}
	}
	if got, want := len(h.all()), len(posts); got != want {
		t.Errorf("%d documents for %d posts", got, want)
	}
}

func TestXenForoEveryPostOnce(t *testing.T) {
	x := fixtures.NewXenForo(3) // 3 threads per listing page, 3 posts per thread page
	defer x.Close()
	for i := range 7 { // three listing pages
		thread, _ := x.Post(fmt.Sprintf("Thread number %d", i), "alice", fmt.Sprintf("first post of thread %d", i))
		for j := range i { // thread 7 has 7 posts: three thread pages
			x.Reply(thread, "bob", fmt.Sprintf("reply %d to thread %d", j, i))
		}
	}
	h := &collector{}
	st := openState(t)
	c := newCrawler(t, st, h, xenForoSource(x))
	visitOnce(t, c, "xenforo")
	boardPostsOnce(t, h, x.Posts(), "js-post-")
	if n := x.Hits().Count("/forums/leaks.2/") + x.Hits().Count("/forums/leaks.2/page-2") + x.Hits().Count("/forums/leaks.2/page-3"); n != 3 {
		t.Errorf("%d listing pages fetched, want 3", n)
	}

	// a new thread, and replies that open new pages of old threads (the
	// page links of .structItem-pageJump are new items; see doc.go for
	// replies that land on a page already seen)
	x.Reply(3, "carol", "reply that opens page two of thread 2")
	x.Reply(6, "carol", "reply that opens page three of thread 5")
	x.Post("Fresh thread", "dave", "a brand new thread")
	c2 := newCrawler(t, st, h, xenForoSource(x)) // a restart in between
	s := visitOnce(t, c2, "xenforo")
	if s.New != 3 {
		t.Errorf("second visit: %+v, want 3 new posts", s)
	}
	if s := visitOnce(t, c2, "xenforo"); s.New != 0 || s.Fetched != 3 {
		t.Errorf("third visit: %+v, want only the 3 listing pages fetched", s)
	}
	boardPostsOnce(t, h, x.Posts(), "js-post-")
}

func TestVBulletinEveryPostOnce(t *testing.T) {
	v := fixtures.NewVBulletin(3)
	defer v.Close()
	for i := range 7 {
		thread, _ := v.Post(fmt.Sprintf("Thread %d", i), "alice", fmt.Sprintf("first post of thread %d", i))
		for j := range i {
			v.Reply(thread, "bob", fmt.Sprintf("reply %d to thread %d", j, i))
		}
	}
	h := &collector{}
	st := openState(t)
	c := newCrawler(t, st, h, vBulletinSource(v))
	visitOnce(t, c, "vbulletin")
	boardPostsOnce(t, h, v.Posts(), "post_message_")
	if n := v.Hits().Count("/forumdisplay.php"); n != 3 {
		t.Errorf("%d listing pages fetched, want 3", n)
	}

	// replies to old threads (the last-post link changes with each) and
	// a new thread; session ids differ on every page and are dropped
	v.Reply(1, "carol", "late reply to thread 0")
	v.Reply(7, "carol", "reply that opens page three of thread 6")
	v.Reply(4, "carol", "reply in the middle of thread 3")
	v.Post("Fresh thread", "dave", "a brand new thread")
	s := visitOnce(t, c, "vbulletin")
	if s.New != 4 {
		t.Errorf("second visit: %+v, want 4 new posts", s)
	}
	boardPostsOnce(t, h, v.Posts(), "post_message_")

	// nothing is handed over again, and seen threads are not fetched again
	before := v.Hits().Count("/showthread.php")
	if s := visitOnce(t, c, "vbulletin"); s.New != 0 {
		t.Fatalf("third visit delivered %d documents", s.New)
	}
	if n := v.Hits().Count("/showthread.php") - before; n != 0 {
		t.Errorf("third visit fetched %d thread pages; all were seen", n)
	}
}

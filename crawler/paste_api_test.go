package crawler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

func TestPasteAPIFindsEveryPasteOnce(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	for i := range 5 {
		site.Publish(fmt.Sprintf("dump %d", i), fmt.Sprintf("name,email\nuser%d,user%d@example.org\n", i, i))
	}
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php", func(s *SourceConfig) { s.Limit = 50 }))

	st := visitOnce(t, c, "pastes")
	if st.New != 5 {
		t.Fatalf("first visit: %+v, want 5 new", st)
	}
	site.Publish("later", "a paste published between visits")
	st = visitOnce(t, c, "pastes")
	if st.New != 1 || st.Skipped != 5 {
		t.Fatalf("second visit: %+v, want 1 new and 5 skipped", st)
	}
	for _, p := range site.Pastes() {
		docs := h.containing(p.Body)
		if len(docs) != 1 {
			t.Fatalf("paste %s delivered %d times, want once", p.Key, len(docs))
		}
		d := docs[0]
		if d.Key != p.Key || d.Title != p.Title || d.MediaType != "text/plain" || string(d.Body) != p.Body || d.Kind != KindPasteAPI || d.Source != "pastes" {
			t.Errorf("document %+v does not describe paste %+v", d, p)
		}
		if !strings.HasSuffix(d.URL, "/"+p.Key) {
			t.Errorf("document URL %s, want the paste's full_url", d.URL)
		}
	}
	if n := site.Hits().Count("/api_scrape_item.php"); n != 6 {
		t.Errorf("%d raw fetches for 6 pastes, want 6", n)
	}
}

func TestPasteAPIAccessDeniedIsAnError(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("x", "content")
	site.DenyAccess(true)
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	_, err := c.VisitOnce(context.Background(), "pastes")
	if !errors.Is(err, ErrPasteAccessDenied) {
		t.Fatalf("err = %v, want ErrPasteAccessDenied", err)
	}
	if !strings.Contains(err.Error(), `source "pastes"`) || !strings.Contains(err.Error(), "/api_scraping.php") {
		t.Errorf("error %q should name the source and the URL", err)
	}
	if len(h.all()) != 0 {
		t.Fatalf("access-denied text was delivered as a paste")
	}
	hs, err := c.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if hs[0].ConsecutiveFailures != 1 || !strings.Contains(hs[0].LastError, "refused access") {
		t.Errorf("health %+v should record the failure", hs[0])
	}
	site.DenyAccess(false)
	if st := visitOnce(t, c, "pastes"); st.New != 1 {
		t.Fatalf("after access restored: %+v, want 1 new", st)
	}
}

func TestPasteAPINotReadyIsRetriedNextVisit(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	a := site.Publish("a", "paste a body")
	b := site.Publish("b", "paste b body")
	site.NotReady(b, 1)
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	if st := visitOnce(t, c, "pastes"); st.New != 1 {
		t.Fatalf("first visit %+v, want only the ready paste", st)
	}
	for _, d := range h.all() {
		if d.Key != a || strings.Contains(string(d.Body), "not ready") {
			t.Fatalf("delivered %q (%q), want only paste a", d.Key, d.Body)
		}
	}
	if st := visitOnce(t, c, "pastes"); st.New != 1 {
		t.Fatalf("second visit %+v, want the paste that was not ready", st)
	}
	if len(h.containing("paste b body")) != 1 {
		t.Fatal("paste b not delivered once")
	}
}

func TestClassifyPaste(t *testing.T) {
	for _, tc := range []struct {
		body string
		want pasteMessage
	}{
		{fixtures.PasteAccessDenied, pasteDenied},
		{"  " + fixtures.PasteNotReady + "\n", pasteNotReady},
		{"Error, we cannot find this paste.", pasteGone},
		{"name,email\nx,y", pasteContent},
		{strings.Repeat("x", 600) + "DOES NOT HAVE ACCESS", pasteContent},
	} {
		if got := classifyPaste([]byte(tc.body)); got != tc.want {
			t.Errorf("classifyPaste(%.40q) = %d, want %d", tc.body, got, tc.want)
		}
	}
}

package crawler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"golang.org/x/text/encoding/japanese"
)

// TestCollyFetchesWithOurSettings: pages are fetched by the source's
// colly collector (its OnHTML parse of a listing is the page's DOM), with
// our user agent, headers and conditional requests, whatever COLLY_*
// variables say; colly neither decodes a Shift_JIS page a second time nor
// truncates it, and a 304 reaches us as a response.
func TestCollyFetchesWithOurSettings(t *testing.T) {
	// NewCollector applies these; newCollector must override each one
	t.Setenv("COLLY_USER_AGENT", "colly-from-env")
	t.Setenv("COLLY_MAX_BODY_SIZE", "64")
	t.Setenv("COLLY_DETECT_CHARSET", "yes")
	t.Setenv("COLLY_PARSE_HTTP_ERROR_RESPONSE", "no")
	t.Setenv("COLLY_ALLOWED_DOMAINS", "example.invalid")
	t.Setenv("COLLY_CACHE_DIR", t.TempDir())

	const title = "個人情報の漏えい 一覧"
	body := "<html><head><title>" + title + "</title></head><body>" +
		strings.Repeat("<p>名簿</p>", 200) + `<a class="topictitle" href="/t/1">山田太郎</a></body></html>`
	sjis, err := japanese.ShiftJIS.NewEncoder().String(body)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var agents, inm []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/list" {
			http.NotFound(w, r)
			return
		}
		mu.Lock()
		agents = append(agents, r.Header.Get("User-Agent"))
		inm = append(inm, r.Header.Get("If-None-Match"))
		mu.Unlock()
		if r.Header.Get("If-None-Match") == `"v1"` {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=Shift_JIS")
		w.Header().Set("ETag", `"v1"`)
		_, _ = w.Write([]byte(sjis))
	}))
	defer srv.Close()
	c := newCrawler(t, openState(t), &collector{}, loopSource("jp", KindHTMLListing, srv.URL+"/list", func(s *SourceConfig) {
		s.ItemSelector = "a.topictitle"
		s.UserAgent = "leakwatch-colly-test/1"
	}))
	f := c.byName["jp"].f

	p, err := f.get(context.Background(), srv.URL+"/list", validators{})
	if err != nil {
		t.Fatal(err)
	}
	if p.dom == nil {
		t.Fatal("the listing has no DOM from colly's OnHTML")
	}
	if got := p.dom.Find("title").Text(); got != title {
		t.Errorf("title in colly's DOM %q, want %q", got, title)
	}
	if got := p.dom.Find("a.topictitle").Text(); got != "山田太郎" {
		t.Errorf("link text in colly's DOM %q (truncated or garbled?)", got)
	}
	if string(p.Body) != body {
		t.Errorf("body is %d bytes, not the %d-byte page decoded once", len(p.Body), len(body))
	}
	if p.Validators.ETag != `"v1"` {
		t.Errorf("validators %+v", p.Validators)
	}

	p, err = f.get(context.Background(), srv.URL+"/list", p.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if !p.NotModified {
		t.Error("a 304 answer is not NotModified")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(agents) != 2 || agents[0] != "leakwatch-colly-test/1" || agents[1] != agents[0] {
		t.Errorf("user agents %q", agents)
	}
	if len(inm) != 2 || inm[0] != "" || inm[1] != `"v1"` {
		t.Errorf("If-None-Match headers %q", inm)
	}
}

// TestCollyDoesNotGunzip: colly inflates bodies at paths ending in
// .xml.gz on its own, with no limit after inflation; it must leave bodies
// alone (here plain text, which it would fail on as an invalid gzip
// header).
func TestCollyDoesNotGunzip(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/feed.xml.gz" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("plain text, not gzip"))
	}))
	defer hs.Close()
	c := newCrawler(t, openState(t), &collector{}, loopSource("gz", KindURL, hs.URL+"/feed.xml.gz"))
	p, err := c.byName["gz"].f.get(context.Background(), hs.URL+"/feed.xml.gz", validators{})
	if err != nil {
		t.Fatalf("colly tried to gunzip the body: %v", err)
	}
	if string(p.Body) != "plain text, not gzip" {
		t.Errorf("body %q", p.Body)
	}
}

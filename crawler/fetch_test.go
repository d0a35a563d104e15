package crawler

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

// visitErr visits a source and returns its error, failing if there is none.
func visitErr(t *testing.T, c *Crawler, name string) error {
	t.Helper()
	_, err := c.VisitOnce(context.Background(), name)
	if err == nil {
		t.Fatalf("visit %s: no error", name)
	}
	t.Logf("visit %s: %v", name, err)
	return err
}

func TestGuardRefusesLoopbackWithoutAllowPrivate(t *testing.T) {
	page := fixtures.NewPage("<html><body>secret intranet page</body></html>")
	defer page.Close()
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("intranet", KindURL, page.PageURL(), func(s *SourceConfig) { s.AllowPrivate = false }))
	err := visitErr(t, c, "intranet")
	if !errors.Is(err, ErrAddressRefused) {
		t.Fatalf("err = %v, want ErrAddressRefused", err)
	}
	for _, want := range []string{`source "intranet"`, page.PageURL(), "127.0.0.1 is a loopback address", "allow_private"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if n := page.Hits().Total(); n != 0 {
		t.Errorf("the refused server received %d requests", n)
	}
	if len(h.all()) != 0 {
		t.Error("a document was delivered")
	}
}

func TestGuardRefusesRedirectToMetadataEvenWithAllowPrivate(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	c := newCrawler(t, openState(t), &collector{},
		loopSource("meta4", KindURL, hs.URL+"/to-metadata"),
		loopSource("meta6", KindURL, hs.URL+"/to-metadata6"))
	for _, name := range []string{"meta4", "meta6"} {
		err := visitErr(t, c, name)
		if !errors.Is(err, ErrAddressRefused) || !strings.Contains(err.Error(), "cloud metadata") || !strings.Contains(err.Error(), "redirected to") {
			t.Errorf("%s: err = %v, want a refused metadata address after a redirect", name, err)
		}
	}
}

func TestRefusedReason(t *testing.T) {
	for _, tc := range []struct {
		ip           string
		allowPrivate bool
		refused      bool
	}{
		{"127.0.0.1", false, true},
		{"127.0.0.1", true, false},
		{"::1", false, true},
		{"10.1.2.3", false, true},
		{"172.16.0.1", false, true},
		{"192.168.1.1", false, true},
		{"fd12::1", false, true},
		{"169.254.1.1", false, true},
		{"fe80::1", false, true},
		{"100.64.0.1", false, true},
		{"100.64.0.1", true, false},
		{"0.0.0.0", true, true},
		{"::", true, true},
		{"224.0.0.1", true, true},
		{"ff02::1", true, true},
		{"255.255.255.255", true, true},
		{"169.254.169.254", true, true},
		{"::ffff:169.254.169.254", true, true},
		{"fd00:ec2::254", true, true},
		{"64:ff9b::a9fe:a9fe", true, true}, // NAT64 of 169.254.169.254
		{"::ffff:10.0.0.1", false, true},
		{"93.184.215.14", false, false},
		{"2606:4700::1", false, false},
	} {
		got := refusedReason(netip.MustParseAddr(tc.ip), tc.allowPrivate) != ""
		if got != tc.refused {
			t.Errorf("refusedReason(%s, allowPrivate=%v) refused=%v, want %v", tc.ip, tc.allowPrivate, got, tc.refused)
		}
	}
}

func TestGzipBombIsAnError(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("bomb", KindURL, hs.URL+"/bomb"))
	err := visitErr(t, c, "bomb")
	if !errors.Is(err, ErrBodyTooLarge) || !strings.Contains(err.Error(), "after decompression") {
		t.Fatalf("err = %v, want ErrBodyTooLarge after decompression", err)
	}
	if len(h.all()) != 0 {
		t.Fatal("a truncated bomb was delivered")
	}
}

func TestOversizedPageIsAnError(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	h := &collector{}
	c := newCrawler(t, openState(t), h,
		loopSource("huge", KindURL, hs.URL+"/huge"),
		loopSource("small-limit", KindURL, hs.URL+"/public/page", func(s *SourceConfig) { s.MaxBody = 1 << 10 }),
	)
	if err := visitErr(t, c, "huge"); !errors.Is(err, ErrBodyTooLarge) {
		t.Fatalf("err = %v, want ErrBodyTooLarge", err)
	}
	if _, err := c.VisitOnce(context.Background(), "small-limit"); err != nil {
		t.Fatalf("a page under max_body failed: %v", err)
	}
	if len(h.all()) != 1 {
		t.Fatalf("%d documents, want only the small page", len(h.all()))
	}
}

func TestSlowDripTimesOut(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	c := newCrawler(t, openState(t), &collector{}, loopSource("drip", KindURL, hs.URL+"/drip", func(s *SourceConfig) {
		s.Timeout = Duration(1500 * time.Millisecond)
	}))
	c.byName["drip"].f.retry.max = 0 // one attempt, to time it
	start := time.Now()
	err := visitErr(t, c, "drip")
	if took := time.Since(start); took > 5*time.Second {
		t.Fatalf("visit took %s; the timeout is 1.5s", took)
	}
	if !strings.Contains(err.Error(), "not complete within 1.5s") {
		t.Fatalf("err = %v, want a body timeout", err)
	}
}

func TestEndlessRedirectsAreCapped(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	c := newCrawler(t, openState(t), &collector{}, loopSource("loop", KindURL, hs.URL+"/loop/0"))
	err := visitErr(t, c, "loop")
	if !errors.Is(err, ErrTooManyRedirects) {
		t.Fatalf("err = %v, want ErrTooManyRedirects", err)
	}
	var hops int
	for i := range 10 {
		hops += hs.Hits().Count("/loop/" + string(rune('0'+i)))
	}
	if hops != maxRedirects+1 {
		t.Errorf("%d requests along the loop, want %d", hops, maxRedirects+1)
	}
}

func TestRetryAfterStormIsBoundedAndSpaced(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	hs.SetRetryAfter("1")
	c := newCrawler(t, openState(t), &collector{}, loopSource("storm", KindURL, hs.URL+"/storm"))
	c.byName["storm"].f.retry.max = 2
	err := visitErr(t, c, "storm")
	var rl *RetryLaterError
	if !errors.As(err, &rl) || !strings.Contains(err.Error(), "429") {
		t.Fatalf("err = %v, want a RetryLaterError naming 429", err)
	}
	times := hs.Hits().Times("/storm")
	if len(times) != 3 {
		t.Fatalf("%d requests, want 3 (one and two retries)", len(times))
	}
	for i := 1; i < len(times); i++ {
		if gap := times[i].Sub(times[i-1]); gap < 950*time.Millisecond {
			t.Errorf("retry %d came %s after the previous request; Retry-After was 1s", i, gap)
		}
	}
	hsh, _ := c.Health(context.Background())
	if !hsh[0].NextDue.After(time.Now()) {
		t.Errorf("next visit due %s, want after the Retry-After", hsh[0].NextDue)
	}
	// the host stays blocked: an immediate second visit sends nothing
	// before the pause ends, and a long Retry-After ends the visit early
	hs.SetRetryAfter("3600")
	c2 := newCrawler(t, openState(t), &collector{}, loopSource("storm2", KindURL, hs.URL+"/storm"))
	before := hs.Hits().Count("/storm")
	err = visitErr(t, c2, "storm2")
	if !errors.As(err, &rl) || rl.Until.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("err = %v, want retry after about an hour", err)
	}
	if n := hs.Hits().Count("/storm") - before; n != 1 {
		t.Errorf("%d requests after Retry-After: 3600, want 1", n)
	}
}

func TestServiceUnavailableThenOK(t *testing.T) {
	hs := fixtures.NewHostile()
	defer hs.Close()
	hs.SetFlaky(2)
	hs.SetRetryAfter("")
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("flaky", KindURL, hs.URL+"/flaky"))
	st := visitOnce(t, c, "flaky")
	if st.New != 1 || len(h.containing("flaky page is back")) != 1 {
		t.Fatalf("stats %+v: the page was not delivered after the 503s", st)
	}
	if n := hs.Hits().Count("/flaky"); n != 3 {
		t.Errorf("%d requests, want 3", n)
	}
}

func TestRetryAfterParsing(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v    string
		want time.Duration
		ok   bool
	}{
		{"120", 2 * time.Minute, true},
		{" 0 ", 0, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"999999999", maxRetryAfter, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{"", 0, false},
	} {
		got, ok := retryAfter(tc.v, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("retryAfter(%q) = %s, %v; want %s, %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestHostRateLimitIsSharedBySources(t *testing.T) {
	page := fixtures.NewPage("<p>rate</p>")
	defer page.Close()
	mod := func(s *SourceConfig) { s.Rate = 4; s.Robots = new(bool) }
	c := newCrawler(t, openState(t), &collector{},
		loopSource("a", KindURL, page.PageURL(), mod),
		loopSource("b", KindURL, page.PageURL()+"?b", mod))
	done := make(chan error, 2)
	for range 3 {
		for _, n := range []string{"a", "b"} {
			go func() { _, err := c.VisitOnce(context.Background(), n); done <- err }()
		}
		for range 2 {
			if err := <-done; err != nil {
				t.Fatal(err)
			}
		}
	}
	times := page.Hits().Times("/page")
	if len(times) != 6 {
		t.Fatalf("%d requests, want 6", len(times))
	}
	// Arrival times jitter on a busy machine (one late arrival shortens
	// one gap though the sends were spaced), so check what jitter cannot
	// fake: five gaps of 250 ms span well over a second, and no three
	// requests ever arrive within 250 ms. An unlimited crawler does both
	// in a few milliseconds.
	if span := times[5].Sub(times[0]); span < 1100*time.Millisecond {
		t.Errorf("6 requests within %s; rate 4/s per host wants at least 1.25s", span)
	}
	for i := 2; i < len(times); i++ {
		if w := times[i].Sub(times[i-2]); w < 250*time.Millisecond {
			t.Errorf("requests %d to %d within %s; rate 4/s per host allows two per 250ms at most", i-2, i, w)
		}
	}
}

func TestHeadersCookiesAndUserAgentAreSent(t *testing.T) {
	got := make(chan http.Header, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/page" {
			got <- r.Header.Clone()
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	c := newCrawler(t, openState(t), &collector{}, loopSource("h", KindURL, srv.URL+"/page", func(s *SourceConfig) {
		s.UserAgent = "leakwatch-test/2"
		s.Headers = map[string]string{"X-Api-Key": "k1"}
		s.Cookies = Cookies{{Name: "session", Value: "abc"}, {Name: "lang", Value: "ja"}}
	}))
	visitOnce(t, c, "h")
	hdr := <-got
	if hdr.Get("User-Agent") != "leakwatch-test/2" || hdr.Get("X-Api-Key") != "k1" || hdr.Get("Cookie") != "session=abc; lang=ja" {
		t.Fatalf("request headers %v", hdr)
	}
}

func TestProxyCarriesEveryRequest(t *testing.T) {
	target := fixtures.NewPage("<p>through the proxy</p>")
	defer target.Close()
	var proxied []string
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// a forward proxy receives absolute URLs
		proxied = append(proxied, r.URL.String())
		resp, err := http.DefaultTransport.RoundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		buf := make([]byte, 32<<10)
		n, _ := resp.Body.Read(buf)
		_, _ = w.Write(buf[:n])
	}))
	defer proxy.Close()
	h := &collector{}
	// the target is loopback and allow_private is off: with an explicit
	// proxy, only the proxy is connected to, and the target's IP literal
	// is still refused
	c := newCrawler(t, openState(t), h,
		loopSource("via-proxy", KindURL, target.PageURL(), func(s *SourceConfig) { s.Proxy = proxy.URL; s.AllowPrivate = true }),
		loopSource("via-proxy-private", KindURL, target.PageURL(), func(s *SourceConfig) { s.Proxy = proxy.URL; s.AllowPrivate = false }))
	visitOnce(t, c, "via-proxy")
	if len(h.containing("through the proxy")) != 1 || len(proxied) != 2 || !strings.HasPrefix(proxied[1], "http://127.0.0.1") {
		t.Fatalf("proxy saw %v; delivered %d", proxied, len(h.all()))
	}
	if err := visitErr(t, c, "via-proxy-private"); !errors.Is(err, ErrAddressRefused) {
		t.Fatalf("err = %v, want the IP-literal target refused", err)
	}
}

func TestCharsetDecoding(t *testing.T) {
	const ja = "個人情報の漏えい：山田太郎、東京都千代田区"
	for _, tc := range []struct {
		name, encoding string
		metaOnly       bool
	}{
		{"sjis-header", "Shift_JIS", false},
		{"eucjp-meta", "EUC-JP", true},
		{"sjis-meta", "Shift_JIS", true},
		{"utf8", "UTF-8", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forum := fixtures.NewForum(fixtures.ForumOptions{Encoding: tc.encoding, CharsetInMetaOnly: tc.metaOnly})
			defer forum.Close()
			forum.Post("名簿 "+tc.name, "taro", ja)
			h := &collector{}
			c := newCrawler(t, openState(t), h, loopSource("jp", KindHTMLListing, forum.ListingURL(), func(s *SourceConfig) {
				s.ItemSelector = "a.topictitle"
				s.ContentSelector = "div[id^=p] .content"
			}))
			visitOnce(t, c, "jp")
			docs := h.all()
			if len(docs) != 1 {
				t.Fatalf("%d documents, want 1", len(docs))
			}
			if !strings.Contains(string(docs[0].Body), ja) {
				t.Fatalf("body %q does not contain the Japanese text", docs[0].Body)
			}
			if docs[0].Title != "名簿 "+tc.name {
				t.Errorf("title %q, want the Japanese topic title", docs[0].Title)
			}
		})
	}
}

func TestToUTF8Sources(t *testing.T) {
	sjis := []byte{0x93, 0xfa, 0x96, 0x7b} // 日本 in Shift_JIS
	for _, tc := range []struct {
		name      string
		body      []byte
		ct        string
		html, xml bool
		want      string
	}{
		{"bom beats header", append([]byte{0xEF, 0xBB, 0xBF}, "héllo"...), "text/plain; charset=iso-8859-1", false, false, "héllo"},
		{"header", sjis, "text/plain; charset=Shift_JIS", false, false, "日本"},
		{"meta", append([]byte(`<meta charset="shift_jis"><p>`), sjis...), "text/html", true, false, "<p>日本"},
		{"xml declaration", append([]byte(`<?xml version="1.0" encoding="Shift_JIS"?><a>`), sjis...), "application/xml", false, true, "<a>日本"},
		{"json ignores meta", []byte(`{"a":"<meta charset=\"shift_jis\"> é"}`), "application/json", false, false, `{"a":"<meta charset=\"shift_jis\"> é"}`},
		{"latin1 guess", []byte("caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve fa\xe7ade"), "text/plain", false, false, "café crème brûlée, naïve façade"},
	} {
		got, err := toUTF8(tc.body, tc.ct, tc.html, tc.xml)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !strings.Contains(string(got), tc.want) {
			t.Errorf("%s: got %q, want %q", tc.name, got, tc.want)
		}
	}
}

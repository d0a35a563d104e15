package crawler

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const validSources = `
- name: pastes
  kind: paste-api
  url: http://127.0.0.1:8001/api_scraping.php
  interval: 2m
  jitter: 0.2
  limit: 250
  rate: 1
- name: forum-a
  kind: html-listing
  url: http://127.0.0.1:8002/viewforum.php?f=1
  item_selector: a.topictitle, dd.lastpost a[href*="#p"]
  next_selector: a[rel=next]
  content_selector: div[id^=p] .content
  max_pages: 3
  jitter: 30s
  headers: {Accept-Language: ja}
  cookies: {session: abc, lang: ja}
  max_body: 2MiB
  allow_private: true
- name: discuss
  kind: discourse
  url: http://127.0.0.1:8003/
  cookies: ["a=1", "b=2"]
- name: feed
  kind: feed
  url: http://127.0.0.1:8004/rss.xml
  use_content: true
  robots: false
- name: onion
  kind: url
  url: http://exampleexampleexample.onion/
  proxy: socks5://onion:pw@127.0.0.1:9050
  timeout: 2m
  user_agent: Mozilla/5.0
`

func TestParseSources(t *testing.T) {
	srcs, err := ParseSources([]byte(validSources))
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) != 5 {
		t.Fatalf("%d sources", len(srcs))
	}
	p, f, d, fe, o := srcs[0], srcs[1], srcs[2], srcs[3], srcs[4]
	if time.Duration(p.Interval) != 2*time.Minute || p.Jitter.Fraction != 0.2 || p.Limit != 250 || p.MaxItems != DefaultMaxItems || !p.RobotsEnabled() {
		t.Errorf("pastes: %+v", p)
	}
	if f.Jitter.Duration != 30*time.Second || f.MaxBody != 2<<20 || f.MaxPages != 3 || f.Headers["Accept-Language"] != "ja" ||
		len(f.Cookies) != 2 || f.Cookies[0] != (Cookie{"lang", "ja"}) || !f.AllowPrivate || time.Duration(f.Interval) != DefaultInterval {
		t.Errorf("forum-a: %+v", f)
	}
	if d.MaxPages != 3 || len(d.Cookies) != 2 || d.Cookies[1] != (Cookie{"b", "2"}) {
		t.Errorf("discuss: %+v", d)
	}
	if !fe.UseContent || fe.RobotsEnabled() {
		t.Errorf("feed: %+v", fe)
	}
	if o.Proxy == "" || time.Duration(o.Timeout) != 2*time.Minute || o.MaxBody != DefaultMaxBody || o.UserAgent != "Mozilla/5.0" || o.Rate != DefaultRate {
		t.Errorf("onion: %+v", o)
	}
}

func TestParseSourcesErrors(t *testing.T) {
	base := "- name: forum-a\n  kind: url\n  url: http://127.0.0.1:1/\n"
	for _, tc := range []struct {
		yaml, want string
	}{
		{base + "  interval: 500ms\n", `source "forum-a": interval: must be at least 1s`},
		{base + "  interval: 300\n", `want a duration such as "5m"`},
		{base + "  intervall: 5m\n", `source "forum-a": intervall: line 4: unknown field`},
		{"- kind: url\n  url: http://127.0.0.1:1/\n", `source #1: name: required`},
		{"- name: x\n  kind: gopher\n  url: http://127.0.0.1:1/\n", `source "x": kind: unknown kind "gopher"`},
		{"- name: x\n  kind: url\n  url: ftp://127.0.0.1/\n", `source "x": url: scheme must be http or https`},
		{"- name: x\n  kind: url\n  url: http://u:p@127.0.0.1/\n", `source "x": url: credentials`},
		{base + "  jitter: 1.5\n", `source "forum-a": jitter: fraction`},
		{base + "  interval: 1m\n  jitter: 2m\n", `source "forum-a": jitter: duration must be at least 0 and below the interval`},
		{base + "  rate: -1\n", `source "forum-a": rate:`},
		{base + "  proxy: ftp://127.0.0.1:21\n", `source "forum-a": proxy: scheme`},
		{base + "  proxy: socks5://127.0.0.1\n", `source "forum-a": proxy: want host and port`},
		{base + "  max_body: 10 parsecs\n", `unknown size unit`},
		{base + "  max_body: 12\n", `source "forum-a": max_body: must be between`},
		{base + "  timeout: 1h\n", `source "forum-a": timeout:`},
		{base + "  headers: {\"Bad Header\": x}\n", `source "forum-a": headers: invalid header name`},
		{base + "  headers: {If-None-Match: x}\n", `is set by the crawler`},
		{base + "  cookies: [\"novalue\"]\n", `want "name=value"`},
		{base + "  item_selector: a\n", `source "forum-a": item_selector: only for kind html-listing`},
		{base + "  limit: 10\n", `source "forum-a": limit: only for kind paste-api`},
		{"- name: h\n  kind: html-listing\n  url: http://127.0.0.1:1/\n", `source "h": item_selector: required`},
		{"- name: h\n  kind: html-listing\n  url: http://127.0.0.1:1/\n  item_selector: 'a[href'\n", `source "h": item_selector: invalid CSS selector`},
		{"- name: p\n  kind: paste-api\n  url: http://127.0.0.1:1/\n  limit: 1000\n", `source "p": limit: must be between 1 and 250`},
		{base + base, `source "forum-a": name: duplicate name`},
		{"- name: 'a/b'\n  kind: url\n  url: http://127.0.0.1:1/\n", `source "a/b": name: use letters`},
		{"name: x\n", `want a list of sources`},
	} {
		_, err := ParseSources([]byte(tc.yaml))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseSources(%q)\n  err  = %v\n  want = %s", tc.yaml, err, tc.want)
		}
	}
}

func TestValidateReturnsConfigError(t *testing.T) {
	s := SourceConfig{Name: "forum-a", Kind: KindURL, URL: "http://127.0.0.1:1/", Interval: Duration(time.Millisecond)}
	err := s.Validate()
	var ce *ConfigError
	if !errors.As(err, &ce) || ce.Source != "forum-a" || ce.Field != "interval" {
		t.Fatalf("err = %#v", err)
	}
	if err.Error() != `source "forum-a": interval: must be at least 1s` {
		t.Fatalf("message %q", err)
	}
}

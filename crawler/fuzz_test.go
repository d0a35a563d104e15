package crawler

// Fuzz targets for the parsers of what hostile sites send (feeds, paste
// listings, Discourse JSON, HTML listings, bodies in any charset) and of
// the operator's sources YAML. The seeds below run as regular tests; the
// committed corpus is in testdata/fuzz/FuzzXxx/. `make fuzz` runs each
// target for FUZZTIME.

import (
	"bytes"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/PuerkitoBio/goquery"
	"github.com/andybalholm/cascadia"
	"go.yaml.in/yaml/v3"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/japanese"
)

// fetchableOrRefused checks what every visit relies on when it resolves a
// URL taken from a page: either the fetcher's target check refuses it
// before any connection, or it is an http(s) URL with a host.
func fetchableOrRefused(t *testing.T, what string, u *url.URL) {
	t.Helper()
	if err := (&addrGuard{allowPrivate: true}).checkTarget(u); err == nil {
		if (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			t.Fatalf("%s: %q passes the target check without an http(s) scheme and a host", what, u)
		}
	}
}

const (
	seedRSS = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/" xmlns:atom="http://www.w3.org/2005/Atom">
<channel>
<title>Board - Leaks</title><link>https://board.example/</link>
<atom:link href="https://board.example/rss.xml" rel="self" type="application/rss+xml"/>
<item><title>名簿 2024</title><link>https://board.example/entries/2</link><guid isPermaLink="false">board-2</guid>
<pubDate>Tue, 02 Jan 2024 10:00:00 +0900</pubDate><description>&lt;p&gt;short&lt;/p&gt;</description>
<content:encoded><![CDATA[<p>山田太郎 090-1234-5678</p>]]></content:encoded></item>
<item><title>Entry &amp; one&nbsp;</title><link> /entries/1 </link><description>relative link, no guid</description></item>
</channel></rss>`
	seedAtom = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ja">
<title>Board</title><id>tag:board.example,2024:feed</id><updated>2024-01-02T00:00:00Z</updated>
<entry><id>tag:board.example,2024:1</id><title type="html">Entry &amp;lt;1&amp;gt;</title>
<link rel="edit" href="https://board.example/edit/1"/><link rel="alternate" type="text/html" href="https://board.example/entries/1"/>
<updated>2024-01-01T00:00:00Z</updated>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>taro@example.jp</p></div></content></entry>
<entry><id>urn:uuid:1225c695-cfb8-4ebb-aaaa-80da344efa6a</id><title>Two</title>
<link href="javascript:alert(1)"/><summary>summary only</summary></entry>
<entry><title>no id</title><link href="//cdn.example/3"/></entry>
</feed>`
	seedRDF = `<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
<channel rdf:about="https://blog.example/"><title>Blog</title><link>https://blog.example/</link></channel>
<item rdf:about="https://blog.example/a"><title>A</title><link>https://blog.example/a</link><description>a</description></item>
</rdf:RDF>`
)

func FuzzParseFeed(f *testing.F) {
	for _, s := range []string{
		seedRSS, seedAtom, seedRDF,
		`<rss><channel><item><link>file:///etc/passwd</link></item><item><guid>  </guid></item></channel></rss>`,
		`<feed><entry><link rel="self" href="a"/><link href="b"/></entry></feed>`,
		`<?xml version="1.0" encoding="EUC-JP"?><rss><channel><item><title>t&nbsp;x</title><link>http://a.example/1</link></item></channel></rss>`,
		`<html><body><item><link>http://a/</link></item></body></html>`,
		`<rss><channel><item><title><![CDATA[</item>]]></title></item>`,
	} {
		f.Add([]byte(s))
	}
	feedURL, _ := url.Parse("https://board.example/app.php/feed?f=1")
	f.Fuzz(func(t *testing.T, body []byte) {
		entries, err := parseFeed(body)
		if err != nil {
			if entries != nil {
				t.Fatalf("entries %v with error %v", entries, err)
			}
			return
		}
		// Every entry comes from one <item> or <entry> element.
		if max := bytes.Count(body, []byte("item")) + bytes.Count(body, []byte("entry")); len(entries) > max {
			t.Fatalf("%d entries from a body with %d item/entry names", len(entries), max)
		}
		valid := utf8.Valid(body)
		for i, e := range entries {
			for name, v := range map[string]string{"key": e.key, "link": e.link, "title": e.title, "content": e.content} {
				if v != strings.TrimSpace(v) {
					t.Fatalf("entry %d: %s %q is not trimmed", i, name, v)
				}
				if valid && !utf8.ValidString(v) {
					t.Fatalf("entry %d: %s %q is not UTF-8 though the feed was", i, name, v)
				}
			}
			// The key falls back to the link: an entry without a key has
			// no link either, and is skipped by visitFeed.
			if e.key == "" && e.link != "" {
				t.Fatalf("entry %d has link %q but no key", i, e.link)
			}
			// visitFeed resolves the link against the feed's URL and
			// fetches it: only an http(s) URL with a host may come out, and
			// every such URL does.
			link := entryLink(feedURL, e.link)
			if link != "" {
				lu, err := url.Parse(link)
				if err != nil {
					t.Fatalf("entry link %q does not parse: %v", link, err)
				}
				if err := (&addrGuard{allowPrivate: true}).checkTarget(lu); err != nil && !errors.Is(err, ErrAddressRefused) {
					t.Fatalf("entry link %q (from %q) is refused by the fetcher: %v", link, e.link, err)
				}
			} else if lu, err := feedURL.Parse(e.link); e.link != "" && err == nil && (lu.Scheme == "http" || lu.Scheme == "https") && lu.Hostname() != "" {
				t.Fatalf("entry link %q dropped", e.link)
			}
		}
		again, err := parseFeed(body)
		if err != nil || !reflect.DeepEqual(again, entries) {
			t.Fatalf("second parse differs: %v, %v", again, err)
		}
	})
}

const seedPasteListing = `[
    {
        "scrape_url": "https://scrape.pastebin.com/api_scrape_item.php?i=0CeaNm8Y",
        "full_url": "https://pastebin.com/0CeaNm8Y",
        "date": "1442911802",
        "key": "0CeaNm8Y",
        "size": "890",
        "expire": "1442998159",
        "title": "Once we all know when we goto function",
        "syntax": "java",
        "user": "admin",
        "hits": "15"
    },
    {
        "scrape_url": "/api_scrape_item.php?i=Xz1aB2cD",
        "full_url": "https://pastebin.com/Xz1aB2cD",
        "date": 1442911787,
        "key": "Xz1aB2cD",
        "size": 1.5e3,
        "expire": 0,
        "title": "名簿",
        "syntax": "text",
        "user": null
    }
]`

// flexOK reports whether raw is a JSON value flexString takes, and what it
// becomes.
func flexOK(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return "", false
	case raw[0] == '"':
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err == nil
	case string(raw) == "null":
		return "", true
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err != nil {
		return "", false
	}
	return string(raw), true
}

// FuzzPasteListing fuzzes what visitPasteAPI does with a listing's bytes
// (the decoding is inline there): classifyPaste, then json.Unmarshal into
// []pasteItem through flexString, then resolving scrape_url.
func FuzzPasteListing(f *testing.F) {
	for _, s := range []string{
		seedPasteListing,
		`[]`, `null`, `[{}]`, `[{"key":true}]`, `[{"key":"a","scrape_url":"javascript:alert(1)"}]`,
		`[{"key":"a","scrape_url":"http://[::1"}]`, `[{"key":-0.5e-7,"size":"\ud800"}]`,
		"YOUR IP: 203.0.113.7 DOES NOT HAVE ACCESS. VISIT: https://pastebin.com/doc_scraping_api TO GET ACCESS!",
		"File is not ready for scraping yet. Try again in 1 minute.",
		"Error, we cannot find this paste.",
		"\n\t YOUR IP DOES NOT HAVE ACCESS\n",
	} {
		f.Add([]byte(s))
	}
	listURL, _ := url.Parse("https://scrape.pastebin.com/api_scraping.php?limit=100")
	f.Fuzz(func(t *testing.T, body []byte) {
		trimmed := bytes.TrimSpace(body)
		switch m := classifyPaste(body); {
		case len(trimmed) > 512 && m != pasteContent:
			t.Fatalf("a %d-byte body classified as message %d", len(trimmed), m)
		case m == pasteDenied && !(bytes.HasPrefix(trimmed, []byte("YOUR IP")) && bytes.Contains(trimmed, []byte("DOES NOT HAVE ACCESS"))):
			t.Fatalf("%q classified as access denied", body)
		case m == pasteNotReady && !bytes.HasPrefix(trimmed, []byte("File is not ready")):
			t.Fatalf("%q classified as not ready", body)
		case m == pasteGone && !bytes.HasPrefix(trimmed, []byte("Error, we cannot find")):
			t.Fatalf("%q classified as gone", body)
		}

		var items []pasteItem
		err := json.Unmarshal(body, &items)
		// The same bytes as generic JSON: flexString must accept exactly
		// strings, numbers and null, keeping numbers as written.
		var raw []map[string]json.RawMessage
		rawErr := json.Unmarshal(body, &raw)
		if rawErr != nil {
			if err == nil && !bytes.Equal(trimmed, []byte("null")) {
				t.Fatalf("listing decoded (%d items) but is not a JSON list of objects: %v", len(items), rawErr)
			}
			return
		}
		fields := map[string]func(*pasteItem) flexString{
			"key": func(p *pasteItem) flexString { return p.Key }, "date": func(p *pasteItem) flexString { return p.Date },
			"size": func(p *pasteItem) flexString { return p.Size }, "expire": func(p *pasteItem) flexString { return p.Expire },
			"title": func(p *pasteItem) flexString { return p.Title }, "syntax": func(p *pasteItem) flexString { return p.Syntax },
			"user": func(p *pasteItem) flexString { return p.User }, "scrape_url": func(p *pasteItem) flexString { return p.ScrapeURL },
			"full_url": func(p *pasteItem) flexString { return p.FullURL },
		}
		allOK := true
		for _, obj := range raw {
			for k, v := range obj {
				if _, known := fields[k]; known {
					if _, ok := flexOK(v); !ok {
						allOK = false
					}
				}
			}
		}
		if allOK != (err == nil) {
			t.Fatalf("flexString fields all strings, numbers or null: %v; decode error: %v", allOK, err)
		}
		if err != nil {
			return
		}
		if len(items) != len(raw) {
			t.Fatalf("%d items from %d objects", len(items), len(raw))
		}
		for i := range items {
			for k, get := range fields {
				got := string(get(&items[i]))
				if !utf8.ValidString(got) {
					t.Fatalf("item %d %s %q is not UTF-8", i, k, got)
				}
				// encoding/json matches keys case-insensitively; compare
				// only where the exact key is the only spelling present.
				v, ok := raw[i][k]
				if !ok || spellings(raw[i], k) != 1 {
					continue
				}
				if want, _ := flexOK(v); got != want {
					t.Fatalf("item %d %s = %q, want %q from %s", i, k, got, want, v)
				}
			}
			if items[i].Key == "" || items[i].ScrapeURL == "" {
				continue // skipped by visitPasteAPI
			}
			if su, err := listURL.Parse(string(items[i].ScrapeURL)); err == nil {
				fetchableOrRefused(t, "scrape_url", su)
			}
		}
	})
}

// spellings counts the keys of obj equal to k ignoring case.
func spellings(obj map[string]json.RawMessage, k string) int {
	n := 0
	for key := range obj {
		if strings.EqualFold(key, k) {
			n++
		}
	}
	return n
}

const (
	seedDiscourseLatest = `{"users":[{"id":1,"username":"alice","name":"Alice","avatar_template":"/user_avatar/d.example/alice/{size}/1_2.png"}],
"primary_groups":[],"topic_list":{"can_create_topic":false,"more_topics_url":"/latest?no_definitions=true&page=1","per_page":30,"top_tags":[],
"topics":[{"id":8,"title":"名簿 leak","fancy_title":"名簿 leak","slug":"topic","posts_count":23,"reply_count":22,"highest_post_number":24,
"image_url":null,"created_at":"2024-01-01T00:00:00.000Z","last_posted_at":"2024-01-02T03:04:05.000Z","bumped":true,
"bumped_at":"2024-01-02T03:04:05.000Z","archetype":"regular","unseen":false,"pinned":false,"visible":true,"closed":false,
"archived":false,"views":42,"like_count":0,"category_id":4,"posters":[{"extras":"latest","description":"Original Poster","user_id":1}]},
{"id":9,"title":"Welcome","slug":"welcome","posts_count":1,"highest_post_number":1,"last_posted_at":null}]}}`
	seedDiscourseTopic = `{"post_stream":{"posts":[{"id":11,"name":"Alice","username":"alice","avatar_template":"/a/{size}.png",
"created_at":"2024-01-01T00:00:00.000Z","cooked":"<p>山田太郎<br>\n090-1234-5678</p>","post_number":1,"post_type":1,
"updated_at":"2024-01-01T00:00:00.000Z","reply_count":0,"reads":3,"topic_id":8,"topic_slug":"topic","yours":false}],
"stream":[11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,32,33]},"timeline_lookup":[[1,0]],"suggested_topics":[],
"tags":[],"id":8,"title":"名簿 leak","fancy_title":"名簿 leak","posts_count":23,"created_at":"2024-01-01T00:00:00.000Z",
"views":42,"reply_count":22,"like_count":0,"last_posted_at":"2024-01-02T03:04:05.000Z","visible":true,"closed":false,
"archived":false,"archetype":"regular","slug":"topic","category_id":4,"word_count":300,"deleted_at":null,"user_id":1}`
)

// FuzzDiscourseJSON fuzzes the decoding visitDiscourse and
// discourseTopicPosts do inline (json.Unmarshal into discourseLatest and
// discourseTopic), the URLs they derive from what a forum sent, and
// discourseBase on the operator's URL.
func FuzzDiscourseJSON(f *testing.F) {
	for _, s := range []struct{ body, source string }{
		{seedDiscourseLatest, "https://discuss.example/"},
		{seedDiscourseTopic, "https://discuss.example/latest.json"},
		{`{"post_stream":{"posts":[{"id":12,"post_number":2,"cooked":"<p>x</p>"}]}}`, "https://discuss.example/forum/latest.json?order=created"},
		{`{"topic_list":{"more_topics_url":"javascript:alert(1)","topics":[{"id":-1},{"id":1e3}]}}`, "http://127.0.0.1:8003"},
		{`{"topic_list":{"more_topics_url":"//evil.example/latest","topics":[]}}`, "https://discuss.example/latest.json/"},
		{`{"slug":"../../../evil","id":7,"post_stream":{"posts":[{"id":1,"post_number":-3}],"stream":[-1,0]}}`, "https://discuss.example/a%2Fb/"},
		{`{"id":"8"}`, "https://discuss.example/#frag"},
	} {
		f.Add([]byte(s.body), s.source)
	}
	f.Fuzz(func(t *testing.T, body []byte, source string) {
		// The source URL has passed Validate: http(s), with a host.
		su, err := url.Parse(source)
		if err != nil || (su.Scheme != "http" && su.Scheme != "https") || su.Hostname() == "" || su.User != nil {
			source = "https://discuss.example/"
			su, _ = url.Parse(source)
		}
		base, latest, err := discourseBase(source)
		if err != nil {
			t.Fatalf("discourseBase(%q): %v", source, err)
		}
		// (One trailing slash is trimmed: "https://d.example//" keeps one.)
		if base.RawQuery != "" || base.Fragment != "" || strings.HasSuffix(base.Path, "/") && !strings.HasSuffix(su.Path, "//") {
			t.Fatalf("discourseBase(%q): base %q keeps a query, fragment or trailing slash", source, base)
		}
		// (A source URL ending in "?" keeps it: ".../latest.json?".)
		if !strings.HasSuffix(strings.TrimSuffix(latest, "?"), "/latest.json") {
			t.Fatalf("discourseBase(%q): latest %q", source, latest)
		}
		// The source URL may be the forum's root or its latest.json. (The
		// base's own string may keep the source's spelling, "!" where
		// latest has "%21"; only paths joined to it are requested.)
		if b2, l2, err := discourseBase(latest); strings.HasSuffix(su.Path, "//") {
			// "https://d.example//" gives https://d.example//latest.json,
			// whose base is https://d.example/ (left as it is).
		} else if err != nil || b2.Scheme != base.Scheme || b2.Host != base.Host || b2.Path != base.Path || l2 != latest {
			t.Fatalf("discourseBase(%q) = %q, %q; from its latest.json: %q, %q, %v", source, base, latest, b2, l2, err)
		}
		if u, _ := url.Parse(source); base.Scheme != u.Scheme || base.Host != u.Host {
			t.Fatalf("discourseBase(%q) moved to %q", source, base)
		}

		var l discourseLatest
		if err := json.Unmarshal(body, &l); err == nil {
			if more := l.TopicList.MoreTopicsURL; more != "" {
				if mu, err := base.Parse(more); err == nil {
					fetchableOrRefused(t, "more_topics_url", mu)
				}
			}
		}
		var topic discourseTopic
		if err := json.Unmarshal(body, &topic); err != nil {
			return
		}
		// Documents are published under the forum's own scheme and host,
		// whatever the slug and numbers say (deliverDiscoursePost).
		slug := topic.Slug
		if slug == "" {
			slug = "-"
		}
		for _, po := range topic.PostStream.Posts {
			if !utf8.ValidString(po.Cooked) {
				t.Fatalf("cooked %q is not UTF-8", po.Cooked)
			}
			d := base.JoinPath("t", slug, strconv.Itoa(topic.ID), strconv.Itoa(po.PostNumber))
			if d.Scheme != base.Scheme || d.Host != base.Host || d.User.String() != base.User.String() {
				t.Fatalf("post URL %q leaves %q", d, base)
			}
			if pu, err := url.Parse(d.String()); err != nil || pu.Host != base.Host {
				t.Fatalf("post URL %q does not parse back to host %q: %v", d, base.Host, err)
			}
		}
	})
}

// seedPage encodes an HTML page in a Japanese legacy encoding, declaring
// it only in <meta charset>.
func seedPage(t testing.TB, enc string) []byte {
	page := `<!DOCTYPE html><html lang="ja"><head><meta charset="` + enc + `" /><title>名簿 - 掲示板</title></head>` +
		`<body><div id="p1" class="post"><div class="content">個人情報の漏えい：山田太郎、東京都千代田区 ０９０－１２３４－５６７８</div></div></body></html>`
	e := japanese.ShiftJIS
	if enc == "EUC-JP" {
		e = japanese.EUCJP
	}
	b, err := e.NewEncoder().Bytes([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecodePage(f *testing.F) {
	f.Add(seedPage(f, "Shift_JIS"), "text/html")
	f.Add(seedPage(f, "EUC-JP"), "text/html; charset=")
	f.Add(seedPage(f, "Shift_JIS"), "text/html; charset=EUC-JP") // the header wins
	f.Add([]byte(`<?xml version="1.0" encoding="Shift_JIS"?><rss><channel><title>`+"\x93\xfa\x96\x7b"+`</title></channel></rss>`), "application/rss+xml")
	f.Add([]byte(`{"a":"<meta charset=\"shift_jis\"> é"}`), "application/json; charset=utf-8")
	f.Add([]byte("\xef\xbb\xbfh\xc3\xa9llo"), "text/plain; charset=iso-8859-1")
	f.Add([]byte("\xfe\xff\x00h\xd8\x00\x00i"), "text/plain")
	f.Add([]byte("\xff\xfeh\x00i\x00"), "")
	f.Add([]byte("caf\xe9 cr\xe8me br\xfbl\xe9e, na\xefve fa\xe7ade"), "text/plain")
	f.Add([]byte("\x1b$B$3$s$K$A$O\x1b(B"), "text/plain; charset=ISO-2022-JP")
	f.Add([]byte("\x80\xff"), "text/plain; charset=x-user-defined")
	f.Add([]byte("anything"), "text/html; charset=replacement")
	f.Add([]byte("\x1f\x8b\x08\x00"), "application/octet-stream")
	f.Add([]byte("%PDF-1.4"), "")
	f.Add([]byte(""), "text/html;;charset=\"utf-8")
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		r := &rawResponse{status: 200, header: http.Header{"Content-Type": {contentType}}, body: body}
		in := append([]byte(nil), body...)
		p, err := decodePage(r)
		if !bytes.Equal(body, in) {
			t.Fatalf("decodePage changed its input")
		}
		if err != nil {
			if !errors.Is(err, ErrUnsupportedMedia) && !strings.HasPrefix(err.Error(), "decode ") {
				t.Fatalf("unexpected error %v", err)
			}
		} else {
			switch p.MediaType {
			case "text/html", "application/json":
				if p.XML {
					t.Fatalf("%s marked XML", p.MediaType)
				}
			case "text/plain":
			default:
				t.Fatalf("media type %q", p.MediaType)
			}
			checkDecoded(t, body, p.Body)
			// Valid UTF-8 with no encoding declared by a BOM, the header
			// or (for HTML and XML) the document is kept as it is.
			_, params, _ := mime.ParseMediaType(contentType)
			declared, _ := charset.Lookup(params["charset"])
			if declared == nil && !hasBOM(body) && !p.XML && p.MediaType != "text/html" && utf8.Valid(body) && !bytes.Equal(p.Body, body) {
				t.Fatalf("valid UTF-8 %q with nothing declared became %q", body, p.Body)
			}
		}
		for _, flags := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			out, err := toUTF8(body, contentType, flags[0], flags[1])
			if err != nil {
				if !strings.HasPrefix(err.Error(), "decode ") {
					t.Fatalf("toUTF8 error %v", err)
				}
				continue
			}
			checkDecoded(t, body, out)
			// A UTF-8 byte-order mark wins over everything else.
			if rest, ok := bytes.CutPrefix(body, []byte{0xEF, 0xBB, 0xBF}); ok && utf8.Valid(rest) && !bytes.Equal(out, rest) {
				t.Fatalf("UTF-8 BOM then %q decoded to %q", rest, out)
			}
			// What comes out is UTF-8 and stays as it is when decoded again
			// as declared UTF-8.
			again, err := toUTF8(out, "text/plain; charset=utf-8", flags[0], flags[1])
			if err != nil || !bytes.Equal(again, out) && !hasBOM(out) {
				t.Fatalf("decoding the output again as UTF-8: %q → %q, %v", out, again, err)
			}
		}
	})
}

func hasBOM(b []byte) bool {
	for _, m := range boms {
		if bytes.HasPrefix(b, m.bom) {
			return true
		}
	}
	return false
}

// checkDecoded checks a decoded body: valid UTF-8, at most three bytes per
// input byte (what any legacy encoding or a U+FFFD per bad byte needs).
func checkDecoded(t *testing.T, in, out []byte) {
	t.Helper()
	if !utf8.Valid(out) {
		t.Fatalf("decoded body %q (from %q) is not valid UTF-8", out, in)
	}
	if len(out) > 3*len(in)+3 {
		t.Fatalf("%d bytes decoded to %d", len(in), len(out))
	}
}

const seedPhpBBListing = `<!DOCTYPE html>
<html dir="ltr" lang="en-gb"><head><meta charset="UTF-8" /><title>Leaks - Board</title></head>
<body id="phpbb"><div id="wrap" class="wrap"><div id="page-body" class="page-body" role="main">
<h2 class="forum-title"><a href="./viewforum.php?f=1">Leaks</a></h2>
<div class="pagination">7 items &bull; <ul><li class="arrow next"><a class="button" href="./viewforum.php?f=1&amp;start=3&amp;sid=0123456789abcdef0123456789abcdef" rel="next" role="button">Next</a></li></ul></div>
<ul class="topiclist topics">
<li class="row bg1"><dl class="row-item topic_read"><dt title="No unread posts"><div class="list-inner">
<a href="./viewtopic.php?f=1&amp;t=7&amp;sid=0123456789abcdef0123456789abcdef" class="topictitle">名簿 &lt;2024&gt;</a>
</div></dt><dd class="posts">6 <dfn>Replies</dfn></dd>
<dd class="lastpost"><span><dfn>Last post </dfn>by <a class="username">bob</a> <a href="./viewtopic.php?f=1&amp;p=13#p13" title="Go to last post">»</a></span></dd>
</dl></li>
<li class="row bg2"><dl class="row-item"><dt><div class="list-inner"><a href="javascript:alert(1)" class="topictitle">evil</a>
<a href="mailto:a@example.jp" class="topictitle">mail</a><a href=" #top " class="topictitle">top</a></div></dt></dl></li>
</ul>
<div id="p13" class="post has-profile bg2"><div class="postbody"><div id="post_content13">
<h3><a href="#p13">Re: 名簿</a></h3><div class="content">山田太郎 090-1234-5678</div></div></div></div>
</div></div></body></html>`

// listingSelectors are real sources' selectors (phpBB, XenForo,
// vBulletin, a paste archive), used when the fuzzed selector does not
// compile.
var listingSelectors = []struct{ item, next, content string }{
	{`a.topictitle, dd.lastpost a[href*="#p"]`, "a[rel=next]", "div[id^=p] .content"},
	{".structItem-title a, .structItem-pageJump a", ".pageNav-jump--next", "article.message .bbWrapper"},
	{`a[id^=thread_title_], td[title^="Replies"] a[href*="#post"]`, "a[rel=next]", "div[id^=post_message_]"},
	{`table.maintable a[href^="/raw/"]`, "", ""},
}

// FuzzHTMLListingLinks fuzzes what an html-listing source takes from a
// hostile page: the item and next links (baseOf, linkOf, normalizeURL),
// their titles (cleanText) and the documents cut from an item page
// (itemDocuments).
func FuzzHTMLListingLinks(f *testing.F) {
	f.Add(seedPhpBBListing, "https://forum.example/viewforum.php?f=12", "")
	f.Add(`<base href="javascript:void(0)//"><a class="topictitle" href="viewtopic.php?t=1">x</a>`, "https://forum.example/", "")
	f.Add(`<base href="https://mirror.example/sub/"><div class="structItem-title"><a href="threads/x.5/">  many
	   spaces  </a></div><a class="pageNav-jump--next" href="page-2">›</a>`, "https://xf.example/forums/leaks.2/", "x")
	f.Add(`<table class="maintable"><tr><td><a href="/raw/Xz1aB2cD">one</a></td><td><a href="/raw/../../etc?PHPSESSID=1">two</a></td></tr></table>`, "https://paste.example/archive", "xx")
	f.Add(`<td title="Replies: 3"><a href="showthread.php?s=0123456789abcdef0123456789abcdef&amp;t=7#post9">7</a></td><div id="post_message_9">secret</div>`, "http://vb.example/forumdisplay.php?f=2", "xxx")
	f.Add(`<a href="http://[::1]:80/x">v6</a><a href="http://a b/">space</a><a href="//:80/">nohost</a><a href="HTTPS://EXAMPLE.COM/%7e">up</a>`, "https://forum.example/", "a")
	f.Add(`<section id="s"><p>one</p><p>two</p></section>`, "https://forum.example/t/1", "p")
	f.Add(`<div id="p1"><div class="content">`+strings.Repeat("長い題名 ", 80)+`</div></div>`, "https://forum.example/t/1", "div.content")
	f.Fuzz(func(t *testing.T, body, pageURL, selector string) {
		pu, err := url.Parse(pageURL)
		if err != nil || (pu.Scheme != "http" && pu.Scheme != "https") || pu.Hostname() == "" {
			pu, _ = url.Parse("https://forum.example/viewforum.php?f=12")
		}
		sels := listingSelectors[len(selector)%len(listingSelectors)]
		s := &source{cfg: SourceConfig{Name: "fuzz", Kind: KindHTMLListing}}
		if sel, err := cascadia.Compile(selector); err == nil && selector != "" {
			s.itemSel, s.contentSel = sel, sel
			s.cfg.ItemSelector, s.cfg.ContentSelector = selector, selector
		} else {
			s.itemSel = cascadia.MustCompile(sels.item)
			s.cfg.ItemSelector = sels.item
			if sels.next != "" {
				s.nextSel = cascadia.MustCompile(sels.next)
			}
			if sels.content != "" {
				s.contentSel = cascadia.MustCompile(sels.content)
				s.cfg.ContentSelector = sels.content
			}
		}
		p := &page{URL: pu, MediaType: "text/html", Body: []byte(body)}
		doc, err := p.document()
		if err != nil {
			return
		}
		base := baseOf(doc, pu)
		checkLink := func(what, link string) {
			t.Helper()
			if link == "" {
				return
			}
			u, err := url.Parse(link)
			if err != nil {
				t.Fatalf("%s %q does not parse: %v", what, link, err)
			}
			if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				t.Fatalf("%s %q is not an absolute http(s) URL", what, link)
			}
			if u.Fragment != "" || strings.Contains(link, "#") {
				t.Fatalf("%s %q keeps a fragment", what, link)
			}
			q := u.Query()
			if q.Has("sid") || q.Has("PHPSESSID") || q.Has("phpsessid") || sessionHex.MatchString(q.Get("s")) {
				t.Fatalf("%s %q keeps a session parameter", what, link)
			}
		}
		valid := utf8.ValidString(body)
		doc.FindMatcher(s.itemSel).Each(func(_ int, sel *goquery.Selection) {
			checkLink("item link", linkOf(sel, base))
			title := cleanText(sel.Text())
			if len(title) > 300+len("…") || title != strings.TrimSpace(title) || strings.Contains(title, "  ") || strings.ContainsAny(title, "\n\t\r") {
				t.Fatalf("title %q not cleaned", title)
			}
			if valid && !utf8.ValidString(title) {
				t.Fatalf("title %q is not UTF-8", title)
			}
		})
		if s.nextSel != nil {
			checkLink("next link", linkOf(doc.FindMatcher(s.nextSel).First(), base))
		}
		docs, next, err := itemDocuments(s, p, listItem{url: pu.String()})
		if err != nil {
			if s.contentSel == nil || !strings.Contains(err.Error(), "matched nothing") || !strings.Contains(err.Error(), strconv.Quote(s.cfg.ContentSelector)) {
				t.Fatalf("itemDocuments: %v", err)
			}
			return
		}
		checkLink("next link", next)
		if len(docs) == 0 {
			t.Fatalf("no document and no error")
		}
		for _, d := range docs {
			du, err := url.Parse(d.URL)
			if err != nil || du.Scheme != pu.Scheme || du.Host != pu.Host || du.Path != pu.Path {
				t.Fatalf("document URL %q is not on the page %q: %v", d.URL, pu, err)
			}
			if d.Key == "" || d.MediaType != "text/html" {
				t.Fatalf("document %+v", d)
			}
			if s.contentSel != nil && !strings.HasPrefix(d.Key, pu.Host+"#") && !strings.HasPrefix(d.Key, pu.String()+"#") {
				t.Fatalf("key %q is neither host#id nor url#n", d.Key)
			}
		}
	})
}

func FuzzParseSources(f *testing.F) {
	f.Add([]byte(validSources))
	f.Add([]byte(`- name: pastes
  kind: paste-api          # Pastebin-style scraping API
  url: https://paste.example/api_scraping.php
  limit: 100
  interval: 2m
- name: forum-xf
  kind: html-listing       # XenForo 2
  url: https://xf.example/forums/leaks.2/
  item_selector: .structItem-title a, .structItem-pageJump a
  next_selector: .pageNav-jump--next
  content_selector: article.message .bbWrapper
  max_pages: 3
- name: onion-page
  kind: url                # one page, watched for changes
  url: http://exampleonionaddress.onion/leaks
  proxy: socks5://forum-a:x@127.0.0.1:9050
  timeout: 2m
`))
	for _, s := range []string{
		"- name: a\n  kind: feed\n  url: http://127.0.0.1:1/\n  jitter: NaN\n",
		"- name: a\n  kind: feed\n  url: http://:1/\n",
		"- name: a\n  kind: url\n  url: https://a.example/\n  max_body: 0.5KiB\n  rate: .nan\n",
		"- name: a\n  kind: url\n  url: https://a.example/\n  cookies: [\"x\"]\n",
		"- {name: a, kind: url, url: 'https://a.example/', bogus: 1}\n- {kind: url}\n",
		"- name: a\n  kind: html-listing\n  url: https://a.example/\n  item_selector: 'a[href'\n",
		"- &x {name: a, kind: url, url: 'https://a.example/'}\n- *x\n",
		"sources: []\n",
		"- name: [x]\n",
		"- name: a\n  kind: url\n  url: https://a.example/\n  headers: {Host: b}\n  interval: 1h\n  jitter: 2h\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		srcs, err := ParseSources(data)
		if err != nil {
			if srcs != nil {
				t.Fatalf("sources with an error")
			}
			checkSourcesError(t, err)
			return
		}
		cp := make([]SourceConfig, len(srcs))
		copy(cp, srcs)
		if err := ValidateSources(cp); err != nil {
			t.Fatalf("parsed sources fail validation: %v", err)
		}
		if !reflect.DeepEqual(cp, srcs) {
			t.Fatalf("validating again changed the sources:\n%+v\n%+v", srcs, cp)
		}
		for _, s := range srcs {
			iv := time.Duration(s.Interval)
			if !(s.Jitter.Fraction >= 0 && s.Jitter.Fraction < 1) || s.Jitter.Duration < 0 || s.Jitter.Duration >= iv || iv < time.Second {
				t.Fatalf("source %q: interval %v, jitter %+v", s.Name, iv, s.Jitter)
			}
			if sp := s.Jitter.span(iv); sp < 0 || sp >= iv {
				t.Fatalf("source %q: jitter spans %v of %v", s.Name, sp, iv)
			}
			if !(s.Rate > 0 && s.Rate <= 1000) || s.MaxItems < 1 || s.MaxBody < 1<<10 || s.Timeout <= 0 {
				t.Fatalf("source %q: %+v", s.Name, s)
			}
			// What the fetcher will check at every request must already
			// hold (an IP literal's address is checked then, not here).
			u, err := url.Parse(s.URL)
			if err != nil {
				t.Fatalf("source %q: url %q: %v", s.Name, s.URL, err)
			}
			if err := (&addrGuard{allowPrivate: true}).checkTarget(u); err != nil && !errors.Is(err, ErrAddressRefused) {
				t.Fatalf("source %q: url %q accepted, but the fetcher refuses it: %v", s.Name, s.URL, err)
			}
			if s.Kind == KindHTMLListing && s.ItemSelector == "" {
				t.Fatalf("source %q: html-listing without item_selector", s.Name)
			}
			// Duration and Jitter marshal back to what they read.
			for _, v := range []any{s.Interval, s.Timeout, s.Jitter} {
				b, err := yaml.Marshal(v)
				if err != nil {
					t.Fatalf("marshal %v: %v", v, err)
				}
				back := reflect.New(reflect.TypeOf(v))
				if err := yaml.Unmarshal(b, back.Interface()); err != nil || !reflect.DeepEqual(back.Elem().Interface(), v) {
					t.Fatalf("%T %v marshals to %q, reads back as %v (%v)", v, v, b, back.Elem().Interface(), err)
				}
			}
		}
	})
}

// checkSourcesError checks that a ParseSources error names what is wrong:
// the document ("sources: ..."), or for each problem the source (its name
// or #N) and, for a field's problem, the field.
func checkSourcesError(t *testing.T, err error) {
	t.Helper()
	if strings.HasPrefix(err.Error(), "sources: ") {
		return
	}
	leaves := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		leaves = j.Unwrap()
	}
	for _, e := range leaves {
		var ce *ConfigError
		if !errors.As(e, &ce) || ce.Source == "" {
			t.Fatalf("error %q is not a *ConfigError naming its source", e)
		}
		if !strings.HasPrefix(e.Error(), "source ") || (ce.Field != "" && !strings.Contains(e.Error(), ": "+ce.Field+": ")) {
			t.Fatalf("error %q does not name source %q and field %q", e, ce.Source, ce.Field)
		}
		if ce.Field == "" && !strings.Contains(e.Error(), "line ") {
			t.Fatalf("error %q names no field and no line", e)
		}
	}
}

// TestValidateFuzzFindings holds what FuzzParseSources found: a NaN jitter
// fraction passed the range check (every comparison with NaN is false), and
// a URL with a port but no host passed as having a host, though the
// fetcher refuses it at every request.
func TestValidateFuzzFindings(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"- name: a\n  kind: feed\n  url: http://127.0.0.1:1/\n  jitter: NaN\n", `source "a": jitter: fraction must be at least 0 and below 1`},
		{"- name: a\n  kind: feed\n  url: http://127.0.0.1:1/\n  jitter: nan\n", `source "a": jitter: fraction must be at least 0 and below 1`},
		{"- name: a\n  kind: feed\n  url: http://:1/\n", `source "a": url: missing host`},
		{"- name: a\n  kind: feed\n  url: 'https://:/x'\n", `source "a": url: missing host`},
	} {
		_, err := ParseSources([]byte(tc.yaml))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: err = %v, want %s", tc.yaml, err, tc.want)
		}
	}
	// what is still accepted
	for _, ok := range []string{
		"- name: a\n  kind: feed\n  url: http://127.0.0.1:1/\n  jitter: 0.5\n",
		"- name: a\n  kind: feed\n  url: 'http://[::1]:1/'\n",
		"- name: a\n  kind: feed\n  url: http://exampleonionaddress.onion/\n",
	} {
		if _, err := ParseSources([]byte(ok)); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
}

// TestFeedLinkNotHTTP holds what defining FuzzParseFeed's link property
// found: an entry linking to javascript: (or mailto:, file:, data:) was
// handed to the fetcher, which refuses the scheme; the item failed at
// every visit, so one such entry failed the source for good. Now such an
// entry has no link: skipped, or with use_content delivered under the
// feed's URL.
func TestFeedLinkNotHTTP(t *testing.T) {
	const feed = `<rss><channel>
<item><guid>1</guid><link>javascript:alert(1)</link><description>one</description></item>
<item><guid>2</guid><link>mailto:a@example.jp</link><description>two</description></item>
<item><guid>3</guid><link>http:/no-host</link><description>three</description></item>
</channel></rss>`
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/rss.xml" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/rss+xml")
		_, _ = w.Write([]byte(feed))
	}))
	defer srv.Close()
	for _, useContent := range []bool{false, true} {
		h := &collector{}
		c := newCrawler(t, openState(t), h, loopSource("feed", KindFeed, srv.URL+"/rss.xml", func(s *SourceConfig) {
			s.Robots, s.UseContent = new(bool), useContent
		}))
		for range 2 {
			st := visitOnce(t, c, "feed")
			if st.Failed != 0 {
				t.Fatalf("use_content %v: %+v", useContent, st)
			}
		}
		docs := h.all()
		if !useContent && len(docs) != 0 || useContent && len(docs) != 3 {
			t.Fatalf("use_content %v: %d documents", useContent, len(docs))
		}
		for _, d := range docs {
			if d.URL != srv.URL+"/rss.xml" {
				t.Errorf("document URL %q, want the feed's", d.URL)
			}
		}
	}
	base, _ := url.Parse("https://board.example/feed")
	for in, want := range map[string]string{
		"/entries/1": "https://board.example/entries/1", "//cdn.example/x": "https://cdn.example/x",
		"javascript:alert(1)": "", "file:///etc/passwd": "", "HTTP://A.example/": "http://A.example/", "http://:80/": "", "": "",
	} {
		if got := entryLink(base, in); got != want {
			t.Errorf("entryLink(%q) = %q, want %q", in, got, want)
		}
	}
}

package notify

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	gomail "github.com/wneessen/go-mail"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// checkGolden compares got with testdata/golden/name, or rewrites it with
// -update.
func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run go test ./notify -update to create it): %v", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from golden file (run with -update if the change is intended)\n--- got ---\n%s\n--- want ---\n%s", name, got, want)
	}
}

func checkMessageGolden(t *testing.T, name string, m Message) {
	t.Helper()
	checkGolden(t, name+".txt", []byte("Subject: "+m.Subject+"\n\n"+m.Text))
	checkGolden(t, name+".html", []byte(m.HTML))
}

// hostileTitle is what an attacker can put in a page title.
var hostileTitle = "<script>alert(document.cookie)</script>\r\nBcc: attacker@evil.example\r\n\r\n" +
	"\u202eevil\u202c dump of taro.yamada@example.jp 090-1234-5678 see http://evil.example/x " +
	strings.Repeat("A", 10*1024)

var hostileFinding = Finding{
	ID:          "f-hostile",
	Set:         "customers",
	Refs:        []string{"r:000001\r\nBcc: x@evil.example"},
	Kinds:       []string{"email", "<b>bad</b>"},
	URL:         "https://evil.example/p?u=taro.yamada%40example.jp&t=\"><script>x</script>\r\nBcc: y@evil.example",
	Source:      "forum\r\nX-Injected: 1",
	Title:       hostileTitle,
	FirstSeen:   time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC),
	Score:       0.5,
	ContentHash: "not-hex\r\n",
	Records:     1,
}

func manyFindings(n int) []Finding {
	var fs []Finding
	for i := range n {
		f := sampleFinding
		f.ID = fmt.Sprintf("f-digest-%03d", i)
		f.URL = fmt.Sprintf("https://paste.example.net/raw/d%03d", i)
		f.Refs = []string{fmt.Sprintf("r:%06d", 100+i)}
		f.Records = 1 + i
		f.FirstSeen = sampleFinding.FirstSeen.Add(time.Duration(i) * time.Minute)
		fs = append(fs, f)
	}
	return fs
}

func TestGoldenMessages(t *testing.T) {
	big := sampleFinding
	big.ID = "f-big-dump"
	big.Records = 100000
	big.Refs = nil
	for i := range 60 {
		big.Refs = append(big.Refs, fmt.Sprintf("r:%06d", i))
	}
	start := time.Date(2025, 3, 4, 5, 0, 0, 0, time.UTC)
	for _, lang := range []string{LangJapanese, LangEnglish} {
		t.Run(lang, func(t *testing.T) {
			m, err := RenderFinding(sampleFinding, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkMessageGolden(t, "finding."+lang, m)

			m, err = RenderFinding(big, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkMessageGolden(t, "finding-big."+lang, m)

			m, err = RenderFinding(hostileFinding, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkMessageGolden(t, "hostile."+lang, m)

			d := Digest{Set: "customers", Start: start, End: start.Add(time.Hour), Findings: manyFindings(3)}
			m, err = RenderDigest(d, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkMessageGolden(t, "digest."+lang, m)

			d = Digest{Set: "customers", Start: start, End: start.Add(time.Hour), Findings: manyFindings(105), RateLimited: true}
			m, err = RenderDigest(d, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkMessageGolden(t, "summary."+lang, m)

			m, err = renderTest(lang, "smtp.example.jp", start)
			if err != nil {
				t.Fatal(err)
			}
			checkMessageGolden(t, "test."+lang, m)
		})
	}
}

func TestRenderUnknownLanguage(t *testing.T) {
	if _, err := RenderFinding(sampleFinding, "fr"); err == nil {
		t.Fatal("rendered in an unknown language")
	}
	if _, err := RenderDigest(Digest{Set: "x"}, LangEnglish); err == nil {
		t.Fatal("rendered an empty digest")
	}
}

func TestHostileTitle(t *testing.T) {
	for _, lang := range []string{LangJapanese, LangEnglish} {
		t.Run(lang, func(t *testing.T) {
			m, err := RenderFinding(hostileFinding, lang)
			if err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(m.Subject, "\r\n") || strings.Contains(m.Subject, "script") || strings.Contains(m.Subject, "Bcc") {
				t.Errorf("subject carries page text: %q", m.Subject)
			}
			if strings.Contains(m.HTML, "<script") || strings.Contains(m.HTML, "<b>bad") {
				t.Error("HTML part holds unescaped markup from the page")
			}
			if !strings.Contains(m.HTML, "&lt;script&gt;alert(document[.]cookie)&lt;/script&gt;") {
				t.Error("HTML part does not show the escaped title")
			}
			for _, part := range []string{m.Text, m.HTML} {
				for _, line := range strings.Split(part, "\n") {
					if strings.HasPrefix(strings.TrimSpace(line), "Bcc:") || strings.HasPrefix(line, "X-Injected") {
						t.Errorf("a page value starts a line: %q", line)
					}
				}
				if strings.Contains(part, "\r") || strings.Contains(part, "\u202e") {
					t.Error("a CR or a bidi override survived")
				}
				for _, leak := range []string{"taro.yamada", "1234-5678", "http://evil", "https://evil", "evil.example", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"} {
					if strings.Contains(part, leak) {
						t.Errorf("rendered message contains %q", leak)
					}
				}
			}
			if len(m.Text) > 8*1024 || len(m.HTML) > 8*1024 {
				t.Errorf("a 10 KB title made a %d/%d byte message", len(m.Text), len(m.HTML))
			}
		})
	}

	// The same through go-mail, as it goes on the wire: no Bcc header, no
	// injected header, the recipients we chose.
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	m, err := NewMailer(cfg.SMTP, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := RenderFinding(hostileFinding, LangEnglish)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Send(t.Context(), cfg.Default.Recipients, msg); err != nil {
		t.Fatal(err)
	}
	got := s.messages()
	if len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "security@example.jp" {
		t.Fatalf("envelope recipients changed: %+v", got)
	}
	pm := parseMail(t, got[0].Data)
	for _, h := range []string{"Bcc", "X-Injected", "Cc"} {
		if v := pm.Header.Get(h); v != "" {
			t.Errorf("header %s: %q was injected", h, v)
		}
	}
	if !strings.Contains(pm.HTML, "&lt;script&gt;") || strings.Contains(pm.HTML, "<script") {
		t.Error("escaping did not survive MIME encoding")
	}
}

func TestSanitize(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain title", "plain title"},
		{"a\r\nBcc: x", "a Bcc: x"},
		{"tab\tand  spaces", "tab and spaces"},
		{"\u202eoverride\u200b", "override"},
		{"bad \xff utf8", "bad \uFFFD utf8"},
		{strings.Repeat("あ", 300), strings.Repeat("あ", 119) + "…"},
	}
	for _, c := range cases {
		if got := sanitizeLine(c.in, maxTitleRunes); got != c.want {
			t.Errorf("sanitizeLine(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	// Sanitizing is idempotent, so re-sanitizing a stored finding at
	// render time changes nothing.
	once := hostileFinding.sanitized()
	twice := once.sanitized()
	if fmt.Sprint(once) != fmt.Sprint(twice) {
		t.Errorf("sanitized is not idempotent:\n%+v\n%+v", once, twice)
	}
	if utf8.RuneCountInString(once.Title) > maxTitleRunes {
		t.Errorf("title has %d runes", utf8.RuneCountInString(once.Title))
	}
	if once.ContentHash != "" {
		t.Errorf("non-hex content hash kept: %q", once.ContentHash)
	}
	if len(once.Kinds) != 1 || once.Kinds[0] != "email" {
		t.Errorf("kinds %q", once.Kinds)
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"mail taro.yamada@example.jp now", "mail [email] now"},
		{"?u=taro%40example.co.jp&x=1", "?u=[email]&x=1"},
		{"連絡先 taro＠example.jp", "連絡先 [email]"},
		{"tel 090-1234-5678.", "tel [number]."},
		{"tel ０９０１２３４５６７８", "tel [number]"},
		{"card 4111 1111 1111 1111 ok", "card [number] ok"},
		{"my number 1234 5678 9012", "my number [number]"},
		{"thread 123456789 and 2025-03-04", "thread 123456789 and 2025-03-04"},
		{"/t/12345678901234567890", "/t/[number]"},
	}
	for _, c := range cases {
		if got := redact(c.in); got != c.want {
			t.Errorf("redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDefangURL(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://paste.example.net/raw/x?a=b.c", "hxxps://paste[.]example[.]net/raw/x?a=b.c"},
		{"http://1.2.3.4:8080/", "hxxp://1[.]2[.]3[.]4:8080/"},
		{"ftp://files.example.org/a", "ftp[:]//files[.]example[.]org/a"},
		{"example.com/path", "example[.]com/path"},
		{"onion://abc.onion", "onion[:]//abc[.]onion"},
	}
	for _, c := range cases {
		if got := defangURL(c.in); got != c.want {
			t.Errorf("defangURL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestDefangText(t *testing.T) {
	cases := []struct{ in, want string }{
		{"see http://evil.example/x now", "see http[:]//evil[.]example/x now"},
		{"www.example.co.jp dump", "www[.]example[.]co[.]jp dump"},
		{"version 1.2 of list 2025", "version 1.2 of list 2025"},
		{"already evil[.]example", "already evil[.]example"},
	}
	for _, c := range cases {
		if got := defangText(c.in); got != c.want {
			t.Errorf("defangText(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestFormatCount(t *testing.T) {
	for in, want := range map[int]string{0: "0", 999: "999", 1000: "1,000", 100000: "100,000", 1234567: "1,234,567", -4500: "-4,500"} {
		if got := formatCount(in); got != want {
			t.Errorf("formatCount(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestMIMESubjectJapanese(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	m, err := NewMailer(cfg.SMTP, nil)
	if err != nil {
		t.Fatal(err)
	}
	msg, err := RenderFinding(sampleFinding, LangJapanese)
	if err != nil {
		t.Fatal(err)
	}
	gm, err := m.build([]string{"a@example.jp"}, msg)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := gm.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	pm := parseMail(t, buf.Bytes())
	if pm.Subject != msg.Subject {
		t.Errorf("subject round trip: %q != %q", pm.Subject, msg.Subject)
	}
	if pm.Text != msg.Text || pm.HTML != msg.HTML {
		t.Error("bodies changed in MIME encoding")
	}
	for _, line := range strings.Split(buf.String(), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("line of %d bytes", len(line))
		}
		for _, r := range line {
			if r > 0x7e {
				t.Fatalf("non-ASCII byte on the wire: %q", line)
			}
		}
	}
	if got := gm.GetGenHeader(gomail.HeaderUserAgent); len(got) != 1 || got[0] != "leakwatch" {
		t.Errorf("User-Agent %q", got)
	}
}

func BenchmarkRenderFinding(b *testing.B) {
	for b.Loop() {
		if _, err := RenderFinding(sampleFinding, LangJapanese); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRenderHostile(b *testing.B) {
	for b.Loop() {
		if _, err := RenderFinding(hostileFinding, LangEnglish); err != nil {
			b.Fatal(err)
		}
	}
}

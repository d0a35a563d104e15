package notify

import (
	"strings"
	"testing"
	"time"
)

// stallFailing and stallStale are the two kinds of stall, with hostile
// text where the crawler's error message could carry some.
var (
	stallFailing = Stall{
		Source: "forum-a", Kind: "html-listing", Reason: StallFailing,
		Since:    time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		Failures: 7, FailureLimit: 5,
		LastSuccess: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		LastNewItem: time.Date(2025, 2, 28, 22, 15, 0, 0, time.UTC),
		LastError:   "source \"forum-a\": get https://forum.example/t/taro.yamada@example.jp/09012345678: unexpected status 403 Forbidden\r\nBcc: x@evil.example\u202e",
		Detected:    time.Date(2025, 3, 1, 10, 30, 0, 0, time.UTC),
	}
	stallStale = Stall{
		Source: "pastes", Kind: "paste-api", Reason: StallStale,
		Since: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC), Limit: 48 * time.Minute,
		LastSuccess: time.Date(2025, 3, 2, 9, 58, 0, 0, time.UTC),
		LastNewItem: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC),
		Detected:    time.Date(2025, 3, 2, 10, 0, 0, 0, time.UTC),
	}
)

// TestRenderStallGolden renders both kinds of stall in both languages
// against golden files, and checks the hostile error text was tamed.
func TestRenderStallGolden(t *testing.T) {
	for _, c := range []struct {
		name string
		s    Stall
	}{{"stall-failing", stallFailing}, {"stall-stale", stallStale}} {
		for _, lang := range []string{LangEnglish, LangJapanese} {
			m, err := RenderStall(c.s, lang)
			if err != nil {
				t.Fatal(err)
			}
			checkMessageGolden(t, c.name+"."+lang, m)
			for _, bad := range []string{"taro.yamada@example.jp", "09012345678", "\r", "\n\nBcc", "\u202e", "https://forum.example"} {
				if strings.Contains(m.Subject+m.Text+m.HTML, bad) {
					t.Errorf("%s.%s contains %q", c.name, lang, bad)
				}
			}
			if strings.ContainsAny(m.Subject, "\r\n") {
				t.Errorf("subject not one line: %q", m.Subject)
			}
		}
	}
	if _, err := RenderStall(Stall{Source: "x", Reason: "bored"}, LangEnglish); err == nil {
		t.Error("unknown reason rendered")
	}
}

// TestSanitizeTextAndDefangURL: the helpers status pages use mask and
// defang like the messages do.
func TestSanitizeTextAndDefangURL(t *testing.T) {
	got := SanitizeText("get https://paste.example/raw/a?e=taro@example.jp\r\nX: 0901234567", 200)
	if strings.Contains(got, "taro@example.jp") || strings.Contains(got, "0901234567") || strings.Contains(got, "\n") || strings.Contains(got, "https://") {
		t.Errorf("SanitizeText: %q", got)
	}
	if u := DefangURL("https://paste.example/raw/abc"); u != "hxxps://paste[.]example/raw/abc" {
		t.Errorf("DefangURL: %q", u)
	}
}

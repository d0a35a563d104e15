package matcher

import (
	"bufio"
	"strings"
	"testing"
)

// TestHTMLTextRuby: ruby readings are written apart from their base
// text, gathered across rubies separated by white space, and before
// what ends the run; <rp> is left out.
func TestHTMLTextRuby(t *testing.T) {
	cases := []struct{ name, html, want string }{
		{"one ruby", "<ruby>山田太郎<rt>やまだたろう</rt></ruby>", "山田太郎 (やまだたろう) "},
		{"one per kanji", "<ruby>山<rt>やま</rt>田<rt>だ</rt></ruby>", "山田 (やまだ) "},
		{"rp left out", "<ruby>山田<rp>(</rp><rt>やまだ</rt><rp>)</rp></ruby>", "山田 (やまだ) "},
		{"rubies apart by a space", "<ruby>山田<rt>やまだ</rt></ruby> <ruby>太郎<rt>たろう</rt></ruby>", "山田 太郎 (やまだ たろう) "},
		{"rubies side by side", "<ruby>山田<rt>やまだ</rt></ruby><ruby>太郎<rt>たろう</rt></ruby>", "山田太郎 (やまだたろう) "},
		{"rb and rtc", "<ruby><rb>鈴木</rb><rb>一郎</rb><rtc><rt>すずき</rt><rt>いちろう</rt></rtc></ruby>", "鈴木一郎 (すずきいちろう) "},
		{"text after", "<p><ruby>山田<rt>やまだ</rt></ruby>さん 090</p>", "\n山田 (やまだ) さん 090\n"},
		{"cell ends the run", "<tr><td><ruby>山田<rt>やまだ</rt></ruby></td><td>090</td></tr>", "\n\t山田 (やまだ) \t090\n"},
		{"inline tags inside", "<ruby><span>山田</span><rt><b>やまだ</b></rt></ruby>", " 山田 (やまだ) "},
		{"unclosed ruby", "<ruby>山田<rt>やまだ", "山田"},
		{"no ruby", "<p>山田 太郎</p>", "\n山田 太郎\n"},
		{"empty reading", "<ruby>山田<rt></rt></ruby> x", "山田 x"},
		{"reading too long", "<ruby>山田<rt>" + strings.Repeat("や", 400) + "</rt><rt>x</rt></ruby>", "山田" + strings.Repeat("や", 400) + " (x) "},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var b strings.Builder
			w := bufio.NewWriter(&b)
			if err := htmlText(w, strings.NewReader(c.html)); err != nil {
				t.Fatal(err)
			}
			w.Flush()
			if got := b.String(); got != c.want {
				t.Errorf("htmlText(%q) = %q, want %q", c.html, got, c.want)
			}
		})
	}
}

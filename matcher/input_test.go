package matcher

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode/utf8"

	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/transform"
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

// TestPercentUTF8 compares percentUTF8 with a reference that decodes a
// whole text at once, through a reader fed one byte at a time and with
// small output buffers: only complete, valid multi-byte characters are
// decoded, everything else is copied.
func TestPercentUTF8(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"a", "%", "%E5%B1%B1", "%e7%94%b0", "%F0%9F%98%80", "%C3%A9", "%E5%B1", "%E5", "%B1", "%41", "%20",
		"%4", "%G1", "%C0%AF", "%ED%A0%80", "%F4%90%80%80", "%E5%B1%41", "%E5%B1%%B1", "&", "=", "山", "%E5%B1%B1%E7%94%B0",
		// Shift_JIS: 山田 as old Japanese sites encode it, あ, a full-width
		// space, Latin-1 é, leads without a trail, trails alone.
		"%8ER%93c", "%8E", "R", "_", "|", "%93", "%82%A0", "%81%40", "%E9", "%9F", "%E0", "%EF%BC", "%8", "%8E%9", "%FC%FC", "%A0", "%ED%95", "%FA%B1", "%FB%FC", "%F0%40",
		// A form's spaces.
		"+", "%20", "%2", "++"}
	for i := 0; i < 20_000; i++ {
		var b []byte
		for n := r.IntN(12); n > 0; n-- {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		want := percentReference(b)
		got, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(bytes.NewReader(b)), percentUTF8{}))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: read %q (%v), want %q", b, got, err, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("%q: %q is not valid UTF-8", b, got)
		}
		// Small output buffers, the whole input at once.
		dst := make([]byte, utf8.UTFMax+1+r.IntN(8)) // the longest unit: a character and a space
		got = got[:0]
		for src := b; ; {
			nDst, nSrc, err := percentUTF8{}.Transform(dst, src, true)
			got, src = append(got, dst[:nDst]...), src[nSrc:]
			if err == nil {
				break
			}
			if err != transform.ErrShortDst || nSrc == 0 && nDst == 0 {
				t.Fatalf("%q: Transform: %v after %q", b, err, got)
			}
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%q, dst %d: %q, want %q", b, len(dst), got, want)
		}
	}
	if got, _ := io.ReadAll(transform.NewReader(strings.NewReader("name=%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E&tel=090"), percentUTF8{})); string(got) != "name=山田太郎&tel=090" {
		t.Errorf("query string: %q", got)
	}
	for in, want := range map[string]string{
		"name=%8ER%93c%91%BE%98Y&tel=090":              "name=山田太郎&tel=090",
		"addr=%93%8C%8B%9E%93s%90%E7%91%E3%93c%8B%E6":  "addr=東京都千代田区",
		"q=%82%E2%82%DC%82%BE":                         "q=やまだ",
		"a=%8E|b":                                      "a=%8E|b", // no delimiter is taken as a trail byte
		"caf%E9":                                       "caf%E9",
		"name=%8D%95%E0V+%96%BE%94%FC&a=1+2":           "name=黒澤 明美&a=1+2",
		"name=%E9%BB%92%E6%BE%A4%20%E6%98%8E%E7%BE%8E": "name=黒澤 明美",
		"q=%E5%B1%B1+x":                                "q=山+x",
		"name=%8ER%ED%95+%8E%B5%8AC":                   "name=山﨑 七海", // NEC-selected IBM extension
		"name=%8ER%ED%95%8BI%8Eq":                      "name=山﨑紀子",  // ED 95 8B would be UTF-8 of 핋
		"name=%EA%B8%80%EC%94%A8":                      "name=글씨",    // Hangul before U+D000 stays UTF-8
		"name=%FB%FC%8B%B4":                            "name=髙橋",    // IBM extension
		"x=%F0%40":                                     "x=%F0%40",   // the user-defined area
	} {
		if got, _ := io.ReadAll(transform.NewReader(strings.NewReader(in), percentUTF8{})); string(got) != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// percentReference decodes b position by position: a complete, valid
// multi-byte UTF-8 character of %XX escapes; else a Shift_JIS character of
// Japanese text (CJK punctuation, kana, kanji, full-width forms) whose
// lead byte is an escape and whose trail byte is one too, or an ASCII
// letter or _ as it is; else the byte as it is. A + or %20 between two
// decoded characters is a space.
func percentReference(b []byte) []byte {
	var out []byte
	for i := 0; i < len(b); {
		r, w := refPercentChar(b[i:])
		if w == 0 {
			out = append(out, b[i])
			i++
			continue
		}
		out = utf8.AppendRune(out, r)
		i += w
		for _, sp := range []string{"+", "%20"} {
			if strings.HasPrefix(string(b[i:]), sp) {
				if _, nw := refPercentChar(b[i+len(sp):]); nw > 0 {
					out = append(out, ' ')
					i += len(sp)
				}
				break
			}
		}
	}
	return out
}

// refPercentChar decodes the character percent-encoded at the start of b
// for percentReference, and the length of its encoding (0 if none).
func refPercentChar(b []byte) (rune, int) {
	var raw []byte
	for j := 0; j+3 <= len(b) && len(raw) < utf8.UTFMax && b[j] == '%'; j += 3 {
		v, err := strconv.ParseUint(string(b[j+1:j+3]), 16, 8)
		if err != nil || strings.ContainsAny(string(b[j+1:j+3]), "+-") {
			break
		}
		raw = append(raw, byte(v))
	}
	ur, usize := utf8.DecodeRune(raw)
	if usize > 1 && ur != utf8.RuneError && raw[0] != 0xED && raw[0] != 0xEE {
		return ur, 3 * usize
	}
	if usize > 1 && ur != utf8.RuneError {
		// Hangul from U+D000 or private use: Shift_JIS first.
		if r, w := refSJIS(b, raw); w > 0 {
			return r, w
		}
		return ur, 3 * usize
	}
	return refSJIS(b, raw)
}

// refSJIS reads the Shift_JIS character of Japanese text at the start of
// b, whose escapes' bytes are raw, for refPercentChar.
func refSJIS(b, raw []byte) (rune, int) {
	if len(raw) == 0 {
		return 0, 0
	}
	pair, w := raw[:min(len(raw), 2)], 6
	if len(raw) == 1 {
		w = 0
		if len(b) > 3 && (b[3] >= 'a' && b[3] <= 'z' || b[3] >= 'A' && b[3] <= 'Z' || b[3] == '_') {
			pair, w = []byte{raw[0], b[3]}, 4
		}
	}
	lead := raw[0]
	dec, err := japanese.ShiftJIS.NewDecoder().Bytes(pair)
	r, size := utf8.DecodeRune(dec)
	if w > 0 && (lead >= 0x81 && lead <= 0x9F || lead >= 0xE0 && lead <= 0xEF || lead >= 0xFA && lead <= 0xFC) && err == nil && size == len(dec) &&
		(r >= '\u3000' && r <= 'ヿ' || r >= '㐀' && r <= '䶿' || r >= '一' && r <= '\u9fff' || r >= '豈' && r <= '\ufaff' || r >= '！' && r <= 'ﾟ') {
		return r, w
	}
	return 0, 0
}

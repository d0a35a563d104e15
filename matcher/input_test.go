package matcher

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"
	"unicode"
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
		// EUC-JP: 東京, あ, 山, a lead alone; level-2 kanji of Shift_JIS
		// that are UTF-8 too.
		"%C5%EC%B5%FE", "%A4%A2", "%BB%B3", "%C5", "%E0%A0", "%88%EA", "%E0%A0%8Eq",
		// A form's spaces.
		"+", "%20", "%2", "++"}
	for i := 0; i < 20_000; i++ {
		var b []byte
		for n := r.IntN(12); n > 0; n-- {
			b = append(b, pieces[r.IntN(len(pieces))]...)
		}
		want := percentReference(b)
		got, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(bytes.NewReader(b)), &percentUTF8{}))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: read %q (%v), want %q", b, got, err, want)
		}
		if !utf8.Valid(got) {
			t.Fatalf("%q: %q is not valid UTF-8", b, got)
		}
		// Small output buffers, the whole input at once.
		dst := make([]byte, utf8.UTFMax+1+r.IntN(8)) // the longest unit: a character and a space
		got = got[:0]
		pt := &percentUTF8{}
		for src := b; ; {
			nDst, nSrc, err := pt.Transform(dst, src, true)
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
	if got, _ := io.ReadAll(transform.NewReader(strings.NewReader("name=%E5%B1%B1%E7%94%B0%E5%A4%AA%E9%83%8E&tel=090"), &percentUTF8{})); string(got) != "name=山田太郎&tel=090" {
		t.Errorf("query string: %q", got)
	}
	for in, want := range map[string]string{
		"name=%8ER%93c%91%BE%98Y&tel=090":                 "name=山田太郎&tel=090",
		"addr=%93%8C%8B%9E%93s%90%E7%91%E3%93c%8B%E6":     "addr=東京都千代田区",
		"q=%82%E2%82%DC%82%BE":                            "q=やまだ",
		"a=%8E|b":                                         "a=%8E|b", // no delimiter is taken as a trail byte
		"caf%E9":                                          "caf%E9",
		"name=%8D%95%E0V+%96%BE%94%FC&a=1+2":              "name=黒澤 明美&a=1+2",
		"name=%E9%BB%92%E6%BE%A4%20%E6%98%8E%E7%BE%8E":    "name=黒澤 明美",
		"q=%E5%B1%B1+x":                                   "q=山+x",
		"name=%8ER%ED%95+%8E%B5%8AC":                      "name=山﨑 七海",        // NEC-selected IBM extension
		"name=%8ER%ED%95%8BI%8Eq":                         "name=山﨑紀子",         // ED 95 8B would be UTF-8 of 핋
		"name=%EA%B8%80%EC%94%A8":                         "name=글씨",           // Hangul before U+D000 stays UTF-8
		"name=%FB%FC%8B%B4":                               "name=髙橋",           // IBM extension
		"x=%F0%40":                                        "x=%F0%40",          // the user-defined area
		"name=%BB%B3%C5%C4%C2%C0%CF%BA&tel=090":           "name=山田太郎&tel=090", // EUC-JP
		"addr=%C5%EC%B5%FE%C5%D4%C0%E9%C2%E5%C5%C4%B6%E8": "addr=東京都千代田区",
		"q=%A4%E4%A4%DE%A4%C0":                            "q=やまだ",
		"name=Jos%C3%A9":                                  "name=José", // UTF-8, not an EUC-JP kanji
	} {
		if got, _ := io.ReadAll(transform.NewReader(strings.NewReader(in), &percentUTF8{})); string(got) != want {
			t.Errorf("%s: %q, want %q", in, got, want)
		}
	}
}

// percentReference decodes b position by position: a complete, valid
// multi-byte UTF-8 character of %XX escapes, a Shift_JIS character of
// Japanese text (CJK punctuation, kana, kanji, full-width forms) whose
// lead byte is an escape and whose trail byte is one too, or an ASCII
// letter or _ as it is, or an EUC-JP one of two escapes, chosen by
// refPercentChar; else the byte as it is. A + or %20 between two decoded
// characters is a space.
func percentReference(b []byte) []byte {
	var out []byte
	prev := -1 // the encoding of the character just before, if any
	for i := 0; i < len(b); {
		r, w, e := refPercentChar(b[i:], prev)
		if w == 0 {
			out = append(out, b[i])
			i++
			prev = -1
			continue
		}
		out = utf8.AppendRune(out, r)
		i += w
		prev = e
		for _, sp := range []string{"+", "%20"} {
			if bytes.HasPrefix(b[i:], []byte(sp)) {
				if _, nw, _ := refPercentChar(b[i+len(sp):], e); nw > 0 {
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
// for percentReference, and the length of its encoding (0 if none): UTF-8,
// Shift_JIS or EUC-JP. Where several read one: UTF-8 if its character is
// Japanese text and what follows is no escape, an ASCII one or UTF-8;
// else the encoding that, reading on, leaves the fewest bytes from 80
// undecoded in the next 8 characters and escapes, and of those the first
// of: prev's encoding, that of the character just before (-1 if none);
// UTF-8 (if its character is Japanese text, a Latin letter of Latin-1 or
// Latin Extended, a Greek or Cyrillic one, or one of § ¨ ° ± ´ ¶ × ÷);
// Shift_JIS; EUC-JP; UTF-8. The first way is not taken after a character
// of another encoding than UTF-8. It returns the encoding too.
func refPercentChar(b []byte, prev int) (rune, int, int) {
	var rs [3]rune
	var ws [3]int
	for e := range 3 {
		rs[e], ws[e] = refDecode(e, b)
	}
	if ws[0]+ws[1]+ws[2] == 0 {
		return 0, 0, -1
	}
	ur := rs[0]
	favoured := ws[0] > 0 && (ur >= 0xC0 && ur <= 0x24F || ur >= 0x370 && ur <= 0x4FF || strings.ContainsRune("§¨°±´¶×÷", ur) || unicode.In(ur, unicode.Han, unicode.Hiragana, unicode.Katakana) || ur >= 0x3000 && ur <= 0x303F || ur >= 0xFF01 && ur <= 0xFF9F ||
		ur >= 0x2010 && ur <= 0x203B || ur >= 0x2100 && ur <= 0x2FFF || ur >= 0x3100 && ur <= 0x33FF)
	if favoured && ur >= 0x500 && prev <= 0 {
		if next := refRaw(b[ws[0]:]); len(next) == 0 || next[0] < 0x80 {
			return ur, ws[0], 0
		}
		if _, nw := refDecode(0, b[ws[0]:]); nw > 0 {
			return ur, ws[0], 0
		}
	}
	order := []int{1, 2, 0}
	if favoured {
		order = []int{0, 1, 2}
	}
	if prev >= 0 {
		order = append([]int{prev}, order...)
	}
	best, bestLeft := -1, 0
	for _, e := range order {
		if ws[e] == 0 {
			continue
		}
		if left := refLeft(e, b[ws[e]:]); best == -1 || left < bestLeft {
			best, bestLeft = e, left
		}
	}
	return rs[best], ws[best], best
}

// refDecode decodes the character escaped at the start of b in UTF-8 (0),
// Shift_JIS (1) or EUC-JP (2), and the length of its encoding (0 if none).
func refDecode(e int, b []byte) (rune, int) {
	raw := refRaw(b)
	switch e {
	case 0:
		return refUTF8(b)
	case 1:
		return refSJIS(b, raw)
	}
	if len(raw) < 2 || raw[0] < 0xA1 || raw[0] == 0xFF || raw[1] < 0xA1 || raw[1] == 0xFF {
		return 0, 0
	}
	dec, err := japanese.EUCJP.NewDecoder().Bytes(raw[:2])
	r, size := utf8.DecodeRune(dec)
	if err == nil && size == len(dec) &&
		(r >= '\u3000' && r <= 'ヿ' || r >= '㐀' && r <= '䶿' || r >= '一' && r <= '\u9fff' || r >= '豈' && r <= '\ufaff' || r >= '！' && r <= 'ﾟ') {
		return r, 6
	}
	return 0, 0
}

// refLeft counts the escaped bytes from 80 that the next 8 characters and
// escapes at the start of b leave undecoded, read in encoding e.
func refLeft(e int, b []byte) int {
	left := 0
	for range 8 {
		raw := refRaw(b)
		if len(raw) == 0 {
			break
		}
		if raw[0] < 0x80 {
			b = b[3:]
			continue
		}
		_, w := refDecode(e, b)
		if w == 0 {
			left, w = left+1, 3
		}
		b = b[w:]
	}
	return left
}

// refRaw returns the bytes of the escapes at the start of b, at most 4.
func refRaw(b []byte) []byte {
	var raw []byte
	for j := 0; j+3 <= len(b) && len(raw) < utf8.UTFMax && b[j] == '%'; j += 3 {
		v, err := strconv.ParseUint(string(b[j+1:j+3]), 16, 8)
		if err != nil || strings.ContainsAny(string(b[j+1:j+3]), "+-") {
			break
		}
		raw = append(raw, byte(v))
	}
	return raw
}

// refUTF8 decodes the multi-byte UTF-8 character escaped at the start of
// b, and the length of its escapes (0 if none).
func refUTF8(b []byte) (rune, int) {
	ur, usize := utf8.DecodeRune(refRaw(b))
	if usize > 1 && ur != utf8.RuneError {
		return ur, 3 * usize
	}
	return 0, 0
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

// jisChars returns every character of JIS X 0208 (and the NEC and IBM
// extensions of CP932) whose Shift_JIS lead byte is in [lo, hi], with its
// two bytes.
func jisChars(t *testing.T, lo, hi byte) (chars []string, codes [][2]byte) {
	t.Helper()
	dec := japanese.ShiftJIS.NewDecoder()
	for lead := int(lo); lead <= int(hi); lead++ {
		for trail := 0x40; trail <= 0xFC; trail++ {
			u, err := dec.Bytes([]byte{byte(lead), byte(trail)})
			if r, size := utf8.DecodeRune(u); err != nil || size != len(u) || r == utf8.RuneError {
				continue
			}
			chars, codes = append(chars, string(u)), append(codes, [2]byte{byte(lead), byte(trail)})
		}
	}
	if len(chars) == 0 {
		t.Fatalf("no character with a lead byte in %02X-%02X", lo, hi)
	}
	return chars, codes
}

// percentEncode escapes every byte of b as old Japanese web applications
// do, but ASCII letters, digits and _.
func percentEncode(b []byte) string {
	var sb strings.Builder
	for _, c := range b {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' {
			sb.WriteByte(c)
		} else {
			fmt.Fprintf(&sb, "%%%02X", c)
		}
	}
	return sb.String()
}

func decodePercent(s string) string {
	got, _ := io.ReadAll(transform.NewReader(strings.NewReader(s), &percentUTF8{}))
	return string(got)
}

// TestPercentShiftJISLevel2: a kanji of JIS level 2 (lead bytes E0-EA) or
// of the NEC-selected IBM extension (ED, EE) whose trail byte is 80-BF,
// before a character whose first byte is 80-BF too, is valid UTF-8 (燿一,
// E0 A0 88 EA, reads as U+0808 and a stray EA). Every such kanji, before
// and between common characters of names, is read as Shift_JIS, but where
// the next character's trail byte is ASCII (a letter left as it is, as in
// 燿子, %E0%A0%8Eq, or an escape, as in 邃ー, %E2%84%81%5B) and the UTF-8
// reading is Japanese text too (℁, then [): text that reads either way,
// which UTF-8 wins: 8,116 of the 65,520 strings. Until 2026-12, 18,060
// were misread, more than half of them outside that case.
func TestPercentShiftJISLevel2(t *testing.T) {
	all, _ := jisChars(t, 0xE0, 0xEE)
	var kanji []string
	for _, c := range all {
		if r, _ := utf8.DecodeRuneInString(c); unicode.Is(unicode.Han, r) {
			kanji = append(kanji, c) // not ⅰ or ￢, of the IBM extension
		}
	}
	// 子 8E 71 (q), 田 93 63 (c), 一 88 EA, 郎 98 59 (Y), 美 94 FC, あ 82 A0,
	// ア 83 41 (A), 山 8E 52 (R), 川 90 EC, ー 81 5B, 　 81 40, 藤 93 A1,
	// 江 8D 5D, 代 91 E3.
	followers := []string{"子", "田", "一", "郎", "美", "あ", "ア", "山", "川", "ー", "　", "藤", "江", "代"}
	enc := japanese.ShiftJIS.NewEncoder()
	var total, ambiguous int
	for _, k := range kanji {
		for _, f := range followers {
			for _, s := range []string{k + f, f + k + f} {
				sj, err := enc.Bytes([]byte(s))
				if err != nil {
					t.Fatal(err)
				}
				in := "name=" + percentEncode(sj) + "&x=1"
				got := decodePercent(in)
				total++
				if got == "name="+s+"&x=1" {
					continue
				}
				fsj, _ := enc.Bytes([]byte(f))
				ascii := fsj[1] < 0x80
				japanese := true
				for _, r := range strings.TrimSuffix(strings.TrimPrefix(got, "name="), "&x=1") {
					japanese = japanese && (isJapaneseRune(r) || inJapaneseText(r) || r < 0x80)
				}
				if !ascii || !japanese {
					t.Fatalf("%s (%s) reads as %q", s, in, got)
				}
				ambiguous++
			}
		}
	}
	t.Logf("%d strings, %d read as UTF-8 where either reading is Japanese text", total, ambiguous)
	if ambiguous > total/6 {
		t.Errorf("%d of %d strings misread", ambiguous, total)
	}
}

// TestPercentUTF8Japanese: every character of JIS X 0208 (kana, kanji,
// full-width forms, symbols), percent-encoded in UTF-8 alone, before and
// between letters, @, [, spaces and Japanese characters, reads as
// itself: Shift_JIS never wins where the UTF-8 reading is Japanese text
// and leaves no more bytes undecoded (、@ is %E3%80%81%40, and %81%40 is
// a full-width space in Shift_JIS).
func TestPercentUTF8Japanese(t *testing.T) {
	chars, _ := jisChars(t, 0x81, 0xEE)
	followers := []string{"A", "q", "_", "@", "[", " ", "子", "ア", "、", "PC", "1", "-"}
	for _, c := range chars {
		for _, f := range followers {
			for _, s := range []string{c, c + f, f + c + f} {
				if got, want := decodePercent("q="+percentEncode([]byte(s))+"&x=1"), "q="+s+"&x=1"; !strings.Contains(got, c) {
					t.Fatalf("%q reads as %q, want %q", s, got, want)
				}
			}
		}
	}
}

// FuzzPercentUTF8: percentUTF8, fed one byte at a time, reads what
// percentReference reads from the whole text at once, and its output is
// valid UTF-8.
func FuzzPercentUTF8(f *testing.F) {
	for _, s := range []string{
		"name=%8ER%ED%95%8BI%8Eq", "name=%E0%A0%88%EA&x=1", "name=%E0%A0%8Eq", "q=%E3%80%81%40",
		"%E2%80%81%5B%E2%98%85%2C%E5%B1%B1", "%ED%95%A0%F4%90%80%80", "a=%E5%B1%B1+%8ER%20%E7%94%B0",
		"%E5%B1", "%E0%A0%88%EA%E0%A0%88%EA%E0%A0%88%EA%E0%A0%88%EA%E0%A0%88%EA", "%EE%EF%88%EA",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		want := percentReference(b)
		got, err := io.ReadAll(transform.NewReader(iotest.OneByteReader(bytes.NewReader(b)), &percentUTF8{}))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%q: read %q (%v), want %q", b, got, err, want)
		}
		if utf8.Valid(b) && !utf8.Valid(got) {
			t.Fatalf("%q: %q is not valid UTF-8", b, got)
		}
	})
}

// TestPercentEUCJP: every character of JIS X 0208 (kana, kanji), percent-
// encoded in EUC-JP before and between common characters of names, reads
// as itself, but where the whole string is two-byte UTF-8 too and starts
// with a letter of Europe (辿郎, C3 A9 CF BA, is also éϺ); alone, each
// reads as itself or, where its two bytes are a letter of Europe in UTF-8
// (José is %C3%A9) or a kanji in Shift_JIS (燹, E0 A1, is 爍), as that
// one.
func TestPercentEUCJP(t *testing.T) {
	all, _ := jisChars(t, 0x81, 0xEE)
	enc := japanese.EUCJP.NewEncoder()
	followers := []string{"子", "田", "一", "郎", "美", "あ", "ア", "山", "川", "ー"}
	var n, strs, either, alone int
	for _, c := range all {
		if r, _ := utf8.DecodeRuneInString(c); !isJapaneseRune(r) {
			continue
		}
		n++
		for _, f := range followers {
			for _, s := range []string{c + f, f + c + f} {
				e, err := enc.Bytes([]byte(s))
				if err != nil {
					t.Fatal(err)
				}
				strs++
				got := decodePercent("q=" + percentEncode(e) + "&x=1")
				if got == "q="+s+"&x=1" {
					continue
				}
				first, _ := utf8.DecodeRune(e)
				if !utf8.Valid(e) || !isLetterOfEurope(first) || got != "q="+string(e)+"&x=1" {
					t.Fatalf("%s (%s) reads as %q", s, percentEncode(e), got)
				}
				either++
			}
		}
		e, _ := enc.Bytes([]byte(c))
		got := decodePercent("q=" + percentEncode(e))
		if got == "q="+c {
			continue
		}
		sj, _ := japanese.ShiftJIS.NewDecoder().Bytes(e)
		if r, size := utf8.DecodeRuneInString(got[2:]); (size != len(got)-2 || !isLetterOfEurope(r)) && got != "q="+string(sj) {
			t.Fatalf("%s alone (%s) reads as %q", c, percentEncode(e), got)
		}
		alone++
	}
	t.Logf("%d characters, %d strings: %d read as UTF-8, which reads them too; alone, %d", n, strs, either, alone)
	if either > strs/50 {
		t.Errorf("%d of %d strings read as UTF-8", either, strs)
	}
}

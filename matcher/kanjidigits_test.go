package matcher

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// kanjiNumberSeeds are runs of kanji digits of every shape kanjiNumber
// reads, and what may stand around them.
var kanjiNumberSeeds = []string{
	"電話〇九〇－一二三四－五六七八", "〇三（一二三四）五六七八", "〇九〇・一二三四・五六七八", "○九○―一二三四―五六七八",
	"〒一〇〇－〇〇〇五", "〒　一〇〇〇〇〇五", "二 〇八〇 九八七六 五四三二", "〇九〇 － 一二三四 － 五六七八",
	"一九八五年一月二日 〇九〇一二三四五六七八", "一つ 第一 二人 加藤一二三", "一－", "－一", "〇", "〇〇〇〇 九",
	"一二三四五六七八九〇一二三四五六七八九〇一二三四五六七八九〇一二三四五六七八九〇一二三四五六七八九〇",
	"一 二 三 四 五 六 七 八 九 〇 一 二 三 四 五 六 七 八 九 〇 一", "〇（）九", "九・・・〇", "\xe4\xb8", "〇\xe4\xb8",
	strings.Repeat("〇九〇一二三四五六七八", 20), strings.Repeat("〇九〇 ", 40),
	"丸の内一－二－三", "梅田二十一―四―九号", "丸の内一の二の三", "一の谷", "千二百三十四―五", "内〇一－二", "内一－", "内一－x",
}

func FuzzKanjiNumber(f *testing.F) {
	for _, s := range kanjiNumberSeeds {
		f.Add(s)
	}
	m := newTestMatcher(f)
	f.Fuzz(func(t *testing.T, s string) { checkKanjiNumber(t, m, s) })
}

// TestKanjiNumberRuns: checkKanjiNumber over the seeds.
func TestKanjiNumberRuns(t *testing.T) {
	m := newTestMatcher(t)
	for _, s := range kanjiNumberSeeds {
		checkKanjiNumber(t, m, s)
	}
}

// checkKanjiNumber checks that the pass goes on past each kanji numeral
// of s, within s; and reads a run at each place of s where the pass would
// (kanjiRunAt), and checks that it starts at or before that place, ends
// after it, holds only kanji digits and separators, and starts and ends
// with a digit; and that its spelling holds only ASCII digits and dashes.
func checkKanjiNumber(t *testing.T, m *Matcher, s string) {
	t.Helper()
	sc := m.NewScanner()
	buf := []byte(s)
	for i := 0; i < len(buf); i++ {
		if kanjiNumeralAt(buf, i) {
			// Where the pass stops at a numeral, it goes on past it,
			// within the text, whatever the numeral starts.
			if en := sc.kanjiNumeral(buf, i, 0, 0); en <= i || en > len(buf) {
				t.Fatalf("%q at %d: the pass goes on at %d", s, i, en)
			}
		}
		if !kanjiRunAt(buf, i) {
			continue
		}
		st := kanjiRunStart(buf, i)
		en := sc.kanjiNumber(buf, i, 0, 0)
		if st > i || en <= i || en > len(buf) {
			t.Fatalf("%q at %d: run [%d, %d)", s, i, st, en)
		}
		if kanjiDigitAt(buf, st) < 0 || kanjiDigitAt(buf, en-3) < 0 {
			t.Fatalf("%q at %d: run %q does not start and end with a digit", s, i, buf[st:en])
		}
		for k := st; k < en; {
			if kanjiDigitAt(buf, k) >= 0 {
				k += 3
				continue
			}
			w, _ := kanjiSepWidth(buf, k)
			if w == 0 {
				r, _ := utf8.DecodeRune(buf[k:])
				t.Fatalf("%q at %d: run %q holds %q", s, i, buf[st:en], r)
			}
			k += w
		}
		for _, c := range sc.kanjiNum {
			if (c < '0' || c > '9') && c != '-' {
				t.Fatalf("%q at %d: spelled %q", s, i, sc.kanjiNum)
			}
		}
		if len(sc.kanjiNum) > 97 || len(sc.kanjiPieces) > 16 {
			t.Fatalf("%q at %d: spelling of %d bytes in %d pieces", s, i, len(sc.kanjiNum), len(sc.kanjiPieces))
		}
	}
}

// TestE4E5Numeral: the table holds the numerals led by E4 and E5, and
// no other character of those two lead bytes.
func TestE4E5Numeral(t *testing.T) {
	for r := rune(0x4000); r <= 0x5FFF; r++ {
		b := []byte(string(r))
		want := strings.ContainsRune("一二三四五六七八九十千", r)
		if got := e4e5Numeral(b, 0); got != want {
			t.Errorf("%q (% X): %v, want %v", r, b, got, want)
		}
	}
}

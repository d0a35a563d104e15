package matcher

import (
	"testing"
	"unicode/utf8"
)

// runFeatureSeeds are runs of every shape readRun reads, with what may
// stand before them: dates in each writing, era marks, block numbers,
// phones in parentheses, postal marks, spaces between pieces, full-width
// digits, and runs cut at their 96-byte bound.
var runFeatureSeeds = []string{
	"1985/01/02", "090 - 1234 - 5678", "1985 / 01 / 02 - 2024/03/31", "０９０　－　１２３４", "1 -x", "昭和60年1月2日", "S60.1.2", "Ｓ．６０．１．２", "令和元年5月1日", "平成元年",
	"(03) 1234-5678", "（０３）１２３４－５６７８", "+81 90-1234-5678", "＋８１ ９０", "〒100-0001", "〒 1000001",
	"東京都千代田区1丁目2番3号", "1番地の2", "2-3-4", "生年月日 1985/01/02 090-1234-5678", "1985年 1月 2日",
	"1年元", "C00396871", "P0010001,山田", "１２３４ ５６７８ ９０１２", "12.34.56.78.90.12.34.56.78",
	"0123456789012345678901234567890123456789012345678901234567890123456789012345678901234567890123456789",
	"S 60.1.2", "1985 年 1 月 2 日", "昭和 60 年 1 月 2 日", "１９８５　年　１", "090 年 日", "1 日", "(12)", "5日", "7号", "元年", "x1-2", "3．4", "1・2",
	"1985年（昭和60年）1月2日", "昭和60年(1985年)1月2日", "1985（昭和60）年1月2日", "1989年（平成元年）1月8日",
	"1985年（予定）", "60）昭和1", "1年)(2", "1(㍼2",
}

// TestRunFeatures: the features readRun gathers on its way through a run
// are those features finds over the run, wherever the run starts.
func TestRunFeatures(t *testing.T) {
	for _, s := range runFeatureSeeds {
		checkRunFeatures(t, s)
	}
}

func FuzzRunFeatures(f *testing.F) {
	for _, s := range runFeatureSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkRunFeatures(t, s) })
}

// checkRunFeatures reads a run at each place of s where numeric could
// start one (a digit, or 元年) and compares its features.
func checkRunFeatures(t *testing.T, s string) {
	t.Helper()
	sc := (&Matcher{}).NewScanner()
	buf := []byte(s)
	for i := 0; i < len(buf); i++ {
		if !utf8.RuneStart(buf[i]) {
			continue
		}
		if _, n := digitAt(buf, i); n == 0 && !hasPrefix(buf[i:], "元年") {
			continue
		}
		r := &sc.run
		readRun(r, buf, i)
		if want := features(buf[r.start:r.end]); r.f != want {
			t.Fatalf("%q at %d: run %q has features %+v, features says %+v", s, i, buf[r.start:r.end], r.f, want)
		}
	}
}

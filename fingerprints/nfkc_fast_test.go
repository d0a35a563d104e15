package fingerprints

import (
	"bytes"
	"math/rand/v2"
	"testing"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// appendNFKC skips the normalization tables for ASCII and full-width ASCII
// input (appendNFKCWidth) and for input QuickSpan finds normal. Every normalizer reads its input through it, so
// these tests, comparing it with the norm package's own NFKC on any input,
// show the fast paths cannot change a normalized value.

// checkNFKC compares appendNFKC(src) with norm.NFKC.Bytes(src), or for
// invalid UTF-8 with the norm package's Iter: on some invalid input the
// package's two disagree (see appendNFKC), and appendNFKC takes Iter's
// side.
func checkNFKC(t *testing.T, src []byte) {
	t.Helper()
	prefix := []byte("前置き:")
	got := appendNFKC(bytes.Clone(prefix), src)
	want := append(bytes.Clone(prefix), norm.NFKC.Bytes(src)...)
	if !utf8.Valid(src) {
		var it norm.Iter
		it.Init(norm.NFKC, src)
		want = bytes.Clone(prefix)
		for !it.Done() {
			want = append(want, it.Next()...)
		}
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("appendNFKC(%q) = %q, want %q", src, got[len(prefix):], want[len(prefix):])
	}
}

// TestAppendNFKCFastRandom compares the fast paths with norm.NFKC on random
// strings over ASCII (every byte below 0x80, controls included) and over
// ASCII mixed with full-width forms and combining marks.
func TestAppendNFKCFastRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	mixed := []rune{'0', '9', '-', ' ', '@', 'a', 'Z', '０', '－', 'ー', '\u3000', '\u0301', '\u3099', 'ｶ', 'ﾞ', 'か', '〒', '㍻',
		'！', 'Ａ', 'ｚ', '＠', '．', '（', '＿', '｀', '～', '｟', '\uFF00', 'ｰ'}
	var b []byte
	for n := 0; n < 200000; n++ {
		b = b[:0]
		l := rng.IntN(24)
		if n%2 == 0 {
			for range l {
				b = append(b, byte(rng.IntN(0x80)))
			}
		} else {
			for range l {
				if rng.IntN(3) == 0 {
					b = append(b, string(mixed[rng.IntN(len(mixed))])...)
				} else {
					b = append(b, byte(rng.IntN(0x80)))
				}
			}
		}
		checkNFKC(t, b)
	}
}

// FuzzAppendNFKC: for any input, appendNFKC equals norm.NFKC.
func FuzzAppendNFKC(f *testing.F) {
	for _, s := range []string{"090-1234-5678", "ｶﾞ", "a\u0301", "１２３", "\x00\x7f", "\xff", "山田",
		"０９０－１２３４　５６７８", "ａ\u0301", "\xef\xbc", "\xef\xbc\x80", "\xef\xbd\x9f", "Ａ\u3099"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { checkNFKC(t, []byte(s)) })
}

// BenchmarkAppendNormalizedASCII normalizes the ASCII forms the matcher
// meets most in logs and CSV dumps.
func BenchmarkAppendNormalizedASCII(b *testing.B) {
	for _, c := range []struct {
		k Kind
		v string
	}{
		{Phone, "090-1234-5678"}, {Email, "Taro.Yamada@Example.COM"}, {Postal, "100-0005"},
		{MyNumber, "1234 5678 9018"}, {Card, "4111-1111-1111-1111"}, {Birthdate, "1985/01/02"},
	} {
		v := []byte(c.v)
		b.Run(c.k.String(), func(b *testing.B) {
			buf := make([]byte, 0, 64)
			b.ReportAllocs()
			for b.Loop() {
				var err error
				if buf, err = AppendNormalized(buf[:0], c.k, v); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestIsMarkFast checks isMark's shortcuts against the Unicode tables, and
// isSpace's against unicode.IsSpace, on every rune.
func TestIsMarkFast(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if got, want := isMark(r), unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me); got != want {
			t.Fatalf("isMark(%U) = %v, want %v", r, got, want)
		}
		want := unicode.IsSpace(r) || r == 0x200B || r == 0x2060 || r == 0xFEFF
		if got := isSpace(r); got != want {
			t.Fatalf("isSpace(%U) = %v, want %v", r, got, want)
		}
	}
}

// TestPrefectureSuffixAt: every prefecture passes the prefilter.
func TestPrefectureSuffixAt(t *testing.T) {
	for _, p := range prefectures {
		if !prefectureSuffixAt([]byte(p + "千代田区")) {
			t.Errorf("%s: prefilter rejects it", p)
		}
	}
	for _, s := range []string{"千代田区丸の内", "港区芝公園", "札幌市中央区"} {
		if prefectureSuffixAt([]byte(s)) {
			t.Errorf("%s: prefilter accepts it", s)
		}
	}
}

// TestStableRunes: each rune stableRune accepts is its own NFKC form, has no
// combining class and a composition boundary before it, and those without
// a boundary after them (kana, before the sound marks U+3099 and U+309A,
// which are not accepted) compose with no accepted rune: so any string of
// them and ASCII is NFKC. nfkcStable agrees with norm.IsNormal whenever it
// answers true, and refuses every other rune of U+3000–U+9FFF.
func TestStableRunes(t *testing.T) {
	for r := rune(0x3000); r <= 0x9FFF; r++ {
		b := []byte(string(r))
		if !stableRune(r) {
			if nfkcStable(b) {
				t.Fatalf("nfkcStable accepts %U", r)
			}
			continue
		}
		p := norm.NFKC.Properties(b)
		if !bytes.Equal(norm.NFKC.Bytes(b), b) || p.CCC() != 0 || !p.BoundaryBefore() {
			t.Fatalf("%U: NFKC %q, ccc %d, boundary before %v", r, norm.NFKC.Bytes(b), p.CCC(), p.BoundaryBefore())
		}
		if !p.BoundaryAfter() {
			for r2 := rune(0x20); r2 <= 0x9FFF; r2++ {
				if (r2 < 0x80 || stableRune(r2)) && (r2 < 0x4E00 || r2%97 == 0) && !norm.NFKC.IsNormalString(string(r)+string(r2)) {
					t.Fatalf("%U %U compose", r, r2)
				}
			}
		}
		if !nfkcStable(b) {
			t.Fatalf("nfkcStable refuses %U", r)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	pool := []rune("山田太郎千代田区丸の内ヤマダタロウーが々〒、。-1 aZ\u3099\u309aｶﾞ①㍻\u0301é")
	for i := 0; i < 100_000; i++ {
		var b []byte
		for n := r.IntN(12); n > 0; n-- {
			b = utf8.AppendRune(b, pool[r.IntN(len(pool))])
		}
		if n := r.IntN(4); n > 0 && len(b) > n {
			b = b[:len(b)-n] // cut a rune
		}
		if nfkcStable(b) && !norm.NFKC.IsNormal(b) {
			t.Fatalf("nfkcStable(%q) but not NFKC", b)
		}
	}
}

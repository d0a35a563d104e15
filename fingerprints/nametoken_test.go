package fingerprints

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// checkNameToken checks every substring of src: where NameToken.Sub gives a
// form, it must be the one Normalize gives, and Normalize must accept it.
// It returns how many substrings took the fast way.
func checkNameToken(t *testing.T, src []byte) int {
	t.Helper()
	var tok NameToken
	tok.Reset(src)
	n := tok.Len()
	if utf8.Valid(src) && n != utf8.RuneCount(src) {
		t.Fatalf("%q: Len %d, want %d", src, n, utf8.RuneCount(src))
	}
	if int(tok.pre[n].srcEnd) != len(src) {
		t.Fatalf("%q: read %d bytes of %d", src, tok.pre[n].srcEnd, len(src))
	}
	fast := 0
	for i := 0; i < n && i < 40; i++ {
		for j := i + 1; j <= n && j-i <= 40; j++ {
			got, ok := tok.Sub(i, j)
			if !ok {
				continue
			}
			fast++
			sub := src[tok.pre[i].srcEnd:tok.pre[j].srcEnd]
			want, err := AppendNormalized(nil, Name, sub)
			if err != nil {
				t.Fatalf("%q: Sub(%d, %d) = %q but Normalize rejects %q: %v", src, i, j, got, sub, err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%q: Sub(%d, %d) = %q, Normalize(%q) = %q", src, i, j, got, sub, want)
			}
		}
	}
	if _, ok := tok.Sub(0, n+1); ok {
		t.Fatalf("%q: Sub out of range accepted", src)
	}
	return fast
}

var nameTokenSeeds = []string{
	"山田太郎", "山田 太郎", "山田　太郎", "やまだたろう", "ヤマダタロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "ﾊﾟﾋﾟﾌﾟ",
	"髙橋﨑子", "齋藤邊", "濵田櫻子", "𠮷田", "カ゛ス", "か゛き", "か\u3099き", "は\u309Aは", "ゝゞヽヾ",
	"ゟヿ", "佐々木〆子", "〇山", "ヷヸヹヺ", "ゔぁ", "ﾞｶ", "山田・太郎", "メアリー・スー",
	"豈更車", "丸の内", "ーー", "山\u309Aの", "さくら\u3099", "日本橋兜町", "あ\xffい", "ア\u0301イ",
	"山田 taro", "山田1", "ㄱㅏ", "가나", "가", "ｱｲｳｴｵｶﾞｷﾞｸﾞｹﾞｺﾞ",
}

// TestNameTokenMatchesNormalize checks every substring of tokens with the
// runes that normalize in context: sound marks, half-width kana, variants.
func TestNameTokenMatchesNormalize(t *testing.T) {
	fast := 0
	for _, s := range nameTokenSeeds {
		fast += checkNameToken(t, []byte(s))
	}
	if fast < 100 {
		t.Fatalf("only %d substrings took the fast way", fast)
	}
}

// TestNameTokenCommonRunesAreFast checks that the runes of everyday names
// take the fast way, or the matcher gains nothing.
func TestNameTokenCommonRunesAreFast(t *testing.T) {
	for _, s := range []string{"山田太郎", "やまだ たろう", "ヤマダ　タロウ", "ﾔﾏﾀﾞﾀﾛｳ", "佐々木", "髙橋"} {
		var tok NameToken
		tok.Reset([]byte(s))
		want := 0
		for _, r := range s {
			if r != 'ﾞ' {
				want++
			}
		}
		ok := 0
		for i := 0; i < tok.Len(); i++ {
			if tok.pre[i+1].bad == tok.pre[i].bad {
				ok++
			}
		}
		if ok != want {
			t.Errorf("%q: %d context-free runes, want %d", s, ok, want)
		}
	}
}

// TestNameRuneFormEveryRune checks each rune the fast way accepts, in every
// plane the matcher's tokens use: doubled, and between each kana (the runes
// that compose with sound marks) or a few ideographs.
func TestNameRuneFormEveryRune(t *testing.T) {
	var neighbours []rune
	for r := rune(0x3041); r <= 0x30FF; r++ {
		neighbours = append(neighbours, r)
	}
	for r := rune(0xFF66); r <= 0xFF9F; r++ {
		neighbours = append(neighbours, r)
	}
	neighbours = append(neighbours, '山', '々', ' ', '\u3000', 0xFA11, 0x20BB7)
	var src []byte
	for r := rune(0); r <= 0x3FFFF; r++ {
		out, ok := nameRuneForm(r, utf8.RuneLen(r))
		if !ok || !utf8.ValidRune(r) {
			continue
		}
		src = utf8.AppendRune(utf8.AppendRune(src[:0], r), r)
		checkNameToken(t, src)
		if out == 0 {
			continue
		}
		near := neighbours
		if r >= 0x3400 && r <= 0x9FFF || r >= 0x20000 {
			// Ideographs: one pass over each block is enough to show the
			// table right; their neighbours are the kana checked above.
			near = near[len(near)-6:]
		}
		for _, p := range near {
			src = utf8.AppendRune(utf8.AppendRune(utf8.AppendRune(src[:0], p), r), p)
			checkNameToken(t, src)
		}
	}
}

// FuzzNameToken: for any string, every substring NameToken normalizes
// equals what Normalize gives for it.
func FuzzNameToken(f *testing.F) {
	for _, s := range nameTokenSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 256 {
			return
		}
		checkNameToken(t, []byte(s))
	})
}

// BenchmarkNameToken tokenizes the names of CSV dumps as the matcher's
// search of rows does: a kanji name and its katakana reading.
func BenchmarkNameToken(b *testing.B) {
	for _, v := range []string{"山本 和樹", "ヤマモト カズキ", "大久保 凛", "さの たかし"} {
		src := []byte(v)
		b.Run(v, func(b *testing.B) {
			var tok NameToken
			b.ReportAllocs()
			for b.Loop() {
				tok.Reset(src)
				if _, ok := tok.Sub(0, tok.Len()); !ok {
					b.Fatal("not context-free")
				}
			}
		})
	}
}

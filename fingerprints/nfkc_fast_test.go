package fingerprints

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"golang.org/x/text/unicode/norm"
)

// appendNFKC skips the normalization tables for ASCII and full-width ASCII
// input (appendNFKCWidth) and for input QuickSpan finds normal. Every normalizer reads its input through it, so
// these tests, comparing it with the norm package's own NFKC on any input,
// show the fast paths cannot change a normalized value.

func checkNFKC(t *testing.T, src []byte) {
	t.Helper()
	prefix := []byte("前置き:")
	got := appendNFKC(bytes.Clone(prefix), src)
	want := append(bytes.Clone(prefix), norm.NFKC.Bytes(src)...)
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

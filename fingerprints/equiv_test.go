package fingerprints

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"unicode/utf8"
)

// Differential tests: the address normalizer and appendNFKC were made
// faster, and the normalizers must give the same bytes and the same error
// values as before for every input. The changed code as it was before is
// kept in the *_ref_test.go files (refAppendAddress, refAppendNFKC, ...);
// what did not change is called as it is.

// checkSameAddress fails unless appendAddress and refAppendAddress give the
// same result and the same error for src, appended to nothing and to a
// prefix; and IsPrefecture agrees with refIsPrefecture.
func checkSameAddress(t *testing.T, src []byte) {
	t.Helper()
	for _, prefix := range []string{"", "前置き:"} {
		got, err := appendAddress([]byte(prefix), src)
		want, refErr := refAppendAddress([]byte(prefix), src)
		if err != refErr || !bytes.Equal(got, want) {
			t.Fatalf("appendAddress(%q, %q) = %q, %v; reference %q, %v", prefix, src, got, err, want, refErr)
		}
	}
	if IsPrefecture(src) != refIsPrefecture(src) {
		t.Fatalf("IsPrefecture(%q) = %v; reference %v", src, IsPrefecture(src), refIsPrefecture(src))
	}
}

// checkSameEmail fails unless appendEmail gives for src the result and the
// error it gave before. email.go did not change but for the appendNFKC it
// calls first, and all the rest of it reads only what that appended: so
// the email normalizer with the old NFKC step gives for src what
// appendEmail gives for x = refAppendNFKC(src), when appendNFKC leaves x as
// it is (x is in NFKC, and NFKC is idempotent), which is checked too, along
// with appendNFKC(src) = x itself. Only valid UTF-8 is compared: on some
// invalid UTF-8 appendNFKC deliberately differs from refAppendNFKC (see
// appendNFKC), and no normalizer accepts it.
func checkSameEmail(t *testing.T, src []byte) {
	t.Helper()
	if !utf8.Valid(src) {
		return
	}
	x := refAppendNFKC(nil, src)
	if got := appendNFKC(nil, src); !bytes.Equal(got, x) {
		t.Fatalf("appendNFKC(%q) = %q; reference %q", src, got, x)
	}
	if got := appendNFKC(nil, x); !bytes.Equal(got, x) {
		t.Fatalf("appendNFKC(%q) = %q, not idempotent", x, got)
	}
	for _, prefix := range []string{"", "前置き:"} {
		got, err := appendEmail([]byte(prefix), src)
		want, refErr := appendEmail([]byte(prefix), x)
		if err != refErr || !bytes.Equal(got, want) {
			t.Fatalf("appendEmail(%q, %q) = %q, %v; with the reference NFKC %q, %v", prefix, src, got, err, want, refErr)
		}
	}
}

// addressParts are the pieces generatedAddresses joins: heads (postal codes,
// prefectures), localities, block groups and what follows them.
var addressParts = [][]string{
	{"", "", "〒100-0005 ", "〒１００－０００５", "100-0005", "1000005", " ", "東京都", "北海道", "神奈川県",
		"鹿児島県", "京都府", "〒060-0001 北海道", "東京都〒100-0005", "東京", "埼玉県 ", "\u3000"},
	{"千代田区丸の内", "熊本市中央区水前寺", "川越市脇田町", "武蔵野市御殿山", "札幌市中央区北一条西", "札幌市北区北7条西",
		"八幡平市第二地割", "中央区八丁堀", "千代田区二番町", "新宿区百人町", "足立区千住旭町", "勇払郡占冠村字トマム",
		"ｶﾞｽ町", "か\u3099き町", "大阪市北区梅田", "京都市中京区河原町通三条上る", "世田谷区成城", "港区六本木", "", "三鷹市", "九段"},
	{"1-2-3", "2-45-25", "2091-25", "3-23-8", "一丁目2番3号", "１－２－３", "3ー23ー8", "2番地の3", "1ノ2", "十二番地",
		"一丁目二番三号", "二十丁目百番千号", "01-02-003", "1丁目", "2番", "5号", "1 2 3", "1-2-3-405", "三ー四ー五",
		"ー丁目", "1‐2−3", "１丁目２番地３", "一九八五", "千二百三十四番", "二三十番", "〇番地", "壱丁目弐番参号", ""},
	{"", "", " 丸の内ビル5F", "号", "\u3000405", " 405号室", "三井ビル", "-", "の", "ー", "\t", "〒", "東京都", "1000005"},
}

// generatedAddresses returns n addresses joined from addressParts, the same
// ones on every run.
func generatedAddresses(n int) []string {
	rng := rand.New(rand.NewPCG(1, 2))
	out := make([]string, 0, n)
	for range n {
		var b []byte
		for _, parts := range addressParts {
			b = append(b, parts[rng.IntN(len(parts))]...)
		}
		out = append(out, string(b))
	}
	return out
}

// TestAddressMatchesReference compares appendAddress with the reference on
// generated addresses, on every prefecture, and on every rune of the Basic
// Multilingual Plane (and a sample above it) alone, between numerals and
// after a kana.
func TestAddressMatchesReference(t *testing.T) {
	for _, s := range generatedAddresses(3000) {
		checkSameAddress(t, []byte(s))
	}
	for _, p := range prefectures {
		for _, s := range []string{p, p + "中央1-2-3", "〒100-0005" + p + p + "中央一丁目"} {
			checkSameAddress(t, []byte(s))
		}
	}
	var b []byte
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r > 0xFFFF && r%97 != 0 {
			continue
		}
		for _, f := range []string{"%c", "1%c2", "一%c二", "カ%c町1", "町%c 1"} {
			b = fmt.Appendf(b[:0], f, r)
			checkSameAddress(t, b)
		}
	}
	for _, s := range []string{"\xff", "町\xe3\x81", "1\xed\xa0\x80", "\xe0\x80\xaf1-2", "町\xef\xbf\xbd1"} {
		checkSameAddress(t, []byte(s))
	}
}

// TestEmailMatchesReference compares appendEmail, and appendNFKC, with the
// reference NFKC step on generated addresses (ASCII, full-width ASCII,
// ideographic spaces, kanji) and on every rune of the Basic Multilingual
// Plane in an address.
func TestEmailMatchesReference(t *testing.T) {
	locals := []string{"kazukiyamamoto51", "Taro.Yamada", "ｔａｒｏ", "taro..", "", "a b", "taro+tag", "Ｔａｒｏ", " taro", "x\u3000"}
	ats := []string{"@", " [at] ", "(AT)", " at ", "＠", "［ａｔ］", "@@", "", " AT ", "★", " ☆ ", "（アットマーク）", "ｱｯﾄﾏｰｸ", "【アットマーク】", "(アットマーク]"}
	domains := []string{"example.jp", "Example.COM", "ｅｘａｍｐｌｅ．ｃｏｍ", "example [dot] com", "example dot com", "example(Dot)co(dot)jp",
		"docomo.ne.jp", "b", "example..com", ".example.com", "例え.jp", "ex_ample.com", "example.com ", "example.com\u3000"}
	for _, l := range locals {
		for _, a := range ats {
			for _, d := range domains {
				checkSameEmail(t, []byte(l+a+d))
			}
		}
	}
	var b []byte
	for r := rune(0); r <= 0xFFFF; r++ {
		b = fmt.Appendf(b[:0], "ta%cro@example.com", r)
		checkSameEmail(t, b)
	}
}

// FuzzAddressMatchesReference: for any input, appendAddress gives the bytes
// and the error of the reference.
func FuzzAddressMatchesReference(f *testing.F) {
	for _, s := range generatedAddresses(20) {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		checkSameAddress(t, src)
	})
}

// FuzzEmailMatchesReference: for any valid UTF-8 input, appendEmail gives
// the bytes and the error it gives with the reference NFKC step (see
// checkSameEmail).
func FuzzEmailMatchesReference(f *testing.F) {
	f.Fuzz(func(t *testing.T, src []byte) {
		checkSameEmail(t, src)
	})
}

// TestPrefectureLen checks that the switch of prefectureLen lists the 47
// prefectures, and no other text.
func TestPrefectureLen(t *testing.T) {
	for _, p := range prefectures {
		if got := prefectureLen([]byte(p + "中央区")); got != len(p) {
			t.Errorf("prefectureLen(%s…) = %d, want %d", p, got, len(p))
		}
		if !IsPrefecture([]byte(p)) || IsPrefecture([]byte(p[:len(p)-3])) {
			t.Errorf("IsPrefecture wrong on %s", p)
		}
	}
	for _, s := range []string{"", "東京", "東京府", "神奈川", "千代田区丸の内", "京都市中京区", "北海道"[:8]} {
		if prefectureLen([]byte(s)) != 0 || IsPrefecture([]byte(s)) {
			t.Errorf("prefectureLen accepts %q", s)
		}
	}
}

// TestDecodeRune3 checks decodeRune3 against utf8.DecodeRune on every
// three-byte string, alone and followed by another byte.
func TestDecodeRune3(t *testing.T) {
	b := make([]byte, 4)
	for x := 0; x < 1<<24; x++ {
		b[0], b[1], b[2] = byte(x>>16), byte(x>>8), byte(x)
		for _, s := range [][]byte{b[:3], b[:2]} {
			r, ok := decodeRune3(s)
			want, size := utf8.DecodeRune(s)
			if ok && (r != want || size != 3) {
				t.Fatalf("decodeRune3(% x) = %U; utf8.DecodeRune %U, %d", s, r, want, size)
			}
			if !ok && size == 3 && b[0] != 0xE0 && b[0] != 0xED {
				t.Fatalf("decodeRune3(% x) refuses %U", s, want)
			}
		}
	}
}

// TestIsKanjiNumeral checks that isKanjiNumeral accepts exactly the runes
// kanjiDigit or kanjiUnit give a value.
func TestIsKanjiNumeral(t *testing.T) {
	for r := rune(0); r <= utf8.MaxRune; r++ {
		if want := kanjiDigit(r) >= 0 || kanjiUnit(r) > 0; isKanjiNumeral(r) != want {
			t.Fatalf("isKanjiNumeral(%U) = %v, want %v", r, !want, want)
		}
	}
}

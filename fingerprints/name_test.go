package fingerprints

import (
	"strings"
	"testing"
	"unicode"
)

func TestNameValid(t *testing.T) {
	testValid(t, Name, map[string]string{
		"山田 太郎":          "山田太郎",
		"山田　太郎":          "山田太郎",
		"山田・太郎":          "山田太郎",
		"やまだ たろう":        "ヤマダタロウ",
		"ﾔﾏﾀﾞ ﾀﾛｳ":       "ヤマダタロウ",
		"カ゛ス":            "ガス",
		"いすゞ":            "イスヾ",
		"ユーコ":            "ユーコ",
		"髙橋 﨑子":          "高橋崎子",
		"齋藤":             "斎藤",
		"Taro YAMADA":    "taroyamada",
		"Tarō Yamada":    "taroyamada",
		"Shin'ichi Ōno":  "onosiniti",
		"Jun-ichi Homma": "honmazyuniti",
		"山田 Taro":        "山田taro",
		"Иван Петров":    "иванпетров",
		"José García":    "garciazyose",
	})
}

func TestNameInvalid(t *testing.T) {
	testInvalid(t, Name, map[string]string{
		"":                        "fewer than two letters",
		" ・ ":                     "fewer than two letters",
		"A":                       "fewer than two letters",
		"山":                       "fewer than two letters",
		"oo":                      "fewer than two letters",
		"山田太郎1":                   "contains digits",
		"Taro Yamada２":            "contains digits",
		"taro@yamada":             "contains @",
		"山田（ヤマダ）":                 "character not allowed",
		"山田\x00太郎":                "character not allowed",
		"山田\xff":                  "invalid UTF-8",
		strings.Repeat("a ", 17):  "too many parts",
		strings.Repeat("山", 1025): "too long",
	})
}

func TestNameAlike(t *testing.T) {
	testAlike(t, Name, [][]string{
		{"Taro YAMADA", "YAMADA Taro", "yamada, taro", "Tarō Yamada", "Tarou Yamada", "TAROO YAMADA",
			"Taroh Yamada", "yamada taro", "Yamada.Taro", "ＴＡＲＯ ＹＡＭＡＤＡ", "  Taro\u3000Yamada "},
		{"Jiro Yamada", "Jirō Yamada", "Zirou Yamada"},
		{"山田 太郎", "山田　太郎", "山田太郎", "山田・太郎", " 山田 太郎 ", "山田･太郎"},
		{"山田 次郎"},
		{"山口 太郎"},
		{"やまだ たろう", "ヤマダ タロウ", "ﾔﾏﾀﾞ ﾀﾛｳ", "ヤマダ・タロウ"},
		{"髙橋 一郎", "高橋 一郎"},
		{"山﨑 花子", "山崎 花子", "山嵜 花子"},
		{"渡邊 健", "渡邉 健", "渡辺 健"},
		{"齋藤 健", "齊藤 健", "斎藤 健", "斉藤 健"},
		{"長濵 健", "長濱 健", "長浜 健"},
		{"小澤 健", "小沢 健"},
		{"大嶋 健", "大島 健"},
		{"𠮷田 健", "吉田 健"},
		{"Shinichi Ono", "Shin'ichi Ōno", "Shinichi Ohno", "Sinichi Oono", "ONO, Shinichi", "Shin-ichi Ōno"},
		{"Yuko Sato", "Yūko Satō", "Yuuko Satou", "Yuko Satoh"},
		{"Chika Tsuji", "Tika Tuzi", "Chika Tsuzi"},
		{"Shunsuke Fujita", "Syunsuke Huzita", "Shunsuke Hujita"},
		{"Jun Homma", "Jun Honma", "Zyun Honma", "Jyun Honma"},
		{"Kenta Namba", "Kenta Nanba"},
		{"Sho Ohara", "Sho Ōhara", "Shou Oohara"},
		{"Hana Ohashi", "Hana Ōhashi", "Hana Oohashi"},
		{"山田 Taro", "山田 TARO", "山田　Tarō"},
		{"Taro 山田"},
	})
}

func TestNameDiffer(t *testing.T) {
	testDiffer(t, Name, [][2]string{
		{"Taro Yamada", "Jiro Yamada"},
		{"Taro Yamada", "Taro Yamaguchi"},
		{"山田 太郎", "山口 太郎"},
		{"山田 太郎", "山田 次郎"},
		{"山田太郎", "太郎山田"}, // kanji names keep their order
		{"ヤマダ", "ヤマタ"},   // dakuten matter
		{"Sato", "Saito"},
		{"Ohara", "Obara"},
		{"Yuko", "Yuki"},
		{"Ito", "Ida"},
		{"Shinji", "Shinya"},
		{"Taro Yamada", "山田 太郎"}, // scripts are not transliterated
	})
}

// TestRomajiFoldIdempotent folds every string of up to six letters over the
// letters the fold rules involve, and checks that folding the result again
// changes nothing.
func TestRomajiFoldIdempotent(t *testing.T) {
	const alphabet = "aiouhsctjfmbyk"
	maxLen := 6
	if testing.Short() {
		maxLen = 5
	}
	s := make([]byte, 0, maxLen)
	var a, b []byte
	var walk func()
	walk = func() {
		a = appendRomaji(a[:0], s)
		b = appendRomaji(b[:0], a)
		if string(a) != string(b) {
			t.Fatalf("appendRomaji(%q) = %q, but appendRomaji(%q) = %q", s, a, a, b)
		}
		if len(s) == maxLen {
			return
		}
		for i := 0; i < len(alphabet); i++ {
			s = append(s, alphabet[i])
			walk()
			s = s[:len(s)-1]
		}
	}
	walk()
}

func TestFoldKanjiTable(t *testing.T) {
	// Every variant maps to a form that is itself left alone, and no form
	// in everyday use is folded into another one besides 斉.
	for _, v := range "髙﨑嵜邊邉齋齊斉濵濱澤嶋嶌櫻廣國篭𠮷眞惠榮瀧冨德藏實淺邨" {
		f := foldKanji(v)
		if f == v || foldKanji(f) != f {
			t.Errorf("foldKanji(%c) = %c, foldKanji(%c) = %c", v, f, f, foldKanji(f))
		}
	}
	for _, r := range "山田口高崎辺斎浜沢島桜広国籠吉真恵栄滝富徳蔵実浅村太郎" {
		if foldKanji(r) != r {
			t.Errorf("foldKanji(%c) = %c; want it unchanged", r, foldKanji(r))
		}
	}
}

// TestKanaOrKanji: appendName's shortcut for kana and kanji skips the
// cases before the letters' only for runes none of them would take.
func TestKanaOrKanji(t *testing.T) {
	n := 0
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if !kanaOrKanji(r) {
			continue
		}
		n++
		if !unicode.IsLetter(r) || unicode.IsNumber(r) || isNameSeparator(r) || isJoiner(r) || isMark(r) || isWesternLetter(r) {
			t.Fatalf("kanaOrKanji(%U) but appendName's cases before the letters' take it", r)
		}
	}
	if n != 0x9FFF-0x4E00+1+0x3096-0x3041+1+0x30FA-0x30A1+1+1 {
		t.Fatalf("kanaOrKanji takes %d runes", n)
	}
}

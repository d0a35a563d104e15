package fingerprints

import "testing"

func TestKanaToRomajiMatchesWrittenRomaji(t *testing.T) {
	cases := []struct{ kana, romaji string }{
		{"ヤマダ タロウ", "Taro Yamada"},
		{"やまだ たろう", "YAMADA Taro"},
		{"ｺﾊﾞﾔｼ ﾉﾘｺ", "Noriko Kobayashi"},
		{"サトウ ショウタ", "Shota Sato"},
		{"ハットリ キョウコ", "Kyoko Hattori"},
		{"イトウ ジュンイチ", "Jun'ichi Ito"},
		{"チバ ユーコ", "Yuko Chiba"},
		{"ツツミ ケンジ", "Kenji Tsutsumi"},
	}
	for _, c := range cases {
		r, ok := kanaToRomaji(c.kana)
		if !ok {
			t.Fatalf("%s: not transliterated", c.kana)
		}
		a, err1 := Normalize(Name, r)
		b, err2 := Normalize(Name, c.romaji)
		if err1 != nil || err2 != nil || a != b {
			t.Errorf("%s → %q → %q; %q → %q (%v %v)", c.kana, r, a, c.romaji, b, err1, err2)
		}
	}
	for _, s := range []string{"ヤマダタロウ", "山田 太郎", "ヤマダ Taro", "ャマダ タロウ", ""} {
		if r, ok := kanaToRomaji(s); ok {
			t.Errorf("%q transliterated to %q", s, r)
		}
	}
	a, _ := kanaToRomaji("ヤマダ タロウ")
	b, _ := kanaToRomaji("ヤマダ ジロウ")
	na, _ := Normalize(Name, a)
	nb, _ := Normalize(Name, b)
	if na == nb {
		t.Error("different names transliterate alike")
	}
}

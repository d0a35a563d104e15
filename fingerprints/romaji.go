package fingerprints

import (
	"strings"

	"golang.org/x/text/unicode/norm"
)

// A kana reading with a space between family and given name (ヤマダ タロウ,
// やまだ たろう) is also stored as the fingerprint of its Hepburn romaji,
// so a leak written in English ("Taro Yamada", "YAMADA Taro") finds the
// record. The name normalizer folds the Hepburn variants (ou/oo, shi/si,
// tsu/tu, ...) and sorts the words, so this spelling only has to be
// consistent, not the one the person uses. A reading without the space
// gets no romaji form: where the family name ends is unknown.

var kanaRomaji = map[rune]string{
	'ア': "a", 'イ': "i", 'ウ': "u", 'エ': "e", 'オ': "o",
	'カ': "ka", 'キ': "ki", 'ク': "ku", 'ケ': "ke", 'コ': "ko",
	'ガ': "ga", 'ギ': "gi", 'グ': "gu", 'ゲ': "ge", 'ゴ': "go",
	'サ': "sa", 'シ': "shi", 'ス': "su", 'セ': "se", 'ソ': "so",
	'ザ': "za", 'ジ': "ji", 'ズ': "zu", 'ゼ': "ze", 'ゾ': "zo",
	'タ': "ta", 'チ': "chi", 'ツ': "tsu", 'テ': "te", 'ト': "to",
	'ダ': "da", 'ヂ': "ji", 'ヅ': "zu", 'デ': "de", 'ド': "do",
	'ナ': "na", 'ニ': "ni", 'ヌ': "nu", 'ネ': "ne", 'ノ': "no",
	'ハ': "ha", 'ヒ': "hi", 'フ': "fu", 'ヘ': "he", 'ホ': "ho",
	'バ': "ba", 'ビ': "bi", 'ブ': "bu", 'ベ': "be", 'ボ': "bo",
	'パ': "pa", 'ピ': "pi", 'プ': "pu", 'ペ': "pe", 'ポ': "po",
	'マ': "ma", 'ミ': "mi", 'ム': "mu", 'メ': "me", 'モ': "mo",
	'ヤ': "ya", 'ユ': "yu", 'ヨ': "yo",
	'ラ': "ra", 'リ': "ri", 'ル': "ru", 'レ': "re", 'ロ': "ro",
	'ワ': "wa", 'ヰ': "i", 'ヱ': "e", 'ヲ': "o", 'ン': "n", 'ヴ': "vu",
}

// kanaToRomaji returns the Hepburn romaji of a kana-only name whose words
// are separated by spaces, and whether it was one.
func kanaToRomaji(s string) (string, bool) {
	// Most names are kanji: leave at the first rune that cannot be kana,
	// before any work.
	for _, r := range s {
		if r < 0x3000 && r != ' ' || r >= 0x3100 && r < 0xFF00 {
			return "", false
		}
	}
	s = norm.NFKC.String(s)
	words := strings.Fields(s)
	if len(words) < 2 {
		return "", false
	}
	var b strings.Builder
	for wi, w := range words {
		if wi > 0 {
			b.WriteByte(' ')
		}
		rs := []rune(w)
		var word []byte
		double := false
		for i := 0; i < len(rs); i++ {
			r := rs[i]
			if r >= 0x3041 && r <= 0x3096 {
				r += 0x60 // hiragana to katakana
			}
			switch r {
			case 'ッ':
				double = true
				continue
			case 'ー':
				if n := len(word); n > 0 {
					word = append(word, word[n-1])
				}
				continue
			case 'ャ', 'ュ', 'ョ':
				// キャ → kya, シャ → sha, チャ → cha, ジャ → ja.
				n := len(word)
				if n == 0 || word[n-1] != 'i' {
					return "", false
				}
				word = word[:n-1]
				v := map[rune]byte{'ャ': 'a', 'ュ': 'u', 'ョ': 'o'}[r]
				if n >= 2 && (word[n-2] == 'h' || word[n-2] == 'j') {
					word = append(word, v)
				} else {
					word = append(word, 'y', v)
				}
				continue
			case 'ァ', 'ィ', 'ゥ', 'ェ', 'ォ':
				// ファ → fa, ティ → ti.
				n := len(word)
				if n == 0 {
					return "", false
				}
				word = append(word[:n-1], map[rune]byte{'ァ': 'a', 'ィ': 'i', 'ゥ': 'u', 'ェ': 'e', 'ォ': 'o'}[r])
				continue
			}
			rom, ok := kanaRomaji[r]
			if !ok {
				return "", false
			}
			if double && rom[0] != 'n' && !strings.ContainsRune("aiueo", rune(rom[0])) {
				word = append(word, rom[0])
			}
			double = false
			word = append(word, rom...)
		}
		if len(word) == 0 {
			return "", false
		}
		b.Write(word)
	}
	return b.String(), true
}

package fingerprints

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Personal names.
//
// The value is first put in NFKC (half-width katakana become full-width,
// U+3000 becomes a space). Then it is read as a sequence of runs:
//
//   - Kanji and kana (and every script but Latin, Greek and Cyrillic) are kept
//     in order with separators removed, hiragana turned into katakana, and the
//     kanji variants of foldKanji replaced. 山田 太郎, 山田　太郎, 山田・太郎
//     and 山田太郎 are alike; やまだ and ヤマダ and ﾔﾏﾀﾞ are alike.
//   - A run of Latin, Greek or Cyrillic words is split into tokens on white
//     space, commas, dots and middle dots (apostrophes and hyphens are
//     dropped without splitting: Shin'ichi and Jun-ichi are Shinichi and
//     Junichi). Each token loses its diacritics (ō → o) and is lower-cased
//     and folded by appendRomaji; the tokens are sorted and joined without
//     separator, and the joined text is folded once more (the join can bring
//     letters together). So "Taro YAMADA", "YAMADA, Taro", "Tarō Yamada" and
//     "Tarou Yamada" are all "taroyamada".
//
// Runs of both kinds in one value keep their order: 山田 Taro is "山田taro".
// Values with digits or "@", with other symbols, or with fewer than two
// letters are rejected.

func init() { register(Name, appendName) }

var (
	errNameDigit   = invalid(Name, "contains digits")
	errNameAt      = invalid(Name, "contains @")
	errNameChar    = invalid(Name, "character not allowed")
	errNameShort   = invalid(Name, "fewer than two letters")
	errNameParts   = invalid(Name, "too many parts")
	errNameUTF8    = invalid(Name, "invalid UTF-8")
	errNameUnnorm  = invalid(Name, "no stable form")
	errNameTooLong = invalid(Name, "too long")
)

const (
	maxNameTokens = 16
	maxNameBytes  = 1024
)

// span is a byte range of dst.
type span struct{ a, b int }

func appendName(dst, src []byte) ([]byte, error) {
	if len(src) > maxNameBytes {
		return dst, errNameTooLong
	}
	start := len(dst)
	dst = appendNFKC(dst, src)
	inEnd := len(dst)
	out := inEnd // the result is built after the NFKC form, then moved down

	var toks [maxNameTokens]span
	nt := 0         // Latin tokens in the current run
	inTok := false  // inside a Latin token
	removed := true // a separator was removed since the last letter written
	western := false
	lastPos, lastRune := -1, rune(0) // last kanji or kana written, for marks
	fail := func(err error) ([]byte, error) { return dst[:start], err }

	for i := start; i < inEnd; {
		r, size := utf8.DecodeRune(dst[i:inEnd])
		i += size
		// Most runes of a Japanese name are kana and kanji: letters, and
		// none of the cases before the letters', which kanaOrKanji tells
		// without the tables those cases look up.
		jp := kanaOrKanji(r)
		switch {
		case r == utf8.RuneError && size == 1:
			return fail(errNameUTF8)
		case !jp && unicode.IsNumber(r):
			return fail(errNameDigit)
		case r == '@':
			return fail(errNameAt)
		case isNameSeparator(r):
			inTok, removed = false, true
		case isJoiner(r):
			removed = true
		case !jp && isMark(r):
			switch {
			case western || lastPos < 0:
				// Diacritics of Latin letters go; so does a mark with no base.
			case !removed:
				dst = utf8.AppendRune(dst, r)
			default:
				if c, ok := composeKana(lastRune, r); ok && isKana(lastRune) {
					utf8.EncodeRune(dst[lastPos:], c) // same length
					lastRune = c
				}
			}
		case !jp && isWesternLetter(r):
			if !inTok {
				if nt == maxNameTokens {
					return fail(errNameParts)
				}
				toks[nt] = span{len(dst), len(dst)}
				nt++
				inTok = true
			}
			western = true
			dst = appendBaseLower(dst, r)
			toks[nt-1].b = len(dst)
			removed = false
		case jp || unicode.IsLetter(r):
			if western {
				dst = flushWestern(dst, toks[:nt])
				nt, inTok, western = 0, false, false
			}
			r = foldKanji(toKatakana(r))
			lastPos, lastRune = len(dst), r
			dst = utf8.AppendRune(dst, r)
			removed = false
		default:
			return fail(errNameChar)
		}
	}
	if western {
		dst = flushWestern(dst, toks[:nt])
	}
	n := copy(dst[start:], dst[out:])
	dst = dst[:start+n]
	letters := 0
	for _, r := range string(dst[start:]) {
		if kanaOrKanji(r) || unicode.IsLetter(r) {
			letters++
		}
	}
	if letters < 2 {
		return fail(errNameShort)
	}
	if !norm.NFKC.IsNormal(dst[start:]) {
		return fail(errNameUnnorm)
	}
	return dst, nil
}

// isNameSeparator reports whether r separates the parts of a name: white
// space, commas, full stops and middle dots.
func isNameSeparator(r rune) bool {
	switch r {
	case ',', '.', '、', '。', '・', 0x00B7, 0x2027, 0x2219, 0x22C5:
		return true
	}
	return isSpace(r)
}

// isJoiner reports whether r is dropped without splitting a Latin token:
// apostrophes and hyphens (other than ー), which romanized names use
// between syllables (Shin'ichi, Jun-ichi).
func isJoiner(r rune) bool {
	switch r {
	case '\'', '`', 0x2018, 0x2019, 0x02BC, 0x02B9:
		return true
	}
	return isDash(r) && !isProlonged(r)
}

// kanaOrKanji reports whether r is a hiragana or katakana letter, ー, or
// a CJK unified ideograph of the basic block: a letter (unicode.IsLetter)
// that is no number, separator, joiner, mark or western letter, as
// TestKanaOrKanji checks rune by rune.
func kanaOrKanji(r rune) bool {
	return r >= 0x4E00 && r <= 0x9FFF || r >= 0x3041 && r <= 0x3096 || r >= 0x30A1 && r <= 0x30FA || r == 0x30FC
}

// isWesternLetter reports whether r is a letter of a script written with
// spaces between the parts of a name, in either order.
func isWesternLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z'
	}
	return unicode.IsLetter(r) && unicode.In(r, unicode.Latin, unicode.Greek, unicode.Cyrillic)
}

// appendBaseLower appends r without its diacritics (the first rune of its
// canonical decomposition), in lower case.
func appendBaseLower(dst []byte, r rune) []byte {
	if r < utf8.RuneSelf {
		if 'A' <= r && r <= 'Z' {
			r += 'a' - 'A'
		}
		return append(dst, byte(r))
	}
	var buf [utf8.UTFMax]byte
	n := utf8.EncodeRune(buf[:], r)
	if d := norm.NFD.Properties(buf[:n]).Decomposition(); len(d) > 0 {
		r, _ = utf8.DecodeRune(d)
	}
	return utf8.AppendRune(dst, unicode.ToLower(r))
}

// flushWestern replaces the tokens toks, which end dst, by their folded,
// sorted and joined form.
func flushWestern(dst []byte, toks []span) []byte {
	if len(toks) == 0 {
		return dst
	}
	base := toks[0].a
	var folded [maxNameTokens]span
	for i, t := range toks {
		a := len(dst)
		dst = appendRomaji(dst, dst[t.a:t.b])
		folded[i] = span{a, len(dst)}
	}
	f := folded[:len(toks)]
	for i := 1; i < len(f); i++ { // insertion sort: names have few parts
		for j := i; j > 0 && bytes.Compare(dst[f[j].a:f[j].b], dst[f[j-1].a:f[j-1].b]) < 0; j-- {
			f[j], f[j-1] = f[j-1], f[j]
		}
	}
	joined := len(dst)
	for _, t := range f {
		dst = append(dst, dst[t.a:t.b]...)
	}
	final := len(dst)
	dst = appendRomaji(dst, dst[joined:final])
	n := copy(dst[base:], dst[final:])
	return dst[:base+n]
}

// appendRomaji appends s, a lower-case token without diacritics, with the
// spelling variants of romanized Japanese folded to one form (close to
// Nihon-shiki). Left to right, at each position:
//
//	sh + vowel    → s before i, sy otherwise   (shi→si, sha→sya, sho→syo)
//	ch + vowel    → t before i, ty otherwise   (chi→ti, cha→tya, matcha→mattya)
//	ts + u        → t                          (tsu→tu)
//	j + vowel     → z before i, zy otherwise   (ji→zi, ja→zya, jo→zyo)
//	j + y         → z                          (jyu→zyu)
//	h + u         → f, unless after another h  (hu→fu; fu stays)
//	m + b, p or m → n                          (Namba→Nanba, Homma→Honma)
//	o + any run of o and u → o, and then a run of h is dropped when a
//	              consonant or the end follows (ou, oo, ō, oh → o; Ohno →
//	              ono; Ohara keeps its h)
//	u + a run of u → u                         (uu → u)
//
// Everything else, non-ASCII included, is copied. The fold is idempotent
// (TestRomajiFoldIdempotent checks every short string over the letters
// involved); it merges some distinct names (Inoue and Inoe), which the other
// fields of a record tell apart.
func appendRomaji(dst, s []byte) []byte {
	at := func(i int) byte {
		if i < len(s) {
			return s[i]
		}
		return 0
	}
	for i := 0; i < len(s); {
		c, next, after := s[i], at(i+1), at(i+2)
		switch {
		case (c == 's' || c == 'c') && next == 'h' && isVowel(after):
			if c == 'c' {
				c = 't'
			}
			if after == 'i' {
				dst = append(dst, c)
			} else {
				dst = append(dst, c, 'y')
			}
			i += 2
		case c == 't' && next == 's' && after == 'u':
			dst = append(dst, 't')
			i += 2
		case c == 'j' && isVowel(next):
			if next == 'i' {
				dst = append(dst, 'z')
			} else {
				dst = append(dst, 'z', 'y')
			}
			i++
		case c == 'j' && next == 'y':
			dst = append(dst, 'z')
			i++
		case c == 'h' && next == 'u' && (i == 0 || s[i-1] != 'h'):
			dst = append(dst, 'f')
			i++
		case c == 'm' && (next == 'b' || next == 'p' || next == 'm'):
			dst = append(dst, 'n')
			i++
		case c == 'o':
			dst = append(dst, 'o')
			i++
			for i < len(s) && (s[i] == 'o' || s[i] == 'u') {
				i++
			}
			j := i
			for j < len(s) && s[j] == 'h' {
				j++
			}
			if j > i && (j == len(s) || !isVowel(s[j])) {
				i = j
			}
		case c == 'u':
			dst = append(dst, 'u')
			i++
			for i < len(s) && s[i] == 'u' {
				i++
			}
		default:
			dst = append(dst, c)
			i++
		}
	}
	return dst
}

func isVowel(c byte) bool {
	switch c {
	case 'a', 'e', 'i', 'o', 'u':
		return true
	}
	return false
}

// foldKanji maps a variant kanji often found in family names to the form
// in everyday use, so that records typed with either form match. The table
// is deliberately small: each entry is a 旧字体/異体字 pair that registries
// treat as the same name, or (斉/斎) a pair so often confused in data entry
// that a leaked record may carry either. NFKC already folds the CJK
// compatibility ideographs that have a canonical equivalent; 﨑 (U+FA11) is
// one of the twelve that have none, so it is listed.
//
//	髙 → 高   﨑 嵜 → 崎   邊 邉 → 辺   齋 齊 斉 → 斎   濵 濱 → 浜
//	澤 → 沢   嶋 嶌 → 島   櫻 → 桜      廣 → 広        國 → 国
//	篭 → 籠   𠮷 → 吉     眞 → 真      惠 → 恵        榮 → 栄
//	瀧 → 滝   冨 → 富     德 → 徳      藏 → 蔵        實 → 実
//	淺 → 浅   邨 → 村
func foldKanji(r rune) rune {
	if r < 0x4E00 {
		return r
	}
	switch r {
	case '髙':
		return '高'
	case '﨑', '嵜':
		return '崎'
	case '邊', '邉':
		return '辺'
	case '齋', '齊', '斉':
		return '斎'
	case '濵', '濱':
		return '浜'
	case '澤':
		return '沢'
	case '嶋', '嶌':
		return '島'
	case '櫻':
		return '桜'
	case '廣':
		return '広'
	case '國':
		return '国'
	case '篭':
		return '籠'
	case '𠮷':
		return '吉'
	case '眞':
		return '真'
	case '惠':
		return '恵'
	case '榮':
		return '栄'
	case '瀧':
		return '滝'
	case '冨':
		return '富'
	case '德':
		return '徳'
	case '藏':
		return '蔵'
	case '實':
		return '実'
	case '淺':
		return '浅'
	case '邨':
		return '村'
	}
	return r
}

package fingerprints

import (
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Character helpers shared by the normalizers of this package.

// appendNFKC appends the NFKC form of src to dst. The form of src is never
// merged with what dst already holds (norm.Form.Append would compose a
// leading combining mark of src with the last rune of dst).
func appendNFKC(dst, src []byte) []byte {
	if out, ok := appendNFKCWidth(dst, src); ok {
		return out
	}
	// x/text's QuickSpan (and norm.NFKC.Bytes) and its Iter disagree on
	// some invalid UTF-8: after a stray lead byte, "\xf3ϵ" quick-spans
	// whole, while Iter folds ϵ to ε. Invalid input always takes Iter, so
	// that its form does not depend on the text before it. (No normalizer
	// accepts invalid UTF-8; this keeps appendNFKC one function all the
	// same.)
	if norm.NFKC.QuickSpan(src) == len(src) && utf8.Valid(src) { // appendNFKCWidth took stable text
		return append(dst, src...)
	}
	// norm.Form.Append allocates its work buffer on every call; an Iter from
	// the pool does not.
	it := nfkcIters.Get().(*norm.Iter)
	it.Init(norm.NFKC, src)
	for !it.Done() {
		dst = append(dst, it.Next()...)
	}
	it.Init(norm.NFKC, nil) // do not keep src
	nfkcIters.Put(it)
	return dst
}

// nfkcStable reports, without the normalization tables, whether src holds
// only ASCII and runes of Japanese text that NFKC leaves alone wherever they
// stand (stableRune): then src is its own NFKC form. False means nothing.
func nfkcStable(src []byte) bool {
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			i++
			continue
		}
		// U+3000–U+9FFF are the three-byte sequences led by E3–E9.
		if c < 0xE3 || c > 0xE9 || i+2 >= len(src) || src[i+1]&0xC0 != 0x80 || src[i+2]&0xC0 != 0x80 {
			return false
		}
		if !stableRune(rune(c&0x0F)<<12 | rune(src[i+1]&0x3F)<<6 | rune(src[i+2]&0x3F)) {
			return false
		}
		i += 3
	}
	return true
}

// stableRune reports whether r is a CJK unified ideograph, a kana letter or
// one of 、。々〒ー: runes with no decomposition that compose with nothing
// (TestStableRunes checks each against the norm package).
func stableRune(r rune) bool {
	switch {
	case r >= 0x4E00 && r <= 0x9FFF, r >= 0x3041 && r <= 0x3096, r >= 0x30A1 && r <= 0x30FA:
		return true
	}
	switch r {
	case 0x3001, 0x3002, 0x3005, 0x3012, 0x30FC:
		return true
	}
	return false
}

var nfkcIters = sync.Pool{New: func() any { return new(norm.Iter) }}

// appendNFKCWidth appends the NFKC form of src, and true, when src is
// ASCII, full-width ASCII (U+FF01–FF5E), ideographic spaces and stable
// runes (kanji, kana: see nfkcStable) only: the numbers, e-mail addresses,
// codes, names and addresses of Japanese text, ０９０－１２３４, 山田太郎,
// 梅田１－２－３. Their NFKC form is rune by rune (full-width to ASCII,
// U+3000 to a space, the rest as it is; with no combining mark nothing
// composes), and a byte switch writes it in a fraction of the time of
// norm.Iter. Otherwise it appends nothing and returns false.
// FuzzAppendNFKC checks it against the norm package.
func appendNFKCWidth(dst, src []byte) ([]byte, bool) {
	start := len(dst)
	for i := 0; i < len(src); {
		c := src[i]
		if c < utf8.RuneSelf {
			dst = append(dst, c)
			i++
			continue
		}
		if i+2 >= len(src) {
			return dst[:start], false
		}
		c1, c2 := src[i+1], src[i+2]
		switch {
		case c == 0xEF && c1 == 0xBC && c2 >= 0x81 && c2 <= 0xBF: // U+FF01–FF3F
			dst = append(dst, c2-0x81+0x21)
		case c == 0xEF && c1 == 0xBD && c2 >= 0x80 && c2 <= 0x9E: // U+FF40–FF5E
			dst = append(dst, c2-0x80+0x60)
		case c == 0xE3 && c1 == 0x80 && c2 == 0x80: // U+3000
			dst = append(dst, ' ')
		case c >= 0xE3 && c <= 0xE9 && c1&0xC0 == 0x80 && c2&0xC0 == 0x80 &&
			stableRune(rune(c&0x0F)<<12|rune(c1&0x3F)<<6|rune(c2&0x3F)): // U+3000–U+9FFF
			dst = append(dst, c, c1, c2)
		default:
			return dst[:start], false
		}
		i += 3
	}
	return dst, true
}

// decodeRune3 returns the rune of the three-byte UTF-8 sequence at the
// start of b, and true, when b starts with one led by E1–EC or EE–EF: the
// sequences of kana and kanji, most of Japanese text. Otherwise (ASCII,
// other lengths, invalid bytes, and the E0 and ED leads, whose second byte
// utf8.DecodeRune restricts further) it returns false and the caller decodes
// with utf8.DecodeRune, which agrees with it wherever it returns true. It is
// inlined, where utf8.DecodeRune calls out of line for anything not ASCII.
func decodeRune3(b []byte) (rune, bool) {
	if len(b) >= 3 && b[0]-0xE1 < 0x0F && b[0] != 0xED && b[1]&0xC0 == 0x80 && b[2]&0xC0 == 0x80 {
		return rune(b[0]&0x0F)<<12 | rune(b[1]&0x3F)<<6 | rune(b[2]&0x3F), true
	}
	return 0, false
}

// isDash reports whether r is a hyphen, a minus or a dash, or one of the
// look-alikes written for them in Japanese text: the prolonged sound mark
// ー and its half-width form. Callers that keep kana must treat ー apart
// (see isProlonged). Full-width forms are folded by NFKC before this runs but
// are listed too, so the function is right on raw text as well.
func isDash(r rune) bool {
	switch r {
	case '-', 0x00AD, 0x02D7, 0x2010, 0x2011, 0x2012, 0x2013, 0x2014, 0x2015,
		0x2043, 0x2212, 0x2E3A, 0x2E3B, 0xFE58, 0xFE63, 0xFF0D,
		0x30FC, 0xFF70: // ー ｰ
		return true
	}
	return false
}

// isProlonged reports whether r is the katakana prolonged sound mark ー (or
// its half-width form), which is a letter inside kana and a dash between
// digits.
func isProlonged(r rune) bool { return r == 0x30FC || r == 0xFF70 }

// isSpace reports whether r is white space or an invisible separator that
// normalizers remove (zero-width space, word joiner, byte-order mark).
func isSpace(r rune) bool {
	if r > 0x3000 && r < 0xFEFF {
		return false // kana and kanji: no white space from U+3001 to U+FEFE
	}
	switch r {
	case 0x200B, 0x2060, 0xFEFF:
		return true
	}
	return unicode.IsSpace(r)
}

// isMark reports whether r is a combining mark. The ranges of Japanese
// text are answered without the tables (TestIsMarkFast checks every rune).
func isMark(r rune) bool {
	switch {
	case r < 0x0300:
		return false
	case r >= 0x3040 && r <= 0x30FF: // kana: only the combining sound marks
		return r == 0x3099 || r == 0x309A
	case r >= 0x4E00 && r <= 0x9FFF: // CJK unified ideographs
		return false
	}
	return unicode.In(r, unicode.Mn, unicode.Mc, unicode.Me)
}

// isASCIIDigit reports whether c is 0-9.
func isASCIIDigit(c byte) bool { return c >= '0' && c <= '9' }

// kanjiDigit returns the value of a kanji digit (〇一二三四五六七八九 and the
// formal 壱弐参), or -1.
func kanjiDigit(r rune) int {
	switch r {
	case '〇':
		return 0
	case '一', '壱':
		return 1
	case '二', '弐':
		return 2
	case '三', '参':
		return 3
	case '四':
		return 4
	case '五':
		return 5
	case '六':
		return 6
	case '七':
		return 7
	case '八':
		return 8
	case '九':
		return 9
	}
	return -1
}

// kanjiUnit returns the value of a kanji unit numeral (十百千), or 0.
func kanjiUnit(r rune) int {
	switch r {
	case '十':
		return 10
	case '百':
		return 100
	case '千':
		return 1000
	}
	return 0
}

// isKanjiNumeral reports whether r is a kanji digit or unit (kanjiDigit,
// kanjiUnit), in one switch: it is asked of every kanji of an address.
func isKanjiNumeral(r rune) bool {
	switch r {
	case '〇', '一', '二', '三', '四', '五', '六', '七', '八', '九', '壱', '弐', '参', '十', '百', '千':
		return true
	}
	return false
}

// kanjiRun returns the length in bytes of the run of kanji numerals at the
// start of b.
func kanjiRun(b []byte) int {
	n := 0
	for n < len(b) {
		r, size := utf8.DecodeRune(b[n:])
		if !isKanjiNumeral(r) {
			break
		}
		n += size
	}
	return n
}

// maxKanjiRun is the longest run of kanji numerals parsed as a number, in
// runes: enough for years (一九八五) and block numbers (千二百三十四).
const maxKanjiRun = 7

// parseKanjiNumber returns the value of a whole run of kanji numerals:
// positional (一九八五, 二〇三: at most four digits) or with units (二十三,
// 百二, 千九百八十五; units strictly decreasing). ok is false for anything
// else (十十, 二三十, ...).
func parseKanjiNumber(b []byte) (n int, ok bool) {
	var runes [maxKanjiRun]rune
	k := 0
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if k == len(runes) || !isKanjiNumeral(r) {
			return 0, false
		}
		runes[k] = r
		k++
		i += size
	}
	if k == 0 {
		return 0, false
	}
	hasUnit := false
	for _, r := range runes[:k] {
		if kanjiUnit(r) > 0 {
			hasUnit = true
		}
	}
	if !hasUnit {
		if k > 4 {
			return 0, false
		}
		for _, r := range runes[:k] {
			n = n*10 + kanjiDigit(r)
		}
		return n, true
	}
	total, cur, lastUnit := 0, -1, 10000
	for _, r := range runes[:k] {
		if d := kanjiDigit(r); d >= 0 {
			if cur >= 0 || d == 0 {
				return 0, false // two digits in a row, or 〇 among units
			}
			cur = d
			continue
		}
		u := kanjiUnit(r)
		if u >= lastUnit {
			return 0, false
		}
		lastUnit = u
		if cur < 0 {
			cur = 1
		}
		total += cur * u
		cur = -1
	}
	if cur >= 0 {
		total += cur
	}
	return total, true
}

// appendUint appends the decimal digits of n.
func appendUint(dst []byte, n int) []byte {
	var buf [20]byte
	i := len(buf)
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	return append(dst, buf[i:]...)
}

// toKatakana maps hiragana to katakana (ぁ-ゖ, ゝ, ゞ); other runes are
// returned unchanged.
func toKatakana(r rune) rune {
	switch {
	case r >= 0x3041 && r <= 0x3096:
		return r + 0x60
	case r == 0x309D || r == 0x309E: // ゝ ゞ
		return r + 0x60
	}
	return r
}

// composeKana returns the precomposed kana for base followed by the
// combining voiced (U+3099) or semi-voiced (U+309A) sound mark. NFKC turns
// the spacing marks ゛ and ゜ into a space and the combining mark; once the
// space is removed the pair must be composed by hand, or the output would not
// be NFKC-stable.
func composeKana(base, mark rune) (rune, bool) {
	kata := base >= 0x30A1
	k := base
	if !kata {
		k = base + 0x60 // work on katakana, map back below
	}
	var out rune
	switch mark {
	case 0x3099:
		switch {
		case k >= 0x30AB && k <= 0x30C2 && (k-0x30AB)%2 == 0, // カ..チ
			k >= 0x30C4 && k <= 0x30C8 && (k-0x30C4)%2 == 0: // ツ テ ト
			out = k + 1
		case k >= 0x30CF && k <= 0x30DB && (k-0x30CF)%3 == 0: // ハ..ホ
			out = k + 1
		case k == 0x30A6: // ウ
			out = 0x30F4
		case k == 0x30FD: // ヽ
			out = 0x30FE
		case kata && k >= 0x30EF && k <= 0x30F2: // ワヰヱヲ
			out = k + 8
		}
	case 0x309A:
		if k >= 0x30CF && k <= 0x30DB && (k-0x30CF)%3 == 0 {
			out = k + 2
		}
	}
	if out == 0 {
		return base, false
	}
	if !kata {
		if out == 0x30F4 {
			return 0x3094, true // ゔ
		}
		out -= 0x60
	}
	return out, true
}

// isKana reports whether r is hiragana or katakana (including ヽヾゝゞ).
func isKana(r rune) bool { return r >= 0x3041 && r <= 0x30FF }

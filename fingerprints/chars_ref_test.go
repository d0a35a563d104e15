// Reference for the differential tests of equiv_test.go: the functions of
// chars.go that the speed-ups after commit 0a6ae9c changed, copied from that
// commit with their identifiers renamed (prefix ref). Only they are kept:
// appendNFKC (its QuickSpan shortcut), appendNFKCWidth (it now takes kanji
// and kana too) and isKanjiNumeral (now one switch; TestIsKanjiNumeral also
// checks it against kanjiDigit and kanjiUnit on every rune). What they call
// that did not change (nfkcStable, nfkcIters, kanjiDigit, kanjiUnit) is the
// package's own. Do not edit them except to rename.

package fingerprints

import (
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// refAppendNFKC appends the NFKC form of src to dst. The form of src is never
// merged with what dst already holds (norm.Form.Append would compose a
// leading combining mark of src with the last rune of dst).
func refAppendNFKC(dst, src []byte) []byte {
	if out, ok := refAppendNFKCWidth(dst, src); ok {
		return out
	}
	if nfkcStable(src) || norm.NFKC.QuickSpan(src) == len(src) { // most kana and kanji
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

// refAppendNFKCWidth appends the NFKC form of src, and true, when src is
// ASCII, full-width ASCII (U+FF01–FF5E) and ideographic spaces only: the
// numbers, e-mail addresses and codes of Japanese text, ０９０－１２３４.
// Their NFKC form is rune by rune (full-width to ASCII, U+3000 to a space;
// with no combining mark nothing composes), and a byte switch writes it in
// a fraction of the time of norm.Iter. Otherwise it appends nothing and
// returns false. FuzzAppendNFKC checks it against the norm package.
func refAppendNFKCWidth(dst, src []byte) ([]byte, bool) {
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
		default:
			return dst[:start], false
		}
		i += 3
	}
	return dst, true
}

// refIsKanjiNumeral reports whether r is a kanji digit or unit.
func refIsKanjiNumeral(r rune) bool { return kanjiDigit(r) >= 0 || kanjiUnit(r) > 0 }

package fingerprints

import (
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Identifiers of the operator's own: customer numbers, member IDs, ...
//
// Canonical form: the NFKC form, upper-cased, without white space and
// without hyphens or their look-alikes (ー included: identifiers are not
// kana words), so "ab-123 45", "ＡＢ１２３４５" and "AB12345" are alike.
// It must be non-empty, at most 64 runes, valid UTF-8 and free of control
// characters.

func init() { register(ID, appendID) }

var (
	errIDEmpty   = invalid(ID, "empty")
	errIDLong    = invalid(ID, "longer than 64 characters")
	errIDControl = invalid(ID, "control character")
	errIDUTF8    = invalid(ID, "invalid UTF-8")
	errIDUnnorm  = invalid(ID, "no stable form")
)

const maxIDRunes = 64

func appendID(dst, src []byte) ([]byte, error) {
	start := len(dst)
	if len(src) > 4*maxIDRunes*utf8.UTFMax {
		return dst, errIDLong
	}
	dst = appendNFKC(dst, src)
	inEnd := len(dst)
	removed := false
	runes := 0
	lastPos := -1
	for i := start; i < inEnd; {
		c := dst[i]
		if c < utf8.RuneSelf {
			i++
			switch {
			case c < 0x20 && !isASCIISpace(c) || c == 0x7F:
				return dst[:start], errIDControl
			case isASCIISpace(c) || c == '-':
				removed = true
				continue
			case 'a' <= c && c <= 'z':
				c -= 'a' - 'A'
			}
			lastPos = len(dst)
			dst = append(dst, c)
			runes++
			removed = false
			continue
		}
		r, size := utf8.DecodeRune(dst[i:inEnd])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			return dst[:start], errIDUTF8
		case unicode.IsControl(r):
			return dst[:start], errIDControl
		case isSpace(r) || isDash(r):
			removed = true
			continue
		case isMark(r) && (removed || lastPos < 0):
			// A mark cut off from its letter by what was removed: compose
			// it with a kana, or drop it.
			if lastPos >= 0 {
				last, _ := utf8.DecodeRune(dst[lastPos:])
				if k, ok := composeKana(last, r); ok && isKana(last) {
					utf8.EncodeRune(dst[lastPos:], k)
				}
			}
			continue
		}
		if !isMark(r) {
			lastPos = len(dst)
		}
		runes++
		dst = utf8.AppendRune(dst, unicode.ToUpper(r))
		removed = false
	}
	if runes == 0 {
		return dst[:start], errIDEmpty
	}
	if runes > maxIDRunes {
		return dst[:start], errIDLong
	}
	n := copy(dst[start:], dst[inEnd:])
	dst = dst[:start+n]
	if !norm.NFKC.IsNormal(dst[start:]) {
		return dst[:start], errIDUnnorm
	}
	return dst, nil
}

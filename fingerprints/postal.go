package fingerprints

import "unicode/utf8"

// Japanese postal codes.
//
// Canonical form: the seven digits, "1000005".
//
// Accepted, after NFKC (full-width digits, 〶 → 〒) and removal of white
// space and of a leading 〒: seven digits, or three digits, one hyphen or
// look-alike (ー included), and four digits.

func init() { register(Postal, appendPostal) }

var errPostalFormat = invalid(Postal, "not NNN-NNNN or seven digits")

func appendPostal(dst, src []byte) ([]byte, error) {
	start := len(dst)
	dst = appendNFKC(dst, src)
	b := dst[start:]
	// Keep digits and at most one dash (as '-') in place; count them.
	w, dashAt, seenMark := 0, -1, false
	for r := 0; r < len(b); {
		c := b[r]
		if isASCIIDigit(c) {
			b[w] = c
			w++
			r++
			continue
		}
		ru, size := utf8.DecodeRune(b[r:])
		r += size
		switch {
		case isSpace(ru):
		case ru == '〒' && w == 0 && dashAt < 0 && !seenMark:
			seenMark = true
		case isDash(ru) && dashAt < 0 && w == 3:
			dashAt = w
		default:
			return dst[:start], errPostalFormat
		}
	}
	if w != 7 {
		return dst[:start], errPostalFormat
	}
	return dst[:start+7], nil
}

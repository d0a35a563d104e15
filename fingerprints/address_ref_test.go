// Reference for the differential tests of equiv_test.go: the functions of
// address.go that the speed-ups after commit 0a6ae9c changed or replaced,
// copied from that commit with their identifiers renamed (prefix ref):
// IsPrefecture and the prefecture search of stripAddressHead (the loop over
// prefectures, now prefectureLen), appendAddress, cleanAddress (rune by
// rune, in place; now plainAddressRun and a raw pass), addressSpace (its
// signature) and appendAddressBody (rune by rune; now localityRun). Only
// they are kept: what they call that did not change (postalLen, appendBlock,
// isDash, composeKana, kanjiRun, parseKanjiNumber, ...) is the package's
// own, and the changed appendNFKC and isKanjiNumeral they call are the
// copies of chars_ref_test.go. (The package's kanjiRun, endsWithNumeral,
// ... call the new isKanjiNumeral, which TestIsKanjiNumeral checks against
// the old one on every rune.) Do not edit them except to rename.

package fingerprints

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// refIsPrefecture reports whether b is one of the 47 prefectures, written
// with its 都道府県 suffix as the address normalizer strips it: an address
// that starts with one normalizes as it would without it.
func refIsPrefecture(b []byte) bool {
	for _, p := range prefectures {
		if string(b) == p {
			return true
		}
	}
	return false
}

func refAppendAddress(dst, src []byte) ([]byte, error) {
	if len(src) > maxAddressBytes {
		return dst, errAddressLong
	}
	start := len(dst)
	dst = refAppendNFKC(dst, src)
	n, err := refCleanAddress(dst[start:])
	if err != nil {
		return dst[:start], err
	}
	dst = dst[:start+n]
	if n == 0 {
		return dst[:start], errAddressEmpty
	}
	b := dst[start:]
	p := refStripAddressHead(b)
	if p == len(b) || postalLen(b[p:]) == len(b)-p {
		return dst[:start], errAddressOnly
	}
	out := len(dst)
	dst = refAppendAddressBody(dst, b[p:])
	n = copy(dst[start:], dst[out:])
	dst = dst[:start+n]
	if n == 0 {
		return dst, errAddressEmpty
	}
	if postalLen(dst[start:]) == n {
		return dst[:start], errAddressOnly // a block group that looks like one
	}
	foldPlaceKana(dst[start:]) // step 6 is one pass over the result, in both
	if !nfkcStable(dst[start:]) && !norm.NFKC.IsNormal(dst[start:]) {
		return dst[:start], errAddressUnnorm
	}
	return dst, nil
}

// refCleanAddress does step 2 in place and returns the new length of b.
func refCleanAddress(b []byte) (int, error) {
	w := 0
	removed := false // white space was dropped since the last rune written
	lastPos := -1    // start of the last rune written
	for r := 0; r < len(b); {
		c := b[r]
		size := 1
		if c < utf8.RuneSelf {
			if c < 0x20 || c == 0x7F || c == ' ' {
				if !isASCIISpace(c) && c != ' ' {
					return 0, errAddressControl
				}
				r++
				w, removed = refAddressSpace(b, w, r), true
				continue
			}
		} else {
			var ru rune
			ru, size = utf8.DecodeRune(b[r:])
			switch {
			case ru == utf8.RuneError && size == 1:
				return 0, errAddressUTF8
			case isSpace(ru):
				r += size
				w, removed = refAddressSpace(b, w, r), true
				continue
			case unicode.IsControl(ru):
				return 0, errAddressControl
			case isProlonged(ru) && !(w > 0 && endsWithNumeral(b[:w]) && startsWithNumeral(b[r+size:])):
				// A kana letter: copied below.
			case isDash(ru):
				r += size
				b[w] = '-'
				lastPos, removed = w, false
				w++
				continue
			case (removed || lastPos < 0) && isMark(ru):
				// A mark cut off from its letter by removed space: compose it
				// with a kana, or drop it.
				if lastPos >= 0 {
					last, _ := utf8.DecodeRune(b[lastPos:w])
					if k, ok := composeKana(last, ru); ok && isKana(last) {
						utf8.EncodeRune(b[lastPos:], k)
					}
				}
				r += size
				continue
			}
		}
		lastPos = w
		copy(b[w:], b[r:r+size])
		w += size
		r += size
		removed = false
	}
	if w > 0 && b[w-1] == ' ' {
		w--
	}
	return w, nil
}

// refAddressSpace handles white space just read (input resumes at b[r:]) with
// w bytes written: it writes one space when the space stands between two
// numerals and none was written yet, and returns the new w.
func refAddressSpace(b []byte, w, r int) int {
	if w > 0 && b[w-1] != ' ' && endsWithNumeral(b[:w]) && startsWithNumeral(b[r:]) {
		b[w] = ' '
		return w + 1
	}
	return w
}

// refStripAddressHead returns the length of the leading postal codes,
// prefectures and spaces of b (step 3).
func refStripAddressHead(b []byte) int {
	p := 0
	for {
		q := p
		if q < len(b) && b[q] == ' ' {
			q++
		}
		if bytes.HasPrefix(b[q:], []byte("〒")) {
			q += len("〒")
		}
		if k := postalLen(b[q:]); k > 0 && q+k < len(b) && !isASCIIDigit(b[q+k]) && b[q+k] != '-' {
			q += k
		}
		if len(b)-q >= 9 && prefectureSuffixAt(b[q:]) { // the shortest prefecture has 3 runes
			for _, pref := range prefectures {
				if b[q+2] == pref[2] && b[q+5] == pref[5] && bytes.HasPrefix(b[q:], []byte(pref)) {
					q += len(pref)
					break
				}
			}
		}
		if q == p {
			return p
		}
		p = q
	}
}

// refAppendAddressBody appends the canonical form of s, a cleaned address
// without postal code or prefecture (steps 4 and 5).
func refAppendAddressBody(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		c := s[i]
		if c == ' ' {
			i++
			continue
		}
		if isASCIIDigit(c) {
			j := i
			for j < len(s) && isASCIIDigit(s[j]) {
				j++
			}
			if placeMarkerLen(s[j:]) > 0 || literalMarker(s[j:]) {
				dst = append(dst, s[i:j]...)
				i = j
				continue
			}
			return appendBlock(dst, s[i:])
		}
		r, size := utf8.DecodeRune(s[i:])
		if !refIsKanjiNumeral(r) {
			dst = append(dst, s[i:i+size]...)
			i += size
			continue
		}
		j := i + kanjiRun(s[i:])
		v, ok := parseKanjiNumber(s[i:j])
		switch {
		case ok && kanjiStartsBlock(s[j:]):
			return appendBlock(dst, s[i:])
		case ok && placeMarkerLen(s[j:]) > 0:
			dst = appendUint(dst, v)
		default:
			dst = append(dst, s[i:j]...)
		}
		i = j
	}
	return dst
}

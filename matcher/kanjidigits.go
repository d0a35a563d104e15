package matcher

import (
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Phone numbers and postal codes in kanji digits. Text set vertically
// (縦書き: letters, notices, the rosters of schools and town halls) writes
// numbers digit by digit in kanji: 電話 〇九〇－一二三四－五六七八,
// 〒一〇〇－〇〇〇五. kanjiNumber reads such a run, spells it in ASCII
// digits with a '-' between its groups, and looks the spelling up as a
// phone number (ten or eleven digits from 0) or a postal code (seven
// digits, after 〒 or grouped three and four) through the normalizers
// every other candidate goes through. The dates of such text (昭和六十年
// 一月二日, 一九八五年) are kanjiEraDate's; its block numbers (二丁目四番)
// kanjiBlock's.
//
// The pass stops at the lead bytes E4 and E5 of 一 to 九, but not at 〇,
// whose E3 leads every kana: a run's first stop is its first digit that
// is not 〇, and kanjiNumber reads back from there (kanjiRunStart). Prose
// is full of 一 and 二, so kanjiRunAt first asks whether a digit stands
// next to the stop, in three bytes either way.

// kanjiDigitAt returns the value of the kanji digit at buf[i] (〇 to 九,
// and ○, the circle often typed for 〇), or -1. Each is three bytes.
func kanjiDigitAt(buf []byte, i int) int {
	if i < 0 || i+2 >= len(buf) {
		return -1
	}
	switch uint32(buf[i])<<16 | uint32(buf[i+1])<<8 | uint32(buf[i+2]) {
	case 0xE38087, 0xE2978B: // 〇 ○
		return 0
	case 0xE4B880: // 一
		return 1
	case 0xE4BA8C: // 二
		return 2
	case 0xE4B889: // 三
		return 3
	case 0xE59B9B: // 四
		return 4
	case 0xE4BA94: // 五
		return 5
	case 0xE585AD: // 六
		return 6
	case 0xE4B883: // 七
		return 7
	case 0xE585AB: // 八
		return 8
	case 0xE4B99D: // 九
		return 9
	}
	return -1
}

// kanjiRunAt reports whether the kanji digit at buf[i] has a digit next
// to it: a 〇 before it, or any digit after it. A run of one digit is no
// number; nor, alone, are its neighbours' 一つ, 第一, 二人.
func kanjiRunAt(buf []byte, i int) bool {
	return kanjiDigitAt(buf, i) > 0 && (kanjiDigitAt(buf, i-3) == 0 || kanjiDigitAt(buf, i+3) >= 0)
}

// kanjiNumberSep returns the width of the separators between two groups
// of kanji digits at buf[i], and whether they are spaces alone, or 0: up
// to three dashes, parentheses, middle dots and spaces (〇三（一二三四）
// 五六七八, 〇九〇・一二三四・五六七八, 〇九〇 － 一二三四) followed by a
// digit.
func kanjiNumberSep(buf []byte, i int) (n int, spaces bool) {
	spaces = true
	for range 3 {
		w, sp := kanjiSepWidth(buf, i+n)
		if w == 0 {
			break
		}
		n += w
		spaces = spaces && sp
		if kanjiDigitAt(buf, i+n) >= 0 {
			return n, spaces
		}
	}
	return 0, false
}

// kanjiSepWidth returns the width of a separator of kanjiNumberSep's at
// buf[i], or 0, and whether it is a space.
func kanjiSepWidth(buf []byte, i int) (int, bool) {
	if hasPrefix(buf[i:], "・") {
		return len("・"), false
	}
	c, w := sepAt(buf, i)
	if c&(sepDash|sepParen|sepSpace) == 0 {
		return 0, false
	}
	return w, c == sepSpace
}

// kanjiRunStart returns where the run of kanji digits holding the digit
// at buf[i] starts: back over digits and the separators between them but
// spaces. A run is read forward across spaces (kanjiNumber), not back:
// when the pass first stops after a space, what stands before it was no
// number the pass stopped at (二 〇八〇 九八七六 五四三二), or was read
// in the segment before.
func kanjiRunStart(buf []byte, i int) int {
	st := i
	for {
		k := st
		for n := 0; n < 3 && kanjiDigitAt(buf, k-3) < 0; n++ {
			_, w := utf8.DecodeLastRune(buf[:k])
			if w == 0 {
				break
			}
			if sw, space := kanjiSepWidth(buf, k-w); sw != w || space {
				break
			}
			k -= w
		}
		if kanjiDigitAt(buf, k-3) < 0 {
			return st
		}
		st = k - 3
	}
}

// kanjiPiece is a stretch between spaces of a run of kanji digits.
type kanjiPiece struct {
	st, en        int // in the buffer
	ns, ne        int // its spelling, s.kanjiNum[ns:ne]
	digits, first int
	groups        int // stretches between dashes and parentheses
}

// kanjiNumber reads the run of kanji digits around buf[i], the pass's
// stop in it (kanjiRunAt holds), and returns where the pass goes on: after
// the run. A run is looked up in the segment that holds its first digit
// that is not 〇, where the pass first stops in it: a run of the segment
// before is left alone. Like numeric, it tries the run's pieces between
// spaces, and runs of up to five of them, as candidates of their own: in
// a list, 二 〇九〇 一二三四 五六七八 is an item's number, then a phone
// number in three pieces.
func (s *Scanner) kanjiNumber(buf []byte, i, lo int, base int64) int {
	st := kanjiRunStart(buf, i)
	s.kanjiNum, s.kanjiPieces = s.kanjiNum[:0], s.kanjiPieces[:0]
	p := kanjiPiece{st: st, first: -1, groups: 1}
	firstNonZero := -1
	en := st
	// No candidate is longer than 19 digits in 5 pieces: past 96 bytes
	// of spelling, or 16 pieces, the rest of the run is read, not spelled.
	spelling := true
	for {
		if d := kanjiDigitAt(buf, en); d >= 0 {
			if d > 0 && firstNonZero < 0 {
				firstNonZero = en
			}
			if p.first < 0 {
				p.first = d
			}
			if spelling {
				s.kanjiNum = append(s.kanjiNum, byte('0'+d))
				p.digits++
				spelling = len(s.kanjiNum) <= 96
			}
			en += 3
			continue
		}
		n, spaces := kanjiNumberSep(buf, en)
		if n == 0 {
			if r, _ := utf8.DecodeRune(buf[en:]); spelling && p.st > st && scriptOf(r) == scHan {
				// 〇九〇－一二三四－五六七八　一九六九年: a piece after a
				// space that a kanji follows is a year, a block number, a
				// count; the run ends before it.
				en = s.kanjiPieces[len(s.kanjiPieces)-1].en
				spelling = false
			}
			break
		}
		if spelling && spaces {
			p.en, p.ne = en, len(s.kanjiNum)
			s.kanjiPieces = append(s.kanjiPieces, p)
			s.kanjiNum = append(s.kanjiNum, '-')
			p = kanjiPiece{st: en + n, ns: len(s.kanjiNum), first: -1, groups: 1}
		} else if spelling {
			s.kanjiNum = append(s.kanjiNum, '-')
			p.groups++
		}
		en += n
		spelling = spelling && len(s.kanjiNum) <= 96 && len(s.kanjiPieces) < 16
	}
	if spelling {
		p.en, p.ne = en, len(s.kanjiNum)
		s.kanjiPieces = append(s.kanjiPieces, p)
	}
	if s.costlyPass != 0 || firstNonZero < lo {
		return en
	}
	ps := s.kanjiPieces
	for a := range ps {
		digits, groups := 0, 0
		for b := a; b < len(ps) && b < a+5; b++ {
			digits += ps[b].digits
			groups += ps[b].groups
			spelled := s.kanjiNum[ps[a].ns:ps[b].ne]
			start, end := base+int64(ps[a].st), base+int64(ps[b].en)
			switch {
			case ps[a].first == 0 && (digits == 10 || digits == 11):
				s.lookup(fingerprints.Phone, spelled, start, end)
			case digits == 7 && (groups == 2 && spelled[3] == '-' || a == 0 && postalMarkBefore(buf, st)):
				s.lookup(fingerprints.Postal, spelled, start, end)
			}
		}
	}
	return en
}

// postalMarkBefore reports whether 〒 stands before buf[i], perhaps with
// spaces between.
func postalMarkBefore(buf []byte, i int) bool {
	for i > 0 && buf[i-1] == ' ' {
		i--
	}
	for hasSuffix(buf[:i], "\u3000") {
		i -= len("\u3000")
	}
	return hasSuffix(buf[:i], "〒")
}

// kanjiNumeral reads what the kanji numeral at buf[i], where the pass
// stops, may be part of: a phone number or a postal code in kanji digits
// (kanjiNumber), or block numbers without 丁目 (kanjiDashBlock). It returns
// where the pass goes on.
func (s *Scanner) kanjiNumeral(buf []byte, i, lo int, base int64) int {
	en := i + 1
	if kanjiBlockAhead(buf, i) {
		en = max(en, s.kanjiDashBlock(buf, i, base))
	}
	if kanjiRunAt(buf, i) {
		en = max(en, s.kanjiNumber(buf, i, lo, base))
	}
	return en
}

// e4e5Numerals marks the kanji numerals whose first byte is E4 or E5 (一 to
// 九 but 〇, 十, 千) by their bytes: bit b2&0x3F of entry (b0&1)<<6 |
// b1&0x3F. e4e5Numeral tests a character the pass stopped at for E4 or
// E5 against it, a table lookup that inlines: most characters led by
// those bytes are other kanji.
var e4e5Numerals = func() (t [128]uint64) {
	for _, r := range "一二三四五六七八九十千" {
		b := []byte(string(r))
		t[int(b[0]&1)<<6|int(b[1]&0x3F)] |= 1 << (b[2] & 0x3F)
	}
	return
}()

// e4e5Numeral reports whether buf[i], led by E4 or E5, is a kanji
// numeral of e4e5Numerals.
func e4e5Numeral(buf []byte, i int) bool {
	return i+2 < len(buf) && e4e5Numerals[int(buf[i]&1)<<6|int(buf[i+1]&0x3F)]>>(buf[i+2]&0x3F)&1 != 0
}

// kanjiNumeralAt reports whether a kanji numeral of block numbers stands
// at buf[i]: a digit 〇 to 九, 十 or 千 (百 leads with E7, a byte the pass
// does not stop at; a group of block numbers seldom starts with it).
func kanjiNumeralAt(buf []byte, i int) bool {
	if kanjiDigitAt(buf, i) >= 0 {
		return true
	}
	return i+2 < len(buf) && buf[i] == 0xE5 && buf[i+1] == 0x8D && (buf[i+2] == 0x81 || buf[i+2] == 0x83) // 十 千
}

// kanjiBlockAhead is kanjiDashBlock's first test, cheap for the many
// numerals of prose (一つ, 二人, 一の谷): after the numerals from buf[i]
// on, a dash or の, then another numeral.
func kanjiBlockAhead(buf []byte, i int) bool {
	j := i
	for kanjiNumeralAt(buf, j) || hasPrefix(buf[j:], "百") {
		j += 3
	}
	w := 0
	switch {
	case j < len(buf) && buf[j] == '-':
		w = 1
	case hasPrefix(buf[j:], "の"), hasPrefix(buf[j:], "－"), hasPrefix(buf[j:], "―"), hasPrefix(buf[j:], "ー"), hasPrefix(buf[j:], "‐"), hasPrefix(buf[j:], "−"):
		w = 3
	}
	return w > 0 && (kanjiNumeralAt(buf, j+w) || hasPrefix(buf[j+w:], "百"))
}

package matcher

import (
	"bytes"
	"unicode"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Addresses have no pattern of their own, but they end in block numbers
// (1-2-3, 1丁目2番3号, 一丁目二番三号), and the address normalizer cuts
// everything after those. So each block-number anchor is a possible end,
// and the possible starts are found by walking back over address
// characters: the start of the stretch (after a delimiter), and the places
// right after a prefecture, a kana, a digit or a space (住所は千代田区…,
// 〒100-0005東京都…, 氏名 山田太郎 千代田区…). Each start gives one
// candidate; a handful per anchor.

const (
	maxAddressRunes  = 48
	maxAddressStarts = 8
)

// Start priorities: lower is tried first.
const (
	startPrefecture = iota // right after 都道府県
	startRun               // the start of the stretch
	startSpace             // after a space inside it
	startKana              // after a kana (住所は…)
	startDigits            // after a run of digits (〒100-0005東京都…)
)

type addrStart struct{ pos, prio int }

func (s *Scanner) address(buf []byte, anchorStart, anchorEnd int, base int64) {
	s.starts = s.starts[:0]
	add := func(pos, prio int) {
		if pos < anchorStart {
			s.starts = append(s.starts, addrStart{pos, prio})
		}
	}
	p := anchorStart
	for n := 0; p > 0 && n < maxAddressRunes; n++ {
		r, size := kanaKanjiBefore(buf, p)
		if size == 0 {
			r, size = utf8.DecodeLastRune(buf[:p])
		}
		if !addressRune(r) {
			break
		}
		switch {
		case r == ' ' || r == '\u3000':
			if prev, _ := utf8.DecodeLastRune(buf[:p-size]); prev == ' ' || prev == '\u3000' || !addressRune(prev) {
				n = maxAddressRunes // two spaces, or a space then a delimiter, end the stretch
				continue
			}
			add(p, startSpace)
		case r == '都' || r == '道' || r == '府' || r == '県':
			add(p, startPrefecture)
		case isKana(r):
			add(p, startKana)
		case isDigitRune(r):
			if next, _ := utf8.DecodeRune(buf[p:]); !isDigitRune(next) && next != '-' && next != '－' {
				add(p, startDigits)
			}
		}
		p -= size
	}
	add(p, startRun)
	// The normalizer strips a leading prefecture: when the stretch starts
	// with one, the start after it gives the same candidate as the start
	// of the stretch, and is not tried.
	for i, st := range s.starts {
		if st.prio == startPrefecture && st.pos > p && fingerprints.IsPrefecture(buf[skipSpace(buf, p):st.pos]) {
			s.starts[i].pos = p
		}
	}
	// By priority, stably (an insertion sort: a handful of starts).
	for i := 1; i < len(s.starts); i++ {
		for j := i; j > 0 && s.starts[j].prio < s.starts[j-1].prio; j-- {
			s.starts[j], s.starts[j-1] = s.starts[j-1], s.starts[j]
		}
	}
	if cs, ce := cityCellBefore(buf, p); cs >= 0 {
		// 千代田区,丸の内1-2-3: the address split over cells, as exports
		// write it (prefecture, city, the rest; the normalizer drops the
		// prefecture), is looked up whole.
		s.addrJoin = append(append(s.addrJoin[:0], buf[cs:ce]...), buf[p:anchorEnd]...)
		s.lookup(fingerprints.Address, s.addrJoin, base+int64(cs), base+int64(anchorEnd))
	}
	tried := 0
	for i, st := range s.starts {
		if tried == maxAddressStarts {
			break
		}
		dup := false
		for _, o := range s.starts[:i] {
			dup = dup || o.pos == st.pos
		}
		if dup {
			continue
		}
		tried++
		s.lookup(fingerprints.Address, buf[st.pos:anchorEnd], base+int64(st.pos), base+int64(anchorEnd))
	}
}

// cityCellBefore returns the bounds of the cell before the one that
// starts at buf[p], when that cell is a whole city, ward, town or village
// (札幌市中央区, 東京都千代田区: address characters ending in 市, 区, 町,
// 村 or 郡) and one field separator, perhaps between quotes, stands
// between them; else -1, -1.
func cityCellBefore(buf []byte, p int) (int, int) {
	q := p
	if q > 0 && (buf[q-1] == '"' || buf[q-1] == '\'') {
		q--
	}
	if q == 0 || !isFieldSep(buf[q-1]) {
		return -1, -1
	}
	q--
	if q > 0 && (buf[q-1] == '"' || buf[q-1] == '\'') {
		q--
	}
	ce := q
	last, _ := utf8.DecodeLastRune(buf[:ce])
	switch last {
	case '市', '区', '町', '村', '郡':
	default:
		return -1, -1
	}
	cs := ce
	for n := 0; cs > 0; n++ {
		r, size := kanaKanjiBefore(buf, cs)
		if size == 0 || n == maxCityRunes || !addressRune(r) {
			break
		}
		cs -= size
	}
	if cs == ce || cs > 0 && !(isFieldSep(buf[cs-1]) || buf[cs-1] == '"' || buf[cs-1] == '\'' || buf[cs-1] == '\n') {
		return -1, -1 // no cell, or a part of one
	}
	return cs, ce
}

// maxCityRunes bounds a city's cell: 東京都千代田区, 北海道札幌市中央区,
// 鹿児島県鹿児島郡十島村.
const maxCityRunes = 16

func isFieldSep(c byte) bool { return c == ',' || c == '\t' || c == '|' || c == ';' }

// kanaKanjiBefore is kanaKanjiAt for the rune that ends at buf[p]: most of
// an address, walked back over.
func kanaKanjiBefore(buf []byte, p int) (rune, int) {
	if p >= 3 {
		c, c1, c2 := buf[p-3], buf[p-2], buf[p-1]
		if c-0xE3 <= 6 && c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			return rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F), 3
		}
	}
	return 0, 0
}

func addressRune(r rune) bool {
	if r >= 0x4E00 && r <= 0x9FFF { // the CJK unified ideographs are Han
		return true
	}
	return unicode.Is(unicode.Han, r) || isKana(r) || isDigitRune(r) || r == '々' || r == 'ヶ' || r == 'ケ' ||
		r == '-' || r == '－' || r == 'ー' || r == '‐' || r == '−' || r == ' ' || r == '\u3000'
}

func isKana(r rune) bool {
	return r >= 0x3041 && r <= 0x3096 || r >= 0x30A1 && r <= 0x30FA || r >= 0xFF66 && r <= 0xFF9D
}

func isDigitRune(r rune) bool { return r >= '0' && r <= '9' || r >= '０' && r <= '９' }

var kanjiNumerals = "〇一二三四五六七八九十百千壱弐参"

func isKanjiNumeral(r rune) bool { return r != 0 && bytes.ContainsRune([]byte(kanjiNumerals), r) }

// kanjiBlock handles block numbers written in kanji (一丁目二番三号): the
// 丁目 at buf[i] anchors an address whose numbers start at the kanji
// numerals before it.
func (s *Scanner) kanjiBlock(buf []byte, i int, base int64) int {
	st := i
	for st > 0 {
		r, size := utf8.DecodeLastRune(buf[:st])
		if !isKanjiNumeral(r) && !isDigitRune(r) {
			break
		}
		st -= size
	}
	en := i + len("丁目")
	if st == i {
		return en
	}
	for en < len(buf) {
		r, size := utf8.DecodeRune(buf[en:])
		if c, _ := sepAt(buf, en); isKanjiNumeral(r) || isDigitRune(r) || r == '番' || r == '地' || r == 'の' || r == '号' || c == sepDash {
			en += size
			if r == '号' {
				break
			}
			continue
		}
		break
	}
	s.address(buf, st, en, base)
	return en
}

// kanjiDashBlock handles block numbers written in kanji numerals without
// 丁目, as text set vertically writes them (丸の内一－二－三, 梅田二十一―四―九,
// 丸の内一の二の三): two or three groups of numerals, joined by a dash or
// の, right after the last character of a place's name, anchor an
// address that ends with them (and a 号 after them). The kanji numeral at
// buf[i] is the pass's stop in the first group; it returns the end of the
// numbers, or i when they are no block numbers.
func (s *Scanner) kanjiDashBlock(buf []byte, i int, base int64) int {
	st := i
	for st > 0 {
		r, size := utf8.DecodeLastRune(buf[:st])
		if !isKanjiNumeral(r) {
			break
		}
		st -= size
	}
	// The place's name ends right before: a kanji or a kana, no numeral
	// (that would be in the group) and no separator. Block numbers never
	// start with 〇 (phone numbers always do).
	if prev, _ := utf8.DecodeLastRune(buf[:st]); st == 0 || !(scriptOf(prev) == scHan || isKana(prev)) || kanjiDigitAt(buf, st) == 0 {
		return i
	}
	en, groups := st, 0
	for {
		k := en
		for k < len(buf) {
			r, size := utf8.DecodeRune(buf[k:])
			if !isKanjiNumeral(r) {
				break
			}
			k += size
		}
		if k == en {
			break
		}
		en, groups = k, groups+1
		if groups == 3 {
			break
		}
		w := 0
		if c, n := sepAt(buf, en); c == sepDash || hasPrefix(buf[en:], "の") {
			w = n
		}
		if r, _ := utf8.DecodeRune(buf[en+w:]); w == 0 || !isKanjiNumeral(r) {
			break
		}
		en += w
	}
	if groups < 2 {
		return i
	}
	if hasPrefix(buf[en:], "号") {
		en += len("号")
	}
	s.address(buf, st, en, base)
	return en
}

package matcher

import (
	"bytes"
	"cmp"
	"regexp"
	"regexp/syntax"
	"slices"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Extraction is one pass over the bytes of a segment. A table marks the
// bytes that can start a candidate (ASCII digits, '@', '[' and '(' for
// "[at]", '%' for a URL's "%40", the lead bytes of full-width digits
// and ＠, 元年 and 丁目, era names and the kanji digits 一 to 九, and
// those of the Japanese ats, ★ and bracketed アットマーク); everything
// else is skipped without decoding, so prose costs a table lookup per
// byte. Addresses written in words (taro at example dot jp) have no such
// byte: wordEmails searches for their at before the pass.
var trigger = func() (t [256]bool) {
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range []byte{'@', '[', '(', '<', '%', 0xEF, 0xE5, 0xE4, 0xE2} {
		t[c] = true
	}
	return
}()

func (s *Scanner) extract(buf []byte, lo, hi int, base int64) {
	if !s.reference {
		s.batching = true
		defer func() {
			s.flush()
			s.batching = false
		}()
	}
	if len(s.idChunks) < len(s.m.sets) {
		s.idChunks = make([]idChunk, len(s.m.sets))
	}
	for i := range s.idChunks {
		s.idChunks[i].valid = false // buf is another segment's
	}
	s.idQuiet = [2]int{}
	s.wordEmails(buf, lo, hi, base, " at ")
	s.wordEmails(buf, lo, hi, base, "AT ")
	s.kanaAts(buf, lo, hi, base)
	i := lo
	for i < hi {
		for i < hi && !trigger[buf[i]] {
			i++
		}
		if i >= hi {
			return
		}
		switch c := buf[i]; {
		case c >= '0' && c <= '9':
			i = s.numeric(buf, i, base)
		case c == '@':
			i = s.email(buf, i, 1, false, base)
		case c == '%':
			if hasPrefix(buf[i+1:], "40") {
				i = s.email(buf, i, 3, false, base) // taro%40example.jp, in a URL
			} else {
				i++
			}
		case c == '[' || c == '(' || c == '<' || c == 0xE2:
			if n := atObfuscation(buf[i:]); n > 0 {
				i = s.email(buf, i, n, true, base)
			} else if n := fingerprints.JapaneseAtLen(buf[i:]); n > 0 {
				i = s.email(buf, i, n, true, base) // taro★example.jp, taro(アットマーク)example.jp
			} else {
				i++
			}
		case c == 0xEF:
			switch {
			case fwDigit(buf, i) >= 0:
				i = s.numeric(buf, i, base)
			case hasPrefix(buf[i:], "＠"):
				i = s.email(buf, i, 3, false, base)
			default:
				if n := fingerprints.JapaneseAtLen(buf[i:]); n > 0 {
					i = s.email(buf, i, n, true, base) // taro（アットマーク）example.jp
				} else {
					i++
				}
			}
		case c == 0xE5:
			if hasPrefix(buf[i:], "元年") {
				i = s.numeric(buf, i, base)
			} else if eraKanjiAt(buf, i) {
				i = s.kanjiEraDate(buf, i, base)
			} else if e4e5Numeral(buf, i) {
				i = s.kanjiNumeral(buf, i, lo, base) // 〇六〇－〇〇〇一, 梅田二十一―四―九
			} else {
				i++
			}
		case c == 0xE4:
			if hasPrefix(buf[i:], "丁目") {
				i = s.kanjiBlock(buf, i, base)
			} else if eraKanjiAt(buf, i) {
				// 一九八五年 is a year; 一〇〇－〇〇〇五 a postal code.
				if j := s.kanjiEraDate(buf, i, base); j > i+1 {
					i = j
				} else {
					i = s.kanjiNumeral(buf, i, lo, base)
				}
			} else if e4e5Numeral(buf, i) {
				i = s.kanjiNumeral(buf, i, lo, base) // 〇九〇－一二三四－五六七八, 丸の内一－二－三
			} else {
				i++
			}
		default:
			i++
		}
	}
}

// kanjiEraDate looks up a date written in kanji numerals, of an era
// (昭和六十年一月二日, 平成元年一月八日) whose era's name is at buf[i], or
// of a Gregorian year whose digits are (一九八五年一月二日), and returns
// where extraction goes on. The trigger bytes E4 and E5 lead 令和, 平成
// and 大正, the 和 of 昭和, and the 一 and 二 of a year; 明治 leaves no
// one alive. Digits after the era are numeric's too.
func (s *Scanner) kanjiEraDate(buf []byte, i int, base int64) int {
	if s.costlyPass != 0 {
		return i + 1 // a costly set's pass looks for addresses alone
	}
	st, j := -1, 0
	switch {
	case kanjiYearAt(buf, i):
		st, j = i, i
	case hasPrefix(buf[i:], "平成"), hasPrefix(buf[i:], "大正"), hasPrefix(buf[i:], "令和"):
		st, j = i, i+len("平成")
	case hasPrefix(buf[i:], "和") && hasSuffix(buf[:i], "昭"):
		st, j = i-len("昭"), i+len("和")
	default:
		return i + 1
	}
	for n, unit := range []string{"年", "月", "日"} {
		k := j
		if n == 0 && hasPrefix(buf[k:], "元") {
			k += len("元") // the era's first year
		} else {
			for k < len(buf) && k-j < 5*3 && isDateKanjiNumeral(buf, k) {
				k += 3
			}
		}
		if k == j || !hasPrefix(buf[k:], unit) {
			return i + 1
		}
		j = k + len(unit)
	}
	s.lookupDate(buf[st:j], base+int64(st), base+int64(j))
	return j
}

// eraKanjiAt reports whether 平, 大, 令 or 和 (of 昭和), or 一 or 二 (of
// a year in kanji digits) stands at buf[i]: kanjiEraDate's first test,
// three bytes, for the many kanji of prose that start with E4 or E5. It
// inlines; kanjiEraDate checks the rest of the era's name or the year.
func eraKanjiAt(buf []byte, i int) bool {
	if i+2 >= len(buf) {
		return false
	}
	switch uint32(buf[i])<<16 | uint32(buf[i+1])<<8 | uint32(buf[i+2]) {
	case 0xE5B9B3, 0xE5A4A7, 0xE4BBA4, 0xE5928C, 0xE4B880, 0xE4BA8C: // 平 大 令 和 一 二
		return true
	}
	return false
}

// kanjiYearAt reports whether a year of the 1900s or 2000s written in
// kanji digits, then 年, stands at buf[i]: 一 or 二, then three of 〇 to 九.
func kanjiYearAt(buf []byte, i int) bool {
	if !hasPrefix(buf[i:], "一") && !hasPrefix(buf[i:], "二") {
		return false
	}
	for k := i + 3; k < i+12; k += 3 {
		if !isDateKanjiNumeral(buf, k) || hasPrefix(buf[k:], "十") {
			return false
		}
	}
	return hasPrefix(buf[i+12:], "年")
}

// isDateKanjiNumeral reports whether a kanji numeral of a date (〇 to 九,
// 十) stands at buf[i].
func isDateKanjiNumeral(buf []byte, i int) bool {
	for _, n := range [...]string{"〇", "一", "二", "三", "四", "五", "六", "七", "八", "九", "十"} {
		if hasPrefix(buf[i:], n) {
			return true
		}
	}
	return false
}

// fwDigit returns the value of a full-width digit at buf[i], or -1.
func fwDigit(buf []byte, i int) int {
	if i+2 < len(buf) && buf[i] == 0xEF && buf[i+1] == 0xBC && buf[i+2] >= 0x90 && buf[i+2] <= 0x99 {
		return int(buf[i+2] - 0x90)
	}
	return -1
}

// digitStarts reports whether a digit (ASCII or full-width) starts at
// buf[i].
func digitStarts(buf []byte, i int) bool {
	return i < len(buf) && (buf[i]-'0' <= 9 || fwDigit(buf, i) >= 0)
}

// digitAt returns the value and width of a digit (ASCII or full-width) at
// buf[i], or -1.
func digitAt(buf []byte, i int) (int, int) {
	if i < len(buf) && buf[i] >= '0' && buf[i] <= '9' {
		return int(buf[i] - '0'), 1
	}
	if d := fwDigit(buf, i); d >= 0 {
		return d, 3
	}
	return -1, 0
}

// Separator classes inside a numeric run.
const (
	sepDash = 1 << iota
	sepSlash
	sepDot
	sepParen
	sepSpace
	sepDate // 年 月 日
	sepAddr // 丁目 番地 番 号 の
)

// asciiSep is sepAt's class of each ASCII byte (0 for the rest): readRun
// tests it before calling sepAt, for the bytes of most runs.
var asciiSep = func() (t [256]uint8) {
	for c := 0; c < 0x80; c++ {
		t[c], _ = sepAt([]byte{byte(c)}, 0)
	}
	return
}()

// sepAt returns the class and width of a separator at buf[i], or 0.
func sepAt(buf []byte, i int) (uint8, int) {
	if i >= len(buf) {
		return 0, 0
	}
	switch buf[i] {
	case '-':
		return sepDash, 1
	case '/':
		return sepSlash, 1
	case '.':
		return sepDot, 1
	case '(', ')':
		return sepParen, 1
	case ' ':
		return sepSpace, 1
	}
	if buf[i] < 0x80 {
		return 0, 0
	}
	r, n := utf8.DecodeRune(buf[i:])
	switch r {
	case '‐', '‑', '‒', '–', '—', '―', '−', 'ー', 'ｰ', '－', '─', '━':
		return sepDash, n
	case '／':
		return sepSlash, n
	case '．':
		return sepDot, n
	case '（', '）':
		return sepParen, n
	case '\u3000':
		return sepSpace, n
	case '年', '月':
		return sepDate, n
	case '番', 'の':
		return sepAddr, n
	case '丁':
		if hasPrefix(buf[i+n:], "目") {
			return sepAddr, n + 3
		}
	}
	return 0, 0
}

// run is a maximal stretch of digits and single separators.
type run struct {
	start, end int   // bytes
	pieces     []int // the scanner's buffer, until the next run
	era        bool  // preceded by an era name or letter
	plus       bool  // preceded by '+'
	postal     bool  // preceded by 〒
	glued      bool  // its first digit follows a letter that is no era
	f          feat  // the features of buf[start:end], as features tells
}

// features of a candidate span. A span is at most a run (96 bytes) and
// what stands before it, so its counts fit in small integers; the struct
// is copied with every run and every piece of one, and is kept small.
type feat struct {
	groups  [8]uint8 // the digits of each group, in order
	digits  int16
	first   int8 // first digit, or -1
	ngroups int8
	seps    uint8 // separator classes seen
}

func features(buf []byte) feat {
	var f feat
	f.first = -1
	inGroup := false
	for i := 0; i < len(buf); {
		if d, n := digitAt(buf, i); n > 0 {
			f.digit(d, inGroup)
			inGroup = true
			i += n
			continue
		}
		inGroup = false
		if c, n := sepAt(buf, i); n > 0 {
			f.seps |= c
			i += n
			continue
		}
		if buf[i] == '+' {
			i++
			continue
		}
		if hasPrefix(buf[i:], "日") {
			f.seps |= sepDate
		} else if hasPrefix(buf[i:], "元") {
			f.gan()
		} else if hasPrefix(buf[i:], "号") || hasPrefix(buf[i:], "地") {
			f.seps |= sepAddr
		}
		_, n := utf8.DecodeRune(buf[i:])
		i += n
	}
	return f
}

// digit adds the digit d to f: to the group of the digit before it when
// inGroup, else to a group of its own (past the eighth group, to the
// eighth).
func (f *feat) digit(d int, inGroup bool) {
	if f.first < 0 {
		f.first = int8(d)
	}
	f.digits++
	if !inGroup && int(f.ngroups) < len(f.groups) {
		f.ngroups++
	}
	f.groups[f.ngroups-1]++
}

// gan adds 元, the first year of an era: a date's separator and the digit
// 1, a group of its own.
func (f *feat) gan() {
	f.seps |= sepDate
	f.digits++
	if int(f.ngroups) < len(f.groups) {
		f.ngroups++
	}
	f.groups[f.ngroups-1]++
	f.first = 1
}

// numeric reads the run of digits at buf[i] and tries its candidates.
func (s *Scanner) numeric(buf []byte, i int, base int64) int {
	if j := shortNumber(buf, i); j > i {
		// Nothing but an id can be that (logs are full of them), or the
		// day of an English date (Jan 2, 1985; 2nd Jan 1985).
		if j-i <= 2 && mayBeEnglishDay(buf, i) {
			s.englishDate(buf, i, base)
		}
		s.ids(buf, i, j, base)
		return j
	}
	r := &s.run
	readRun(r, buf, i)
	if r.f.groups[0] <= 2 && mayBeEnglishDay(buf, i) {
		s.englishDate(buf, i, base) // 2 Jan 1985, Jan 2 1985, 02-JAN-1985
	}
	s.classify(buf, r, r.start, r.end, base)
	if len(r.pieces) > 0 {
		// "生年月日 1985/01/02 090-1234-5678": pieces between spaces, and
		// runs of up to five of them, are candidates of their own.
		bounds := append(append(append(s.bounds[:0], r.start), r.pieces...), r.end)
		s.bounds = bounds
		for a := 0; a < len(bounds)-1; a++ {
			for b := a + 1; b < len(bounds) && b <= a+5; b++ {
				st, en := bounds[a], bounds[b]
				if a > 0 {
					st = skipSpace(buf, st)
				}
				if b < len(bounds)-1 {
					en = trimSpaceRight(buf, st, en)
				}
				if st == r.start && en == r.end {
					continue
				}
				sub := run{start: st, end: en, plus: r.plus && a == 0, era: r.era && a == 0, postal: r.postal && a == 0, glued: r.glued && a == 0,
					f: features(buf[st:en])}
				s.classify(buf, &sub, st, en, base)
			}
		}
	}
	s.ids(buf, r.start, r.end, base)
	return max(r.end, i+1)
}

// shortNumber returns the end of the ASCII digits at buf[i] when they
// are fewer than 7 and what follows cannot go on with the run (an ASCII
// byte that is no separator): a number no normalizer takes alone — every
// kind but ids needs 7 digits or more, or separators (dates, block
// numbers) — whatever stands before it. Else it returns i.
func shortNumber(buf []byte, i int) int {
	j := i
	for j < len(buf) && j-i < 7 && buf[j] >= '0' && buf[j] <= '9' {
		j++
	}
	if j-i >= 7 || j == i || j-i == 6 && eraMarkBefore(buf, i) > 0 {
		return i // S600102, 昭和600102: an era date of six digits
	}
	if j < len(buf) {
		switch c := buf[j]; {
		case c >= 0x80, c == '-', c == '/', c == '.', c == '(', c == ')', c == ' ':
			return i
		}
	}
	return j
}

// readRun reads the run at buf[i] into r, reusing its pieces.
func readRun(r *run, buf []byte, i int) {
	*r = run{start: i, pieces: r.pieces[:0]}
	// r.f is gathered on the way, as features would over the run: the
	// run is read once.
	r.f.first = -1
	j := i
	inGroup := false
	for j < len(buf) && j-i < 96 {
		if c := buf[j]; c >= '0' && c <= '9' {
			r.f.digit(int(c-'0'), inGroup)
			inGroup = true
			j++
			continue
		}
		if d := fwDigit(buf, j); d >= 0 {
			r.f.digit(d, inGroup)
			inGroup = true
			j += 3
			continue
		}
		inGroup = false
		if j == i && hasPrefix(buf[j:], "元年") {
			r.f.gan()
			j += 3 // 元, then 年 as a separator
			continue
		}
		c, n := asciiSep[buf[j]], 1
		if buf[j] >= 0x80 {
			c, n = sepAt(buf, j)
		}
		if c == 0 {
			// A date ends with 日, an address with 号 or 番地.
			if r.f.digits > 0 {
				switch {
				case hasPrefix(buf[j:], "日"):
					r.f.seps |= sepDate
					j += len("日")
				case hasPrefix(buf[j:], "号"):
					r.f.seps |= sepAddr
					j += len("号")
				case hasPrefix(buf[j:], "番地"):
					r.f.seps |= sepAddr
					j += len("番地")
				}
			}
			break
		}
		// A separator must be followed by a digit (or a space then a
		// digit after a closing parenthesis or 年/月).
		k := j + n
		if c == sepAddr && hasPrefix(buf[j:], "番") && hasPrefix(buf[k:], "地") {
			k += 3
		}
		if !digitStarts(buf, k) {
			sc, sn := sepAt(buf, k)
			if c == sepSpace && (sc == sepDash || sc == sepSlash) {
				// 090 - 1234 - 5678, 1985 / 01 / 02: a dash or a slash
				// with a space on either side is one separator. Both
				// sides are pieces too: 1985/01/02 - 2024/03/31 holds
				// two dates.
				if c2, n2 := sepAt(buf, k+sn); c2 == sepSpace && digitStarts(buf, k+sn+n2) {
					r.pieces = append(r.pieces, j, k+sn)
					r.f.seps |= sepSpace | sc
					j = k + sn + n2
					continue
				}
			}
			if c == sepSpace && r.f.digits > 0 && k < len(buf) && (buf[k] == 0xE5 || buf[k] == 0xE6) { // 年; 月, 日
				// 1985 年 1 月 2 日, 昭和 60 年: spaces around the kanji of
				// a date, as text drawn from a PDF has them. The space
				// splits pieces, as any: 090-1234-5678 年 2 回 keeps its
				// phone.
				if m := spacedDateSep(buf, k, r.f.seps&sepDate != 0); m > k {
					r.pieces = append(r.pieces, j)
					r.f.seps |= sepDate | sepSpace
					j = m
					if hasPrefix(buf[k:], "日") {
						break
					}
					continue
				}
			}
			if (c == sepParen || c == sepDate) && sc == sepSpace {
				if _, dn2 := digitAt(buf, k+sn); dn2 > 0 {
					r.pieces = append(r.pieces, k)
					r.f.seps |= c | sc
					j = k + sn
					continue
				}
			}
			if c == sepDate && hasPrefix(buf[j:], "年") && hasPrefix(buf[k:], "元") {
				r.f.seps |= c
				j = k
				continue
			}
			// The year again, in the other calendar: 1985年（昭和60年）1月2日,
			// 昭和60年（1985年）1月2日, 1985（昭和60）年1月2日. A parenthesis
			// and 年 in either order go on to a digit, and an opening
			// parenthesis to an era's name and its year.
			if c|sc != sepDate|sepParen {
				sc, sn = 0, 0
			}
			if c == sepParen && opensParen(buf, j) || sc == sepParen && opensParen(buf, k) {
				if m := altYearAt(buf, k+sn); m > k+sn {
					r.f.seps |= c | sc
					j = m
					if hasPrefix(buf[j:], "元") {
						r.f.gan()
						j += len("元")
					}
					continue
				}
			}
			if sn > 0 && digitStarts(buf, k+sn) {
				r.f.seps |= c | sc
				j = k + sn
				continue
			}
			break
		}
		if c == sepSpace {
			r.pieces = append(r.pieces, j)
		} else if c == sepParen && !opensParen(buf, j) {
			// 山田太郎（35）090-1234-5678: what follows a closing
			// parenthesis is a candidate of its own too.
			r.pieces = append(r.pieces, k)
		} else if c == sepParen && r.f.seps&(sepDash|sepSlash|sepDot) != 0 {
			// 1985/01/02(39歳), 090-1234-5678(3): what stands before an
			// opening parenthesis, once it has separators of its own
			// (090(1234)5678 has none), is a candidate of its own too.
			r.pieces = append(r.pieces, j)
		}
		r.f.seps |= c
		j = k
	}
	r.end = j
	// What stands just before the run.
	p := i
	if p > 0 && (buf[p-1] == '(') {
		p--
	} else if hasSuffix(buf[:p], "（") {
		p -= 3
	}
	if p > 0 && buf[p-1] == '+' {
		r.plus = true
		p--
	} else if hasSuffix(buf[:p], "＋") {
		r.plus = true
		p -= 3
	}
	q := p
	if q > 0 && (buf[q-1] == ' ') {
		q--
	}
	if n := eraMarkBefore(buf, q); n > 0 {
		r.era, p = true, q-n
	}
	// P0010001, C00396871, ORD20240101: the digits of a word, an id or
	// a code, are no postal code and no date (an era letter alone, as in
	// S60.1.2, is one of their own).
	if _, n := letterBefore(buf, i); n > 0 && !r.era {
		r.glued = true
	}
	if hasSuffix(buf[:q], "〒") {
		r.postal = true
		p = q - len("〒")
	}
	if p < i {
		// What stands before the run adds no digit, only separators: a
		// parenthesis, a space, an era letter's dot.
		if pf := features(buf[p:i]); pf.digits == 0 {
			r.f.seps |= pf.seps
		} else {
			r.f = features(buf[p:r.end])
		}
	}
	r.start = p
}

// spacedDateSep returns where the date goes on after the 年 or 月 at
// buf[k], and a space perhaps, when a digit follows; after a 日 (which
// ends the date) at buf[k], if the run is a date already (inDate), where
// it ends. Else it returns k.
func spacedDateSep(buf []byte, k int, inDate bool) int {
	if hasPrefix(buf[k:], "日") {
		if !inDate {
			return k
		}
		return k + len("日")
	}
	c, n := sepAt(buf, k)
	if c != sepDate {
		return k
	}
	m := k + n
	if sc, sn := sepAt(buf, m); sc == sepSpace {
		m += sn
	}
	if !digitStarts(buf, m) {
		return k
	}
	return m
}

// opensParen reports whether an opening parenthesis, half- or full-width,
// stands at buf[i].
func opensParen(buf []byte, i int) bool {
	return i < len(buf) && buf[i] == '(' || hasPrefix(buf[i:], "（")
}

// altYearAt returns where the year of the era named at buf[i] starts (a
// digit, or 元), or i.
func altYearAt(buf []byte, i int) int {
	for _, era := range eraNames {
		if hasPrefix(buf[i:], era) {
			if j := i + len(era); digitStarts(buf, j) || hasPrefix(buf[j:], "元") {
				return j
			}
			return i
		}
	}
	return i
}

// eraMarkBefore returns the length of the era that ends at buf[q], or 0:
// an era name (昭和), an era letter standing alone (S), or such a letter
// and a dot, half- or full-width (S.60.1.2, Ｓ．６０．１．２).
func eraMarkBefore(buf []byte, q int) int {
	if q == 0 {
		return 0
	}
	if c := buf[q-1]; c < 0x80 && c != '.' && !isASCIILetter(c) {
		return 0 // what every run but an era date's follows: a byte test
	}
	if n := eraNameBefore(buf, q); n > 0 {
		return n
	}
	if n := eraLetterBefore(buf, q); n > 0 {
		return n
	}
	if q == 0 {
		return 0
	}
	dot := 0
	switch buf[q-1] { // a byte test first: every run is asked
	case '.':
		dot = 1
	case "．"[2]:
		if hasSuffix(buf[:q], "．") {
			dot = len("．")
		}
	}
	if dot > 0 {
		if n := eraLetterBefore(buf, q-dot); n > 0 {
			return n + dot
		}
	}
	return 0
}

// eraNameBefore returns the length of the era name (昭和, ㍼, or 昭 alone)
// that ends at buf[q], or 0.
func eraNameBefore(buf []byte, q int) int {
	if q == 0 || buf[q-1] < 0x80 {
		return 0 // every era name ends in a multi-byte character
	}
	for _, era := range eraNames {
		if hasSuffix(buf[:q], era) {
			return len(era)
		}
	}
	for _, era := range eraAbbrevs {
		if hasSuffix(buf[:q], era) {
			return len(era)
		}
	}
	return 0
}

// eraAbbrevs are the eras' first kanji, which stand for them before
// digits: 昭60.1.2.
var eraAbbrevs = []string{"昭", "平", "令", "大", "明"}

// eraLetterBefore returns the length of the era letter (M, T, S, H or R,
// in either case, half- or full-width: S60.1.2, Ｓ６０．１．２) that ends
// at buf[q] and stands alone, after no other letter; else 0.
func eraLetterBefore(buf []byte, q int) int {
	c, n := letterBefore(buf, q)
	switch c | 0x20 {
	case 's', 'h', 'r', 't', 'm':
		if _, m := letterBefore(buf, q-n); m == 0 {
			return n
		}
	}
	return 0
}

// letterBefore returns the Latin letter that ends at buf[q], half- or
// full-width (as its ASCII form), and its length in bytes; or 0, 0.
func letterBefore(buf []byte, q int) (byte, int) {
	switch {
	case q >= 1 && isASCIILetter(buf[q-1]):
		return buf[q-1], 1
	case q >= 3 && buf[q-3] == 0xEF:
		if r, n := utf8.DecodeLastRune(buf[:q]); n == 3 && (r >= 'Ａ' && r <= 'Ｚ' || r >= 'ａ' && r <= 'ｚ') {
			return byte(r - 0xFEE0), 3
		}
	}
	return 0, 0
}

var eraNames = []string{"昭和", "平成", "令和", "大正", "明治", "㍼", "㍻", "㋿", "㍽", "㍾"}

func isASCIILetter(c byte) bool { return c|0x20 >= 'a' && c|0x20 <= 'z' }

func skipSpace(buf []byte, i int) int {
	for i < len(buf) {
		if buf[i] == ' ' {
			i++
		} else if hasPrefix(buf[i:], "\u3000") {
			i += 3
		} else {
			break
		}
	}
	return i
}

func trimSpaceRight(buf []byte, lo, hi int) int {
	for hi > lo {
		if buf[hi-1] == ' ' {
			hi--
		} else if hasSuffix(buf[lo:hi], "\u3000") {
			hi -= 3
		} else {
			break
		}
	}
	return hi
}

// classify decides which kinds a span of a run could be and looks it up as
// each. The normalizers do the real checking (dates exist, check digits,
// Luhn), so these rules only keep obviously wrong kinds from costing a
// fingerprint. r.f holds the span's features.
func (s *Scanner) classify(buf []byte, r *run, st, en int, base int64) {
	span := buf[st:en]
	f := r.f
	if s.costlyPass != 0 {
		// A costly set's pass around its hits: only addresses are left.
		if blockShape(f) {
			s.address(buf, st, en, base)
		}
		return
	}
	start, end := base+int64(st), base+int64(en)
	g := f.groups[:f.ngroups]
	dateShape := f.seps&sepDate != 0 || r.era ||
		(f.ngroups == 3 && g[0] == 4 && g[1] <= 2 && g[2] <= 2 && f.seps&(sepSlash|sepDash|sepDot) != 0 && f.seps&(sepAddr|sepParen) == 0) ||
		(f.ngroups == 1 && f.digits == 8 && f.seps == 0) ||
		// 3600102: an era's code, then YYMMDD; or a postal code, tried
		// as one too (after 〒, the span holds the mark, and is no date).
		(f.ngroups == 1 && f.digits == 7 && f.seps == 0 && f.first >= 1 && f.first <= 5)
	if dateShape && f.seps&sepAddr == 0 && !r.glued {
		s.lookupDate(span, start, end)
	}
	if f.seps&(sepDate|sepAddr) == 0 && !r.era {
		// A domestic number has 10 or 11 digits, one dialled from abroad
		// up to 19: 0081 or 010 81, then 81's national number with its
		// 0 perhaps repeated, or 00 or 010 and another country's.
		if (r.plus && f.digits >= 8 && f.digits <= 15) || (f.first == 0 && f.digits >= 10 && f.digits <= 19) {
			s.lookup(fingerprints.Phone, span, start, end)
		} else if f.first == 8 && g[0] == 2 && f.ngroups >= 3 && f.digits >= 11 && f.digits <= 13 && !r.glued && f.seps&^(sepDash|sepSpace|sepParen|sepDot) == 0 {
			// 81-90-1234-5678, (81) 90 1234 5678, 81-090-…: a
			// country code without its +, which the normalizer
			// cannot place (a bare local number neither).
			s.plus = append(append(s.plus[:0], '+'), span...)
			s.lookup(fingerprints.Phone, s.plus, start, end)
		}
		if f.digits == 7 && !r.glued && (r.postal || f.ngroups == 1 || (f.ngroups == 2 && g[0] == 3 && f.seps&^sepSpace == sepDash)) {
			s.lookup(fingerprints.Postal, span, start, end)
		}
		if f.digits == 12 && (f.ngroups == 1 || (f.ngroups == 3 && g[0] == 4 && g[1] == 4)) {
			s.lookup(fingerprints.MyNumber, span, start, end)
		}
		if f.digits >= 13 && f.digits <= 19 && f.seps&^(sepDash|sepSpace) == 0 {
			s.lookup(fingerprints.Card, span, start, end)
		}
	}
	if blockShape(f) {
		s.address(buf, st, en, base)
	}
}

// lookupDate looks a date up as a birthdate and as a date. Both kinds
// have one normalizer, so without birthdates in any set it is tried as a
// date at once, and a span that is no birthdate is no date.
func (s *Scanner) lookupDate(span []byte, start, end int64) {
	if !s.m.hasKind[fingerprints.Birthdate] && !s.reference {
		s.lookup(fingerprints.Date, span, start, end)
	} else if s.lookup(fingerprints.Birthdate, span, start, end) {
		s.lookup(fingerprints.Date, span, start, end)
	}
}

// blockShape reports whether a span looks like the block numbers that end
// a Japanese address: 1-2-3, 1丁目2番3号, 12-34.
func blockShape(f feat) bool {
	if f.seps&sepAddr != 0 && f.ngroups >= 1 {
		return f.seps&(sepDate|sepSlash) == 0
	}
	if f.ngroups < 2 || f.ngroups > 4 || f.seps&^sepDash != 0 || f.first == 0 {
		return false
	}
	for _, n := range f.groups[:f.ngroups] {
		if n > 4 {
			return false
		}
	}
	return true
}

// ids looks for the operator's id pattern around a numeric run: a match
// that overlaps the run and lies within 48 bytes of it is looked up as
// written. The pattern is matched against the text with full-width ASCII
// folded (Ｃ００１２ reads as C0012). The text is searched in chunks of a
// few kilobytes (idChunkSize) and their matches kept for the runs that
// follow, instead of once per run: a CSV row has a dozen runs.
func (s *Scanner) ids(buf []byte, st, en int, base int64) {
	if s.costlyPass != 0 {
		return // looked up in the extraction pass
	}
	if s.reference {
		s.idsInWindow(buf, st, en, base)
		return
	}
	lo, hi := max(st-48, 0), min(en+48, len(buf))
	for lo > 0 && !utf8.RuneStart(buf[lo]) {
		lo--
	}
	if lo >= s.idQuiet[0] && hi <= s.idQuiet[1] {
		return // no set's pattern matches there
	}
	quiet := [2]int{lo, len(buf)}
	for si := range s.m.sets {
		if s.m.sets[si].idRe == nil {
			continue
		}
		c := &s.idChunks[si]
		if !c.valid || lo < c.lo || hi > c.hi {
			s.searchIDs(buf, si, lo, hi)
		}
		if len(c.matches) > 0 {
			quiet[1] = 0
		}
		quiet[0], quiet[1] = max(quiet[0], c.lo), min(quiet[1], c.hi)
		// The first match ending after st: runs come in order, so the
		// search goes on from the last run's.
		i := c.next
		if st < c.lastSt {
			i, _ = slices.BinarySearchFunc(c.matches, st, func(m [2]int, st int) int { return cmp.Compare(m[1], st+1) })
		}
		for i < len(c.matches) && c.matches[i][1] <= st {
			i++
		}
		c.next, c.lastSt = i, st
		for ; i < len(c.matches) && c.matches[i][0] < en; i++ {
			a, b := c.matches[i][0], c.matches[i][1]
			if b <= st || a < lo || b > hi {
				continue // not this run's
			}
			s.lookup(fingerprints.ID, buf[a:b], base+int64(a), base+int64(b))
		}
	}
	s.idQuiet = quiet
}

// idChunkSize is how far past a run's window its id search reaches, for
// the runs after it.
const idChunkSize = 4 << 10

// idChunk is the id matches of one set in buf[lo:hi], in order.
type idChunk struct {
	valid   bool
	lo, hi  int
	matches [][2]int
	// next is the first match ending after lastSt, the last run's start.
	next, lastSt int
}

// searchIDs searches buf[lo:] for the id pattern of set si, up to hi and
// on to the end of the line idChunkSize bytes further (or that far).
func (s *Scanner) searchIDs(buf []byte, si, lo, hi int) {
	set := &s.m.sets[si]
	end := min(hi+idChunkSize, len(buf))
	if end > hi {
		if nl := bytes.LastIndexByte(buf[hi:end], '\n'); nl >= 0 {
			end = hi + nl + 1
		}
	}
	for end < len(buf) && !utf8.RuneStart(buf[end]) {
		end++
	}
	c := &s.idChunks[si]
	*c = idChunk{valid: true, lo: lo, hi: end, matches: c.matches[:0]}
	text, ident := buf[lo:end], true
	lit := set.idLit
	if !hasFullWidthASCII(text) {
		if len(lit) > 0 && !bytes.Contains(text, lit) {
			return // every match starts with lit
		}
	} else {
		// Full-width ASCII (U+FF01–FF5E) is EF BC xx or EF BD xx, and is
		// folded; lit's first byte is in the folded text only where it or
		// its full-width form is in the text.
		if len(set.idLitFW) > 0 && bytes.IndexByte(text, lit[0]) < 0 && !bytes.Contains(text, set.idLitFW) {
			return
		}
		text, s.foldMap = foldWidth(s.fold[:0], s.foldMap[:0], text)
		s.fold, ident = text, false
		if len(lit) > 0 && !bytes.Contains(text, lit) {
			return
		}
	}
	s.idLocs = findIDs(s.idLocs[:0], set, text)
	for _, loc := range s.idLocs {
		a, b := lo+loc[0], lo+loc[1]
		if !ident {
			a, b = lo+s.foldMap[loc[0]], lo+s.foldMap[loc[1]]
		}
		c.matches = append(c.matches, [2]int{a, b})
	}
}

// findIDs appends to dst the matches of set's id pattern in text, as
// idRe.FindAllIndex finds them. With an anchored pattern (idAt) it tries
// the places where the literal prefix stands, which every match starts
// with: the first that matches is where the unanchored search would find
// its leftmost match, and the next search starts after it, as that one's
// does. Without empty-width assertions the anchored pattern cannot tell
// text[i:] from the text around it.
func findIDs(dst [][2]int, set *matcherSet, text []byte) [][2]int {
	if set.idAt == nil {
		for _, loc := range set.idRe.FindAllIndex(text, -1) {
			dst = append(dst, [2]int{loc[0], loc[1]})
		}
		return dst
	}
	for i := 0; i < len(text); {
		j := bytes.Index(text[i:], set.idLit)
		if j < 0 {
			break
		}
		i += j
		if loc := set.idAt.FindIndex(text[i:]); loc != nil {
			dst = append(dst, [2]int{i, i + loc[1]})
			i += max(loc[1], 1)
			continue
		}
		i++
	}
	return dst
}

// anchoredID returns pattern anchored at the start of its input, or nil
// when the fast search cannot use it: no literal prefix, or an
// empty-width assertion (^, $, \b, \B, \A, \z), whose answer depends on
// the text around a match.
func anchoredID(pattern, lit string) *regexp.Regexp {
	if lit == "" {
		return nil
	}
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil || hasEmptyWidth(re) {
		return nil
	}
	at, err := regexp.Compile(`^(?:` + pattern + `)`)
	if err != nil {
		return nil
	}
	return at
}

func hasEmptyWidth(re *syntax.Regexp) bool {
	switch re.Op {
	case syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	}
	for _, sub := range re.Sub {
		if hasEmptyWidth(sub) {
			return true
		}
	}
	return false
}

// hasFullWidthASCII reports whether b holds a full-width ASCII character
// (U+FF01–FF5E: EF BC 81–BF, EF BD 80–9E), which ids fold; half-width kana
// (EF BD A6 on) and other text need no folding.
func hasFullWidthASCII(b []byte) bool {
	for {
		i := bytes.IndexByte(b, 0xEF)
		if i < 0 || i+2 >= len(b) {
			return false
		}
		switch b[i+1] {
		case 0xBC:
			if b[i+2] >= 0x81 {
				return true
			}
		case 0xBD:
			if b[i+2] <= 0x9E {
				return true
			}
		}
		b = b[i+1:]
	}
}

// idsInWindow is ids the straightforward way, matching the pattern in the
// window of each run: the reference the tests compare ids with.
func (s *Scanner) idsInWindow(buf []byte, st, en int, base int64) {
	var folded []byte
	ident := false // folded is the window itself
	for si := range s.m.sets {
		re := s.m.sets[si].idRe
		if re == nil {
			continue
		}
		lo, hi := max(st-48, 0), min(en+48, len(buf))
		for lo > 0 && !utf8.RuneStart(buf[lo]) {
			lo--
		}
		if folded == nil {
			if bytes.IndexByte(buf[lo:hi], 0xEF) < 0 {
				folded, ident = buf[lo:hi:hi], true
			} else {
				folded, s.foldMap = foldWidth(s.fold[:0], s.foldMap[:0], buf[lo:hi])
				s.fold = folded
			}
		}
		for _, loc := range re.FindAllIndex(folded, -1) {
			a, b := lo+loc[0], lo+loc[1]
			if !ident {
				a, b = lo+s.foldMap[loc[0]], lo+s.foldMap[loc[1]]
			}
			if b <= st || a >= en {
				continue // not this run's
			}
			s.lookup(fingerprints.ID, buf[a:b], base+int64(a), base+int64(b))
		}
	}
}

// foldWidth appends src to dst with full-width ASCII (U+FF01–FF5E) turned
// into ASCII, and records in m, for each byte of the result and one past
// its end, the offset in src it came from.
func foldWidth(dst []byte, m []int, src []byte) ([]byte, []int) {
	for i := 0; i < len(src); {
		r, n := utf8.DecodeRune(src[i:])
		if r >= 0xFF01 && r <= 0xFF5E {
			dst = append(dst, byte(r-0xFF01+0x21))
			m = append(m, i)
		} else {
			for k := 0; k < n; k++ {
				dst = append(dst, src[i+k])
				m = append(m, i+k)
			}
		}
		i += n
	}
	return dst, append(m, len(src))
}

// atObfuscation returns the length of "[at]" or "(at)" at the start of b.
func atObfuscation(b []byte) int {
	if len(b) >= 4 && (b[0] == '[' && b[3] == ']' || b[0] == '(' && b[3] == ')') && b[1]|0x20 == 'a' && b[2]|0x20 == 't' {
		return 4
	}
	return 0
}

// kanaAts finds the addresses whose at is a full-width アットマーク that
// stands bare (taro.yamadaアットマークexample.jp) or in 【】 or 〔〕 in
// [lo, hi): the pass does not stop at them, as their first byte leads
// every kana, so a search for the word does, before it, as wordEmails
// does for " at ". The brackets the pass stops at, (), <>, [] and their
// full-width forms, are left to it.
func (s *Scanner) kanaAts(buf []byte, lo, hi int, base int64) {
	if s.costlyPass != 0 {
		return
	}
	const word = "アットマーク"
	// The search is for the word's tail from the last byte of マ (9E),
	// a byte few characters hold, instead of its E3, which every kana
	// starts with: a search for the whole word cost a third of the
	// scan of Japanese prose.
	const tail = "\x9eーク"
	const back = len("アットマ") - 1
	end := min(hi+len(word)-1, len(buf))
	for i := lo + back; i < end; {
		k := bytes.Index(buf[i:end], []byte(tail))
		if k < 0 {
			return
		}
		i += k - back
		if !hasPrefix(buf[i:], word) {
			i += back + 1
			continue
		}
		st := i
		switch {
		case hasSuffix(buf[:i], "【"), hasSuffix(buf[:i], "〔"):
			st = i - len("【")
		case i > 0 && (buf[i-1] == '(' || buf[i-1] == '[' || buf[i-1] == '<'),
			hasSuffix(buf[:i], "（"), hasSuffix(buf[:i], "［"), hasSuffix(buf[:i], "＜"):
			i += len(word)
			continue // the pass reads it
		}
		if n := fingerprints.JapaneseAtLen(buf[st:]); n > 0 {
			s.email(buf, st, n, true, base)
		}
		i += len(word)
	}
}

// email reads the address around an '@' (or ＠, [at], (at), %40, ★,
// (アットマーク)) of width n at buf[i] and looks it up. When spaced, the at
// and a bracketed dot may stand between spaces (taro [at] example [dot]
// jp), which the normalizer drops with them.
func (s *Scanner) email(buf []byte, i, n int, spaced bool, base int64) int {
	at0, at1 := i, i+n // the at, and the spaces around a bracketed one
	if spaced && at0 > 0 && buf[at0-1] == ' ' {
		at0--
	}
	if spaced && at1 < len(buf) && buf[at1] == ' ' {
		at1++
	}
	st := at0
	for st > 0 && i-st < 256 {
		c := buf[st-1]
		if c < 0x80 {
			if localPartByte[c] {
				st--
				continue
			}
			break
		}
		r, size := utf8.DecodeLastRune(buf[:st])
		if isFullWidthEmailRune(r) {
			st -= size
			continue
		}
		break
	}
	en := at1
	for en < len(buf) && en-i < 256 {
		c := buf[en]
		if c < 0x80 {
			if domainByte[c] {
				en++
				continue
			}
			if m := dotObfuscation(buf[en:]); m > 0 {
				en += m
				continue
			}
			if m := dotObfuscation(buf[min(en+1, len(buf)):]); spaced && c == ' ' && m > 0 && en+1+m < len(buf) && buf[en+1+m] == ' ' {
				en += 1 + m + 1 // example [dot] jp
				continue
			}
			break
		}
		r, size := utf8.DecodeRune(buf[en:])
		if isFullWidthEmailRune(r) {
			en += size
			continue
		}
		break
	}
	for en > at1 && buf[en-1] == '.' {
		en--
	}
	if st < at0 && en > at1 && s.costlyPass == 0 {
		s.lookup(fingerprints.Email, buf[st:en], base+int64(st), base+int64(en))
		// 'taro@example.jp' in SQL, email=taro@example.jp, |taro@…|: the
		// walk back took punctuation that local parts allow but seldom
		// hold, and that quotes or delimits the address here. The address
		// after it is tried too.
		if st2 := plainLocalStart(buf, at0); st2 > st && st2 < at0 {
			s.lookup(fingerprints.Email, buf[st2:en], base+int64(st2), base+int64(en))
		}
	}
	return max(en, i+1)
}

// wordEmails looks up the addresses written in words whose at (sep, " at "
// or "AT " after a space) has its first space in buf[lo:hi]: taro.yamada at
// example dot jp, taro dot yamada at example.jp. The normalizer reads the
// words; the words around the at must be a plain local part and a domain
// with a dot. (The upper-case at is searched without its space:
// bytes.Index skips ahead to its first byte, which a capital A makes rare
// in prose and a space frequent.)
func (s *Scanner) wordEmails(buf []byte, lo, hi int, base int64, sep string) {
	if s.costlyPass != 0 {
		return
	}
	end := hi + len(sep) - 1 // sep starts before hi,
	if sep[0] != ' ' {
		end++ // or at hi, after the space
	}
	for i := lo; i < hi; {
		k := bytes.Index(buf[i:min(end, len(buf))], []byte(sep))
		if k < 0 {
			return
		}
		i += k
		if sep[0] != ' ' {
			if i == lo || buf[i-1] != ' ' {
				i++
				continue
			}
			i--
		}
		if en := wordDomainEnd(buf, i+len(" at ")); en > 0 {
			st := plainLocalStart(buf, i)
			for st < i && st >= 6 && (hasPrefix(buf[st-5:], " dot ") || hasPrefix(buf[st-5:], " DOT ")) && plainLocalByte[buf[st-6]] {
				st = plainLocalStart(buf, st-5) // taro dot yamada at …
			}
			if st < i {
				s.lookup(fingerprints.Email, buf[st:en], base+int64(st), base+int64(en))
			}
		}
		i += len(" at ") - 1 // the space after may start the next one
	}
}

// wordDomainEnd returns where the domain that starts at buf[i] ends, its
// labels separated by dots or by " dot " (either case); 0 if it has
// fewer than two labels.
func wordDomainEnd(buf []byte, i int) int {
	labels, en := 0, i
	for j := i; ; {
		st := j
		for j < len(buf) && j-i < 256 && (domainByte[buf[j]] && buf[j] != '.') {
			j++
		}
		if j == st {
			break
		}
		labels, en = labels+1, j
		switch {
		case j+1 < len(buf) && buf[j] == '.':
			j++
		case j+5 < len(buf) && (hasPrefix(buf[j:], " dot ") || hasPrefix(buf[j:], " DOT ")):
			j += 5
		default:
			j = len(buf)
		}
	}
	if labels < 2 {
		return 0
	}
	return en
}

// plainLocalStart returns where the local part that ends at buf[at] starts
// when it holds only letters, digits and . _ + -, half- or full-width (a
// '+' percent-encoded, as %2B, too).
func plainLocalStart(buf []byte, at int) int {
	st := at
	for st > 0 && at-st < 256 {
		if c := buf[st-1]; c < 0x80 {
			if !plainLocalByte[c] && !(c == '%' && (hasPrefix(buf[st:], "2B") || hasPrefix(buf[st:], "2b"))) {
				break
			}
			st--
			continue
		}
		r, size := utf8.DecodeLastRune(buf[:st])
		if !isFullWidthEmailRune(r) {
			break
		}
		st -= size
	}
	return st
}

// localPartByte and domainByte are the ASCII bytes of an address's local
// part and domain; plainLocalByte those most local parts are made of.
var localPartByte, domainByte, plainLocalByte = func() (l, d, p [256]bool) {
	for c := 0; c < 0x80; c++ {
		alnum := isASCIILetter(byte(c)) || c >= '0' && c <= '9'
		l[c] = alnum || bytes.IndexByte([]byte("._%+-!#$&'*/=?^`{|}~"), byte(c)) >= 0
		d[c] = alnum || c == '-' || c == '.'
		p[c] = alnum || bytes.IndexByte([]byte("._+-"), byte(c)) >= 0
	}
	return
}()

func dotObfuscation(b []byte) int {
	if len(b) >= 5 && (b[0] == '[' && b[4] == ']' || b[0] == '(' && b[4] == ')') &&
		b[1]|0x20 == 'd' && b[2]|0x20 == 'o' && b[3]|0x20 == 't' {
		return 5
	}
	return 0
}

func isFullWidthEmailRune(r rune) bool {
	return r >= '０' && r <= '９' || r >= 'Ａ' && r <= 'Ｚ' || r >= 'ａ' && r <= 'ｚ' || r == '．' || r == '＿' || r == '－' || r == '＋'
}

// hasPrefix is bytes.HasPrefix for a short constant: most calls fail at
// the first byte, which a call of the general comparison costs far more
// than.
func hasPrefix(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

// hasSuffix is bytes.HasSuffix for a short constant, comparing from the
// end.
func hasSuffix(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	b = b[len(b)-len(s):]
	for i := len(s) - 1; i >= 0; i-- {
		if b[i] != s[i] {
			return false
		}
	}
	return true
}

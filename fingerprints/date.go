package fingerprints

import (
	"bytes"
	"unicode/utf8"
)

// Dates, for both Birthdate and Date.
//
// Canonical form: "YYYY-MM-DD" (Gregorian).
//
// Accepted, after NFKC (full-width digits, ㍾㍽㍼㍻㋿ → 明治 大正 昭和 平成
// 令和) and removal of white space:
//   - year, month and day separated by one of "/", "-" (or a look-alike) and
//     ".", used twice: 1985/01/02, 1985-1-2, 1985.1.2;
//   - eight digits: 19850102;
//   - 年, 月 and an optional 日: 1985年1月2日;
//   - any of these with an era instead of a four-digit year: an era name
//     (明治 大正 昭和 平成 令和), its first kanji alone (明 大 昭 平 令,
//     before digits or 元) or its letter (M T S H R, either case, and may be
//     followed by a dot), then the era year in one or two digits or 元 (first
//     year): 昭和60年1月2日, 昭60.1.2, S60.1.2, S.60.1.2, H元.1.8;
//   - seven digits, an era's code then YYMMDD, as Japanese registers and
//     billing systems store dates (1 明治, 2 大正, 3 昭和, 4 平成, 5 令和):
//     3600102;
//   - in the 年 form, the year may be followed, before or after 年, by the
//     same year in the other calendar between parentheses:
//     昭和60年（1985年）1月2日, 1985年（昭和60年）1月2日, 1985（昭和60）年1月2日;
//     a year that differs rejects the date;
//   - an English month, in full or by its first three letters (and Sept),
//     in any case, an abbreviation perhaps followed by a dot, with the day
//     (1–2 digits, perhaps with st, nd, rd or th) and a four-digit year:
//     Jan 2, 1985; January 2nd 1985; 2 Jan 1985; 02-JAN-1985; 2/Jan/1985.
//
// Numbers may also be written in kanji (昭和六十年一月二日, 一九八五年).
// A date must exist, lie in 1868-2100, and lie inside its era: 昭和64年1月8日
// and 平成元年1月7日 are rejected. Two-digit years without an era are
// rejected (they are ambiguous).
//
// Dates in 明治 1-5 (before 1873) were written in the lunisolar calendar;
// they are taken as Gregorian, as every system that emits such dates does.

func init() {
	register(Birthdate, func(dst, src []byte) ([]byte, error) { return appendDate(dst, src, &birthdateErrs) })
	register(Date, func(dst, src []byte) ([]byte, error) { return appendDate(dst, src, &dateErrs) })
}

// dateErrors holds the errors of one date kind, made once so that rejecting
// a candidate does not allocate.
type dateErrors struct {
	syntax, noDate, outOfRange, era, shortYear error
}

func newDateErrors(k Kind) dateErrors {
	return dateErrors{
		syntax:     invalid(k, "not a recognized date format"),
		noDate:     invalid(k, "no such date"),
		outOfRange: invalid(k, "year out of range"),
		era:        invalid(k, "date outside its era"),
		shortYear:  invalid(k, "year needs four digits or an era"),
	}
}

var (
	birthdateErrs = newDateErrors(Birthdate)
	dateErrs      = newDateErrors(Date)
)

// An era of the Japanese calendar.
type era struct {
	name   string // 昭和
	letter byte   // 'S'
	offset int    // Gregorian year = era year + offset
	first  int    // first day, as YYYYMMDD
}

// eras, in order. The first days are those of the official proclamations
// (明治 counted from 1 January of its first lunisolar year, 1868-01-25).
var eras = [...]era{
	{"明治", 'M', 1867, 18680125},
	{"大正", 'T', 1911, 19120730},
	{"昭和", 'S', 1925, 19261225},
	{"平成", 'H', 1988, 19890108},
	{"令和", 'R', 2018, 20190501},
}

const (
	minDate = 18680101
	maxDate = 21001231
)

func appendDate(dst, src []byte, errs *dateErrors) ([]byte, error) {
	start := len(dst)
	dst = appendNFKC(dst, src)
	// Remove white space in place.
	b := dst[start:]
	w := 0
	for r := 0; r < len(b); {
		c := b[r]
		if c < utf8.RuneSelf {
			r++
			if !isASCIISpace(c) {
				b[w] = c
				w++
			}
			continue
		}
		ru, size := utf8.DecodeRune(b[r:])
		if !isSpace(ru) {
			copy(b[w:], b[r:r+size])
			w += size
		}
		r += size
	}
	b = b[:w]
	dst = dst[:start]

	y, m, d, e, ok := parseDate(b)
	if !ok {
		if e == errShortYear {
			return dst, errs.shortYear
		}
		return dst, errs.syntax
	}
	var next int = maxDate + 1
	if e >= 0 {
		if y < 1 {
			return dst, errs.era
		}
		y += eras[e].offset
		if e+1 < len(eras) {
			next = eras[e+1].first
		}
	}
	if m < 1 || m > 12 || d < 1 || d > daysIn(y, m) {
		return dst, errs.noDate
	}
	ymd := y*10000 + m*100 + d
	if ymd < minDate || ymd > maxDate {
		return dst, errs.outOfRange
	}
	if e >= 0 && (ymd < eras[e].first || ymd >= next) {
		return dst, errs.era
	}
	dst = append(dst, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+d/10), byte('0'+d%10))
	return dst, nil
}

// Values of parseDate's era result besides era indexes.
const (
	noEra        = -1
	errShortYear = -2
)

// parseDate splits b into year, month and day. e is the index of the era in
// eras, noEra for a Gregorian year, or errShortYear when ok is false because
// a year has fewer than four digits and no era.
func parseDate(b []byte) (y, m, d, e int, ok bool) {
	if y, m, d, ok := parseEnglishDate(b); ok {
		return y, m, d, noEra, true
	}
	e = noEra
	p := 0
	for i := range eras {
		if bytes.HasPrefix(b, []byte(eras[i].name)) {
			e, p = i, len(eras[i].name)
			break
		}
	}
	if e == noEra && len(b) > 3 && b[0] >= 0x80 {
		// 昭60.1.2, 平元年1月8日: the era's first kanji alone, as forms
		// and registers abbreviate it.
		for i := range eras {
			if a := eras[i].name[:3]; bytes.HasPrefix(b, []byte(a)) && (isASCIIDigit(b[3]) || bytes.HasPrefix(b[3:], []byte("元"))) {
				e, p = i, len(a)
				break
			}
		}
	}
	if e == noEra && len(b) > 1 {
		c := b[0] &^ 0x20 // upper case
		q := 1
		if b[1] == '.' { // S.60.1.2
			q = 2
		}
		for i := range eras {
			if c == eras[i].letter && q < len(b) && (isASCIIDigit(b[q]) || bytes.HasPrefix(b[q:], []byte("元"))) {
				e, p = i, q
				break
			}
		}
	}
	if e == noEra && len(b) == 8 && allDigits(b) {
		return atoi(b[:4]), atoi(b[4:6]), atoi(b[6:]), noEra, true
	}
	if e == noEra && len(b) == 7 && allDigits(b) {
		// 3600102: the era's code (its place in eras, from 1), then
		// YYMMDD.
		if c := int(b[0] - '1'); c < len(eras) {
			return atoi(b[1:3]), atoi(b[3:5]), atoi(b[5:]), c, true
		}
		return
	}
	if e != noEra && len(b)-p == 6 && allDigits(b[p:]) {
		// S600102, 昭和600102: the era, then YYMMDD.
		return atoi(b[p : p+2]), atoi(b[p+2 : p+4]), atoi(b[p+4:]), e, true
	}
	var yn int
	if e != noEra && bytes.HasPrefix(b[p:], []byte("元")) {
		y, p = 1, p+len("元")
	} else {
		var kanji bool
		y, yn, kanji, ok = parseDateNumber(b, &p, 4)
		if !ok {
			return
		}
		if e == noEra && yn != 4 {
			ok = false
			if !kanji {
				e = errShortYear
			}
			return
		}
		if e != noEra && yn > 2 {
			return 0, 0, 0, e, false
		}
	}
	// 1985(昭和60)年, 昭和60(1985)年: the year again, in the other
	// calendar.
	if p, ok = altYear(b, p, y, e); !ok {
		return 0, 0, 0, e, false
	}
	// The separator after the year decides the rest.
	var sep byte
	switch {
	case bytes.HasPrefix(b[p:], []byte("年")):
		p += len("年")
		// 1985年(昭和60年)1月2日, 昭和60年(1985年)1月2日.
		if p, ok = altYear(b, p, y, e); !ok {
			return 0, 0, 0, e, false
		}
	case p < len(b) && (b[p] == '/' || b[p] == '.'):
		sep = b[p]
		p++
	default:
		if n := dashLen(b[p:]); n > 0 {
			sep = '-'
			p += n
		} else {
			return 0, 0, 0, e, false
		}
	}
	if m, _, _, ok = parseDateNumber(b, &p, 2); !ok {
		return
	}
	if sep == 0 {
		if !bytes.HasPrefix(b[p:], []byte("月")) {
			return 0, 0, 0, e, false
		}
		p += len("月")
	} else {
		n := 1
		if sep == '-' {
			n = dashLen(b[p:])
		} else if p >= len(b) || b[p] != sep {
			n = 0
		}
		if n == 0 {
			return 0, 0, 0, e, false
		}
		p += n
	}
	if d, _, _, ok = parseDateNumber(b, &p, 2); !ok {
		return
	}
	if sep == 0 && bytes.HasPrefix(b[p:], []byte("日")) {
		p += len("日")
	}
	return y, m, d, e, p == len(b)
}

// altYear reads, at b[p:], the year y of era e (noEra: Gregorian) written
// again in the other calendar between parentheses, as Japanese forms do:
// (1985) or (1985年) after an era's year, (昭和60), (昭和60年) or (平成元年)
// after a Gregorian one. It returns where the parentheses end, or p when
// there are none; ok is false when they hold no year or another year.
func altYear(b []byte, p, y, e int) (next int, ok bool) {
	if p >= len(b) || b[p] != '(' {
		return p, true
	}
	q := bytes.IndexByte(b[p:], ')')
	if q < 0 {
		return p, false
	}
	in := bytes.TrimSuffix(b[p+1:p+q], []byte("年"))
	want := y
	if e >= 0 {
		want += eras[e].offset
	}
	got := -1
	if e >= 0 {
		if len(in) == 4 && allDigits(in) {
			got = atoi(in)
		}
	} else {
		for _, er := range eras {
			if v, ok := bytes.CutPrefix(in, []byte(er.name)); ok {
				switch {
				case bytes.Equal(v, []byte("元")):
					got = 1 + er.offset
				case len(v) >= 1 && len(v) <= 2 && allDigits(v):
					got = atoi(v) + er.offset
				}
				break
			}
		}
	}
	return p + q + 1, got == want
}

// parseEnglishDate parses b, a date with an English month and white space
// removed: the month first (Jan2,1985, January2nd1985, Sept.2,1985, and
// Jan21985, which was Jan 2 1985), or the day first (2Jan1985,
// 2ndJanuary,1985, 02-JAN-1985, 2/Jan/1985). The year has four digits,
// last.
func parseEnglishDate(b []byte) (y, m, d int, ok bool) {
	p := 0
	if m = parseMonth(b, &p); m > 0 {
		q := p
		for q < len(b) && isASCIIDigit(b[q]) {
			q++
		}
		switch n := q - p; {
		case q == len(b) && (n == 5 || n == 6):
			// Jan21985: the day, then the year, their space removed.
			return atoi(b[q-4:]), m, atoi(b[p : q-4]), true
		case n == 0 || n > 2:
			return 0, 0, 0, false
		}
		d, p = atoi(b[p:q]), ordinalEnd(b, q)
		if p < len(b) && b[p] == ',' {
			p++
		}
	} else {
		q := p
		for q < len(b) && isASCIIDigit(b[q]) {
			q++
		}
		if n := q - p; n == 0 || n > 2 {
			return 0, 0, 0, false
		}
		d, p = atoi(b[p:q]), ordinalEnd(b, q)
		var sep byte
		if p < len(b) && (b[p] == '-' || b[p] == '/' || b[p] == '.') {
			sep = b[p]
			p++
		}
		if m = parseMonth(b, &p); m == 0 {
			return 0, 0, 0, false
		}
		switch {
		case sep != 0 && p < len(b) && b[p] == sep:
			p++
		case sep != 0:
			return 0, 0, 0, false
		case p < len(b) && b[p] == ',':
			p++
		}
	}
	if len(b)-p != 4 || !allDigits(b[p:]) {
		return 0, 0, 0, false
	}
	return atoi(b[p:]), m, d, true
}

// monthNames are the English months, in order.
var monthNames = [...]string{"january", "february", "march", "april", "may", "june", "july",
	"august", "september", "october", "november", "december"}

// parseMonth reads the English month at b[*p:] (in full, or its first three
// letters, or Sept; any case; an abbreviation may end in a dot) and returns
// its number, 1 to 12; or 0, leaving *p alone.
func parseMonth(b []byte, p *int) int {
	i := *p
	j := i
	for j < len(b) && (b[j]|0x20 >= 'a' && b[j]|0x20 <= 'z') {
		j++
	}
	w := b[i:j]
	if len(w) < 3 || len(w) > len("september") {
		return 0 // most dates: no letter
	}
	for m, name := range monthNames {
		if len(w) != len(name) && len(w) != 3 && !(m == 8 && len(w) == 4) || len(w) > len(name) {
			continue
		}
		same := true
		for k, c := range w {
			same = same && c|0x20 == name[k]
		}
		if !same {
			continue
		}
		if len(w) < len(name) && j < len(b) && b[j] == '.' {
			j++ // Jan., Sept.
		}
		*p = j
		return m + 1
	}
	return 0
}

// ordinalEnd returns the end of the ordinal suffix (st, nd, rd, th, any
// case) at b[i:], or i.
func ordinalEnd(b []byte, i int) int {
	if i+1 < len(b) {
		switch uint16(b[i]|0x20)<<8 | uint16(b[i+1]|0x20) {
		case 's'<<8 | 't', 'n'<<8 | 'd', 'r'<<8 | 'd', 't'<<8 | 'h':
			return i + 2
		}
	}
	return i
}

// parseDateNumber reads a number at b[*p:]: ASCII digits, or a run of kanji
// numerals. n is the number of digits: as written for ASCII ("01" has 2),
// of the value for kanji (一九八五 has 4, 六十 has 2). ok is false when there
// is no number or n > max.
func parseDateNumber(b []byte, p *int, max int) (v, n int, kanji, ok bool) {
	i := *p
	for i < len(b) && isASCIIDigit(b[i]) {
		v = v*10 + int(b[i]-'0')
		i++
	}
	if n = i - *p; n > 0 {
		*p = i
		return v, n, false, n <= max
	}
	k := kanjiRun(b[i:])
	if k == 0 {
		return 0, 0, false, false
	}
	v, ok = parseKanjiNumber(b[i : i+k])
	if !ok {
		return 0, 0, true, false
	}
	*p = i + k
	n = numDigits(v)
	return v, n, true, n <= max
}

// numDigits returns the number of decimal digits of v >= 0.
func numDigits(v int) int {
	n := 1
	for v >= 10 {
		v /= 10
		n++
	}
	return n
}

// dashLen returns the length of the dash or dash look-alike at the start of
// b, or 0.
func dashLen(b []byte) int {
	if len(b) == 0 {
		return 0
	}
	r, size := utf8.DecodeRune(b)
	if isDash(r) {
		return size
	}
	return 0
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if !isASCIIDigit(c) {
			return false
		}
	}
	return true
}

// atoi converts ASCII digits (already checked) to an int.
func atoi(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}

// daysIn returns the number of days of month m of year y (Gregorian).
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

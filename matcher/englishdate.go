package matcher

// Dates with an English month: Jan 2, 1985; January 2nd 1985; Sept. 21,
// 1985; 2 Jan 1985; 2nd January, 1985; 02-JAN-1985. Leaks written in
// English (a forum post, a translated dump) give birthdates so, next to
// romaji names.
//
// A run of one or two digits is the day when a month word stands before it
// (month first) or after it (day first) and a four-digit year ends the
// date. The word is only shaped here (3 to 9 ASCII letters, not glued to
// another word); the date normalizer, which knows the months, decides
// (fingerprints/date.go). Every run is asked, so the tests that turn most
// runs away come first and cost a byte or two: prose and logs are full of
// numbers after words ("in 2024", "worker-3").

// maxMonthWord is the longest month's name, September.
const maxMonthWord = len("september")

// englishDate looks up the dates with an English month whose day is the run
// of digits at buf[i].
// numeric calls it only where mayBeEnglishDay(buf, i).
func (s *Scanner) englishDate(buf []byte, i int, base int64) {
	if s.costlyPass != 0 {
		return // a costly set's pass looks for addresses alone
	}
	j := i
	for j < len(buf) && j-i < 3 && buf[j]-'0' <= 9 {
		j++
	}
	if j == i || j-i > 2 {
		return // no day
	}
	after := ordinalEnd(buf, j)
	// Month first.
	if st := monthWordBefore(buf, i); st >= 0 {
		k, comma := after, false
		if k < len(buf) && buf[k] == ',' {
			k, comma = k+1, true
		}
		minSpaces := 1
		if comma {
			minSpaces = 0 // Jan 2,1985
		}
		if en := yearAt(buf, k, minSpaces); en > 0 {
			s.lookupDate(buf[st:en], base+int64(st), base+int64(en))
		}
	}
	// Day first.
	if after >= len(buf) || buf[after] != ' ' && buf[after] != '-' {
		return
	}
	sep := buf[after]
	e := monthWordEnd(buf, after+1)
	if e < 0 {
		return
	}
	en := -1
	switch {
	case sep == '-' && e < len(buf) && buf[e] == '-':
		en = yearAt(buf, e+1, 0) // 02-JAN-1985
	case sep == ' ':
		if e < len(buf) && buf[e] == ',' {
			e++
		}
		en = yearAt(buf, e, 1) // 2 Jan 1985, 2 January, 1985
	}
	if en > 0 {
		s.lookupDate(buf[i:en], base+int64(i), base+int64(en))
	}
}

// mayBeEnglishDay is englishDate's first test, a few bytes around the run
// at buf[i]: one or two digits stand before a space, a dash or an
// ordinal's first letter (2 Jan, 02-JAN, 2nd), or the run stands after a
// space after a letter or a dot (Jan 2, Jan. 2). Most runs fail it:
// digits glued to letters, numbers in cells, counters after punctuation.
func mayBeEnglishDay(buf []byte, i int) bool {
	if i+2 >= len(buf) {
		return false // no room for a year
	}
	if c := buf[i+1]; dayFollow[c] || c-'0' <= 9 && dayFollow[buf[i+2]] {
		return true
	}
	return i >= 2 && buf[i-1] == ' ' && monthEnd[buf[i-2]]
}

// dayFollow holds the bytes that may follow a day written before its
// month; monthEnd those that may end a month word before its day.
var dayFollow, monthEnd = func() (f, e [256]bool) {
	for _, c := range []byte(" -sSnNrRtT") {
		f[c] = true
	}
	for c := 0; c < 0x80; c++ {
		e[c] = isASCIILetter(byte(c)) || c == '.' || c == ' '
	}
	return
}()

// monthWordBefore returns where the month word before the day at buf[i]
// starts, or -1: one or two spaces before the day, perhaps a dot before
// them (Jan. 2), and 3 to 9 ASCII letters that do not end a longer word.
func monthWordBefore(buf []byte, i int) int {
	p := i
	for p > 0 && i-p < 2 && buf[p-1] == ' ' {
		p--
	}
	if p == i {
		return -1
	}
	if p > 0 && buf[p-1] == '.' {
		p--
	}
	e := p
	for p > 0 && e-p <= maxMonthWord && isASCIILetter(buf[p-1]) {
		p--
	}
	if n := e - p; n < 3 || n > maxMonthWord {
		return -1
	}
	return p
}

// monthWordEnd returns the end of the month word at buf[i] (3 to 9 ASCII
// letters, perhaps a dot after them: Jan.), or -1.
func monthWordEnd(buf []byte, i int) int {
	e := i
	for e < len(buf) && e-i <= maxMonthWord && isASCIILetter(buf[e]) {
		e++
	}
	if n := e - i; n < 3 || n > maxMonthWord {
		return -1
	}
	if e < len(buf) && buf[e] == '.' {
		e++
	}
	return e
}

// yearAt returns the end of the year at buf[i]: at least minSpaces spaces
// (and at most two), then four ASCII digits and no fifth; or -1.
func yearAt(buf []byte, i, minSpaces int) int {
	n := 0
	for i < len(buf) && n < 2 && buf[i] == ' ' {
		i, n = i+1, n+1
	}
	if n < minSpaces || i+4 > len(buf) {
		return -1
	}
	for _, c := range buf[i : i+4] {
		if c-'0' > 9 {
			return -1
		}
	}
	if i+4 < len(buf) && buf[i+4]-'0' <= 9 {
		return -1
	}
	return i + 4
}

// ordinalEnd returns the end of what may be an ordinal's suffix after the
// day at buf[i:] (2nd, 21st: two ASCII letters), or i. The normalizer
// tells a suffix from other letters.
func ordinalEnd(buf []byte, i int) int {
	if i+1 < len(buf) && isASCIILetter(buf[i]) && isASCIILetter(buf[i+1]) {
		return i + 2
	}
	return i
}

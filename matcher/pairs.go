package matcher

import (
	"cmp"
	"slices"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Pairs. A weak value only corroborates, so a leak of a name with a
// postal code is found by searching the text around the postal code for
// names. Looked up as names, the namesakes found there would each bring
// their records to be checked against the weak value's, and on the rows
// of a dump of strangers, nearly all of which hold some birthdate or
// postal code of the set, the names of the rows around each one would be
// tried. So in the sets that hold pair fingerprints (fingerprints/pair.go)
// a weak value of the set opens no name window (see windows): each name
// near it is looked up paired with it. The pair's prefilter turns away
// almost every stranger's pair for a SipHash and half a cache line, and a
// pair that is found names exactly the records holding that name and that
// weak value. Its hits go to the decider as a name hit and a weak hit of
// each such record, which the window rule then judges like any other two
// hits.
//
// The search: off rows, the name window around the weak value. On a row
// of a table (a record is a row there), the row, and the lines of the
// window that are no rows: the decider lets a weak hit on a row count
// with those and with its row's, never with another row's. A weak value
// shared by more than maxWindowHits records, a common one (Index.Common),
// searches its row alone: in a big set every row of a dump holds one, and
// the window of each would take in the prose and logs around the dump.

// pairWeak is a weak value searched for pairs: its kind, its normalized
// form (s.pairArena[lo:hi]), where it is, the window searched for names
// paired with it, and the sets to look its pairs up in.
type pairWeak struct {
	kind       fingerprints.Kind
	lo, hi     int
	start, end int64
	wa, wb     int64 // its window, [wa, wb)
	s0, s1     int   // the sets to look its pairs up in are s.pairSets[s0:s1]
}

// pairWin is the stretch of a segment searched for names paired with the
// weak value s.refs[ref].
type pairWin struct {
	a, b   int
	ref    int
	row    bool // [a, b) is the row of the weak value
	s0, s1 int  // the sets to look its pairs up in are s.pairSets[s0:s1]
}

// pairSearch reports whether a lookup's hits call for a search of pairs
// in set si: it is a weak value and the set has pairs, and, if the set is
// costly, more than maxWindowHits of its records share the value (fewer
// open a name window of that set's own: see windows).
func (s *Scanner) pairSearch(r *ref, si int) bool {
	set := &s.m.sets[si]
	if r.kind.Identifying() || !set.ix.HasPairs() {
		return false
	}
	if !set.costly {
		return true
	}
	n := 0
	for _, c := range r.hits {
		if int(c.set) == si {
			n++
		}
	}
	return n > maxWindowHits
}

// pairWindows searches around the segment's weak values of sets with
// pairs for the names paired with them, and appends the hits of the pairs
// found to s.pairHits.
func (s *Scanner) pairWindows(buf []byte, base int64) {
	if !s.m.anyPairs {
		return
	}
	w := s.m.opts.NameWindow * 3 // characters to bytes, as windows
	s.pwins, s.pairSets = s.pwins[:0], s.pairSets[:0]
	for i := range s.refs {
		r := &s.refs[i]
		if r.kind.Identifying() || !r.deferred && len(r.hits) == 0 {
			continue
		}
		s0 := len(s.pairSets)
		if r.deferred {
			// Common in each of its sets: shared by more than
			// maxWindowHits records there.
			for _, si := range s.deferSets[r.ds0:r.ds1] {
				if s.m.sets[si].ix.HasPairs() {
					s.pairSets = append(s.pairSets, si)
				}
			}
		} else {
			s.pairSets = s.appendPairSets(s.pairSets, r)
		}
		if len(s.pairSets) == s0 {
			continue
		}
		pw := pairWin{ref: i, s0: s0, s1: len(s.pairSets)}
		at := int(r.start - base)
		a, b := max(at-w, 0), min(int(r.end-base)+w, len(buf))
		if lo, end, row := s.lineRow(buf, at); row {
			pw.a, pw.b, pw.row = lo, end, true
			s.pwins = append(s.pwins, pw)
			if r.rare || !r.deferred && len(r.hits) <= maxWindowHits {
				s.offRows(buf, pw, a, b)
			}
			continue
		}
		pw.a, pw.b = a, b
		s.pwins = append(s.pwins, pw)
	}
	if len(s.pwins) == 0 {
		return
	}
	slices.SortStableFunc(s.pwins, func(x, y pairWin) int { return cmp.Compare(x.a, y.a) })
	for g := 0; g < len(s.pwins); {
		// A group: the windows that overlap the first, merged, searched
		// once with all their weak values; or the weak values of one row.
		a, b, row := s.pwins[g].a, s.pwins[g].b, s.pwins[g].row
		e := g + 1
		for e < len(s.pwins) && s.pwins[e].row == row && (row && s.pwins[e].a == a || !row && s.pwins[e].a < b) {
			b = max(b, s.pwins[e].b)
			e++
		}
		s.pairArena, s.pairWeak, s.pairSpan = s.pairArena[:0], s.pairWeak[:0], 0
		for _, pw := range s.pwins[g:e] {
			r := &s.refs[pw.ref]
			lo := len(s.pairArena)
			if r.deferred {
				s.pairArena = append(s.pairArena, s.deferForms[r.f0:r.f1]...)
			} else {
				norm, err := fingerprints.AppendNormalized(s.pairArena, r.kind, buf[r.start-base:r.end-base])
				if err != nil {
					continue // cannot be: it normalized when it was looked up
				}
				s.pairArena = norm
			}
			s.pairWeak = append(s.pairWeak, pairWeak{kind: r.kind, lo: lo, hi: len(s.pairArena), start: r.start, end: r.end,
				wa: base + int64(pw.a), wb: base + int64(pw.b), s0: pw.s0, s1: pw.s1})
			s.pairSpan = max(s.pairSpan, int64(pw.b-pw.a))
		}
		g = e
		s.pairing = true
		if row {
			s.rowNames(buf[:b], a, base)
			s.pairing = false
			continue
		}
		a, b = windowEdges(buf, a, b)
		s.names(buf[:b], a, base)
		s.pairing = false
	}
	s.flushPairs()
}

// nameInCell returns the bounds of the name that the CJK run buf[st:en] of
// a row's cell may hold inside other words: without the titles before it
// and the honorifics after it (担当 山田太郎様, 山田太郎さん宛), or its last
// stretch of kanji after kana (東京都在住の山田太郎). It returns st, en when
// the run shows none, and a stretch too short for a name (two runes) is
// none. mixed says the run holds kanji and kana both.
func nameInCell(buf []byte, st, en int, mixed bool) (int, int) {
	a, b := st, en
	for trimmed := true; trimmed; {
		trimmed = false
		for a < b && isNameSep(buf, a) {
			_, size := utf8.DecodeRune(buf[a:])
			a += size
		}
		for a < b {
			r, size := utf8.DecodeLastRune(buf[a:b])
			if r != ' ' && r != '\u3000' && r != '・' && r != '･' {
				break
			}
			b -= size
		}
		if n := kanjiNamePrefixes.prefixLen(buf[a:b]); n > 0 && n < b-a {
			a, trimmed = a+n, true
		}
		if n := kanjiNameSuffixes.suffixLen(buf[a:b]); n > 0 && n < b-a {
			b, trimmed = b-n, true
		}
		if n := kanaNameSuffixes.suffixLen(buf[a:b]); n > 0 && n < b-a {
			b, trimmed = b-n, true
		}
	}
	if a == st && b == en && !mixed {
		return st, en // most runs: no title, no honorific, one script
	}
	// The kanji after the last kana, if kana come before them.
	k := b
	for mixed && k > a {
		r, size := utf8.DecodeLastRune(buf[a:k])
		if scriptOf(r) != scHan {
			break
		}
		k -= size
	}
	if k > a && b-k >= 2*3 && b-k <= maxKanjiName*3 {
		if r, _ := utf8.DecodeLastRune(buf[a:k]); scriptOf(r) == scHira || scriptOf(r) == scKata {
			a = k
		}
	}
	if utf8.RuneCount(buf[a:b]) < 2 {
		return st, en
	}
	return a, b
}

// offRows appends to s.pwins the stretches of lines off rows within [a, b),
// the window of the weak value on the row [row.a, row.b): the decider
// lets a weak value on a row corroborate the hits of its row and those
// off rows, never those of another row, so only they need a search. In a
// dump every line of the window is a row, and the windows of its weak
// values overlap: s.rowRun remembers the last stretch of the segment
// found to be rows only, so that the lines of a dump are looked at about
// once, not once for each weak value whose window holds them.
func (s *Scanner) offRows(buf []byte, row pairWin, a, b int) {
	run := &s.rowRun
	if run[0] <= a && b <= run[1] {
		return
	}
	piece := row
	piece.row = false
	add := func(lo, end int) {
		if n := len(s.pwins); n > 0 && !s.pwins[n-1].row && s.pwins[n-1].ref == row.ref && (s.pwins[n-1].a == end+1 || s.pwins[n-1].b+1 == lo) {
			p := &s.pwins[n-1] // the line next to the last stretch
			p.a, p.b = min(p.a, lo), max(p.b, end)
			return
		}
		piece.a, piece.b = lo, end
		s.pwins = append(s.pwins, piece)
	}
	// [rows, rowsEnd]: the lines from the row's, back and on, that are
	// rows until the first that is not.
	rows, rowsEnd, back, on := row.a, row.b, true, true
	for e := row.a - 1; e > a; { // the lines before the row, back to a
		if run[0] <= e && e <= run[1] && run[0] < run[1] {
			if back {
				rows = run[0]
			}
			e = run[0] - 1
			continue
		}
		lo, _, isRow := s.lineRow(buf, e)
		if !isRow && lo < e {
			add(max(lo, a), e)
		}
		if back = back && isRow; back {
			rows = lo
		}
		e = lo - 1
	}
	for lo := row.b + 1; lo < b; { // and those after, up to b
		if run[0] <= lo && lo <= run[1] && run[0] < run[1] {
			if on {
				rowsEnd = run[1]
			}
			lo = run[1] + 1
			continue
		}
		_, end, isRow := s.lineRow(buf, lo)
		if !isRow && lo < end {
			add(lo, min(end, b))
		}
		if on = on && isRow; on {
			rowsEnd = end
		}
		lo = end + 1
	}
	if rows <= run[1]+1 && run[0] <= rowsEnd+1 && run[0] < run[1] {
		rows, rowsEnd = min(rows, run[0]), max(rowsEnd, run[1]) // overlapping: one stretch
	}
	*run = [2]int{rows, rowsEnd}
}

// rowNames looks up the names of a row, buf[a:], paired with the weak
// values of s.pairWeak. On a row a name is a cell, or a part of one that
// is all letters (the value of "name":"山田 太郎" in JSON Lines), or two
// such parts of adjacent cells (山田,太郎): the runs of letters of one
// script family, CJK or Latin, with single spaces or middle dots inside.
// A run of Latin letters counts from two words, as in names.
func (s *Scanner) rowNames(buf []byte, a int, base int64) {
	prevA, prevB, prevN, prevWords := -1, -1, 0, 0
	// The last run that was a whole JSON string value of one short word,
	// and its script: "sei":"山田","mei":"太郎" is a name in two members.
	valA, valB, valSc := -1, -1, scOther
	for i := a; i < len(buf); {
		if c := buf[i]; c < 0x80 && !isASCIILetter(c) {
			i++ // digits and punctuation, most of a row
			continue
		}
		r, size := kanaKanjiAt(buf, i)
		if size == 0 {
			r, size = utf8.DecodeRune(buf[i:])
		}
		sc := nameScript(r)
		if sc == scOther {
			i += size
			continue
		}
		st, en, runes, words, han := i, i+size, 1, 1, 0
		if scriptOf(r) == scHan {
			han++
		}
		for i = en; i < len(buf); {
			if sc == scLatin && isASCIILetter(buf[i]) {
				i++ // most of a Latin run
				en, runes = i, runes+1
				continue
			}
			r, size := kanaKanjiAt(buf, i)
			if size == 0 {
				r, size = utf8.DecodeRune(buf[i:])
			}
			if nameScript(r) == sc {
				if scriptOf(r) == scHan {
					han++
				}
				i += size
				en, runes = i, runes+1
				continue
			}
			if r == ' ' || r == '\u3000' || r == '・' || r == '･' || sc == scLatin && (r == '\'' || r == '-' || r == '.') {
				if r2, _ := utf8.DecodeRune(buf[i+size:]); nameScript(r2) == sc {
					i += size
					if r == ' ' || r == '\u3000' || r == '・' || r == '･' {
						words++
					}
					continue
				}
			}
			break
		}
		i = en
		if sc != scLatin {
			// 山田太郎様, 担当 山田 太郎, 東京都在住の山田太郎: the name
			// inside a cell's words, if they show it.
			if a, b := nameInCell(buf, st, en, han > 0 && han < runes); a > st || b < en {
				s.lookupName(buf[a:b], false, base+int64(a), base+int64(b))
			}
		}
		switch {
		case runes < 2 || han > maxKanjiName || runes > maxKanaName:
			// No name: an address (愛知県名古屋市千種区星が丘元町), a title.
		case sc == scLatin:
			if words >= 2 && words <= 4 {
				s.lookupName(buf[st:en], false, base+int64(st), base+int64(en))
			}
		default:
			s.nameTok.Reset(buf[st:en])
			if norm, ok := s.nameTok.Sub(0, s.nameTok.Len()); ok {
				s.stats.Candidates++
				s.norm = append(s.norm[:0], norm...)
				s.lookupName(nil, true, base+int64(st), base+int64(en))
			} else {
				s.lookupName(buf[st:en], false, base+int64(st), base+int64(en))
			}
		}
		// 山田,太郎 and "Yamada","Taro": a name in two cells, each one word
		// of a few letters, with one separator between them.
		if prevWords == 1 && words == 1 && prevN <= 8 && runes <= 8 && isCellGap(buf[prevB:st]) && nameScript(firstRune(buf[prevA:])) == sc {
			s.pair = append(append(append(s.pair[:0], buf[prevA:prevB]...), ' '), buf[st:en]...)
			s.lookupName(s.pair, false, base+int64(prevA), base+int64(en))
		}
		if words == 1 && runes <= 8 && jsonValueAt(buf, st) && en < len(buf) && buf[en] == '"' {
			if valB >= 0 && valSc == sc && jsonNextValue(buf, valB) == st {
				if sc == scLatin {
					s.pair = append(append(append(s.pair[:0], buf[valA:valB]...), ' '), buf[st:en]...)
					s.lookupName(s.pair, false, base+int64(valA), base+int64(en))
				} else {
					// Either order: the keys say which part is which.
					s.pair = append(append(s.pair[:0], buf[valA:valB]...), buf[st:en]...)
					s.lookupName(s.pair, false, base+int64(valA), base+int64(en))
					s.pair = append(append(s.pair[:0], buf[st:en]...), buf[valA:valB]...)
					s.lookupName(s.pair, false, base+int64(valA), base+int64(en))
				}
			}
			valA, valB, valSc = st, en, sc
		}
		prevA, prevB, prevN, prevWords = st, en, runes, words
	}
}

// jsonValueAt reports whether a JSON member's string value starts at
// buf[i]: a quote and a colon before it (`"key": "`), not a key.
func jsonValueAt(buf []byte, i int) bool {
	if i == 0 || buf[i-1] != '"' {
		return false
	}
	j := i - 1
	for j > 0 && (buf[j-1] == ' ' || buf[j-1] == '\t' || buf[j-1] == '\n' || buf[j-1] == '\r') {
		j--
	}
	return j > 0 && buf[j-1] == ':'
}

// kanaKanjiAt returns the rune of the three-byte sequence led by E3–E9 at
// buf[i] (U+3000–U+9FFF: kana and kanji) and its length, 3; or 0, 0. It
// inlines, where utf8.DecodeRune, which its callers fall back on, calls out
// of line for all but ASCII.
func kanaKanjiAt(buf []byte, i int) (rune, int) {
	if i+2 < len(buf) {
		c, c1, c2 := buf[i], buf[i+1], buf[i+2]
		if c-0xE3 <= 6 && c1&0xC0 == 0x80 && c2&0xC0 == 0x80 {
			return rune(c&0x0F)<<12 | rune(c1&0x3F)<<6 | rune(c2&0x3F), 3
		}
	}
	return 0, 0
}

// nameScript is the script family of a letter of a name: scHan for kanji
// and kana alike (山田 さくら is one name), scLatin, or scOther.
func nameScript(r rune) script {
	switch scriptOf(r) {
	case scHan, scHira, scKata:
		return scHan
	case scLatin:
		return scLatin
	}
	return scOther
}

func firstRune(b []byte) rune {
	r, _ := utf8.DecodeRune(b)
	return r
}

// isCellGap reports whether gap separates two cells of a row and holds
// nothing else: one field separator, with quotes and spaces around it.
func isCellGap(gap []byte) bool {
	seps := 0
	for _, c := range gap {
		switch c {
		case ',', '\t', '|', ';':
			seps++
		case '"', '\'', ' ':
		default:
			return false
		}
	}
	return seps == 1
}

// appendPairSets appends to dst the sets with hits in r for which
// pairSearch holds. r.hits is sorted by set, and a weak value's hits can
// be thousands: the sets are found by binary search, not walked.
func (s *Scanner) appendPairSets(dst []uint16, r *ref) []uint16 {
	for i := 0; i < len(r.hits); {
		si := r.hits[i].set
		if s.pairSearch(r, int(si)) {
			dst = append(dst, si)
		}
		j, _ := slices.BinarySearchFunc(r.hits[i:], si+1, func(c cachedHit, set uint16) int { return cmp.Compare(c.set, set) })
		i += j
	}
	return dst
}

// lookupName looks up a name candidate found at [start, end): as a name,
// or while pairWindows searches, paired with the window's weak values.
// normalized says the candidate is already normalized into s.norm.
func (s *Scanner) lookupName(cand []byte, normalized bool, start, end int64) {
	switch {
	case !s.pairing && normalized:
		s.lookupNorm(fingerprints.Name, start, end)
	case !s.pairing:
		s.lookup(fingerprints.Name, cand, start, end)
	default:
		if !normalized {
			s.stats.Candidates++
			norm, err := fingerprints.AppendNormalized(s.norm[:0], fingerprints.Name, cand)
			s.norm = norm
			if err != nil {
				return
			}
		}
		s.lookupPairs(start, end)
	}
}

// lookupPairs looks up the name normalized into s.norm, found at [start,
// end), paired with each weak value of the window being searched, in each
// set that calls for it, and keeps the hits of the pairs found.
func (s *Scanner) lookupPairs(start, end int64) {
	// The weak values whose window the name is in: the windows are sorted
	// by start and none is longer than s.pairSpan. (A group of windows
	// merged over a page of logs holds thousands of dates; a name is
	// paired only with the few around it.)
	i, _ := slices.BinarySearchFunc(s.pairWeak, end, func(pw pairWeak, end int64) int {
		if pw.wa < end {
			return -1
		}
		return 1
	})
	checked, held := -1, false // the set last asked whether it may hold the name, and its answer
	for i--; i >= 0 && s.pairWeak[i].wa >= start-s.pairSpan; i-- {
		pw := &s.pairWeak[i]
		if start >= pw.wb {
			continue // the name is past this window
		}
		for _, set := range s.pairSets[pw.s0:pw.s1] {
			if int(set) != checked {
				checked, held = int(set), s.nameMayBeIn(set)
			}
			if !held {
				continue
			}
			j := pairJob{set: set, weak: pw.kind, v0: len(s.pairVals), start: start, end: end, wstart: pw.start, wend: pw.end, pass: true}
			s.pairVals = fingerprints.AppendPair(s.pairVals, pw.kind, s.pairArena[pw.lo:pw.hi], s.norm)
			j.v1 = len(s.pairVals)
			if p := s.pres[set]; p != nil && !s.reference {
				j.pre, j.pass = p.Pre(fingerprints.Pair, s.pairVals[j.v0:j.v1]), false
				s.m.sets[set].ix.Prefetch(fingerprints.Pair, j.pre)
			}
			s.pairJobs = append(s.pairJobs, j)
		}
	}
	if len(s.pairJobs) >= maxQueued {
		s.flushPairs()
	}
}

// nameMayBeIn reports whether set si may hold the name normalized into
// s.norm, by its prefilter for names: a pair of a name the set does not
// hold cannot be in it either, and the names' filter is small enough to
// stay in cache, where the pairs' is several megabytes.
func (s *Scanner) nameMayBeIn(si uint16) bool {
	p := s.pres[si]
	if p == nil || s.reference {
		return true
	}
	if !s.m.sets[si].ix.MayHave(fingerprints.Name, p.Pre(fingerprints.Name, s.norm)) {
		s.stats.Filtered++
		return false
	}
	return true
}

// pairJob is the lookup of one pair in one set, queued: as flush does for
// the other lookups, flushPairs probes the prefilters of many pairs in one
// loop, so that their cache misses overlap.
type pairJob struct {
	set          uint16
	weak         fingerprints.Kind
	pre          uint32
	pass         bool // no prefilter to ask, or it let the pair pass
	v0, v1       int  // the pair's value is s.pairVals[v0:v1]
	start, end   int64
	wstart, wend int64
}

// flushPairs looks up the queued pairs and keeps the hits of those found.
func (s *Scanner) flushPairs() {
	jobs := s.pairJobs
	for i := range jobs {
		if !jobs[i].pass {
			jobs[i].pass = s.m.sets[jobs[i].set].ix.MayHave(fingerprints.Pair, jobs[i].pre)
		}
	}
	for _, j := range jobs {
		if !j.pass {
			s.stats.Filtered++
			continue
		}
		s.stats.Lookups++
		ix := s.m.sets[j.set].ix
		fp := s.hashers[j.set].Sum(fingerprints.Pair, s.pairVals[j.v0:j.v1])
		for _, h := range ix.Lookup(fp.Key64()) {
			kind, strong := ix.Column(h.Col())
			if kind != fingerprints.Name {
				continue
			}
			s.pairHits = append(s.pairHits,
				hit{set: j.set, kind: fingerprints.Name, strong: strong, rec: h.Record(), start: j.start, end: j.end},
				hit{set: j.set, kind: j.weak, rec: h.Record(), start: j.wstart, end: j.wend})
		}
	}
	s.pairJobs, s.pairVals = jobs[:0], s.pairVals[:0]
}

package matcher

import (
	"cmp"
	"slices"
	"unicode"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Names have no pattern, so they are only looked for near hits: in a
// window around every field hit, the stretches of kanji, of katakana, of
// hiragana and of Latin words are cut into the substrings that could be a
// name (2 to 8 kanji, 2 to 16 kana, two adjacent words of romaji in either
// order) and each is looked up. A name alone never reports a record, so
// names far from any other field need not be found at all.

const (
	maxKanjiName = 8
	maxKanaName  = 16
	// maxNameTriesPerKB bounds the candidates of a window by its length:
	// windows around dense hits merge, and a fixed cap would starve the
	// rows at the end of a dump, while unbounded tries would let a
	// pathological page cost seconds.
	maxNameTriesPerKB = 1000
)

type script uint8

const (
	scOther script = iota
	scHan
	scHira
	scKata
	scLatin
	scSpace
)

func scriptOf(r rune) script {
	switch {
	case r == ' ' || r == '\u3000':
		return scSpace
	case r >= 0x3041 && r <= 0x309F:
		return scHira
	case r >= 0x30A1 && r <= 0x30FF || r >= 0xFF66 && r <= 0xFF9F || r == 0x30FC:
		return scKata
	case r == '々' || r == '〆' || unicode.Is(unicode.Han, r):
		return scHan
	case r < 0x80 && isASCIILetter(byte(r)), r >= 'Ａ' && r <= 'Ｚ', r >= 'ａ' && r <= 'ｚ',
		r >= 0xC0 && r <= 0x24F && unicode.IsLetter(r):
		return scLatin
	}
	return scOther
}

// nameWindows merges the windows around the segment's hits found so far
// and searches each once for names, for every set that is not costly. A
// costly set (Set.Costly) gets windows of its own, around its own hits
// only, searched for names and for addresses, which the extraction pass
// does not look up for it.
func (s *Scanner) nameWindows(buf []byte, base int64) {
	n := len(s.hits)
	s.windows(buf, base, n, -1)
	if !s.m.anyCostly {
		return
	}
	for si := range s.m.sets {
		if s.m.sets[si].costly {
			s.windows(buf, base, n, si)
		}
	}
}

// windows searches the merged windows around s.hits[:n] and the weak
// values shared by few records: around the hits of every set, for the sets
// that are not costly, when set is -1; else around the hits of that costly
// set, for it alone.
func (s *Scanner) windows(buf []byte, base int64, n, set int) {
	w := s.m.opts.NameWindow * 3 // characters to bytes, for CJK text
	s.wins = s.wins[:0]
	for _, h := range s.hits[:n] {
		if set >= 0 && int(h.set) != set {
			continue
		}
		a := max(int(h.start-base)-w, 0)
		b := min(int(h.end-base)+w, len(buf))
		s.wins = append(s.wins, [2]int{a, b})
	}
	// A weak value opens a window only when few records share it: a
	// birthdate shared by dozens of records in a big set would open one
	// around every row of every dump.
	for _, wr := range s.weak {
		shared := len(wr.hits)
		if set >= 0 {
			shared = 0
			for _, c := range wr.hits {
				if int(c.set) == set {
					shared++
				}
			}
		}
		if shared == 0 || shared > maxWindowHits {
			continue
		}
		a := max(int(wr.start-base)-w, 0)
		b := min(int(wr.end-base)+w, len(buf))
		s.wins = append(s.wins, [2]int{a, b})
	}
	if len(s.wins) == 0 {
		return
	}
	slices.SortFunc(s.wins, func(a, b [2]int) int { return cmp.Compare(a[0], b[0]) })
	merged := s.wins[:0]
	for _, win := range s.wins {
		if len(merged) > 0 && win[0] <= merged[len(merged)-1][1] {
			merged[len(merged)-1][1] = max(merged[len(merged)-1][1], win[1])
			continue
		}
		merged = append(merged, win)
	}
	if set >= 0 {
		s.costlyPass = set + 1
		defer func() { s.costlyPass = 0 }()
	}
	for _, win := range merged {
		a, b := win[0], win[1]
		for a < b && !utf8.RuneStart(buf[a]) {
			a++
		}
		for b < len(buf) && b > a && !utf8.RuneStart(buf[b]) {
			b--
		}
		if set >= 0 {
			// The addresses the extraction pass left to this set.
			s.extract(buf[:b], a, b, base)
		}
		s.names(buf[:b], a, base)
	}
}

// token is a stretch of one script: a CJK run (with single spaces inside,
// as in 山田 太郎) or one Latin word.
type token struct {
	sc         script
	start, end int // bytes
	r0, r1     int // its rune offsets are s.offs[r0:r1]
}

// tokenize cuts buf[a:] into tokens, into s.toks and s.offs.
func (s *Scanner) tokenize(buf []byte, a int) {
	s.toks, s.offs = s.toks[:0], s.offs[:0]
	cur := token{sc: scOther}
	closeTok := func() {
		if cur.sc != scOther && cur.end > cur.start {
			cur.r1 = len(s.offs)
			s.toks = append(s.toks, cur)
		}
		cur = token{sc: scOther}
	}
	for i := a; i < len(buf); {
		r, size := utf8.DecodeRune(buf[i:])
		sc := scriptOf(r)
		switch {
		case sc == scLatin:
			if cur.sc != scLatin {
				closeTok()
				cur = token{sc: scLatin, start: i, r0: len(s.offs)}
			}
			cur.end = i + size
		case (r == '\'' || r == '-') && cur.sc == scLatin:
			cur.end = i + size
		case sc == scSpace && cur.sc != scOther && cur.sc != scLatin:
			// One space inside a CJK name keeps the token open if the same
			// script follows.
			if r2, _ := utf8.DecodeRune(buf[i+size:]); scriptOf(r2) == cur.sc {
				s.offs = append(s.offs, i)
			} else {
				closeTok()
			}
		case sc == scHan || sc == scHira || sc == scKata:
			if cur.sc != sc {
				closeTok()
				cur = token{sc: sc, start: i, r0: len(s.offs)}
			}
			s.offs = append(s.offs, i)
			cur.end = i + size
		default:
			closeTok()
		}
		i += size
	}
	closeTok()
}

// names looks up the name candidates in buf[a:].
func (s *Scanner) names(buf []byte, a int, base int64) {
	s.tokenize(buf, a)
	tries, maxTries := 0, maxNameTriesPerKB*(1+(len(buf)-a)/1024)
	try := func(cand []byte, st, en int) {
		if tries < maxTries {
			tries++
			s.lookup(fingerprints.Name, cand, base+int64(st), base+int64(en))
		}
	}
	for ti, t := range s.toks {
		if t.sc == scLatin {
			// Two adjacent words, in the order written: the normalizer
			// sorts them, so "Taro YAMADA" and "YAMADA, Taro" are alike.
			if ti+1 < len(s.toks) && s.toks[ti+1].sc == scLatin && gapIsSeparator(buf[t.end:s.toks[ti+1].start], true) {
				n := s.toks[ti+1]
				if t.end-t.start >= 2 && n.end-n.start >= 2 {
					try(buf[t.start:n.end], t.start, n.end)
				}
			}
			continue
		}
		rs := s.offs[t.r0:t.r1]
		maxLen := maxKanaName
		if t.sc == scHan {
			maxLen = maxKanjiName
		}
		// The token is normalized once, rune by rune; a substring of
		// context-free runes is a slice of that, the others (sound marks,
		// half-width voiced kana) are normalized on their own.
		s.nameTok.Reset(buf[t.start:t.end])
		fast := s.nameTok.Len() == len(rs)
		for i := 0; i < len(rs); i++ {
			if isSpaceAt(buf, rs[i]) {
				continue
			}
			for j := i + 2; j <= len(rs) && j-i <= maxLen; j++ {
				end := t.end
				if j < len(rs) {
					end = rs[j]
				}
				if isSpaceBefore(buf, end) {
					continue
				}
				if tries >= maxTries {
					continue
				}
				if norm, ok := s.nameTok.Sub(i, j); ok && fast {
					tries++
					s.stats.Candidates++
					s.norm = append(s.norm[:0], norm...)
					s.lookupNorm(fingerprints.Name, base+int64(rs[i]), base+int64(end))
					continue
				}
				try(buf[rs[i]:end], rs[i], end)
			}
		}
		// A name split in two cells or fields (佐藤<td>花子, 山田,太郎), or a
		// kanji family name with a kana given name (山田 さくら).
		if ti+1 < len(s.toks) {
			n := s.toks[ti+1]
			short := t.r1-t.r0 <= 6 && n.r1-n.r0 <= 8
			if n.sc != scLatin && short && (n.sc == t.sc || t.sc == scHan) && gapIsSeparator(buf[t.end:n.start], false) {
				s.pair = append(append(s.pair[:0], buf[t.start:t.end]...), buf[n.start:n.end]...)
				try(s.pair, t.start, n.end)
			}
		}
	}
}

// gapIsSeparator reports whether the bytes between two tokens are one
// separator: a space, a tab, a comma (and, for Latin words, a comma and a
// space).
func gapIsSeparator(b []byte, latin bool) bool {
	switch string(b) {
	case " ", "\t", ",", "\u3000", "、", "，":
		return true
	case ", ":
		return latin
	case "":
		return !latin
	}
	return false
}

func isSpaceAt(buf []byte, i int) bool {
	r, _ := utf8.DecodeRune(buf[i:])
	return r == ' ' || r == '\u3000'
}

func isSpaceBefore(buf []byte, i int) bool {
	r, _ := utf8.DecodeLastRune(buf[:i])
	return r == ' ' || r == '\u3000'
}

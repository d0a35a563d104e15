package matcher

import (
	"bytes"
	"cmp"
	"slices"
	"unicode"
	"unicode/utf8"
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
	if r < 0x80 { // most of a row: no table lookups
		switch {
		case r == ' ':
			return scSpace
		case isASCIILetter(byte(r)):
			return scLatin
		}
		return scOther
	}
	switch {
	case r == '\u3000':
		return scSpace
	case r >= 0x3041 && r <= 0x309F:
		return scHira
	case r >= 0x30A1 && r <= 0x30FF || r >= 0xFF66 && r <= 0xFF9F || r == 0x30FC:
		return scKata
	case r >= 0x4E00 && r <= 0x9FFF: // the common kanji, without a table lookup
		return scHan
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
	n := len(s.refs)
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

// windows searches the merged windows around the lookups s.refs[:n] with
// hits: around the hits of every set, for the sets that are not costly,
// when set is -1; else around the hits of that costly set, for it alone.
// A weak value of a set with pair fingerprints opens no window: it is
// searched for the names paired with it instead (pairs.go), on its own
// row when it is on one. In the other sets it opens one only when few
// records share it: a birthdate shared by dozens of records in a big set
// would open one around every row of every dump, and the namesakes found
// there cost more than the scan can afford; a leak of a name and a weak
// value shared by more than maxWindowHits records (a postal code in a set
// of 100,000) is not found there.
func (s *Scanner) windows(buf []byte, base int64, n, set int) {
	w := s.m.opts.NameWindow * 3 // characters to bytes, for CJK text
	s.wins = s.wins[:0]
	for _, r := range s.refs[:n] {
		shared := len(r.hits)
		if r.deferred {
			// Common in every set that may hold it (none costly): more
			// than maxWindowHits records share it.
			shared = maxWindowHits + 1
			if set >= 0 {
				shared = 0
			}
		} else if set >= 0 {
			shared = 0
			for _, c := range r.hits {
				if int(c.set) == set {
					shared++
				}
			}
		}
		if shared == 0 || !r.kind.Identifying() && (shared > maxWindowHits || set < 0 && s.pairedOnly(&r)) {
			continue
		}
		a := max(int(r.start-base)-w, 0)
		b := min(int(r.end-base)+w, len(buf))
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
		a, b := windowEdges(buf, win[0], win[1])
		if set >= 0 {
			// The addresses the extraction pass left to this set.
			s.extract(buf[:b], a, b, base)
		}
		s.names(buf[:b], a, base)
	}
}

// pairedOnly reports whether every set that is not costly among the hits
// of the weak value r holds pair fingerprints: the value is then searched
// for names paired with it (pairWindows), not in a name window.
func (s *Scanner) pairedOnly(r *ref) bool {
	for _, c := range r.hits {
		if set := &s.m.sets[c.set]; !set.costly && !set.ix.HasPairs() {
			return false
		}
	}
	return true
}

// windowEdges returns the bounds of a name window [a, b) of buf: on rune
// boundaries, and moved out to the ends of the words they cut. A window's
// edge inside a word is no edge of a name: 山﨑 智也 cut after 智 would read
// as 山﨑 智 (a word of more than maxEdgeRunes is cut there, and its
// candidates bounded as before).
func windowEdges(buf []byte, a, b int) (int, int) {
	for a < b && a < len(buf) && !utf8.RuneStart(buf[a]) {
		a++
	}
	for b < len(buf) && b > a && !utf8.RuneStart(buf[b]) {
		b--
	}
	return wordStart(buf, a), wordEnd(buf, b)
}

// maxEdgeRunes bounds how far wordStart and wordEnd move a window's edge.
const maxEdgeRunes = 32

// wordStart returns the start of the word (a stretch of letters of any
// script, with single spaces, as tokenize reads them) that holds buf[a],
// or a if a starts none.
func wordStart(buf []byte, a int) int {
	for n := 0; a > 0 && n < maxEdgeRunes; n++ {
		r, size := utf8.DecodeLastRune(buf[:a])
		if scriptOf(r) == scOther {
			break
		}
		a -= size
	}
	return a
}

// wordEnd returns the end of the word that buf[b-1] is in, or b.
func wordEnd(buf []byte, b int) int {
	for n := 0; b < len(buf) && n < maxEdgeRunes; n++ {
		r, size := utf8.DecodeRune(buf[b:])
		if scriptOf(r) == scOther {
			break
		}
		b += size
	}
	return b
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
		// ASCII, most of a row's bytes, a run at a time: letters extend a
		// Latin word, digits and punctuation end any token.
		if c := buf[i]; isASCIILetter(c) {
			if cur.sc != scLatin {
				closeTok()
				cur = token{sc: scLatin, start: i, r0: len(s.offs)}
			}
			for i++; i < len(buf) && isASCIILetter(buf[i]); i++ {
			}
			cur.end = i
			continue
		} else if c < 0x80 && c != ' ' && c != '\'' && c != '-' {
			closeTok()
			for i++; i < len(buf) && buf[i] < 0x80 && !isASCIILetter(buf[i]) && buf[i] != ' ' && buf[i] != '\'' && buf[i] != '-'; i++ {
			}
			continue
		}
		r, size := utf8.DecodeRune(buf[i:])
		sc := scriptOf(r)
		switch {
		case sc == scLatin:
			if cur.sc != scLatin {
				closeTok()
				cur = token{sc: scLatin, start: i, r0: len(s.offs)}
			}
			cur.end = i + size
		case r == '-' && cur.sc == scLatin && honorificLen(buf[i+1:]) > 0:
			// Taro-san, Yamada-sama: the honorific is no part of the name.
			closeTok()
			i += 1 + honorificLen(buf[i+1:])
			continue
		case (r == '\'' || r == '-') && cur.sc == scLatin:
			// Inside a word (Shin'ichi, Jun-ichi); after one, a quote
			// or a dash that ends it ('Taro','Yamada').
			if r2, _ := utf8.DecodeRune(buf[i+size:]); scriptOf(r2) == scLatin {
				cur.end = i + size
			} else {
				closeTok()
			}
		case sc == scSpace && cur.sc != scOther && cur.sc != scLatin,
			r == '・' && cur.sc == scHira: // katakana's middle dot, in やまだ・たろう
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

// honorifics are the Japanese honorifics English text puts after a name
// with a dash (Yamada-san, Taro-kun).
var honorifics = []string{"sama", "san", "kun", "chan", "sensei", "senpai", "dono"}

// honorificLen returns the length of the honorific, in any case, that b
// starts with and no letter follows, or 0.
func honorificLen(b []byte) int {
	for _, h := range honorifics {
		if len(b) >= len(h) && bytes.EqualFold(b[:len(h)], []byte(h)) && (len(b) == len(h) || !isASCIILetter(b[len(h)])) {
			return len(h)
		}
	}
	return 0
}

// names looks up the name candidates in buf[a:].
func (s *Scanner) names(buf []byte, a int, base int64) {
	s.tokenize(buf, a)
	tries, maxTries := 0, maxNameTriesPerKB*(1+(len(buf)-a)/1024)
	try := func(cand []byte, st, en int) {
		if tries < maxTries {
			tries++
			s.lookupName(cand, false, base+int64(st), base+int64(en))
		}
	}
	for ti, t := range s.toks {
		if n, ok := s.jsonNextName(buf, ti); ok {
			// "sei":"山田","mei":"太郎" or "first_name":"Taro",
			// "last_name":"Yamada": the values of two members, in either
			// order (romaji words are sorted by the normalizer).
			if t.sc == scLatin {
				s.pair = append(append(append(s.pair[:0], buf[t.start:t.end]...), ' '), buf[n.start:n.end]...)
				try(s.pair, t.start, n.end)
			} else {
				s.pair = append(append(s.pair[:0], buf[t.start:t.end]...), buf[n.start:n.end]...)
				try(s.pair, t.start, n.end)
				s.pair = append(append(s.pair[:0], buf[n.start:n.end]...), buf[t.start:t.end]...)
				try(s.pair, t.start, n.end)
			}
		}
		if t.sc == scLatin {
			// Two adjacent words, in the order written: the normalizer
			// sorts them, so "Taro YAMADA" and "YAMADA, Taro" are alike.
			if ti+1 < len(s.toks) && s.toks[ti+1].sc == scLatin && gapIsSeparator(buf[t.end:s.toks[ti+1].start], true) {
				n := s.toks[ti+1]
				if t.end-t.start >= 2 && n.end-n.start >= 2 && !inAddressWord(buf, t) && !inAddressWord(buf, n) {
					// The words with a space: the separator between them
					// may hold quotes ("Taro","Yamada"), which no name does.
					s.pair = append(append(append(s.pair[:0], buf[t.start:t.end]...), ' '), buf[n.start:n.end]...)
					try(s.pair, t.start, n.end)
				}
			}
			continue
		}
		rs := s.offs[t.r0:t.r1]
		maxLen := maxKanaName
		if t.sc == scHan {
			maxLen = maxKanjiName
		}
		// Where the text shows a name's bounds, a candidate keeps to them
		// (see nameCuts).
		inRow := t.sc == scHan && s.tokenInRow(buf, t.start)
		bounded := s.nameCuts(buf, t, rs, inRow)
		strict := t.sc != scHan || inRow // bounded within a part too
		// The token is normalized once, rune by rune; a substring of
		// context-free runes is a slice of that, the others (sound marks,
		// half-width voiced kana) are normalized on their own.
		s.nameTok.Reset(buf[t.start:t.end])
		fast := s.nameTok.Len() == len(rs)
		for i := 0; i < len(rs); i++ {
			if isSpaceAt(buf, rs[i]) {
				continue
			}
			if bounded && strict && !s.cuts[i].start {
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
				if bounded && (strict || s.cuts[i].part != s.cuts[j-1].part) && !(s.cuts[i].start && s.cuts[j].end) {
					continue
				}
				if tries >= maxTries {
					continue
				}
				if norm, ok := s.nameTok.Sub(i, j); ok && fast {
					tries++
					s.stats.Candidates++
					s.norm = append(s.norm[:0], norm...)
					s.lookupName(nil, true, base+int64(rs[i]), base+int64(end))
					continue
				}
				try(buf[rs[i]:end], rs[i], end)
			}
		}
		// A name split in two cells or fields (佐藤<td>花子, 山田,太郎), or a
		// kanji family name with a kana given name (山田 さくら).
		if ti+1 < len(s.toks) {
			n := s.toks[ti+1]
			// A kana given name ends before an honorific (山田 さくらさん);
			// one that runs on into a single kanji that is none, the way
			// given names end (ふみ子, とし江), is part of a longer name:
			// 松井 ひかり子 is not 松井 ひかり, nor is 松井 ひかり子氏. (Before
			// two kanji or more, 山田 さくら会員, 山田 さくら東京都…, a word
			// follows the name.)
			end, runOn := n.end, false
			if n.sc == scHira || n.sc == scKata {
				for _, o := range s.offs[n.r0+1 : n.r1] {
					if kanaNameSuffixes.prefixOf(buf[o:n.end]) {
						end = o
						break
					}
				}
				if r, size := utf8.DecodeRune(buf[n.end:]); end == n.end && scriptOf(r) == scHan && !kanjiNameSuffixes.prefixOf(buf[n.end:]) {
					r2, _ := utf8.DecodeRune(buf[n.end+size:])
					runOn = scriptOf(r2) != scHan || kanjiNameSuffixes.prefixOf(buf[n.end+size:])
				}
			}
			short := t.r1-t.r0 <= 6 && n.r1-n.r0 <= 8
			if n.sc != scLatin && short && !runOn && (n.sc == t.sc || t.sc == scHan) && gapIsSeparator(buf[t.end:n.start], false) {
				// The family name: the kanji token, or, before kana, its
				// last part after a label (名前 松尾 あずさ) or the kanji
				// after a title stuck to it (故土屋 みどり殿). The given name:
				// the kana up to an honorific, or their first part when a
				// word follows it (宮本 あずさ ご住所).
				starts := [3]int{t.start, -1, -1}
				ends := [2]int{end, -1}
				if t.sc == scHan && n.sc != scHan {
					if p := lastPart(buf, s.offs[t.r0:t.r1]); p > t.start {
						starts[1] = p
					}
					if p := kanjiNamePrefixes.prefixLen(buf[t.start:t.end]); p > 0 && t.start+p < t.end && !isNameSep(buf, t.start+p) {
						starts[2] = t.start + p
					}
					for _, o := range s.offs[n.r0+1 : n.r1] {
						if o < end && isNameSep(buf, o) {
							ends[1] = o
							break
						}
					}
				}
				for _, st := range starts {
					for _, en := range ends {
						if st >= 0 && en >= 0 {
							s.pair = append(append(s.pair[:0], buf[st:t.end]...), buf[n.start:en]...)
							try(s.pair, st, en)
						}
					}
				}
			}
			// A kanji family name with a kana given name written on
			// without a space, in prose, where the word before sticks to
			// the family name and an honorific to the given name
			// (本日石川あずさ氏より, 昨日山田さくらさんが): the last one to
			// four kanji, then the kana up to an honorific or the end.
			if t.sc == scHan && (n.sc == scHira || n.sc == scKata) && n.start == t.end && !runOn && !s.tokenInRow(buf, t.start) {
				rs := s.offs[t.r0:t.r1]
				for k := len(rs) - 1; k >= 0 && k >= len(rs)-4; k-- {
					if k == 0 && n.end == end {
						continue // the whole pair, tried above
					}
					s.pair = append(append(s.pair[:0], buf[rs[k]:t.end]...), buf[n.start:end]...)
					try(s.pair, rs[k], end)
				}
			}
		}
	}
}

// lastPart returns the offset of the last part of a token whose rune
// offsets are rs (the rune after its last space), or -1 if it has no
// space inside.
func lastPart(buf []byte, rs []int) int {
	for i := len(rs) - 1; i > 0; i-- {
		if isSpaceAt(buf, rs[i-1]) {
			return rs[i]
		}
	}
	return -1
}

// nameCut says what a name candidate may do at one rune of a token.
type nameCut struct {
	start bool  // a name may start at this rune
	end   bool  // a name may end before this rune (or at the token's end)
	part  int32 // the index of the rune's part: parts are cut by spaces
}

// Name bounds. A set name read inside a longer name of someone else is a
// false hit that the window rule cannot see through: 鈴木 明 in 鈴木 明美,
// クボ ユウコ in オオクボ ユウコ, each with that stranger's own postal code
// or birthdate beside it. Where the text shows where a name starts and
// ends, candidates keep to it:
//
//   - A kana token (katakana, hiragana or half-width kana, with single
//     spaces inside) is a reading written on its own: a candidate starts
//     at the token's start or after a space or a middle dot, and ends at
//     the token's end, before a space or middle dot, or before an honorific
//     written in the same script (さん, さま, くん, ちゃん, どの, サン, サマ…).
//   - A kanji token with spaces inside (鈴木 明美, 氏名 山田 太郎様) shows
//     its parts: a candidate that spans a space starts at the start of a
//     part (or after a label or title written before a name: 故, 氏名,
//     容疑者…) and ends at the end of a part (or before a title written after
//     one: 様, 殿, 氏, 君, 容疑者, 選手…). A candidate within one part is
//     tried as before, like a name written without spaces.
//   - A kanji token without spaces (昨日山田太郎が, 山田太郎様) shows nothing:
//     every substring is tried, as a name written without a space in prose
//     cannot be told from the words around it.
//
// So 鈴木 明 is no longer read in 鈴木 明美, nor クボ ユウコ in オオクボ ユウコ,
// while 山田 太郎様, やまだ たろうさん and ヤマダ タロウ are still read.
var (
	kanjiNamePrefixes = newWordList("故", "氏名", "名前", "宛名", "担当", "担当者", "容疑者", "被告", "被告人", "会員", "顧客", "契約者", "申込者")
	kanjiNameSuffixes = newWordList("様", "殿", "氏", "君", "宛", "方", "容疑者", "被告", "被告人", "被害者", "選手", "先生", "社長", "会長", "部長", "課長", "係長", "議員", "代表", "教授", "医師", "弁護士")
	kanaNameSuffixes  = newWordList("さん", "さま", "くん", "ちゃん", "どの", "サン", "サマ", "クン", "チャン", "ドノ", "ｻﾝ", "ｻﾏ", "ｸﾝ", "ﾁｬﾝ", "ﾄﾞﾉ")
)

// nameCuts fills s.cuts[:len(rs)+1] for token t, whose rune offsets are
// rs, and reports whether the token's candidates are bounded by them: true
// for kana tokens, for kanji tokens with a space inside, and for kanji
// tokens on a row of a table (inRow).
func (s *Scanner) nameCuts(buf []byte, t token, rs []int, inRow bool) bool {
	spaced := false
	if t.sc == scHan && !inRow {
		for _, o := range rs {
			if isSpaceAt(buf, o) {
				spaced = true
				break
			}
		}
		if !spaced {
			return false
		}
	}
	n := len(rs)
	s.cuts = slices.Grow(s.cuts[:0], n+1)[:n+1]
	part, partStart := int32(0), 0
	for k := 0; k <= n; k++ {
		c := nameCut{start: k == 0, end: k == n}
		if k < n {
			sep := isNameSep(buf, rs[k])
			if k > 0 && isNameSep(buf, rs[k-1]) {
				c.start = true
				part++
				partStart = k
			}
			c.end = c.end || sep
			c.part = part
			if !c.end {
				suffixes := &kanaNameSuffixes
				if t.sc == scHan {
					suffixes = &kanjiNameSuffixes
				}
				c.end = suffixes.prefixOf(buf[rs[k]:t.end])
			}
			if !c.start && t.sc == scHan {
				c.start = kanjiNamePrefixes.is(buf[rs[partStart]:rs[k]])
			}
		}
		s.cuts[k] = c
	}
	return true
}

// tokenInRow reports whether the token at buf[i] lies on a row of a table
// (lineOf).
func (s *Scanner) tokenInRow(buf []byte, i int) bool {
	if len(s.segBuf) > len(buf) && len(buf) > 0 && &s.segBuf[0] == &buf[0] {
		// A window's text is the segment cut at the window's end: the
		// line goes on past it, and only the whole segment tells whether
		// it is a row.
		buf = s.segBuf
	}
	_, _, row := s.lineRow(buf, i)
	return row
}

// lineRow returns the bounds of the line holding buf[i] and whether it is
// a row (lineOf), remembering the last line asked about until the segment
// changes (segment forgets it).
func (s *Scanner) lineRow(buf []byte, i int) (lo, end int, row bool) {
	if i < s.rowLine[0] || i >= s.rowLine[1] || &buf[0] != s.rowBuf {
		start, end := s.lineOf(buf, i)
		lo := start
		if start < 0 {
			lo = bytes.LastIndexByte(buf[:i], '\n') + 1
		}
		s.rowLine, s.rowBuf, s.rowIs = [2]int{lo, end}, &buf[0], start >= 0
	}
	return s.rowLine[0], s.rowLine[1], s.rowIs
}

// isNameSep reports whether the rune at buf[i] separates the parts of a
// name: a space or a middle dot.
func isNameSep(buf []byte, i int) bool {
	if i >= len(buf) {
		return false
	}
	switch buf[i] {
	case ' ':
		return true
	case 0xE3:
		return hasPrefix(buf[i:], "\u3000") || hasPrefix(buf[i:], "・")
	case 0xEF:
		return hasPrefix(buf[i:], "･")
	}
	return false
}

// wordList is a list of words of kana or kanji (three bytes or more each),
// looked for at every rune of a name token. The first rune of a text is
// tested against the words' first runes with three bit masks, one per
// byte, before any comparison: most runes of a name begin no word, and
// are told so by the masks alone.
type wordList struct {
	words               []string
	mask0, mask1, mask2 uint64 // bit b&63 of each byte of the words' first runes
	end0, end1, end2    uint64 // and of their last runes
	maxLen              int
}

func newWordList(words ...string) wordList {
	l := wordList{words: words}
	for _, w := range words {
		if len(w) < 3 {
			panic("matcher: word list: " + w + " is shorter than three bytes")
		}
		l.mask0 |= 1 << (w[0] & 63)
		l.mask1 |= 1 << (w[1] & 63)
		l.mask2 |= 1 << (w[2] & 63)
		l.end0 |= 1 << (w[len(w)-3] & 63)
		l.end1 |= 1 << (w[len(w)-2] & 63)
		l.end2 |= 1 << (w[len(w)-1] & 63)
		l.maxLen = max(l.maxLen, len(w))
	}
	return l
}

// mayStart reports whether b's first three bytes may begin one of the
// words.
func (l *wordList) mayStart(b []byte) bool {
	return len(b) >= 3 && l.mask0>>(b[0]&63)&1 != 0 && l.mask1>>(b[1]&63)&1 != 0 && l.mask2>>(b[2]&63)&1 != 0
}

// prefixOf reports whether b starts with one of the words.
func (l *wordList) prefixOf(b []byte) bool {
	if !l.mayStart(b) {
		return false
	}
	for _, w := range l.words {
		if len(b) >= len(w) && string(b[:len(w)]) == w {
			return true
		}
	}
	return false
}

// prefixLen returns the length of the longest of the words b starts
// with, 0 if none.
func (l *wordList) prefixLen(b []byte) int {
	n := 0
	if l.mayStart(b) {
		for _, w := range l.words {
			if len(w) > n && len(b) >= len(w) && string(b[:len(w)]) == w {
				n = len(w)
			}
		}
	}
	return n
}

// suffixLen returns the length of the longest of the words b ends with,
// 0 if none.
func (l *wordList) suffixLen(b []byte) int {
	m := len(b) - 3
	if m < 0 || l.end0>>(b[m]&63)&1 == 0 || l.end1>>(b[m+1]&63)&1 == 0 || l.end2>>(b[m+2]&63)&1 == 0 {
		return 0
	}
	n := 0
	for _, w := range l.words {
		if len(w) > n && len(b) >= len(w) && string(b[len(b)-len(w):]) == w {
			n = len(w)
		}
	}
	return n
}

// is reports whether b is one of the words.
func (l *wordList) is(b []byte) bool {
	if len(b) > l.maxLen || !l.mayStart(b) {
		return false
	}
	for _, w := range l.words {
		if string(b) == w {
			return true
		}
	}
	return false
}

// jsonNextName returns the token after s.toks[ti] that, with it, may be
// a name written in two members of a JSON object: each token is a whole
// string value, one word of a few letters of one script family, and the
// second is the next member's value. Else ok is false.
func (s *Scanner) jsonNextName(buf []byte, ti int) (n token, ok bool) {
	t := s.toks[ti]
	if t.r1-t.r0 > 8 || !jsonValueAt(buf, t.start) {
		return token{}, false
	}
	v := jsonNextValue(buf, t.end)
	if v < 0 {
		return token{}, false
	}
	for _, n := range s.toks[ti+1:] {
		if n.start > v {
			break
		}
		if n.start == v && n.end < len(buf) && buf[n.end] == '"' && n.r1-n.r0 <= 8 &&
			(n.sc == scLatin) == (t.sc == scLatin) && oneWord(buf, s.offs[t.r0:t.r1]) && oneWord(buf, s.offs[n.r0:n.r1]) {
			return n, true
		}
	}
	return token{}, false
}

// oneWord reports whether none of the runes at offs is a space.
func oneWord(buf []byte, offs []int) bool {
	for _, o := range offs {
		if isSpaceAt(buf, o) {
			return false
		}
	}
	return true
}

// jsonNextValue returns where the next member's string value starts when
// buf[i:] closes a JSON string value and goes on to the next member
// (`", "key": "`, white space and line breaks allowed); or -1.
func jsonNextValue(buf []byte, i int) int {
	expect := func(c byte) bool {
		for i < len(buf) && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r') {
			i++
		}
		if i < len(buf) && buf[i] == c {
			i++
			return true
		}
		return false
	}
	if i >= len(buf) || buf[i] != '"' {
		return -1
	}
	i++
	if !expect(',') || !expect('"') {
		return -1
	}
	k := bytes.IndexByte(buf[i:min(len(buf), i+64)], '"')
	if k < 0 {
		return -1
	}
	i += k + 1
	if !expect(':') || !expect('"') {
		return -1
	}
	return i
}

// inAddressWord reports whether the Latin token t is a part of an e-mail
// address or a host name (taro.yamada@example.jp), which no name is: an @
// or a dot between words joins it to the next or the last.
func inAddressWord(buf []byte, t token) bool {
	if t.start > 0 && buf[t.start-1] == '@' || t.end < len(buf) && buf[t.end] == '@' {
		return true
	}
	if t.start > 1 && buf[t.start-1] == '.' && isASCIIAlnum(buf[t.start-2]) {
		return true
	}
	return t.end+1 < len(buf) && buf[t.end] == '.' && isASCIIAlnum(buf[t.end+1])
}

func isASCIIAlnum(c byte) bool { return isASCIILetter(c) || c >= '0' && c <= '9' }

// gapIsSeparator reports whether the bytes between two tokens are one
// separator: a space, a tab, a comma, a pipe or a semicolon, as fields
// are separated (and, for Latin words, a comma and a space); or a field
// separator between the quotes that close one field and open the next,
// as CSV and SQL dumps write them ("山田","太郎" and ('山田','太郎')).
func gapIsSeparator(b []byte, latin bool) bool {
	switch string(b) {
	case " ", "\t", ",", "\u3000", "、", "，", "|", ";":
		return true
	case ", ":
		return latin
	case "":
		return !latin
	}
	if n := len(b); n >= 3 && (b[0] == '"' || b[0] == '\'') && b[n-1] == b[0] {
		return isCellGap(b) // as rowNames joins two cells
	}
	return false
}

func isSpaceAt(buf []byte, i int) bool {
	return i < len(buf) && buf[i] == ' ' || hasPrefix(buf[i:], "\u3000")
}

func isSpaceBefore(buf []byte, i int) bool {
	return i > 0 && buf[i-1] == ' ' || hasSuffix(buf[:i], "\u3000")
}

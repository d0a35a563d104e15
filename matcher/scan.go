package matcher

import (
	"bytes"
	"cmp"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"slices"
	"unicode/utf8"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Streaming: text is read in segments of segSize bytes. Candidates are
// taken from [lo, hi) of each segment, where hi stops margin bytes short of
// the buffer's end (at a line break where there is one), and keepBack bytes
// before hi stay in the buffer for the next segment, so a record that
// straddles two segments is seen whole. Memory per scan is the buffer plus
// the decider's recent hits: constant, whatever the input size.
const (
	segSize  = 1 << 20
	margin   = 8 << 10
	keepBack = 8 << 10
	// maxWindowHits: a weak value shared by more records than this opens
	// no name window of its own (see windows) and is searched for pairs
	// instead (pairs.go).
	maxWindowHits = fingerprints.CommonShare
	// maxPending bounds the weak values carried to the next segment.
	maxPending = 4096
)

// Scanner scans documents in one goroutine, reusing its buffers.
type Scanner struct {
	m       *Matcher
	hashers []fingerprints.Hasher
	// pres[i] computes set i's prefilter values, nil when set i has no
	// prefilter (see fingerprints/prefilter.go).
	pres   []fingerprints.PreHasher
	dec    *decider
	buf    []byte
	norm   []byte
	plus   []byte // a candidate with a + put before it (classify)
	hits   []hit
	sorted []hit // sortHits' other buffer
	order  []hitOrder
	cache  *formCache
	tmp    []cachedHit
	wins   [][2]int
	starts []addrStart

	// kanjiNum is a run of kanji digits spelled in ASCII, and kanjiPieces
	// are its pieces between spaces (kanjiNumber).
	kanjiNum    []byte
	kanjiPieces []kanjiPiece

	// nameSpans and coveredSpans are dropCoveredNames's.
	nameSpans, coveredSpans []span

	// addrJoin holds an address whose city is in the cell before.
	addrJoin []byte
	run      run   // numeric's run, its pieces reused
	bounds   []int // numeric's buffer
	toks     []token
	offs     []int
	pair     []byte
	cuts     []nameCut // nameCuts' buffer
	// tokenInRow's last line: [rowLine[0], rowLine[1]) of the buffer at
	// rowBuf, a row if rowIs.
	rowLine [2]int
	rowBuf  *byte
	segBuf  []byte // the segment's buffer, while segment runs
	rowIs   bool
	// rowRun is a stretch of the segment, [rowRun[0], rowRun[1]], whose
	// lines are all rows (see offRows); empty when rowRun[0] == rowRun[1].
	rowRun  [2]int
	fold    []byte
	foldMap []int
	idLocs  [][2]int // searchIDs' buffer
	// idQuiet is a stretch of the buffer, [idQuiet[0], idQuiet[1]), that
	// the id chunks of every set cover with no match: ids returns at once
	// for a run whose window lies in it (logs are full of short runs).
	idQuiet [2]int
	// idChunks[i] is the id matches of set i around the last runs.
	idChunks []idChunk
	pending  []ref // weak values near a segment's end, for the next
	carry    []ref
	refs     []ref    // the segment's lookups with hits
	interest []posKey // see interestingRecords
	offRow   []posKey
	near     []recKey // see nearRecords
	// deferSets holds the sets of the segment's deferred refs, deferForms
	// their normalized forms; identStarts the starts of its identifying
	// refs, sorted (see needed).
	deferSets   []uint16
	deferForms  []byte
	identStarts []int64
	byRec       []recHit // dropLoneHits' buffers
	byRecTmp    []recHit
	keep        []bool
	// once and twice are the records with one and with two hits or more
	// in the segment, one of them identifying (see segment).
	once, twice recBits
	nameTok     fingerprints.NameToken
	stats       Stats
	counted     runeMark // how far segment counted characters
	// costlyPass is 1+i while names and addresses are looked up for the
	// costly set i alone, around its own hits; 0 otherwise, when they are
	// looked up for every set that is not costly.
	costlyPass int
	// batching is set while extract runs: see job.
	batching bool
	jobs     []job
	jobFPs   []jobFP
	jobKeys  []byte // the jobs' cache keys
	touched  uint64 // flush's reads, kept so they are not optimized away
	// bufAtLine is set when s.buf starts a line (the document's start, or
	// a cut after a line break); eof when it ends the document. lineOf
	// need both to know whether a line is whole in the buffer.
	bufAtLine, eof bool
	bigWeak        int64 // weak values searched for records near them, for tests
	deferred       int64 // weak lookups deferred (common values), for tests
	resolved       int64 // deferred lookups made after all, for tests
	// pairWindows' state (pairs.go): pairing is set while it searches
	// names, which are then looked up paired with s.pairWeak.
	pairing   bool
	pwins     []pairWin
	pairWeak  []pairWeak
	pairArena []byte
	pairSpan  int64 // the longest window of s.pairWeak
	pairSets  []uint16
	pairVals  []byte // the queued pairs' values
	pairJobs  []pairJob
	pairHits  []hit
	// reference makes the scanner take the straightforward paths that the
	// fast ones must agree with (no batching, no prefilter,
	// ids matched run by run, every record of every lookup's hits handed
	// to dropLoneHits and a comparison sort there, every kind tried): for
	// tests only.
	reference bool
	// extractWith, when set, replaces extract: BenchmarkDumpsKnownColumns
	// hands it a dump's cells by their columns, to measure the scan
	// without extraction. For benchmarks and their tests only.
	extractWith func(buf []byte, lo, hi int, base int64)
}

// runeMark is a byte offset in the buffer and the character offset (in
// the document) it stands at.
type runeMark struct {
	at    int
	runes int64
}

// Stats counts what a Scanner did, for metrics and benchmarks.
type Stats struct {
	Bytes      int64 // text bytes scanned
	Candidates int64 // candidate values tried
	Lookups    int64 // fingerprints computed and looked up
	Filtered   int64 // lookups the prefilter spared
	// Deferred counts the lookups of weak values common in the sets
	// (fingerprints.Index.Common), or of sets with pairs, that no record
	// near them needed: put off, and never made.
	Deferred int64
	Hits     int64 // field hits
	Refs     int64 // lookups with hits, before their records are sorted out
	// Covered counts the name hits dropped inside a longer name hit
	// (covered.go).
	Covered int64
}

// ref is the hits of one candidate, not yet expanded.
type ref struct {
	hits       []cachedHit // shared with the cache, sorted by set and record: do not modify
	kind       fingerprints.Kind
	strong     bool // some hit is strong
	start, end int64
	// deferred: a weak value that every set that may hold it holds as a
	// common value or has pairs for, not looked up yet (hits is nil); the
	// sets are s.deferSets[ds0:ds1], and its normalized form
	// s.deferForms[f0:f1]. segment looks it up if a record near it needs
	// it (resolve). rare: some of those sets does not hold it as common.
	deferred bool
	rare     bool
	ds0, ds1 int32
	f0, f1   int32
}

// cacheEntry is what a candidate's lookup found.
type cacheEntry struct {
	hits   []cachedHit // sorted by set and record
	strong bool        // some hit is strong
}

type cachedHit struct {
	set    uint16
	strong bool
	rec    uint32
}

// NewScanner returns a Scanner. It is not safe for concurrent use.
func (m *Matcher) NewScanner() *Scanner {
	s := &Scanner{m: m, dec: newDecider(m.opts.Window, newRecBits(m)), cache: newFormCache(), once: newRecBits(m), twice: newRecBits(m)}
	for _, set := range m.sets {
		h := set.fpr.NewHasher()
		s.hashers = append(s.hashers, h)
		pre, _ := h.(fingerprints.PreHasher)
		if !set.ix.HasPrefilter() {
			pre = nil
		}
		s.pres = append(s.pres, pre)
	}
	return s
}

// Stats returns the counts accumulated over every scan so far.
func (s *Scanner) Stats() Stats { return s.stats }

// Scan reads one document to its end and returns the records found in it.
func (s *Scanner) Scan(ctx context.Context, in Input) ([]Finding, error) {
	text, wait, err := textOf(in)
	if err != nil {
		return nil, err
	}
	findings, err := s.scanText(ctx, text, in.Source)
	if werr := wait(); err == nil && werr != nil {
		err = werr
	}
	if err != nil {
		return nil, err
	}
	return findings, nil
}

func (s *Scanner) scanText(ctx context.Context, text io.Reader, source string) ([]Finding, error) {
	s.dec.reset()
	s.pending = s.pending[:0]
	if cap(s.buf) < segSize+margin {
		s.buf = make([]byte, 0, segSize+margin)
	}
	buf := s.buf[:0]
	var base, runeBase int64
	lo := 0
	eof := false
	s.bufAtLine = true
	for {
		for len(buf) < segSize && !eof {
			n, err := text.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			if errors.Is(err, io.EOF) {
				eof = true
			} else if err != nil {
				return nil, fmt.Errorf("reading %s: %w", source, err)
			}
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hi := len(buf)
		if !eof {
			hi = cutPoint(buf, len(buf)-margin)
		}
		s.eof = eof
		s.counted = runeMark{}
		s.segment(buf, lo, hi, base, runeBase)
		s.stats.Bytes += int64(hi - lo)
		if eof {
			break
		}
		keep := cutPoint(buf, max(hi-keepBack, 0))
		s.bufAtLine = keep == 0 && s.bufAtLine || keep > 0 && buf[keep-1] == '\n'
		// The runes before keep: segment counted them up to its last hit.
		if c := s.counted; c.at > 0 && c.at <= keep {
			runeBase = c.runes + int64(runeCount(buf[c.at:keep]))
		} else {
			runeBase += int64(runeCount(buf[:keep]))
		}
		base += int64(keep)
		n := copy(buf, buf[keep:])
		buf = buf[:n]
		lo = hi - keep
	}
	s.buf = buf[:0]
	return s.dec.findings(s.m, source), nil
}

// runeCount is utf8.RuneCount for valid UTF-8, which is all the scanner
// reads: every input passes a decoder to UTF-8 that replaces what is not
// valid (textOf; FuzzInputs checks it). Its characters are then its bytes
// that do not continue one (10xxxxxx), counted eight at a time.
// utf8.RuneCount decodes each character and, at the first one not ASCII,
// copies the rest of its input into a string: it was 6% of the time of a
// scan of CSV dumps, counting the characters before each segment's cut.
func runeCount(b []byte) int {
	n, i := len(b), 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		n -= bits.OnesCount64(x &^ (x << 1) & 0x8080808080808080)
	}
	for ; i < len(b); i++ {
		if b[i]&0xC0 == 0x80 {
			n--
		}
	}
	return n
}

// cutPoint returns a place at or before i to cut buf: after a line break
// within 4 KiB if there is one, else after a space, else a character
// boundary.
func cutPoint(buf []byte, i int) int {
	if i <= 0 {
		return 0
	}
	for j := i; j > 0 && j > i-4096; j-- {
		if buf[j-1] == '\n' {
			return j
		}
	}
	for j := i; j > 0 && j > i-512; j-- {
		if buf[j-1] == ' ' || buf[j-1] == '\t' {
			return j
		}
	}
	for j := i; j > 0 && j > i-utf8.UTFMax; j-- {
		if utf8.RuneStart(buf[j]) {
			return j
		}
	}
	return i
}

// segment finds the hits of one segment and feeds them to the decider.
//
// A lookup's hits are kept as one reference (ref) until it is known which
// of its records are worth a hit of their own. In a big set most are not:
// a namesake's name is shared by dozens of records and a postal code or a
// birthdate by hundreds, and almost none of them has a second field
// anywhere near. A record is worth its hits when it can still be reported:
// it has a strong hit, it is tracked by the decider already, or it has an
// identifying hit in this segment together with a second hit (identifying
// or weak). Weak hits (birthdates, dates, postal codes) only corroborate,
// so a record with weak hits alone never is. Hits near the segment's end
// are kept whatever their records, as what follows could pair with them,
// and weak values there are looked at again with the next segment, so a
// pair across the boundary is not lost.
func (s *Scanner) segment(buf []byte, lo, hi int, base, runeBase int64) {
	s.hits, s.refs, s.pairHits = s.hits[:0], s.refs[:0], s.pairHits[:0]
	s.deferSets, s.deferForms = s.deferSets[:0], s.deferForms[:0]
	s.rowBuf = nil // the buffer holds other text now
	s.rowRun = [2]int{}
	s.segBuf = buf
	defer func() { s.segBuf = nil }()
	if s.extractWith != nil {
		s.extractWith(buf, lo, hi, base)
	} else {
		s.extract(buf, lo, hi, base)
	}
	if len(s.refs) > 0 {
		s.nameWindows(buf, base)
		s.pairWindows(buf, base)
		s.dropCoveredNames()
	}
	tail := base + int64(hi) - int64(keepBack)/2
	identTail := base + int64(hi) - 8*int64(s.m.opts.Window)
	carried := s.pending
	s.pending = s.carry[:0]
	// The records with an identifying hit (once), and those of them with
	// a hit of a second kind (twice): kind by kind, so that a namesake's
	// name and its kana reading, both names, do not count as two.
	var kinds uint32
	for _, r := range s.refs {
		if r.kind.Identifying() {
			kinds |= 1 << r.kind
		}
	}
	for ; kinds != 0; kinds &= kinds - 1 {
		k := fingerprints.Kind(bits.TrailingZeros32(kinds))
		for _, r := range s.refs {
			if r.kind == k {
				for _, c := range r.hits {
					if s.once.has(c.set, c.rec) {
						s.twice.add(c.set, c.rec)
					}
				}
			}
		}
		for _, r := range s.refs {
			if r.kind == k {
				for _, c := range r.hits {
					s.once.add(c.set, c.rec)
				}
			}
		}
	}
	// A weak value is kept for the records with an identifying hit, the
	// tracked ones, and its strong hits. One shared by many records (a
	// postal code or a birthdate in a big set) is not walked record by
	// record: the records with an identifying hit near it, and the tracked
	// ones, usually few, are searched for in its sorted hits instead.
	local := false // s.interest is built
	keepWeak := func(r ref) {
		add := func(c cachedHit) {
			s.twice.add(c.set, c.rec)
			s.hits = append(s.hits, hit{set: c.set, kind: r.kind, strong: c.strong, rec: c.rec, start: r.start, end: r.end})
		}
		if r.strong || s.reference || len(r.hits) <= 64 {
			for _, c := range r.hits {
				if s.once.has(c.set, c.rec) || c.strong || s.dec.tracked.has(c.set, c.rec) || s.reference {
					add(c)
				}
			}
			return
		}
		if !local {
			s.interest, s.offRow = s.interestingRecords(buf, base, s.interest[:0], s.offRow[:0])
			local = true
		}
		s.bigWeak++
		reach := 16 * int64(s.m.opts.Window)
		// The tracked records have hits from the segments before only
		// (the decider gets this segment's at its end): they matter to
		// weak values near this segment's start alone.
		tracked := r.start < base+int64(lo)+reach
		if ls, le, row := s.lineRow(buf, int(r.start-base)); row {
			// A weak value on a row corroborates the fields of its row and
			// those off any row (sameRecordPlace).
			s.near = s.nearRecords(s.near[:0], s.interest, base+int64(ls), base+int64(le), tracked)
			s.near = s.nearRecords(s.near, s.offRow, r.start-reach, r.end+reach, false)
		} else {
			s.near = s.nearRecords(s.near[:0], s.interest, r.start-reach, r.end+reach, tracked)
		}
		for _, k := range s.near {
			if i, ok := slices.BinarySearchFunc(r.hits, k, func(c cachedHit, k recKey) int { return cmp.Compare(keyOf(c.set, c.rec), k) }); ok {
				for ; i < len(r.hits) && keyOf(r.hits[i].set, r.hits[i].rec) == k; i++ {
					add(r.hits[i])
				}
			}
		}
	}
	s.identStarts = s.identStarts[:0]
	for _, r := range s.refs {
		if r.kind.Identifying() {
			s.identStarts = append(s.identStarts, r.start)
		}
	}
	slices.Sort(s.identStarts)
	for i := range s.refs {
		r := &s.refs[i]
		if r.kind.Identifying() {
			continue
		}
		if r.deferred {
			if !s.needed(r, base+int64(lo), tail) {
				s.stats.Deferred++
				continue // no record near it could use its hits
			}
			s.resolve(r)
		}
		keepWeak(*r)
		if r.start >= tail && len(s.pending) < maxPending {
			s.pending = append(s.pending, *r)
		}
	}
	for _, r := range carried {
		keepWeak(r)
	}
	s.carry = carried[:0]
	for _, r := range s.refs {
		if !r.kind.Identifying() {
			continue
		}
		all := r.start >= identTail || r.strong || s.reference
		for _, c := range r.hits {
			if all || s.twice.has(c.set, c.rec) || s.dec.tracked.has(c.set, c.rec) {
				s.hits = append(s.hits, hit{set: c.set, kind: r.kind, strong: c.strong, rec: c.rec, start: r.start, end: r.end})
			}
		}
	}
	for _, r := range s.refs {
		if r.kind.Identifying() {
			for _, c := range r.hits {
				s.once.del(c.set, c.rec)
				s.twice.del(c.set, c.rec)
			}
		}
	}
	s.hits = append(s.hits, s.pairHits...)
	s.stats.Refs += int64(len(s.refs))
	if len(s.hits) == 0 {
		return
	}
	s.sortHits()
	// Character offsets and rows, walking once through the segment: the
	// line of the hits is looked at once per line.
	at, runes := 0, runeBase
	lineEnd, row := -1, int64(0)
	for i := range s.hits {
		h := &s.hits[i]
		off := int(h.start - base)
		if off > at {
			runes += int64(runeCount(buf[at:off]))
			at = off
		}
		h.pos = runes
		if off >= lineEnd {
			var ls int
			ls, lineEnd = s.lineOf(buf, off)
			row = 0
			if ls >= 0 {
				row = 1 + base + int64(ls)
			}
		}
		h.row = row
	}
	s.counted = runeMark{at: at, runes: runes}
	last := s.hits[len(s.hits)-1].pos
	s.dropLoneHits(base + int64(hi) - 8*int64(s.m.opts.Window))
	for _, h := range s.hits {
		s.dec.add(h)
	}
	s.stats.Hits += int64(len(s.hits))
	s.dec.sweep(last)
}

// Rows. In a table a record is a row, and the rows of a dump of strangers
// are full of namesakes and of postal codes and birthdates shared with set
// records: within the window, a namesake's name on one row and a set
// record's postal code on another, a stranger's, coincide often in a big
// set. So a weak hit corroborates, on a row, only the hits of that row
// (see the decider). A row is a line of at most maxRowBytes bytes with at
// least minRowSeparators of one of the field separators , \t | ; — a CSV,
// TSV or JSON Lines record of four fields or more, or an HTML table row
// (htmlText writes a row as a line and its cells after tabs). A line
// without them (prose, "氏名: …" on a line of its own, pretty-printed JSON)
// or longer (a paragraph, minified JSON) is no row, and its hits keep the
// window rule.
const (
	maxRowBytes      = 4000
	minRowSeparators = 3
)

// lineOf returns the start of the line holding buf[off] if that line is a
// row, else -1, and the end of the line (the offset of its line break, or
// the buffer's end): every offset before it is on the same line. A line
// not whole in the buffer is no row: it is longer than maxRowBytes (the
// segment's cut and margin keep every line of a hit whole up to that
// length), or cut at the buffer's start when that is no line start.
func (s *Scanner) lineOf(buf []byte, off int) (start, end int) {
	end = len(buf)
	if i := bytes.IndexByte(buf[off:], '\n'); i >= 0 {
		end = off + i
	} else if !s.eof {
		return -1, end
	}
	from := max(off-maxRowBytes, 0)
	start = bytes.LastIndexByte(buf[from:off], '\n') + 1
	if start == 0 {
		if from > 0 || !s.bufAtLine {
			return -1, end
		}
	} else {
		start += from
	}
	if end-start > maxRowBytes {
		return -1, end
	}
	// Counted until one separator is seen often enough: a row shows it
	// in its first few fields.
	var seps [4]int
	for _, c := range buf[start:end] {
		i := 0
		switch c {
		case ',':
		case '\t':
			i = 1
		case '|':
			i = 2
		case ';':
			i = 3
		default:
			continue
		}
		if seps[i]++; seps[i] == minRowSeparators {
			return start, end
		}
	}
	return -1, end
}

// recHit is a hit's record, position and index in s.hits.
type recHit struct {
	key recKey
	pos int64
	i   int32
}

// dropLoneHits removes from s.hits (sorted, with positions) the hits that
// cannot change any decision, so that the decider, the costliest step per
// hit, sees only the others. Most hits of a big set are lone: a namesake's
// name, the postal code of a namesake two rows away.
//
// A hit h of record R can change a decision only through a hit o of R that
// qualifies within the window W of h: o's window then holds two kinds, one
// identifying, or a strong hit, all within 2W of h. So h is dropped when R
// has, within 2W characters of h, no strong hit and no partner. A partner
// may count with h by where it is (sameRecordPlace) and is a hit of
// another kind if h identifies, an identifying hit if h is weak — or, if h
// is on a row, any hit off that row: such a hit o can take h into a
// record found through a third hit that does not count with h itself
// (h a name on one row, o a name on another, with a postal code beside
// o). The namesake's name on one row and a postal code on another have no
// partner, and most of a big set's hits in a dump are such. That is
// decided from this segment's hits alone unless R is tracked (it has hits
// from before, which are kept) or h is near the segment's end (tailStart,
// a byte offset at least 2W characters before it: what follows could pair
// with h, so h is kept).
func (s *Scanner) dropLoneHits(tailStart int64) {
	w2 := 2 * int64(s.m.opts.Window)
	s.byRec = s.byRec[:0]
	for i, h := range s.hits {
		s.byRec = append(s.byRec, recHit{key: keyOf(h.set, h.rec), pos: h.pos, i: int32(i)})
	}
	if s.reference {
		slices.SortFunc(s.byRec, func(a, b recHit) int {
			if c := cmp.Compare(a.key, b.key); c != 0 {
				return c
			}
			return cmp.Compare(a.pos, b.pos)
		})
	} else {
		// By key then position: the hits are in order of position, so a
		// stable sort by key is enough.
		s.byRec, s.byRecTmp = radixSortByKey(s.byRec, s.byRecTmp)
	}
	keep := slices.Grow(s.keep[:0], len(s.hits))[:len(s.hits)]
	clear(keep)
	for g := 0; g < len(s.byRec); {
		e := g + 1
		for e < len(s.byRec) && s.byRec[e].key == s.byRec[g].key {
			e++
		}
		group := s.byRec[g:e]
		h0 := &s.hits[group[0].i]
		all := s.dec.tracked.has(h0.set, h0.rec)
		for _, r := range group {
			all = all || s.hits[r.i].strong
		}
		for j, r := range group {
			h := &s.hits[r.i]
			if all || h.start >= tailStart {
				keep[r.i] = true
				continue
			}
			partner := func(x *hit) bool {
				if !sameRecordPlace(h, x) {
					return false
				}
				if h.row != 0 && x.row != h.row {
					return true // x may bring h into a record found off h's row
				}
				if h.kind.Identifying() {
					return x.kind != h.kind
				}
				return x.kind.Identifying()
			}
			for k := j - 1; k >= 0 && r.pos-group[k].pos <= w2 && !keep[r.i]; k-- {
				keep[r.i] = partner(&s.hits[group[k].i])
			}
			for k := j + 1; k < len(group) && group[k].pos-r.pos <= w2 && !keep[r.i]; k++ {
				keep[r.i] = partner(&s.hits[group[k].i])
			}
		}
		g = e
	}
	s.keep = keep
	kept := s.hits[:0]
	for i, h := range s.hits {
		if keep[i] {
			kept = append(kept, h)
		}
	}
	s.hits = kept
}

// radixSortByKey sorts a by key, stably, with b as the other buffer (both
// are returned, sorted first): a least-significant-digit radix sort on the
// bytes of the keys that are not all alike; a comparison sort, stable
// too, when a is short.
func radixSortByKey(a, b []recHit) ([]recHit, []recHit) {
	if len(a) < 256 {
		slices.SortStableFunc(a, func(x, y recHit) int { return cmp.Compare(x.key, y.key) })
		return a, b
	}
	and, or := ^recKey(0), recKey(0)
	for _, r := range a {
		and &= r.key
		or |= r.key
	}
	b = slices.Grow(b[:0], len(a))[:len(a)]
	var count [256]int32
	for shift := uint(0); shift < 64; shift += 8 {
		if (and^or)>>shift&0xFF == 0 {
			continue // every key has this digit
		}
		clear(count[:])
		for _, r := range a {
			count[r.key>>shift&0xFF]++
		}
		sum := int32(0)
		for d, c := range count {
			count[d] = sum
			sum += c
		}
		for _, r := range a {
			d := r.key >> shift & 0xFF
			b[count[d]] = r
			count[d]++
		}
		a, b = b, a
	}
	return a, b
}

// How far from a weak value a record's identifying hit may lie and still
// make the weak value's hit count: the decider pairs hits within the
// window, dropLoneHits looks two windows further, and a character is up to
// 4 bytes; keepWeak looks 16 windows of bytes each way.

// interestingRecords fills dst with the records that have an identifying
// hit among the segment's lookups, with the hit's start, sorted by start:
// the records near a weak value that it may corroborate (nearRecords). Those
// of them whose hit is on no row of a table are in off too.
func (s *Scanner) interestingRecords(buf []byte, base int64, dst, off []posKey) ([]posKey, []posKey) {
	for _, r := range s.refs {
		if r.kind.Identifying() {
			_, _, row := s.lineRow(buf, int(r.start-base))
			for _, c := range r.hits {
				dst = append(dst, posKey{r.start, keyOf(c.set, c.rec)})
				if !row {
					off = append(off, posKey{r.start, keyOf(c.set, c.rec)})
				}
			}
		}
	}
	byStart := func(a, b posKey) int { return cmp.Compare(a.start, b.start) }
	slices.SortFunc(dst, byStart)
	slices.SortFunc(off, byStart)
	return dst, off
}

// posKey is a record with an identifying hit at start.
type posKey struct {
	start int64
	key   recKey
}

// nearRecords appends to dst, sorted and without duplicates, the records
// with an identifying hit in [from, to] (of interest), and those the
// decider tracks if tracked.
func (s *Scanner) nearRecords(dst []recKey, interest []posKey, from, to int64, tracked bool) []recKey {
	i, _ := slices.BinarySearchFunc(interest, from, func(p posKey, from int64) int { return cmp.Compare(p.start, from) })
	for ; i < len(interest) && interest[i].start <= to; i++ {
		dst = append(dst, interest[i].key)
	}
	if tracked {
		for k := range s.dec.states {
			dst = append(dst, k)
		}
	}
	slices.Sort(dst)
	return slices.Compact(dst)
}

// hitOrder is a hit's sort key and its index in s.hits.
type hitOrder struct {
	start int64
	i     int32
}

// sortHits sorts s.hits by start. It sorts 16-byte keys and then gathers
// the 48-byte hits, which is faster than sorting the hits in place and
// gives the very same order, ties included: pdqsort's steps depend only on
// the length and on the comparisons, which look at start alone, so the
// keys are permuted exactly as the hits would be. (Hits of one record that
// start together reach the decider in that order, so it must not change.)
func (s *Scanner) sortHits() {
	s.order = s.order[:0]
	for i, h := range s.hits {
		s.order = append(s.order, hitOrder{h.start, int32(i)})
	}
	slices.SortFunc(s.order, func(a, b hitOrder) int { return cmp.Compare(a.start, b.start) })
	sorted := s.sorted[:0]
	for _, o := range s.order {
		sorted = append(sorted, s.hits[o.i])
	}
	s.hits, s.sorted = sorted, s.hits
}

// lookup normalizes a candidate as kind k, fingerprints it for every set
// that has fields of that kind, and records the hits. It reports whether
// the candidate normalized (so callers can stop trying other forms), or
// false at once when no set has fields of kind k. While batching
// (extract), the lookups and the recording of hits wait for flush.
func (s *Scanner) lookup(k fingerprints.Kind, cand []byte, start, end int64) bool {
	if !s.m.hasKind[k] && !s.reference {
		return false // nothing to find: no set has fields of this kind
	}
	s.stats.Candidates++
	norm, err := fingerprints.AppendNormalized(s.norm[:0], k, cand)
	s.norm = norm
	if err != nil {
		return false
	}
	if s.batching {
		nlen := s.cacheKey(k)
		s.newJob(k, nlen, start, end)
		return true
	}
	s.record(k, s.entryOf(k), start, end)
	return true
}

// passOf is the costly pass a kind's lookups belong to: names and
// addresses are looked up for costly sets in passes of their own.
func (s *Scanner) passOf(k fingerprints.Kind) int {
	if k == fingerprints.Name || k == fingerprints.Address {
		return s.costlyPass
	}
	return 0
}

// lookupNorm is lookup for a candidate already normalized into s.norm.
func (s *Scanner) lookupNorm(k fingerprints.Kind, start, end int64) {
	s.record(k, s.entryOf(k), start, end)
}

// cacheKey turns s.norm, the canonical form of a candidate, into its key in
// s.cache: the form, the kind byte and the pass. It returns the form's
// length.
func (s *Scanner) cacheKey(k fingerprints.Kind) int {
	nlen := len(s.norm)
	s.norm = binary.AppendUvarint(append(s.norm, byte(k)), uint64(s.passOf(k)))
	return nlen
}

// lookupSets calls f with each set a candidate of kind k is looked up in.
func (s *Scanner) lookupSets(k fingerprints.Kind, f func(si int)) {
	pass := s.passOf(k)
	gated := k == fingerprints.Name || k == fingerprints.Address
	for si := range s.m.sets {
		set := &s.m.sets[si]
		if !set.hasKind[k] || gated && (set.costly || pass != 0) && pass != si+1 {
			continue
		}
		f(si)
	}
}

// entryOf returns what the lookup of the candidate normalized into s.norm
// as kind k finds, from the cache or computed.
func (s *Scanner) entryOf(k fingerprints.Kind) cacheEntry {
	nlen := s.cacheKey(k)
	norm := s.norm
	// The prefilter first: it turns away almost every candidate for less
	// than the cache lookup costs.
	any := false
	s.lookupSets(k, func(si int) { any = any || s.mayHave(si, k, norm[:nlen]) })
	if !any {
		return cacheEntry{}
	}
	if e, ok := s.cache.get(norm); ok {
		return e
	}
	s.tmp = s.tmp[:0]
	s.lookupSets(k, func(si int) {
		if s.pres[si] != nil && !s.reference && !s.m.sets[si].ix.MayHave(k, s.pres[si].Pre(k, norm[:nlen])) {
			return
		}
		s.stats.Lookups++
		fp := s.hashers[si].Sum(k, norm[:nlen])
		s.tmp = s.appendHits(s.tmp, si, k, s.m.sets[si].ix.Lookup(fp.Key64()))
	})
	e := s.newEntry(s.tmp)
	s.cache.put(norm, e)
	return e
}

// mayHave reports whether set si may hold the normalized value norm of
// kind k, by its prefilter: false means it does not, and the value need
// not be fingerprinted nor looked up.
func (s *Scanner) mayHave(si int, k fingerprints.Kind, norm []byte) bool {
	p := s.pres[si]
	if p == nil || s.reference {
		return true
	}
	if !s.m.sets[si].ix.MayHave(k, p.Pre(k, norm)) {
		s.stats.Filtered++
		return false
	}
	return true
}

// appendHits appends to dst the index hits of set si that are of kind k.
func (s *Scanner) appendHits(dst []cachedHit, si int, k fingerprints.Kind, hits []fingerprints.Hit) []cachedHit {
	ix := s.m.sets[si].ix
	for _, h := range hits {
		if kind, strong := ix.Column(h.Col()); kind == k {
			dst = append(dst, cachedHit{set: uint16(si), strong: strong, rec: h.Record()})
		}
	}
	return dst
}

// newEntry returns a cache entry holding a copy of hits.
func (s *Scanner) newEntry(hits []cachedHit) cacheEntry {
	var e cacheEntry
	if len(hits) > 0 {
		e.hits = append([]cachedHit(nil), hits...)
	}
	for _, h := range hits {
		e.strong = e.strong || h.strong
	}
	return e
}

// Batching. A lookup costs cache misses: the prefilter's cache lines, then
// for the few candidates that pass it the index's directory and its
// fingerprints; one after another, each waits for its own. So extract only
// normalizes its candidates and queues them (job), and flush looks them
// up together, in passes that touch all the prefilters first, then all the
// directory entries, then all the fingerprint runs, so that the misses
// overlap; then it records the hits in the order they were found.
type job struct {
	k          fingerprints.Kind
	start, end int64 // where the candidate is
	key0, key  int   // its s.cache key is s.jobKeys[key0:key]; the form is the first nlen bytes
	nlen       int
	fp0, fp    int // its fingerprints are s.jobFPs[fp0:fp]
	cached     bool
	entry      cacheEntry
	deferred   bool // a common weak value: recorded as a deferred ref
}

// jobFP is one lookup of a job, in one set.
type jobFP struct {
	set    int
	job    int
	pre    uint32 // the prefilter value, if filtered
	filter bool   // the set has a prefilter
	pass   bool   // the prefilter let it pass (or the set has none)
	key    uint64
	lo, hi uint32 // its bucket in the set's index
}

// maxQueued bounds the lookups waiting for flush.
const maxQueued = 256

// newJob queues the lookup of the candidate at [start, end) normalized
// into s.norm (turned into its cache key, the form being s.norm[:nlen]) in
// the sets to look it up in, with its prefilter values; flush looks the
// queue up and records its hits.
func (s *Scanner) newJob(k fingerprints.Kind, nlen int, start, end int64) {
	j := job{k: k, start: start, end: end, nlen: nlen, key0: len(s.jobKeys), fp0: len(s.jobFPs)}
	s.jobKeys = append(s.jobKeys, s.norm...)
	j.key = len(s.jobKeys)
	norm := s.norm[:nlen]
	s.lookupSets(k, func(si int) {
		f := jobFP{set: si, job: len(s.jobs), pass: true}
		if p := s.pres[si]; p != nil {
			f.filter, f.pre = true, p.Pre(k, norm)
			// Its cache miss proceeds while the next candidates are
			// read; flush probes it.
			s.m.sets[si].ix.Prefetch(k, f.pre)
		}
		s.jobFPs = append(s.jobFPs, f)
	})
	j.fp = len(s.jobFPs)
	s.jobs = append(s.jobs, j)
	if len(s.jobs) >= maxQueued {
		s.flush()
	}
}

// flush looks up the queued jobs and records their hits, in order.
func (s *Scanner) flush() {
	fps := s.jobFPs
	// The prefilters, in one loop: its probes do not depend on each other.
	for i := range fps {
		if fps[i].filter {
			fps[i].pass = s.m.sets[fps[i].set].ix.MayHave(s.jobs[fps[i].job].k, fps[i].pre)
		}
	}
	// The candidates that passed: from the cache, or fingerprinted.
	for ji := range s.jobs {
		j := &s.jobs[ji]
		passed := false
		for i := j.fp0; i < j.fp; i++ {
			if fps[i].pass {
				passed = true
			} else {
				s.stats.Filtered++
			}
		}
		if !passed {
			j.cached = true // nothing to find
			continue
		}
		if s.deferrable(j) {
			j.cached, j.deferred = true, true
			continue
		}
		key := s.jobKeys[j.key0:j.key]
		if e, ok := s.cache.get(key); ok {
			j.cached, j.entry = true, e
			continue
		}
		for i := j.fp0; i < j.fp; i++ {
			if f := &fps[i]; f.pass {
				s.stats.Lookups++
				f.key = s.hashers[f.set].Sum(j.k, key[:j.nlen]).Key64()
				f.lo, f.hi = s.m.sets[f.set].ix.Bucket(f.key)
			}
		}
	}
	var sink uint64
	for i := range fps {
		if fps[i].pass {
			sink += s.m.sets[fps[i].set].ix.Touch(fps[i].lo)
		}
	}
	s.touched = sink
	for ji := range s.jobs {
		j := &s.jobs[ji]
		if !j.cached {
			s.tmp = s.tmp[:0]
			for _, f := range fps[j.fp0:j.fp] {
				if f.pass {
					s.tmp = s.appendHits(s.tmp, f.set, j.k, s.m.sets[f.set].ix.LookupBucket(f.key, f.lo, f.hi))
				}
			}
			j.entry = s.newEntry(s.tmp)
			s.cache.put(s.jobKeys[j.key0:j.key], j.entry)
		}
	}
	for ji := range s.jobs {
		if j := &s.jobs[ji]; j.deferred {
			s.recordDeferred(j, j.start, j.end)
		} else {
			s.record(j.k, j.entry, j.start, j.end)
		}
	}
	clear(s.jobs) // drop the references to the segment and the entries
	s.jobs, s.jobFPs, s.jobKeys = s.jobs[:0], s.jobFPs[:0], s.jobKeys[:0]
}

// deferrable reports whether the lookup of job j, whose prefilters have
// been probed, can be deferred: it is of a weak kind, and every set whose
// prefilter let it pass may defer that kind and holds it as a common
// value or has pairs (a name beside it is then found through the pair,
// whose hits hold the weak value's: its own lookup serves only the
// records with an identifying hit near it, which resolve it).
func (s *Scanner) deferrable(j *job) bool {
	if j.k.Identifying() {
		return false
	}
	for _, f := range s.jobFPs[j.fp0:j.fp] {
		if !f.pass {
			continue
		}
		set := &s.m.sets[f.set]
		if !f.filter || !set.deferOK[j.k] || !set.ix.HasPairs() && !set.ix.Common(j.k, f.pre) {
			return false
		}
	}
	return true
}

// recordDeferred adds a deferred ref for job j at [start, end), with the
// sets whose prefilter let it pass.
func (s *Scanner) recordDeferred(j *job, start, end int64) {
	ds0 := len(s.deferSets)
	rare := false
	for _, f := range s.jobFPs[j.fp0:j.fp] {
		if f.pass {
			s.deferSets = append(s.deferSets, uint16(f.set))
			rare = rare || !s.m.sets[f.set].ix.Common(j.k, f.pre)
		}
	}
	f0 := len(s.deferForms)
	s.deferForms = append(s.deferForms, s.jobKeys[j.key0:j.key0+j.nlen]...)
	s.refs = append(s.refs, ref{kind: j.k, start: start, end: end, deferred: true, rare: rare,
		ds0: int32(ds0), ds1: int32(len(s.deferSets)), f0: int32(f0), f1: int32(len(s.deferForms))})
	s.deferred++
}

// needed reports whether the deferred ref r must be looked up: a record
// near it may need it. That is when an identifying lookup of the segment
// found something within reach of it (identStarts), when the decider
// tracks records and r is near the segment's start (they have hits from
// the segments before), or when r is carried to the next segment (at or
// after tail, unless the segment is the document's last) — the records
// keepWeak could keep its hits for.
func (s *Scanner) needed(r *ref, segStart, tail int64) bool {
	reach := 16 * int64(s.m.opts.Window)
	if r.start >= tail && !s.eof || len(s.dec.states) > 0 && r.start < segStart+reach {
		return true
	}
	i, _ := slices.BinarySearch(s.identStarts, r.start-reach)
	return i < len(s.identStarts) && s.identStarts[i] <= r.end+reach
}

// resolve looks the deferred ref r up, now.
func (s *Scanner) resolve(r *ref) {
	r.deferred = false
	s.resolved++
	s.norm = append(s.norm[:0], s.deferForms[r.f0:r.f1]...)
	e := s.entryOf(r.kind)
	r.hits, r.strong = e.hits, e.strong
}

// record adds the hits of a candidate's lookup at [start, end), as one
// reference (see segment).
func (s *Scanner) record(k fingerprints.Kind, e cacheEntry, start, end int64) {
	if len(e.hits) == 0 {
		return
	}
	s.refs = append(s.refs, ref{hits: e.hits, kind: k, strong: e.strong, start: start, end: end})
}

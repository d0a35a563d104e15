package matcher

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
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
	// maxCache bounds the per-scanner cache of candidate lookups.
	maxCache = 1 << 16
	// maxWindowHits: a weak value shared by more records than this opens
	// no name window of its own.
	maxWindowHits = 8
	// maxPending bounds the weak hits carried to the next segment.
	maxPending = 4096
)

// Scanner scans documents in one goroutine, reusing its buffers.
type Scanner struct {
	m       *Matcher
	hashers []fingerprints.Hasher
	dec     *decider
	buf     []byte
	norm    []byte
	hits    []hit
	sorted  []hit // sortHits' other buffer
	order   []hitOrder
	cache   map[string][]cachedHit
	tmp     []cachedHit
	wins    [][2]int
	starts  []addrStart
	toks    []token
	offs    []int
	pair    []byte
	fold    []byte
	foldMap []int
	pending []hit // weak hits carried to the next segment
	carry   []hit
	weak    []weakRef
	known   recBits // records with an identifying hit in the segment
	nameTok fingerprints.NameToken
	stats   Stats
}

// Stats counts what a Scanner did, for metrics and benchmarks.
type Stats struct {
	Bytes      int64 // text bytes scanned
	Candidates int64 // candidate values normalized
	Lookups    int64 // fingerprints computed and looked up
	Hits       int64 // field hits
}

// weakRef is the hits of one weak candidate, not yet expanded.
type weakRef struct {
	hits       []cachedHit // shared with the cache: do not modify
	kind       fingerprints.Kind
	start, end int64
}

type cachedHit struct {
	set    uint16
	strong bool
	rec    uint32
}

// NewScanner returns a Scanner. It is not safe for concurrent use.
func (m *Matcher) NewScanner() *Scanner {
	s := &Scanner{m: m, dec: newDecider(m.opts.Window, newRecBits(m)), cache: map[string][]cachedHit{}, known: newRecBits(m)}
	for _, set := range m.sets {
		s.hashers = append(s.hashers, set.fpr.NewHasher())
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
	if len(s.cache) > maxCache {
		clear(s.cache)
	}
	if cap(s.buf) < segSize+margin {
		s.buf = make([]byte, 0, segSize+margin)
	}
	buf := s.buf[:0]
	var base, runeBase int64
	lo := 0
	eof := false
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
		s.segment(buf, lo, hi, base, runeBase)
		s.stats.Bytes += int64(hi - lo)
		if eof {
			break
		}
		keep := cutPoint(buf, max(hi-keepBack, 0))
		runeBase += int64(utf8.RuneCount(buf[:keep]))
		base += int64(keep)
		n := copy(buf, buf[keep:])
		buf = buf[:n]
		lo = hi - keep
	}
	s.buf = buf[:0]
	return s.dec.findings(s.m, source), nil
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
// Weak hits (birthdates, dates, postal codes) can only corroborate, and a
// big set makes them plentiful: a postal code can be shared by hundreds of
// records. So a weak hit is kept only for a record that also has an
// identifying or strong hit in this segment, or is already being tracked.
// Weak hits near the end of a segment whose record is not (yet) known wait
// for the next segment, so a pair across the boundary is not lost.
func (s *Scanner) segment(buf []byte, lo, hi int, base, runeBase int64) {
	s.hits, s.weak = s.hits[:0], s.weak[:0]
	s.extract(buf, lo, hi, base)
	if len(s.hits) > 0 || len(s.weak) > 0 {
		s.nameWindows(buf, base)
	}
	// The records with an identifying hit here; the bits are cleared again
	// below, once the weak hits are sorted out.
	nIdent := len(s.hits)
	for _, h := range s.hits {
		s.known.add(h.set, h.rec)
	}
	// Weak hits survive only for records known to be worth tracking; the
	// rest near the segment's end wait for the next segment.
	tail := base + int64(hi) - int64(keepBack)/2
	carried := s.pending
	s.pending = s.carry[:0]
	keep := func(h hit) {
		if h.strong || s.known.has(h.set, h.rec) || s.dec.tracked.has(h.set, h.rec) {
			s.hits = append(s.hits, h)
		} else if h.start >= tail && len(s.pending) < maxPending {
			s.pending = append(s.pending, h)
		}
	}
	for _, w := range s.weak {
		for _, c := range w.hits {
			keep(hit{set: c.set, kind: w.kind, strong: c.strong, rec: c.rec, start: w.start, end: w.end})
		}
	}
	for _, h := range carried {
		keep(h)
	}
	s.carry = carried[:0]
	for _, h := range s.hits[:nIdent] {
		s.known.del(h.set, h.rec)
	}
	if len(s.hits) == 0 {
		return
	}
	s.sortHits()
	// Character offsets, walking once through the segment.
	at, runes := 0, runeBase
	for i := range s.hits {
		h := &s.hits[i]
		off := int(h.start - base)
		if off > at {
			runes += int64(utf8.RuneCount(buf[at:off]))
			at = off
		}
		h.pos = runes
	}
	for _, h := range s.hits {
		s.dec.add(h)
	}
	s.stats.Hits += int64(len(s.hits))
	s.dec.sweep(s.hits[len(s.hits)-1].pos)
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
// the candidate normalized (so callers can stop trying other forms).
func (s *Scanner) lookup(k fingerprints.Kind, cand []byte, start, end int64) bool {
	norm, err := fingerprints.AppendNormalized(s.norm[:0], k, cand)
	s.norm = norm
	s.stats.Candidates++
	if err != nil {
		return false
	}
	s.lookupNorm(k, start, end)
	return true
}

// lookupNorm is lookup for a candidate already normalized into s.norm.
func (s *Scanner) lookupNorm(k fingerprints.Kind, start, end int64) {
	// The cache key is the kind byte and the canonical form.
	norm := append(s.norm, byte(k))
	s.norm = norm
	hits, ok := s.cache[string(norm)]
	if !ok {
		s.tmp = s.tmp[:0]
		for si := range s.m.sets {
			set := &s.m.sets[si]
			if !set.hasKind[k] {
				continue
			}
			s.stats.Lookups++
			fp := s.hashers[si].Sum(k, norm[:len(norm)-1])
			for _, h := range set.ix.Lookup(fp.Key64()) {
				kind, strong := set.ix.Column(h.Col())
				if kind == k {
					s.tmp = append(s.tmp, cachedHit{set: uint16(si), strong: strong, rec: h.Record()})
				}
			}
		}
		if len(s.tmp) > 0 {
			hits = append([]cachedHit(nil), s.tmp...)
		}
		if len(s.cache) < maxCache {
			s.cache[string(norm)] = hits
		}
	}
	if len(hits) == 0 {
		return
	}
	if !k.Identifying() {
		// Weak: kept as one reference until it is known whether any of
		// its records has an identifying field nearby.
		s.weak = append(s.weak, weakRef{hits: hits, kind: k, start: start, end: end})
		return
	}
	for _, h := range hits {
		s.hits = append(s.hits, hit{set: h.set, kind: k, strong: h.strong, rec: h.rec, start: start, end: end})
	}
}

package matcher

import (
	"cmp"
	"slices"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// Covered names. Names are looked up as every substring that could be
// one, so the text of one name holds the readings of shorter ones: 髙橋
// 正樹 holds 髙橋 正. When the set holds both, as two people, the shorter
// one's record is read where the text shows the longer one's, and with a
// weak value they share (the two live at one postal code) it would be
// reported for a leak of the other. The text names one person there: the
// longest name the set holds. So a name hit whose text lies strictly
// inside that of another name hit, of any record, is dropped before the
// decider sees it; a pair hit (a name with a weak value, pairs.go) is a
// name hit too, and loses its weak hit with its name. Namesakes, read at
// the same place, all stay.

// dropCoveredNames drops the segment's name hits, in s.refs and
// s.pairHits, covered by another name hit. It runs after the windows and
// pairs are searched, when no index into s.refs is held any more.
func (s *Scanner) dropCoveredNames() {
	spans := s.nameSpans[:0]
	for _, r := range s.refs {
		if r.kind == fingerprints.Name {
			spans = append(spans, span{r.start, r.end})
		}
	}
	for i := 0; i < len(s.pairHits); i += 2 {
		spans = append(spans, span{s.pairHits[i].start, s.pairHits[i].end})
	}
	s.nameSpans = spans
	if len(spans) < 2 {
		return
	}
	slices.SortFunc(spans, compareSpans)
	spans = slices.Compact(spans)
	// Sorted by start, then longest first: a span is covered when one
	// before it ends at or after its end.
	covered := s.coveredSpans[:0]
	maxEnd := spans[0].end
	for _, sp := range spans[1:] {
		if sp.end <= maxEnd {
			covered = append(covered, sp)
		}
		maxEnd = max(maxEnd, sp.end)
	}
	s.coveredSpans = covered
	if len(covered) == 0 {
		return
	}
	isCovered := func(start, end int64) bool {
		_, ok := slices.BinarySearchFunc(covered, span{start, end}, compareSpans)
		return ok
	}
	refs := s.refs[:0]
	for _, r := range s.refs {
		if r.kind == fingerprints.Name && isCovered(r.start, r.end) {
			s.stats.Covered++
			continue
		}
		refs = append(refs, r)
	}
	s.refs = refs
	pairs := s.pairHits[:0]
	for i := 0; i+1 < len(s.pairHits); i += 2 {
		if isCovered(s.pairHits[i].start, s.pairHits[i].end) {
			s.stats.Covered++
			continue
		}
		pairs = append(pairs, s.pairHits[i], s.pairHits[i+1])
	}
	s.pairHits = pairs
}

// span is where a hit's text is, [start, end) in the input's bytes.
type span struct{ start, end int64 }

// compareSpans orders spans by start, then the longer first.
func compareSpans(a, b span) int {
	if c := cmp.Compare(a.start, b.start); c != 0 {
		return c
	}
	return cmp.Compare(b.end, a.end)
}

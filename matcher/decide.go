package matcher

import (
	"math/bits"
	"sort"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// hit is one field of one record found at one place.
type hit struct {
	set    uint16
	kind   fingerprints.Kind
	strong bool
	rec    uint32
	start  int64 // byte offsets in the text
	end    int64
	pos    int64 // character offset of start
	row    int64 // 1 + the byte offset of its line's start if that line is a row (lineOf), else 0
}

type recKey uint64

func keyOf(set uint16, rec uint32) recKey { return recKey(set)<<32 | recKey(rec) }

// The record-level decision. A record is reported when, within the window,
// it has a strong field, or two fields of distinct kinds of which at least
// one identifies (so a birthdate and a postal code that happen to coincide
// do not report it, and one record's name next to another's phone reports
// neither).
//
// In a table a record is a row. A weak field (birthdate, postal code)
// corroborates only fields that are placed with it as one record's would
// be (sameRecordPlace): when both lie on rows of a table (lineOf: lines of
// delimited fields), only a field of the same row. A dump of strangers
// holds, within any window, namesakes of set records on some rows and set
// records' postal codes and birthdates (shared by many people) on others;
// a set record's own row holds its name and its postal code side by side.
// Two identifying fields keep the window rule across rows (a phone and a
// name of one record rarely coincide by chance, and a dump split over
// lines must still be found), and so does every pair with a field that is
// not on a row: prose, key–value listings with a field per line (氏名: …
// then 生年月日: …), pretty-printed JSON.
//
// Checking pairs suffices: if the kinds that a hit may pair with within
// its window qualify, some pair of the hit and one of them does.
type decider struct {
	window    int64
	states    map[recKey]*recState
	tracked   recBits // the records in states, for segment's fast test
	found     map[recKey]*foundRec
	lastSweep int64
}

type recState struct {
	hits   []hit
	maxPos int64
}

type foundRec struct {
	kinds      uint32 // bit per kind
	strong     bool
	start, end int64
}

const maxRecentHits = 24

var identifyingMask = func() uint32 {
	var m uint32
	for _, k := range fingerprints.Kinds() {
		if k.Identifying() {
			m |= 1 << k
		}
	}
	return m
}()

func newDecider(window int, tracked recBits) *decider {
	return &decider{window: int64(window), states: map[recKey]*recState{}, tracked: tracked, found: map[recKey]*foundRec{}}
}

func (d *decider) reset() {
	for k := range d.states {
		d.tracked.del(uint16(k>>32), uint32(k))
	}
	clear(d.states)
	clear(d.found)
	d.lastSweep = 0
}

func (d *decider) add(h hit) {
	k := keyOf(h.set, h.rec)
	st := d.states[k]
	if st == nil {
		st = &recState{}
		d.states[k] = st
		d.tracked.add(h.set, h.rec)
	}
	for _, o := range st.hits {
		if o.kind == h.kind && o.start == h.start && o.end == h.end {
			return // the same field found twice (overlapping segments)
		}
	}
	if len(st.hits) == maxRecentHits {
		// Forget the hit farthest behind.
		oldest := 0
		for i, o := range st.hits {
			if o.pos < st.hits[oldest].pos {
				oldest = i
			}
		}
		st.hits[oldest] = h
	} else {
		st.hits = append(st.hits, h)
	}
	st.maxPos = max(st.maxPos, h.pos)

	var kinds uint32
	strong := h.strong
	lo, hi := h.start, h.end
	for _, o := range st.hits {
		if abs(o.pos-h.pos) > d.window || !sameRecordPlace(&h, &o) {
			continue
		}
		kinds |= 1 << o.kind
		if o.strong {
			strong = true
		}
	}
	qualifies := strong || (bits.OnesCount32(kinds) >= 2 && kinds&identifyingMask != 0)
	if !qualifies {
		return
	}
	for _, o := range st.hits {
		if abs(o.pos-h.pos) <= d.window && sameRecordPlace(&h, &o) && (o.strong || kinds&identifyingMask != 0) {
			lo, hi = min(lo, o.start), max(hi, o.end)
		}
	}
	f := d.found[k]
	if f == nil {
		f = &foundRec{start: lo, end: hi}
		d.found[k] = f
	}
	f.kinds |= kinds
	f.strong = f.strong || strong
	f.start, f.end = min(f.start, lo), max(f.end, hi)
}

// sameRecordPlace reports whether two hits of one record may count
// together by where they are: not when both are on rows of a table, on
// different rows, and one of them is weak.
func sameRecordPlace(a, b *hit) bool {
	return a.row == 0 || b.row == 0 || a.row == b.row || a.kind.Identifying() && b.kind.Identifying()
}

// sweep forgets records whose last hit is too far behind pos to pair with
// anything still to come; it keeps memory bounded on huge inputs.
func (d *decider) sweep(pos int64) {
	if pos-d.lastSweep < 4*d.window && len(d.states) < 1<<14 {
		return
	}
	d.lastSweep = pos
	for k, st := range d.states {
		if st.maxPos < pos-2*d.window {
			delete(d.states, k)
			d.tracked.del(uint16(k>>32), uint32(k))
		}
	}
}

// kindWeight is how much a kind of field says about who a record is.
var kindWeight = [...]float64{
	fingerprints.MyNumber: 0.9, fingerprints.Card: 0.85, fingerprints.Email: 0.7,
	fingerprints.Phone: 0.7, fingerprints.ID: 0.6, fingerprints.Address: 0.6,
	fingerprints.Name: 0.5, fingerprints.Birthdate: 0.3, fingerprints.Date: 0.15,
	fingerprints.Postal: 0.15,
}

// score is 1 − Π(1 − w) over the kinds found: it rises with the number and
// strength of fields, and a strong field alone scores at least 0.9.
func score(kinds uint32, strong bool) float64 {
	miss := 1.0
	for _, k := range fingerprints.Kinds() {
		if kinds&(1<<k) != 0 && int(k) < len(kindWeight) {
			miss *= 1 - kindWeight[k]
		}
	}
	s := 1 - miss
	if strong && s < 0.9 {
		s = 0.9
	}
	return float64(int(s*1000+0.5)) / 1000
}

// kindNames lists the kinds in a bitmask by name, alphabetically.
func kindNames(kinds uint32) []string {
	var out []string
	for _, k := range fingerprints.Kinds() {
		if kinds&(1<<k) != 0 {
			out = append(out, k.String())
		}
	}
	sort.Strings(out)
	return out
}

// findings turns what was found into Findings, in order of position.
func (d *decider) findings(m *Matcher, source string) []Finding {
	out := make([]Finding, 0, len(d.found))
	for k, f := range d.found {
		set := m.sets[k>>32]
		out = append(out, Finding{
			Set: set.name, Ref: set.ix.Ref(uint32(k)), Fields: kindNames(f.kinds), Source: source,
			Start: f.start, End: f.end, Score: score(f.kinds, f.strong),
		})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Start != out[j].Start {
			return out[i].Start < out[j].Start
		}
		if out[i].Set != out[j].Set {
			return out[i].Set < out[j].Set
		}
		return out[i].Ref < out[j].Ref
	})
	return out
}

func abs(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

package fingerprints

import (
	"encoding/binary"
)

// Pair fingerprints.
//
// A weak field (a postal code, a birthdate) only corroborates, so a leak
// of a name with a postal code is found by looking for names near the
// postal code's hits. In a big set that stops working: a postal code is
// shared by thousands of records and a birthdate by dozens, every row of a
// dump of strangers holds one of each, and searching each row for names,
// then each namesake's records among the postal code's thousands, costs
// more than a scan can afford. So a keyed load also fingerprints each
// record's name with each of its weak fields, as one value of kind Pair:
//
//	byte(weak kind) | uvarint len(weak) | weak | name
//
// both normalized, for every form of the name the record has (kanji, kana
// reading, its romaji). The matcher, near a weak value the set holds,
// looks up the pairs of that value with the names around it: one exact
// lookup per name, whose hits are the records holding both.
//
// Pair fields carry a prefilter value like the others (under their own
// SipHash key) and are stored with the column of their name. They cost
// about a fingerprint per (name form, weak field) of a record: 13 bytes
// of index each. Sets loaded before them, and blind sets, have none; their
// name-and-weak-value leaks are found only when few records share the
// weak value (see the matcher's windows).

// Pair is the kind byte of pair fingerprints. It is no field kind: a
// schema cannot map it, and Valid reports false for it.
const Pair Kind = 0x40

// maxPairs bounds the pair fields of one record (a chunk stores at most
// 255 fields a record; a schema of many name and date columns would
// otherwise overflow it).
const maxPairs = 64

// AppendPair appends to dst the value of the pair of a name with a weak
// field of kind weak, both already normalized (the value Pair fingerprints
// hash).
func AppendPair(dst []byte, weak Kind, weakNorm, nameNorm []byte) []byte {
	dst = append(dst, byte(weak))
	dst = binary.AppendUvarint(dst, uint64(len(weakNorm)))
	dst = append(dst, weakNorm...)
	return append(dst, nameNorm...)
}

// pairable reports whether a field of kind k is paired with names: the
// kinds that only corroborate.
func pairable(k Kind) bool { return k.Valid() && !k.Identifying() }

// pairSink collects the normalized names and weak values of one row and
// makes their pair fields.
type pairSink struct {
	arena []byte
	names []pairPart
	weak  []pairPart
	value []byte
}

type pairPart struct {
	col    uint8
	kind   Kind
	lo, hi int // in arena
}

func (p *pairSink) reset() {
	p.arena, p.names, p.weak = p.arena[:0], p.names[:0], p.weak[:0]
}

// add remembers a field's normalized value if pairs need it.
func (p *pairSink) add(f *Field, normalized []byte) {
	if f.Kind != Name && !pairable(f.Kind) {
		return
	}
	part := pairPart{col: f.Col, kind: f.Kind, lo: len(p.arena)}
	p.arena = append(p.arena, normalized...)
	part.hi = len(p.arena)
	if f.Kind == Name {
		p.names = append(p.names, part)
	} else {
		p.weak = append(p.weak, part)
	}
}

// appendPairs appends the row's pair fields to recs, fingerprinted by h
// and pre, and forgets the row.
func (p *pairSink) appendPairs(recs []Field, h Hasher, pre PreHasher) []Field {
	n := 0
	for _, w := range p.weak {
		for _, nm := range p.names {
			if n == maxPairs {
				break
			}
			n++
			p.value = AppendPair(p.value[:0], w.kind, p.arena[w.lo:w.hi], p.arena[nm.lo:nm.hi])
			recs = append(recs, Field{Col: nm.col, Kind: Pair, FP: h.Sum(Pair, p.value), Pre: pre.Pre(Pair, p.value)})
		}
	}
	p.reset()
	return recs
}

package matcher

// recBits is a set of records: a bit per record of each set. segment asks,
// for every record a weak value is shared by (hundreds per postal code in a
// big set), whether it is being tracked; an indexed load answers that
// several times faster than a map lookup. The bits grow with the highest
// record added, so a Scanner that meets few hits stays small, and the bits
// of a million-record set take 125 KiB.
type recBits [][]uint64

func newRecBits(m *Matcher) recBits { return make(recBits, len(m.sets)) }

// has reports whether the record is in the set.
func (b recBits) has(set uint16, rec uint32) bool {
	w := b[set]
	i := rec / 64
	return i < uint32(len(w)) && w[i]&(1<<(rec%64)) != 0
}

// add puts the record in the set.
func (b recBits) add(set uint16, rec uint32) {
	i := int(rec / 64)
	if i >= len(b[set]) {
		// Doubling keeps the growth amortized as records climb.
		b[set] = append(b[set], make([]uint64, max(i+1, 2*len(b[set]))-len(b[set]))...)
	}
	b[set][i] |= 1 << (rec % 64)
}

func (b recBits) del(set uint16, rec uint32) {
	w := b[set]
	if i := rec / 64; i < uint32(len(w)) {
		w[i] &^= 1 << (rec % 64)
	}
}

package fingerprints

import "slices"

// Common weak values. In a big set most birthdates and postal codes are
// shared by many records: a set of a million holds every birthdate of a
// century thirty times over, and each postal code of a town hundreds of
// times. The matcher cannot use such a value to open a name window (the
// namesakes it would bring are too many), and a stranger's row in a dump
// holds one of them in nearly every line; looking each one up would copy
// its hundreds of hits only to find, almost always, no record of the set
// nearby for it to corroborate. So the index also keeps the prefilter
// values of the weak fields (birthdates, dates, postal codes) that more
// than CommonShare fields of a kind carry, and the matcher asks Common
// before it looks such a value up: it defers the lookup until a record
// found near the value needs it.
//
// Common is exact for the values the set holds, up to collisions of the
// 32-bit prefilter values: two values of a kind that share a prefilter
// value are counted together (for a set of a million, with about 10^5
// distinct weak values a kind, about one such pair a set). A value
// counted common that is not shared by that many records is then looked
// up only when needed, like the others: it costs time, never a record.

// CommonShare is how many fields of a kind a weak value must be carried by
// — more than this — to be common.
const CommonShare = 8

// commonSet is a set of 32-bit values, open addressing with linear
// probing; 0 marks an empty slot, so the value 0 is kept apart.
type commonSet struct {
	slots []uint32
	zero  bool
}

// newCommonSet returns the set of the values that occur more than
// CommonShare times in vals, which must be sorted; nil if none does.
func newCommonSet(vals []uint32) *commonSet {
	var common []uint32
	for i := 0; i < len(vals); {
		j := i + 1
		for j < len(vals) && vals[j] == vals[i] {
			j++
		}
		if j-i > CommonShare {
			common = append(common, vals[i])
		}
		i = j
	}
	if len(common) == 0 {
		return nil
	}
	n := 16
	for n < 2*len(common) {
		n *= 2
	}
	c := &commonSet{slots: make([]uint32, n)}
	for _, v := range common {
		if v == 0 {
			c.zero = true
			continue
		}
		i := c.slot(v)
		for c.slots[i] != 0 {
			i = (i + 1) & (len(c.slots) - 1)
		}
		c.slots[i] = v
	}
	return c
}

func (c *commonSet) slot(v uint32) int {
	return int(bloomMix(v) >> 32 & uint64(len(c.slots)-1))
}

func (c *commonSet) has(v uint32) bool {
	if v == 0 {
		return c.zero
	}
	for i := c.slot(v); ; i = (i + 1) & (len(c.slots) - 1) {
		switch c.slots[i] {
		case v:
			return true
		case 0:
			return false
		}
	}
}

func (c *commonSet) bytes() int { return 4 * len(c.slots) }

// commonSets builds the common values of the weak kinds from the
// prefilter values of each kind (sorted here, in place).
func commonSets(pres *[numKinds][]uint32) (cs [numKinds]*commonSet) {
	for k := range pres {
		if !Kind(k).Valid() || Kind(k).Identifying() {
			continue
		}
		slices.Sort(pres[k])
		cs[k] = newCommonSet(pres[k])
	}
	return cs
}

// Common reports whether more than CommonShare fields of the weak kind k
// carry the prefilter value v (see above); false for identifying kinds,
// and for sets without a prefilter.
func (ix *Index) Common(k Kind, v uint32) bool {
	if !k.Valid() {
		return false
	}
	c := ix.common[k]
	return c != nil && c.has(v)
}

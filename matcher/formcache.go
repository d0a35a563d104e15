package matcher

import (
	"hash/maphash"
)

// formCache remembers what the lookup of a normalized form found, so that
// a form met again (a birthdate shared by dozens of records of a big set,
// a date in every line of a log, a name in every row of a dump) costs
// neither a fingerprint nor an index probe. Only forms that passed the
// prefilter reach it, and they are few.
//
// It is two-way: a form may sit in one of two slots chosen by a seeded
// hash. A slot holds the form's cache key (the form, its kind and its
// pass) in full and is used only for that very key, so a hash collision
// costs a miss, never a wrong record. A new form takes an empty slot of
// its two, else the one whose entry is cheaper to find again: the one
// with fewer hits (a postal code shared by 5,000 records of a big set costs
// 5,000 hits to copy; a birthdate 30), so that tens of thousands of
// birthdates do not push out the postal codes. Its memory is constant:
// formSlots slots of a cache line each, and the entries' hits.
type formCache struct {
	seed  maphash.Seed
	slots []formSlot
}

const (
	formSlots = 1 << 14 // a power of two
	// formKeyMax: longer keys (addresses, long names) are not cached;
	// they rarely repeat.
	formKeyMax = 38
)

type formSlot struct {
	n     uint8 // key length; 0: empty
	key   [formKeyMax]byte
	entry cacheEntry
}

func newFormCache() *formCache {
	return &formCache{seed: maphash.MakeSeed(), slots: make([]formSlot, formSlots)}
}

// ways returns the two slots a key may sit in.
func (c *formCache) ways(key []byte) (*formSlot, *formSlot) {
	h := maphash.Bytes(c.seed, key)
	return &c.slots[h&(formSlots-1)], &c.slots[(h>>32)&(formSlots-1)]
}

func (sl *formSlot) holds(key []byte) bool {
	return int(sl.n) == len(key) && string(sl.key[:sl.n]) == string(key)
}

// get returns the entry cached for key, if any.
func (c *formCache) get(key []byte) (cacheEntry, bool) {
	if len(key) > formKeyMax || len(key) == 0 {
		return cacheEntry{}, false
	}
	a, b := c.ways(key)
	if a.holds(key) {
		return a.entry, true
	}
	if b.holds(key) {
		return b.entry, true
	}
	return cacheEntry{}, false
}

// put caches e for key.
func (c *formCache) put(key []byte, e cacheEntry) {
	if len(key) > formKeyMax || len(key) == 0 {
		return
	}
	a, b := c.ways(key)
	sl := a
	switch {
	case a.holds(key) || a.n == 0:
	case b.holds(key) || b.n == 0:
		sl = b
	case len(b.entry.hits) < len(a.entry.hits):
		sl = b
	}
	sl.n = uint8(copy(sl.key[:], key))
	sl.entry = e
}

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
// It is direct-mapped: a form has one slot, chosen by a seeded hash, and
// takes it over from whatever was there. A slot holds the form's cache key
// (the form, its kind and its pass) in full and is used only for that very
// key, so a hash collision costs a miss, never a wrong record. Its memory
// is constant: formSlots slots of a cache line each, and the entries' hits.
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

func (c *formCache) slot(key []byte) *formSlot {
	return &c.slots[maphash.Bytes(c.seed, key)&(formSlots-1)]
}

// get returns the entry cached for key, if any.
func (c *formCache) get(key []byte) (cacheEntry, bool) {
	if len(key) > formKeyMax {
		return cacheEntry{}, false
	}
	sl := c.slot(key)
	if int(sl.n) != len(key) || string(sl.key[:sl.n]) != string(key) {
		return cacheEntry{}, false
	}
	return sl.entry, true
}

// put caches e for key.
func (c *formCache) put(key []byte, e cacheEntry) {
	if len(key) > formKeyMax || len(key) == 0 {
		return
	}
	sl := c.slot(key)
	sl.n = uint8(copy(sl.key[:], key))
	sl.entry = e
}

package matcher

import (
	"bytes"
	"hash/maphash"

	"github.com/leakwatch/leakwatch/fingerprints"
)

// rawCache remembers, for a candidate as written (its raw bytes, its kind
// and the costly pass it was tried in), whether it normalized and what its
// lookup found, so that a value written the same way again is neither
// normalized nor hashed again: CSV dumps repeat their rows, logs their
// numbers. Its memory is constant: a table of slots that grows to
// maxRawSlots, open addressing with a few probes, and an arena of the raw
// bytes that is emptied (with the table) when full. A slot's 64-bit hash
// only locates it; the raw bytes, kind and pass are compared before a slot
// is used, so a hash collision costs a miss, never a wrong record.
//
// The hashes are kept apart from the rest of the slots, so that a miss,
// the common case, reads one small array. When a value's probes are all
// taken, only every rawEvictEvery-th such value takes its home slot: a
// stream of values seen once does not flush the ones that recur.
type rawCache struct {
	seed  maphash.Seed
	tags  []uint64  // the slots' hashes; 0: empty
	slots []rawSlot // parallel to tags; grows from minRawSlots to maxRawSlots
	used  int       // slots not empty
	tick  int       // values that found their probes taken
	arena []byte
}

type rawSlot struct {
	off   uint32 // the raw bytes are arena[off:off+n]
	n     uint32
	kind  fingerprints.Kind
	pass  uint16
	valid bool // the candidate normalized
	entry cacheEntry
}

const (
	minRawSlots   = 1 << 10 // powers of two
	maxRawSlots   = 1 << 16
	rawProbes     = 4
	rawEvictEvery = 8
	rawArenaSize  = 2 << 20
	// maxRawLen: longer candidates are not cached.
	maxRawLen = 512
)

func newRawCache() *rawCache {
	return &rawCache{seed: maphash.MakeSeed(), tags: make([]uint64, minRawSlots), slots: make([]rawSlot, minRawSlots)}
}

// hash returns the slot hash of a candidate; never 0.
func (c *rawCache) hash(k fingerprints.Kind, pass int, raw []byte) uint64 {
	h := maphash.Bytes(c.seed, raw) ^ (uint64(k)<<56 | uint64(pass)<<40)
	if h == 0 {
		h = 1
	}
	return h
}

// get returns the slot of a candidate, or nil.
func (c *rawCache) get(h uint64, k fingerprints.Kind, pass int, raw []byte) *rawSlot {
	mask := uint64(len(c.tags) - 1)
	for p := uint64(0); p < rawProbes; p++ {
		i := (h + p) & mask
		switch c.tags[i] {
		case 0:
			return nil
		case h:
			sl := &c.slots[i]
			if sl.kind == k && int(sl.pass) == pass && int(sl.n) == len(raw) && bytes.Equal(c.arena[sl.off:sl.off+sl.n], raw) {
				return sl
			}
		}
	}
	return nil
}

// put stores what a candidate's lookup found.
func (c *rawCache) put(h uint64, k fingerprints.Kind, pass int, raw []byte, valid bool, e cacheEntry) {
	if len(raw) > maxRawLen || pass > 0xFFFF {
		return
	}
	if len(c.arena)+len(raw) > rawArenaSize {
		clear(c.tags)
		clear(c.slots)
		c.used = 0
		c.arena = c.arena[:0]
	}
	if c.used*4 >= len(c.tags)*3 && len(c.tags) < maxRawSlots {
		oldTags, oldSlots := c.tags, c.slots
		c.tags, c.slots, c.used = make([]uint64, 2*len(oldTags)), make([]rawSlot, 2*len(oldSlots)), 0
		for i, t := range oldTags {
			if t != 0 {
				c.insert(t, oldSlots[i], true)
			}
		}
	}
	if c.insert(h, rawSlot{off: uint32(len(c.arena)), n: uint32(len(raw)), kind: k, pass: uint16(pass), valid: valid, entry: e}, false) {
		c.arena = append(c.arena, raw...)
	}
}

// insert puts sl in the first empty slot of its probes, or (when evict
// says so, or its turn has come) in place of the one at its home. It
// reports whether sl was stored.
func (c *rawCache) insert(h uint64, sl rawSlot, evict bool) bool {
	mask := uint64(len(c.tags) - 1)
	for p := uint64(0); p < rawProbes; p++ {
		if i := (h + p) & mask; c.tags[i] == 0 {
			c.tags[i], c.slots[i] = h, sl
			c.used++
			return true
		}
	}
	c.tick++
	if !evict && c.tick%rawEvictEvery != 0 {
		return false
	}
	c.tags[h&mask], c.slots[h&mask] = h, sl
	return true
}

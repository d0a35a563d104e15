package fingerprints

import (
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/dchest/siphash"
)

// The prefilter of keyed sets.
//
// The matcher looks up far more candidates than it finds: tens of
// thousands per megabyte of text, of which almost none are in the set. An
// HMAC costs about 170 ns and an index probe one or two cache misses, so
// looking each one up caps the matcher at a few tens of MB/s. A keyed set
// therefore carries, for each field, a second and cheap keyed value: the
// first 32 bits of SipHash-2-4 of the normalized value, under a 128-bit
// key per kind derived from the operator's key and the set's salt (HKDF,
// "leakwatch prefilter v1"). The loader stores it next to the fingerprint;
// the index turns the values of each kind into a split block Bloom filter
// (12 bits a distinct value, about 0.5% false positives), and the matcher
// computes the fingerprint and probes the index only for a candidate whose
// SipHash value the filter may hold: about 11 ns for the hash and half a
// cache line of the filter, instead of the HMAC and the probe.
//
// What it reveals: nothing without the key, as the fingerprints. SipHash
// is a PRF under a secret 128-bit key; the filter holds eight bits set by
// each 32-bit output. Whoever holds the key can test guesses against the
// fingerprints anyway; the filter lets them do it at SipHash's speed,
// about 10 ns a guess, instead of HMAC's.
//
// The filter is an accelerator and never decides: a value that passes it
// is still fingerprinted and looked up, and a value the set holds always
// passes it (the loader and the matcher hash the same normalized bytes).
// Sets loaded before it existed, and blind sets (whose loader has no key),
// have none and are looked up as before.

// PreHasher computes the prefilter values of a set's fields. The Hashers
// of keyed sets implement it.
type PreHasher interface {
	Pre(k Kind, normalized []byte) uint32
}

// preKeys derives the SipHash keys of a keyed set, one per kind (so a date
// loaded as a birthdate has an unrelated value as a date), and the key of
// Pair values.
func preKeys(secret, salt []byte) (keys [numKinds][2]uint64, pair [2]uint64) {
	derive := func(info string) [2]uint64 {
		b, err := hkdf.Key(sha256.New, secret, salt, info, 16)
		if err != nil {
			panic("fingerprints: hkdf: " + err.Error())
		}
		return [2]uint64{binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])}
	}
	for k := range keys {
		keys[k] = derive(fmt.Sprintf("leakwatch prefilter v1 kind %d", k))
	}
	return keys, derive("leakwatch prefilter v1 pair")
}

// Pre returns the prefilter value of a normalized value of kind k (or of
// a value AppendPair made, for Pair).
func (h *keyedHasher) Pre(k Kind, normalized []byte) uint32 {
	key := &h.set.pairPre
	if k != Pair {
		key = &h.set.preKeys[k]
	}
	return uint32(siphash.Hash(key[0], key[1], normalized))
}

// prefilter is a split block Bloom filter (the layout of Apache Parquet's
// bloom filters): blocks of eight 32-bit words, one bit set in each word
// per value, the block and the bits chosen by a 64-bit mix of the value.
// A probe reads one block, half a cache line, where a binary fuse filter
// (FastFilter/xorfilter, tried first) reads three lines in three pages:
// on a set of a million records its probes cost 110 ns in the matcher,
// waiting on page walks, against this one's few. At prefilterBits bits a
// value it lets 0.5–1% of strangers' values through.
type prefilter struct {
	blocks [][8]uint32
}

// prefilterBits is the filter's size in bits per distinct value.
const prefilterBits = 12

var bloomSalt = [8]uint32{0x47b6137b, 0x44974d91, 0x8824ad5b, 0xa2b7289d, 0x705495c7, 0x2df1424b, 0x9efc4947, 0x5c6bfb31}

// bloomMix spreads a 32-bit prefilter value over 64 bits (the finalizer
// of MurmurHash3, a bijection): the high half picks the block, the low
// half the bits.
func bloomMix(v uint32) uint64 {
	h := uint64(v)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	return h
}

// newPrefilter builds the filter of the given values (sorted and
// deduplicated in place first, so that a postal code shared by a thousand
// records counts once in the filter's size). It returns nil for none.
func newPrefilter(vals []uint32) *prefilter {
	slices.Sort(vals)
	vals = slices.Compact(vals)
	if len(vals) == 0 {
		return nil
	}
	n := (len(vals)*prefilterBits + 255) / 256
	p := &prefilter{blocks: make([][8]uint32, n)}
	for _, v := range vals {
		h := bloomMix(v)
		b := &p.blocks[(h>>32)*uint64(n)>>32]
		for i, salt := range bloomSalt {
			b[i] |= 1 << ((uint32(h) * salt) >> 27)
		}
	}
	return p
}

// mayHave tests the eight bits of v without a branch between them. A
// stranger's value misses on its first, second or third word about as
// often as not, so a loop that stopped at the first miss would mispredict
// once a probe; and since that branch waits on the block's load, the next
// probe's load would wait behind it. Without it, the probes of a batch
// (the matcher's flush) overlap their cache misses.
func (p *prefilter) mayHave(v uint32) bool {
	b := p.block(v)
	x := uint32(bloomMix(v))
	miss := ^b[0] & (1 << ((x * bloomSalt[0]) >> 27))
	miss |= ^b[1] & (1 << ((x * bloomSalt[1]) >> 27))
	miss |= ^b[2] & (1 << ((x * bloomSalt[2]) >> 27))
	miss |= ^b[3] & (1 << ((x * bloomSalt[3]) >> 27))
	miss |= ^b[4] & (1 << ((x * bloomSalt[4]) >> 27))
	miss |= ^b[5] & (1 << ((x * bloomSalt[5]) >> 27))
	miss |= ^b[6] & (1 << ((x * bloomSalt[6]) >> 27))
	miss |= ^b[7] & (1 << ((x * bloomSalt[7]) >> 27))
	return miss == 0
}

// block returns the block v is probed in.
func (p *prefilter) block(v uint32) *[8]uint32 {
	return &p.blocks[(bloomMix(v)>>32)*uint64(len(p.blocks))>>32]
}

func (p *prefilter) bytes() int { return 32 * len(p.blocks) }

package fingerprints

import (
	"context"
	"fmt"
	"math/bits"

	"github.com/leakwatch/leakwatch/store"
)

// Index is the in-memory lookup from fingerprint to (record, field) of one
// set, built from the store. It holds the first 64 bits of each fingerprint
// (8 bytes), a packed record/column (4 bytes) and a bucket directory of
// about half a byte per entry: under 13 bytes per field fingerprint. A
// lookup reads the directory and one short run of the sorted array, so it
// costs one or two cache misses. An Index is immutable and safe for
// concurrent use.
type Index struct {
	meta  store.SetMeta
	cols  []colInfo
	fps   []uint64 // sorted
	vals  []Hit    // record<<colBits | column, parallel to fps
	dir   []uint32 // dir[b]..dir[b+1] is bucket b of fps
	shift uint

	refs   []byte
	refEnd []uint32 // refs[refEnd[r-1]:refEnd[r]] is record r's ref

	// pre[k] is the prefilter of the fields of kind k: a filter per kind
	// is as big in all as one for every field, but a candidate probes the
	// one of its kind, which stays in cache (the postal codes of a set of a
	// million are a hundred thousand; its phones a million, 1.1 MB). All
	// nil when some chunk had no prefilter values.
	pre     [numKinds]*prefilter
	pairPre *prefilter // the prefilter of the Pair fields, nil if none
	withPre bool
	// common[k] is the common values of the weak kind k (common.go).
	common [numKinds]*commonSet
}

type colInfo struct {
	Kind   Kind
	Strong bool
}

const colBits = 6 // MaxColumns = 1<<colBits

// Hit is one (record, column) a fingerprint belongs to.
type Hit uint32

// Record is the record's number in its set (0-based, in load order).
func (h Hit) Record() uint32 { return uint32(h) >> colBits }

// Col is the schema column the fingerprint came from.
func (h Hit) Col() uint8 { return uint8(h & (1<<colBits - 1)) }

// SetReader is the part of the store an index is built from.
type SetReader interface {
	ReadSet(ctx context.Context, name string, meta func(store.SetMeta) error, chunk func([]byte) error) error
}

// BuildIndex reads the committed version of a set and indexes it.
func BuildIndex(ctx context.Context, st SetReader, name string) (*Index, error) {
	ix := &Index{}
	var nrec uint32
	var pres [numKinds][]uint32
	var pairs []uint32
	allPre := true
	err := st.ReadSet(ctx, name, func(m store.SetMeta) error {
		ix.meta = m
		if len(m.Fields) > MaxColumns {
			return fmt.Errorf("set %q has %d fields, more than %d", name, len(m.Fields), MaxColumns)
		}
		for _, f := range m.Fields {
			k, err := ParseKind(f.Kind)
			if err != nil {
				return fmt.Errorf("set %q: %w", name, err)
			}
			ix.cols = append(ix.cols, colInfo{Kind: k, Strong: f.Strong})
		}
		if m.Fingerprints < 0 || m.Pairs < 0 || m.Rows < 0 || m.Rows > MaxRows {
			return fmt.Errorf("set %q: implausible counts in metadata", name)
		}
		ix.fps = make([]uint64, 0, m.Fingerprints+m.Pairs)
		ix.vals = make([]Hit, 0, m.Fingerprints+m.Pairs)
		ix.refEnd = make([]uint32, 0, m.Rows)
		return nil
	}, func(chunk []byte) error {
		pre, err := decodeChunk(chunk, func(ref []byte, fields []Field) error {
			if nrec >= MaxRows {
				return fmt.Errorf("set %q: more than %d records", name, MaxRows)
			}
			ix.refs = append(ix.refs, ref...)
			ix.refEnd = append(ix.refEnd, uint32(len(ix.refs)))
			for _, f := range fields {
				if int(f.Col) >= len(ix.cols) {
					return fmt.Errorf("set %q: %w: column %d not in the schema", name, errChunk, f.Col)
				}
				if f.Kind == Pair && ix.cols[f.Col].Kind != Name {
					return fmt.Errorf("set %q: %w: a pair field in column %d, which holds no names", name, errChunk, f.Col)
				}
				ix.fps = append(ix.fps, f.FP.Key64())
				ix.vals = append(ix.vals, Hit(nrec<<colBits|uint32(f.Col)))
				switch {
				case !allPre:
				case f.Kind == Pair:
					pairs = append(pairs, f.Pre)
				default:
					pres[f.Kind] = append(pres[f.Kind], f.Pre)
				}
			}
			nrec++
			return nil
		})
		if !pre {
			allPre, pres, pairs = false, [numKinds][]uint32{}, nil
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("building index of set %q: %w", name, err)
	}
	if int64(nrec) != ix.meta.Rows || int64(len(ix.fps)) != ix.meta.Fingerprints+ix.meta.Pairs {
		return nil, fmt.Errorf("building index of set %q: read %d records and %d fingerprints, metadata says %d and %d", name, nrec, len(ix.fps), ix.meta.Rows, ix.meta.Fingerprints+ix.meta.Pairs)
	}
	ix.sort()
	if allPre && ix.meta.Mode == ModeKeyed {
		ix.withPre = true
		ix.common = commonSets(&pres)
		for k, vals := range pres {
			ix.pre[k] = newPrefilter(vals)
		}
		ix.pairPre = newPrefilter(pairs)
	}
	return ix, nil
}

// HasPrefilter reports whether the set has a prefilter (prefilter.go): it
// is keyed and was loaded with prefilter values.
func (ix *Index) HasPrefilter() bool { return ix.withPre }

// MayHave reports whether the set may hold a field of kind k whose
// prefilter value (PreHasher.Pre) is v: false means it holds none, true
// that it may. A set without a prefilter may hold anything.
func (ix *Index) MayHave(k Kind, v uint32) bool {
	if !ix.withPre {
		return true
	}
	p := ix.prefilterOf(k)
	return p != nil && p.mayHave(v)
}

// HasPairs reports whether the set holds Pair fields (pair.go): a name's
// pairs with the weak fields of its record can be looked up, as
// Lookup(Sum(Pair, AppendPair(...))), whose hits are in the name's column.
func (ix *Index) HasPairs() bool { return ix.pairPre != nil }

// sort orders fps (and vals with them) and builds the bucket directory, in
// place: an American flag sort on the top bits (the fingerprints are
// uniform), then an insertion sort inside each bucket of about 4 entries.
func (ix *Index) sort() {
	n := len(ix.fps)
	b := 1
	if n > 8 {
		b = bits.Len(uint(n/4 - 1))
	}
	ix.shift = uint(64 - b)
	nb := 1 << b
	ix.dir = make([]uint32, nb+1)
	for _, fp := range ix.fps {
		ix.dir[(fp>>ix.shift)+1]++
	}
	for i := 1; i <= nb; i++ {
		ix.dir[i] += ix.dir[i-1]
	}
	next := make([]uint32, nb)
	copy(next, ix.dir[:nb])
	fps, vals := ix.fps, ix.vals
	for bk := 0; bk < nb; bk++ {
		end := ix.dir[bk+1]
		for next[bk] < end {
			i := next[bk]
			t := fps[i] >> ix.shift
			if t == uint64(bk) {
				next[bk]++
				continue
			}
			j := next[t]
			next[t]++
			fps[i], fps[j] = fps[j], fps[i]
			vals[i], vals[j] = vals[j], vals[i]
		}
	}
	for bk := 0; bk < nb; bk++ {
		lo, hi := int(ix.dir[bk]), int(ix.dir[bk+1])
		for i := lo + 1; i < hi; i++ {
			for j := i; j > lo && (fps[j] < fps[j-1] || fps[j] == fps[j-1] && vals[j] < vals[j-1]); j-- {
				fps[j], fps[j-1] = fps[j-1], fps[j]
				vals[j], vals[j-1] = vals[j-1], vals[j]
			}
		}
	}
}

// Lookup returns the hits of a fingerprint's first 64 bits (FP.Key64), or
// nil. The returned slice must not be modified.
func (ix *Index) Lookup(key uint64) []Hit {
	lo, hi := ix.Bucket(key)
	return ix.LookupBucket(key, lo, hi)
}

// Bucket returns the bounds of the part of the index a fingerprint's first
// 64 bits would be in, for LookupBucket. Lookup is Bucket then
// LookupBucket; apart, a caller can read many buckets' bounds one after
// another, so that their cache misses overlap.
func (ix *Index) Bucket(key uint64) (lo, hi uint32) {
	bk := key >> ix.shift
	return ix.dir[bk], ix.dir[bk+1]
}

// Touch reads the fingerprint at i of a bucket, as LookupBucket would
// first, so that a caller can start the cache misses of many lookups
// before it needs their answers. It returns nothing useful.
func (ix *Index) Touch(i uint32) uint64 {
	if int(i) < len(ix.fps) {
		return ix.fps[i]
	}
	return 0
}

// LookupBucket is Lookup within the bucket [lo, hi) that Bucket returned
// for key.
func (ix *Index) LookupBucket(key uint64, lo, hi uint32) []Hit {
	for i := lo; i < hi; i++ {
		fp := ix.fps[i]
		if fp < key {
			continue
		}
		if fp > key {
			return nil
		}
		j := i + 1
		for j < hi && ix.fps[j] == key {
			j++
		}
		return ix.vals[i:j]
	}
	return nil
}

// Meta returns the metadata of the indexed set version.
func (ix *Index) Meta() store.SetMeta { return ix.meta }

// Column returns the kind of a column and whether it is strong.
func (ix *Index) Column(col uint8) (Kind, bool) {
	c := ix.cols[col]
	return c.Kind, c.Strong
}

// Columns is the number of schema fields of the set.
func (ix *Index) Columns() int { return len(ix.cols) }

// Records is the number of records in the set.
func (ix *Index) Records() int { return len(ix.refEnd) }

// Len is the number of field fingerprints indexed.
func (ix *Index) Len() int { return len(ix.fps) }

// Ref returns the operator's reference of a record.
func (ix *Index) Ref(rec uint32) string {
	start := uint32(0)
	if rec > 0 {
		start = ix.refEnd[rec-1]
	}
	return string(ix.refs[start:ix.refEnd[rec]])
}

// MemStats reports the bytes the index holds for fingerprints (array,
// record/column array, directory and prefilter) and for refs.
func (ix *Index) MemStats() (fingerprintBytes, refBytes int) {
	fingerprintBytes = 8*cap(ix.fps) + 4*cap(ix.vals) + 4*cap(ix.dir)
	for _, p := range append(ix.pre[:], ix.pairPre) {
		if p != nil {
			fingerprintBytes += p.bytes()
		}
	}
	for _, c := range ix.common {
		if c != nil {
			fingerprintBytes += c.bytes()
		}
	}
	refBytes = cap(ix.refs) + 4*cap(ix.refEnd)
	return
}

package fingerprints

import "unsafe"

// Prefetch asks the processor to start loading the block of the prefilter
// of kind k (or of Pair) that the value v is probed in, and returns at
// once: a MayHave(k, v) made a little later finds the block in cache.
//
// A probe is one cache miss into filters of megabytes (a 1,000,000-record
// set has about 20 MB of them), and the matcher probes tens of thousands
// of values a megabyte. It computes each value's prefilter value as it
// queues the candidate and probes the queue together later (flush), so a
// prefetch issued at queueing time lets the miss proceed while the next
// candidates are extracted and normalized, instead of being waited for.
// For a weak kind it also starts loading the slot Common(k, v) reads
// first: in a big set nearly every weak value passes the prefilter and is
// then asked about, and the common values of a million records fill
// hundreds of kilobytes, more than a core's cache.
//
// On processors without a prefetch instruction wired here it does
// nothing, and sets without a prefilter have nothing to fetch.
func (ix *Index) Prefetch(k Kind, v uint32) {
	if p := ix.prefilterOf(k); p != nil {
		prefetch(unsafe.Pointer(p.block(v)))
	}
	if k.Valid() {
		if c := ix.common[k]; c != nil {
			prefetch(unsafe.Pointer(&c.slots[c.slot(v)]))
		}
	}
}

// prefilterOf returns the prefilter of kind k (or Pair), or nil.
func (ix *Index) prefilterOf(k Kind) *prefilter {
	switch {
	case !ix.withPre:
		return nil
	case k == Pair:
		return ix.pairPre
	case k.Valid():
		return ix.pre[k]
	}
	return nil
}

//go:build amd64 || arm64

package fingerprints

import "unsafe"

// prefetch hints that the cache line at addr will be read soon (PREFETCHT0
// on amd64, PRFM PLDL1KEEP on arm64). It never faults and changes nothing
// but the caches.
//
//go:noescape
func prefetch(addr unsafe.Pointer)

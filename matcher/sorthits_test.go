package matcher

import (
	"cmp"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestSortHitsSameOrder checks that sortHits orders hits exactly as sorting
// them in place does, ties included, on inputs with many equal starts.
func TestSortHitsSameOrder(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	s := &Scanner{}
	for n := 0; n < 300; n++ {
		size := rng.IntN(3000)
		spread := 1 + rng.IntN(50)
		var hits []hit
		for i := range size {
			hits = append(hits, hit{rec: uint32(i), start: int64(rng.IntN(spread))})
		}
		if n%3 == 0 { // long presorted stretches, as extraction gives
			slices.SortStableFunc(hits[:size/2], func(a, b hit) int { return cmp.Compare(a.start, b.start) })
		}
		want := slices.Clone(hits)
		slices.SortFunc(want, func(a, b hit) int { return cmp.Compare(a.start, b.start) })
		s.hits = append(s.hits[:0], hits...)
		s.sortHits()
		if !slices.Equal(s.hits, want) {
			t.Fatalf("case %d (%d hits): sortHits order differs from sorting in place", n, size)
		}
	}
}

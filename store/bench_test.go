package store_test

import (
	"crypto/rand"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// A 1,000,000-row set is about 125 chunks of 1.3 MB.
const (
	benchChunks    = 125
	benchChunkSize = 1300 << 10
)

// benchBackends opens a fresh store of each backend for b.
var benchBackends = []struct {
	name string
	open func(b *testing.B) store.Store
}{
	{"bolt", func(b *testing.B) store.Store {
		s, err := store.OpenBolt(filepath.Join(b.TempDir(), "leakwatch.db"))
		if err != nil {
			b.Fatalf("OpenBolt: %v", err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}},
	{"redis", func(b *testing.B) store.Store {
		srv := storetest.StartRedis(b, storetest.StartOptions{})
		s, err := store.OpenRedis(b.Context(), srv.URL())
		if err != nil {
			b.Fatalf("OpenRedis: %v", err)
		}
		b.Cleanup(func() { _ = s.Close() })
		return s
	}},
}

// loadSet stages, appends benchChunks copies of chunk and commits.
func loadSet(b *testing.B, s store.Store, chunk []byte) {
	ctx := b.Context()
	st, err := s.StageSet(ctx, store.SetMeta{Name: "bench", Rows: 1_000_000})
	if err != nil {
		b.Fatalf("StageSet: %v", err)
	}
	for range benchChunks {
		if err := st.Append(ctx, chunk); err != nil {
			b.Fatalf("Append: %v", err)
		}
	}
	if err := st.Commit(ctx, store.SetMeta{Rows: 1_000_000}); err != nil {
		b.Fatalf("Commit: %v", err)
	}
}

func benchChunk() []byte {
	c := make([]byte, benchChunkSize)
	_, _ = rand.Read(c)
	return c
}

// BenchmarkSetLoad measures Append+Commit of a 1M-row-equivalent set.
func BenchmarkSetLoad(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s, chunk := be.open(b), benchChunk()
			b.SetBytes(benchChunks * benchChunkSize)
			for b.Loop() {
				loadSet(b, s, chunk)
			}
		})
	}
}

// BenchmarkSetRead measures ReadSet of a 1M-row-equivalent set.
func BenchmarkSetRead(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			loadSet(b, s, benchChunk())
			b.SetBytes(benchChunks * benchChunkSize)
			for b.Loop() {
				n := 0
				err := s.ReadSet(b.Context(), "bench", func(store.SetMeta) error { return nil }, func(c []byte) error {
					n += len(c)
					return nil
				})
				if err != nil || n != benchChunks*benchChunkSize {
					b.Fatalf("ReadSet: %d bytes, %v", n, err)
				}
			}
		})
	}
}

// BenchmarkPutIfAbsent measures PutIfAbsent of fresh keys from 2
// goroutines per core (bbolt serializes its write transactions).
func BenchmarkPutIfAbsent(b *testing.B) {
	for _, be := range benchBackends {
		b.Run(be.name, func(b *testing.B) {
			s := be.open(b)
			var next atomic.Int64
			b.SetParallelism(2) // 2 × GOMAXPROCS goroutines
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					k := "item:" + strconv.FormatInt(next.Add(1), 10)
					ok, err := s.PutIfAbsent(b.Context(), "seen", k, []byte("1"), 0)
					if err != nil || !ok {
						b.Errorf("PutIfAbsent = %v, %v", ok, err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "ops/s")
		})
	}
}

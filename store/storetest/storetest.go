// Package storetest holds the one conformance suite every store.Store
// implementation must pass, and helpers that run a real redis-server for
// tests.
package storetest

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// Run runs the conformance suite. open must return a fresh, empty store
// that no other test uses, and arrange for it to be closed when t ends.
// Each subtest calls open once.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"SetStagedInvisibleUntilCommit", testStagedInvisible},
		{"SetCommitReplacesAtomically", testCommitReplaces},
		{"SetReadersSeeWholeVersions", testReadersSeeWholeVersions},
		{"SetAbortKeepsCurrent", testAbortKeepsCurrent},
		{"SetNeverCommittedStage", testNeverCommitted},
		{"SetReadOrderAndMetadata", testReadOrderAndMeta},
		{"SetReadFailsWhenVersionVanishes", testReadVanishes},
		{"SetRemove", testRemoveSet},
		{"SetsGeneration", testGeneration},
		{"ErrNotFoundWrapped", testNotFound},
		{"KVPutGetDelete", testPutGetDelete},
		{"KVTTLExpiry", testTTL},
		{"KVPutIfAbsentRace", testPutIfAbsentRace},
		{"KVUpdate", testUpdate},
		{"KVUpdateConcurrentCounter", testUpdateCounter},
		{"KVScan", testScan},
		{"KVScanManyKeys", testScanMany},
		{"LargeChunk", testLargeChunk},
		{"ContextCanceled", testCanceled},
	}
	tests = append(tests, queueTests...)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

// ctxT returns a context that ends with the test or after a minute.
func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// testMeta returns complete metadata for a set, so round trips check every
// field.
func testMeta(name string) store.SetMeta {
	return store.SetMeta{
		Name:      name,
		Created:   time.Date(2025, 3, 4, 5, 6, 7, 8000, time.UTC),
		Mode:      "keyed",
		Salt:      []byte{1, 2, 3, 4},
		KeyID:     []byte{0xfe, 0xed},
		Forms:     3,
		IDPattern: `^[A-Z]{2}[0-9]{6}$`,
		Fields: []store.FieldSpec{
			{Column: "email", Kind: "email", Strong: true, Count: 10},
			{Column: "phone", Kind: "phone", Count: 7},
		},
		Rows:         12,
		Fingerprints: 17,
		Skipped:      map[string]int64{"bad-email": 2},
		Source:       "customers.csv (csv, utf-8)",
	}
}

// put commits a version of a set made of chunks and returns its metadata.
func put(t *testing.T, s store.Store, meta store.SetMeta, chunks ...[]byte) store.SetMeta {
	t.Helper()
	ctx := ctxT(t)
	st, err := s.StageSet(ctx, meta)
	if err != nil {
		t.Fatalf("StageSet(%q): %v", meta.Name, err)
	}
	for i, c := range chunks {
		if err := st.Append(ctx, c); err != nil {
			t.Fatalf("Append(%q) chunk %d: %v", meta.Name, i, err)
		}
	}
	if err := st.Commit(ctx, meta); err != nil {
		t.Fatalf("Commit(%q): %v", meta.Name, err)
	}
	got, err := s.GetSet(ctx, meta.Name)
	if err != nil {
		t.Fatalf("GetSet(%q) after commit: %v", meta.Name, err)
	}
	return got
}

// read returns the committed version of a set.
func read(t *testing.T, s store.Store, name string) (store.SetMeta, [][]byte, error) {
	t.Helper()
	var meta store.SetMeta
	var chunks [][]byte
	metaCalls := 0
	err := s.ReadSet(ctxT(t), name, func(m store.SetMeta) error {
		metaCalls++
		if len(chunks) != 0 {
			t.Errorf("ReadSet(%q): meta callback after a chunk", name)
		}
		meta = m
		return nil
	}, func(c []byte) error {
		if metaCalls != 1 {
			t.Errorf("ReadSet(%q): chunk callback after %d meta callbacks, want 1", name, metaCalls)
		}
		chunks = append(chunks, bytes.Clone(c))
		return nil
	})
	return meta, chunks, err
}

// mustRead is read that fails the test on error.
func mustRead(t *testing.T, s store.Store, name string) (store.SetMeta, [][]byte) {
	t.Helper()
	m, c, err := read(t, s, name)
	if err != nil {
		t.Fatalf("ReadSet(%q): %v", name, err)
	}
	return m, c
}

// chunksOf returns n chunks whose contents name the version and index.
func chunksOf(version string, n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = []byte(fmt.Sprintf("%s/%04d", version, i))
	}
	return out
}

func equalChunks(a, b [][]byte) bool {
	return slices.EqualFunc(a, b, bytes.Equal)
}

// sameMeta compares metadata field by field (time with Equal).
func sameMeta(t *testing.T, got, want store.SetMeta) {
	t.Helper()
	if !got.Created.Equal(want.Created) {
		t.Errorf("Created = %v, want %v", got.Created, want.Created)
	}
	got.Created, want.Created = time.Time{}, time.Time{}
	g, w := fmt.Sprintf("%+v", got), fmt.Sprintf("%+v", want)
	if g != w {
		t.Errorf("metadata mismatch:\n got %s\nwant %s", g, w)
	}
}

func testStagedInvisible(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	st, err := s.StageSet(ctx, testMeta("people"))
	if err != nil {
		t.Fatalf("StageSet: %v", err)
	}
	for _, c := range chunksOf("v1", 3) {
		if err := st.Append(ctx, c); err != nil {
			t.Fatalf("Append: %v", err)
		}
	}
	if _, err := s.GetSet(ctx, "people"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSet of staged set: err = %v, want ErrNotFound", err)
	}
	if _, _, err := read(t, s, "people"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadSet of staged set: err = %v, want ErrNotFound", err)
	}
	if sets, err := s.ListSets(ctx); err != nil || len(sets) != 0 {
		t.Errorf("ListSets with only a stage = %v, %v; want none", sets, err)
	}
	if err := st.Commit(ctx, testMeta("people")); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	m, chunks := mustRead(t, s, "people")
	if !equalChunks(chunks, chunksOf("v1", 3)) {
		t.Errorf("chunks after commit = %q", chunks)
	}
	if m.Chunks != 3 || m.Version == "" || m.Name != "people" {
		t.Errorf("meta after commit: Name %q Version %q Chunks %d; want people, non-empty, 3", m.Name, m.Version, m.Chunks)
	}
	sets, err := s.ListSets(ctx)
	if err != nil || len(sets) != 1 || sets[0].Name != "people" {
		t.Errorf("ListSets after commit = %v, %v", sets, err)
	}
	if err := st.Append(ctx, []byte("late")); err == nil {
		t.Error("Append after Commit succeeded")
	}
	if err := st.Abort(ctx); err != nil {
		t.Errorf("Abort after Commit: %v, want nil", err)
	}
	if _, chunks := mustRead(t, s, "people"); len(chunks) != 3 {
		t.Errorf("Abort after Commit changed the set: %d chunks", len(chunks))
	}
}

func testCommitReplaces(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	v1 := put(t, s, testMeta("people"), chunksOf("v1", 4)...)
	st, err := s.StageSet(ctx, testMeta("people"))
	if err != nil {
		t.Fatalf("StageSet v2: %v", err)
	}
	for _, c := range chunksOf("v2", 2) {
		if err := st.Append(ctx, c); err != nil {
			t.Fatalf("Append v2: %v", err)
		}
		m, chunks := mustRead(t, s, "people")
		if m.Version != v1.Version || !equalChunks(chunks, chunksOf("v1", 4)) {
			t.Fatalf("during stage of v2, read version %q chunks %q; want v1 whole", m.Version, chunks)
		}
	}
	final := testMeta("people")
	final.Rows, final.Fingerprints = 99, 150
	if err := st.Commit(ctx, final); err != nil {
		t.Fatalf("Commit v2: %v", err)
	}
	m, chunks := mustRead(t, s, "people")
	if !equalChunks(chunks, chunksOf("v2", 2)) {
		t.Errorf("after commit of v2, chunks = %q", chunks)
	}
	if m.Version == v1.Version {
		t.Errorf("v2 has v1's version %q", m.Version)
	}
	if m.Rows != 99 || m.Fingerprints != 150 || m.Chunks != 2 {
		t.Errorf("v2 meta Rows %d Fingerprints %d Chunks %d; want the committed 99, 150, 2", m.Rows, m.Fingerprints, m.Chunks)
	}
	// Other sets are independent.
	put(t, s, testMeta("other"), chunksOf("o1", 1)...)
	if _, chunks := mustRead(t, s, "people"); !equalChunks(chunks, chunksOf("v2", 2)) {
		t.Errorf("commit of another set changed people: %q", chunks)
	}
}

func testReadersSeeWholeVersions(t *testing.T, s store.Store) {
	const n = 8
	put(t, s, testMeta("people"), chunksOf("v000", n)...)
	var stop atomic.Bool
	var wg sync.WaitGroup
	var whole atomic.Int64
	for range 3 {
		wg.Go(func() {
			for !stop.Load() {
				_, chunks, err := read(t, s, "people")
				if err != nil {
					if errors.Is(err, store.ErrNotFound) {
						t.Errorf("ReadSet during commits: %v (the set always exists)", err)
						return
					}
					continue // the version vanished mid-read: allowed
				}
				if len(chunks) != n {
					t.Errorf("read %d chunks, want %d", len(chunks), n)
					return
				}
				version := string(chunks[0][:4])
				if !equalChunks(chunks, chunksOf(version, n)) {
					t.Errorf("read a mix of versions: %q", chunks)
					return
				}
				whole.Add(1)
			}
		})
	}
	for v := 1; v <= 20; v++ {
		put(t, s, testMeta("people"), chunksOf(fmt.Sprintf("v%03d", v), n)...)
	}
	stop.Store(true)
	wg.Wait()
	if whole.Load() == 0 {
		t.Error("no read completed while versions were committed")
	}
	if _, chunks := mustRead(t, s, "people"); !equalChunks(chunks, chunksOf("v020", n)) {
		t.Errorf("final read = %q, want v020", chunks)
	}
}

func testAbortKeepsCurrent(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	v1 := put(t, s, testMeta("people"), chunksOf("v1", 2)...)
	st, err := s.StageSet(ctx, testMeta("people"))
	if err != nil {
		t.Fatalf("StageSet: %v", err)
	}
	if err := st.Append(ctx, []byte("v2 chunk")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if err := st.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	m, chunks := mustRead(t, s, "people")
	if m.Version != v1.Version || !equalChunks(chunks, chunksOf("v1", 2)) {
		t.Errorf("after Abort, read %q %q; want v1", m.Version, chunks)
	}
	if err := st.Append(ctx, []byte("x")); err == nil {
		t.Error("Append after Abort succeeded")
	}
	if err := st.Commit(ctx, testMeta("people")); err == nil {
		t.Error("Commit after Abort succeeded")
	}
	if m, _ := mustRead(t, s, "people"); m.Version != v1.Version {
		t.Errorf("Commit after Abort changed the version to %q", m.Version)
	}
	if err := st.Abort(ctx); err != nil {
		t.Errorf("second Abort: %v", err)
	}
	// Aborting the first stage of a set leaves no set.
	st, err = s.StageSet(ctx, testMeta("fresh"))
	if err != nil {
		t.Fatalf("StageSet fresh: %v", err)
	}
	if err := st.Append(ctx, []byte("x")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if err := st.Abort(ctx); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	if _, err := s.GetSet(ctx, "fresh"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSet of aborted first stage: %v, want ErrNotFound", err)
	}
}

func testNeverCommitted(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	v1 := put(t, s, testMeta("people"), chunksOf("v1", 2)...)
	// A stage whose writer died: never committed nor aborted.
	dead, err := s.StageSet(ctx, testMeta("people"))
	if err != nil {
		t.Fatalf("StageSet: %v", err)
	}
	if err := dead.Append(ctx, []byte("orphan")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	if m, chunks := mustRead(t, s, "people"); m.Version != v1.Version || !equalChunks(chunks, chunksOf("v1", 2)) {
		t.Fatalf("with a dead stage, read %q %q; want v1", m.Version, chunks)
	}
	// The next StageSet of the name reclaims it and works normally.
	v3 := put(t, s, testMeta("people"), chunksOf("v3", 3)...)
	if m, chunks := mustRead(t, s, "people"); m.Version != v3.Version || !equalChunks(chunks, chunksOf("v3", 3)) {
		t.Fatalf("after a new stage was committed, read %q %q; want v3", m.Version, chunks)
	}
	// The dead stage can no longer clobber the set.
	if err := dead.Append(ctx, []byte("late")); err == nil {
		t.Error("Append to a superseded stage succeeded")
	}
	if err := dead.Commit(ctx, testMeta("people")); err == nil {
		t.Error("Commit of a superseded stage succeeded")
	}
	if m, chunks := mustRead(t, s, "people"); m.Version != v3.Version || !equalChunks(chunks, chunksOf("v3", 3)) {
		t.Errorf("after the superseded stage's Commit, read %q %q; want v3", m.Version, chunks)
	}
}

func testReadOrderAndMeta(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	var chunks [][]byte
	for i := range 100 {
		c := make([]byte, 1+i*97%4096)
		_, _ = rand.Read(c)
		chunks = append(chunks, c)
	}
	chunks = append(chunks, []byte{}) // an empty chunk is a chunk
	want := testMeta("people")
	got := put(t, s, want, chunks...)
	want.Version, want.Chunks = got.Version, int64(len(chunks))
	sameMeta(t, got, want)
	m, read := mustRead(t, s, "people")
	sameMeta(t, m, want)
	if len(read) != len(chunks) {
		t.Fatalf("read %d chunks, want %d", len(read), len(chunks))
	}
	for i := range chunks {
		if !bytes.Equal(read[i], chunks[i]) {
			t.Fatalf("chunk %d differs (len %d, want %d)", i, len(read[i]), len(chunks[i]))
		}
	}
	// A version given by the caller is kept.
	named := testMeta("named")
	named.Version = "2025-03-04.1"
	if got := put(t, s, named, []byte("x")); got.Version != "2025-03-04.1" {
		t.Errorf("caller's version %q stored as %q", named.Version, got.Version)
	}
	sets, err := s.ListSets(ctx)
	if err != nil {
		t.Fatalf("ListSets: %v", err)
	}
	if len(sets) != 2 || sets[0].Name != "named" || sets[1].Name != "people" {
		t.Errorf("ListSets = %v, want named, people", sets)
	}
	// Errors from the callbacks are returned as they are.
	errStop := errors.New("stop here")
	calls := 0
	err = s.ReadSet(ctx, "people", func(store.SetMeta) error { return errStop }, func([]byte) error { calls++; return nil })
	if err != errStop || calls != 0 {
		t.Errorf("meta callback error: ReadSet = %v after %d chunks, want errStop after 0", err, calls)
	}
	err = s.ReadSet(ctx, "people", func(store.SetMeta) error { return nil }, func([]byte) error {
		calls++
		if calls == 3 {
			return errStop
		}
		return nil
	})
	if err != errStop || calls != 3 {
		t.Errorf("chunk callback error: ReadSet = %v after %d chunks, want errStop after 3", err, calls)
	}
}

func testReadVanishes(t *testing.T, s store.Store) {
	const n, size = 48, 1 << 20 // larger than one read page of either backend
	big := make([][]byte, n)
	for i := range big {
		big[i] = bytes.Repeat([]byte{byte(i)}, size)
	}
	for _, how := range []string{"replaced", "removed"} {
		put(t, s, testMeta("people"), big...)
		seen := 0
		err := s.ReadSet(ctxT(t), "people", func(store.SetMeta) error { return nil }, func(c []byte) error {
			if len(c) != size || c[0] != byte(seen) || c[size-1] != byte(seen) {
				t.Errorf("%s: chunk %d has wrong content", how, seen)
			}
			if seen == 0 {
				if how == "replaced" {
					put(t, s, testMeta("people"), []byte("new"))
				} else if err := s.RemoveSet(ctxT(t), "people"); err != nil {
					t.Fatalf("RemoveSet: %v", err)
				}
			}
			seen++
			return nil
		})
		if err == nil {
			t.Errorf("%s mid-read: ReadSet returned all %d chunks and no error; want an error", how, seen)
		} else if seen == n {
			t.Errorf("%s mid-read: ReadSet delivered all %d chunks, then failed: %v", how, n, err)
		}
		if errors.Is(err, context.Canceled) {
			t.Errorf("%s mid-read: unexpected %v", how, err)
		}
	}
}

func testRemoveSet(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	put(t, s, testMeta("people"), chunksOf("v1", 3)...)
	put(t, s, testMeta("other"), chunksOf("o1", 1)...)
	if err := s.RemoveSet(ctx, "people"); err != nil {
		t.Fatalf("RemoveSet: %v", err)
	}
	if _, err := s.GetSet(ctx, "people"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSet after RemoveSet: %v, want ErrNotFound", err)
	}
	if _, _, err := read(t, s, "people"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadSet after RemoveSet: %v, want ErrNotFound", err)
	}
	if err := s.RemoveSet(ctx, "people"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second RemoveSet: %v, want ErrNotFound", err)
	}
	sets, err := s.ListSets(ctx)
	if err != nil || len(sets) != 1 || sets[0].Name != "other" {
		t.Errorf("ListSets after RemoveSet = %v, %v; want only other", sets, err)
	}
	// The name can be used again.
	put(t, s, testMeta("people"), chunksOf("v2", 2)...)
	if _, chunks := mustRead(t, s, "people"); !equalChunks(chunks, chunksOf("v2", 2)) {
		t.Errorf("set re-created after removal reads %q", chunks)
	}
}

func testGeneration(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	gen := func() uint64 {
		t.Helper()
		g, err := s.SetsGeneration(ctx)
		if err != nil {
			t.Fatalf("SetsGeneration: %v", err)
		}
		return g
	}
	g0 := gen()
	if g := gen(); g != g0 {
		t.Errorf("generation changed from %d to %d with no write", g0, g)
	}
	put(t, s, testMeta("a"), []byte("x"))
	g1 := gen()
	if g1 == g0 {
		t.Error("generation unchanged by the first commit")
	}
	put(t, s, testMeta("a"), []byte("y"))
	g2 := gen()
	if g2 == g1 {
		t.Error("generation unchanged by a commit replacing a version")
	}
	put(t, s, testMeta("b"), []byte("z"))
	g3 := gen()
	if g3 == g2 {
		t.Error("generation unchanged by the commit of another set")
	}
	if err := s.RemoveSet(ctx, "a"); err != nil {
		t.Fatalf("RemoveSet: %v", err)
	}
	if g4 := gen(); g4 == g3 {
		t.Error("generation unchanged by RemoveSet")
	}
}

func testNotFound(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	if _, err := s.GetSet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("GetSet: %v", err)
	}
	if _, _, err := read(t, s, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("ReadSet: %v", err)
	}
	if err := s.RemoveSet(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RemoveSet: %v", err)
	}
	if _, err := s.Get(ctx, "never", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get from a bucket never written: %v", err)
	}
	if err := s.Put(ctx, "b", "other", []byte("v"), 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if _, err := s.Get(ctx, "b", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get of an absent key: %v", err)
	}
	if err := s.Delete(ctx, "b", "other"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Get(ctx, "b", "other"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Delete: %v", err)
	}
	// Other errors are not ErrNotFound.
	if _, err := s.Get(ctx, "bad{bucket}", "k"); err == nil || errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get with an invalid bucket name: %v, want a non-ErrNotFound error", err)
	}
}

func testPutGetDelete(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	mustGet := func(bucket, key string) []byte {
		t.Helper()
		v, err := s.Get(ctx, bucket, key)
		if err != nil {
			t.Fatalf("Get(%s, %s): %v", bucket, key, err)
		}
		return v
	}
	value := []byte("first")
	if err := s.Put(ctx, "b", "k", value, 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	value[0] = 'X' // the store must have copied it
	if v := mustGet("b", "k"); string(v) != "first" {
		t.Errorf("Get = %q, want first", v)
	}
	v := mustGet("b", "k")
	v[0] = 'Y' // and must hand out copies
	if v := mustGet("b", "k"); string(v) != "first" {
		t.Errorf("Get after mutating a returned value = %q", v)
	}
	if err := s.Put(ctx, "b", "k", []byte("second"), 0); err != nil {
		t.Fatalf("Put over: %v", err)
	}
	if v := mustGet("b", "k"); string(v) != "second" {
		t.Errorf("Get after overwrite = %q", v)
	}
	all := make([]byte, 256)
	for i := range all {
		all[i] = byte(i)
	}
	if err := s.Put(ctx, "b", "bin\x00\xff", all, 0); err != nil {
		t.Fatalf("Put binary: %v", err)
	}
	if v := mustGet("b", "bin\x00\xff"); !bytes.Equal(v, all) {
		t.Errorf("binary value round trip = %x", v)
	}
	if err := s.Put(ctx, "b", "empty", nil, 0); err != nil {
		t.Fatalf("Put empty: %v", err)
	}
	if v := mustGet("b", "empty"); len(v) != 0 {
		t.Errorf("empty value round trip = %q", v)
	}
	if err := s.Put(ctx, "other", "k", []byte("elsewhere"), 0); err != nil {
		t.Fatalf("Put other bucket: %v", err)
	}
	if v := mustGet("b", "k"); string(v) != "second" {
		t.Errorf("bucket isolation: b/k = %q", v)
	}
	if err := s.Delete(ctx, "b", "k"); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := s.Delete(ctx, "b", "k"); err != nil {
		t.Errorf("Delete of an absent key: %v", err)
	}
	if err := s.Delete(ctx, "nobucket", "k"); err != nil {
		t.Errorf("Delete in an absent bucket: %v", err)
	}
	if v := mustGet("other", "k"); string(v) != "elsewhere" {
		t.Errorf("Delete crossed buckets: other/k = %q", v)
	}
	if err := s.Put(ctx, "b", "k", []byte("v"), -time.Second); err == nil {
		t.Error("Put with a negative ttl succeeded")
	}
	if err := s.Put(ctx, "b", "", []byte("v"), 0); err == nil {
		t.Error("Put with an empty key succeeded")
	}
}

// eventually polls cond every 10 ms for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 5s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func testTTL(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const ttl = 150 * time.Millisecond
	gone := func(key string) func() bool {
		return func() bool {
			_, err := s.Get(ctx, "ttl", key)
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("Get(%s): %v", key, err)
			}
			return errors.Is(err, store.ErrNotFound)
		}
	}
	if err := s.Put(ctx, "ttl", "short", []byte("v"), ttl); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(ctx, "ttl", "forever", []byte("v"), 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(ctx, "ttl", "extended", []byte("v"), ttl); err != nil {
		t.Fatalf("Put: %v", err)
	}
	if err := s.Put(ctx, "ttl", "extended", []byte("v2"), 0); err != nil {
		t.Fatalf("Put without ttl: %v", err)
	}
	if ok, err := s.PutIfAbsent(ctx, "ttl", "nx", []byte("v"), ttl); err != nil || !ok {
		t.Fatalf("PutIfAbsent = %v, %v", ok, err)
	}
	err := s.Update(ctx, "ttl", "upd", func([]byte, bool) ([]byte, bool, time.Duration, error) {
		return []byte("v"), true, ttl, nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if _, err := s.Get(ctx, "ttl", "short"); err != nil {
		t.Fatalf("Get before expiry: %v", err)
	}
	eventually(t, "Put value expires", gone("short"))
	eventually(t, "PutIfAbsent value expires", gone("nx"))
	eventually(t, "Update value expires", gone("upd"))

	var keys []string
	err = s.Scan(ctx, "ttl", "", func(k string, _ []byte) error { keys = append(keys, k); return nil })
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if !slices.Equal(keys, []string{"extended", "forever"}) {
		t.Errorf("Scan after expiry = %q, want [extended forever]", keys)
	}
	// An expired key is absent for PutIfAbsent and Update.
	if ok, err := s.PutIfAbsent(ctx, "ttl", "short", []byte("again"), 0); err != nil || !ok {
		t.Errorf("PutIfAbsent over an expired key = %v, %v; want true", ok, err)
	}
	if err := s.Put(ctx, "ttl", "short2", []byte("v"), ttl); err != nil {
		t.Fatalf("Put: %v", err)
	}
	eventually(t, "second value expires", gone("short2"))
	err = s.Update(ctx, "ttl", "short2", func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if exists || old != nil {
			t.Errorf("Update of an expired key got exists=%v old=%q", exists, old)
		}
		return nil, false, 0, nil
	})
	if err != nil {
		t.Errorf("Update: %v", err)
	}
	if v, err := s.Get(ctx, "ttl", "extended"); err != nil || string(v) != "v2" {
		t.Errorf("a Put without ttl over a value with one: Get = %q, %v; want v2 that lasts", v, err)
	}
}

func testPutIfAbsentRace(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 20
	for round := range 5 {
		key := "race" + strconv.Itoa(round)
		var wins atomic.Int64
		winner := make(chan int, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				ok, err := s.PutIfAbsent(ctx, "claims", key, []byte(strconv.Itoa(i)), time.Minute)
				if err != nil {
					t.Errorf("PutIfAbsent: %v", err)
					return
				}
				if ok {
					wins.Add(1)
					winner <- i
				}
			})
		}
		close(start)
		wg.Wait()
		if wins.Load() != 1 {
			t.Fatalf("round %d: %d callers won, want exactly 1", round, wins.Load())
		}
		w := <-winner
		if v, err := s.Get(ctx, "claims", key); err != nil || string(v) != strconv.Itoa(w) {
			t.Errorf("round %d: stored %q, %v; want the winner's %d", round, v, err, w)
		}
		if ok, err := s.PutIfAbsent(ctx, "claims", key, []byte("late"), 0); err != nil || ok {
			t.Errorf("round %d: PutIfAbsent on a present key = %v, %v", round, ok, err)
		}
	}
}

func testUpdate(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	err := s.Update(ctx, "u", "k", func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if exists || old != nil {
			t.Errorf("Update of an absent key got exists=%v old=%q", exists, old)
		}
		return []byte("one"), true, 0, nil
	})
	if err != nil {
		t.Fatalf("Update create: %v", err)
	}
	err = s.Update(ctx, "u", "k", func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
		if !exists || string(old) != "one" {
			t.Errorf("Update got exists=%v old=%q, want one", exists, old)
		}
		return append(bytes.Clone(old), "+two"...), true, 0, nil
	})
	if err != nil {
		t.Fatalf("Update modify: %v", err)
	}
	if v, err := s.Get(ctx, "u", "k"); err != nil || string(v) != "one+two" {
		t.Errorf("Get after Update = %q, %v", v, err)
	}
	errConflict := fmt.Errorf("conflict: %w", store.ErrExists)
	err = s.Update(ctx, "u", "k", func([]byte, bool) ([]byte, bool, time.Duration, error) {
		return []byte("nope"), true, 0, errConflict
	})
	if err != errConflict {
		t.Errorf("Update with fn error returned %v, want fn's error as is", err)
	}
	if v, err := s.Get(ctx, "u", "k"); err != nil || string(v) != "one+two" {
		t.Errorf("failed Update changed the value: %q, %v", v, err)
	}
	err = s.Update(ctx, "u", "k", func([]byte, bool) ([]byte, bool, time.Duration, error) {
		return nil, false, 0, nil
	})
	if err != nil {
		t.Fatalf("Update delete: %v", err)
	}
	if _, err := s.Get(ctx, "u", "k"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Get after Update with keep=false: %v, want ErrNotFound", err)
	}
	var keys []string
	if err := s.Scan(ctx, "u", "", func(k string, _ []byte) error { keys = append(keys, k); return nil }); err != nil || len(keys) != 0 {
		t.Errorf("Scan after Update with keep=false = %q, %v", keys, err)
	}
}

func testUpdateCounter(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const workers, each = 10, 20
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range each {
				err := s.Update(ctx, "counters", "c", func(old []byte, exists bool) ([]byte, bool, time.Duration, error) {
					n := 0
					if exists {
						var err error
						if n, err = strconv.Atoi(string(old)); err != nil {
							return nil, false, 0, err
						}
					}
					return []byte(strconv.Itoa(n + 1)), true, 0, nil
				})
				if err != nil {
					t.Errorf("Update: %v", err)
					return
				}
			}
		})
	}
	wg.Wait()
	v, err := s.Get(ctx, "counters", "c")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if string(v) != strconv.Itoa(workers*each) {
		t.Errorf("counter = %s, want %d", v, workers*each)
	}
}

func testScan(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	keys := []string{"user:b", "user:a", "user:a:1", "user\xff", "usr", "user:\x00", "a", "zz", "user:\xffx"}
	for _, k := range keys {
		if err := s.Put(ctx, "s1", k, []byte("v-"+k), 0); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	if err := s.Put(ctx, "s2", "user:other-bucket", []byte("x"), 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	scan := func(bucket, prefix string) []string {
		t.Helper()
		var got []string
		err := s.Scan(ctx, bucket, prefix, func(k string, v []byte) error {
			if string(v) != "v-"+k && bucket == "s1" {
				t.Errorf("Scan value of %q = %q", k, v)
			}
			got = append(got, k)
			return nil
		})
		if err != nil {
			t.Fatalf("Scan(%s, %q): %v", bucket, prefix, err)
		}
		return got
	}
	all := slices.Clone(keys)
	slices.Sort(all) // Go string order is byte order
	if got := scan("s1", ""); !slices.Equal(got, all) {
		t.Errorf("Scan all = %q, want %q", got, all)
	}
	want := []string{"user:\x00", "user:a", "user:a:1", "user:b", "user:\xffx"}
	if got := scan("s1", "user:"); !slices.Equal(got, want) {
		t.Errorf("Scan user: = %q, want %q", got, want)
	}
	if got := scan("s1", "user:\xff"); !slices.Equal(got, []string{"user:\xffx"}) {
		t.Errorf("Scan with a 0xff prefix = %q", got)
	}
	if got := scan("s1", "nothing"); len(got) != 0 {
		t.Errorf("Scan of an unmatched prefix = %q", got)
	}
	if got := scan("s2", ""); !slices.Equal(got, []string{"user:other-bucket"}) {
		t.Errorf("Scan s2 = %q", got)
	}
	if got := scan("empty", ""); len(got) != 0 {
		t.Errorf("Scan of a bucket never written = %q", got)
	}
	errStop := errors.New("stop")
	n := 0
	err := s.Scan(ctx, "s1", "", func(string, []byte) error { n++; return errStop })
	if err != errStop || n != 1 {
		t.Errorf("Scan with fn error = %v after %d keys, want errStop after 1", err, n)
	}
	// fn may write to the store; here it deletes what it visited.
	var visited []string
	err = s.Scan(ctx, "s1", "user:", func(k string, _ []byte) error {
		visited = append(visited, k)
		return s.Delete(ctx, "s1", k)
	})
	if err != nil || !slices.Equal(visited, want) {
		t.Errorf("Scan deleting as it goes = %q, %v", visited, err)
	}
	if got := scan("s1", "user:"); len(got) != 0 {
		t.Errorf("after deleting, Scan user: = %q", got)
	}
}

func testScanMany(t *testing.T, s store.Store) {
	ctx := ctxT(t)
	const n = 600 // several pages of either backend
	var want []string
	for i := range n {
		k := fmt.Sprintf("item:%05d", (i*7919)%n) // written out of order
		want = append(want, k)
		if err := s.Put(ctx, "many", k, []byte(k), 0); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	slices.Sort(want)
	var got []string
	err := s.Scan(ctx, "many", "item:", func(k string, v []byte) error {
		if string(v) != k {
			t.Errorf("value of %q = %q", k, v)
		}
		got = append(got, k)
		return nil
	})
	if err != nil {
		t.Fatalf("Scan: %v", err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("Scan visited %d keys (want %d), in order: %v", len(got), len(want), slices.IsSorted(got))
	}
}

func testLargeChunk(t *testing.T, s store.Store) {
	big := make([]byte, 8<<20)
	_, _ = rand.Read(big)
	put(t, s, testMeta("big"), []byte("small"), big, []byte("tail"))
	_, chunks := mustRead(t, s, "big")
	if len(chunks) != 3 || !bytes.Equal(chunks[1], big) || string(chunks[0]) != "small" || string(chunks[2]) != "tail" {
		t.Fatalf("8 MB chunk did not round-trip (got %d chunks)", len(chunks))
	}
}

func testCanceled(t *testing.T, s store.Store) {
	live := ctxT(t)
	put(t, s, testMeta("people"), []byte("v1"))
	if err := s.Put(live, "b", "k", []byte("v"), 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	st, err := s.StageSet(live, testMeta("people"))
	if err != nil {
		t.Fatalf("StageSet: %v", err)
	}
	if err := st.Append(live, []byte("v2")); err != nil {
		t.Fatalf("Append: %v", err)
	}
	ctx, cancel := context.WithCancel(live)
	cancel()
	check := func(op string, err error) {
		t.Helper()
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s with a canceled context: %v, want context.Canceled", op, err)
		}
	}
	_, err = s.Get(ctx, "b", "k")
	check("Get", err)
	check("Put", s.Put(ctx, "b", "k2", []byte("v"), 0))
	_, err = s.PutIfAbsent(ctx, "b", "k3", []byte("v"), 0)
	check("PutIfAbsent", err)
	check("Update", s.Update(ctx, "b", "k", func([]byte, bool) ([]byte, bool, time.Duration, error) {
		return []byte("changed"), true, 0, nil
	}))
	check("Delete", s.Delete(ctx, "b", "k"))
	check("Scan", s.Scan(ctx, "b", "", func(string, []byte) error { return nil }))
	_, err = s.StageSet(ctx, testMeta("people"))
	check("StageSet", err)
	_, err = s.ListSets(ctx)
	check("ListSets", err)
	_, err = s.GetSet(ctx, "people")
	check("GetSet", err)
	check("ReadSet", s.ReadSet(ctx, "people", func(store.SetMeta) error { return nil }, func([]byte) error { return nil }))
	check("RemoveSet", s.RemoveSet(ctx, "people"))
	_, err = s.SetsGeneration(ctx)
	check("SetsGeneration", err)
	check("Append", st.Append(ctx, []byte("x")))
	check("Commit", st.Commit(ctx, testMeta("people")))

	// Nothing happened.
	if v, err := s.Get(live, "b", "k"); err != nil || string(v) != "v" {
		t.Errorf("after canceled writes, b/k = %q, %v; want v", v, err)
	}
	for _, k := range []string{"k2", "k3"} {
		if _, err := s.Get(live, "b", k); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("canceled write of %s happened: %v", k, err)
		}
	}
	if _, chunks := mustRead(t, s, "people"); !equalChunks(chunks, [][]byte{[]byte("v1")}) {
		t.Errorf("after canceled Commit, people = %q; want v1", chunks)
	}
	// The stage is still usable with a live context.
	if err := st.Commit(live, testMeta("people")); err != nil {
		t.Fatalf("Commit after a canceled Commit: %v", err)
	}
	if _, chunks := mustRead(t, s, "people"); !equalChunks(chunks, [][]byte{[]byte("v2")}) {
		t.Errorf("people = %q; want v2", chunks)
	}
}

package store_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

func openBolt(t *testing.T) *store.Bolt {
	t.Helper()
	b, err := store.OpenBolt(filepath.Join(t.TempDir(), "data", "leakwatch.db"))
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestBoltConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openBolt(t) })
}

func TestBoltSecondOpenIsInUse(t *testing.T) {
	b := openBolt(t)
	start := time.Now()
	second, err := store.OpenBolt(b.Path())
	if err == nil {
		second.Close()
		t.Fatal("second OpenBolt of an open file succeeded")
	}
	want := "data file " + b.Path() + " is in use by another leakwatch process"
	if !strings.Contains(err.Error(), want) {
		t.Errorf("second OpenBolt error = %q, want it to contain %q", err, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second OpenBolt took %v to fail", d)
	}
	if err := b.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again, err := store.OpenBolt(b.Path())
	if err != nil {
		t.Fatalf("OpenBolt after Close: %v", err)
	}
	again.Close()
}

func TestBoltFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "data")
	path := filepath.Join(dir, "leakwatch.db")
	b, err := store.OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	b.Close()
	for p, want := range map[string]os.FileMode{path: 0o600, dir: 0o700, filepath.Dir(dir): 0o700} {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("mode of %s = %o, want %o", p, got, want)
		}
	}
	// A pre-existing file readable by others is tightened.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	b, err = store.OpenBolt(path)
	if err != nil {
		t.Fatalf("OpenBolt: %v", err)
	}
	b.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("mode of a reopened 0644 file = %v, %v; want 0600", fi.Mode().Perm(), err)
	}
}

func TestBoltOpenErrorNamesPath(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(file, "sub", "leakwatch.db") // parent is a file
	_, err := store.OpenBolt(path)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(file, "sub")) {
		t.Errorf("OpenBolt under a file: %v, want an error naming the directory", err)
	}
}

// countKV counts the raw entries of a KV bucket in a closed bbolt file.
func countRaw(t *testing.T, path string, walk func(tx *bolt.Tx) int) int {
	t.Helper()
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, Timeout: time.Second})
	if err != nil {
		t.Fatalf("open %s read-only: %v", path, err)
	}
	defer db.Close()
	n := 0
	if err := db.View(func(tx *bolt.Tx) error { n = walk(tx); return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBoltSweep(t *testing.T) {
	ctx := t.Context()
	b := openBolt(t)
	const expiring = 1200 // more than one Sweep batch
	last := ""
	for i := range expiring {
		last = "e" + strings.Repeat("x", i%7) + time.Duration(i).String()
		if err := b.Put(ctx, "seen", last, []byte("v"), 50*time.Millisecond); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	for _, k := range []string{"keep1", "keep2"} {
		if err := b.Put(ctx, "seen", k, []byte("v"), 0); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
	if err := b.Put(ctx, "other", "later", []byte("v"), time.Hour); err != nil {
		t.Fatalf("Put: %v", err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := b.Get(ctx, "seen", last); errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("key did not expire within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	removed, err := b.Sweep(ctx)
	if err != nil {
		t.Fatalf("Sweep: %v", err)
	}
	if removed != expiring {
		t.Errorf("Sweep removed %d, want %d", removed, expiring)
	}
	if removed, err := b.Sweep(ctx); err != nil || removed != 0 {
		t.Errorf("second Sweep = %d, %v; want 0", removed, err)
	}
	for _, k := range []string{"keep1", "keep2"} {
		if _, err := b.Get(ctx, "seen", k); err != nil {
			t.Errorf("Get(%s) after Sweep: %v", k, err)
		}
	}
	if _, err := b.Get(ctx, "other", "later"); err != nil {
		t.Errorf("Sweep removed a live key with a TTL: %v", err)
	}
	b.Close()
	n := countRaw(t, b.Path(), func(tx *bolt.Tx) int { return tx.Bucket([]byte("kv")).Bucket([]byte("seen")).Stats().KeyN })
	if n != 2 {
		t.Errorf("file holds %d entries in bucket seen after Sweep, want 2", n)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	b2, err := store.OpenBolt(b.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer b2.Close()
	if _, err := b2.Sweep(cctx); !errors.Is(err, context.Canceled) {
		t.Errorf("Sweep with a canceled context: %v", err)
	}
}

func TestBoltReopenKeepsData(t *testing.T) {
	ctx := t.Context()
	b := openBolt(t)
	st, err := b.StageSet(ctx, store.SetMeta{Name: "people", Mode: "keyed"})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.Append(ctx, []byte("chunk")); err != nil {
		t.Fatal(err)
	}
	if err := st.Commit(ctx, store.SetMeta{Name: "people", Mode: "keyed", Rows: 3}); err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, "outbox", "n1", []byte("pending"), 0); err != nil {
		t.Fatal(err)
	}
	gen, err := b.SetsGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b2, err := store.OpenBolt(b.Path())
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer b2.Close()
	m, err := b2.GetSet(ctx, "people")
	if err != nil || m.Rows != 3 || m.Chunks != 1 {
		t.Errorf("GetSet after reopen = %+v, %v", m, err)
	}
	if v, err := b2.Get(ctx, "outbox", "n1"); err != nil || string(v) != "pending" {
		t.Errorf("Get after reopen = %q, %v", v, err)
	}
	if g, err := b2.SetsGeneration(ctx); err != nil || g != gen {
		t.Errorf("generation after reopen = %d, %v; want %d", g, err, gen)
	}
}

// chunkContainers counts the per-version chunk buckets in the file.
func chunkContainers(tx *bolt.Tx) int {
	n := 0
	_ = tx.Bucket([]byte("chunks")).ForEachBucket(func([]byte) error { n++; return nil })
	return n
}

func TestBoltLeftoversReclaimed(t *testing.T) {
	ctx := t.Context()
	b := openBolt(t)
	stage := func(chunks int) store.SetStage {
		st, err := b.StageSet(ctx, store.SetMeta{Name: "people"})
		if err != nil {
			t.Fatal(err)
		}
		for range chunks {
			if err := st.Append(ctx, make([]byte, 4096)); err != nil {
				t.Fatal(err)
			}
		}
		return st
	}
	for range 3 { // old versions are deleted after each commit
		if err := stage(600).Commit(ctx, store.SetMeta{}); err != nil {
			t.Fatal(err)
		}
	}
	stage(10) // a writer that dies: never committed nor aborted
	b.Close()
	if n := countRaw(t, b.Path(), chunkContainers); n != 2 {
		t.Fatalf("after 3 commits and a dead stage, %d chunk containers, want 2", n)
	}
	b2, err := store.OpenBolt(b.Path())
	if err != nil {
		t.Fatal(err)
	}
	b = b2
	st := stage(1) // reclaims the dead stage
	if err := st.Abort(ctx); err != nil {
		t.Fatal(err)
	}
	b.Close()
	if n := countRaw(t, b.Path(), chunkContainers); n != 1 {
		t.Errorf("after the next StageSet and Abort, %d chunk containers, want 1 (the committed one)", n)
	}
	b2, err = store.OpenBolt(b.Path())
	if err != nil {
		t.Fatal(err)
	}
	if err := b2.RemoveSet(ctx, "people"); err != nil {
		t.Fatal(err)
	}
	b2.Close()
	if n := countRaw(t, b.Path(), chunkContainers); n != 0 {
		t.Errorf("after RemoveSet, %d chunk containers, want 0", n)
	}
}

// TestBoltQueuePendingSurvivesReopen: a delivery pending when the process
// died (the file closed without Done) is still pending when the file is
// opened again, and is reclaimed once idle for ReclaimAfter.
func TestBoltQueuePendingSurvivesReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "leakwatch.db")
	ctx := t.Context()
	b, err := store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	o := store.ClaimOptions{ReclaimAfter: 300 * time.Millisecond}
	if _, err := b.Schedule(ctx, "q", "x", time.Now().Add(-time.Minute), store.ScheduleIfAbsent); err != nil {
		t.Fatal(err)
	}
	if _, _, err := b.Promote(ctx, "q", time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	d, err := b.Claim(ctx, "q", "old-process", o)
	if err != nil || d == nil {
		t.Fatalf("Claim = %+v, %v", d, err)
	}
	claimed := time.Now()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b, err = store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	st, err := b.Stats(ctx, "q", time.Now())
	if err != nil || st.Pending != 1 || len(st.OldestPending) != 1 || st.OldestPending[0].Consumer != "old-process" {
		t.Fatalf("stats after reopening: %+v, %v; want x pending to old-process", st, err)
	}
	var got *store.Delivery
	for got == nil {
		if got, err = b.Claim(ctx, "q", "new-process", o); err != nil {
			t.Fatal(err)
		}
		if time.Since(claimed) > 10*time.Second {
			t.Fatal("not reclaimed within 10s")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if since := time.Since(claimed); since < o.ReclaimAfter {
		t.Errorf("reclaimed %v after the delivery, before ReclaimAfter %v", since, o.ReclaimAfter)
	}
	if got.ID != d.ID || got.Deliveries != 2 {
		t.Errorf("reclaimed %+v, want entry %s's second delivery", got, d.ID)
	}
}

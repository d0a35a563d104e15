package store_test

import (
	"errors"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

func openRedis(t *testing.T, url string) *store.Redis {
	t.Helper()
	r, err := store.OpenRedis(t.Context(), url)
	if err != nil {
		t.Fatalf("OpenRedis: %v", err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return r
}

func TestRedisConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return openRedis(t, storetest.RedisURL(t)) })
}

// TestRedisClusterConformance runs the suite on a one-node Redis Cluster,
// which refuses any multi-key command whose keys span slots. One server
// (a cluster takes 2 s to become writable) is flushed between subtests.
func TestRedisClusterConformance(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.StartOptions{Cluster: true})
	storetest.Run(t, func(t *testing.T) store.Store {
		srv.Flush(t)
		return openRedis(t, srv.URL())
	})
}

// within fails the test if fn takes longer than d.
func within(t *testing.T, d time.Duration, what string, fn func()) {
	t.Helper()
	start := time.Now()
	fn()
	if took := time.Since(start); took > d {
		t.Errorf("%s took %v, want at most %v", what, took, d)
	}
}

func TestRedisDeadServerFailsFastAndRecovers(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.StartOptions{AOF: true})
	r := openRedis(t, srv.URL())
	ctx := t.Context()
	if err := r.Put(ctx, "b", "k", []byte("v"), 0); err != nil {
		t.Fatalf("Put: %v", err)
	}
	srv.Stop()
	within(t, 8*time.Second, "Get on a stopped Redis", func() {
		_, err := r.Get(ctx, "b", "k")
		if err == nil || errors.Is(err, store.ErrNotFound) {
			t.Errorf("Get on a stopped Redis: %v, want a connection error", err)
		} else if !strings.Contains(err.Error(), srv.Addr()) {
			t.Errorf("error %q does not name %s", err, srv.Addr())
		}
	})
	within(t, 8*time.Second, "Put on a stopped Redis", func() {
		if err := r.Put(ctx, "b", "k2", []byte("v"), 0); err == nil {
			t.Error("Put on a stopped Redis succeeded")
		}
	})
	within(t, 8*time.Second, "StageSet on a stopped Redis", func() {
		if _, err := r.StageSet(ctx, store.SetMeta{Name: "s"}); err == nil {
			t.Error("StageSet on a stopped Redis succeeded")
		}
	})
	srv.Restart()
	deadline := time.Now().Add(10 * time.Second)
	for {
		v, err := r.Get(ctx, "b", "k")
		if err == nil {
			if string(v) != "v" {
				t.Errorf("Get after restart = %q", v)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Get after restart still fails: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err := r.Put(ctx, "b", "k2", []byte("v2"), 0); err != nil {
		t.Errorf("Put after restart: %v", err)
	}
}

func TestRedisAOFPersistsAcrossRestart(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.StartOptions{AOF: true})
	ctx := t.Context()
	r := openRedis(t, srv.URL())
	st, err := r.StageSet(ctx, store.SetMeta{Name: "people"})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"a", "b"} {
		if err := st.Append(ctx, []byte(c)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Commit(ctx, store.SetMeta{Rows: 2}); err != nil {
		t.Fatal(err)
	}
	if err := r.Put(ctx, "outbox", "n1", []byte("pending"), 0); err != nil {
		t.Fatal(err)
	}
	gen, err := r.SetsGeneration(ctx)
	if err != nil {
		t.Fatal(err)
	}
	check := func(how string) {
		t.Helper()
		r := openRedis(t, srv.URL())
		var chunks []string
		err := r.ReadSet(ctx, "people", func(m store.SetMeta) error {
			if m.Rows != 2 {
				t.Errorf("%s: Rows = %d", how, m.Rows)
			}
			return nil
		}, func(c []byte) error { chunks = append(chunks, string(c)); return nil })
		if err != nil || strings.Join(chunks, ",") != "a,b" {
			t.Errorf("%s: ReadSet = %q, %v", how, chunks, err)
		}
		if v, err := r.Get(ctx, "outbox", "n1"); err != nil || string(v) != "pending" {
			t.Errorf("%s: Get = %q, %v", how, v, err)
		}
		if g, err := r.SetsGeneration(ctx); err != nil || g != gen {
			t.Errorf("%s: generation %d, %v; want %d", how, g, err, gen)
		}
	}
	srv.Restart()
	check("after restart")
	srv.Kill()
	srv.Restart()
	check("after kill -9 and restart")
}

func TestRedisUnreachableAtOpen(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.StartOptions{})
	addr := srv.Addr()
	srv.Stop()
	within(t, 8*time.Second, "OpenRedis of a dead address", func() {
		_, err := store.OpenRedis(t.Context(), "redis://leakwatch:s3cr3t-pw@"+addr+"/0")
		if err == nil {
			t.Fatal("OpenRedis of a stopped server succeeded")
		}
		if !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "unreachable") {
			t.Errorf("error %q does not say %s is unreachable", err, addr)
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("error %q shows the password", err)
		}
	})
	for _, bad := range []string{
		"redis://leakwatch:s3cr3t-pw@127.0.0.1:notaport",
		"redis://leakwatch:s3cr3t-pw@127.0.0.1:6379/x",
		"redis://leakwatch:s3cr3t-pw@127.0.0.1:6379/?bogus=1",
		"http://leakwatch:s3cr3t-pw@127.0.0.1:6379",
		"redis+cluster://leakwatch:s3cr3t-pw@127.0.0.1:1,127.0.0.1:2/3",
		"leakwatch:s3cr3t-pw@127.0.0.1:6379",
	} {
		_, err := store.OpenRedis(t.Context(), bad)
		if err == nil {
			t.Errorf("OpenRedis(%q) succeeded", bad)
			continue
		}
		if strings.Contains(err.Error(), "s3cr3t-pw") {
			t.Errorf("OpenRedis(%q) error %q shows the password", bad, err)
		}
	}
}

func TestRedisURLForms(t *testing.T) {
	ctx := t.Context()
	single := storetest.StartRedis(t, storetest.StartOptions{})
	r := openRedis(t, "redis://"+single.Addr()+"/3")
	if err := r.Put(ctx, "b", "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	db3 := redis.NewClient(&redis.Options{Addr: single.Addr(), DB: 3})
	defer db3.Close()
	if n, err := db3.DBSize(ctx).Result(); err != nil || n == 0 {
		t.Errorf("redis://…/3 wrote nothing to database 3 (%d keys, %v)", n, err)
	}

	cluster := storetest.StartRedis(t, storetest.StartOptions{Cluster: true})
	dead := storetest.StartRedis(t, storetest.StartOptions{})
	dead.Stop()
	for _, u := range []string{
		"redis://" + cluster.Addr() + "?cluster=1",
		"redis+cluster://" + cluster.Addr() + "," + dead.Addr(), // one seed down
	} {
		r := openRedis(t, u)
		if err := r.Put(ctx, "b", "k-"+strconv.Itoa(len(u)), []byte("v"), 0); err != nil {
			t.Errorf("Put via %s: %v", u, err)
		}
	}
}

func TestRedisClientsShareState(t *testing.T) {
	ctx := t.Context()
	url := storetest.RedisURL(t)
	a, b := openRedis(t, url), openRedis(t, url)
	if err := a.Put(ctx, "b", "k", []byte("1"), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := b.Get(ctx, "b", "k"); err != nil || string(v) != "1" {
		t.Errorf("second client Get = %q, %v", v, err)
	}
	if err := b.Put(ctx, "b", "k", []byte("2"), 0); err != nil {
		t.Fatal(err)
	}
	if v, err := a.Get(ctx, "b", "k"); err != nil || string(v) != "2" {
		t.Errorf("first client sees %q, %v; want 2 (nothing cached)", v, err)
	}
	var wins atomic.Int64
	var wg sync.WaitGroup
	for i := range 20 {
		s := []*store.Redis{a, b}[i%2]
		wg.Go(func() {
			ok, err := s.PutIfAbsent(ctx, "claims", "x", []byte("v"), time.Minute)
			if err != nil {
				t.Error(err)
			}
			if ok {
				wins.Add(1)
			}
		})
	}
	wg.Wait()
	if wins.Load() != 1 {
		t.Errorf("%d winners across two clients, want 1", wins.Load())
	}
}

func TestRedisKeyspaceIsPrefixedAndTagged(t *testing.T) {
	ctx := t.Context()
	srv := storetest.StartRedis(t, storetest.StartOptions{})
	r := openRedis(t, srv.URL())
	for _, name := range []string{"people", "staff"} {
		st, err := r.StageSet(ctx, store.SetMeta{Name: name})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Append(ctx, []byte("chunk")); err != nil {
			t.Fatal(err)
		}
		if err := st.Commit(ctx, store.SetMeta{}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.StageSet(ctx, store.SetMeta{Name: "people"}); err != nil { // left open
		t.Fatal(err)
	}
	_ = r.Put(ctx, "seen", "a", []byte("v"), time.Hour)
	_ = r.Put(ctx, "outbox", "b", []byte("v"), 0)
	_, _ = r.PutIfAbsent(ctx, "claims", "c", []byte("v"), 0)
	_ = r.Update(ctx, "health", "d", func([]byte, bool) ([]byte, bool, time.Duration, error) { return []byte("1"), true, 0, nil })
	keys, err := srv.Client().Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 10 {
		t.Fatalf("only %d keys after the workload: %q", len(keys), keys)
	}
	for _, k := range keys {
		open := strings.IndexByte(k, '{')
		end := strings.IndexByte(k, '}')
		if !strings.HasPrefix(k, "lw:") || open < 0 || end < open+2 {
			t.Errorf("key %q lacks the lw: prefix or a {…} hash tag", k)
		}
	}
}

func TestRedisExpiredIndexEntriesReclaimed(t *testing.T) {
	ctx := t.Context()
	srv := storetest.StartRedis(t, storetest.StartOptions{})
	r := openRedis(t, srv.URL())
	c := srv.Client()
	for i := range 100 {
		if err := r.Put(ctx, "seen", "old"+strconv.Itoa(i), []byte("v"), 50*time.Millisecond); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := r.Get(ctx, "seen", "old99"); errors.Is(err, store.ErrNotFound) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no expiry within 5s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Writes alone (no Scan) reclaim index entries of expired keys.
	for i := range 10 {
		if err := r.Put(ctx, "seen", "new"+strconv.Itoa(i), []byte("v"), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if n, err := c.ZCard(ctx, "lw:{b:seen}:idx").Result(); err != nil || n != 10 {
		t.Errorf("index holds %d entries after 10 writes, %v; want the 10 live keys", n, err)
	}
	// A Scan drops the entries it finds stale.
	if err := r.Put(ctx, "outbox", "gone", []byte("v"), 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	if err := c.ZRem(ctx, "lw:{b:outbox}:exp", "gone").Err(); err != nil { // hide it from write-time reclaim
		t.Fatal(err)
	}
	for {
		if _, err := r.Get(ctx, "outbox", "gone"); errors.Is(err, store.ErrNotFound) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := r.Scan(ctx, "outbox", "", func(k string, _ []byte) error {
		t.Errorf("Scan visited expired key %q", k)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if n, err := c.ZCard(ctx, "lw:{b:outbox}:idx").Result(); err != nil || n != 0 {
		t.Errorf("outbox index holds %d entries after Scan, %v; want 0", n, err)
	}
}

// TestRedisQueueSurvivesRestart: a delivery pending when Redis (with AOF)
// restarts is still pending after, keeps its idle time's meaning, and is
// reclaimed by another consumer; a scheduled job keeps its due time.
func TestRedisQueueSurvivesRestart(t *testing.T) {
	srv := storetest.StartRedis(t, storetest.StartOptions{AOF: true})
	ctx := t.Context()
	r := openRedis(t, srv.URL())
	o := store.ClaimOptions{ReclaimAfter: 500 * time.Millisecond}
	past := time.Now().Add(-time.Minute)
	later := time.Now().Add(time.Hour)
	for job, due := range map[string]time.Time{"x": past, "y": later} {
		if _, err := r.Schedule(ctx, "q", job, due, store.ScheduleIfAbsent); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := r.Promote(ctx, "q", time.Now(), 10); err != nil {
		t.Fatal(err)
	}
	d, err := r.Claim(ctx, "q", "dies", o)
	if err != nil || d == nil || d.Job != "x" {
		t.Fatalf("Claim = %+v, %v", d, err)
	}
	srv.Restart()
	var got *store.Delivery
	deadline := time.Now().Add(15 * time.Second)
	for got == nil {
		got, err = r.Claim(ctx, "q", "survivor", o)
		if time.Now().After(deadline) {
			t.Fatalf("pending delivery not reclaimed within 15s of the restart: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if got.Job != "x" || got.ID != d.ID || got.Deliveries != 2 {
		t.Errorf("after the restart, reclaimed %+v; want x's entry %s, second delivery", got, d.ID)
	}
	if err := r.Done(ctx, *got, later); err != nil {
		t.Fatalf("Done after the restart: %v", err)
	}
	st, err := r.Stats(ctx, "q", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if st.Scheduled != 2 || st.Pending != 0 || st.Ready != 0 {
		t.Errorf("stats after the restart: %+v; want x and y scheduled", st)
	}
	if _, next, err := r.Promote(ctx, "q", time.Now(), 10); err != nil || next.Sub(later).Abs() > time.Millisecond {
		t.Errorf("earliest due after the restart = %v, %v; want %v", next, err, later)
	}
}

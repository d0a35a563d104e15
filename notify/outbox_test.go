package notify

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/store"
)

// store.Store must satisfy the notifier's consumer interface.
var _ KV = store.Store(nil)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock(t time.Time) *testClock { return &testClock{t: t} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func (c *testClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}

var t0 = time.Date(2025, 3, 4, 10, 0, 0, 0, time.UTC)

func openBolt(t *testing.T, path string) *store.Bolt {
	t.Helper()
	b, err := store.OpenBolt(path)
	if err != nil {
		t.Fatalf("open bolt: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func newNotifier(t *testing.T, kv KV, cfg Config, clk *testClock, opts ...Option) *Notifier {
	t.Helper()
	opts = append([]Option{WithClock(clk.Now)}, opts...)
	n, err := New(kv, cfg, nil, opts...)
	if err != nil {
		t.Fatalf("new notifier: %v", err)
	}
	return n
}

func finding(set string, i int) Finding {
	f := sampleFinding
	f.ID = fmt.Sprintf("f-%s-%04d", set, i)
	f.Set = set
	f.URL = fmt.Sprintf("https://paste.example.net/raw/p%04d", i)
	f.Refs = []string{fmt.Sprintf("r:%06d", i), fmt.Sprintf("r:%06d", 500000+i)}
	f.Records = 2
	return f
}

func mustEnqueue(t *testing.T, n *Notifier, f Finding, want bool) {
	t.Helper()
	got, err := n.Enqueue(t.Context(), f)
	if err != nil {
		t.Fatalf("enqueue %s: %v", f.ID, err)
	}
	if got != want {
		t.Fatalf("enqueue %s queued=%v, want %v", f.ID, got, want)
	}
}

func mustFlush(t *testing.T, n *Notifier) FlushResult {
	t.Helper()
	res, err := n.Flush(t.Context())
	if err != nil {
		t.Fatalf("flush: %v", err)
	}
	return res
}

func mustStatus(t *testing.T, n *Notifier) Status {
	t.Helper()
	st, err := n.Status(t.Context())
	if err != nil {
		t.Fatalf("status: %v", err)
	}
	return st
}

// deliveredIDs counts, over every message the server accepted, how many
// times each finding ID appears in the text part.
func deliveredIDs(t *testing.T, s *testServer, ids []string) map[string]int {
	t.Helper()
	counts := map[string]int{}
	for _, m := range s.messages() {
		pm := parseMail(t, m.Data)
		for _, id := range ids {
			counts[id] += strings.Count(pm.Text, id)
		}
	}
	return counts
}

func checkExactlyOnce(t *testing.T, s *testServer, ids []string) {
	t.Helper()
	for id, c := range deliveredIDs(t, s, ids) {
		if c != 1 {
			t.Errorf("finding %s delivered %d times", id, c)
		}
	}
}

func TestOutboxDeliversOnce(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	n := newNotifier(t, kv, s.config(t), clk)

	f := sampleFinding
	mustEnqueue(t, n, f, true)
	if got := len(s.messages()); got != 0 {
		t.Fatalf("Enqueue sent %d messages", got)
	}
	st := mustStatus(t, n)
	if st.Queued != 1 || len(st.Items) != 1 || st.Items[0].FindingID != f.ID || st.Items[0].State != StateQueued {
		t.Fatalf("status after enqueue: %+v", st)
	}
	res := mustFlush(t, n)
	if res.Emails != 1 || res.Delivered != 1 {
		t.Fatalf("flush: %+v", res)
	}
	st = mustStatus(t, n)
	if st.Queued != 0 || st.Sent != 1 || st.Recent[0].FindingID != f.ID || st.Recent[0].MessageID == "" {
		t.Fatalf("status after flush: %+v", st)
	}
	pm := parseMail(t, s.messages()[0].Data)
	if id := pm.Header.Get("Message-Id"); id != "<"+st.Recent[0].MessageID+">" {
		t.Errorf("Message-ID %q, receipt %q", id, st.Recent[0].MessageID)
	}

	// The same finding again, from a re-crawl: nothing new.
	f.ID = "f-recrawl"
	mustEnqueue(t, n, f, false)
	if res := mustFlush(t, n); res.Emails != 0 {
		t.Fatalf("duplicate sent: %+v", res)
	}

	// The same records on a new URL are a new notification.
	f.ID = "f-new-url"
	f.URL = "https://mirror.example.org/copy"
	mustEnqueue(t, n, f, true)

	// One new record on the first URL: only that ref is notified.
	g := sampleFinding
	g.ID = "f-one-more"
	g.Refs = append([]string{"r:999999"}, sampleFinding.Refs...)
	mustEnqueue(t, n, g, true)
	if res := mustFlush(t, n); res.Emails != 2 {
		t.Fatalf("flush: %+v", res)
	}
	msgs := s.messages()
	if len(msgs) != 3 {
		t.Fatalf("server has %d messages, want 3", len(msgs))
	}
	var text string
	for _, m := range msgs[1:] {
		if pm := parseMail(t, m.Data); strings.Contains(pm.Text, "f-one-more") {
			text = pm.Text
		}
	}
	if !strings.Contains(text, "r:999999") || strings.Contains(text, "r:000017") {
		t.Errorf("the new-ref email should list only the new ref:\n%s", text)
	}
}

func TestOutboxRetriesWhenServerIsDown(t *testing.T) {
	s := newTestServer(t, TLSImplicit)
	cfg := s.config(t)
	s.stop()
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	n := newNotifier(t, kv, cfg, clk, WithRetry(time.Minute, time.Hour, 10))

	mustEnqueue(t, n, sampleFinding, true)
	res := mustFlush(t, n)
	if res.Retrying != 1 || res.Emails != 0 {
		t.Fatalf("flush with server down: %+v", res)
	}
	it := mustStatus(t, n).Items[0]
	if it.Attempts != 1 || it.LastError == "" || it.State != StateQueued {
		t.Fatalf("item after one failure: %+v", it)
	}
	if d := it.NextAttempt.Sub(t0); d < 30*time.Second || d > time.Minute {
		t.Fatalf("first retry in %v, want 30s..1m", d)
	}
	if !res.Next.Equal(it.NextAttempt) {
		t.Errorf("flush says next %v, item says %v", res.Next, it.NextAttempt)
	}

	// Second failure: the wait doubles.
	clk.Set(it.NextAttempt)
	if res := mustFlush(t, n); res.Retrying != 1 {
		t.Fatalf("second flush: %+v", res)
	}
	it2 := mustStatus(t, n).Items[0]
	if d := it2.NextAttempt.Sub(clk.Now()); it2.Attempts != 2 || d < time.Minute || d > 2*time.Minute {
		t.Fatalf("second retry in %v after %d attempts, want 1m..2m", d, it2.Attempts)
	}

	// The server comes back; nothing is sent before the stored time.
	s.restart()
	if res := mustFlush(t, n); res.Emails != 0 || len(s.messages()) != 0 {
		t.Fatalf("sent before the next attempt time: %+v", res)
	}
	clk.Set(it2.NextAttempt)
	if res := mustFlush(t, n); res.Emails != 1 {
		t.Fatalf("flush after the server came back: %+v", res)
	}
	if st := mustStatus(t, n); st.Queued != 0 || st.Sent != 1 || st.Recent[0].Attempts != 3 {
		t.Fatalf("status: %+v", st)
	}
	checkExactlyOnce(t, s, []string{sampleFinding.ID})
}

func TestOutboxRestartWithFullOutbox(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.Default.RateLimit = 1000
	path := filepath.Join(t.TempDir(), "db")
	clk := newClock(t0)

	kv1, err := store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	n1 := newNotifier(t, kv1, cfg, clk)
	var ids []string
	for i := range 30 {
		f := finding("customers", i)
		ids = append(ids, f.ID)
		mustEnqueue(t, n1, f, true)
	}
	if err := kv1.Close(); err != nil { // the process "dies" with a full outbox
		t.Fatal(err)
	}

	kv2, err := store.OpenBolt(path)
	if err != nil {
		t.Fatal(err)
	}
	n2 := newNotifier(t, kv2, cfg, clk)
	if st := mustStatus(t, n2); st.Queued != 30 {
		t.Fatalf("after restart %d queued, want 30", st.Queued)
	}
	if res := mustFlush(t, n2); res.Emails != 30 || res.Delivered != 30 {
		t.Fatalf("flush after restart: %+v", res)
	}
	if res := mustFlush(t, n2); res.Emails != 0 {
		t.Fatalf("second flush sent again: %+v", res)
	}
	for i := range 30 {
		mustEnqueue(t, n2, finding("customers", i), false)
	}
	if err := kv2.Close(); err != nil {
		t.Fatal(err)
	}

	// And after one more restart the markers still hold.
	kv3 := openBolt(t, path)
	n3 := newNotifier(t, kv3, cfg, clk)
	for i := range 30 {
		f := finding("customers", i)
		f.ID += "-again"
		mustEnqueue(t, n3, f, false)
	}
	if res := mustFlush(t, n3); res.Emails != 0 {
		t.Fatalf("flush after second restart: %+v", res)
	}
	if got := len(s.messages()); got != 30 {
		t.Fatalf("server got %d messages, want 30", got)
	}
	checkExactlyOnce(t, s, ids)
}

func TestOutboxPermanentFailure(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	n := newNotifier(t, kv, s.config(t), clk)

	s.refuseWith(554, "data")
	mustEnqueue(t, n, sampleFinding, true)
	if res := mustFlush(t, n); res.Failed != 1 || res.Retrying != 0 {
		t.Fatalf("flush: %+v", res)
	}
	st := mustStatus(t, n)
	if st.Failed != 1 || st.Queued != 0 {
		t.Fatalf("status: %+v", st)
	}
	it := st.Items[0]
	if it.State != StateFailed || it.Attempts != 1 || !strings.Contains(it.LastError, "554") || it.FailedAt.IsZero() {
		t.Fatalf("failed item: %+v", it)
	}
	// Not retried, however long we wait.
	for range 5 {
		clk.Advance(12 * time.Hour)
		if res := mustFlush(t, n); res.Emails+res.Failed+res.Retrying != 0 {
			t.Fatalf("failed item was retried: %+v", res)
		}
	}
	if got := s.dataAttempts(); got != 1 {
		t.Fatalf("server saw %d attempts, want 1", got)
	}
	// Still visible; the operator fixes the cause and retries.
	if st := mustStatus(t, n); st.Failed != 1 {
		t.Fatalf("failed item vanished: %+v", st)
	}
	if err := n.Retry(t.Context(), "no-such-item"); err == nil {
		t.Error("retry of an absent item succeeded")
	}
	s.refuseWith(0, "")
	if err := n.Retry(t.Context(), it.Key); err != nil {
		t.Fatal(err)
	}
	if err := n.Retry(t.Context(), it.Key); err == nil {
		t.Error("retry of a queued item succeeded")
	}
	if res := mustFlush(t, n); res.Emails != 1 {
		t.Fatalf("flush after retry: %+v", res)
	}
	if st := mustStatus(t, n); st.Failed != 0 || st.Sent != 1 {
		t.Fatalf("status: %+v", st)
	}
}

func TestOutboxGivesUpAfterMaxAttempts(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	n := newNotifier(t, kv, s.config(t), clk, WithRetry(time.Second, 4*time.Second, 3))
	s.refuseWith(451, "data")
	mustEnqueue(t, n, sampleFinding, true)
	for i := range 3 {
		mustFlush(t, n)
		clk.Advance(10 * time.Second)
		if i < 2 && mustStatus(t, n).Queued != 1 {
			t.Fatalf("gave up after %d attempts", i+1)
		}
	}
	st := mustStatus(t, n)
	if st.Failed != 1 || !strings.Contains(st.Items[0].LastError, "gave up after 3 attempts") || !strings.Contains(st.Items[0].LastError, "451") {
		t.Fatalf("status: %+v", st)
	}
	mustFlush(t, n)
	if got := s.dataAttempts(); got != 3 {
		t.Fatalf("server saw %d attempts, want 3", got)
	}
}

func TestOutboxTwoNotifiersRace(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.Default.RateLimit = 1000
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	n1 := newNotifier(t, kv, cfg, clk, WithWorkerID("worker-1"))
	n2 := newNotifier(t, kv, cfg, clk, WithWorkerID("worker-2"))

	const count = 40
	var ids []string
	for i := range count {
		ids = append(ids, finding("customers", i).ID)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	queued := make([]int, 2)
	for w, n := range []*Notifier{n1, n2} {
		wg.Add(2)
		go func() { // both workers see every finding (two crawlers, one page)
			defer wg.Done()
			for i := range count {
				ok, err := n.Enqueue(context.Background(), finding("customers", i))
				if err != nil {
					errs <- err
					return
				}
				if ok {
					queued[w]++
				}
			}
		}()
		go func() { // and both flush as fast as they can meanwhile
			defer wg.Done()
			for range 30 {
				if _, err := n.Flush(context.Background()); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, n := range []*Notifier{n1, n2, n1} {
		mustFlush(t, n)
	}
	if st := mustStatus(t, n1); st.Queued != 0 || st.Failed != 0 {
		t.Fatalf("outbox not drained: %+v", st)
	}
	t.Logf("worker-1 queued %d, worker-2 queued %d, server accepted %d emails", queued[0], queued[1], len(s.messages()))
	checkExactlyOnce(t, s, ids)
	// A finding's two refs may be split between the workers' items when
	// they race, but never sent twice; each ref appears once.
	refs := map[string]int{}
	for _, m := range s.messages() {
		pm := parseMail(t, m.Data)
		for i := range count {
			for _, r := range finding("customers", i).Refs {
				refs[r] += strings.Count(pm.Text, r)
			}
		}
	}
	for r, c := range refs {
		if c != 1 {
			t.Errorf("ref %s delivered %d times", r, c)
		}
	}
}

func TestOutboxLeaseExpiry(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	dead := newNotifier(t, kv, cfg, clk, WithWorkerID("dead"), WithLease(5*time.Minute))
	live := newNotifier(t, kv, cfg, clk, WithWorkerID("live"), WithLease(5*time.Minute))

	mustEnqueue(t, dead, sampleFinding, true)
	key := mustStatus(t, dead).Items[0].Key
	// The dead worker claimed the item and then died before sending.
	if _, ok, err := dead.leaseItem(t.Context(), key, clk.Now()); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	if _, ok, err := live.leaseItem(t.Context(), key, clk.Now()); err != nil || ok {
		t.Fatalf("a leased item was leased again: %v %v", ok, err)
	}
	res := mustFlush(t, live)
	if res.Emails != 0 || !res.Next.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("flush during the lease: %+v", res)
	}
	it := mustStatus(t, live).Items[0]
	if it.LeaseOwner != "dead" || !it.LeaseUntil.Equal(t0.Add(5*time.Minute)) {
		t.Fatalf("status does not show the lease: %+v", it)
	}
	clk.Advance(5*time.Minute + time.Second)
	if res := mustFlush(t, live); res.Emails != 1 {
		t.Fatalf("flush after the lease expired: %+v", res)
	}
	checkExactlyOnce(t, s, []string{sampleFinding.ID})
}

// TestOutboxSoleWorkerTakesOverDeadLease: on a store no other worker
// uses, a lease left by a process that died is taken over at once, and
// the email is sent once.
func TestOutboxSoleWorkerTakesOverDeadLease(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	dead := newNotifier(t, kv, cfg, clk, WithWorkerID("dead"))
	mustEnqueue(t, dead, sampleFinding, true)
	key := mustStatus(t, dead).Items[0].Key
	if _, ok, err := dead.leaseItem(t.Context(), key, clk.Now()); err != nil || !ok {
		t.Fatalf("lease: %v %v", ok, err)
	}
	// The next process on the same embedded store.
	next := newNotifier(t, kv, cfg, clk, WithWorkerID("next"), WithSoleWorker())
	if res := mustFlush(t, next); res.Emails != 1 {
		t.Fatalf("flush after the dead worker's lease, as sole worker: %+v", res)
	}
	if res := mustFlush(t, next); res.Emails != 0 {
		t.Fatalf("sent again: %+v", res)
	}
	checkExactlyOnce(t, s, []string{sampleFinding.ID})
}

func TestOutboxFinishesInterruptedEnqueue(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0)
	n := newNotifier(t, kv, s.config(t), clk)

	// What Enqueue leaves behind when the process dies after writing the
	// item and claiming one of its two markers.
	f := sampleFinding.sanitized()
	it := item{Key: "0000000000000001-dead", State: StateClaiming, Finding: f, ClaimRefs: f.Refs[:2], Enqueued: t0}
	b, err := json.Marshal(it)
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(t.Context(), BucketOutbox, it.Key, b, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := kv.PutIfAbsent(t.Context(), BucketNotified, notifiedKey(f.Set, f.Refs[0], f.URL), []byte(it.Key), 0); err != nil {
		t.Fatal(err)
	}

	if res := mustFlush(t, n); res.Emails != 0 {
		t.Fatalf("an item still being claimed was sent: %+v", res)
	}
	clk.Advance(2 * time.Minute)
	mustFlush(t, n) // finishes the claim
	if res := mustFlush(t, n); res.Emails != 1 {
		t.Fatalf("recovered item not sent: %+v", res)
	}
	text := parseMail(t, s.messages()[0].Data).Text
	if !strings.Contains(text, f.Refs[0]) || !strings.Contains(text, f.Refs[1]) || strings.Contains(text, f.Refs[2]) {
		t.Errorf("recovered email lists the wrong refs:\n%s", text)
	}
	// The recovered item's markers are final: the same two refs do not
	// come again; the third, never claimed, does.
	mustEnqueue(t, n, Finding{ID: "f-x", Set: f.Set, URL: f.URL, Refs: f.Refs[:2]}, false)
	mustEnqueue(t, n, Finding{ID: "f-y", Set: f.Set, URL: f.URL, Refs: f.Refs}, true)
}

// TestOutboxFinishesAbandonedEnqueueAtOnce: an Enqueue that wrote its item
// but could not claim its markers (here another worker's claim of the page
// outlasts the caller's deadline; in the fleet test, Redis went away)
// returns an error and leaves the item claiming. The same Notifier's next
// Flush finishes it at once, not a minute later: nothing is waiting on it.
// When the caller retries and the retry queues the finding, the abandoned
// item is found to own nothing and goes: one email, nothing left queued
// (a fleet test saw such an item listed as queued for a minute).
func TestOutboxFinishesAbandonedEnqueueAtOnce(t *testing.T) {
	for _, retry := range []bool{false, true} {
		s := newTestServer(t, TLSStartTLS)
		kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
		clk := newClock(t0)
		n := newNotifier(t, kv, s.config(t), clk)
		other := newNotifier(t, kv, s.config(t), clk)

		f := sampleFinding.sanitized()
		sum := sha256.Sum256([]byte(f.URL))
		lock := f.Set + "/" + hex.EncodeToString(sum[:])
		if _, err := kv.PutIfAbsent(t.Context(), BucketLock, lock, []byte("another-worker"), pageLockTTL); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(t.Context(), 300*time.Millisecond)
		_, err := n.Enqueue(ctx, sampleFinding)
		cancel()
		if err == nil {
			t.Fatal("enqueue while another worker holds the page: no error")
		}
		if st := mustStatus(t, n); st.Queued != 1 || st.Items[0].State != StateClaiming {
			t.Fatalf("after the failed enqueue: %+v; want one claiming item", st)
		}
		if err := kv.Delete(t.Context(), BucketLock, lock); err != nil {
			t.Fatal(err)
		}
		// Another process cannot know that no Enqueue works on it.
		if res := mustFlush(t, other); res.Emails != 0 {
			t.Fatalf("another notifier finished the claim within the grace: %+v", res)
		}
		if st := mustStatus(t, n); st.Queued != 1 || st.Items[0].State != StateClaiming {
			t.Fatalf("after another notifier's flush: %+v; want the item still claiming", st)
		}
		if retry {
			mustEnqueue(t, n, sampleFinding, true)
		}
		mustFlush(t, n) // finishes the abandoned claim (and sends the retry's item)
		mustFlush(t, n)
		if got := len(s.messages()); got != 1 {
			t.Fatalf("retry %v: %d emails, want 1", retry, got)
		}
		if st := mustStatus(t, n); st.Queued != 0 || st.Sent != 1 {
			t.Fatalf("retry %v: status queued %d, sent %d; want 0 and 1", retry, st.Queued, st.Sent)
		}
	}
}

func TestOutboxDigest(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.Sets = map[string]Policy{"customers": {Digest: DigestHourly, Language: LangJapanese}}
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0.Add(5 * time.Minute))
	n := newNotifier(t, kv, cfg, clk)

	var ids []string
	for i := range 5 {
		f := finding("customers", i)
		ids = append(ids, f.ID)
		mustEnqueue(t, n, f, true)
		if res := mustFlush(t, n); res.Emails != 0 || !res.Next.Equal(t0.Add(time.Hour)) {
			t.Fatalf("digest finding sent early: %+v", res)
		}
		clk.Advance(10 * time.Minute)
	}
	// A set without digest is not held back.
	mustEnqueue(t, n, finding("staff", 1), true)
	if res := mustFlush(t, n); res.Emails != 1 {
		t.Fatalf("non-digest set: %+v", res)
	}
	clk.Set(t0.Add(time.Hour))
	if res := mustFlush(t, n); res.Emails != 1 || res.Delivered != 5 {
		t.Fatalf("digest flush: %+v", res)
	}
	msgs := s.messages()
	if len(msgs) != 2 {
		t.Fatalf("server has %d messages, want 2", len(msgs))
	}
	pm := parseMail(t, msgs[1].Data)
	if !strings.Contains(pm.Subject, "ダイジェスト") || !strings.Contains(pm.Subject, "5 件") {
		t.Errorf("digest subject %q", pm.Subject)
	}
	checkExactlyOnce(t, s, ids)
	if st := mustStatus(t, n); st.Sent != 6 || st.Queued != 0 {
		t.Fatalf("status: %+v", st)
	}

	if got := periodEnd(time.Date(2025, 3, 4, 23, 59, 0, 0, time.UTC), DigestDaily); !got.Equal(time.Date(2025, 3, 5, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("daily period end %v", got)
	}
}

func TestOutboxRateLimitFolds(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.Default.RateLimit = 3
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	clk := newClock(t0.Add(10 * time.Minute))
	n := newNotifier(t, kv, cfg, clk)

	const flood = 110
	var ids []string
	start := time.Now()
	for i := range flood {
		f := finding("customers", i)
		ids = append(ids, f.ID)
		mustEnqueue(t, n, f, true)
	}
	enqueueTook := time.Since(start)
	res := mustFlush(t, n)
	if res.Emails != 3 || res.Folded != flood-3 || !res.Next.Equal(t0.Add(time.Hour)) {
		t.Fatalf("flush over the limit: %+v", res)
	}
	clk.Advance(20 * time.Minute)
	if res := mustFlush(t, n); res.Emails != 0 {
		t.Fatalf("folded findings sent before the next hour: %+v", res)
	}
	clk.Set(t0.Add(time.Hour))
	start = time.Now()
	res = mustFlush(t, n)
	if res.Emails != 1 || res.Delivered != flood-3 {
		t.Fatalf("summary flush: %+v", res)
	}
	summaryTook := time.Since(start)
	t.Logf("%d findings: enqueue %v, summary flush %v", flood, enqueueTook, summaryTook)
	msgs := s.messages()
	if len(msgs) != 4 {
		t.Fatalf("server has %d messages, want 4", len(msgs))
	}
	pm := parseMail(t, msgs[3].Data)
	if !strings.Contains(pm.Subject, "summary") || !strings.Contains(pm.Text, "hourly email limit") {
		t.Errorf("summary: %q", pm.Subject)
	}
	if !strings.Contains(pm.Text, "7 more findings are not listed") {
		t.Errorf("summary does not count the unlisted findings:\n%s", pm.Text)
	}
	// 3 sent singly, 100 listed in the summary, 7 counted only.
	counts := deliveredIDs(t, s, ids)
	listed := 0
	for _, c := range counts {
		if c > 1 {
			t.Fatalf("a finding was listed twice")
		}
		listed += c
	}
	if listed != 103 {
		t.Errorf("%d findings listed, want 103", listed)
	}
	if st := mustStatus(t, n); st.Queued != 0 || st.Sent != flood {
		t.Fatalf("status: %+v", st)
	}
}

// canary is a record planted in the customer set; its values must never
// show up in an email, a store value, or a log line.
var canary = struct {
	Name, Email, Phone, MyNumber, Card string
}{"山田花子", "hanako.canary@example.jp", "080-9876-5432", "9876 5432 1098", "4929 1234 5678 9012"}

func canaryNeedles() [][]byte {
	var out [][]byte
	for _, s := range []string{
		canary.Name, canary.Email, "hanako.canary", "hanako.canary%40example.jp",
		canary.Phone, "08098765432", "9876-5432",
		canary.MyNumber, "987654321098",
		canary.Card, "4929123456789012", "1234 5678 9012",
	} {
		out = append(out, []byte(s))
	}
	return out
}

func TestCanaryNeverLeaks(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	cfg := s.config(t)
	cfg.Default.Language = LangJapanese
	dir := t.TempDir()
	dbPath := filepath.Join(dir, "db")
	kv, err := store.OpenBolt(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	clk := newClock(t0)
	n, err := New(kv, cfg, logger, WithClock(clk.Now))
	if err != nil {
		t.Fatal(err)
	}

	// The page repeats the record in its title and address.
	f := Finding{
		ID:    "f-canary",
		Set:   "customers",
		Refs:  []string{"r:004242"},
		Kinds: []string{"name", "email", "phone", "mynumber", "card"},
		URL:   "https://paste.example.net/raw/x?email=hanako.canary%40example.jp&tel=08098765432&mn=987654321098",
		Title: "流出 " + canary.Email + " " + canary.Phone + " " + canary.Card + " 個人番号 " + canary.MyNumber,
		// The source name comes from configuration, not from the page.
		Source: "paste-example", FirstSeen: t0, Score: 1, Records: 1,
		ContentHash: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
	}
	// The evidence (the matched span and its context) is kept only sealed.
	pub, priv, err := GenerateOperatorKey()
	if err != nil {
		t.Fatal(err)
	}
	span := []byte(fmt.Sprintf("id,name,email,phone\n4242,%s,%s,%s\n", canary.Name, canary.Email, canary.Phone))
	sealed, err := Seal(pub, span, []byte(f.ID))
	if err != nil {
		t.Fatal(err)
	}
	if err := kv.Put(t.Context(), "evidence", f.ID, sealed, 0); err != nil {
		t.Fatal(err)
	}

	// First a temporary refusal (an error is stored on the item), then
	// delivery.
	s.refuseWith(451, "data")
	mustEnqueue(t, n, f, true)
	if res := mustFlush(t, n); res.Retrying != 1 {
		t.Fatalf("flush: %+v", res)
	}
	s.refuseWith(0, "")
	clk.Advance(2 * time.Hour)
	if res := mustFlush(t, n); res.Emails != 1 {
		t.Fatalf("flush: %+v", res)
	}
	mustEnqueue(t, n, f, false)
	if err := kv.Close(); err != nil {
		t.Fatal(err)
	}

	msgs := s.messages()
	if len(msgs) != 1 {
		t.Fatalf("server has %d messages", len(msgs))
	}
	pm := parseMail(t, msgs[0].Data)
	if !strings.Contains(pm.Text, "[email]") || !strings.Contains(pm.Text, "[number]") {
		t.Errorf("expected masked values in the email:\n%s", pm.Text)
	}
	places := map[string][]byte{
		"raw message": msgs[0].Data, "text part": []byte(pm.Text), "html part": []byte(pm.HTML),
		"subject": []byte(pm.Subject), "logs": logs.Bytes(),
	}
	db, err := os.ReadFile(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	places["bolt file"] = db
	for where, data := range places {
		for _, needle := range canaryNeedles() {
			if bytes.Contains(data, needle) {
				t.Errorf("%s contains the canary value %q", where, needle)
			}
		}
	}
	// The sealed evidence is in the file, and it opens for the operator.
	if !bytes.Contains(db, sealed[:32]) {
		t.Fatal("sealed evidence not found in the bolt file: the scan would prove nothing")
	}
	if got, err := Open(priv, sealed, []byte(f.ID)); err != nil || !bytes.Equal(got, span) {
		t.Fatalf("operator cannot open the evidence: %v", err)
	}
	// And the scan can see what it looks for: the finding ID is there.
	if !bytes.Contains(db, []byte(f.ID)) {
		t.Fatal("finding ID not found in the bolt file: the scan would prove nothing")
	}
}

func TestEnqueueLargeFinding(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	n := newNotifier(t, kv, s.config(t), newClock(t0))
	f := sampleFinding
	f.ID = "f-dump"
	f.Records = 100000
	f.Refs = nil
	for i := range 600 {
		f.Refs = append(f.Refs, fmt.Sprintf("r:%06d", i))
	}
	start := time.Now()
	mustEnqueue(t, n, f, true)
	took := time.Since(start)
	if res := mustFlush(t, n); res.Emails != 1 {
		t.Fatalf("flush: %+v", res)
	}
	t.Logf("enqueue of a finding with %d refs took %v", len(f.Refs), took)
	pm := parseMail(t, s.messages()[0].Data)
	if !strings.Contains(pm.Text, "100,000") || !strings.Contains(pm.Text, "and 580 more") {
		t.Errorf("large finding email:\n%s", pm.Text)
	}
	f.ID = "f-dump-recrawl"
	mustEnqueue(t, n, f, false)
	f.ID = "f-dump-grown"
	f.Refs = append(f.Refs, "r:999999")
	mustEnqueue(t, n, f, true)
	if res := mustFlush(t, n); res.Emails != 1 {
		t.Fatalf("flush: %+v", res)
	}
	pm = parseMail(t, s.messages()[1].Data)
	if !strings.Contains(pm.Text, "r:999999") || strings.Contains(pm.Text, "r:000000") || strings.Contains(pm.Text, "more") {
		t.Errorf("only the new ref should be listed:\n%s", pm.Text)
	}
}

func TestRunDeliversUntilCancelled(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	n, err := New(kv, s.config(t), nil, WithPollInterval(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	mustEnqueue(t, n, sampleFinding, true)
	deadline := time.Now().Add(10 * time.Second)
	for len(s.messages()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got := len(s.messages()); got != 1 {
		t.Fatalf("Run delivered %d messages, want 1", got)
	}
}

func TestEnqueueRejectsInvalidFindings(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := openBolt(t, filepath.Join(t.TempDir(), "db"))
	n := newNotifier(t, kv, s.config(t), newClock(t0))
	for _, f := range []Finding{
		{ID: "", Set: "s", URL: "u"},
		{ID: "a/b", Set: "s", URL: "u"},
		{ID: "ok", Set: "bad set", URL: "u"},
		{ID: "ok", Set: "s", URL: " "},
	} {
		if _, err := n.Enqueue(t.Context(), f); err == nil {
			t.Errorf("accepted %+v", f)
		}
	}
	if st := mustStatus(t, n); st.Queued != 0 {
		t.Fatalf("invalid findings were stored: %+v", st)
	}
}

func BenchmarkEnqueueFlush(b *testing.B) {
	s := newTestServer(b, TLSStartTLS)
	cfg := s.config(b)
	cfg.Default.RateLimit = 1 << 30
	kv, err := store.OpenBolt(filepath.Join(b.TempDir(), "db"))
	if err != nil {
		b.Fatal(err)
	}
	defer kv.Close()
	n, err := New(kv, cfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	i := 0
	for b.Loop() {
		f := finding("customers", i)
		i++
		if _, err := n.Enqueue(context.Background(), f); err != nil {
			b.Fatal(err)
		}
		if res, err := n.Flush(context.Background()); err != nil || res.Emails != 1 {
			b.Fatalf("flush: %+v %v", res, err)
		}
	}
}

// lostReply is a store whose next Put is applied and then reported as
// failed, as when Redis applies a write and goes away before replying.
type lostReply struct {
	KV
	lose bool
}

func (l *lostReply) Put(ctx context.Context, bucket, key string, value []byte, ttl time.Duration) error {
	err := l.KV.Put(ctx, bucket, key, value, ttl)
	if l.lose && err == nil {
		l.lose = false
		return errors.New("connection reset by peer (the write was applied)")
	}
	return err
}

// TestOutboxFinishesEnqueueWhoseWriteReplyWasLost: an Enqueue whose
// outbox write landed though the store reported it failed leaves a
// claiming item it knows nothing more of. The caller's retry queues and
// sends the finding; the same Notifier's next Flush finishes the first
// item at once (it owns nothing and goes), not a minute later (a fleet
// test saw it listed as queued after Redis restarted).
func TestOutboxFinishesEnqueueWhoseWriteReplyWasLost(t *testing.T) {
	s := newTestServer(t, TLSStartTLS)
	kv := &lostReply{KV: openBolt(t, filepath.Join(t.TempDir(), "db")), lose: true}
	n := newNotifier(t, kv, s.config(t), newClock(t0))
	if _, err := n.Enqueue(t.Context(), sampleFinding); err == nil {
		t.Fatal("enqueue whose write was reported failed: no error")
	}
	if st := mustStatus(t, n); st.Queued != 1 || st.Items[0].State != StateClaiming {
		t.Fatalf("after the failed enqueue: %+v; want one claiming item", st)
	}
	mustEnqueue(t, n, sampleFinding, true)
	mustFlush(t, n)
	mustFlush(t, n)
	if got := len(s.messages()); got != 1 {
		t.Fatalf("%d emails, want 1", got)
	}
	if st := mustStatus(t, n); st.Queued != 0 || st.Sent != 1 {
		t.Fatalf("status queued %d, sent %d; want 0 and 1", st.Queued, st.Sent)
	}
	// Nothing is left in the Notifier's memory either.
	if len(n.abandoned) != 0 {
		t.Fatalf("abandoned keys left: %v", n.abandoned)
	}
}

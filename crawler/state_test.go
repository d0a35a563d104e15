package crawler

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/store"
)

func TestSeenItemsSurviveARestart(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("a", "restart paste a")
	site.Publish("b", "restart paste b")
	path := filepath.Join(t.TempDir(), "db")
	h := &collector{}
	func() {
		db, err := store.OpenBolt(path)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		c := newCrawler(t, db, h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
		visitOnce(t, c, "pastes")
	}()
	site.Publish("c", "restart paste c")
	db := openStateAt(t, path)
	c := newCrawler(t, db, h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	if st := visitOnce(t, c, "pastes"); st.New != 1 || st.Skipped != 2 {
		t.Fatalf("after restart: %+v, want only the new paste", st)
	}
	for _, p := range site.Pastes() {
		if n := len(h.containing(p.Body)); n != 1 {
			t.Errorf("paste %s delivered %d times", p.Key, n)
		}
	}
}

func TestHandlerErrorRedeliversNextVisit(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("ok", "accepted paste")
	site.Publish("bad", "refused paste with secret-looking text 4111111111111111")
	refuse := true
	var mu sync.Mutex
	h := &collector{fail: func(d Document) error {
		mu.Lock()
		defer mu.Unlock()
		if refuse && strings.Contains(string(d.Body), "refused paste") {
			return errors.New("matcher unavailable: " + string(d.Body))
		}
		return nil
	}}
	c := newCrawler(t, openState(t), h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	_, err := c.VisitOnce(context.Background(), "pastes")
	if err == nil || !strings.Contains(err.Error(), "handler failed") {
		t.Fatalf("err = %v, want the handler's failure", err)
	}
	hs, _ := c.Health(context.Background())
	if strings.Contains(hs[0].LastError, "4111111111111111") || strings.Contains(hs[0].LastError, "refused paste") || !strings.Contains(hs[0].LastError, "handler failed on") {
		t.Fatalf("health error %q must name the failure without page text", hs[0].LastError)
	}
	mu.Lock()
	refuse = false
	mu.Unlock()
	if st := visitOnce(t, c, "pastes"); st.New != 1 {
		t.Fatalf("second visit %+v, want the refused paste again", st)
	}
	if len(h.containing("refused paste")) != 1 || len(h.containing("accepted paste")) != 1 {
		t.Fatalf("documents: %d", len(h.all()))
	}
}

func TestSameContentUnderNewKeyIsNotHandedOver(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("orig", "the very same dump")
	h := &collector{}
	c := newCrawler(t, openState(t), h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	visitOnce(t, c, "pastes")
	site.Publish("repost", "the very same dump")
	st := visitOnce(t, c, "pastes")
	if st.New != 0 || st.Duplicates != 1 {
		t.Fatalf("repost: %+v, want one duplicate", st)
	}
	if st := visitOnce(t, c, "pastes"); st.Skipped != 2 || st.Fetched != 1 {
		t.Fatalf("third visit %+v: the duplicate's key should be marked seen", st)
	}
}

func TestRetentionPurgesOldState(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("a", "retained paste")
	now := time.Now()
	var clockMu sync.Mutex
	clock := func() time.Time { clockMu.Lock(); defer clockMu.Unlock(); return now }
	db := openState(t)
	h := &collector{}
	c, err := New(Options{Sources: []SourceConfig{loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php")},
		State: db, Handler: h, Logger: testLogger(t), Now: clock, Retention: 24 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	visitOnce(t, c, "pastes")
	count := func(bucket string) int {
		n := 0
		if err := db.Scan(context.Background(), bucket, "pastes/", func(string, []byte) error { n++; return nil }); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if count(bucketSeen) != 1 || count(bucketHash) != 1 {
		t.Fatalf("seen %d, hashes %d after one paste", count(bucketSeen), count(bucketHash))
	}
	if n, err := c.Purge(context.Background()); err != nil || n != 0 {
		t.Fatalf("purge of fresh state removed %d (%v)", n, err)
	}
	clockMu.Lock()
	now = now.Add(25 * time.Hour)
	clockMu.Unlock()
	n, err := c.Purge(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 || count(bucketSeen) != 0 || count(bucketHash) != 0 {
		t.Fatalf("purge removed %d; left %d seen and %d hashes", n, count(bucketSeen), count(bucketHash))
	}
}

func TestHealthRecordsVisits(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("a", "health paste")
	hs := fixtures.NewHostile()
	defer hs.Close()
	c := newCrawler(t, openState(t), &collector{},
		loopSource("good", KindPasteAPI, site.URL+"/api_scraping.php"),
		loopSource("bad", KindURL, hs.URL+"/loop/0"))
	visitOnce(t, c, "good")
	_, _ = c.VisitOnce(context.Background(), "bad")
	_, _ = c.VisitOnce(context.Background(), "bad")
	h, err := c.Health(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	good, bad := h[0], h[1]
	if good.Source != "good" || good.Kind != KindPasteAPI || good.ItemsSeen != 1 || good.LastSuccess.IsZero() ||
		good.LastNewItem.IsZero() || good.LastError != "" || good.ConsecutiveFailures != 0 || good.NextDue.IsZero() {
		t.Errorf("good: %+v", good)
	}
	if bad.ConsecutiveFailures != 2 || !strings.Contains(bad.LastError, "too many redirects") || !bad.LastSuccess.IsZero() {
		t.Errorf("bad: %+v", bad)
	}
	if !bad.NextDue.After(good.NextDue.Add(-time.Minute)) {
		t.Errorf("a failing source should back off: next due %s vs %s", bad.NextDue, good.NextDue)
	}
}

func TestLeaseKeepsOneVisitPerSource(t *testing.T) {
	site := fixtures.NewPasteSite()
	defer site.Close()
	db := openState(t)
	c := newCrawler(t, db, &collector{}, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	ok, err := c.st.acquire(context.Background(), "pastes", "another-process", time.Minute)
	if err != nil || !ok {
		t.Fatalf("acquire: %v %v", ok, err)
	}
	if _, err := c.VisitOnce(context.Background(), "pastes"); !errors.Is(err, errBusy) {
		t.Fatalf("err = %v, want the source busy", err)
	}
	if n := site.Hits().Total(); n != 0 {
		t.Fatalf("%d requests while another process held the lease", n)
	}
	if err := c.st.release(context.Background(), "pastes", "another-process"); err != nil {
		t.Fatal(err)
	}
	visitOnce(t, c, "pastes")
	if _, err := db.Get(context.Background(), bucketLease, "pastes"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lease left behind after the visit: %v", err)
	}
}

// TestPurgeManyKeepsFresh: a purge of more entries than it deletes at once
// deletes every stale one and no fresh one.
func TestPurgeManyKeepsFresh(t *testing.T) {
	st := openState(t)
	ctx := context.Background()
	now := time.Now()
	s := &state{kv: st, now: func() time.Time { return now.Add(-time.Hour) }, retention: time.Minute}
	const stale, fresh = 5*purgeConcurrency + 3, 10
	for i := range stale {
		if err := s.markSeen(ctx, "src", fmt.Sprintf("old%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	s.now = func() time.Time { return now }
	for i := range fresh {
		if err := s.markSeen(ctx, "src", fmt.Sprintf("new%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.purge(ctx, "src")
	if err != nil || n != stale {
		t.Fatalf("purge: %d, %v; want %d", n, err, stale)
	}
	left := 0
	if err := st.Scan(ctx, bucketSeen, "src/", func(key string, _ []byte) error { left++; return nil }); err != nil {
		t.Fatal(err)
	}
	if left != fresh {
		t.Fatalf("%d entries left, want the %d fresh ones", left, fresh)
	}
}

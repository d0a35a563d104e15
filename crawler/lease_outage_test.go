package crawler

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/store"
	"github.com/leakwatch/leakwatch/store/storetest"
)

// TestLeaseReleasedAfterAStoreOutageDuringAVisit: Redis goes away in the
// middle of a visit and comes back two seconds later. The visit fails (its
// item is offered again), but its lease must not outlive the outage: left
// behind, it kept every process away from the source for the lease's TTL
// (two minutes) after Redis was back.
func TestLeaseReleasedAfterAStoreOutageDuringAVisit(t *testing.T) {
	rs := storetest.StartRedis(t, storetest.StartOptions{AOF: true})
	ctx := context.Background()
	st, err := store.OpenRedis(ctx, rs.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("a", "a paste handled while the store goes away")
	down := make(chan struct{})
	var once sync.Once
	col := &collector{}
	h := HandlerFunc(func(ctx context.Context, d Document) error {
		once.Do(func() { rs.Stop(); close(down) })
		return col.HandleDocument(ctx, d)
	})
	c := newCrawler(t, st, h, loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php"))
	visited := make(chan error, 1)
	go func() {
		_, err := c.VisitOnce(ctx, "pastes")
		visited <- err
	}()
	<-down
	time.Sleep(2 * time.Second)
	rs.Restart()
	select {
	case err := <-visited:
		if err == nil {
			t.Fatal("a visit whose store went away succeeded")
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the visit did not end within 30s of the store coming back")
	}
	if v, err := st.Get(ctx, bucketLease, "pastes"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("lease still held after the outage: %q, %v", v, err)
	}
	// The source is free: the next visit fetches the paste again. It is
	// handed over again unless the content hash, written with its own
	// deadline, made it through once Redis was back (go-redis retries),
	// in which case it is recognised as already handled. Either way it
	// was handled, and the seen key is now written.
	stats := visitOnce(t, c, "pastes")
	n := len(col.all())
	if !(n == 2 && stats.New == 1) && !(n == 1 && stats.Duplicates == 1) {
		t.Fatalf("after the outage: handed over %d times in all, next visit %+v; want a second hand-over or a duplicate", n, stats)
	}
	if again := visitOnce(t, c, "pastes"); again.Skipped != 1 || again.New+again.Duplicates != 0 {
		t.Fatalf("a third visit: %+v; want the paste skipped as seen", again)
	}
}
